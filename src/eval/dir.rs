//! An eval's directory: `eval.json`, what was run (the sets with their sha256, the
//! constitution, the configurations, the feedback model), and `answers.jsonl`, one fsynced line
//! per question asked. The description is written once; an eval run again in the same directory
//! must describe the same eval, and then resumes from the answers already in the log.

use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::config::EvalConfig;
use super::sets::Layout;
use crate::fsutil::{create_json_file, read_json_lines};
use crate::model::ModelInfo;

/// File name of an eval's description.
pub const EVAL_FILE: &str = "eval.json";
/// File name of an eval's answers.
pub const ANSWERS_FILE: &str = "answers.jsonl";

/// One known-answer set as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetEntry {
    pub name: String,
    pub path: String,
    pub sha256: String,
    pub questions: usize,
    /// "paper-evals" or "preference-pairs" (or "sessions", for a person's own labels).
    pub layout: String,
}

/// What an eval was made with (`eval.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalManifest {
    pub created_at: String,
    pub sets: Vec<SetEntry>,
    pub constitution_name: String,
    pub constitution_sha256: String,
    /// The principle questions and settings asked with (the constitution's comparisons).
    pub constitution_toml: String,
    pub configs: Vec<EvalConfig>,
    /// Pair questions asked as the set writes them (its own question, after the answer
    /// prefix) instead of through the constitution's comparison principles.
    pub as_written: bool,
    pub feedback_model: ModelInfo,
    /// The seed of the principle and position draws.
    pub seed: u64,
    pub program_version: String,
}

/// What one ask is: which principle, which answer shown first, how.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum AskKey {
    /// A pair asked with a comparison principle.
    Pair {
        principle: String,
        /// The better answer was option (A) in the first order.
        better_first: bool,
        chain_of_thought: bool,
    },
    /// A question asked as the set writes it.
    Written,
}

/// One line of `answers.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The question's id ([`KnownAnswer::id`]).
    pub item: String,
    pub ask: AskKey,
    /// For a pair: P(A) as read with A first, and with the options swapped (if asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_a_forward: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_a_swapped: Option<f64>,
    /// For a written question: the probability of each option.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probabilities: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floored: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub served_by: Vec<String>,
    pub seconds: f64,
}

/// Writes `eval.json`, or checks that the one there describes the same eval (then the log's
/// answers are kept and the eval resumes).
pub fn prepare_dir(dir: &Path, manifest: &EvalManifest) -> anyhow::Result<()> {
    let path = dir.join(EVAL_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let old: EvalManifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an eval description", path.display()))?;
        let same = old.constitution_sha256 == manifest.constitution_sha256
            && old.configs == manifest.configs
            && old.as_written == manifest.as_written
            && old.feedback_model.same_model(&manifest.feedback_model)
            && old
                .sets
                .iter()
                .map(|s| &s.sha256)
                .eq(manifest.sets.iter().map(|s| &s.sha256));
        if !same {
            bail!(
                "{} holds another eval (other sets, configurations, constitution or feedback model)\n  fix: use a new --out directory",
                dir.display()
            );
        }
        return Ok(());
    }
    create_json_file(dir, EVAL_FILE, manifest)
}

/// The answers in an eval directory's log.
pub fn read_answers(dir: &Path) -> anyhow::Result<Vec<Answer>> {
    read_json_lines(&dir.join(ANSWERS_FILE)).map_err(anyhow::Error::msg)
}

/// What a set's layout is called in `eval.json`.
pub fn layout_name(layout: Layout) -> &'static str {
    match layout {
        Layout::PaperEvals => "paper-evals",
        Layout::PreferencePairs => "preference-pairs",
    }
}
