//! Export of approved records as the files a TRL training run reads.
//!
//! Only records that are done and approved are exported ([`lines`] turns them into lines). Into
//! the output directory go:
//! - `sft.jsonl` ([`sft`]): conversational `messages` for SFTTrainer;
//! - `preferences.jsonl` ([`preferences`]): explicit-prompt conversational pairs for
//!   DPOTrainer / RewardTrainer, with the soft label kept as `p_chosen`;
//! - `README.md` ([`card`]): the dataset card, whose `configs:` metadata lets
//!   `datasets.load_dataset(DIR, "sft")` and `load_dataset(DIR, "preferences")` find the files,
//!   and which says how the data was made;
//! - `sft.yaml`, `dpo.yaml` ([`recipes`]): configs for TRL's `trl sft` and `trl dpo`;
//! - `manifest.json` ([`manifest`]): session, constitution, models, options, per-file line
//!   counts and sha256.
//!
//! A data file with no lines is not written (`datasets` cannot load an empty file); the
//! summary's notes say why it would have been empty and what to do instead.
//!
//! Every line carries the same provenance keys ([`provenance`]). Existing files are never
//! replaced unless `force` is set, and every file is written atomically.

pub mod card;
pub mod filter;
mod lines;
pub mod manifest;
pub mod preferences;
pub mod provenance;
pub mod recipes;
pub mod sft;

#[cfg(test)]
mod exclusion_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::constitution::Constitution;
use crate::fsutil::{sha256_hex, write_atomic};
use crate::session::Session;

pub use filter::{ExcludedCounts, Exclusions};
use lines::build;
use manifest::{ExportManifest, FileEntry, OptionsEntry};

/// File name of the SFT data.
pub const SFT_FILE: &str = "sft.jsonl";
/// File name of the preference data.
pub const PREFERENCES_FILE: &str = "preferences.jsonl";
/// File name of the export manifest.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What to export, and where.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportOptions {
    /// Output directory (made if needed).
    pub out: PathBuf,
    /// Replace existing files.
    pub force: bool,
    /// Write `sft.jsonl`.
    pub sft: bool,
    /// Write `preferences.jsonl`.
    pub preferences: bool,
    /// Also put revision-over-initial pairs into `preferences.jsonl`.
    pub revision_pairs: bool,
    /// Flagged records and near ties to leave out.
    pub exclusions: Exclusions,
}

/// What an export wrote, or would write (see [`plan`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    pub out: PathBuf,
    /// Records that are done and approved.
    pub approved: usize,
    pub sft_lines: usize,
    pub ai_feedback_pairs: usize,
    pub revision_pairs: usize,
    /// `record id: reason` for each approved record or pair left out.
    pub skipped: Vec<String>,
    /// Why a data file asked for is not written, and what to do instead.
    pub notes: Vec<String>,
    /// Lines left out by the exclusions, per file and reason.
    pub excluded: ExcludedCounts,
    /// The files written (or to be written), manifest last.
    pub files: Vec<PathBuf>,
    /// Target files that already exist (an export without `force` refuses them).
    pub existing: Vec<PathBuf>,
}

impl ExportSummary {
    /// Lines going into `preferences.jsonl`.
    pub fn preference_lines(&self) -> usize {
        self.ai_feedback_pairs + self.revision_pairs
    }
}

/// Why an export did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{} already exists\n  fix: pass --force to replace it, or export to another directory", path.display())]
    Exists { path: PathBuf },
    #[error("nothing selected to export: neither SFT nor preference data was asked for")]
    NothingSelected,
    #[error("revision pairs go into preferences.jsonl, which is not selected\n  fix: select the preference file too, or leave revision pairs out")]
    RevisionPairsWithoutPreferences,
    #[error("session {session} has no approved records to export\n  fix: review records first, e.g. `cai review --session {} --approve-all`", dir.display())]
    NothingApproved { session: String, dir: PathBuf },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ExportOptions {
    /// Whether these options ask for something an export can write: at least one file, and
    /// revision pairs only with the preference file they go into.
    pub fn check(&self) -> Result<(), ExportError> {
        if !self.sft && !self.preferences {
            return Err(ExportError::NothingSelected);
        }
        if self.revision_pairs && !self.preferences {
            return Err(ExportError::RevisionPairsWithoutPreferences);
        }
        Ok(())
    }
}

/// Counts what [`export`] would write with these options, without writing anything.
pub fn plan(session: &Session, opts: &ExportOptions) -> ExportSummary {
    build(session, opts).summary
}

/// Writes the export. Refuses (before writing anything) if a target file exists and
/// `opts.force` is not set.
pub fn export(session: &Session, opts: &ExportOptions) -> Result<ExportSummary, ExportError> {
    opts.check()?;
    let built = build(session, opts);
    if built.summary.approved == 0 {
        return Err(ExportError::NothingApproved {
            session: session.manifest().name.clone(),
            dir: session.dir().to_path_buf(),
        });
    }
    if let (false, Some(path)) = (opts.force, built.summary.existing.first()) {
        return Err(ExportError::Exists { path: path.clone() });
    }
    let mut files = BTreeMap::new();
    for (enabled, name, lines) in [
        (opts.sft, SFT_FILE, &built.sft),
        (opts.preferences, PREFERENCES_FILE, &built.preferences),
    ] {
        if !enabled || lines.is_empty() {
            remove_stale(&opts.out.join(name), opts.force)?;
            continue;
        }
        let bytes: String = lines.iter().map(|l| format!("{l}\n")).collect();
        write_file(&opts.out.join(name), bytes.as_bytes())?;
        let entry = FileEntry {
            lines: lines.len(),
            sha256: sha256_hex(bytes.as_bytes()),
        };
        files.insert(name.to_string(), entry);
    }
    let options = OptionsEntry {
        sft: opts.sft,
        preferences: opts.preferences,
        revision_pairs: opts.revision_pairs,
        force: opts.force,
        exclude: opts
            .exclusions
            .flags
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        min_margin: opts.exclusions.min_margin,
    };
    let mut manifest = ExportManifest::new(session.manifest(), options, &built.summary, files);
    let dir_name = directory_name(&opts.out);
    let constitution = built.constitution.as_ref();
    let judge = session
        .dir()
        .parent()
        .and_then(|root| card::judge_measured(root, &manifest));
    let beside = training_files(
        &manifest,
        &dir_name,
        constitution,
        &built.summary.notes,
        judge.as_ref(),
    );
    for (name, text) in beside {
        write_file(&opts.out.join(name), text.as_bytes())?;
        let entry = FileEntry {
            lines: text.lines().count(),
            sha256: sha256_hex(text.as_bytes()),
        };
        manifest.files.insert(name.to_string(), entry);
    }
    for stale in [recipes::SFT_RECIPE, recipes::DPO_RECIPE] {
        if !manifest.files.contains_key(stale) {
            remove_stale(&opts.out.join(stale), opts.force)?;
        }
    }
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Write {
        path: opts.out.join(MANIFEST_FILE),
        source: std::io::Error::other(e),
    })?;
    json.push(b'\n');
    write_file(&opts.out.join(MANIFEST_FILE), &json)?;
    Ok(built.summary)
}

/// The files written beside the data: the dataset card, and a recipe for each data file.
fn training_files(
    manifest: &ExportManifest,
    dir_name: &str,
    constitution: Option<&Constitution>,
    notes: &[String],
    judge: Option<&card::JudgeMeasured>,
) -> Vec<(&'static str, String)> {
    let card = card::dataset_card(manifest, dir_name, constitution, notes, judge);
    let mut out = vec![(card::CARD_FILE, card)];
    if manifest.files.contains_key(SFT_FILE) {
        out.push((recipes::SFT_RECIPE, recipes::sft_recipe(manifest, dir_name)));
    }
    if manifest.files.contains_key(PREFERENCES_FILE) {
        out.push((recipes::DPO_RECIPE, recipes::dpo_recipe(manifest, dir_name)));
    }
    out
}

/// The name of the export directory (which exists by now), for the card and the recipes.
fn directory_name(out: &Path) -> String {
    out.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "export".to_string())
}

/// With `force`, removes a file an earlier export left that this one does not write, so that
/// the directory holds what its card and manifest describe.
fn remove_stale(path: &Path, force: bool) -> Result<(), ExportError> {
    if !force {
        return Ok(());
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ExportError::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    write_atomic(path, bytes).map_err(|source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    })
}
