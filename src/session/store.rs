//! A session on disk: its directory, manifest, open event log and replayed state.
//!
//! Every change goes to the log first (durably) and only then into the in-memory state, so
//! what the program shows is never ahead of what survives a crash. A session opened for writing
//! holds the session lock ([`SessionLock`]): a second writer is refused with the holder named,
//! while [`Session::open_read_only`] still shows it. [`SessionWriter`] lets the pipeline runner
//! append finished records to a session shared with a front end.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::data::Record;
use crate::fsutil::{sync_dir, write_atomic};
use crate::pipeline::RecordSink;

use super::lock::SessionLock;
use super::log::{replay, EventLog};
use super::{BlindPick, IdLookup, LogEvent, Manifest, Review, SessionError, SessionState};

/// The near-tie margin of the session's constitution.
fn tie_margin(manifest: &Manifest) -> f64 {
    f64::from(manifest.settings.comparison.tie_margin)
}

/// File name of a session's manifest.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of a session's event log.
pub const EVENTS_FILE: &str = "events.jsonl";

/// An open session.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
    manifest: Manifest,
    /// The open log and the lock held while writing; `None` when opened read-only.
    writer: Option<(EventLog, SessionLock)>,
    state: SessionState,
    warnings: Vec<String>,
}

impl Session {
    /// Creates a session in `dir` (made if needed): writes `manifest.json` atomically and an
    /// empty event log, both made durable with their directory. Fails if `dir` already holds a
    /// manifest, or another program holds its lock.
    pub fn create(dir: &Path, manifest: Manifest) -> Result<Session, SessionError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        if manifest_path.exists() {
            return Err(SessionError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        std::fs::create_dir_all(dir).map_err(SessionError::io("create", dir))?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent).map_err(SessionError::io("sync", parent))?;
        }
        let lock = SessionLock::acquire(dir)?;
        if manifest_path.exists() {
            return Err(SessionError::AlreadyExists {
                dir: dir.to_path_buf(),
            });
        }
        let mut json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| SessionError::io("serialize", &manifest_path)(std::io::Error::other(e)))?;
        json.push(b'\n');
        write_atomic(&manifest_path, &json).map_err(SessionError::io("write", &manifest_path))?;
        let log_path = dir.join(EVENTS_FILE);
        let log = EventLog::open(&log_path).map_err(SessionError::io("create", &log_path))?;
        sync_dir(dir).map_err(SessionError::io("sync", dir))?;
        let margin = tie_margin(&manifest);
        Ok(Session {
            dir: dir.to_path_buf(),
            manifest,
            writer: Some((log, lock)),
            state: SessionState::with_tie_margin(margin),
            warnings: Vec::new(),
        })
    }

    /// Opens the session in `dir` for the run `run` describes, or creates it with `run` as its
    /// manifest. A session made with another constitution or other models is refused
    /// ([`SessionError::Mismatch`]): a session belongs to one of each.
    pub fn open_for_run(dir: &Path, run: Manifest) -> Result<Session, SessionError> {
        if !dir.join(MANIFEST_FILE).exists() {
            return Session::create(dir, run);
        }
        let session = Session::open(dir)?;
        session
            .manifest
            .check_run(&run)
            .map_err(|mismatch| SessionError::Mismatch {
                dir: dir.to_path_buf(),
                mismatch,
            })?;
        Ok(session)
    }

    /// Opens the session in `dir` for writing: takes its lock, reads the manifest and replays
    /// the log. Lines the log could not give back are in [`Session::warnings`]; a torn last
    /// line is moved aside.
    pub fn open(dir: &Path) -> Result<Session, SessionError> {
        let manifest = read_manifest(dir)?;
        let lock = SessionLock::acquire(dir)?;
        let log_path = dir.join(EVENTS_FILE);
        let mut replayed = replay(&log_path).map_err(SessionError::io("read", &log_path))?;
        replayed.drop_orphan_reviews(EVENTS_FILE);
        let log = EventLog::open(&log_path).map_err(SessionError::io("open", &log_path))?;
        let mut warnings = replayed.warnings;
        warnings.extend(log.repair().map(str::to_string));
        let margin = tie_margin(&manifest);
        Ok(Session {
            dir: dir.to_path_buf(),
            manifest,
            writer: Some((log, lock)),
            state: SessionState::with_tie_margin(margin).with_events(&replayed.events),
            warnings,
        })
    }

    /// Opens the session in `dir` to look at: no lock, nothing repaired or written (a torn last
    /// line is only reported). Appending to it is an error.
    pub fn open_read_only(dir: &Path) -> Result<Session, SessionError> {
        let manifest = read_manifest(dir)?;
        let log_path = dir.join(EVENTS_FILE);
        let mut replayed = replay(&log_path).map_err(SessionError::io("read", &log_path))?;
        replayed.drop_orphan_reviews(EVENTS_FILE);
        let margin = tie_margin(&manifest);
        Ok(Session {
            dir: dir.to_path_buf(),
            manifest,
            writer: None,
            state: SessionState::with_tie_margin(margin).with_events(&replayed.events),
            warnings: replayed.warnings,
        })
    }

    /// Opens the session for writing, or read-only when another program is writing it; the
    /// second value says why it is read-only.
    pub fn open_or_view(dir: &Path) -> Result<(Session, Option<String>), SessionError> {
        match Session::open(dir) {
            Ok(session) => Ok((session, None)),
            Err(locked @ SessionError::Locked { .. }) => {
                let session = Session::open_read_only(dir)?;
                Ok((session, Some(locked.to_string())))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether this session can be written (it was not opened read-only).
    pub fn is_writable(&self) -> bool {
        self.writer.is_some()
    }

    /// The session's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the session was made with.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Records and reviews as of now.
    pub fn state(&self) -> &SessionState {
        &self.state
    }

    /// What replaying the log had to skip or repair.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Appends a finished record durably, then adds it to the state.
    pub fn append_record(&mut self, record: &Record) -> Result<(), SessionError> {
        self.append(LogEvent::Record {
            record: Box::new(record.clone()),
        })
    }

    /// Records a review decision for a prompt id of this session (exact id).
    pub fn set_review(&mut self, prompt_id: &str, review: Review) -> Result<(), SessionError> {
        if self.state.get(prompt_id).is_none() {
            return Err(SessionError::UnknownRecord {
                prompt_id: prompt_id.to_string(),
                dir: self.dir.clone(),
            });
        }
        self.append(LogEvent::Review {
            prompt_id: prompt_id.to_string(),
            review,
        })
    }

    /// Appends a person's blind pick between a record's compared answers.
    pub fn set_blind_pick(&mut self, prompt_id: &str, pick: BlindPick) -> Result<(), SessionError> {
        if self.state.get(prompt_id).is_none() {
            return Err(SessionError::UnknownRecord {
                prompt_id: prompt_id.to_string(),
                dir: self.dir.clone(),
            });
        }
        self.append(LogEvent::Blind {
            prompt_id: prompt_id.to_string(),
            pick,
        })
    }

    /// The full prompt id a person meant: the id itself or a unique prefix of one.
    pub fn resolve_id(&self, query: &str) -> Result<String, SessionError> {
        match self.state.resolve_id(query) {
            Ok(id) => Ok(id.to_string()),
            Err(IdLookup::NotFound) => Err(SessionError::UnknownRecord {
                prompt_id: query.to_string(),
                dir: self.dir.clone(),
            }),
            Err(IdLookup::Ambiguous(candidates)) => Err(SessionError::AmbiguousId {
                prompt_id: query.to_string(),
                dir: self.dir.clone(),
                candidates,
            }),
        }
    }

    fn append(&mut self, event: LogEvent) -> Result<(), SessionError> {
        let Some((log, _lock)) = self.writer.as_mut() else {
            return Err(SessionError::ReadOnly {
                dir: self.dir.clone(),
                reason: "it was opened only to view".into(),
            });
        };
        let path = log.path().to_path_buf();
        log.append(&event)
            .map_err(SessionError::io("append to", path))?;
        self.state.apply(&event);
        Ok(())
    }
}

/// Reads and parses `dir/manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, SessionError> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SessionError::NoManifest {
                dir: dir.to_path_buf(),
            })
        }
        Err(e) => return Err(SessionError::io("read", path)(e)),
    };
    serde_json::from_slice(&bytes).map_err(|e| SessionError::BadManifest {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
        path,
    })
}

/// A session shared between the runner and a front end.
pub type SharedSession = Arc<Mutex<Session>>;

/// The runner's [`RecordSink`] for a shared session: appends each finished record durably.
#[derive(Debug, Clone)]
pub struct SessionWriter(pub SharedSession);

impl SessionWriter {
    /// Wraps a session so the runner and a front end can share it.
    pub fn new(session: Session) -> SessionWriter {
        SessionWriter(Arc::new(Mutex::new(session)))
    }

    /// The shared session, for reading state or writing reviews.
    pub fn session(&self) -> &SharedSession {
        &self.0
    }
}

impl RecordSink for SessionWriter {
    fn record_finished(&self, record: &Record) -> Result<(), String> {
        // A poisoned lock only means another holder panicked; the log itself stays consistent.
        let mut session = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        session.append_record(record).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
pub(crate) mod tests;
