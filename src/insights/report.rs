//! A session report for sharing (`cai report`): the summary, per-principle tables and, against
//! a second session, both side by side with the diff of their constitutions. As Markdown for
//! a pull request, or JSON for scripts.

use std::fmt::Write;

use serde::Serialize;

use super::diff::ConstitutionDiff;
use super::Insights;
use crate::stats::{Mean, Proportion};

/// One session as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionReport {
    pub session: String,
    pub constitution: String,
    pub constitution_sha256: String,
    pub policy_model: String,
    pub insights: Insights,
}

/// A report of one session, optionally against another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub session: SessionReport,
    pub against: Option<SessionReport>,
    /// The session's constitution against the other's (A is `session`, B is `against`).
    pub diff: Option<ConstitutionDiff>,
}

/// `3/10 (30%) [11–60%]` (the 95% Wilson interval), or `-`.
pub fn with_interval(p: &Proportion) -> String {
    match p.wilson() {
        Some((lo, hi)) => format!("{} [{:.0}–{:.0}%]", p.show(), lo * 100.0, hi * 100.0),
        None => "-".to_string(),
    }
}

fn mean(m: &Mean) -> String {
    m.value().map_or("-".to_string(), |v| format!("{v:.2}"))
}

impl Report {
    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let sessions: Vec<&SessionReport> = std::iter::once(&self.session)
            .chain(&self.against)
            .collect();
        let _ = writeln!(out, "# Session report: {}\n", self.session.session);
        for s in &sessions {
            let _ = writeln!(
                out,
                "- `{}`: constitution `{}` (sha256 {}), policy model `{}`",
                s.session,
                s.constitution,
                short(&s.constitution_sha256),
                s.policy_model
            );
        }
        out.push_str("\nRates with a 95% Wilson interval in brackets.\n\n");
        summary_table(&mut out, &sessions);
        for s in &sessions {
            critique_table(&mut out, s);
            comparison_table(&mut out, s);
        }
        if let Some(diff) = &self.diff {
            diff_section(&mut out, diff, &sessions);
        }
        out
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// How one summary row reads a session.
type Cell = fn(&SessionReport) -> String;

fn summary_table(out: &mut String, sessions: &[&SessionReport]) {
    let mut header = String::from("| |");
    let mut rule = String::from("|---|");
    for s in sessions {
        let _ = write!(header, " {} |", s.session);
        rule.push_str("---|");
    }
    let _ = writeln!(out, "## Summary\n\n{header}\n{rule}");
    let rows: Vec<(&str, Cell)> = vec![
        ("records (done / failed / cancelled)", |s| {
            let m = &s.insights.summary;
            format!("{} / {} / {}", m.done, m.failed, m.cancelled)
        }),
        ("final answers that refuse", |s| {
            with_interval(&s.insights.summary.refusals)
        }),
        ("degenerate revisions", |s| {
            with_interval(&s.insights.summary.degenerate_revisions)
        }),
        ("degenerate final answers", |s| {
            with_interval(&s.insights.summary.degenerate_final)
        }),
        ("degenerate initial answers", |s| {
            with_interval(&s.insights.summary.degenerate_initial)
        }),
        ("change, initial to final (0-1)", |s| {
            mean(&s.insights.summary.change)
        }),
        ("feedback model preferred the revision", |s| {
            with_interval(&s.insights.summary.revision_preferred)
        }),
        ("tokens generated", |s| {
            s.insights.summary.tokens.to_string()
        }),
        ("approved / rejected / pending", |s| {
            let m = &s.insights.summary;
            format!("{} / {} / {}", m.approved, m.rejected, m.pending)
        }),
    ];
    for (label, value) in rows {
        let mut line = format!("| {label} |");
        for s in sessions {
            let _ = write!(line, " {} |", value(s));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(first) = sessions.first() {
        for kind in first.insights.summary.flagged.keys() {
            let mut line = format!("| records flagged {kind} |");
            for s in sessions {
                let n = s.insights.summary.flagged.get(kind).copied().unwrap_or(0);
                let _ = write!(line, " {n} |");
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out.push('\n');
}

fn critique_table(out: &mut String, s: &SessionReport) {
    let _ = writeln!(
        out,
        "## Critique principles: {}\n\n\
         | principle | draws | change | turned into refusals | degenerate | feedback preferred its final revision | mean P |\n\
         |---|---|---|---|---|---|---|",
        s.session
    );
    for p in &s.insights.critique {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            p.id,
            p.draws,
            mean(&p.change),
            p.refusals.show(),
            p.degenerate.show(),
            p.preferred.show(),
            mean(&p.p_preferred)
        );
    }
    out.push('\n');
}

fn comparison_table(out: &mut String, s: &SessionReport) {
    if s.insights.comparison.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "## Comparison principles: {}\n\n\
         | principle | asked | P(first shown) | order flips | agrees with the ensemble | agrees with the reviewer |\n\
         |---|---|---|---|---|---|",
        s.session
    );
    for p in &s.insights.comparison {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            p.id,
            p.asked,
            mean(&p.first_slot),
            p.order_flips.show(),
            p.ensemble.show(),
            p.reviewer.show()
        );
    }
    out.push('\n');
}

fn diff_section(out: &mut String, diff: &ConstitutionDiff, sessions: &[&SessionReport]) {
    let name = |i: usize| sessions.get(i).map_or("?", |s| s.constitution.as_str());
    let _ = writeln!(
        out,
        "## Constitutions: A = `{}`, B = `{}`\n",
        name(0),
        name(1)
    );
    if diff.is_empty() {
        out.push_str("Same principles, settings and examples.\n");
        return;
    }
    for (title, changes) in [
        ("Critique", &diff.critique),
        ("Comparison", &diff.comparison),
    ] {
        for change in changes {
            let _ = writeln!(out, "- {title} principle {}", change.line());
        }
    }
    for setting in &diff.settings {
        let _ = writeln!(out, "- {setting}");
    }
    if diff.examples_differ {
        out.push_str("- the few-shot examples differ\n");
    }
}
