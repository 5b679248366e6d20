//! The export's `manifest.json`: what was exported, from which session, with which options,
//! and each file's line count and sha256 so a training run can check its inputs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::constitution::Settings;
use crate::model::ModelInfo;
use crate::session::Manifest;

use super::ExportSummary;

/// The constitution an export's data was made with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstitutionRef {
    pub name: String,
    pub sha256: String,
}

/// One written data file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileEntry {
    pub lines: usize,
    pub sha256: String,
}

/// The options the export ran with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionsEntry {
    pub sft: bool,
    pub preferences: bool,
    pub revision_pairs: bool,
    pub force: bool,
    /// Flag kinds whose lines were left out.
    pub exclude: Vec<String>,
    /// AI-feedback pairs with |P(A) - 0.5| below this were left out.
    pub min_margin: Option<f64>,
}

/// How many records and lines went where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountsEntry {
    pub approved: usize,
    pub sft: usize,
    pub ai_feedback_pairs: usize,
    pub revision_pairs: usize,
    pub skipped: usize,
    /// Lines left out by `exclude` and `min_margin`, per file and reason (a line left out
    /// for two reasons counts under both).
    pub excluded: super::ExcludedCounts,
}

/// Contents of the export's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportManifest {
    pub session: String,
    pub session_created_at: String,
    pub exported_at: String,
    pub program_version: String,
    pub constitution: ConstitutionRef,
    pub policy_model: ModelInfo,
    pub feedback_model: ModelInfo,
    pub settings: Settings,
    pub seed: u64,
    pub options: OptionsEntry,
    pub counts: CountsEntry,
    /// File name to its line count and sha256.
    pub files: BTreeMap<String, FileEntry>,
    /// One `record id: reason` per approved record (or pair) left out.
    pub skipped: Vec<String>,
}

impl ExportManifest {
    /// The manifest of an export of `session` that produced `summary` and `files`.
    pub fn new(
        session: &Manifest,
        options: OptionsEntry,
        summary: &ExportSummary,
        files: BTreeMap<String, FileEntry>,
    ) -> ExportManifest {
        ExportManifest {
            session: session.name.clone(),
            session_created_at: session.created_at.clone(),
            exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            program_version: env!("CARGO_PKG_VERSION").to_string(),
            constitution: ConstitutionRef {
                name: session.constitution_name.clone(),
                sha256: session.constitution_sha256.clone(),
            },
            policy_model: session.policy_model.clone(),
            feedback_model: session.feedback_model.clone(),
            settings: session.settings.clone(),
            seed: session.seed,
            options,
            counts: CountsEntry {
                approved: summary.approved,
                sft: summary.sft_lines,
                ai_feedback_pairs: summary.ai_feedback_pairs,
                revision_pairs: summary.revision_pairs,
                skipped: summary.skipped.len(),
                excluded: summary.excluded.clone(),
            },
            files,
            skipped: summary.skipped.clone(),
        }
    }
}
