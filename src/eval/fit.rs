//! Calibrating the judge: a temperature fitted on one half of an eval's pair questions and
//! measured on the other half, then written into the constitution's
//! `[settings.comparison.calibration]`, where the pipeline, A/B runs and `cai eval` apply it
//! to every P(A) the same feedback model gives afterwards.
//!
//! The fit takes each order of each question as one answer over two options (the option
//! shown first against the one shown second), under the configuration named (its principles,
//! in direct or chain-of-thought form). A judge whose answers are unrelated to the truth
//! drives the temperature to its upper bound, which puts its labels at 0.5: the honest label
//! for a coin toss.

use serde::{Deserialize, Serialize};

use super::config::EvalConfig;
use super::dir::{Answer, AskKey};
use super::report::{report, EvalReport, Row};
use super::run::{config_asks, EvalPlan};
use super::sets::Item;
use crate::constitution::Calibration;
use crate::stats::temperature::{fit, split_halves, TemperatureFit};

/// What a fit found, and the held-out half before and after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    pub config: String,
    pub fit: TemperatureFit,
    /// Pair questions in each half.
    pub fitted_on: usize,
    pub held_out: usize,
    /// The configuration's row on the held-out half, before and after.
    pub before: Row,
    pub after: Row,
}

impl FitReport {
    /// One paragraph for the tables and the command line.
    pub fn summary(&self) -> String {
        let ece = |r: &Row| r.ece.map_or("-".into(), |e| format!("{e:.3}"));
        let brier = |r: &Row| r.brier.map_or("-".into(), |b| format!("{b:.3}"));
        let mut s =
            format!(
            "Temperature {:.3} fitted on {} pair questions ({}, NLL {:.4} -> {:.4}); on the {} \
             held out: ECE {} -> {}, Brier {} -> {}, mean |P-0.5| {} -> {}, accuracy {} -> {}.",
            self.fit.t,
            self.fitted_on,
            self.config,
            self.fit.nll_before,
            self.fit.nll_after,
            self.held_out,
            ece(&self.before),
            ece(&self.after),
            brier(&self.before),
            brier(&self.after),
            self.before.mean_confidence.map_or("-".into(), |c| format!("{c:.3}")),
            self.after.mean_confidence.map_or("-".into(), |c| format!("{c:.3}")),
            super::markdown::rate_with_interval(self.before.accuracy.rate(), self.before.interval),
            super::markdown::rate_with_interval(self.after.accuracy.rate(), self.after.interval),
        );
        if let Some(note) = self.fit.note() {
            s.push(' ');
            s.push_str(&note);
        }
        s
    }

    /// The calibration to store in the constitution.
    pub fn calibration(&self, feedback_model: String, set: &str) -> Calibration {
        Calibration {
            temperature: self.fit.t,
            feedback_model,
            fitted_on: format!(
                "{set}: {} of {} pair questions, configuration {}",
                self.fitted_on,
                self.fitted_on + self.held_out,
                self.config
            ),
            ece_before: self.before.ece,
            ece_after: self.after.ece,
        }
    }
}

/// Fits a temperature on one half of the pair questions of `plan` (split with `seed`) under
/// `config`, and reports that configuration on the other half before and after.
pub fn fit_temperature(
    plan: &EvalPlan,
    answers: &[Answer],
    config: &EvalConfig,
    seed: u64,
) -> Result<FitReport, String> {
    let principles = plan.constitution.enabled_comparisons();
    let settings = &plan.constitution.settings;
    let pairs: Vec<&super::sets::KnownAnswer> = plan
        .sets
        .iter()
        .flat_map(|(_, items)| items.iter())
        .filter(|k| matches!(k.item, Item::Pair { .. }))
        .collect();
    let (fit_half, held_half) =
        split_halves(pairs.len(), seed).ok_or("the questions cannot be split in two")?;
    let mut observations: Vec<(Vec<f64>, usize)> = Vec::new();
    for &i in &fit_half {
        let item = pairs[i];
        for key in config_asks(&item.id, config, &principles, settings) {
            let AskKey::Pair { better_first, .. } = &key else {
                continue;
            };
            let Some(answer) = answers.iter().find(|a| a.item == item.id && a.ask == key) else {
                continue;
            };
            if let Some(forward) = answer.p_a_forward {
                // Shown first: A; it is the better answer when `better_first`.
                observations.push((vec![forward, 1.0 - forward], usize::from(!better_first)));
            }
            if let (true, Some(swapped)) = (config.both_orders, answer.p_a_swapped) {
                // Swapped, B is shown first with probability 1 - P(A).
                observations.push((vec![1.0 - swapped, swapped], usize::from(*better_first)));
            }
        }
    }
    let fitted = fit(&observations).map_err(|e| format!("no temperature could be fitted: {e}"))?;
    let held_plan = subset(
        plan,
        pairs
            .iter()
            .enumerate()
            .filter_map(|(i, k)| held_half.contains(&i).then_some(k.id.as_str())),
    );
    let only = |r: EvalReport| -> Result<Row, String> {
        r.sets
            .into_iter()
            .flat_map(|s| s.configs)
            .filter(|row| row.name == config.name)
            .reduce(|a, _| a)
            .ok_or_else(|| format!("the configuration {} has no answers to report", config.name))
    };
    let before = only(report(&held_plan, answers, None))?;
    let after = only(report(&held_plan, answers, Some(fitted.t)))?;
    Ok(FitReport {
        config: config.name.clone(),
        fit: fitted,
        fitted_on: fit_half.len(),
        held_out: held_half.len(),
        before,
        after,
    })
}

/// The plan restricted to the questions `ids` names, in one set, under one configuration.
fn subset<'a>(plan: &EvalPlan, ids: impl Iterator<Item = &'a str>) -> EvalPlan {
    let keep: std::collections::HashSet<&str> = ids.collect();
    let items: Vec<super::sets::KnownAnswer> = plan
        .sets
        .iter()
        .flat_map(|(_, items)| items.iter())
        .filter(|k| keep.contains(k.id.as_str()))
        .cloned()
        .collect();
    let entry = super::dir::SetEntry {
        name: "held out".into(),
        path: String::new(),
        sha256: String::new(),
        questions: items.len(),
        layout: String::new(),
    };
    EvalPlan {
        dir: plan.dir.clone(),
        sets: vec![(entry, items)],
        constitution: plan.constitution.clone(),
        constitution_text: plan.constitution_text.clone(),
        configs: plan.configs.clone(),
        as_written: false,
        in_flight: plan.in_flight,
    }
}

/// The constitution text with `calibration` as its `[settings.comparison.calibration]`,
/// everything else (comments, order) kept.
pub fn with_calibration(text: &str, calibration: &Calibration) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| format!("the constitution does not parse: {e}"))?;
    let settings = doc
        .entry("settings")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    let settings = settings.as_table_mut().ok_or("`settings` is not a table")?;
    let comparison = settings
        .entry("comparison")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_mut()
        .ok_or("`settings.comparison` is not a table")?;
    let mut table = toml_edit::Table::new();
    table.insert(
        "temperature",
        toml_edit::value(round(calibration.temperature)),
    );
    table.insert(
        "feedback_model",
        toml_edit::value(calibration.feedback_model.clone()),
    );
    table.insert("fitted_on", toml_edit::value(calibration.fitted_on.clone()));
    if let Some(e) = calibration.ece_before {
        table.insert("ece_before", toml_edit::value(round(e)));
    }
    if let Some(e) = calibration.ece_after {
        table.insert("ece_after", toml_edit::value(round(e)));
    }
    table.decor_mut().set_prefix(
        "\n# Fitted by `cai eval --fit` on known answers; applied to this feedback model only.\n",
    );
    comparison.insert("calibration", toml_edit::Item::Table(table));
    Ok(doc.to_string())
}

/// Four significant decimals, for a file people read.
fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calibration_is_written_into_the_comparison_settings_keeping_the_rest() {
        let text = "# my constitution\nname = \"c\"\n\n[settings.comparison]\nmode = \"single\" # one\n\n[[principles]]\nid = \"p\"\ncritique = \"c\"\nrevision = \"r\"\n";
        let calibration = Calibration {
            temperature: 1.234_567,
            feedback_model: "abc".into(),
            fitted_on: "set: 10 of 20".into(),
            ece_before: Some(0.2),
            ece_after: Some(0.05),
        };
        let out = with_calibration(text, &calibration).unwrap();
        assert!(out.starts_with("# my constitution\n"), "{out}");
        assert!(out.contains("mode = \"single\" # one"), "{out}");
        let parsed = crate::constitution::parse_constitution(&out, None).unwrap();
        let got = parsed.settings.comparison.calibration.unwrap();
        assert_eq!(got.temperature, 1.2346);
        assert_eq!(got.feedback_model, "abc");
        assert_eq!(got.ece_after, Some(0.05));
        // Written again, it replaces the old one rather than adding a second.
        let again = with_calibration(
            &out,
            &Calibration {
                temperature: 2.0,
                ..got
            },
        )
        .unwrap();
        assert_eq!(
            again.matches("[settings.comparison.calibration]").count(),
            1,
            "{again}"
        );
        let parsed = crate::constitution::parse_constitution(&again, None).unwrap();
        assert_eq!(
            parsed.settings.comparison.calibration.unwrap().temperature,
            2.0
        );
    }
}
