//! Which lines an export writes: each approved, finished record of a session turned into its
//! SFT line and preference lines under the export's options and exclusions, with what was
//! skipped or excluded and why, and a note when a selected file would be empty.

use serde::Serialize;

use super::filter::{self, LineKind};
use super::{card, recipes, MANIFEST_FILE, PREFERENCES_FILE, SFT_FILE};
use super::{preferences, sft, ExportOptions, ExportSummary};
use crate::constitution::{parse_constitution, Constitution};
use crate::data::RecordStatus;
use crate::session::{ReviewState, Session};

/// The lines an export would write, and its summary.
pub(super) struct Built {
    pub summary: ExportSummary,
    pub sft: Vec<String>,
    pub preferences: Vec<String>,
    /// The session's constitution, when its snapshot parses.
    pub constitution: Option<Constitution>,
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

pub(super) fn build(session: &Session, opts: &ExportOptions) -> Built {
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
        let excluded = &mut summary.excluded;
        let mut left_out = |kind: LineKind, file: &str| {
            let reasons = opts.exclusions.reasons(record, &review, kind);
            filter::count(excluded, file, &reasons);
            !reasons.is_empty()
        };
        if opts.sft && !left_out(LineKind::Sft, SFT_FILE) {
            match sft::sft_line(manifest, record, &review) {
                Ok(line) => sft_lines.extend(to_line(&line, id, skipped)),
                Err(why) => skipped.push(format!("{id}: sft: {why}")),
            }
        }
        if !opts.preferences {
            continue;
        }
        let pair_left_out =
            record.comparison.is_some() && left_out(LineKind::AiFeedbackPair, PREFERENCES_FILE);
        let revision_pair_left_out =
            opts.revision_pairs && left_out(LineKind::RevisionPair, PREFERENCES_FILE);
        let blind = state.blind_pick(id);
        match preferences::ai_feedback_pair(manifest, record, &review, blind) {
            _ if pair_left_out => {}
            Ok(Some(line)) => {
                if let Some(line) = to_line(&line, id, skipped) {
                    preference_lines.push(line);
                    summary.ai_feedback_pairs += 1;
                }
            }
            Ok(None) => {}
            Err(why) => skipped.push(format!("{id}: ai-feedback pair: {why}")),
        }
        if opts.revision_pairs && !revision_pair_left_out {
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
    let constitution = parse_constitution(&manifest.constitution_toml, None).ok();
    if opts.sft && sft_lines.is_empty() && summary.approved > 0 {
        summary
            .notes
            .push(format!("{SFT_FILE} not written: every approved record was skipped or excluded (see the skipped records and the excluded counts)"));
    }
    if opts.preferences && preference_lines.is_empty() && summary.approved > 0 {
        summary
            .notes
            .push(empty_preferences(state, opts, constitution.as_ref()));
    }
    let sft = opts.sft && !sft_lines.is_empty();
    let preferences = opts.preferences && !preference_lines.is_empty();
    for (enabled, name) in [
        (sft, SFT_FILE),
        (preferences, PREFERENCES_FILE),
        (true, card::CARD_FILE),
        (sft, recipes::SFT_RECIPE),
        (preferences, recipes::DPO_RECIPE),
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
        constitution,
    }
}

/// Why `preferences.jsonl` would be empty, and what to export instead.
fn empty_preferences(
    state: &crate::session::SessionState,
    opts: &ExportOptions,
    constitution: Option<&Constitution>,
) -> String {
    let approved: Vec<_> = state
        .records()
        .iter()
        .filter(|r| {
            r.status == RecordStatus::Done
                && state.review(&r.prompt.id).state == ReviewState::Approved
        })
        .collect();
    let compared = approved.iter().filter(|r| r.comparison.is_some()).count();
    let why = if compared > 0 {
        format!("the {compared} AI-feedback pair(s) of the approved records were skipped or excluded (see the skipped records and the excluded counts)")
    } else if constitution.is_some_and(|c| !c.comparisons.iter().any(|p| p.enabled)) {
        format!(
            "no approved record has an AI-feedback comparison: the constitution `{}` has no comparison principles, so its runs compare nothing",
            constitution.map_or("", |c| c.name.as_str())
        )
    } else {
        "no approved record has an AI-feedback comparison (the runs were made without --compare)"
            .to_string()
    };
    let fix = if opts.revision_pairs {
        "no approved record has a revision to pair with its initial answer either".to_string()
    } else {
        "fix: pass --revision-pairs to export each final revision chosen over its initial answer (the pairs the open reproduction trained on)".to_string()
    };
    format!("{PREFERENCES_FILE} not written: {why}\n  {fix}")
}
