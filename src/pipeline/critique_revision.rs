//! The supervised stage (SL-CAI) for one prompt: an initial response, then rounds of critique
//! and revision, each round against one principle drawn from the constitution.
//!
//! Every conversation starts with the constitution's few-shot examples, each as six turns (user
//! prompt, assistant response, user critique request, assistant critique, user revision request,
//! assistant revision), because small models otherwise critique when asked to revise.
//!
//! Context choice: round `r` shows the model only the prompt and the *latest* response
//! (`[few-shot…, user prompt, assistant latest, user critique request]`), not the whole history
//! of earlier critiques and revisions. The context stays bounded however many rounds run, and
//! each round critiques exactly the text that would become the training target.

use rand::Rng;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::cleanup::clean_revision;
use super::events::{PipelineEvent, Stage};
use super::stage::{
    account, blank_record, record_rng, response_from, RngStream, StageContext, StageStop,
};
use crate::constitution::{Constitution, FewShotExample, Principle, RepetitionSettings};
use crate::data::{FinishReason, Prompt, Record, Response, Round};
use crate::model::{Backend, ChatMessage, Penalties, Sampling};

/// The few-shot examples as chat turns, six per example, in file order.
pub fn few_shot_messages(examples: &[FewShotExample]) -> Vec<ChatMessage> {
    examples
        .iter()
        .flat_map(|ex| {
            [
                ChatMessage::user(&ex.prompt),
                ChatMessage::assistant(&ex.response),
                ChatMessage::user(&ex.critique_request),
                ChatMessage::assistant(&ex.critique),
                ChatMessage::user(&ex.revision_request),
                ChatMessage::assistant(&ex.revision),
            ]
        })
        .collect()
}

/// The sampler penalties of a constitution's repetition settings.
pub fn penalties(r: &RepetitionSettings) -> Penalties {
    Penalties {
        frequency: r.frequency_penalty,
        presence: r.presence_penalty,
        dry_multiplier: r.dry_multiplier,
        dry_base: r.dry_base,
        dry_allowed_length: r.dry_allowed_length,
    }
}

/// Sampling of the policy for responses and revisions.
pub fn response_sampling(constitution: &Constitution) -> Sampling {
    let s = &constitution.settings;
    Sampling {
        temperature: s.temperature,
        top_p: s.top_p,
        max_tokens: s.max_response_tokens,
        penalties: penalties(&s.repetition),
        stop_on_loop: s.repetition.stop_on_loop,
        seed: Some(s.seed),
    }
}

/// Sampling of the policy for critiques.
pub fn critique_sampling(constitution: &Constitution) -> Sampling {
    let s = &constitution.settings;
    Sampling {
        temperature: s.temperature,
        top_p: s.top_p,
        max_tokens: s.max_critique_tokens,
        penalties: penalties(&s.repetition),
        stop_on_loop: s.repetition.stop_on_loop,
        seed: Some(s.seed),
    }
}

/// Runs the initial response and `rounds` critique/revision rounds, writing each result into
/// `record` as soon as it exists (so a cancellation or failure keeps what was produced).
/// Principles are drawn with replacement from the enabled ones by the record's
/// [`RngStream::Rounds`] generator.
pub async fn run_supervised(
    policy: &dyn Backend,
    constitution: &Constitution,
    rounds: u32,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<(), StageStop> {
    let principles = constitution.enabled_principles();
    if rounds > 0 && principles.is_empty() {
        return Err(StageStop::Failed(format!(
            "constitution `{}` has no enabled principles; enable one or set rounds = 0",
            constitution.name
        )));
    }
    let few_shot = few_shot_messages(&constitution.examples);
    let prompt_text = record.prompt.text.clone();

    let mut latest = initial_response(policy, constitution, &few_shot, record, ctx).await?;
    let mut rng = record_rng(
        constitution.settings.seed,
        &record.prompt.id,
        RngStream::Rounds,
    );
    for round in 1..=rounds {
        ctx.check_cancelled()?;
        let principle = principles[rng.gen_range(0..principles.len())];
        let done = critique_and_revise(
            policy,
            constitution,
            &few_shot,
            &prompt_text,
            &latest,
            principle,
            round,
            record,
            ctx,
        )
        .await;
        if let Some(last) = record.rounds.last() {
            latest = last.revision.text.clone();
        }
        done?;
    }
    Ok(())
}

/// The initial response to the record's prompt (few-shot examples in front), streamed as
/// `Stage::Initial` and stored in `record.initial`; returns its text.
async fn initial_response(
    policy: &dyn Backend,
    constitution: &Constitution,
    few_shot: &[ChatMessage],
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<String, StageStop> {
    ctx.check_cancelled()?;
    let mut messages = few_shot.to_vec();
    messages.push(ChatMessage::user(&record.prompt.text));
    let initial = ctx
        .generate(
            policy,
            &messages,
            response_sampling(constitution),
            Stage::Initial,
        )
        .await?;
    let text = initial.text.trim().to_string();
    record.initial = Some(response_from(&initial, text.clone()));
    account(record, &initial)?;
    Ok(text)
}

/// One round: critique `latest` against `principle`, then revise. The round is pushed onto
/// `record.rounds` when it is cancelled part way (a cancelled critique is kept with an empty,
/// cancelled revision); a failed call leaves no round behind.
#[allow(clippy::too_many_arguments)]
async fn critique_and_revise(
    policy: &dyn Backend,
    constitution: &Constitution,
    few_shot: &[ChatMessage],
    prompt_text: &str,
    latest: &str,
    principle: &Principle,
    round: u32,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<(), StageStop> {
    let mut messages = few_shot.to_vec();
    messages.push(ChatMessage::user(prompt_text));
    messages.push(ChatMessage::assistant(latest));
    messages.push(ChatMessage::user(&principle.critique));
    let critique = ctx
        .generate(
            policy,
            &messages,
            critique_sampling(constitution),
            Stage::Critique(round),
        )
        .await?;
    let critique_text = critique.text.trim().to_string();
    let mut entry = Round {
        principle_id: principle.id.clone(),
        critique_request: principle.critique.clone(),
        critique: response_from(&critique, critique_text.clone()),
        revision_request: principle.revision.clone(),
        revision: Response {
            text: String::new(),
            evasive: false,
            tokens: 0,
            finish: FinishReason::Cancelled,
        },
    };
    if let Err(stop) = account(record, &critique) {
        record.rounds.push(entry);
        return Err(stop);
    }

    messages.push(ChatMessage::assistant(&critique_text));
    messages.push(ChatMessage::user(&principle.revision));
    let revision = ctx
        .generate(
            policy,
            &messages,
            response_sampling(constitution),
            Stage::Revision(round),
        )
        .await?;
    entry.revision = response_from(&revision, clean_revision(&revision.text));
    record.rounds.push(entry);
    account(record, &revision)
}

/// Errors of [`try_principle`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TryPrincipleError {
    #[error("no principle `{0}` in the constitution")]
    UnknownPrinciple(String),
    /// Cancelled before a round began (while the initial response was written).
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Failed(String),
}

/// Tries one principle (enabled or not) on one response to a prompt, for the constitution
/// editor: the given response, or a fresh initial response (streamed as `Stage::Initial`, as a
/// run makes it), then one critique and one revision with the constitution's few-shot examples
/// in front, streamed as `Stage::Critique(1)` and `Stage::Revision(1)`, with the same seeds
/// and loop watch as a run. A cancellation is not an error: the round comes back with what
/// was produced and finish `Cancelled`.
pub async fn try_principle(
    policy: &dyn Backend,
    constitution: &Constitution,
    principle_id: &str,
    prompt: &Prompt,
    response: Option<&str>,
    events: &UnboundedSender<PipelineEvent>,
    cancel: CancellationToken,
) -> Result<Round, TryPrincipleError> {
    let principle = constitution
        .principles
        .iter()
        .find(|p| p.id == principle_id)
        .ok_or_else(|| TryPrincipleError::UnknownPrinciple(principle_id.to_string()))?;
    let ctx = StageContext {
        prompt_id: &prompt.id,
        events,
        cancel,
    };
    let mut scratch = blank_record(prompt.clone(), String::new());
    let few_shot = few_shot_messages(&constitution.examples);
    let response_text = match response {
        Some(text) => text.to_string(),
        None => match initial_response(policy, constitution, &few_shot, &mut scratch, &ctx).await {
            Ok(text) => text,
            Err(StageStop::Cancelled) => return Err(TryPrincipleError::Cancelled),
            Err(StageStop::Failed(reason)) => return Err(TryPrincipleError::Failed(reason)),
        },
    };
    let result = critique_and_revise(
        policy,
        constitution,
        &few_shot,
        &prompt.text,
        &response_text,
        principle,
        1,
        &mut scratch,
        &ctx,
    )
    .await;
    match (result, scratch.rounds.pop()) {
        (Ok(()), Some(round)) | (Err(StageStop::Cancelled), Some(round)) => Ok(round),
        (Err(StageStop::Cancelled), None) => Err(TryPrincipleError::Cancelled),
        (Err(StageStop::Failed(reason)), _) => Err(TryPrincipleError::Failed(reason)),
        (_, None) => Err(TryPrincipleError::Failed(
            "no round was produced".to_string(),
        )),
    }
}
