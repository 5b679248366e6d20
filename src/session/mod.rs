//! Sessions: everything a run produces, under `sessions/<name>/`.
//!
//! - `manifest.json`: the constitution snapshot and hash, model ids and file hashes, settings
//!   and seed; written once, atomically, when the session is created. A session belongs to
//!   one constitution and one pair of models ([`manifest`]): a run with others is refused.
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
pub mod label;
pub mod list;
pub mod lock;
pub mod log;
pub mod manifest;
pub mod state;
pub mod store;

pub use error::SessionError;
pub use label::{human_label, reviewed_label, HumanLabel, Label, LabelSource};
pub use list::{default_sessions_root, list_sessions, SessionSummary};
pub use lock::{SessionLock, LOCK_FILE};
pub use log::{replay, EventLog, Replay};
pub use manifest::{Manifest, Mismatch, RunManifest};
pub use state::{IdLookup, ReviewCounts, SessionState};
pub use store::{Session, SessionWriter, SharedSession, EVENTS_FILE, MANIFEST_FILE};

use serde::{Deserialize, Serialize};

use crate::data::Record;

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
    /// The reviewer looked at the comparison label and agreed or flipped it (so the label is
    /// a person's judgement, not only the feedback model's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub label_checked: bool,
    pub at: String,
}

/// A person's blind pick between a record's two compared answers: shown in random positions,
/// with no P(A), model, principle or source in sight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlindPick {
    /// The source ("initial", "revision", "sample-1", ...) of the answer shown first.
    pub shown_first: String,
    /// The source of the answer picked; `None` for a tie.
    pub picked: Option<String>,
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
    /// A blind pick for a prompt id; the latest one wins.
    Blind { prompt_id: String, pick: BlindPick },
}
