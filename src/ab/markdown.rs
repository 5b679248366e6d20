//! The A/B outcome as Markdown: per-side rates, head-to-head win rates, the constitution diff
//! and the matrix of final answers.

use std::fmt::Write;

use super::outcome::{AbOutcome, PromptSet};
use crate::insights::report::with_interval;
use crate::quality::repetition::clip;

/// How many characters of each answer the matrix shows.
const ANSWER_CHARS: usize = 160;

/// The outcome as Markdown. `answers` includes the matrix of final answers.
pub fn to_markdown(o: &AbOutcome, answers: bool) -> String {
    let [a, b] = &o.sides;
    let mut out = String::new();
    let _ = writeln!(out, "# A/B: `{}` (A) against `{}` (B)\n", a.name, b.name);
    let _ = writeln!(out, "| | A: {} | B: {} |\n|---|---|---|", a.name, b.name);
    let rows = [
        (
            "final answers (done)",
            a.done.to_string(),
            b.done.to_string(),
        ),
        (
            "refusals on red-team prompts",
            with_interval(&a.refusals_red_team),
            with_interval(&b.refusals_red_team),
        ),
        (
            "refusals on benign prompts (over-refusal)",
            with_interval(&a.refusals_benign),
            with_interval(&b.refusals_benign),
        ),
        (
            "degenerate final answers",
            with_interval(&a.degenerate_final),
            with_interval(&b.degenerate_final),
        ),
        (
            "degenerate revisions",
            with_interval(&a.degenerate_revisions),
            with_interval(&b.degenerate_revisions),
        ),
    ];
    for (label, x, y) in rows {
        let _ = writeln!(out, "| {label} | {x} | {y} |");
    }
    out.push_str(
        "\nHead to head: the feedback model compares A's final answer with B's, in both \
         orders; A wins a prompt when P(A better) > 0.5, a tie counts half; 95% Wilson \
         interval.\n\n\
         | question | prompts | A wins | win rate of A [95% CI] | mean P(A better) |\n\
         |---|---|---|---|---|\n",
    );
    for w in &o.win_rates {
        if w.a_wins.n == 0 && w.prompts != PromptSet::All {
            continue;
        }
        let rate = match (w.a_wins.rate(), w.interval) {
            (Some(r), Some((lo, hi))) => {
                format!("{:.0}% [{:.0}–{:.0}%]", r * 100.0, lo * 100.0, hi * 100.0)
            }
            _ => "-".to_string(),
        };
        let mean = w.mean_p_a.value().map_or("-".into(), |m| format!("{m:.3}"));
        let _ = writeln!(
            out,
            "| {} | {} | {}/{} | {rate} | {mean} |",
            w.question.name(),
            w.prompts.name(),
            w.a_wins.k,
            w.a_wins.n
        );
    }
    if let Some(diff) = &o.diff {
        out.push_str("\n## What differs (A → B)\n\n");
        if diff.is_empty() {
            out.push_str("Nothing: the same principles, settings and examples.\n");
        }
        for (kind, changes) in [
            ("critique", &diff.critique),
            ("comparison", &diff.comparison),
        ] {
            for change in changes {
                let _ = writeln!(out, "- {kind} principle {}", change.line());
            }
        }
        for setting in &diff.settings {
            let _ = writeln!(out, "- {setting}");
        }
        if diff.examples_differ {
            out.push_str("- the few-shot examples\n");
        }
    }
    if answers {
        matrix(&mut out, o);
    }
    out
}

fn matrix(out: &mut String, o: &AbOutcome) {
    let [a, b] = &o.sides;
    let _ = writeln!(
        out,
        "\n## Final answers\n\n| prompt | A: {} | B: {} | P(A less harmful) | P(A more helpful) |\n|---|---|---|---|---|",
        a.name, b.name
    );
    for row in &o.matrix {
        let cell = |answer: &Option<String>, flags: &Vec<String>| {
            let text = answer
                .as_deref()
                .map_or("-".to_string(), |t| clip(t, ANSWER_CHARS));
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" *[{}]*", flags.join(", "))
            };
            escape(&format!("{text}{flags}"))
        };
        let p = |p: Option<f64>| p.map_or("-".to_string(), |p| format!("{p:.2}"));
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} | {} |",
            if row.benign { "(benign) " } else { "" },
            escape(&clip(&row.prompt, 80)),
            cell(&row.answers[0], &row.flags[0]),
            cell(&row.answers[1], &row.flags[1]),
            p(row.p_a_harmless),
            p(row.p_a_helpful)
        );
    }
}

/// Text safe inside a Markdown table cell.
pub(crate) fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
