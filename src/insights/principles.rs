//! What each principle did over a session.
//!
//! Critique principles ([`CritiqueStats`]), per round that drew the principle:
//! - `change`: how much the revision changed the text before it (1 - word similarity);
//! - `refusals`: revisions the refusal heuristic flags whose text before was not flagged;
//! - `degenerate`: revisions flagged degenerate;
//! - `preferred`: over records whose final revision this principle wrote (the last round's
//!   principle) and whose comparison put that revision against another answer, how often the
//!   feedback model preferred the revision (P > 0.5; exactly 0.5 counts half), and its mean P.
//!
//! Comparison principles ([`ComparisonStats`]), per verdict:
//! - `first_slot`: the mean probability given to whichever answer was shown first, over
//!   verdicts asked in both orders: (P(A | A first) + P(B | B first)) / 2. 0.5 is no position
//!   bias; above it the principle favours the first option;
//! - `order_flips`: verdicts whose winner changed when the order was swapped;
//! - `ensemble`: agreement with the other principles of the same comparison (the mean P(A) of
//!   the others, leave-one-out), over comparisons that asked two or more;
//! - `reviewer`: agreement with the reviewer, over decided records with a comparison: an
//!   approved record's label (flipped if the reviewer flipped it) is the reviewer's; a rejected
//!   record counts against every principle asked.

use serde::Serialize;

use super::Item;
use crate::data::{Choice, FlagKind, Record, Site};
use crate::quality::has_flag;
use crate::quality::similarity::change;
use crate::session::{human_label, reviewed_label, HumanLabel, ReviewState};
use crate::stats::{Mean, Proportion};

/// One critique principle over a session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CritiqueStats {
    pub id: String,
    /// Rounds that drew it.
    pub draws: usize,
    /// Mean change its revisions made (0 = none, 1 = all words).
    pub change: Mean,
    pub refusals: Proportion,
    pub degenerate: Proportion,
    /// The feedback model preferred its final revision.
    pub preferred: Proportion,
    /// Mean probability the feedback model gave its final revision.
    pub p_preferred: Mean,
}

/// One comparison principle over a session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComparisonStats {
    pub id: String,
    /// Verdicts it gave.
    pub asked: usize,
    /// Mean probability of the first-shown answer, over verdicts asked in both orders.
    pub first_slot: Mean,
    /// Verdicts whose winner changed with the order, over verdicts asked in both orders.
    pub order_flips: Proportion,
    pub ensemble: Proportion,
    pub reviewer: Proportion,
}

/// Per-principle statistics of critique principles, in order of first use.
pub fn critique_stats<'a>(items: impl IntoIterator<Item = Item<'a>>) -> Vec<CritiqueStats> {
    let mut stats: Vec<CritiqueStats> = Vec::new();
    for Item { record, .. } in items {
        let mut before = record.initial.as_ref();
        for (i, round) in record.rounds.iter().enumerate() {
            let entry = entry(&mut stats, &round.principle_id);
            let site = Site::Revision(i as u32 + 1);
            entry.draws += 1;
            if let Some(before) = before {
                entry
                    .change
                    .push(change(&before.text, &round.revision.text));
                entry
                    .refusals
                    .push(round.revision.evasive && !before.evasive);
            }
            entry
                .degenerate
                .push(has_flag(record, FlagKind::Degenerate, Some(site)));
            before = Some(&round.revision);
        }
        if let (Some(last), Some(p)) = (record.rounds.last(), p_final_revision(record)) {
            let entry = entry(&mut stats, &last.principle_id);
            entry.preferred.push_weight(win(p));
            entry.p_preferred.push(p);
        }
    }
    stats
}

/// The probability the feedback model gave the final revision, when the comparison put it
/// against another answer.
fn p_final_revision(record: &Record) -> Option<f64> {
    let c = record.comparison.as_ref()?;
    match (c.a_source.as_str(), c.b_source.as_str()) {
        ("revision", b) if b != "revision" => Some(c.p_a),
        (a, "revision") if a != "revision" => Some(1.0 - c.p_a),
        _ => None,
    }
}

/// 1 for a probability above one half, 0 below, 0.5 at exactly one half.
fn win(p: f64) -> f64 {
    if p > 0.5 {
        1.0
    } else if p < 0.5 {
        0.0
    } else {
        0.5
    }
}

fn entry<'s, T: Default + HasId>(stats: &'s mut Vec<T>, id: &str) -> &'s mut T {
    let at = match stats.iter().position(|s| s.id() == id) {
        Some(at) => at,
        None => {
            let mut fresh = T::default();
            fresh.set_id(id);
            stats.push(fresh);
            stats.len() - 1
        }
    };
    &mut stats[at]
}

trait HasId {
    fn id(&self) -> &str;
    fn set_id(&mut self, id: &str);
}

impl HasId for CritiqueStats {
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: &str) {
        self.id = id.to_string();
    }
}

impl HasId for ComparisonStats {
    fn id(&self) -> &str {
        &self.id
    }
    fn set_id(&mut self, id: &str) {
        self.id = id.to_string();
    }
}

/// Per-principle statistics of comparison principles, in order of first use.
pub fn comparison_stats<'a>(items: impl IntoIterator<Item = Item<'a>>) -> Vec<ComparisonStats> {
    let mut stats: Vec<ComparisonStats> = Vec::new();
    for Item {
        record,
        review,
        blind,
    } in items
    {
        let Some(c) = &record.comparison else {
            continue;
        };
        // A person's label: Some(Some(A or B)) from a blind pick, a confirmed or flipped label,
        // or an approval (the label it kept); Some(None) when a rejection counts against every
        // principle; records not decided (and blind ties) are left out.
        let reviewer = match human_label(c, review, blind) {
            Some(HumanLabel {
                chosen: Some(chosen),
                ..
            }) => Some(Some(chosen == Choice::A)),
            Some(HumanLabel { chosen: None, .. }) => None,
            None => review.and_then(|r| match r.state {
                ReviewState::Pending => None,
                ReviewState::Rejected => Some(None),
                ReviewState::Approved => Some(Some(reviewed_label(c, Some(r)).chosen == Choice::A)),
            }),
        };
        for (i, v) in c.verdicts.iter().enumerate() {
            let entry = entry(&mut stats, &v.principle_id);
            entry.asked += 1;
            let says_a = v.p_a >= 0.5;
            if let Some(swapped) = v.p_a_swapped {
                entry
                    .first_slot
                    .push((v.p_a_forward + (1.0 - swapped)) / 2.0);
                entry
                    .order_flips
                    .push((v.p_a_forward >= 0.5) != (swapped >= 0.5));
            }
            let others: Vec<f64> = c
                .verdicts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| o.p_a)
                .collect();
            if !others.is_empty() {
                let mean = others.iter().sum::<f64>() / others.len() as f64;
                entry.ensemble.push(says_a == (mean >= 0.5));
            }
            match reviewer {
                Some(Some(label_a)) => entry.reviewer.push(says_a == label_a),
                Some(None) => entry.reviewer.push(false),
                None => {}
            }
        }
    }
    stats
}
