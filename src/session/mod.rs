//! Sessions: everything a run produces, under `sessions/<name>/`.
//!
//! - `manifest.json`: the constitution snapshot and hash, model ids and file hashes, settings
//!   and seed; written once, atomically, when the session is created.
//! - `events.jsonl`: an append-only log of [`LogEvent`]s, fsynced after every record. Reopening
//!   replays it into a [`SessionState`]; a torn last line is reported and skipped.
//!
//! Review state per record (pending, approved, rejected, edited) is itself a logged event, so
//! review decisions are as durable as the records and can be undone.
//!
//! Rooms: [`log`] (append with fsync, replay, torn-line repair), [`state`] (the fold of events
//! into records and reviews), [`store`] (an open [`Session`] and the runner's
//! [`SessionWriter`]), [`lock`] (one writer at a time), [`list`] (finding sessions under a
//! root), [`error`].

pub mod error;
pub mod list;
pub mod lock;
pub mod log;
pub mod state;
pub mod store;

pub use error::SessionError;
pub use list::{default_sessions_root, list_sessions, SessionSummary};
pub use lock::{SessionLock, LOCK_FILE};
pub use log::{replay, EventLog, Replay};
pub use state::{IdLookup, ReviewCounts, SessionState};
pub use store::{Session, SessionWriter, SharedSession, EVENTS_FILE, MANIFEST_FILE};

use serde::{Deserialize, Serialize};

use crate::constitution::Settings;
use crate::model::ModelInfo;
use crate::pipeline::Record;

/// What a session was made with. Written once when the session is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub created_at: String,
    pub constitution_name: String,
    /// sha256 of the constitution file's bytes.
    pub constitution_sha256: String,
    /// The whole constitution file as it was when the session was created.
    pub constitution_toml: String,
    pub constitution_path: Option<String>,
    pub prompts_path: Option<String>,
    pub policy_model: ModelInfo,
    pub feedback_model: ModelInfo,
    pub settings: Settings,
    pub seed: u64,
    /// Version of the program that created the session.
    pub program_version: String,
}

/// A reviewer's decision on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    Pending,
    Approved,
    Rejected,
}

/// The review of one record. An edit keeps the original: the record is never changed, the
/// edited text lives here and is what export uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub state: ReviewState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<String>,
    /// The reviewer flipped the feedback model's comparison label.
    #[serde(default)]
    pub flipped: bool,
    pub at: String,
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LogEvent {
    /// A record finished (done, failed or cancelled). A later record for the same prompt id
    /// replaces an earlier one (a failed or cancelled prompt run again).
    Record { record: Box<Record> },
    /// A review decision for a prompt id; the latest one wins.
    Review { prompt_id: String, review: Review },
}
