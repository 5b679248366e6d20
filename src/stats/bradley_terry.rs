//! Bradley–Terry ratings of K contestants (models, constitutions) from pairwise matches, with
//! bootstrap intervals, and the schedule of which pairs to play next.
//!
//! Convention: P(i beats j) = σ(β_i − β_j). A match is (i, j, score_i) with score_i in [0, 1]
//! the share of the win that went to i: 1 a win, 0 a loss, 0.5 a tie (a tie is half a win to
//! each side, never dropped), 0.7 a soft label; its weight says how many matches it stands for
//! (1 by default). Which side came first is not modelled. β maximises the weighted
//! log-likelihood minus a ridge (λ/2)·Σβ² with λ = [`RIDGE`]: the ridge keeps the rating of a
//! contestant that won every match large but finite, makes the fit unique, and puts the mean of
//! β at 0 (the likelihood's gradient sums to 0 over contestants, so at the optimum λ·Σβ = 0).
//! Elo = 400·β / ln 10 + 1000, so a 100-point gap is a 64% expected score.
//!
//! Intervals are percentile bootstrap intervals over the matches (Chatbot Arena's method):
//! resample the matches with replacement, refit, take the 2.5th and 97.5th percentiles. A
//! contestant that never played has no rating and no interval. A match of a contestant against
//! itself says nothing about its rating (σ(0) whatever β) and is skipped; ratings in two parts
//! of the field that never met are not comparable, which [`Ratings::connected`] tells.

mod schedule;

use std::f64::consts::LN_10;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::input::{self, sigmoid, InputError};

pub use schedule::{schedule, schedule_within, MAX_BUDGET};

/// λ, the ridge on β.
pub const RIDGE: f64 = 1e-3;
/// The Elo of β = 0, the average contestant.
pub const ELO_ANCHOR: f64 = 1000.0;
/// The most contestants a fit accepts (the Newton step solves a K×K system).
pub const MAX_CONTESTANTS: usize = 1000;
/// The most bootstrap replicates a fit accepts.
pub const MAX_REPLICATES: usize = 100_000;
/// The most replicate ratings (replicates × contestants) a fit keeps.
pub const MAX_DRAWS: usize = 10_000_000;
/// The largest total weight of matches a fit accepts.
pub const MAX_TOTAL_WEIGHT: f64 = 1e12;

/// One match: `i` against `j`, `score_i` the share of the win that went to `i`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub i: usize,
    pub j: usize,
    pub score_i: f64,
    /// How many matches this one stands for.
    pub weight: f64,
}

impl Match {
    /// A match of weight 1.
    pub fn new(i: usize, j: usize, score_i: f64) -> Match {
        Match {
            i,
            j,
            score_i,
            weight: 1.0,
        }
    }

    /// The same match standing for `weight` matches.
    pub fn weighted(self, weight: f64) -> Match {
        Match { weight, ..self }
    }
}

/// One contestant's rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    pub contestant: usize,
    /// Matches played against another contestant with a weight above 0.
    pub matches: usize,
    /// β; `None` when the contestant never played.
    pub beta: Option<f64>,
    /// Elo = 400·β / ln 10 + 1000; `None` when the contestant never played.
    pub elo: Option<f64>,
    /// The 95% bootstrap interval of β; `None` without replicates in which it played.
    pub interval: Option<(f64, f64)>,
    /// `interval` on the Elo scale.
    pub elo_interval: Option<(f64, f64)>,
    /// Bootstrap replicates in which the contestant played, the ones its interval is over.
    pub replicates: usize,
}

/// Ratings of every contestant, with the bootstrap behind their intervals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratings {
    pub contestants: Vec<Rating>,
    /// Whether every contestant that played is linked to every other by a chain of matches.
    pub connected: bool,
    /// Whether the Newton iterations met their tolerance (on the full data).
    pub converged: bool,
    /// Matches of a contestant against itself, skipped.
    pub skipped_self: usize,
    /// Bootstrap replicates drawn.
    pub replicates: usize,
    /// β per replicate per contestant, `None` where it did not play in that replicate.
    #[serde(skip)]
    draws: Vec<Vec<Option<f64>>>,
}

impl Ratings {
    /// σ(β_i − β_j), the expected score of `i` against `j`; `None` unless both played.
    pub fn win_probability(&self, i: usize, j: usize) -> Option<f64> {
        let beta = |c: usize| self.contestants.get(c)?.beta;
        Some(sigmoid(beta(i)? - beta(j)?))
    }

    /// The 95% bootstrap interval of β_i − β_j over the replicates in which both played: the
    /// one to read for "is i better than j", since overlapping intervals of i and j do not
    /// make a difference of 0 plausible. `None` without such replicates.
    pub fn difference(&self, i: usize, j: usize) -> Option<(f64, f64)> {
        let mut gaps: Vec<f64> = self
            .draws
            .iter()
            .filter_map(|d| Some(*d.get(i)?.as_ref()? - *d.get(j)?.as_ref()?))
            .collect();
        percentile_interval(&mut gaps)
    }
}

/// β on the Elo scale: 400·β / ln 10 + [`ELO_ANCHOR`].
pub fn elo(beta: f64) -> f64 {
    400.0 * beta / LN_10 + ELO_ANCHOR
}

/// Fits β for `k` contestants from `matches`, without intervals.
pub fn fit(k: usize, matches: &[Match]) -> Result<Ratings, InputError> {
    fit_with_intervals(k, matches, 0, 0)
}

/// Fits β for `k` contestants from `matches`, with 95% percentile intervals from `replicates`
/// bootstrap resamples of the matches drawn by ChaCha8 seeded with `seed`. Each match given is
/// one unit of resampling, so a match standing for many (a large weight) is resampled whole.
pub fn fit_with_intervals(
    k: usize,
    matches: &[Match],
    replicates: usize,
    seed: u64,
) -> Result<Ratings, InputError> {
    input::at_most("replicates", replicates, MAX_REPLICATES)?;
    let (games, skipped_self) = check(k, matches)?;
    let replicates = if games.is_empty() { 0 } else { replicates };
    input::at_most(
        "replicate ratings (replicates × contestants)",
        replicates.saturating_mul(k),
        MAX_DRAWS,
    )?;
    let (beta, converged) = solve(k, &games, &vec![0.0; k]);
    let played = counts(k, &games);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws = Vec::with_capacity(replicates);
    for _ in 0..replicates {
        let sample: Vec<Game> = (0..games.len())
            .map(|_| games[rng.gen_range(0..games.len())])
            .collect();
        let in_sample = counts(k, &sample);
        let (b, _) = solve(k, &sample, &beta);
        draws.push((0..k).map(|c| (in_sample[c] > 0).then_some(b[c])).collect());
    }
    let contestants = (0..k)
        .map(|c| {
            let mut values: Vec<f64> = draws.iter().filter_map(|d: &Vec<_>| d[c]).collect();
            let replicates = values.len();
            let interval = percentile_interval(&mut values);
            let beta = (played[c] > 0).then_some(beta[c]);
            Rating {
                contestant: c,
                matches: played[c],
                beta,
                elo: beta.map(elo),
                interval,
                elo_interval: interval.map(|(lo, hi)| (elo(lo), elo(hi))),
                replicates,
            }
        })
        .collect();
    Ok(Ratings {
        contestants,
        connected: connected(k, &games),
        converged,
        skipped_self,
        replicates: draws.len(),
        draws,
    })
}

/// A checked match between two different contestants with a weight above 0.
#[derive(Debug, Clone, Copy)]
struct Game {
    i: usize,
    j: usize,
    score: f64,
    weight: f64,
}

/// The informative matches of `matches` and the number of self-matches skipped.
fn check(k: usize, matches: &[Match]) -> Result<(Vec<Game>, usize), InputError> {
    input::at_most("contestants", k, MAX_CONTESTANTS)?;
    let mut games = Vec::with_capacity(matches.len());
    let (mut skipped_self, mut total) = (0, 0.0);
    for (item, m) in matches.iter().enumerate() {
        for contestant in [m.i, m.j] {
            if contestant >= k {
                return Err(InputError::ContestantOutOfRange {
                    item,
                    contestant,
                    contestants: k,
                });
            }
        }
        let score = input::probability(item, m.score_i)?;
        if !m.weight.is_finite() || m.weight < 0.0 {
            return Err(InputError::BadWeight {
                item,
                weight: m.weight,
            });
        }
        total += m.weight;
        if total > MAX_TOTAL_WEIGHT {
            return Err(InputError::TotalWeight {
                total,
                max: MAX_TOTAL_WEIGHT,
            });
        }
        if m.i == m.j {
            skipped_self += 1;
        } else if m.weight > 0.0 {
            games.push(Game {
                i: m.i,
                j: m.j,
                score,
                weight: m.weight,
            });
        }
    }
    Ok((games, skipped_self))
}

/// Games per contestant.
fn counts(k: usize, games: &[Game]) -> Vec<usize> {
    let mut n = vec![0; k];
    for g in games {
        n[g.i] += 1;
        n[g.j] += 1;
    }
    n
}

/// Whether the contestants that played form one component of the match graph.
fn connected(k: usize, games: &[Game]) -> bool {
    let mut parent: Vec<usize> = (0..k).collect();
    fn root(parent: &mut [usize], mut c: usize) -> usize {
        while parent[c] != c {
            parent[c] = parent[parent[c]];
            c = parent[c];
        }
        c
    }
    for g in games {
        let (a, b) = (root(&mut parent, g.i), root(&mut parent, g.j));
        parent[a] = b;
    }
    let played = counts(k, games);
    let mut roots = (0..k)
        .filter(|&c| played[c] > 0)
        .map(|c| root(&mut parent, c));
    match roots.next() {
        Some(first) => roots.all(|r| r == first),
        None => true,
    }
}

/// The penalised log-likelihood Σ w·[s·ln σ(d) + (1 − s)·ln σ(−d)] − (λ/2)·Σβ², d = β_i − β_j.
fn objective(games: &[Game], beta: &[f64]) -> f64 {
    let fit: f64 = games
        .iter()
        .map(|g| {
            let d = beta[g.i] - beta[g.j];
            g.weight * (g.score * log_sigmoid(d) + (1.0 - g.score) * log_sigmoid(-d))
        })
        .sum();
    fit - 0.5 * RIDGE * beta.iter().map(|b| b * b).sum::<f64>()
}

/// ln σ(x) without overflow or loss for large |x|.
fn log_sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// Maximises [`objective`] from `start` by Newton steps with step halving (the objective is
/// strictly concave, so this converges); returns β and whether the last step was below 1e-10.
fn solve(k: usize, games: &[Game], start: &[f64]) -> (Vec<f64>, bool) {
    let mut beta = start.to_vec();
    let mut value = objective(games, &beta);
    for _ in 0..100 {
        let mut grad: Vec<f64> = beta.iter().map(|b| -RIDGE * b).collect();
        let mut hess = vec![0.0; k * k];
        for c in 0..k {
            hess[c * k + c] = RIDGE;
        }
        for g in games {
            let p = sigmoid(beta[g.i] - beta[g.j]);
            let r = g.weight * (g.score - p);
            grad[g.i] += r;
            grad[g.j] -= r;
            let h = g.weight * p * (1.0 - p);
            hess[g.i * k + g.i] += h;
            hess[g.j * k + g.j] += h;
            hess[g.i * k + g.j] -= h;
            hess[g.j * k + g.i] -= h;
        }
        let Some(step) = cholesky_solve(k, &mut hess, grad) else {
            return (beta, false);
        };
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let trial_value = objective(games, &trial);
            if trial_value >= value {
                let moved = step.iter().fold(0.0, |m, s| f64::max(m, (t * s).abs()));
                beta = trial;
                value = trial_value;
                if moved < 1e-10 {
                    return (beta, true);
                }
                break;
            }
            t /= 2.0;
            if t < 1e-12 {
                // No step of this direction improves on rounding: as good as it gets.
                return (beta, true);
            }
        }
    }
    (beta, false)
}

/// Solves A·x = b for symmetric positive definite A (row-major k×k, overwritten by its Cholesky
/// factor); `None` if A is not positive definite to working precision.
fn cholesky_solve(k: usize, a: &mut [f64], mut b: Vec<f64>) -> Option<Vec<f64>> {
    for j in 0..k {
        let d = a[j * k + j] - (0..j).map(|m| a[j * k + m].powi(2)).sum::<f64>();
        if !(d > 0.0 && d.is_finite()) {
            return None;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let s = a[i * k + j] - (0..j).map(|m| a[i * k + m] * a[j * k + m]).sum::<f64>();
            a[i * k + j] = s / d;
        }
    }
    for i in 0..k {
        b[i] = (b[i] - (0..i).map(|m| a[i * k + m] * b[m]).sum::<f64>()) / a[i * k + i];
    }
    for i in (0..k).rev() {
        b[i] = (b[i] - (i + 1..k).map(|m| a[m * k + i] * b[m]).sum::<f64>()) / a[i * k + i];
    }
    Some(b)
}

/// The 2.5th and 97.5th percentiles of `values` (sorted in place), each interpolated linearly
/// between the order statistics around rank q·(n − 1); `None` when empty.
fn percentile_interval(values: &mut [f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| {
        let h = q * (values.len() - 1) as f64;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(values.len() - 1);
        values[lo] + (h - lo as f64) * (values[hi] - values[lo])
    };
    Some((at(0.025), at(0.975)))
}

#[cfg(test)]
mod tests;
