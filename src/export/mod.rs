//! Export of approved records as the files a TRL training run reads.
//!
//! Only records that are done and approved are exported. Into the output directory go:
//! - `sft.jsonl` ([`sft`]): conversational `messages` for SFTTrainer;
//! - `preferences.jsonl` ([`preferences`]): explicit-prompt conversational pairs for
//!   DPOTrainer / RewardTrainer, with the soft label kept as `p_chosen`;
//! - `manifest.json` ([`manifest`]): session, constitution, models, options, per-file line
//!   counts and sha256.
//!
//! Every line carries the same provenance keys ([`provenance`]). Existing files are never
//! replaced unless `force` is set, and every file is written atomically.

pub mod manifest;
pub mod preferences;
pub mod provenance;
pub mod sft;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::fsutil::{sha256_hex, write_atomic};
use crate::pipeline::RecordStatus;
use crate::session::{ReviewState, Session};

use manifest::{ExportManifest, FileEntry, OptionsEntry};

/// File name of the SFT data.
pub const SFT_FILE: &str = "sft.jsonl";
/// File name of the preference data.
pub const PREFERENCES_FILE: &str = "preferences.jsonl";
/// File name of the export manifest.
pub const MANIFEST_FILE: &str = "manifest.json";

/// What to export, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    #[error("session {session} has no approved records to export\n  fix: review records first, e.g. `cai review --session {} --approve-all`", dir.display())]
    NothingApproved { session: String, dir: PathBuf },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The lines an export would write, and its summary.
struct Built {
    summary: ExportSummary,
    sft: Vec<String>,
    preferences: Vec<String>,
}

/// Counts what [`export`] would write with these options, without writing anything.
pub fn plan(session: &Session, opts: &ExportOptions) -> ExportSummary {
    build(session, opts).summary
}

/// Writes the export. Refuses (before writing anything) if a target file exists and
/// `opts.force` is not set.
pub fn export(session: &Session, opts: &ExportOptions) -> Result<ExportSummary, ExportError> {
    if !opts.sft && !opts.preferences {
        return Err(ExportError::NothingSelected);
    }
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
        if !enabled {
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
    };
    let manifest = ExportManifest::new(session.manifest(), options, &built.summary, files);
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Write {
        path: opts.out.join(MANIFEST_FILE),
        source: std::io::Error::other(e),
    })?;
    json.push(b'\n');
    write_file(&opts.out.join(MANIFEST_FILE), &json)?;
    Ok(built.summary)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    write_atomic(path, bytes).map_err(|source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Serialises one line; the line types hold only strings, numbers and lists, which always
/// serialise, so a failure here is reported as a skip rather than a panic.
fn to_line<T: Serialize>(value: &T, id: &str, skipped: &mut Vec<String>) -> Option<String> {
    match serde_json::to_string(value) {
        Ok(line) => Some(line),
        Err(e) => {
            skipped.push(format!("{id}: could not serialise: {e}"));
            None
        }
    }
}

fn build(session: &Session, opts: &ExportOptions) -> Built {
    let manifest = session.manifest();
    let state = session.state();
    let mut summary = ExportSummary {
        out: opts.out.clone(),
        ..ExportSummary::default()
    };
    let (mut sft_lines, mut preference_lines) = (Vec::new(), Vec::new());
    for record in state.records() {
        let review = state.review(&record.prompt.id);
        if review.state != ReviewState::Approved || record.status != RecordStatus::Done {
            continue;
        }
        summary.approved += 1;
        let id = record.prompt.id.as_str();
        let skipped = &mut summary.skipped;
        if opts.sft {
            match sft::sft_line(manifest, record, &review) {
                Ok(line) => sft_lines.extend(to_line(&line, id, skipped)),
                Err(why) => skipped.push(format!("{id}: sft: {why}")),
            }
        }
        if !opts.preferences {
            continue;
        }
        match preferences::ai_feedback_pair(manifest, record, &review) {
            Ok(Some(line)) => {
                if let Some(line) = to_line(&line, id, skipped) {
                    preference_lines.push(line);
                    summary.ai_feedback_pairs += 1;
                }
            }
            Ok(None) => {}
            Err(why) => skipped.push(format!("{id}: ai-feedback pair: {why}")),
        }
        if opts.revision_pairs {
            match preferences::revision_pair(manifest, record, &review) {
                Ok(Some(line)) => {
                    if let Some(line) = to_line(&line, id, skipped) {
                        preference_lines.push(line);
                        summary.revision_pairs += 1;
                    }
                }
                Ok(None) => {}
                Err(why) => skipped.push(format!("{id}: revision pair: {why}")),
            }
        }
    }
    summary.sft_lines = sft_lines.len();
    for (enabled, name) in [
        (opts.sft, SFT_FILE),
        (opts.preferences, PREFERENCES_FILE),
        (true, MANIFEST_FILE),
    ] {
        if enabled {
            summary.files.push(opts.out.join(name));
        }
    }
    summary.existing = summary
        .files
        .iter()
        .filter(|p| p.exists())
        .cloned()
        .collect();
    Built {
        summary,
        sft: sft_lines,
        preferences: preference_lines,
    }
}
