//! The calls the workbench makes into the core that need more than one line (runs, tries,
//! the session log, export), gathered here so the views depend on one small surface.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::constitution::Constitution;
use crate::export::{ExportOptions, ExportSummary};
use crate::model::ChatMessage;
use crate::pipeline::critique_revision::{few_shot_messages, response_sampling, try_principle};
use crate::pipeline::runner::{spawn_run, RunHandle, RunOptions};
use crate::pipeline::{PipelineEvent, Prompt, Record, RecordSink, Stage};
use crate::session::{Manifest, Review, Session, SessionWriter, SharedSession, MANIFEST_FILE};

/// The loaded policy and feedback models.
pub use crate::model::Models;

/// Controls a run in progress.
pub struct RunControl {
    handle: Option<RunHandle>,
    cancel: CancellationToken,
}

impl RunControl {
    /// Cancels one prompt of the run (the partial text is kept, marked cancelled).
    pub fn cancel(&self, prompt_id: &str) {
        match &self.handle {
            Some(handle) => handle.cancel(prompt_id),
            None => self.cancel.cancel(),
        }
    }
    /// Cancels the whole run.
    pub fn cancel_all(&self) {
        match &self.handle {
            Some(handle) => handle.cancel_all(),
            None => self.cancel.cancel(),
        }
    }
}

/// Starts running prompts through critique/revision (and feedback, if `opts.compare`), up to
/// `opts.concurrency` at once; progress arrives on
/// `events`, and each finished record is made durable in the session (created on first use,
/// with `constitution_text`, the file's text, as its snapshot).
pub fn start_run(
    models: Models,
    (constitution, constitution_text): (Arc<Constitution>, &str),
    prompts: Vec<Prompt>,
    opts: RunOptions,
    session: &mut SessionLink,
    events: UnboundedSender<PipelineEvent>,
) -> Result<RunControl, String> {
    let shared = session.ensure(&constitution, constitution_text, &models)?;
    let sink: Arc<dyn RecordSink> = Arc::new(SessionWriter(shared));
    let handle = spawn_run(models, constitution, prompts, opts, Some(sink), events);
    let cancel = handle.canceller();
    Ok(RunControl {
        handle: Some(handle),
        cancel,
    })
}

/// Tries one principle on one prompt: the given response (or a fresh initial response, streamed
/// as `Stage::Initial`), then one critique and one revision, streamed; ends with one
/// `RunFinished` counting the try as done, failed or cancelled.
pub fn start_try(
    models: Models,
    constitution: Arc<Constitution>,
    principle_id: &str,
    prompt: Prompt,
    response: Option<String>,
    events: UnboundedSender<PipelineEvent>,
) -> Result<RunControl, String> {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let principle_id = principle_id.to_string();
    tokio::spawn(async move {
        let policy = models.policy.clone();
        let response = match response {
            Some(text) => text,
            None => {
                match initial_response(&*policy, &constitution, &prompt, &events, token.clone())
                    .await
                {
                    Ok(text) => text,
                    Err(e) => {
                        fail(&events, &prompt.id, e);
                        let cancelled = token.is_cancelled();
                        let _ = events.send(PipelineEvent::RunFinished {
                            done: 0,
                            failed: usize::from(!cancelled),
                            cancelled: usize::from(cancelled),
                        });
                        return;
                    }
                }
            }
        };
        let result = try_principle(
            &*policy,
            &constitution,
            &principle_id,
            &prompt,
            &response,
            &events,
            token.clone(),
        )
        .await;
        if let Err(e) = &result {
            fail(&events, &prompt.id, e.to_string());
        }
        let cancelled = token.is_cancelled();
        let _ = events.send(PipelineEvent::RunFinished {
            done: usize::from(result.is_ok() && !cancelled),
            failed: usize::from(result.is_err() && !cancelled),
            cancelled: usize::from(cancelled),
        });
    });
    Ok(RunControl {
        handle: None,
        cancel,
    })
}

fn fail(events: &UnboundedSender<PipelineEvent>, prompt_id: &str, message: String) {
    let _ = events.send(PipelineEvent::StageFinished {
        prompt_id: prompt_id.to_string(),
        stage: Stage::Comparison,
        text: format!("failed: {message}"),
    });
}

/// A fresh initial response for a prompt, streamed as `Stage::Initial`.
async fn initial_response(
    policy: &dyn crate::model::Backend,
    constitution: &Constitution,
    prompt: &Prompt,
    events: &UnboundedSender<PipelineEvent>,
    cancel: CancellationToken,
) -> Result<String, String> {
    let mut messages = few_shot_messages(&constitution.examples);
    messages.push(ChatMessage::user(prompt.text.clone()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let forward_events = events.clone();
    let id = prompt.id.clone();
    let _ = events.send(PipelineEvent::StageStarted {
        prompt_id: id.clone(),
        stage: Stage::Initial,
    });
    let forwarder = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            let _ = forward_events.send(PipelineEvent::Token {
                prompt_id: id.clone(),
                stage: Stage::Initial,
                text,
            });
        }
    });
    let generation = policy
        .chat(&messages, response_sampling(constitution), Some(tx), cancel)
        .await
        .map_err(|e| e.to_string())?;
    let _ = forwarder.await;
    let _ = events.send(PipelineEvent::StageFinished {
        prompt_id: prompt.id.clone(),
        stage: Stage::Initial,
        text: generation.text.clone(),
    });
    Ok(generation.text)
}

/// The session the workbench writes to: records and review decisions. It is opened if the
/// directory holds one, else created when the first run starts. When another program is
/// writing it (it holds the session lock), it is opened read-only: everything can be viewed and
/// exported, nothing written.
#[derive(Default)]
pub struct SessionLink {
    pub dir: Option<PathBuf>,
    shared: Option<SharedSession>,
    /// Why the session is read-only, when it is.
    read_only: Option<String>,
}

impl SessionLink {
    /// Opens the session in `dir` if it exists (read-only if another program writes it), or
    /// prepares to create it on the first run.
    pub fn open_or_new(dir: &Path) -> Result<SessionLink, String> {
        let (shared, read_only) = if dir.join(MANIFEST_FILE).exists() {
            let (session, read_only) = Session::open_or_view(dir)
                .map_err(|e| format!("opening session {}: {e}", dir.display()))?;
            (Some(Arc::new(Mutex::new(session))), read_only)
        } else {
            (None, None)
        };
        Ok(SessionLink {
            dir: Some(dir.to_path_buf()),
            shared,
            read_only,
        })
    }

    /// Why the session cannot be written, if it cannot.
    pub fn read_only(&self) -> Option<&str> {
        self.read_only.as_deref()
    }

    /// The open session, to read from (export, counts); `None` before the first run.
    pub fn for_reading(&self) -> Option<SharedSession> {
        self.shared.clone()
    }

    /// The open session, to write to; an error says why there is none to write.
    pub fn for_writing(&self) -> Result<SharedSession, String> {
        if let Some(reason) = &self.read_only {
            return Err(reason.clone());
        }
        self.shared
            .clone()
            .ok_or_else(|| "no session is open yet: run some prompts first".to_string())
    }

    fn lock(&self) -> Option<std::sync::MutexGuard<'_, Session>> {
        let shared = self.shared.as_ref()?;
        Some(
            shared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// The shared session, created with a manifest of this constitution and these models if
    /// it does not exist yet.
    fn ensure(
        &mut self,
        constitution: &Constitution,
        text: &str,
        models: &Models,
    ) -> Result<SharedSession, String> {
        if let Some(shared) = &self.shared {
            if let Some(reason) = &self.read_only {
                return Err(reason.clone());
            }
            return Ok(shared.clone());
        }
        let dir = self.dir.clone().ok_or("no session directory")?;
        let text = text.to_string();
        let manifest = Manifest {
            name: dir
                .file_name()
                .map_or("session".into(), |n| n.to_string_lossy().into_owned()),
            created_at: chrono::Utc::now().to_rfc3339(),
            constitution_name: constitution.name.clone(),
            constitution_sha256: crate::fsutil::sha256_hex(text.as_bytes()),
            constitution_toml: text,
            constitution_path: None,
            prompts_path: None,
            policy_model: models.policy.info(),
            feedback_model: models.feedback.info(),
            settings: constitution.settings.clone(),
            seed: constitution.settings.seed,
            program_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let session = Session::create(&dir, manifest)
            .map_err(|e| format!("creating session {}: {e}", dir.display()))?;
        let shared = Arc::new(Mutex::new(session));
        self.shared = Some(shared.clone());
        Ok(shared)
    }

    /// Records already in the session, in log order.
    pub fn records(&self) -> Vec<Record> {
        self.lock()
            .map(|s| s.state().records().to_vec())
            .unwrap_or_default()
    }

    /// Review decisions already in the session (records never reviewed are left out).
    pub fn reviews(&self) -> Vec<(String, Review)> {
        let Some(session) = self.lock() else {
            return Vec::new();
        };
        let state = session.state();
        state
            .records()
            .iter()
            .map(|r| (r.prompt.id.clone(), state.review(&r.prompt.id)))
            .filter(|(_, review)| !review.at.is_empty())
            .collect()
    }
}

/// What the export dialog asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChoice {
    pub out: PathBuf,
    pub force: bool,
    pub sft: bool,
    pub preferences: bool,
    pub revision_pairs: bool,
}

/// How many rows each file would get, and the files written (after export).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportCounts {
    pub approved: usize,
    pub sft: usize,
    pub preferences: usize,
    pub revision_pairs: usize,
    pub skipped: usize,
    /// Why a data file is not written, and what to do instead (first line of each).
    pub notes: Vec<String>,
    pub files: Vec<PathBuf>,
    /// Files that exist already (refused unless overwriting).
    pub existing: Vec<PathBuf>,
}

fn options(choice: &ExportChoice) -> ExportOptions {
    ExportOptions {
        out: choice.out.clone(),
        force: choice.force,
        sft: choice.sft,
        preferences: choice.preferences,
        revision_pairs: choice.revision_pairs,
        ..ExportOptions::default()
    }
}

fn counts(summary: ExportSummary) -> ExportCounts {
    ExportCounts {
        approved: summary.approved,
        sft: summary.sft_lines,
        preferences: summary.ai_feedback_pairs,
        revision_pairs: summary.revision_pairs,
        skipped: summary.skipped.len(),
        notes: summary
            .notes
            .iter()
            .filter_map(|n| n.lines().next().map(str::to_string))
            .collect(),
        files: summary.files,
        existing: summary.existing,
    }
}

/// Counts what an export would write, without writing.
pub fn export_plan(session: &SessionLink, choice: &ExportChoice) -> Result<ExportCounts, String> {
    let session = session
        .lock()
        .ok_or("no session yet: run some prompts first")?;
    Ok(counts(crate::export::plan(&session, &options(choice))))
}

/// Writes the export files of a shared session (on the disk worker, not the UI thread).
pub fn export_shared(
    session: &SharedSession,
    choice: &ExportChoice,
) -> Result<ExportCounts, String> {
    let session = session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    crate::export::export(&session, &options(choice))
        .map(counts)
        .map_err(|e| e.to_string())
}
