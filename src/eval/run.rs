//! Running an eval: every question of the known-answer sets asked of the feedback model in
//! every configuration, through the pipeline's judge, into the eval's own directory
//! ([`super::dir`]).
//!
//! An ask is one principle on one pair with the better answer in one position, in one or
//! both orders (or one written question); configurations that need the same ask share it (one
//! principle in one order is the first half of it in both), and running again skips the asks
//! already in the log, so an eval resumes where it stopped.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use futures::StreamExt;
use rand::Rng;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::config::EvalConfig;
use super::dir::{prepare_dir, read_answers, Answer, AskKey, EvalManifest, SetEntry, ANSWERS_FILE};
use super::sets::{Item, KnownAnswer};
use crate::constitution::{ComparisonMode, Constitution};
use crate::fsutil::{append_json_line, sha256_hex};
use crate::model::{Backend, ModelInfo};
use crate::pipeline::feedback::draw_principles;
use crate::pipeline::judge::{ask_pair, ask_written, HowToAsk, PairQuestion};
use crate::pipeline::stage::{record_rng, RngStream, StageContext, StageStop};

/// What to run.
pub struct EvalPlan {
    pub dir: PathBuf,
    /// Each set's entry and its questions.
    pub sets: Vec<(SetEntry, Vec<KnownAnswer>)>,
    pub constitution: Constitution,
    pub constitution_text: String,
    pub configs: Vec<EvalConfig>,
    pub as_written: bool,
    /// Asks in flight at once.
    pub in_flight: usize,
}

/// Progress of an eval.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalEvent {
    /// `todo` asks to go (`done` already in the log).
    Started { todo: usize, done: usize },
    /// One more ask is in the log.
    Asked { done: usize, todo: usize },
}

/// The asks each question needs under each configuration, in a fixed order.
pub fn plan_asks(plan: &EvalPlan) -> Vec<(String, AskKey)> {
    let principles = plan.constitution.enabled_comparisons();
    let settings = &plan.constitution.settings;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (_, items) in &plan.sets {
        for item in items {
            for key in asks_of(item, &plan.configs, plan.as_written, &principles, settings) {
                if seen.insert((item.id.clone(), key.clone())) {
                    out.push((item.id.clone(), key));
                }
            }
        }
    }
    out
}

/// The asks of one question under every configuration.
pub fn asks_of(
    item: &KnownAnswer,
    configs: &[EvalConfig],
    as_written: bool,
    principles: &[&crate::constitution::ComparisonPrinciple],
    settings: &crate::constitution::Settings,
) -> Vec<AskKey> {
    match &item.item {
        Item::Written { .. } => vec![AskKey::Written],
        Item::Pair {
            written: Some(_), ..
        } if as_written => vec![AskKey::Written],
        Item::Pair { .. } => configs
            .iter()
            .flat_map(|config| config_asks(&item.id, config, principles, settings))
            .collect(),
    }
}

/// The asks of one pair question under one configuration: the principles the pipeline's draw
/// gives it (or the named one), with the better answer first or second as the draw says.
pub fn config_asks(
    item_id: &str,
    config: &EvalConfig,
    principles: &[&crate::constitution::ComparisonPrinciple],
    settings: &crate::constitution::Settings,
) -> Vec<AskKey> {
    let mut rng = record_rng(settings.seed, item_id, RngStream::Feedback);
    let better_first = !rng.gen_bool(0.5);
    let chain_of_thought = config.mode == ComparisonMode::ChainOfThought;
    let ids: Vec<String> = match &config.principle {
        Some(id) => vec![id.clone()],
        None => draw_principles(
            config.mode,
            settings.comparison.ensemble_size,
            principles,
            &mut rng,
        )
        .into_iter()
        .map(|p| p.id.clone())
        .collect(),
    };
    ids.into_iter()
        .map(|principle| AskKey::Pair {
            principle,
            better_first,
            chain_of_thought,
        })
        .collect()
}

/// The eval's description for `plan` and the feedback model.
pub fn manifest(plan: &EvalPlan, feedback: ModelInfo) -> EvalManifest {
    EvalManifest {
        created_at: chrono::Utc::now().to_rfc3339(),
        sets: plan.sets.iter().map(|(e, _)| e.clone()).collect(),
        constitution_name: plan.constitution.name.clone(),
        constitution_sha256: sha256_hex(plan.constitution_text.as_bytes()),
        constitution_toml: plan.constitution_text.clone(),
        configs: plan.configs.clone(),
        as_written: plan.as_written,
        feedback_model: feedback,
        seed: plan.constitution.settings.seed,
        program_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Runs (or resumes) the eval: asks every ask not yet in the log, `plan.in_flight` at a time,
/// appending each answer as it comes. Returns every answer in the log.
pub async fn run_eval(
    plan: &EvalPlan,
    feedback: Arc<dyn Backend>,
    events: Option<UnboundedSender<EvalEvent>>,
    cancel: CancellationToken,
) -> anyhow::Result<Vec<Answer>> {
    let manifest = manifest(plan, feedback.info());
    prepare_dir(&plan.dir, &manifest)?;
    let answers = read_answers(&plan.dir)?;
    let done: HashSet<(String, AskKey)> = answers
        .iter()
        .map(|a| (a.item.clone(), a.ask.clone()))
        .collect();
    let todo: Vec<(String, AskKey)> = plan_asks(plan)
        .into_iter()
        .filter(|k| !done.contains(k))
        .collect();
    let emit = |e: EvalEvent| {
        if let Some(tx) = &events {
            let _ = tx.send(e);
        }
    };
    emit(EvalEvent::Started {
        todo: todo.len(),
        done: done.len(),
    });
    let items: HashMap<&str, &KnownAnswer> = plan
        .sets
        .iter()
        .flat_map(|(_, items)| items.iter().map(|k| (k.id.as_str(), k)))
        .collect();
    let both_orders = plan.configs.iter().any(|c| c.both_orders);
    let log = plan.dir.join(ANSWERS_FILE);
    let total = todo.len();
    let mut stream = futures::stream::iter(todo.into_iter().map(|(id, key)| {
        let feedback = feedback.clone();
        let item = items.get(id.as_str()).copied().cloned();
        let cancel = cancel.clone();
        let constitution = &plan.constitution;
        async move {
            let item = item.ok_or_else(|| anyhow::anyhow!("no question {id}"))?;
            ask(
                feedback.as_ref(),
                constitution,
                &item,
                &key,
                both_orders,
                cancel,
            )
            .await
        }
    }))
    .buffer_unordered(plan.in_flight.max(1));
    let mut asked = 0;
    while let Some(answer) = stream.next().await {
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) if cancel.is_cancelled() => {
                bail!("the eval was stopped ({e:#}); run it again to resume")
            }
            Err(e) => return Err(e),
        };
        append_json_line(&log, &answer).with_context(|| format!("writing {}", log.display()))?;
        asked += 1;
        emit(EvalEvent::Asked {
            done: asked,
            todo: total,
        });
    }
    drop(stream);
    // The answers as the log has them, so a report computed now equals one computed later.
    read_answers(&plan.dir)
}

/// Asks one ask of one question.
async fn ask(
    feedback: &dyn Backend,
    constitution: &Constitution,
    item: &KnownAnswer,
    key: &AskKey,
    both_orders: bool,
    cancel: CancellationToken,
) -> anyhow::Result<Answer> {
    let started = Instant::now();
    let (events, _) = tokio::sync::mpsc::unbounded_channel();
    let ctx = StageContext {
        prompt_id: &item.id,
        events: &events,
        cancel,
    };
    let failed = |stop: StageStop| anyhow::anyhow!("{}: {stop}", item.id);
    let mut answer = Answer {
        item: item.id.clone(),
        ask: key.clone(),
        p_a_forward: None,
        p_a_swapped: None,
        probabilities: Vec::new(),
        reasoning: None,
        floored: false,
        served_by: Vec::new(),
        seconds: 0.0,
    };
    match (key, &item.item) {
        (
            AskKey::Pair {
                principle,
                better_first,
                chain_of_thought,
            },
            Item::Pair {
                transcript,
                better,
                worse,
                ..
            },
        ) => {
            let question = constitution
                .enabled_comparisons()
                .into_iter()
                .find(|c| &c.id == principle)
                .map(|c| c.question.clone())
                .ok_or_else(|| anyhow::anyhow!("no comparison principle {principle}"))?;
            let (a, b) = if *better_first {
                (better, worse)
            } else {
                (worse, better)
            };
            let settings = &constitution.settings.comparison;
            let how = HowToAsk {
                chain_of_thought: *chain_of_thought,
                both_orders,
                clamp: [0.0, 1.0],
                max_reasoning_tokens: settings.max_reasoning_tokens,
                temperature: None,
            };
            let pair = PairQuestion {
                transcript,
                question: &question,
                a,
                b,
            };
            let v = ask_pair(feedback, &how, &pair, &ctx)
                .await
                .map_err(failed)?;
            answer.p_a_forward = Some(v.p_a_forward);
            answer.p_a_swapped = v.p_a_swapped;
            answer.reasoning = v.reasoning;
            answer.floored = v.floored;
            answer.served_by = v.served_by;
        }
        (AskKey::Written, item_kind) => {
            let (text, letters) = match item_kind {
                Item::Written { text, letters, .. } => (text.clone(), letters.clone()),
                Item::Pair {
                    written: Some((text, _)),
                    ..
                } => (text.clone(), vec!["A".to_string(), "B".to_string()]),
                Item::Pair { written: None, .. } => bail!("{}: no written question", item.id),
            };
            let options: Vec<&str> = letters.iter().map(String::as_str).collect();
            let scores = ask_written(feedback, &text, &options, &ctx)
                .await
                .map_err(failed)?;
            answer.probabilities = scores.probabilities;
            answer.floored = scores.floored;
            answer.served_by = scores.served_by.into_iter().collect();
        }
        (AskKey::Pair { .. }, Item::Written { .. }) => {
            bail!("{}: a written question has no pair to ask about", item.id)
        }
    }
    answer.seconds = started.elapsed().as_secs_f64();
    Ok(answer)
}
