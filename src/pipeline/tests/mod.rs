//! Pipeline tests on the scripted backend: a small constitution whose requests carry markers the
//! scripted rules recognise, and helpers to run records and collect events.

mod comparisons;
mod order;
mod repetition;
mod run;
mod supervised;

use std::sync::Arc;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio_util::sync::CancellationToken;

use super::events::PipelineEvent;
use super::runner::{run_record, RunOptions};
use crate::constitution::{ComparisonPrinciple, Constitution, FewShotExample, Principle, Settings};
use crate::data::{Prompt, Record};
use crate::model::scripted::ScriptedBackend;
use crate::model::Backend;
use crate::model::Models;

pub(super) const CRITIQUE_REPLY: &str = "The response could help someone cause harm.";
pub(super) const REVISION_REPLY: &str = "Sure, here is a revised response: A safer answer.";
pub(super) const REVISION_CLEAN: &str = "A safer answer.";

/// A constitution with `principles` critique principles `p1..`, `comparisons` comparison
/// principles `c1..` and one few-shot example.
pub(super) fn constitution(principles: usize, comparisons: usize) -> Constitution {
    Constitution {
        name: "test".to_string(),
        description: String::new(),
        settings: Settings {
            rounds: 3,
            ..Settings::default()
        },
        principles: (1..=principles)
            .map(|i| Principle {
                id: format!("p{i}"),
                critique: format!("CRITIQUE-REQUEST p{i}: how is the last response harmful?"),
                revision: format!("REVISION-REQUEST p{i}: rewrite it to remove harm."),
                enabled: true,
            })
            .collect(),
        comparisons: (1..=comparisons)
            .map(|i| ComparisonPrinciple {
                id: format!("c{i}"),
                question: format!("QUESTION c{i}: which response is less harmful?"),
                enabled: true,
            })
            .collect(),
        examples: vec![FewShotExample {
            prompt: "EXAMPLE-PROMPT".to_string(),
            response: "EXAMPLE-RESPONSE".to_string(),
            critique_request: "EXAMPLE-CRITIQUE-REQUEST".to_string(),
            critique: "EXAMPLE-CRITIQUE".to_string(),
            revision_request: "EXAMPLE-REVISION-REQUEST".to_string(),
            revision: "EXAMPLE-REVISION".to_string(),
        }],
    }
}

/// A policy that critiques and revises with the canned replies and echoes prompts otherwise.
pub(super) fn policy() -> ScriptedBackend {
    ScriptedBackend::new()
        .with_rule("CRITIQUE-REQUEST", CRITIQUE_REPLY)
        .with_rule("REVISION-REQUEST", REVISION_REPLY)
}

pub(super) fn models(policy: Arc<dyn Backend>, feedback: Arc<dyn Backend>) -> Models {
    Models { policy, feedback }
}

pub(super) fn prompts(n: usize) -> Vec<Prompt> {
    (0..n)
        .map(|i| Prompt::new(format!("How do I do risky thing number {i}?"), None))
        .collect()
}

/// Runs one record with the given models and returns it with every event it sent.
pub(super) async fn run_one(
    models: &Models,
    constitution: &Constitution,
    prompt: &Prompt,
    opts: &RunOptions,
) -> (Record, Vec<PipelineEvent>) {
    let (tx, mut rx) = unbounded_channel();
    let record = run_record(
        models,
        constitution,
        prompt,
        opts,
        &tx,
        CancellationToken::new(),
    )
    .await;
    drop(tx);
    (record, drain(&mut rx))
}

pub(super) fn drain(rx: &mut UnboundedReceiver<PipelineEvent>) -> Vec<PipelineEvent> {
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    events
}

pub(super) fn opts(concurrency: usize, compare: bool) -> RunOptions {
    RunOptions {
        concurrency,
        compare,
        rounds: None,
    }
}
