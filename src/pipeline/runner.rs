//! The runner: the whole pipeline for one prompt ([`run_record`]) and a run over many prompts
//! with a bounded number in flight ([`spawn_run`]).
//!
//! Each prompt gets a child of the run's cancellation token, so one prompt or the whole run can
//! be stopped. Finished records are handed to the [`RecordSink`] (the session log) one at a time,
//! and only once it has made a record durable is [`PipelineEvent::Finished`] sent: whatever a
//! front end shows as finished survives a crash.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::critique_revision::run_supervised;
use super::events::{PipelineEvent, RecordSink};
use super::feedback::run_feedback;
use super::stage::{blank_record, StageContext, StageStop};
use crate::constitution::Constitution;
use crate::data::{Prompt, Record, RecordStatus};

use crate::model::Models;

/// Prompts in flight by default with the in-process model: one. Since mistralrs-core 0018 to
/// 0021 the engine runs prompts of mixed lengths in flight without failures, with answers equal
/// to those alone and memory bounded, but on 2 cores it gives no more tokens per second: over 8
/// prompts of mixed lengths `cai bench --in-flight 1,2,4,8 --repeat 2` gave 43.9, 42.5, 41.8 and
/// 40.6 tokens/s (peak 1.6, 1.8, 1.8 and 2.2 GB), and `cai eval` 1.07 s a question at 1 and at
/// 4 (README, Headless). One at a time also keeps sampled answers reproducible: the engine
/// draws every request's samples from one random generator, so with several in flight they
/// depend on how the requests interleave. Server models default to their endpoints' limits.
pub const DEFAULT_CONCURRENCY: usize = 1;

/// The most prompts a run keeps in flight, whatever it is asked for (a semaphore takes no
/// more than a few billion permits, and no machine runs more prompts at once).
pub const MAX_CONCURRENCY: usize = 4096;

/// Prompts (or questions) in flight when none is asked for: the largest in-flight limit of the
/// backends' servers, or [`DEFAULT_CONCURRENCY`] for models in process. `cai run`, `cai ab`,
/// `cai eval` and the workbench's first run setting all start here.
pub fn default_in_flight(backends: &[&dyn crate::model::Backend]) -> usize {
    backends
        .iter()
        .filter_map(|b| b.capacity())
        .max()
        .unwrap_or(DEFAULT_CONCURRENCY)
        .clamp(1, MAX_CONCURRENCY)
}

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Most prompts in flight at once (0 is treated as 1).
    pub concurrency: usize,
    /// Run the feedback stage after the rounds.
    pub compare: bool,
    /// Overrides the constitution's number of rounds.
    pub rounds: Option<u32>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 1,
            compare: true,
            rounds: None,
        }
    }
}

/// What a run produced, counted over the records stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub generated_tokens: u64,
    /// Wall seconds of the whole run.
    pub seconds: f64,
    /// Why the run stopped early, if it did (e.g. the record sink failed).
    pub error: Option<String>,
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339()
}

/// Runs the whole pipeline for one prompt: supervised rounds, then (if `opts.compare`) the
/// feedback stage. Never panics: errors become [`RecordStatus::Failed`], cancellation becomes
/// [`RecordStatus::Cancelled`] with the partial text produced so far kept in the record. The
/// finished record carries its quality flags.
pub async fn run_record(
    models: &Models,
    constitution: &Constitution,
    prompt: &Prompt,
    opts: &RunOptions,
    events: &UnboundedSender<PipelineEvent>,
    cancel: CancellationToken,
) -> Record {
    let started = Instant::now();
    let mut record = blank_record(prompt.clone(), now_rfc3339());
    let _ = events.send(PipelineEvent::Started {
        prompt_id: prompt.id.clone(),
    });
    let ctx = StageContext {
        prompt_id: &prompt.id,
        events,
        cancel,
    };
    let rounds = opts.rounds.unwrap_or(constitution.settings.rounds);
    let stages = async {
        run_supervised(
            models.policy.as_ref(),
            constitution,
            rounds,
            &mut record,
            &ctx,
        )
        .await?;
        if opts.compare {
            let (policy, feedback) = (models.policy.as_ref(), models.feedback.as_ref());
            run_feedback(policy, feedback, constitution, &mut record, &ctx).await?;
        }
        Ok::<(), StageStop>(())
    };
    let outcome = AssertUnwindSafe(stages).catch_unwind().await;
    record.status = match outcome {
        Ok(Ok(())) => RecordStatus::Done,
        Ok(Err(StageStop::Cancelled)) => RecordStatus::Cancelled,
        Ok(Err(StageStop::Failed(reason))) => RecordStatus::Failed(reason),
        Err(panic) => RecordStatus::Failed(format!("internal error: {}", panic_text(&panic))),
    };
    record.finished_at = now_rfc3339();
    record.seconds = started.elapsed().as_secs_f64();
    let tie_margin = f64::from(constitution.settings.comparison.tie_margin);
    record.flags = Some(crate::quality::flag_record(&record, tie_margin));
    record
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a stage panicked".to_string())
}

/// A running batch of prompts.
pub struct RunHandle {
    root: CancellationToken,
    tokens: Arc<HashMap<String, CancellationToken>>,
    task: JoinHandle<RunSummary>,
}

impl RunHandle {
    /// Cancels one prompt: a running one stops and is recorded as cancelled with its partial
    /// text; one not started yet is skipped and not recorded. Unknown ids are ignored.
    pub fn cancel(&self, prompt_id: &str) {
        if let Some(token) = self.tokens.get(prompt_id) {
            token.cancel();
        }
    }

    /// A token that cancels the whole run when cancelled (e.g. from a Ctrl+C handler).
    pub fn canceller(&self) -> CancellationToken {
        self.root.clone()
    }

    /// Cancels the whole run: running prompts stop (and are recorded as cancelled), prompts not
    /// started yet are never started and not recorded.
    pub fn cancel_all(&self) {
        self.root.cancel();
    }

    /// Whether the run has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the run to end and returns its summary.
    pub async fn wait(self) -> RunSummary {
        match self.task.await {
            Ok(summary) => summary,
            Err(e) => RunSummary {
                error: Some(format!("the run stopped unexpectedly: {e}")),
                ..RunSummary::default()
            },
        }
    }
}

/// Starts a run over `prompts` on the current tokio runtime: at most `opts.concurrency` prompts
/// in flight, each finished record stored through `sink` (if any) before
/// [`PipelineEvent::Finished`] is sent, and [`PipelineEvent::RunFinished`] at the end. If the
/// sink fails, the run is cancelled, nothing more is stored, and the summary's `error` says why.
pub fn spawn_run(
    models: Models,
    constitution: Arc<Constitution>,
    prompts: Vec<Prompt>,
    opts: RunOptions,
    sink: Option<Arc<dyn RecordSink>>,
    events: UnboundedSender<PipelineEvent>,
) -> RunHandle {
    let root = CancellationToken::new();
    let mut tokens = HashMap::new();
    for prompt in &prompts {
        tokens
            .entry(prompt.id.clone())
            .or_insert_with(|| root.child_token());
    }
    let tokens = Arc::new(tokens);
    let run = Run {
        models,
        constitution,
        opts: Arc::new(opts),
        sink,
        events,
        root: root.clone(),
    };
    let task = tokio::spawn(run.drive(prompts, tokens.clone()));
    RunHandle { root, tokens, task }
}

/// Everything a run's driver task shares with its prompt tasks.
struct Run {
    models: Models,
    constitution: Arc<Constitution>,
    opts: Arc<RunOptions>,
    sink: Option<Arc<dyn RecordSink>>,
    events: UnboundedSender<PipelineEvent>,
    root: CancellationToken,
}

impl Run {
    /// mistral.rs keeps a request's tokens in its prefix cache only once the request has
    /// finished, so prompts started together would all prefill the shared few-shot examples
    /// from scratch. One short request with just that prefix first lets every later one reuse
    /// it (measured: first token after ~7.5 s cold, ~0.4 s cached, for 357 tokens). Best effort:
    /// a failure here only costs speed.
    async fn warm_prefix_cache(&self) {
        if self.constitution.examples.is_empty() {
            return;
        }
        let mut messages =
            crate::pipeline::critique_revision::few_shot_messages(&self.constitution.examples);
        messages.push(crate::model::ChatMessage::user("Hello."));
        let warm = self.models.policy.chat(
            &messages,
            crate::model::Sampling::greedy(1),
            None,
            self.root.child_token(),
        );
        if let Err(e) = warm.await {
            tracing::debug!("prefix-cache warm-up failed: {e}");
        }
    }

    async fn drive(
        self,
        prompts: Vec<Prompt>,
        tokens: Arc<HashMap<String, CancellationToken>>,
    ) -> RunSummary {
        let started = Instant::now();
        if prompts.len() > 1 {
            self.warm_prefix_cache().await;
        }
        let in_flight = self.opts.concurrency.clamp(1, MAX_CONCURRENCY);
        let semaphore = Arc::new(Semaphore::new(in_flight));
        let mut tasks = JoinSet::new();
        let mut previous: Option<oneshot::Receiver<()>> = None;
        for prompt in prompts {
            let token = tokens
                .get(&prompt.id)
                .cloned()
                .unwrap_or_else(|| self.root.child_token());
            let (models, constitution) = (self.models.clone(), self.constitution.clone());
            let (opts, events, semaphore) =
                (self.opts.clone(), self.events.clone(), semaphore.clone());
            let (queued, next) = oneshot::channel::<()>();
            let turn = previous.replace(next);
            tasks.spawn(async move {
                // Prompts queue for a slot in the order given (each once the one before has
                // its slot, or gave up), so that the same prompts reach the engine, and its
                // one shared random generator, in the same order in every run.
                if let Some(turn) = turn {
                    tokio::select! {
                        biased;
                        _ = token.cancelled() => return None,
                        _ = turn => {}
                    }
                }
                // Wait for a slot; a prompt cancelled while waiting is never started.
                let permit = tokio::select! {
                    biased;
                    _ = token.cancelled() => return None,
                    permit = semaphore.acquire_owned() => permit.ok()?,
                };
                drop(queued);
                if token.is_cancelled() {
                    return None;
                }
                let record = run_record(&models, &constitution, &prompt, &opts, &events, token);
                let record = record.await;
                drop(permit);
                Some(record)
            });
        }

        let mut summary = RunSummary::default();
        while let Some(joined) = tasks.join_next().await {
            let record = match joined {
                Ok(Some(record)) => record,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!("a prompt task ended abnormally: {e}");
                    summary.failed += 1;
                    continue;
                }
            };
            if summary.error.is_some() {
                continue; // The sink is broken: nothing more can be stored.
            }
            if let Err(e) = self.store(&record).await {
                summary.error = Some(format!(
                    "could not store the record of prompt {}: {e}; the run was stopped",
                    record.prompt.id
                ));
                self.root.cancel();
                continue;
            }
            match record.status {
                RecordStatus::Done => summary.done += 1,
                RecordStatus::Failed(_) => summary.failed += 1,
                RecordStatus::Cancelled => summary.cancelled += 1,
            }
            summary.generated_tokens += u64::from(record.generated_tokens);
            let _ = self.events.send(PipelineEvent::Finished {
                record: Box::new(record),
            });
        }
        summary.seconds = started.elapsed().as_secs_f64();
        let _ = self.events.send(PipelineEvent::RunFinished {
            done: summary.done,
            failed: summary.failed,
            cancelled: summary.cancelled,
        });
        summary
    }

    /// Makes a record durable through the sink (on a blocking thread: it may fsync).
    async fn store(&self, record: &Record) -> Result<(), String> {
        let Some(sink) = self.sink.clone() else {
            return Ok(());
        };
        let record = record.clone();
        match tokio::task::spawn_blocking(move || sink.record_finished(&record)).await {
            Ok(result) => result,
            Err(e) => Err(format!("the record writer stopped unexpectedly: {e}")),
        }
    }
}
