//! `cai run`: prompts through the pipeline into a session, headless. A progress bar on a
//! terminal, plain lines otherwise; Ctrl+C stops cleanly (finished records are already durable)
//! and running again on the same session resumes with the prompts not yet done.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::args::RunArgs;
use crate::data::RecordStatus;
use crate::model::Models;
use crate::pipeline::runner::{spawn_run, RunOptions};
use crate::pipeline::PipelineEvent;
use crate::prompts::load_prompts;
use crate::session::{RunManifest, Session, SessionWriter, MANIFEST_FILE};

/// What a run did, for the closing line and for scripts.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub already_done: usize,
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub generated_tokens: u64,
    pub seconds: f64,
    /// Requests each server endpoint served (empty in process).
    pub endpoints: Vec<crate::model::EndpointUsage>,
}

impl RunReport {
    /// One line: counts, wall time, seconds per prompt and tokens per second; then, with
    /// inference servers, one line per endpoint.
    pub fn summary(&self) -> String {
        let ran = (self.done + self.failed + self.cancelled).max(1);
        format!(
            "{} done, {} failed, {} cancelled ({} already done); {:.1} s wall, {:.1} s/prompt, {} tokens, {:.1} tokens/s",
            self.done,
            self.failed,
            self.cancelled,
            self.already_done,
            self.seconds,
            self.seconds / ran as f64,
            self.generated_tokens,
            self.generated_tokens as f64 / self.seconds.max(1e-9)
        ) + &self
            .endpoints
            .iter()
            .map(|e| {
                format!(
                    "\nendpoint {}: {} requests served, {} failed{}",
                    e.endpoint,
                    e.served,
                    e.failed,
                    if e.set_aside { " (set aside)" } else { "" }
                )
            })
            .collect::<String>()
    }
}

/// Runs `cai run`. Invalid input is reported before any model is loaded.
pub async fn run(args: &RunArgs) -> anyhow::Result<RunReport> {
    let (mut constitution, constitution_text) = crate::cli::load_constitution(&args.constitution)?;
    if let Some(r) = args.rounds {
        constitution.settings.rounds = r;
    }
    if args.no_repetition_controls {
        constitution.settings.repetition = crate::constitution::RepetitionSettings::off();
    }
    if args.compare && !constitution.comparisons.iter().any(|c| c.enabled) {
        bail!(
            "{}: the constitution `{}` has no comparison principles, so --compare has nothing to ask the feedback model\n  fix: add [[comparisons]] to it (constitutions/harmless.toml has examples), or run without --compare and export with --revision-pairs",
            args.constitution.display(),
            constitution.name
        );
    }
    let mut prompts =
        load_prompts(&args.prompts).map_err(|e| crate::cli::BadInput(e.to_string()))?;

    if let Some(n) = args.limit {
        prompts.truncate(n);
    }
    // Refuse a session made with another constitution before any model loads (the models are
    // checked against it too, once loaded).
    if args.session.join(MANIFEST_FILE).exists() {
        let made_with = crate::session::store::read_manifest(&args.session)?;
        let sha = crate::fsutil::sha256_hex(constitution_text.as_bytes());
        if let Err(mismatch) = made_with.check_constitution(&constitution.name, &sha) {
            return Err(crate::session::SessionError::Mismatch {
                dir: args.session.clone(),
                mismatch,
            }
            .into());
        }
    }

    // A model file named on the command line is checked before anything is created.
    let (_, plan) = crate::cli::models::plan(&args.models, Some(&args.constitution))?;
    for spec in [&plan.policy, &plan.feedback] {
        if let crate::model::profiles::ModelSpec::Local(path) = spec {
            if !path.to_string_lossy().starts_with("hf:") {
                crate::model::gguf::inspect(path)
                    .map_err(|e| crate::cli::BadInput(e.to_string()))?;
            }
        }
    }
    let loaded =
        crate::model::loader::load_plan(&plan, args.compare, &|line| eprintln!("{line}")).await?;

    let run_manifest = RunManifest {
        constitution: &constitution,
        constitution_text: &constitution_text,
        constitution_path: Some(&args.constitution),
        prompts_path: Some(&args.prompts),
        policy: loaded.policy.info(),
        feedback: loaded.feedback.info(),
    }
    .manifest(&args.session);
    let session = Session::open_for_run(&args.session, run_manifest)
        .with_context(|| format!("opening session {}", args.session.display()))?;
    let finished = session.state().finished_ids();
    let total = prompts.len();
    let todo: Vec<_> = prompts
        .into_iter()
        .filter(|p| !finished.contains(&p.id))
        .collect();
    let mut report = RunReport {
        already_done: total - todo.len(),
        ..RunReport::default()
    };
    if report.already_done > 0 {
        eprintln!(
            "resuming {}: {} of {} prompts already done",
            args.session.display(),
            report.already_done,
            total
        );
    }
    if todo.is_empty() {
        return Ok(report);
    }

    let sink = Arc::new(SessionWriter::new(session));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (served, judged) = (loaded.policy.clone(), loaded.feedback.clone());
    let models = Models {
        policy: loaded.policy,
        feedback: loaded.feedback,
    };
    let concurrency = args.concurrency.unwrap_or_else(|| {
        crate::pipeline::runner::default_in_flight(&[&*models.policy, &*models.feedback])
    });
    let opts = RunOptions {
        concurrency: concurrency.max(1),
        compare: args.compare,
        rounds: args.rounds,
    };
    let started = Instant::now();
    let handle = spawn_run(
        models,
        Arc::new(constitution),
        todo.clone(),
        opts,
        Some(sink),
        tx,
    );
    let canceller = handle.canceller();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nstopping: finished records are kept; run again to resume");
            canceller.cancel();
        }
    });

    let bar = progress_bar(todo.len());
    let mut streamed_pieces = 0u64;
    // The bar shows two rates: text pieces streamed so far (a piece is usually a token, but the
    // stream may join or split them), and the tokens the model counted for finished records.
    let rates = |pieces: u64, tokens: u64| {
        let seconds = started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "{:.1} pieces/s streamed, {:.1} tokens/s in finished records",
            pieces as f64 / seconds,
            tokens as f64 / seconds
        )
    };
    while let Some(event) = rx.recv().await {
        match event {
            PipelineEvent::Token { .. } => {
                streamed_pieces += 1;
                if let Some(bar) = &bar {
                    bar.set_message(rates(streamed_pieces, report.generated_tokens));
                }
            }
            PipelineEvent::Finished { record } => {
                report.generated_tokens += record.generated_tokens as u64;
                match &record.status {
                    RecordStatus::Done => report.done += 1,
                    RecordStatus::Failed(_) => report.failed += 1,
                    RecordStatus::Cancelled => report.cancelled += 1,
                }
                let line = record_line(&record);
                match &bar {
                    Some(bar) => {
                        bar.println(line);
                        bar.inc(1);
                    }
                    None => println!("{line}"),
                }
            }
            PipelineEvent::RunFinished { .. } => break,
            _ => {}
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = handle.wait().await;
    report.seconds = started.elapsed().as_secs_f64();
    report.endpoints = served.endpoint_usage();
    if !Arc::ptr_eq(&served, &judged) {
        report.endpoints.extend(judged.endpoint_usage());
    }
    // A record that could not be stored (a full disk) stops the run: say so, and fail.
    if let Some(error) = summary.error {
        bail!(
            "{error}\n  {}\n  fix: make room (or write access) and run the same command again: \
             finished records are kept and not redone",
            report.summary()
        );
    }
    Ok(report)
}

fn progress_bar(len: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} prompts  {elapsed_precise}  eta {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// One plain line per finished record.
fn record_line(record: &crate::data::Record) -> String {
    let status = match &record.status {
        RecordStatus::Done => "done".to_string(),
        RecordStatus::Failed(e) => format!("failed: {e}"),
        RecordStatus::Cancelled => "cancelled".to_string(),
    };
    let evasive = record
        .rounds
        .last()
        .map(|r| r.revision.evasive)
        .unwrap_or(false);
    let p = record
        .comparison
        .as_ref()
        .map(|c| format!(" p_a={:.2}", c.p_a))
        .unwrap_or_default();
    format!(
        "{} {} rounds={} tokens={} {:.1}s{}{}",
        record.prompt.id,
        status,
        record.rounds.len(),
        record.generated_tokens,
        record.seconds,
        if evasive { " evasive" } else { "" },
        p
    )
}
