//! `cai eval`: the feedback model measured on questions whose answer is known, before its labels
//! are trusted, as the CAI paper measured its judge (its Fig. 4).
//!
//! - [`sets`]: readers of known-answer sets (the paper's evaluation files, preference pairs);
//!   [`human`]: a person's own judgements in sessions as known answers;
//! - [`config`]: the judge configurations compared side by side (one principle, the ensemble,
//!   chain of thought, each in both orders or one);
//! - [`run`]: asking every question in every configuration through the pipeline's judge;
//!   [`dir`]: the eval's own resumable, append-only directory it writes into;
//! - [`report`]: accuracy with 95% intervals against chance, order consistency, position
//!   bias, Brier score, expected calibration error and the reliability table, per
//!   configuration and per comparison principle;
//! - [`fit`]: a calibration temperature fitted on one half and reported on the other, stored
//!   in the constitution;
//! - [`markdown`]: the tables.

pub mod config;
pub mod dir;
pub mod fit;
pub mod human;
pub mod markdown;
pub mod report;
pub mod run;
pub mod sets;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use config::{parse_configs, EvalConfig};
pub use dir::EvalManifest;
pub use report::{report, EvalReport};
pub use run::{run_eval, EvalPlan};

/// File name of a finished eval's report (beside `report.md`).
pub const REPORT_FILE: &str = "report.json";

/// What `report.json` holds: the eval's description, its tables, the fit if one was made, and
/// how long the asking took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedEval {
    pub eval: EvalManifest,
    pub report: EvalReport,
    pub fit: Option<fit::FitReport>,
    pub seconds: f64,
}

/// The report of the eval in `dir`.
pub fn load(dir: &Path) -> Result<SavedEval, String> {
    let path = dir.join(REPORT_FILE);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The most recent eval directory with a report under `root` (its `eval-*` directories, by
/// name, which starts with the time).
pub fn latest(root: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("eval-"))
                && p.join(REPORT_FILE).exists()
        })
        .collect();
    dirs.sort();
    dirs.pop()
}

/// The latest eval under `root` of this feedback model (by [`crate::pipeline::judge::model_key`])
/// with this constitution (by sha256), for the dataset card.
pub fn latest_for(
    root: &Path,
    feedback_key: &str,
    constitution_sha256: &str,
) -> Option<(PathBuf, SavedEval)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("eval-"))
        })
        .collect();
    dirs.sort();
    dirs.into_iter().rev().find_map(|dir| {
        let saved = load(&dir).ok()?;
        (crate::pipeline::judge::model_key(&saved.eval.feedback_model) == feedback_key
            && saved.eval.constitution_sha256 == constitution_sha256)
            .then_some((dir, saved))
    })
}
