//! Arenas: two or more contestants, each a policy model with a constitution (or none: the
//! model's plain answer), on the same prompts with the same seed, compared pairwise by the
//! feedback model and rated by Bradley–Terry on the Elo scale, harmlessness apart from
//! helpfulness, as the CAI paper reports its models.
//!
//! An arena lives in a directory: `arena.json` says what was run (contestants, prompts, seed,
//! feedback model); each contestant's answers are an ordinary session in `contestants/NAME/`
//! (so `cai report` and the workbench open it); `matches.jsonl` holds one line per (prompt, pair) the feedback model compared, both
//! questions in both orders; `human.jsonl` holds a person's blind picks over the same pairs.
//! Running it again resumes: finished prompts and matches are not redone, and a larger budget
//! plays more matches.
//!
//! - [`spec`]: a contestant as the command line names it, `NAME=MODEL[:CONSTITUTION.toml]`;
//! - [`run`]: the contestants' answers (contestants on one model share its engine), then the
//!   matches;
//! - [`plan`]: which (prompt, pair) to play next: round-robin up to the budget, then the most
//!   informative pairs;
//! - [`scores`]: Bradley–Terry scores per question with bootstrap intervals, from the feedback
//!   model, from people, and both together; their agreement per pair of contestants;
//! - [`outcome`]: the table (scores, matches, refusal and degeneration rates) and the matrix
//!   of final answers;
//! - [`markdown`]: what the command prints; [`load`]: an arena read back from its directory.

pub mod load;
pub mod markdown;
pub mod outcome;
pub mod plan;
pub mod run;
pub mod scores;
pub mod spec;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::head_to_head::HeadToHead;

pub use outcome::ArenaOutcome;

/// File name of an arena's description.
pub const ARENA_FILE: &str = "arena.json";
/// File name of the feedback model's matches.
pub const MATCHES_FILE: &str = "matches.jsonl";
/// File name of a person's blind picks.
pub const HUMAN_FILE: &str = "human.jsonl";
/// The folder of the contestants' sessions.
pub const CONTESTANTS_DIR: &str = "contestants";

/// The session folder of contestant `name` in the arena `dir`.
pub fn contestant_dir(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    dir.join(CONTESTANTS_DIR).join(name)
}

/// One contestant as `arena.json` records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContestantEntry {
    pub name: String,
    /// The model as given (`default`, a file, a profile of `cai.toml`).
    pub model: String,
    /// What the model resolved to, e.g. `…/model.gguf (in process)`.
    pub model_detail: String,
    /// The constitution's file, `None` for the model's plain answer.
    pub constitution_path: Option<String>,
    /// The constitution's name (`none` for the plain answer) and the sha256 of its text.
    pub constitution: String,
    pub sha256: String,
}

/// What an arena was made with (`arena.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArenaManifest {
    pub created_at: String,
    pub contestants: Vec<ContestantEntry>,
    /// The feedback model that judges every match.
    pub feedback_model: String,
    pub prompts_path: String,
    pub benign_path: Option<String>,
    /// Ids of the red-team prompts, in order.
    pub red_team: Vec<String>,
    /// Ids of the benign prompts, in order.
    pub benign: Vec<String>,
    /// The principle-drawing seed of every contestant.
    pub seed: u64,
    pub program_version: String,
}

impl ArenaManifest {
    /// The index of a contestant by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.contestants.iter().position(|c| c.name == name)
    }

    /// Whether `other` is the same arena (contestants, prompts, seed), so it may be resumed.
    pub fn same_arena(&self, other: &ArenaManifest) -> bool {
        let key = |m: &ArenaManifest| {
            m.contestants
                .iter()
                .map(|c| (c.name.clone(), c.model.clone(), c.sha256.clone()))
                .collect::<Vec<_>>()
        };
        key(self) == key(other)
            && self.red_team == other.red_team
            && self.benign == other.benign
            && self.seed == other.seed
            && self.feedback_model == other.feedback_model
    }
}

/// One match: the feedback model's comparison of two contestants' final answers to a prompt
/// (`head_to_head.a` is the first contestant's answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArenaMatch {
    /// The two contestants, by name: the first is the head-to-head's A.
    pub contestants: [String; 2],
    /// The calibration temperature applied to P, if the feedback model had one.
    pub temperature: Option<f64>,
    #[serde(flatten)]
    pub head_to_head: HeadToHead,
}

/// A person's blind pick over one match's two answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanPick {
    pub prompt_id: String,
    /// The pair, as in its match.
    pub contestants: [String; 2],
    /// Which contestant's answer was shown as (A).
    pub shown_first: String,
    /// The contestant picked; `None` for a tie.
    pub picked: Option<String>,
    pub at: String,
}

impl HumanPick {
    /// The share of the win that went to `contestants[0]`: 1, 0 or ½ for a tie.
    pub fn score_first(&self) -> f64 {
        match &self.picked {
            Some(name) if *name == self.contestants[0] => 1.0,
            Some(_) => 0.0,
            None => 0.5,
        }
    }
}
