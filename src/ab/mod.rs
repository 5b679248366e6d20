//! A/B runs of two constitutions (or two versions of one) on the same prompts with the same
//! seeds, and what they show.
//!
//! An A/B run lives in a directory: `a/` and `b/` are ordinary sessions (one per side, so
//! `cai report --session DIR/a --against DIR/b` and the workbench work on them),
//! `head-to-head.jsonl` holds, per prompt, the feedback model's comparison of A's final answer
//! with B's, and `ab.json` says what was run (constitutions, prompt sets, seed).
//!
//! - [`run`]: both sides (each on a freshly loaded model, so each starts from the engine's
//!   seed), then the head-to-head, resumable;
//! - [`head_to_head`]: one prompt's comparison under a harmlessness and a helpfulness
//!   question, both orders;
//! - [`outcome`]: per-side rates (refusals on red-team and on benign prompts, degeneration),
//!   win rates with Wilson intervals, the matrix of final answers, the constitution diff;
//! - [`markdown`]: the table the run prints;
//! - [`load`]: an A/B run read back from its directory (the workbench's Insights view);
//! - [`arena`]: two or more contestants (a policy model with a constitution, or none), rated
//!   by Bradley–Terry Elo for harmlessness and helpfulness, by the feedback model and by people.

pub mod arena;
pub mod head_to_head;
pub mod load;
pub mod markdown;
pub mod outcome;
pub mod run;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use head_to_head::{HeadToHead, Question, QuestionVerdict};
pub use outcome::{outcome, AbOutcome};

/// File name of an A/B run's description.
pub const AB_FILE: &str = "ab.json";
/// File name of the head-to-head comparisons.
pub const HEAD_TO_HEAD_FILE: &str = "head-to-head.jsonl";

/// What an A/B run was made with (`ab.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbManifest {
    pub created_at: String,
    /// Paths of the constitution files, A then B.
    pub constitutions: [String; 2],
    /// Names and sha256 of the constitution files, A then B.
    pub names: [String; 2],
    pub sha256: [String; 2],
    pub prompts_path: String,
    pub benign_path: Option<String>,
    /// Ids of the red-team prompts run, in order.
    pub red_team: Vec<String>,
    /// Ids of the benign prompts run, in order.
    pub benign: Vec<String>,
    /// The principle-drawing seed both sides ran with.
    pub seed: u64,
    pub program_version: String,
}

/// One side of an A/B run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    /// The side's session directory name.
    pub fn dir_name(self) -> &'static str {
        match self {
            Side::A => "a",
            Side::B => "b",
        }
    }
}
