//! Quality flags as stored on a record: what kind, where in the record, and a one-line reason.
//! The rules that set them are in `crate::quality`.

use serde::{Deserialize, Serialize};

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
    pub fn new(kind: FlagKind, site: Site, reason: impl Into<String>) -> Self {
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
