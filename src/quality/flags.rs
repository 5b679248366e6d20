//! Quality flags: what is wrong with a record's texts, each with where and a one-line reason.
//! Computed by [`flag_record`] when a record is stored, and on replay for records stored
//! before flags existed.

use super::refusal::is_evasive;
use super::repetition::{clip, measure};
use super::similarity::{copied_share, similarity};
use crate::data::{FinishReason, FlagKind, QualityFlag, Record, Response, Site};

/// A revision copying at least this share of its 4-grams from its critique or its revision
/// request echoes it.
pub const ECHO_SHARE: f64 = 0.6;

/// A revision at least this similar to the text before it is unchanged.
pub const UNCHANGED_SIMILARITY: f64 = 0.9;

/// The near-tie margin when a constitution sets none: |P(A) - 0.5| below it is a near tie.
pub const DEFAULT_TIE_MARGIN: f64 = 0.05;

/// The flags of a record. `tie_margin` is the constitution's near-tie margin.
pub fn flag_record(record: &Record, tie_margin: f64) -> Vec<QualityFlag> {
    let mut flags = Vec::new();
    let mut before = None::<&str>;
    if let Some(initial) = &record.initial {
        answer_flags(&mut flags, Site::Initial, initial);
        before = Some(&initial.text);
    }
    for (i, round) in record.rounds.iter().enumerate() {
        let site = Site::Revision(i as u32 + 1);
        let revision = &round.revision;
        answer_flags(&mut flags, site, revision);
        if revision.text.trim().is_empty() {
            before = Some(&revision.text);
            continue;
        }
        let from_critique = copied_share(&revision.text, &round.critique.text);
        let from_request = copied_share(&revision.text, &round.revision_request);
        if from_critique >= ECHO_SHARE && !round.critique.text.trim().is_empty() {
            let why = format!("{:.0}% copied from the critique", from_critique * 100.0);
            flags.push(QualityFlag::new(FlagKind::Echo, site, why));
        } else if from_request >= ECHO_SHARE {
            let why = format!(
                "{:.0}% copied from the revision request",
                from_request * 100.0
            );
            flags.push(QualityFlag::new(FlagKind::Echo, site, why));
        }
        if let Some(before) = before.filter(|b| !b.trim().is_empty()) {
            let same = similarity(before, &revision.text);
            if same >= UNCHANGED_SIMILARITY {
                let what = if i == 0 {
                    "initial answer"
                } else {
                    "previous revision"
                };
                let why = format!("{:.0}% the same words as the {what}", same * 100.0);
                flags.push(QualityFlag::new(FlagKind::Unchanged, site, why));
            }
        }
        before = Some(&revision.text);
    }
    if let Some(comparison) = &record.comparison {
        for (source, text) in [
            (&comparison.a_source, &comparison.a),
            (&comparison.b_source, &comparison.b),
        ] {
            if let Some(site @ Site::Sample(_)) = Site::of_source(source, record.rounds.len()) {
                sample_flags(&mut flags, site, text);
            }
        }
        let distance = (comparison.p_a - 0.5).abs();
        if distance < tie_margin {
            // The margin is written in the constitution as an f32: shown as written (0.05),
            // not as the f64 it widens to (0.05000000074505806).
            let why = format!(
                "P(A) = {:.3}, within {} of a tie",
                comparison.p_a, tie_margin as f32
            );
            flags.push(QualityFlag::new(FlagKind::NearTie, Site::Comparison, why));
        }
    }
    flags
}

/// Flags every answer can have: empty, cut off, degenerate, evasive.
fn answer_flags(flags: &mut Vec<QualityFlag>, site: Site, response: &Response) {
    if response.finish == FinishReason::Cancelled {
        return;
    }
    if response.text.trim().is_empty() {
        flags.push(QualityFlag::new(FlagKind::Empty, site, "no text"));
        return;
    }
    if response.finish == FinishReason::Length {
        let why = format!("stopped at the token limit ({} tokens)", response.tokens);
        flags.push(QualityFlag::new(FlagKind::CutOff, site, why));
    }
    let repetition = measure(&response.text);
    if response.finish == FinishReason::Loop {
        let why = format!("stopped while looping after {} tokens", response.tokens);
        flags.push(QualityFlag::new(FlagKind::Degenerate, site, why));
    } else if repetition.is_degenerate() {
        flags.push(QualityFlag::new(
            FlagKind::Degenerate,
            site,
            repetition.reason(),
        ));
    }
    if response.evasive {
        let why = format!("reads as a refusal: \"{}\"", clip(&response.text, 50));
        flags.push(QualityFlag::new(FlagKind::Evasive, site, why));
    }
}

/// Flags of a two-samples candidate, of which only the text is stored.
fn sample_flags(flags: &mut Vec<QualityFlag>, site: Site, text: &str) {
    if text.trim().is_empty() {
        flags.push(QualityFlag::new(FlagKind::Empty, site, "no text"));
        return;
    }
    let repetition = measure(text);
    if repetition.is_degenerate() {
        flags.push(QualityFlag::new(
            FlagKind::Degenerate,
            site,
            repetition.reason(),
        ));
    }
    if is_evasive(text) {
        let why = format!("reads as a refusal: \"{}\"", clip(text, 50));
        flags.push(QualityFlag::new(FlagKind::Evasive, site, why));
    }
}
