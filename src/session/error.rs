//! What can go wrong opening, creating or writing a session, each naming the file involved.

use std::path::PathBuf;

/// A session operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What was being done, e.g. "append to".
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a session already exists in {dir} (it has a manifest.json)\n  fix: choose another session name, or open the existing session to resume it")]
    AlreadyExists { dir: PathBuf },
    #[error("session {dir} is open for writing by {holder}\n  fix: wait for it to finish (or stop it); the session can still be viewed read-only")]
    Locked { dir: PathBuf, holder: String },
    #[error("session {dir} is open read-only: {reason}")]
    ReadOnly { dir: PathBuf, reason: String },
    #[error("{dir} is not a session: it has no manifest.json")]
    NoManifest { dir: PathBuf },
    #[error("{path}:{line}:{column}: the session manifest is not valid: {message}")]
    BadManifest {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("session {dir} cannot take this run's records: {mismatch}\n  fix: use a new session (cai run --session DIR), or the constitution and models the session was made with")]
    Mismatch {
        dir: PathBuf,
        mismatch: super::Mismatch,
    },
    #[error("no record with prompt id `{prompt_id}` in session {dir}")]
    UnknownRecord { prompt_id: String, dir: PathBuf },
    #[error("prompt id `{prompt_id}` is ambiguous in session {dir}: it starts {}", candidates.join(", "))]
    AmbiguousId {
        prompt_id: String,
        dir: PathBuf,
        candidates: Vec<String>,
    },
}

impl SessionError {
    /// An I/O error while doing `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> SessionError {
        let path = path.into();
        move |source| SessionError::Io {
            action,
            path,
            source,
        }
    }
}
