//! Finding sessions: every directory under a sessions root that holds a manifest, summarised
//! without changing anything on disk.

use std::path::{Path, PathBuf};

use super::log::replay;
use super::store::{read_manifest, EVENTS_FILE, MANIFEST_FILE};
use super::{ReviewCounts, SessionState};

/// Where sessions go unless told otherwise: `./sessions`.
pub fn default_sessions_root() -> PathBuf {
    PathBuf::from("sessions")
}

/// One line about a session, for lists.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub name: String,
    pub dir: PathBuf,
    pub created_at: String,
    pub constitution_name: String,
    /// Records in the log (after replacement of re-run prompts).
    pub records: usize,
    pub counts: ReviewCounts,
    /// Lines of the log that could not be read.
    pub warnings: usize,
    /// Why the session could not be read, if it could not (its other fields are then empty,
    /// except `name`, the directory name, and `dir`).
    pub error: Option<String>,
}

/// Sessions under `root`, oldest first. Directories without a manifest are skipped; a session
/// whose manifest or log cannot be read is listed with its error.
pub fn list_sessions(root: &Path) -> Vec<SessionSummary> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.join(MANIFEST_FILE).is_file())
        .collect();
    dirs.sort();
    let mut summaries: Vec<SessionSummary> = dirs.iter().map(|d| summarise(d)).collect();
    summaries.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.name.cmp(&b.name)));
    summaries
}

/// Summarises one session directory.
pub fn summarise(dir: &Path) -> SessionSummary {
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut summary = SessionSummary {
        name: dir_name,
        dir: dir.to_path_buf(),
        created_at: String::new(),
        constitution_name: String::new(),
        records: 0,
        counts: ReviewCounts::default(),
        warnings: 0,
        error: None,
    };
    let manifest = match read_manifest(dir) {
        Ok(m) => m,
        Err(e) => {
            summary.error = Some(e.to_string());
            return summary;
        }
    };
    summary.name = manifest.name;
    summary.created_at = manifest.created_at;
    summary.constitution_name = manifest.constitution_name;
    match replay(&dir.join(EVENTS_FILE)) {
        Ok(replayed) => {
            let state = SessionState::from_events(&replayed.events);
            summary.records = state.records().len();
            summary.counts = state.counts();
            summary.warnings = replayed.warnings.len();
        }
        Err(e) => summary.error = Some(format!("could not read {}: {e}", EVENTS_FILE)),
    }
    summary
}
