//! The runner: concurrency, cancellation, failures, and the sink-before-event guarantee.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::*;
use crate::data::FinishReason;
use crate::data::RecordStatus;
use crate::model::scripted::shared;
use crate::model::{ChatMessage, Generation, ModelError, ModelInfo, Sampling, TokenSink};
use crate::pipeline::events::{RecordSink, Stage};
use crate::pipeline::runner::{spawn_run, RunHandle, RunSummary};

/// Stores record ids, announcing each store on the event channel so tests can check ordering.
struct MarkingSink {
    events: UnboundedSender<PipelineEvent>,
    stored: Mutex<Vec<String>>,
    fail: bool,
}

impl RecordSink for MarkingSink {
    fn record_finished(&self, record: &Record) -> Result<(), String> {
        if self.fail {
            return Err("disk full".to_string());
        }
        self.stored.lock().unwrap().push(record.prompt.id.clone());
        let _ = self.events.send(PipelineEvent::Token {
            prompt_id: record.prompt.id.clone(),
            stage: Stage::Comparison,
            text: "<stored>".to_string(),
        });
        Ok(())
    }
}

/// Collects all events of a run until RunFinished (which must come last).
async fn collect(
    handle: RunHandle,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<PipelineEvent>,
) -> (RunSummary, Vec<PipelineEvent>) {
    let summary = handle.wait().await;
    let events = drain(&mut rx);
    assert!(
        matches!(events.last(), Some(PipelineEvent::RunFinished { .. })),
        "RunFinished last"
    );
    (summary, events)
}

fn finished(events: &[PipelineEvent]) -> Vec<&Record> {
    events
        .iter()
        .filter_map(|e| match e {
            PipelineEvent::Finished { record } => Some(record.as_ref()),
            _ => None,
        })
        .collect()
}

/// Runs `prompts` and returns, per prompt id, the drawn principles and comparison setup.
async fn draws(concurrency: usize) -> HashMap<String, (Vec<String>, Vec<String>, String)> {
    let (_, policy) = shared(super::policy().with_token_delay(Duration::from_millis(1)));
    let (_, feedback) = shared(ScriptedBackend::new());
    let (tx, rx) = unbounded_channel();
    let c = Arc::new(constitution(5, 4));
    let handle = spawn_run(
        models(policy, feedback),
        c,
        prompts(6),
        opts(concurrency, true),
        None,
        tx,
    );
    let (summary, events) = collect(handle, rx).await;
    assert_eq!(summary.done, 6);
    finished(&events)
        .into_iter()
        .map(|r| {
            let rounds = r.rounds.iter().map(|x| x.principle_id.clone()).collect();
            let cmp = r.comparison.as_ref().unwrap();
            let verdicts = cmp
                .verdicts
                .iter()
                .map(|v| v.principle_id.clone())
                .collect();
            (
                r.prompt.id.clone(),
                (rounds, verdicts, cmp.a_source.clone()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draws_do_not_depend_on_concurrency() {
    let sequential = draws(1).await;
    let parallel = draws(4).await;
    assert_eq!(sequential.len(), 6);
    assert_eq!(sequential, parallel);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_bound_is_respected() {
    let (backend, policy) = shared(super::policy().with_token_delay(Duration::from_millis(2)));
    let (tx, rx) = unbounded_channel();
    let c = Arc::new(constitution(2, 0));
    let handle = spawn_run(
        models(policy.clone(), policy),
        c,
        prompts(8),
        opts(3, false),
        None,
        tx,
    );
    let (summary, events) = collect(handle, rx).await;
    assert_eq!((summary.done, summary.failed, summary.cancelled), (8, 0, 0));
    assert_eq!(finished(&events).len(), 8);
    assert!(
        backend.max_in_flight() <= 3,
        "max in flight {}",
        backend.max_in_flight()
    );
    assert!(backend.max_in_flight() >= 2, "prompts did run concurrently");
    let total: u64 = finished(&events)
        .iter()
        .map(|r| u64::from(r.generated_tokens))
        .sum();
    assert_eq!(summary.generated_tokens, total);
}

#[tokio::test]
async fn cancelling_mid_stream_keeps_partial_text() {
    let long = (0..40)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let slow = super::policy()
        .with_rule("risky", long.clone())
        .with_token_delay(Duration::from_millis(10));
    let (_, policy) = shared(slow);
    let (tx, mut rx) = unbounded_channel();
    let prompt = prompts(1).remove(0);
    let c = Arc::new(constitution(1, 1));
    let handle = spawn_run(
        models(policy.clone(), policy),
        c,
        vec![prompt.clone()],
        opts(1, true),
        None,
        tx,
    );
    // Cancel once a few tokens of the initial response have streamed.
    let mut seen = 0;
    while let Some(event) = rx.recv().await {
        if matches!(
            event,
            PipelineEvent::Token {
                stage: Stage::Initial,
                ..
            }
        ) {
            seen += 1;
            if seen == 3 {
                handle.cancel(&prompt.id);
                break;
            }
        }
    }
    let (summary, events) = collect(handle, rx).await;
    assert_eq!((summary.done, summary.cancelled), (0, 1));
    let record = finished(&events)[0];
    assert_eq!(record.status, RecordStatus::Cancelled);
    let initial = record.initial.as_ref().expect("partial initial kept");
    assert_eq!(initial.finish, FinishReason::Cancelled);
    assert!(
        initial.text.starts_with("w0 w1 w2"),
        "partial text: {}",
        initial.text
    );
    assert!(initial.text.len() < long.len());
    assert!(record.rounds.is_empty() && record.comparison.is_none());
}

#[tokio::test]
async fn cancel_all_stops_starting_prompts() {
    let slow = super::policy().with_token_delay(Duration::from_millis(10));
    let (_, policy) = shared(slow);
    let (tx, mut rx) = unbounded_channel();
    let sink = Arc::new(MarkingSink {
        events: tx.clone(),
        stored: Mutex::new(Vec::new()),
        fail: false,
    });
    let c = Arc::new(constitution(1, 0));
    let handle = spawn_run(
        models(policy.clone(), policy),
        c,
        prompts(4),
        opts(1, false),
        Some(sink.clone()),
        tx,
    );
    while let Some(event) = rx.recv().await {
        if matches!(event, PipelineEvent::Token { .. }) {
            handle.cancel_all();
            break;
        }
    }
    let (summary, events) = collect(handle, rx).await;
    assert_eq!((summary.done, summary.failed, summary.cancelled), (0, 0, 1));
    assert_eq!(
        finished(&events).len(),
        1,
        "prompts never started are not recorded"
    );
    assert_eq!(sink.stored.lock().unwrap().len(), 1);
    let started = events
        .iter()
        .filter(|e| matches!(e, PipelineEvent::Started { .. }))
        .count();
    assert_eq!(started, 0, "no other prompt started after the cancel");
}

#[tokio::test]
async fn backend_failure_becomes_failed_record() {
    let (_, policy) = shared(super::policy().failing_when("CRITIQUE-REQUEST"));
    let (tx, rx) = unbounded_channel();
    let c = Arc::new(constitution(1, 0));
    let handle = spawn_run(
        models(policy.clone(), policy),
        c,
        prompts(2),
        opts(2, false),
        None,
        tx,
    );
    let (summary, events) = collect(handle, rx).await;
    assert_eq!((summary.done, summary.failed), (0, 2));
    for record in finished(&events) {
        match &record.status {
            RecordStatus::Failed(reason) => assert!(reason.contains("scripted failure")),
            other => panic!("expected failure, got {other:?}"),
        }
        assert!(record.initial.is_some(), "the initial response is kept");
    }
}

#[tokio::test]
async fn records_reach_the_sink_before_finished_is_sent() {
    let (_, policy) = shared(super::policy());
    let (tx, rx) = unbounded_channel();
    let sink = Arc::new(MarkingSink {
        events: tx.clone(),
        stored: Mutex::new(Vec::new()),
        fail: false,
    });
    let c = Arc::new(constitution(1, 1));
    let handle = spawn_run(
        models(policy.clone(), policy),
        c,
        prompts(3),
        opts(2, true),
        Some(sink.clone()),
        tx,
    );
    let (summary, events) = collect(handle, rx).await;
    assert_eq!(summary.done, 3);
    assert_eq!(sink.stored.lock().unwrap().len(), 3);
    for (i, event) in events.iter().enumerate() {
        if let PipelineEvent::Finished { record } = event {
            let marked = events[..i].iter().any(|e| {
                matches!(
                    e,
                    PipelineEvent::Token { prompt_id, text, .. }
                        if *prompt_id == record.prompt.id && text == "<stored>"
                )
            });
            assert!(marked, "record {} stored before Finished", record.prompt.id);
        }
    }
    assert!(matches!(
        events.last(),
        Some(PipelineEvent::RunFinished {
            done: 3,
            failed: 0,
            cancelled: 0
        })
    ));
}

#[tokio::test]
async fn sink_failure_ends_the_run_clearly() {
    let (_, policy) = shared(super::policy().with_token_delay(Duration::from_millis(1)));
    let (tx, rx) = unbounded_channel();
    let sink = Arc::new(MarkingSink {
        events: tx.clone(),
        stored: Mutex::new(Vec::new()),
        fail: true,
    });
    let c = Arc::new(constitution(1, 0));
    let handle = spawn_run(
        models(policy.clone(), policy),
        c,
        prompts(5),
        opts(1, false),
        Some(sink),
        tx,
    );
    let (summary, events) = collect(handle, rx).await;
    let error = summary.error.expect("the run reports the sink failure");
    assert!(
        error.contains("could not store") && error.contains("disk full"),
        "{error}"
    );
    assert!(
        finished(&events).is_empty(),
        "nothing announced that was not stored"
    );
    assert_eq!(summary.done, 0);
}

/// A backend that panics, to show a record never takes the run down.
struct PanickingBackend;

#[async_trait]
impl crate::model::Backend for PanickingBackend {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            id: "panicking".to_string(),
            path: None,
            sha256: None,
            server: None,
        }
    }
    async fn chat(
        &self,
        _: &[ChatMessage],
        _: Sampling,
        _: Option<TokenSink>,
        _: tokio_util::sync::CancellationToken,
    ) -> Result<Generation, ModelError> {
        panic!("model exploded")
    }
    async fn option_probabilities(
        &self,
        _: &[ChatMessage],
        _: &str,
        _: &[&str],
    ) -> Result<Vec<f64>, ModelError> {
        panic!("model exploded")
    }
}

#[tokio::test]
async fn a_panicking_backend_gives_a_failed_record() {
    let backend: Arc<dyn crate::model::Backend> = Arc::new(PanickingBackend);
    let (record, _) = run_one(
        &models(backend.clone(), backend),
        &constitution(1, 0),
        &prompts(1)[0],
        &opts(1, false),
    )
    .await;
    assert!(matches!(&record.status, RecordStatus::Failed(r) if r.contains("model exploded")));
}
