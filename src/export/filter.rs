//! Leaving flagged records and near ties out of an export (`--exclude`, `--min-margin`).
//!
//! A line is left out when a text it would carry has a flag of an excluded kind: the final
//! answer for an SFT line (unless the reviewer edited it: then the reviewer's text is what is
//! exported), both compared answers for an AI-feedback pair, the final answer and the initial
//! one for a revision-over-initial pair. An AI-feedback pair is also left out when its P(A)
//! is within `min_margin` of 0.5, or flagged near-tie while near-tie is excluded.

use std::collections::BTreeMap;

use crate::data::Record;
use crate::data::{FlagKind, Site};
use crate::quality::final_site;
use crate::session::Review;

/// The reason `--min-margin` gives in counts.
pub const MIN_MARGIN: &str = "min-margin";

/// Which lines an export leaves out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exclusions {
    /// Leave out lines whose texts have a flag of one of these kinds.
    pub flags: Vec<FlagKind>,
    /// Leave out AI-feedback pairs with |P(A) - 0.5| below this.
    pub min_margin: Option<f64>,
}

/// The kind of line being considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Sft,
    AiFeedbackPair,
    RevisionPair,
}

impl Exclusions {
    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.min_margin.is_none()
    }

    /// Why a line of `kind` for this record is left out (each excluded flag it has, and
    /// `min-margin`), or an empty list when it stays.
    pub fn reasons(&self, record: &Record, review: &Review, kind: LineKind) -> Vec<String> {
        let edited = review.edited.is_some();
        let sites: Vec<Site> = match kind {
            LineKind::Sft if edited => vec![],
            LineKind::Sft => vec![final_site(record)],
            LineKind::RevisionPair if edited => vec![Site::Initial],
            LineKind::RevisionPair => vec![Site::Initial, final_site(record)],
            LineKind::AiFeedbackPair => {
                let rounds = record.rounds.len();
                let mut sites = vec![Site::Comparison];
                if let Some(c) = &record.comparison {
                    sites.extend(Site::of_source(&c.a_source, rounds));
                    sites.extend(Site::of_source(&c.b_source, rounds));
                }
                sites
            }
        };
        let mut reasons: Vec<String> = Vec::new();
        for flag in record.flags() {
            let name = flag.kind.name().to_string();
            if self.flags.contains(&flag.kind)
                && sites.contains(&flag.site)
                && !reasons.contains(&name)
            {
                reasons.push(name);
            }
        }
        if let (LineKind::AiFeedbackPair, Some(margin), Some(c)) =
            (kind, self.min_margin, &record.comparison)
        {
            if (c.p_a - 0.5).abs() < margin {
                reasons.push(MIN_MARGIN.to_string());
            }
        }
        reasons
    }
}

/// Lines left out, per file and reason (a line left out for two reasons counts under both).
pub type ExcludedCounts = BTreeMap<String, BTreeMap<String, usize>>;

/// Counts one left-out line of `file` for each of `reasons`.
pub fn count(counts: &mut ExcludedCounts, file: &str, reasons: &[String]) {
    if reasons.is_empty() {
        return;
    }
    let per_file = counts.entry(file.to_string()).or_default();
    for reason in reasons {
        *per_file.entry(reason.clone()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::QualityFlag;
    use crate::quality::flag_record;
    use crate::quality::tests::{answer, comparison, record, round};
    use crate::session::ReviewState;

    fn review(edited: bool) -> Review {
        Review {
            state: ReviewState::Approved,
            edited: edited.then(|| "My own text.".to_string()),
            flipped: false,
            label_checked: false,
            at: String::new(),
        }
    }

    fn flagged(kind: FlagKind, site: Site) -> QualityFlag {
        QualityFlag {
            kind,
            site,
            reason: "test".into(),
        }
    }

    #[test]
    fn a_flag_on_the_final_answer_excludes_the_sft_line_unless_edited() {
        let mut r = record("q", "First.", vec![round("harm", "c", answer("Final."))]);
        r.flags = Some(vec![flagged(FlagKind::Degenerate, Site::Revision(1))]);
        let ex = Exclusions {
            flags: vec![FlagKind::Degenerate],
            min_margin: None,
        };
        assert_eq!(
            ex.reasons(&r, &review(false), LineKind::Sft),
            vec!["degenerate"]
        );
        assert!(ex.reasons(&r, &review(true), LineKind::Sft).is_empty());
        // Not excluded kinds, or flags on other texts, leave it in.
        let evasive_only = Exclusions {
            flags: vec![FlagKind::Evasive],
            min_margin: None,
        };
        assert!(evasive_only
            .reasons(&r, &review(false), LineKind::Sft)
            .is_empty());
        r.flags = Some(vec![flagged(FlagKind::Degenerate, Site::Initial)]);
        assert!(ex.reasons(&r, &review(false), LineKind::Sft).is_empty());
        assert_eq!(
            ex.reasons(&r, &review(true), LineKind::RevisionPair),
            vec!["degenerate"]
        );
    }

    #[test]
    fn pairs_are_judged_by_both_compared_texts_and_the_margin() {
        let mut r = record("q", "First.", vec![round("harm", "c", answer("Final."))]);
        r.comparison = Some(comparison("revision", "initial", 0.56));
        r.flags = Some(vec![flagged(FlagKind::Evasive, Site::Revision(1))]);
        let ex = Exclusions {
            flags: vec![FlagKind::Evasive],
            min_margin: Some(0.1),
        };
        assert_eq!(
            ex.reasons(&r, &review(false), LineKind::AiFeedbackPair),
            vec!["evasive", "min-margin"]
        );
        let margin_only = Exclusions {
            flags: vec![],
            min_margin: Some(0.06),
        };
        assert!(
            margin_only
                .reasons(&r, &review(false), LineKind::AiFeedbackPair)
                .is_empty(),
            "0.06 from a tie is not below 0.06"
        );
    }

    #[test]
    fn near_tie_is_excluded_through_the_flag_too() {
        let mut r = record("q", "First.", vec![round("harm", "c", answer("Final."))]);
        r.comparison = Some(comparison("initial", "revision", 0.52));
        r.flags = Some(flag_record(&r, 0.05));
        let ex = Exclusions {
            flags: vec![FlagKind::NearTie],
            min_margin: None,
        };
        assert_eq!(
            ex.reasons(&r, &review(false), LineKind::AiFeedbackPair),
            vec!["near-tie"]
        );
        assert!(ex.reasons(&r, &review(false), LineKind::Sft).is_empty());
    }
}
