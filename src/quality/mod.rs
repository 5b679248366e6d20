//! Which records are worth keeping: quality flags on every record, from the text alone.
//!
//! - [`repetition`]: the share of repeated word 4-grams (degenerate answers), the loop
//!   detector that stops a generation early, and trimming of a stopped loop.
//! - [`similarity`]: how much a revision changed, and how much of it was copied from its
//!   critique or revision request.
//! - [`flags`]: the flags themselves ([`FlagKind`]: degenerate, echo, unchanged, empty,
//!   cut-off, evasive, near-tie), each on a [`Site`] of the record with a one-line reason.
//!
//! Flags are computed when a record is stored (the runner) and, for sessions stored before
//! flags existed, when the session log is replayed. Review filters on them, export can leave
//! flagged records out, and the per-principle statistics count them.

pub mod flags;
pub mod refusal;
pub mod repetition;
pub mod similarity;

#[cfg(test)]
pub(crate) mod tests;

pub use flags::{flag_record, DEFAULT_TIE_MARGIN};

use crate::data::{FlagKind, Record, Site};

/// Which of a record's answers read as refusals ([`refusal::is_evasive`], flagged on each
/// response when it is recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evasiveness {
    pub initial: bool,
    /// The final answer: the last revision, or the initial answer when no round ran.
    pub final_answer: bool,
}

/// Which of the record's answers are evasive.
pub fn evasiveness(record: &Record) -> Evasiveness {
    let initial = record.initial.as_ref().is_some_and(|r| r.evasive);
    Evasiveness {
        initial,
        final_answer: match record.rounds.last() {
            Some(round) => round.revision.evasive,
            None => initial,
        },
    }
}

/// What "evasive" means for a record everywhere (review filter, refusal rates, A/B sides):
/// its final answer reads as a refusal.
pub fn is_final_evasive(record: &Record) -> bool {
    evasiveness(record).final_answer
}

/// The site of the record's final answer: the last revision, or the initial answer.
pub fn final_site(record: &Record) -> Site {
    match record.rounds.len() {
        0 => Site::Initial,
        n => Site::Revision(n as u32),
    }
}

/// Whether the record has a flag of `kind` (anywhere, when `site` is `None`).
pub fn has_flag(record: &Record, kind: FlagKind, site: Option<Site>) -> bool {
    record
        .flags()
        .iter()
        .any(|f| f.kind == kind && site.is_none_or(|s| s == f.site))
}

/// The kinds of flag a record has, each once, in [`FlagKind::ALL`] order.
pub fn kinds(record: &Record) -> Vec<FlagKind> {
    FlagKind::ALL
        .into_iter()
        .filter(|k| record.flags().iter().any(|f| f.kind == *k))
        .collect()
}

/// Fills in the flags of a record stored before flags existed.
pub fn ensure_flags(record: &mut Record, tie_margin: f64) {
    if record.flags.is_none() {
        record.flags = Some(flag_record(record, tie_margin));
    }
}
