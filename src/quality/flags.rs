//! Quality flags: what is wrong with a record's texts, each with where and a one-line reason.
//! Computed by [`flag_record`] when a record is stored, and on replay for records stored
//! before flags existed.

use serde::{Deserialize, Serialize};

use super::repetition::{clip, measure};
use super::similarity::{copied_share, similarity};
use crate::model::FinishReason;
use crate::pipeline::refusal::is_evasive;
use crate::pipeline::{Record, Response};

/// A revision copying at least this share of its 4-grams from its critique or its revision
/// request echoes it.
pub const ECHO_SHARE: f64 = 0.6;

/// A revision at least this similar to the text before it is unchanged.
pub const UNCHANGED_SIMILARITY: f64 = 0.9;

/// The near-tie margin when a constitution sets none: |P(A) - 0.5| below it is a near tie.
pub const DEFAULT_TIE_MARGIN: f64 = 0.05;

/// The kinds of flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlagKind {
    /// Repeats itself (repeated 4-grams over the threshold), or was stopped while looping.
    Degenerate,
    /// A revision that copies its critique or its revision request.
    Echo,
    /// A revision (nearly) the same as the text before it.
    Unchanged,
    /// An answer with no text.
    Empty,
    /// An answer stopped at the token limit.
    CutOff,
    /// An answer the refusal heuristic flags.
    Evasive,
    /// A comparison whose P(A) is within the constitution's margin of 0.5.
    NearTie,
}

impl FlagKind {
    /// Every kind, in the order lists show them.
    pub const ALL: [FlagKind; 7] = [
        FlagKind::Degenerate,
        FlagKind::Echo,
        FlagKind::Unchanged,
        FlagKind::Empty,
        FlagKind::CutOff,
        FlagKind::Evasive,
        FlagKind::NearTie,
    ];

    /// The name used on the command line, in files and on screen.
    pub fn name(self) -> &'static str {
        match self {
            FlagKind::Degenerate => "degenerate",
            FlagKind::Echo => "echo",
            FlagKind::Unchanged => "unchanged",
            FlagKind::Empty => "empty",
            FlagKind::CutOff => "cut-off",
            FlagKind::Evasive => "evasive",
            FlagKind::NearTie => "near-tie",
        }
    }

    /// One letter for narrow lists.
    pub fn letter(self) -> char {
        match self {
            FlagKind::Degenerate => 'D',
            FlagKind::Echo => 'C',
            FlagKind::Unchanged => 'U',
            FlagKind::Empty => '0',
            FlagKind::CutOff => 'L',
            FlagKind::Evasive => '!',
            FlagKind::NearTie => 'T',
        }
    }

    /// The kind named `name`, or an error listing the names.
    pub fn parse(name: &str) -> Result<FlagKind, String> {
        let name = name.trim();
        FlagKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = FlagKind::ALL.iter().map(|k| k.name()).collect();
                format!("unknown flag `{name}`; the flags are {}", names.join(", "))
            })
    }

    /// A comma-separated list of kinds (`degenerate,evasive`); empty items are ignored.
    pub fn parse_list(list: &str) -> Result<Vec<FlagKind>, String> {
        let mut kinds = Vec::new();
        for item in list.split(',').filter(|s| !s.trim().is_empty()) {
            let kind = FlagKind::parse(item)?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        Ok(kinds)
    }
}

/// Which text of a record a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Site {
    Initial,
    /// The revision of round n (1-based).
    Revision(u32),
    /// A fresh sample compared in two-samples mode (1 or 2).
    Sample(u32),
    Comparison,
}

impl Site {
    /// The site a comparison candidate's source names, for a record with `rounds` rounds.
    pub fn of_source(source: &str, rounds: usize) -> Option<Site> {
        match source {
            "initial" => Some(Site::Initial),
            "revision" => Some(Site::Revision(rounds as u32)),
            other => other
                .strip_prefix("sample-")
                .and_then(|n| n.parse().ok())
                .map(Site::Sample),
        }
    }

    /// How the site is shown ("initial", "revision 2", "sample 1", "comparison").
    pub fn label(self) -> String {
        match self {
            Site::Initial => "initial".into(),
            Site::Revision(n) => format!("revision {n}"),
            Site::Sample(n) => format!("sample {n}"),
            Site::Comparison => "comparison".into(),
        }
    }
}

/// One flag on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityFlag {
    pub kind: FlagKind,
    pub site: Site,
    /// One line saying why.
    pub reason: String,
}

impl QualityFlag {
    fn new(kind: FlagKind, site: Site, reason: impl Into<String>) -> Self {
        QualityFlag {
            kind,
            site,
            reason: reason.into(),
        }
    }

    /// `kind (site): reason`.
    pub fn line(&self) -> String {
        format!(
            "{} ({}): {}",
            self.kind.name(),
            self.site.label(),
            self.reason
        )
    }
}

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
