//! What a session says about its constitution: per-principle effects, session summaries and
//! the statistics behind them. Plain functions over records and their reviews, shared by
//! `cai report`, `cai ab` and the workbench's Insights view.
//!
//! - [`stats`]: proportions with Wilson intervals, means;
//! - [`summary`]: one session in numbers (refusal and degeneration rates, flags, change);
//! - [`principles`]: per critique principle and per comparison principle.

pub mod diff;
pub mod principles;
pub mod report;
pub mod summary;

#[cfg(test)]
mod tests;

pub use principles::{comparison_stats, critique_stats, ComparisonStats, CritiqueStats};
pub use summary::{summarise, Summary};

use crate::data::Record;
use crate::session::{BlindPick, Review, SessionState};

/// A record with what people decided about it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub record: &'a Record,
    /// Its review decision, if any.
    pub review: Option<&'a Review>,
    /// A person's blind pick between its compared answers, if any.
    pub blind: Option<&'a BlindPick>,
}

impl<'a> Item<'a> {
    /// A record with its review and no blind pick.
    pub fn new(record: &'a Record, review: Option<&'a Review>) -> Item<'a> {
        Item {
            record,
            review,
            blind: None,
        }
    }
}

/// Every record of a session state with its review (none when pending without a decision)
/// and blind pick.
pub fn items(state: &SessionState) -> Vec<Item<'_>> {
    state
        .records()
        .iter()
        .map(|r| Item {
            record: r,
            review: state.review_ref(&r.prompt.id),
            blind: state.blind_pick(&r.prompt.id),
        })
        .collect()
}

/// Everything the insights show about one session.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Insights {
    pub summary: Summary,
    pub critique: Vec<CritiqueStats>,
    pub comparison: Vec<ComparisonStats>,
}

/// The insights of a list of records with their reviews.
pub fn insights<'a>(items: &[Item<'a>]) -> Insights {
    Insights {
        summary: summarise(items.iter().copied()),
        critique: critique_stats(items.iter().copied()),
        comparison: comparison_stats(items.iter().copied()),
    }
}
