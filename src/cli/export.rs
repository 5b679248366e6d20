//! `cai export`: write a session's approved records as TRL SFT and preference files.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use crate::data::FlagKind;
use crate::export::{self, Exclusions, ExportOptions};
use crate::session::Session;

/// The exclusions of `--exclude FLAGS` and `--min-margin MARGIN`, checked.
pub fn exclusions(exclude: Option<&str>, min_margin: Option<f64>) -> anyhow::Result<Exclusions> {
    let flags = match exclude {
        Some(list) => FlagKind::parse_list(list).map_err(|e| anyhow::anyhow!("--exclude: {e}"))?,
        None => Vec::new(),
    };
    if let Some(m) = min_margin {
        if !(0.0..=0.5).contains(&m) {
            anyhow::bail!("--min-margin is {m}; it must be between 0 and 0.5");
        }
    }
    Ok(Exclusions { flags, min_margin })
}

/// Exports the session in `session_dir` into `out`; returns what was written, one file a line,
/// and what the exclusions left out.
pub fn export(
    session_dir: &Path,
    out: &Path,
    force: bool,
    revision_pairs: bool,
    exclusions: Exclusions,
) -> anyhow::Result<String> {
    let session = Session::open_read_only(session_dir)
        .with_context(|| format!("could not open session {}", session_dir.display()))?;
    let opts = ExportOptions {
        out: out.to_path_buf(),
        force,
        sft: true,
        preferences: true,
        revision_pairs,
        exclusions,
    };
    let summary = export::export(&session, &opts)?;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "exported {} approved records of session {}",
        summary.approved,
        session.manifest().name
    );
    let pairs = if revision_pairs {
        format!(
            "{} pairs ({} ai-feedback, {} revision-over-initial)",
            summary.preference_lines(),
            summary.ai_feedback_pairs,
            summary.revision_pairs
        )
    } else {
        format!("{} ai-feedback pairs", summary.ai_feedback_pairs)
    };
    for path in &summary.files {
        let what = match path.file_name().and_then(|n| n.to_str()) {
            Some(export::SFT_FILE) => format!("{} examples", summary.sft_lines),
            Some(export::PREFERENCES_FILE) => pairs.clone(),
            Some(export::card::CARD_FILE) => {
                "dataset card (load_dataset(DIR, \"sft\"))".to_string()
            }
            Some(export::recipes::SFT_RECIPE) => "recipe: trl sft --config sft.yaml".to_string(),
            Some(export::recipes::DPO_RECIPE) => "recipe: trl dpo --config dpo.yaml".to_string(),
            _ => "manifest".to_string(),
        };
        let _ = writeln!(text, "  {}  {what}", path.display());
    }
    for note in &summary.notes {
        let _ = writeln!(text, "note: {note}");
    }
    for (file, reasons) in &summary.excluded {
        let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        let _ = writeln!(text, "left out of {file}: {}", parts.join(", "));
    }
    if !summary.skipped.is_empty() {
        let _ = writeln!(text, "skipped {}:", summary.skipped.len());
        for why in &summary.skipped {
            let _ = writeln!(text, "  {why}");
        }
    }
    for warning in session.warnings() {
        let _ = writeln!(text, "warning: {warning}");
    }
    Ok(text.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::review::{review, ReviewAction};
    use crate::data::RecordStatus;
    use crate::session::state::tests::record;
    use crate::session::store::tests::manifest;

    #[test]
    fn exports_and_reports_paths_and_counts_then_refuses_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let mut s = Session::create(&dir, manifest("cli")).unwrap();
        s.append_record(&record("q", RecordStatus::Done, "answer"))
            .unwrap();
        drop(s);
        review(&dir, ReviewAction::ApproveAll).unwrap();
        let out = tmp.path().join("out");
        let text = export(&dir, &out, false, true, Exclusions::default()).unwrap();
        assert!(
            text.starts_with("exported 1 approved records of session cli"),
            "{text}"
        );
        assert!(
            text.contains(&format!("{}  1 examples", out.join("sft.jsonl").display())),
            "{text}"
        );
        // The record has no comparison and no rounds: no pairs of either kind, so no
        // preferences file, and a note that says why.
        assert!(!text.contains("preferences.jsonl  "), "{text}");
        assert!(
            text.contains("note: preferences.jsonl not written: no approved record has an AI-feedback comparison"),
            "{text}"
        );
        assert!(!out.join("preferences.jsonl").exists());
        assert!(out.join("README.md").exists() && out.join("sft.yaml").exists());
        assert!(!out.join("dpo.yaml").exists());
        let err = export(&dir, &out, false, true, Exclusions::default()).unwrap_err();
        assert!(format!("{err:#}").contains("already exists"));
        assert!(export(&dir, &out, true, false, Exclusions::default()).is_ok());
    }
}
