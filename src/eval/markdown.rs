//! The tables `cai eval` prints and writes as `report.md`: per set, a row per configuration and
//! a row per comparison principle, every rate with its count and 95% interval, and the
//! reliability table of each configuration.

use std::fmt::Write;

use super::dir::EvalManifest;
use super::fit::FitReport;
use super::report::{EvalReport, Row};

/// The report as Markdown.
pub fn markdown(manifest: &EvalManifest, report: &EvalReport, fit: Option<&FitReport>) -> String {
    let mut out = String::new();
    let m = manifest;
    let _ = writeln!(out, "# Judge eval: {}\n", m.feedback_model.id);
    let _ = writeln!(
        out,
        "Feedback model `{}`{}; comparison principles of `{}` (sha256 {}); seed {}.",
        m.feedback_model.id,
        m.feedback_model
            .sha256
            .as_deref()
            .map(|s| format!(" (sha256 {})", &s[..s.len().min(12)]))
            .unwrap_or_default(),
        m.constitution_name,
        &m.constitution_sha256[..m.constitution_sha256.len().min(12)],
        m.seed
    );
    let _ = writeln!(
        out,
        "Accuracy: a label above 0.5 for the better answer is right, exactly 0.5 counts half; \
         95% Wilson intervals. Calibration: P(A) over 0-1 against \"A is the better answer\" \
         (written questions: the confidence in the chosen option), ECE over 10 equal bins.\n"
    );
    if report.unanswered > 0 {
        let _ = writeln!(
            out,
            "**{} questions have no answer yet** (the eval stopped part way; run it again to resume).\n",
            report.unanswered
        );
    }
    for set in &report.sets {
        let _ = writeln!(
            out,
            "## {} ({} questions, {})\n",
            set.set, set.questions, set.asked
        );
        table(&mut out, "configuration", &set.configs);
        if !set.principles.is_empty() {
            let _ = writeln!(
                out,
                "Per comparison principle (direct questions, every configuration that asked it):\n"
            );
            table(&mut out, "principle", &set.principles);
        }
        for row in &set.configs {
            reliability(&mut out, row);
        }
    }
    if let Some(fit) = fit {
        let _ = writeln!(out, "## Calibration fit\n");
        let _ = writeln!(out, "{}\n", fit.summary());
    }
    out
}

fn table(out: &mut String, first: &str, rows: &[Row]) {
    let _ = writeln!(
        out,
        "| {first} | n | accuracy (95% CI) | chance | order consistency | first option chosen | Brier | ECE | mean \\|P-0.5\\| |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---|---|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |",
            r.name,
            r.n,
            rate_with_interval(r.accuracy.rate(), r.interval),
            r.chance,
            r.order_consistency.map_or("-".into(), |p| proportion(&p)),
            r.first_chosen.map_or("-".into(), |p| proportion(&p)),
            r.brier.map_or("-".into(), |b| format!("{b:.3}")),
            r.ece.map_or("-".into(), |e| format!("{e:.3}")),
            r.mean_confidence.map_or("-".into(), |c| format!("{c:.3}")),
        );
    }
    out.push('\n');
}

fn reliability(out: &mut String, row: &Row) {
    if row.reliability.iter().all(|b| b.n == 0) {
        return;
    }
    let _ = writeln!(out, "Reliability, {} (bins with answers):\n", row.name);
    let _ = writeln!(out, "| P | n | mean P | observed (95% CI) |");
    let _ = writeln!(out, "|---|---:|---:|---|");
    for b in row.reliability.iter().filter(|b| b.n > 0) {
        let _ = writeln!(
            out,
            "| {:.1}-{:.1} | {} | {} | {} |",
            b.lo,
            b.hi,
            b.n,
            b.conf.map_or("-".into(), |c| format!("{c:.3}")),
            rate_with_interval(b.acc, b.interval),
        );
    }
    out.push('\n');
}

/// `0.62 [0.57, 0.66]`, or `-`.
pub fn rate_with_interval(rate: Option<f64>, interval: Option<(f64, f64)>) -> String {
    match (rate, interval) {
        (Some(r), Some((lo, hi))) => format!("{r:.3} [{lo:.3}, {hi:.3}]"),
        (Some(r), None) => format!("{r:.3}"),
        _ => "-".into(),
    }
}

/// `120/200 (60%) [53%, 67%]`.
fn proportion(p: &crate::stats::Proportion) -> String {
    match (p.rate(), p.wilson()) {
        (Some(_), Some((lo, hi))) => {
            format!("{} [{:.0}%, {:.0}%]", p.show(), lo * 100.0, hi * 100.0)
        }
        _ => p.show(),
    }
}
