//! What an eval shows, computed from its answers: per set and configuration, the judge's
//! accuracy with its 95% Wilson interval against the chance level, how often its choice
//! survives swapping the options (order consistency), how often it picks the option shown
//! first (position bias: 50% is none), and its calibration: Brier score, expected calibration
//! error over 10 bins and the reliability table. Per comparison principle the same, over the
//! direct (not chain-of-thought) questions it was asked.
//!
//! Conventions: a pair question is right when the label P(A) is above 0.5 and A is the better
//! answer, or below 0.5 and B is; exactly 0.5 counts half. Calibration of a pair label is that
//! of P(A) over 0–1 against "A is the better answer" (the answer shown first is drawn per
//! question, so A is the better one about half the time). A written question of k options is
//! right when the right option has the largest probability (a tie for the largest counts as a
//! random pick among the tied), chance 1/k; its calibration is that of the confidence in the
//! chosen option.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::config::EvalConfig;
use super::dir::{Answer, AskKey};
use super::run::EvalPlan;
use super::sets::Item;
use crate::constitution::ComparisonMode;
use crate::pipeline::judge::clamp_probability;
use crate::stats::calibration::{accuracy, Bin, Predictions};
use crate::stats::temperature::apply_binary;
use crate::stats::Proportion;

/// Bins of the reliability table and the ECE.
pub const BINS: usize = 10;

/// One row of the tables: a configuration on a set (or a principle over a set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The configuration's name, a principle's id, or `as written`.
    pub name: String,
    /// Questions answered.
    pub n: usize,
    pub accuracy: Proportion,
    /// 95% Wilson interval of the accuracy.
    pub interval: Option<(f64, f64)>,
    pub chance: f64,
    /// The choice is the same answer with the options swapped (both-order questions only).
    pub order_consistency: Option<Proportion>,
    /// The option shown first was chosen (50% is no position bias).
    pub first_chosen: Option<Proportion>,
    pub brier: Option<f64>,
    pub ece: Option<f64>,
    /// Mean |P − 0.5|: how far from a coin toss the labels are.
    pub mean_confidence: Option<f64>,
    pub reliability: Vec<Bin>,
}

/// The tables of one set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetReport {
    pub set: String,
    pub questions: usize,
    /// How the questions were asked: "through the constitution's comparison principles" or
    /// "as written".
    pub asked: String,
    pub configs: Vec<Row>,
    pub principles: Vec<Row>,
}

/// Everything an eval shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub sets: Vec<SetReport>,
    /// Questions still without an answer (an eval stopped part way).
    pub unanswered: usize,
}

/// The answers of one question, in the order of the log (so sums run in one order).
#[derive(Default)]
struct Answers<'a>(Vec<&'a Answer>);

impl<'a> Answers<'a> {
    fn get(&self, key: &AskKey) -> Option<&'a Answer> {
        self.0.iter().copied().find(|a| &a.ask == key)
    }

    fn contains_key(&self, key: &AskKey) -> bool {
        self.get(key).is_some()
    }
}

/// Builds the report of `answers` for `plan`; `temperature`, when given, is applied to every
/// P(A) read (as the pipeline would apply a fitted calibration).
pub fn report(plan: &EvalPlan, answers: &[Answer], temperature: Option<f64>) -> EvalReport {
    let mut by_item: HashMap<&str, Answers<'_>> = HashMap::new();
    for a in answers {
        let got = by_item.entry(a.item.as_str()).or_default();
        // An ask answered twice (a log written by two runs at once) counts once.
        if !got.contains_key(&a.ask) {
            got.0.push(a);
        }
    }
    let principles = plan.constitution.enabled_comparisons();
    let settings = &plan.constitution.settings;
    let clamp = settings.comparison.clamp;
    let mut unanswered = 0;
    let mut sets = Vec::new();
    for (entry, items) in &plan.sets {
        let mut configs: Vec<Acc> = plan
            .configs
            .iter()
            .map(|c| Acc::new(&c.name, 0.5))
            .collect();
        let mut written = Acc::new("as written", 0.5);
        let mut written_items: Vec<(Vec<f64>, usize)> = Vec::new();
        let mut per_principle: Vec<Acc> = Vec::new();
        let mut any_pair = false;
        for item in items {
            let empty = Answers::default();
            let got = by_item.get(item.id.as_str()).unwrap_or(&empty);
            let asks =
                super::run::asks_of(item, &plan.configs, plan.as_written, &principles, settings);
            if asks.iter().any(|k| !got.contains_key(k)) {
                unanswered += 1;
                continue;
            }
            match (&item.item, asks.first()) {
                (Item::Written { correct, .. }, _) => {
                    if let Some(a) = got.get(&AskKey::Written) {
                        written_items.push((a.probabilities.clone(), *correct));
                    }
                }
                (
                    Item::Pair {
                        written: Some((_, better_first)),
                        ..
                    },
                    Some(AskKey::Written),
                ) => {
                    if let Some(a) = got.get(&AskKey::Written) {
                        let correct = usize::from(!better_first);
                        written_items.push((a.probabilities.clone(), correct));
                    }
                }
                (Item::Pair { .. }, _) => {
                    any_pair = true;
                    for (config, acc) in plan.configs.iter().zip(configs.iter_mut()) {
                        let keys = super::run::config_asks(&item.id, config, &principles, settings);
                        let verdicts: Vec<(&AskKey, &Answer)> = keys
                            .iter()
                            .filter_map(|k| got.get(k).map(|a| (k, a)))
                            .collect();
                        if let Some(sample) = pair_sample(config, &verdicts, temperature, clamp) {
                            acc.push(sample);
                        }
                    }
                    // Per principle: every direct question asked, once.
                    for answer in &got.0 {
                        let key = &answer.ask;
                        let AskKey::Pair {
                            principle,
                            chain_of_thought: false,
                            ..
                        } = key
                        else {
                            continue;
                        };
                        let both = plan.configs.iter().any(|c| c.both_orders);
                        let direct = EvalConfig {
                            name: principle.clone(),
                            mode: ComparisonMode::Single,
                            principle: Some(principle.clone()),
                            both_orders: both,
                        };
                        if let Some(sample) =
                            pair_sample(&direct, &[(key, answer)], temperature, clamp)
                        {
                            let at = match per_principle.iter().position(|p| &p.name == principle) {
                                Some(at) => at,
                                None => {
                                    per_principle.push(Acc::new(principle, 0.5));
                                    per_principle.len() - 1
                                }
                            };
                            per_principle[at].push(sample);
                        }
                    }
                }
            }
        }
        let mut config_rows: Vec<Row> = if any_pair {
            configs.into_iter().map(Acc::row).collect()
        } else {
            Vec::new()
        };
        if !written_items.is_empty() {
            let k = written_items
                .iter()
                .map(|(p, _)| p.len())
                .max()
                .unwrap_or(2);
            written.chance = 1.0 / k as f64;
            config_rows.push(written.written_row(&written_items));
        }
        per_principle.sort_by(|a, b| a.name.cmp(&b.name));
        sets.push(SetReport {
            set: entry.name.clone(),
            questions: items.len(),
            asked: if any_pair {
                "pairs through the constitution's comparison principles".into()
            } else {
                "as written, after the answer prefix".into()
            },
            configs: config_rows,
            principles: per_principle.into_iter().map(Acc::row).collect(),
        });
    }
    EvalReport { sets, unanswered }
}

/// One pair question's outcome under one configuration.
struct PairSample {
    /// The label: P(A).
    p_a: f64,
    /// A is the better answer.
    a_better: bool,
    /// Per question asked in both orders: the same answer chosen both ways.
    consistent: Vec<bool>,
    /// Per order asked: the option shown first was chosen.
    first_chosen: Vec<f64>,
}

/// The label a configuration gives from its answers, as the pipeline combines them: each order
/// calibrated (and clamped in chain-of-thought mode), the orders averaged (when the
/// configuration asks both), the principles averaged.
fn pair_sample(
    config: &EvalConfig,
    verdicts: &[(&AskKey, &Answer)],
    temperature: Option<f64>,
    clamp: [f32; 2],
) -> Option<PairSample> {
    let adjust = |p: f64| {
        let p = temperature.and_then(|t| apply_binary(p, t)).unwrap_or(p);
        if config.mode == ComparisonMode::ChainOfThought {
            clamp_probability(p, clamp)
        } else {
            p
        }
    };
    let mut labels = Vec::new();
    let mut consistent = Vec::new();
    let mut first_chosen = Vec::new();
    let mut a_better = None;
    for (key, answer) in verdicts {
        let AskKey::Pair { better_first, .. } = key else {
            return None;
        };
        a_better = Some(*better_first);
        let forward = answer.p_a_forward?;
        first_chosen.push(choice(forward));
        let label = match (config.both_orders, answer.p_a_swapped) {
            (true, Some(swapped)) => {
                consistent.push((forward > 0.5) == (swapped > 0.5) && forward != 0.5);
                // Swapped, the first option shown is B: it was chosen when P(A) < 0.5.
                first_chosen.push(choice(1.0 - swapped));
                (adjust(forward) + adjust(swapped)) / 2.0
            }
            (true, None) => return None,
            (false, _) => adjust(forward),
        };
        labels.push(label);
    }
    let p_a = labels.iter().sum::<f64>() / labels.len().max(1) as f64;
    (!labels.is_empty()).then(|| PairSample {
        p_a,
        a_better: a_better.unwrap_or(true),
        consistent,
        first_chosen,
    })
}

/// 1 when p chooses the first option, 0 the second, 0.5 at exactly 0.5.
fn choice(p: f64) -> f64 {
    if p > 0.5 {
        1.0
    } else if p < 0.5 {
        0.0
    } else {
        0.5
    }
}

/// A row being counted.
struct Acc {
    name: String,
    chance: f64,
    hits: Proportion,
    consistent: Proportion,
    first: Proportion,
    calibration: Vec<(f64, bool)>,
}

impl Acc {
    fn new(name: &str, chance: f64) -> Acc {
        Acc {
            name: name.to_string(),
            chance,
            hits: Proportion::default(),
            consistent: Proportion::default(),
            first: Proportion::default(),
            calibration: Vec::new(),
        }
    }

    fn push(&mut self, s: PairSample) {
        let right = if s.a_better {
            choice(s.p_a)
        } else {
            1.0 - choice(s.p_a)
        };
        self.hits.push_weight(right);
        for c in s.consistent {
            self.consistent.push(c);
        }
        for f in s.first_chosen {
            self.first.push_weight(f);
        }
        self.calibration.push((s.p_a.clamp(0.0, 1.0), s.a_better));
    }

    fn row(self) -> Row {
        let predictions = Predictions::fixed_option(self.calibration.iter().copied()).ok();
        let calibration = predictions.as_ref().and_then(|p| p.report(BINS));
        let mean_confidence = (!self.calibration.is_empty()).then(|| {
            self.calibration
                .iter()
                .map(|(p, _)| (p - 0.5).abs())
                .sum::<f64>()
                / self.calibration.len() as f64
        });
        Row {
            n: self.hits.n,
            interval: self.hits.wilson(),
            accuracy: self.hits,
            name: self.name,
            chance: self.chance,
            order_consistency: (self.consistent.n > 0).then_some(self.consistent),
            first_chosen: (self.first.n > 0).then_some(self.first),
            brier: calibration.as_ref().map(|c| c.brier),
            ece: calibration.as_ref().map(|c| c.ece.value),
            mean_confidence,
            reliability: calibration.map(|c| c.reliability.bins).unwrap_or_default(),
        }
    }

    fn written_row(self, items: &[(Vec<f64>, usize)]) -> Row {
        let hits = accuracy(items).unwrap_or_default();
        let calibration = Predictions::chosen_option(items)
            .ok()
            .and_then(|p| p.report(BINS));
        let mean_confidence = (!items.is_empty()).then(|| {
            items
                .iter()
                .map(|(p, _)| p.iter().copied().fold(0.0, f64::max) - 1.0 / p.len().max(1) as f64)
                .sum::<f64>()
                / items.len() as f64
        });
        Row {
            n: hits.n,
            interval: hits.wilson(),
            accuracy: hits,
            name: self.name,
            chance: self.chance,
            order_consistency: None,
            first_chosen: None,
            brier: calibration.as_ref().map(|c| c.brier),
            ece: calibration.as_ref().map(|c| c.ece.value),
            mean_confidence,
            reliability: calibration.map(|c| c.reliability.bins).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
