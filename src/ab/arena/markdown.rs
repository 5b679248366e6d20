//! The arena as Markdown: one row per contestant with its harmlessness and helpfulness Elo
//! (95% bootstrap intervals), matches, refusal and degeneration rates; the Elo differences
//! of each pair with their intervals (the one to read for "is X better than Y"); the people's
//! scores and agreement when a person judged blind; both questions on both sets; and the
//! matrix of final answers.

use std::fmt::Write;

use super::outcome::ArenaOutcome;
use super::scores::{find, Rater, ScoreTable};
use crate::ab::head_to_head::Question;
use crate::ab::markdown::escape;
use crate::ab::outcome::PromptSet;
use crate::insights::report::with_interval;
use crate::quality::repetition::clip;

/// How many characters of each answer the matrix shows.
const ANSWER_CHARS: usize = 120;
/// Below this many matches a table's intervals get a warning.
pub const FEW_MATCHES: usize = 10;
/// The warning.
pub const FEW_NOTE: &str = "Fewer than 10 matches behind a score: a bootstrap over so few \
                            understates the uncertainty; read the intervals as a floor.";

/// `1034 [987, 1080]`, or `-` for a contestant without a rating.
pub fn elo_cell(table: Option<&ScoreTable>, c: usize) -> String {
    let Some(r) = table.and_then(|t| t.ratings.contestants.get(c)) else {
        return "-".into();
    };
    match (r.elo, r.elo_interval) {
        (Some(e), Some((lo, hi))) => format!("{e:.0} [{lo:.0}, {hi:.0}]"),
        (Some(e), None) => format!("{e:.0}"),
        _ => "-".into(),
    }
}

/// The outcome as Markdown; `answers` adds the matrix of final answers.
pub fn to_markdown(o: &ArenaOutcome, answers: bool) -> String {
    let mut out = String::new();
    let names: Vec<&str> = o.contestants.iter().map(|c| c.name.as_str()).collect();
    let _ = writeln!(out, "# Arena: {}\n", names.join(" · "));
    let _ = writeln!(
        out,
        "{} red-team and {} benign prompts, seed {}; {} matches judged by {}{}.\n",
        o.manifest.red_team.len(),
        o.manifest.benign.len(),
        o.manifest.seed,
        o.matches,
        o.manifest.feedback_model,
        if o.human_picks > 0 {
            format!(", {} blind picks by a person", o.human_picks)
        } else {
            String::new()
        }
    );
    let harmless = find(&o.scores, Question::Harmless, PromptSet::RedTeam, Rater::Ai);
    let helpful = find(&o.scores, Question::Helpful, PromptSet::Benign, Rater::Ai);
    out.push_str(
        "| contestant | model | constitution | harmless Elo (red-team) [95% CI] | helpful Elo (benign) [95% CI] | matches | refusals red-team | refusals benign | degenerate finals |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for (c, row) in o.contestants.iter().enumerate() {
        let played = |t: Option<&ScoreTable>| {
            t.and_then(|t| t.ratings.contestants.get(c))
                .map_or(0, |r| r.matches)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} + {} | {} | {} | {} |",
            escape(&row.name),
            escape(&row.model),
            escape(&row.constitution),
            elo_cell(harmless, c),
            elo_cell(helpful, c),
            played(harmless),
            played(helpful),
            with_interval(&row.rates.refusals_red_team),
            with_interval(&row.rates.refusals_benign),
            with_interval(&row.rates.degenerate_final),
        );
    }
    out.push_str(
        "\nElo: Bradley–Terry on the calibrated P of each match (both orders averaged), 1000 the \
         field's mean, 100 points a 64% expected score; intervals are percentile bootstrap over \
         matches (1000 replicates). Matches: red-team + benign.\n",
    );
    if [harmless, helpful]
        .into_iter()
        .flatten()
        .any(|t| t.matches < FEW_MATCHES)
    {
        let _ = writeln!(out, "\n{FEW_NOTE}");
    }
    differences(&mut out, &names, [harmless, helpful]);
    if o.human_picks > 0 {
        human(&mut out, o, &names);
    }
    out.push_str("\n## Both questions on both sets (feedback model)\n\n| contestant |");
    let tables: Vec<Option<&ScoreTable>> = [
        (Question::Harmless, PromptSet::RedTeam),
        (Question::Harmless, PromptSet::Benign),
        (Question::Helpful, PromptSet::RedTeam),
        (Question::Helpful, PromptSet::Benign),
    ]
    .into_iter()
    .map(|(q, s)| find(&o.scores, q, s, Rater::Ai))
    .collect();
    for t in tables.iter().flatten() {
        let _ = write!(
            out,
            " {} on {} ({}) |",
            t.question.name(),
            t.prompts.name(),
            t.matches
        );
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(tables.iter().flatten().count()));
    out.push('\n');
    for (c, name) in names.iter().enumerate() {
        let _ = write!(out, "| {} |", escape(name));
        for t in tables.iter().flatten() {
            let _ = write!(out, " {} |", elo_cell(Some(t), c));
        }
        out.push('\n');
    }
    if answers {
        matrix(&mut out, o, &names);
    }
    out
}

/// Each pair's Elo difference under the two headline questions.
fn differences(out: &mut String, names: &[&str], tables: [Option<&ScoreTable>; 2]) {
    out.push_str("\n| pair | harmless: Elo difference [95% CI] | helpful: Elo difference [95% CI] |\n|---|---|---|\n");
    let cell = |t: Option<&ScoreTable>, i: usize, j: usize| {
        let Some(d) = t.and_then(|t| t.differences.iter().find(|d| d.i == i && d.j == j)) else {
            return "-".to_string();
        };
        match d.interval {
            Some((lo, hi)) => {
                let verdict = if lo > 0.0 || hi < 0.0 {
                    ""
                } else {
                    " (0 inside)"
                };
                format!("{:+.0} [{lo:+.0}, {hi:+.0}]{verdict}", d.elo)
            }
            None => format!("{:+.0}", d.elo),
        }
    };
    for i in 0..names.len() {
        for j in i + 1..names.len() {
            let _ = writeln!(
                out,
                "| {} − {} | {} | {} |",
                escape(names[i]),
                escape(names[j]),
                cell(tables[0], i, j),
                cell(tables[1], i, j)
            );
        }
    }
}

/// The people's scores beside the feedback model's, and their agreement per pair.
fn human(out: &mut String, o: &ArenaOutcome, names: &[&str]) {
    out.push_str("\n## People (blind picks) beside the feedback model\n\n| contestant |");
    let mut tables = Vec::new();
    for set in [PromptSet::RedTeam, PromptSet::Benign] {
        let q = if set == PromptSet::Benign {
            Question::Helpful
        } else {
            Question::Harmless
        };
        for rater in [Rater::Ai, Rater::Human, Rater::Both] {
            if let Some(t) = find(&o.scores, q, set, rater) {
                let _ = write!(
                    out,
                    " {} on {}: {} ({}) |",
                    q.name(),
                    set.name(),
                    rater.name(),
                    t.matches
                );
                tables.push(t);
            }
        }
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(tables.len()));
    out.push('\n');
    let few = tables.iter().any(|t| t.matches < FEW_MATCHES);
    for (c, name) in names.iter().enumerate() {
        let _ = write!(out, "| {} |", escape(name));
        for t in &tables {
            let _ = write!(out, " {} |", elo_cell(Some(t), c));
        }
        out.push('\n');
    }
    if few {
        let _ = writeln!(out, "\n{FEW_NOTE}");
    }
    if !o.agreement.is_empty() {
        out.push_str("\n| pair | person agrees with the feedback model [95% CI] |\n|---|---|\n");
        for a in &o.agreement {
            let _ = writeln!(
                out,
                "| {} − {} | {} |",
                escape(&a.contestants[0]),
                escape(&a.contestants[1]),
                with_interval(&a.agree)
            );
        }
    }
}

fn matrix(out: &mut String, o: &ArenaOutcome, names: &[&str]) {
    out.push_str("\n## Final answers\n\n| prompt |");
    for name in names {
        let _ = write!(out, " {} |", escape(name));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(names.len()));
    out.push('\n');
    for row in &o.matrix {
        let _ = write!(
            out,
            "| {}{} |",
            if row.benign { "(benign) " } else { "" },
            escape(&clip(&row.prompt, 80))
        );
        for (answer, flags) in row.answers.iter().zip(&row.flags) {
            let text = answer
                .as_deref()
                .map_or("-".to_string(), |t| clip(t, ANSWER_CHARS));
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" *[{}]*", flags.join(", "))
            };
            let _ = write!(out, " {} |", escape(&format!("{text}{flags}")));
        }
        out.push('\n');
    }
}
