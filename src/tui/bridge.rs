//! The calls the workbench makes into the core that need more than one line (runs, tries,
//! the session log, export), gathered here so the views depend on one small surface.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::sync::Mutex;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::constitution::Constitution;
use crate::data::Prompt;
use crate::export::{ExportOptions, ExportSummary};
use crate::pipeline::critique_revision::{try_principle, TryPrincipleError};
use crate::pipeline::runner::{spawn_run, RunHandle, RunOptions};
use crate::pipeline::{PipelineEvent, RecordSink};
use crate::session::{
    RunManifest, Session, SessionState, SessionWriter, SharedSession, MANIFEST_FILE,
};
use crate::tui::event::AppEvent;
use crate::tui::task::spawn_reporting;

use crate::model::Models;

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
) -> Result<(RunControl, Option<String>), String> {
    let run = RunManifest {
        constitution: &constitution,
        constitution_text,
        constitution_path: None,
        prompts_path: None,
        policy: models.policy.info(),
        feedback: models.feedback.info(),
    };
    let (shared, moved) = session.ensure(&run)?;
    let sink: Arc<dyn RecordSink> = Arc::new(SessionWriter(shared));
    let handle = spawn_run(models, constitution, prompts, opts, Some(sink), events);
    let cancel = handle.canceller();
    let control = RunControl {
        handle: Some(handle),
        cancel,
    };
    Ok((control, moved))
}

/// How a try ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryEnd {
    Done,
    Cancelled,
}

/// Tries one principle on one prompt: the given response (or a fresh initial response, streamed
/// as `Stage::Initial`), then one critique and one revision, streamed on `events`, all through
/// the pipeline's own stages. It always ends with one [`AppEvent::TryEnded`] on `tx`, also
/// when the try panics.
pub fn start_try(
    models: Models,
    constitution: Arc<Constitution>,
    principle_id: &str,
    prompt: Prompt,
    response: Option<String>,
    events: UnboundedSender<PipelineEvent>,
    tx: UnboundedSender<AppEvent>,
) -> Result<RunControl, String> {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let principle_id = principle_id.to_string();
    let work = async move {
        let result = try_principle(
            &*models.policy,
            &constitution,
            &principle_id,
            &prompt,
            response.as_deref(),
            &events,
            token.clone(),
        )
        .await;
        match result {
            _ if token.is_cancelled() => Ok(TryEnd::Cancelled),
            Ok(_) => Ok(TryEnd::Done),
            Err(TryPrincipleError::Cancelled) => Ok(TryEnd::Cancelled),
            Err(e) => Err(e.to_string()),
        }
    };
    spawn_reporting(tx, "the try", work, AppEvent::TryEnded);
    Ok(RunControl {
        handle: None,
        cancel,
    })
}

/// A directory for a new session beside `dir`: `<time>-<constitution name>` in the same parent,
/// with a number added if that exists already.
pub fn new_session_dir(dir: &Path, constitution_name: &str) -> PathBuf {
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = format!(
        "{}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        slug(constitution_name)
    );
    let mut candidate = parent.join(&stem);
    let mut n = 2;
    while candidate.exists() {
        candidate = parent.join(format!("{stem}-{n}"));
        n += 1;
    }
    candidate
}

/// A name fit for a directory name.
pub fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
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

    /// The session this run's records go to: the open one when it was made with the same
    /// constitution and models, else a new session beside it (created now), with a line saying
    /// why the records moved. With none open, the session is created in the directory given.
    fn ensure(&mut self, run: &RunManifest) -> Result<(SharedSession, Option<String>), String> {
        let dir = self.dir.clone().ok_or("no session directory")?;
        if let Some(shared) = &self.shared {
            if let Some(reason) = &self.read_only {
                return Err(reason.clone());
            }
            let fits = shared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .manifest()
                .check_run(&run.manifest(&dir));
            let mismatch = match fits {
                Ok(()) => return Ok((shared.clone(), None)),
                Err(mismatch) => mismatch,
            };
            let beside = new_session_dir(&dir, &run.constitution.name);
            let shared = self.create(&beside, run)?;
            let note = format!(
                "new session {}: {} {mismatch}",
                beside.display(),
                dir.display()
            );
            return Ok((shared, Some(note)));
        }
        Ok((self.create(&dir, run)?, None))
    }

    /// Creates the session of `run` in `dir` and makes it the open one.
    fn create(&mut self, dir: &Path, run: &RunManifest) -> Result<SharedSession, String> {
        let session = Session::create(dir, run.manifest(dir))
            .map_err(|e| format!("creating session {}: {e}", dir.display()))?;
        let shared = Arc::new(Mutex::new(session));
        self.dir = Some(dir.to_path_buf());
        self.shared = Some(shared.clone());
        self.read_only = None;
        Ok(shared)
    }

    /// The open session's records and reviews (empty before the first run).
    pub fn state(&self) -> SessionState {
        self.lock().map(|s| s.state().clone()).unwrap_or_default()
    }
}

/// Counts what an export of a shared session would write, without writing (on the disk
/// worker, not the UI thread).
pub fn plan_shared(session: &SharedSession, options: &ExportOptions) -> ExportSummary {
    let session = session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    crate::export::plan(&session, options)
}

/// Writes the export files of a shared session (on the disk worker, not the UI thread).
pub fn export_shared(
    session: &SharedSession,
    options: &ExportOptions,
) -> Result<ExportSummary, String> {
    let session = session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    crate::export::export(&session, options).map_err(|e| e.to_string())
}
