//! How well a judge's probabilities match how often it is right: Brier score, negative
//! log-likelihood, a reliability table over equal-width bins and the expected calibration error
//! (ECE) read from it, plus argmax accuracy with its Wilson interval.
//!
//! Every statistic here is over pairs (p, outcome): p the probability the judge gave an event,
//! the outcome whether it held. Which event is the caller's choice, and it changes the numbers
//! (ECE above all), so [`Predictions`] is only built through one constructor per
//! [`Convention`] and every report carries the convention it was computed under:
//!
//! - [`Predictions::fixed_option`]: P of one fixed option (say A) over 0–1, against "that option
//!   is correct";
//! - [`Predictions::chosen_option`]: the judge's confidence in the option it chose (the largest
//!   p: 0.5–1 for two options, 1/k–1 for k), against "the chosen option is correct".
//!
//! Ties: when several options share the largest p, the judge's choice is taken as a uniformly
//! random one of them, so the outcome counts 1/m (half for two options, as elsewhere in the
//! project) when the correct option is among the m tied, and every statistic is its expectation
//! over that choice.

use serde::{Deserialize, Serialize};

use super::input::{self, InputError};
use crate::stats::Proportion;

/// The most bins a reliability table accepts.
pub const MAX_BINS: usize = 10_000;

/// Probabilities are kept this far from 0 and 1 when taking logarithms.
pub const LOG_CLAMP: f64 = 1e-12;

/// Which event the probabilities are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Convention {
    /// P of a fixed option over 0–1, against whether that option is correct.
    FixedOption,
    /// Confidence in the chosen (most probable) option, against whether it is correct.
    ChosenOption,
}

impl Convention {
    /// A short phrase for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Convention::FixedOption => "P of a fixed option (0-1)",
            Convention::ChosenOption => "confidence in the chosen option (1/k-1)",
        }
    }
}

/// One prediction: `p` given to the event, `y` the chance it held (0 or 1, or 1/m for a choice
/// among m tied options).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Outcome {
    p: f64,
    y: f64,
}

/// Checked predictions under one convention, the input to every calibration statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    convention: Convention,
    items: Vec<Outcome>,
}

impl Predictions {
    /// Pairs (P of a fixed option, whether that option is correct). A p within
    /// [`input::SLACK`] of [0, 1] is clamped in; NaN or further out is an error.
    pub fn fixed_option(
        items: impl IntoIterator<Item = (f64, bool)>,
    ) -> Result<Predictions, InputError> {
        let items = items
            .into_iter()
            .enumerate()
            .map(|(i, (p, hit))| {
                Ok(Outcome {
                    p: input::probability(i, p)?,
                    y: if hit { 1.0 } else { 0.0 },
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Predictions {
            convention: Convention::FixedOption,
            items,
        })
    }

    /// Questions as (option probabilities, index of the correct option); the probabilities are
    /// normalised over the options. Each becomes (largest p, whether that option is correct),
    /// with ties for the largest counted as a random choice among them.
    pub fn chosen_option(items: &[(Vec<f64>, usize)]) -> Result<Predictions, InputError> {
        let items = items
            .iter()
            .enumerate()
            .map(|(i, (p, correct))| {
                let p = input::distribution(i, p, *correct)?;
                let (p, y) = top_choice(&p, *correct);
                Ok(Outcome { p, y })
            })
            .collect::<Result<_, _>>()?;
        Ok(Predictions {
            convention: Convention::ChosenOption,
            items,
        })
    }

    /// The convention the predictions were built under.
    pub fn convention(&self) -> Convention {
        self.convention
    }

    /// The number of predictions.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no predictions.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Mean (p − y)², or `None` with no predictions. 0 is perfect, 0.25 is always saying 0.5.
    /// For a tied choice (y = 1/m) it is the expected (p − Y)² over the choice,
    /// y·(1 − p)² + (1 − y)·p².
    pub fn brier(&self) -> Option<f64> {
        self.mean(|o| o.y * (1.0 - o.p).powi(2) + (1.0 - o.y) * o.p.powi(2))
    }

    /// Mean −ln P(observed outcome): −ln p when the event held, −ln(1 − p) when not, with p
    /// clamped to [[`LOG_CLAMP`], 1 − [`LOG_CLAMP`]] so certainty that proves wrong costs about
    /// 27.6 rather than infinity. `None` with no predictions.
    pub fn nll(&self) -> Option<f64> {
        self.mean(|o| {
            let p = o.p.clamp(LOG_CLAMP, 1.0 - LOG_CLAMP);
            -(o.y * p.ln() + (1.0 - o.y) * (1.0 - p).ln())
        })
    }

    /// The reliability table over `bins` equal-width bins on [0, 1]: bin i is
    /// [i/bins, (i+1)/bins), the last closed at 1, empty bins kept. `None` when `bins` is 0 or
    /// above [`MAX_BINS`]. With no predictions every bin is empty.
    pub fn reliability(&self, bins: usize) -> Option<Reliability> {
        if bins == 0 || bins > MAX_BINS {
            return None;
        }
        let mut sums = vec![(0.0, Proportion::default()); bins];
        for o in &self.items {
            let (sum_p, hits) = &mut sums[bin_of(o.p, bins)];
            *sum_p += o.p;
            hits.push_weight(o.y);
        }
        let bins = sums
            .into_iter()
            .enumerate()
            .map(|(i, (sum_p, hits))| Bin {
                lo: edge(i, bins),
                hi: edge(i + 1, bins),
                n: hits.n,
                conf: (hits.n > 0).then(|| sum_p / hits.n as f64),
                acc: hits.rate(),
                interval: hits.wilson(),
            })
            .collect();
        Some(Reliability {
            convention: self.convention,
            n: self.items.len(),
            bins,
        })
    }

    /// Brier, NLL, the reliability table over `bins` bins and its ECE together; `None` when there
    /// are no predictions or `bins` is out of range.
    pub fn report(&self, bins: usize) -> Option<CalibrationReport> {
        let reliability = self.reliability(bins)?;
        Some(CalibrationReport {
            convention: self.convention,
            n: self.items.len(),
            brier: self.brier()?,
            nll: self.nll()?,
            ece: reliability.ece()?,
            reliability,
        })
    }

    fn mean(&self, f: impl Fn(&Outcome) -> f64) -> Option<f64> {
        (!self.items.is_empty()).then(|| self.items.iter().map(f).sum::<f64>() / self.len() as f64)
    }
}

/// One bin of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    /// Predictions in the bin.
    pub n: usize,
    /// Mean p in the bin (conf_m); `None` when empty.
    pub conf: Option<f64>,
    /// How often the event held in the bin (acc_m); `None` when empty.
    pub acc: Option<f64>,
    /// The 95% Wilson interval of `acc`; `None` when empty.
    pub interval: Option<(f64, f64)>,
}

/// A reliability table: acc_m against conf_m per bin. A calibrated judge has acc ≈ conf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reliability {
    pub convention: Convention,
    /// Predictions over all bins.
    pub n: usize,
    pub bins: Vec<Bin>,
}

impl Reliability {
    /// ECE = Σ (n_m / n)·|acc_m − conf_m|, or `None` with no predictions.
    pub fn ece(&self) -> Option<Ece> {
        if self.n == 0 {
            return None;
        }
        let value = self
            .bins
            .iter()
            .filter_map(|b| Some(b.n as f64 * (b.acc? - b.conf?).abs()))
            .sum::<f64>()
            / self.n as f64;
        Some(Ece {
            value,
            bins: self.bins.len(),
            convention: self.convention,
        })
    }
}

/// An expected calibration error with the binning and convention it depends on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ece {
    pub value: f64,
    /// M, the number of equal-width bins.
    pub bins: usize,
    pub convention: Convention,
}

/// The calibration statistics of one set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    pub convention: Convention,
    pub n: usize,
    pub brier: f64,
    pub nll: f64,
    pub ece: Ece,
    pub reliability: Reliability,
}

/// Argmax accuracy over questions (option probabilities, correct option): a question counts 1
/// when the correct option alone has the largest p, 1/m when it ties with m − 1 others for it.
/// The result's [`Proportion::wilson`] gives its interval.
pub fn accuracy(items: &[(Vec<f64>, usize)]) -> Result<Proportion, InputError> {
    let mut hits = Proportion::default();
    for (i, (p, correct)) in items.iter().enumerate() {
        let p = input::distribution(i, p, *correct)?;
        hits.push_weight(top_choice(&p, *correct).1);
    }
    Ok(hits)
}

/// The largest probability and the chance that a uniformly random choice among the options
/// holding it is `correct`.
fn top_choice(p: &[f64], correct: usize) -> (f64, f64) {
    let max = p.iter().copied().fold(0.0, f64::max);
    let tied = p.iter().filter(|x| **x == max).count().max(1);
    let credit = if p[correct] == max {
        1.0 / tied as f64
    } else {
        0.0
    };
    (max, credit)
}

/// The lower edge of bin `i` of `bins`.
fn edge(i: usize, bins: usize) -> f64 {
    i as f64 / bins as f64
}

/// The bin of `p` in [0, 1]: floor(p·bins), moved by one where rounding puts p on the wrong
/// side of an edge as [`edge`] computes it (fl(1/49)·49 is just below 1, for one), and 1 itself
/// in the last bin.
fn bin_of(p: f64, bins: usize) -> usize {
    let mut i = ((p * bins as f64).floor() as usize).min(bins - 1);
    while i + 1 < bins && p >= edge(i + 1, bins) {
        i += 1;
    }
    while i > 0 && p < edge(i, bins) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests;
