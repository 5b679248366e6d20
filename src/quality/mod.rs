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
pub mod repetition;
pub mod similarity;

#[cfg(test)]
pub(crate) mod tests;

pub use flags::{flag_record, FlagKind, QualityFlag, Site, DEFAULT_TIE_MARGIN};

use crate::pipeline::Record;

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
