//! A session in numbers: how many records, how often the final answer refuses or degenerates,
//! how often each flag occurs, how much revisions changed the answers, and how often the
//! feedback model preferred the final revision.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Item;
use crate::data::{FlagKind, Site};
use crate::data::{Record, RecordStatus};
use crate::quality::similarity::change;
use crate::quality::{final_site, has_flag};
use crate::session::ReviewState;
use crate::stats::{Mean, Proportion};

/// The numbers of one session (done records unless said otherwise).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub records: usize,
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// Final answers the refusal heuristic flags.
    pub refusals: Proportion,
    /// Final answers flagged degenerate.
    pub degenerate_final: Proportion,
    /// Revisions (of every round) flagged degenerate.
    pub degenerate_revisions: Proportion,
    /// Initial answers flagged degenerate.
    pub degenerate_initial: Proportion,
    /// Records with at least one flag of each kind, by kind name.
    pub flagged: BTreeMap<String, usize>,
    /// Change from the initial answer to the final one (1 - word similarity).
    pub change: Mean,
    /// The feedback model preferred the final revision over the initial answer.
    pub revision_preferred: Proportion,
    /// Tokens generated, all stages.
    pub tokens: u64,
    pub approved: usize,
    pub rejected: usize,
    pub pending: usize,
}

/// Summarises records (with their reviews).
pub fn summarise<'a>(items: impl IntoIterator<Item = Item<'a>>) -> Summary {
    let mut s = Summary::default();
    for kind in FlagKind::ALL {
        s.flagged.insert(kind.name().to_string(), 0);
    }
    for Item { record, review, .. } in items {
        s.records += 1;
        s.tokens += u64::from(record.generated_tokens);
        match record.status {
            RecordStatus::Done => s.done += 1,
            RecordStatus::Failed(_) => s.failed += 1,
            RecordStatus::Cancelled => s.cancelled += 1,
        }
        if record.status != RecordStatus::Done {
            continue;
        }
        match review.map_or(ReviewState::Pending, |r| r.state) {
            ReviewState::Approved => s.approved += 1,
            ReviewState::Rejected => s.rejected += 1,
            ReviewState::Pending => s.pending += 1,
        }
        add_record(&mut s, record);
    }
    s
}

fn add_record(s: &mut Summary, record: &Record) {
    for kind in FlagKind::ALL {
        if has_flag(record, kind, None) {
            *s.flagged.entry(kind.name().to_string()).or_default() += 1;
        }
    }
    if record.final_text().is_some() {
        s.refusals.push(crate::quality::is_final_evasive(record));
        let site = final_site(record);
        s.degenerate_final
            .push(has_flag(record, FlagKind::Degenerate, Some(site)));
    }
    if record.initial.is_some() {
        s.degenerate_initial
            .push(has_flag(record, FlagKind::Degenerate, Some(Site::Initial)));
    }
    for n in 1..=record.rounds.len() {
        let site = Site::Revision(n as u32);
        s.degenerate_revisions
            .push(has_flag(record, FlagKind::Degenerate, Some(site)));
    }
    if let (Some(initial), Some(last)) = (&record.initial, record.rounds.last()) {
        s.change.push(change(&initial.text, &last.revision.text));
    }
    if let Some(c) = &record.comparison {
        let p = match (c.a_source.as_str(), c.b_source.as_str()) {
            ("revision", "initial") => Some(c.p_a),
            ("initial", "revision") => Some(1.0 - c.p_a),
            _ => None,
        };
        if let Some(p) = p {
            s.revision_preferred
                .push_weight(if p == 0.5 { 0.5 } else { f64::from(p > 0.5) });
        }
    }
}
