//! Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks") of a judge
//! that answers a question with probabilities over its k ≥ 2 options.
//!
//! Convention: the logits are the log-probabilities, so the scaled answer is
//! softmax(ln p_i / T); for two options that is σ(logit(p_A) / T), the log-odds between the
//! options divided by T. T > 1 softens the judge, T < 1 sharpens it, and for any T > 0 the
//! order of the options, hence argmax accuracy, is unchanged. T is fitted by minimising the mean
//! negative log-likelihood of the correct option over [`T_MIN`, `T_MAX`]; a judge whose
//! probabilities say nothing about the answers drives T to the upper bound, every label to
//! about 1/k, and the fit reports that it hit the bound. Fit on one split of the known answers
//! ([`split_halves`]) and report on the other.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::calibration::LOG_CLAMP;
use super::input::{self, sigmoid, InputError};

/// The smallest temperature the fit considers.
pub const T_MIN: f64 = 0.05;
/// The largest temperature the fit considers.
pub const T_MAX: f64 = 1000.0;
/// Intervals of the coarse grid on ln T.
const GRID: usize = 100;
/// Width in ln T at which the golden-section refinement stops.
const TOLERANCE: f64 = 1e-10;
/// A fitted ln T this close to a bound is taken as at the bound.
const AT_BOUND: f64 = 1e-6;

/// Which end of [`T_MIN`, `T_MAX`] a fit stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bound {
    /// T = [`T_MIN`]: the judge is right so consistently that sharper is always better.
    Lower,
    /// T = [`T_MAX`]: the judge's probabilities carry no information about the answers.
    Upper,
}

/// A fitted temperature and what it did to the NLL.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TemperatureFit {
    pub t: f64,
    /// Mean NLL of the correct option at T = 1 (the judge as it is).
    pub nll_before: f64,
    /// Mean NLL of the correct option at the fitted T; never above `nll_before`, since T = 1 is
    /// one of the candidates.
    pub nll_after: f64,
    /// The bound T stopped at (within a relative 1e-6), if it did.
    pub bound: Option<Bound>,
    /// Items the fit was given.
    pub items: usize,
}

impl TemperatureFit {
    /// A sentence for reports when T hit a bound.
    pub fn note(&self) -> Option<String> {
        self.bound.map(|b| match b {
            Bound::Lower => format!(
                "T stopped at its lower bound {T_MIN}: the judge is never confidently wrong \
                 here, so the fit sharpens its labels as far as it may"
            ),
            Bound::Upper => format!(
                "T stopped at its upper bound {T_MAX}: the judge's probabilities carry no \
                 information about the answers here, and every scaled label is about 1/k"
            ),
        })
    }
}

/// Fits T on questions (option probabilities, index of the correct option), all of weight 1.
pub fn fit(items: &[(Vec<f64>, usize)]) -> Result<TemperatureFit, InputError> {
    fit_weighted(items, &vec![1.0; items.len()])
}

/// Fits T on questions weighted by `weights` (finite, non-negative, not all 0): the weighted
/// mean NLL is minimised. Searches ln T on a grid of 100 steps over [ln `T_MIN`, ln `T_MAX`],
/// then refines around the best grid point by golden section; the NLL is convex in 1/T, but the
/// search does not rely on it.
pub fn fit_weighted(
    items: &[(Vec<f64>, usize)],
    weights: &[f64],
) -> Result<TemperatureFit, InputError> {
    if items.is_empty() {
        return Err(InputError::NoItems);
    }
    let weights = input::weights(items.len(), weights)?;
    let mut scaled = Vec::with_capacity(items.len());
    for (i, ((p, correct), &w)) in items.iter().zip(&weights).enumerate() {
        let p = input::distribution(i, p, *correct)?;
        if w > 0.0 {
            scaled.push(Item::new(&p, *correct, w));
        }
    }
    let nll = |ln_t: f64| mean_nll(&scaled, (-ln_t).exp());
    let (lo, hi) = (T_MIN.ln(), T_MAX.ln());
    let at = |g: usize| lo + (hi - lo) * g as f64 / GRID as f64;
    let best = (0..=GRID)
        .map(|g| (g, nll(at(g))))
        .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a })
        .0;
    let refined = golden(&nll, at(best.saturating_sub(1)), at((best + 1).min(GRID)));
    // The refinement, the grid point it started from and T = 1 compete; the lowest NLL wins.
    let ln_t = [refined, at(best), 0.0]
        .into_iter()
        .map(|x| (x, nll(x)))
        .fold((0.0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a })
        .0;
    let bound = if ln_t - lo < AT_BOUND {
        Some(Bound::Lower)
    } else if hi - ln_t < AT_BOUND {
        Some(Bound::Upper)
    } else {
        None
    };
    Ok(TemperatureFit {
        t: ln_t.exp(),
        nll_before: nll(0.0),
        nll_after: nll(ln_t),
        bound,
        items: items.len(),
    })
}

/// softmax(ln p_i / t) over option probabilities `p` (normalised first), with p_i clamped up to
/// [`LOG_CLAMP`] so an option at exactly 0 stays finite. `t = ∞` gives the uniform answer.
/// `None` when `p` is not a probability vector over at least two options or `t` is not > 0.
pub fn apply(p: &[f64], t: f64) -> Option<Vec<f64>> {
    if t.is_nan() || t <= 0.0 {
        return None;
    }
    let logs: Vec<f64> = input::normalise(0, p)
        .ok()?
        .iter()
        .map(|x| x.max(LOG_CLAMP).ln())
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Each exponent is (ln p_i − ln p_max) / t ≤ 0, so the largest is 1 and none overflows.
    let e: Vec<f64> = logs.iter().map(|l| ((l - top) / t).exp()).collect();
    let sum: f64 = e.iter().sum();
    Some(e.iter().map(|x| x / sum).collect())
}

/// σ(logit(p_a) / t) for a two-option judge's P(A), with p_a clamped to
/// [[`LOG_CLAMP`], 1 − [`LOG_CLAMP`]] so 0 and 1 are defined. `None` when `p_a` is not a
/// probability or `t` is not > 0.
pub fn apply_binary(p_a: f64, t: f64) -> Option<f64> {
    if t.is_nan() || t <= 0.0 {
        return None;
    }
    let p = input::probability(0, p_a)
        .ok()?
        .clamp(LOG_CLAMP, 1.0 - LOG_CLAMP);
    Some(sigmoid((p.ln() - (1.0 - p).ln()) / t))
}

/// Splits item indices 0..n into two halves by a shuffle seeded with `seed` (ChaCha8): the
/// first holds ⌊n/2⌋ indices, the second the rest, each in increasing order. The same `n` and
/// `seed` always give the same split. `None` only when n indices cannot be allocated.
pub fn split_halves(n: usize, seed: u64) -> Option<(Vec<usize>, Vec<usize>)> {
    let mut order = Vec::new();
    order.try_reserve_exact(n).ok()?;
    order.extend(0..n);
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let mut second = order.split_off(n / 2);
    order.sort_unstable();
    second.sort_unstable();
    Some((order, second))
}

/// One question as the fit sees it: ln p_i − ln p_correct per option, and its weight.
struct Item {
    gaps: Vec<f64>,
    weight: f64,
}

impl Item {
    fn new(p: &[f64], correct: usize, weight: f64) -> Item {
        let log_correct = p[correct].max(LOG_CLAMP).ln();
        Item {
            gaps: p
                .iter()
                .map(|x| x.max(LOG_CLAMP).ln() - log_correct)
                .collect(),
            weight,
        }
    }

    /// −ln softmax_correct(ln p / T) at s = 1/T: ln Σ_i exp(s·gap_i), taken about its largest
    /// term (at least the correct option's 0) so it cannot overflow.
    fn nll(&self, s: f64) -> f64 {
        let top = self.gaps.iter().map(|g| s * g).fold(0.0, f64::max);
        top + self
            .gaps
            .iter()
            .map(|g| (s * g - top).exp())
            .sum::<f64>()
            .ln()
    }
}

/// The weighted mean NLL at s = 1/T.
fn mean_nll(items: &[Item], s: f64) -> f64 {
    let total: f64 = items.iter().map(|i| i.weight).sum();
    items.iter().map(|i| i.weight * i.nll(s)).sum::<f64>() / total
}

/// The minimiser of `f` on [a, b] by golden-section search, to [`TOLERANCE`].
fn golden(f: &impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - r * (b - a);
    let mut d = a + r * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..200 {
        if b - a < TOLERANCE {
            break;
        }
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

#[cfg(test)]
mod tests;
