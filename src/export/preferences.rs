//! `preferences.jsonl`: TRL explicit-prompt conversational pairs
//! `{"prompt": [user], "chosen": [assistant], "rejected": [assistant], ...}`.
//!
//! Two kinds of pair share the file, told apart by `"pair"`:
//! - `"ai-feedback"`: from the record's comparison. Chosen is the response the feedback model
//!   preferred, or the other one if the reviewer flipped the label; `p_chosen` is the soft
//!   label's probability of the chosen side (below 0.5 after a flip). The texts are the ones
//!   the feedback model compared, so a reviewer's edit is not put into them.
//! - `"revision-over-initial"` (the open reproduction's pairs, on request): chosen is the final
//!   (or edited) revision, rejected the initial response; a hard pair, `p_chosen` 1.0.

use serde::Serialize;

use crate::data::{Choice, Comparison, Record};
use crate::model::ChatMessage;
use crate::session::{
    human_label, reviewed_label, BlindPick, HumanLabel, LabelSource, Manifest, Review,
};

use super::provenance::{final_answer, Provenance};

/// `"pair"` of an AI-feedback pair.
pub const AI_FEEDBACK: &str = "ai-feedback";
/// `"pair"` of a revision-over-initial pair.
pub const REVISION_OVER_INITIAL: &str = "revision-over-initial";

/// One comparison principle's P(A), as stored in the record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrincipleProbability {
    pub principle_id: String,
    /// Combined P(A) for this principle.
    pub p_a: f64,
    pub p_a_forward: f64,
    /// P(A) asked with the options swapped; null when only one order was asked.
    pub p_a_swapped: Option<f64>,
}

/// One line of `preferences.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreferenceLine {
    pub prompt: Vec<ChatMessage>,
    pub chosen: Vec<ChatMessage>,
    pub rejected: Vec<ChatMessage>,
    /// `"ai-feedback"` or `"revision-over-initial"`.
    pub pair: &'static str,
    /// What the chosen and rejected texts are ("initial", "revision", "sample-1", ...).
    pub chosen_source: String,
    pub rejected_source: String,
    /// Probability the feedback model gave the chosen side; 1.0 for revision pairs, which
    /// are hard pairs.
    pub p_chosen: f64,
    /// The reviewer flipped the feedback model's label.
    pub flipped: bool,
    /// Whose judgement chose: the feedback model's (its P, kept as the reviewer left it),
    /// a reviewer's (a label confirmed or flipped) or a person's blind pick (which wins).
    pub label_source: LabelSource,
    /// What response A of the comparison was (the `p_a` values are about it); empty for
    /// revision pairs.
    pub a_source: String,
    /// Comparison principle ids asked, in order (empty for revision pairs).
    pub principle_ids: Vec<String>,
    /// P(A) per comparison principle, in the order of `principle_ids` (empty for revision
    /// pairs).
    pub p_a_by_principle: Vec<PrincipleProbability>,
    /// The reviewer's edit is in this pair's texts.
    pub edit_applied: bool,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// The AI-feedback pair of an approved record, `Ok(None)` when it has no comparison, or why
/// its comparison cannot make a pair.
pub fn ai_feedback_pair(
    manifest: &Manifest,
    record: &Record,
    review: &Review,
    blind: Option<&BlindPick>,
) -> Result<Option<PreferenceLine>, String> {
    let Some(comparison) = &record.comparison else {
        return Ok(None);
    };
    let Comparison {
        a_source,
        a,
        b_source,
        b,
        verdicts,
        ..
    } = comparison;
    if a == b {
        return Err("the compared responses are identical".into());
    }
    let label = reviewed_label(comparison, Some(review));
    let (chosen_slot, label_source) = match human_label(comparison, Some(review), blind) {
        Some(HumanLabel {
            chosen: Some(chosen),
            source,
        }) => (chosen, source),
        Some(HumanLabel { chosen: None, .. }) => {
            return Err("a person judged the two answers a tie, blind".into())
        }
        None => (label.chosen, LabelSource::FeedbackModel),
    };
    let p_chosen = match chosen_slot {
        Choice::A => comparison.p_a,
        Choice::B => 1.0 - comparison.p_a,
    };
    let (chosen, chosen_source, rejected, rejected_source) = match chosen_slot {
        Choice::A => (a, a_source, b, b_source),
        Choice::B => (b, b_source, a, a_source),
    };
    Ok(Some(PreferenceLine {
        prompt: vec![ChatMessage::user(record.prompt.text.clone())],
        chosen: vec![ChatMessage::assistant(chosen.clone())],
        rejected: vec![ChatMessage::assistant(rejected.clone())],
        pair: AI_FEEDBACK,
        chosen_source: chosen_source.clone(),
        rejected_source: rejected_source.clone(),
        p_chosen,
        flipped: review.flipped,
        label_source,
        a_source: a_source.clone(),
        principle_ids: verdicts.iter().map(|v| v.principle_id.clone()).collect(),
        p_a_by_principle: verdicts
            .iter()
            .map(|v| PrincipleProbability {
                principle_id: v.principle_id.clone(),
                p_a: v.p_a,
                p_a_forward: v.p_a_forward,
                p_a_swapped: v.p_a_swapped,
            })
            .collect(),
        edit_applied: false,
        provenance: Provenance::new(manifest, record, review),
    }))
}

/// The revision-over-initial pair of an approved record, `Ok(None)` when it had no revision
/// round, or why it cannot make a pair.
pub fn revision_pair(
    manifest: &Manifest,
    record: &Record,
    review: &Review,
) -> Result<Option<PreferenceLine>, String> {
    if record.rounds.is_empty() && review.edited.is_none() {
        return Ok(None);
    }
    let initial = record.initial.as_ref().ok_or("no initial response")?;
    let revised = final_answer(record, review).ok_or("no revision")?;
    if revised == initial.text {
        return Err("the revision is identical to the initial response".into());
    }
    Ok(Some(PreferenceLine {
        prompt: vec![ChatMessage::user(record.prompt.text.clone())],
        chosen: vec![ChatMessage::assistant(revised)],
        rejected: vec![ChatMessage::assistant(initial.text.clone())],
        pair: REVISION_OVER_INITIAL,
        chosen_source: if review.edited.is_some() {
            "edited-revision"
        } else {
            "revision"
        }
        .into(),
        rejected_source: "initial".into(),
        p_chosen: 1.0,
        flipped: false,
        label_source: LabelSource::ByConstruction,
        a_source: String::new(),
        principle_ids: Vec::new(),
        p_a_by_principle: Vec::new(),
        edit_applied: review.edited.is_some(),
        provenance: Provenance::new(manifest, record, review),
    }))
}
