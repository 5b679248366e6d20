//! The feedback stage (RL-CAI labels) for one prompt: a feedback model compares two responses
//! under comparison principles and gives a soft label, P(A), from its option probabilities.
//!
//! Candidates are the initial response against the final revision, or two fresh policy samples
//! (same conversation as the initial response, at the constitution's temperature). Which one is
//! shown as (A) is drawn from the record's [`RngStream::Feedback`] generator, so position is not
//! always the same; the same generator draws the principles. Modes:
//! - single: one principle drawn;
//! - ensemble: `ensemble_size` principles drawn without replacement, P(A) averaged;
//! - chain of thought: one principle; the model reasons first (greedy, so labels are
//!   reproducible), then P(A) is read after "So the answer is: (" and clamped into
//!   `settings.clamp`, because such probabilities come out near 0 or 1.
//!
//! With `both_orders`, every question is also asked with the options swapped and the two P(A)
//! are averaged, which cancels the model's position bias. Every question is asked through
//! [`super::judge`], as A/B runs and `cai eval` ask theirs; a calibration temperature
//! (`[settings.comparison.calibration]`, fitted by `cai eval --fit`) is applied when it was
//! fitted for the feedback model in use.

use rand::seq::index::sample;
use rand::Rng;

use super::critique_revision::{few_shot_messages, response_sampling};
use super::events::{PipelineEvent, Stage};
use super::judge::{ask_pair, calibration_for, transcript_of_prompt, HowToAsk, PairQuestion};
use super::stage::{account, note_server, record_rng, RngStream, StageContext, StageStop};
use crate::constitution::{CandidatePair, ComparisonMode, ComparisonPrinciple, Constitution};
use crate::data::{Choice, Comparison, PrincipleVerdict, Record};
use crate::model::{Backend, ChatMessage};

/// The two candidates, in the order they will be shown.
struct Candidates {
    a_source: String,
    a: String,
    b_source: String,
    b: String,
}

/// Runs the comparison for `record` and stores it in `record.comparison`. Skipped (comparison
/// stays `None`) when the constitution has no enabled comparison principles, or when comparing
/// initial against revision and no round ran.
pub async fn run_feedback(
    policy: &dyn Backend,
    feedback: &dyn Backend,
    constitution: &Constitution,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<(), StageStop> {
    let principles = constitution.enabled_comparisons();
    if principles.is_empty() {
        return Ok(());
    }
    ctx.check_cancelled()?;
    let settings = &constitution.settings.comparison;
    let Some((first, second)) = candidate_pair(policy, constitution, record, ctx).await? else {
        return Ok(());
    };
    let mut rng = record_rng(
        constitution.settings.seed,
        &record.prompt.id,
        RngStream::Feedback,
    );
    let ((a_source, a), (b_source, b)) = if rng.gen_bool(0.5) {
        (second, first)
    } else {
        (first, second)
    };
    let pair = Candidates {
        a_source,
        a,
        b_source,
        b,
    };

    let drawn = draw_principles(settings.mode, settings.ensemble_size, &principles, &mut rng);

    ctx.emit(PipelineEvent::StageStarted {
        prompt_id: ctx.prompt_id.to_string(),
        stage: Stage::Comparison,
    });
    let how = HowToAsk::from_settings(settings, calibration_for(settings, feedback));
    let mut verdicts = Vec::with_capacity(drawn.len());
    for principle in drawn {
        verdicts.push(verdict(feedback, &how, &pair, principle, record, ctx).await?);
    }
    let p_a = verdicts.iter().map(|v| v.p_a).sum::<f64>() / verdicts.len() as f64;
    let comparison = Comparison {
        a_source: pair.a_source,
        a: pair.a,
        b_source: pair.b_source,
        b: pair.b,
        verdicts,
        p_a,
        choice: if p_a >= 0.5 { Choice::A } else { Choice::B },
    };
    ctx.emit(PipelineEvent::StageFinished {
        prompt_id: ctx.prompt_id.to_string(),
        stage: Stage::Comparison,
        text: format!(
            "P(A) = {p_a:.3} (A: {}, B: {})",
            comparison.a_source, comparison.b_source
        ),
    });
    record.comparison = Some(comparison);
    Ok(())
}

/// The comparison principles one comparison asks, drawn from `principles` by the record's
/// feedback generator: one (single, chain of thought), or `ensemble_size` without
/// replacement (ensemble). `cai eval` draws its principles the same way.
pub fn draw_principles<'c>(
    mode: ComparisonMode,
    ensemble_size: u32,
    principles: &[&'c ComparisonPrinciple],
    rng: &mut impl Rng,
) -> Vec<&'c ComparisonPrinciple> {
    if principles.is_empty() {
        return Vec::new();
    }
    match mode {
        ComparisonMode::Single | ComparisonMode::ChainOfThought => {
            vec![principles[rng.gen_range(0..principles.len())]]
        }
        ComparisonMode::Ensemble => {
            let k = (ensemble_size.max(1) as usize).min(principles.len());
            sample(rng, principles.len(), k)
                .into_iter()
                .map(|i| principles[i])
                .collect()
        }
    }
}

/// The two (source, text) candidates in their natural order, or `None` if there is nothing to
/// compare.
async fn candidate_pair(
    policy: &dyn Backend,
    constitution: &Constitution,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<Option<((String, String), (String, String))>, StageStop> {
    match constitution.settings.comparison.candidates {
        CandidatePair::InitialVsRevision => {
            let initial = record
                .initial
                .as_ref()
                .map(|r| r.text.clone())
                .ok_or_else(|| StageStop::Failed("no initial response to compare".to_string()))?;
            Ok(record.rounds.last().map(|last| {
                (
                    ("initial".to_string(), initial),
                    ("revision".to_string(), last.revision.text.clone()),
                )
            }))
        }
        CandidatePair::TwoSamples => {
            let mut messages = few_shot_messages(&constitution.examples);
            messages.push(ChatMessage::user(&record.prompt.text));
            let mut samples = Vec::with_capacity(2);
            for n in 1..=2u32 {
                ctx.check_cancelled()?;
                let sampling = response_sampling(constitution);
                let g = ctx
                    .generate(policy, &messages, sampling, Stage::Sample(n))
                    .await?;
                account(record, &g)?;
                samples.push((format!("sample-{n}"), g.text.trim().to_string()));
            }
            let second = samples.pop();
            let first = samples.pop();
            Ok(first.zip(second))
        }
    }
}

/// Asks one comparison principle (in one or both orders, through [`judge::ask_pair`]) and
/// records what it cost in the record.
async fn verdict(
    feedback: &dyn Backend,
    how: &HowToAsk,
    pair: &Candidates,
    principle: &ComparisonPrinciple,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<PrincipleVerdict, StageStop> {
    let transcript = transcript_of_prompt(&record.prompt.text);
    let question = PairQuestion {
        transcript: &transcript,
        question: &principle.question,
        a: &pair.a,
        b: &pair.b,
    };
    let v = ask_pair(feedback, how, &question, ctx).await?;
    for url in &v.served_by {
        note_server(record, Some(url));
    }
    record.generated_tokens = record.generated_tokens.saturating_add(v.generated_tokens);
    Ok(PrincipleVerdict {
        principle_id: principle.id.clone(),
        question: principle.question.clone(),
        p_a_forward: v.p_a_forward,
        p_a_swapped: v.p_a_swapped,
        p_a: v.p_a,
        reasoning: v.reasoning,
        floored: v.floored,
        temperature: how.temperature,
    })
}
