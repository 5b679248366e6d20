//! Checks on the numbers the evaluation statistics take in: probabilities, probability vectors
//! over a question's options, weights and match scores. Every entry point of
//! [`calibration`](super::calibration), [`temperature`](super::temperature) and
//! [`bradley_terry`](super::bradley_terry) runs its input through these first and answers with an
//! [`InputError`] naming the first bad item, so no NaN or out-of-range value reaches the
//! arithmetic.
//!
//! Convention: a value within [`SLACK`] outside [0, 1] is rounding and is clamped in; anything
//! further out, or not finite, is an error.

use std::fmt;

/// How far outside [0, 1] a probability may stray by rounding before it counts as wrong.
pub const SLACK: f64 = 1e-9;

/// Why a set of inputs was refused. `item` is the 0-based position of the first bad one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputError {
    /// Nothing to compute on (no items, or every weight zero).
    NoItems,
    /// A probability that is NaN, infinite, or outside [0, 1].
    NotAProbability { item: usize, value: f64 },
    /// A probability vector with a negative or non-finite entry, or all entries zero.
    NotADistribution { item: usize },
    /// A question with fewer than two options.
    TooFewOptions { item: usize, options: usize },
    /// The index of the correct option is not one of the options.
    CorrectOutOfRange {
        item: usize,
        correct: usize,
        options: usize,
    },
    /// A weight that is negative, NaN or infinite.
    BadWeight { item: usize, weight: f64 },
    /// Weights whose total passes what the computation accepts.
    TotalWeight { total: f64, max: f64 },
    /// Weights given for a different number of items.
    WeightCount { items: usize, weights: usize },
    /// A contestant index not below the number of contestants.
    ContestantOutOfRange {
        item: usize,
        contestant: usize,
        contestants: usize,
    },
    /// A size past what the computation accepts (contestants, bins, replicates, budget).
    TooLarge {
        what: &'static str,
        value: usize,
        max: usize,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            InputError::NoItems => write!(f, "no items to compute on"),
            InputError::NotAProbability { item, value } => {
                write!(f, "item {item}: {value} is not a probability in [0, 1]")
            }
            InputError::NotADistribution { item } => write!(
                f,
                "item {item}: the option probabilities must be finite, non-negative and not all 0"
            ),
            InputError::TooFewOptions { item, options } => {
                write!(f, "item {item}: {options} option(s); at least 2 are needed")
            }
            InputError::CorrectOutOfRange {
                item,
                correct,
                options,
            } => write!(
                f,
                "item {item}: correct option {correct} is not among its {options} options"
            ),
            InputError::BadWeight { item, weight } => {
                write!(
                    f,
                    "item {item}: weight {weight} is not a finite non-negative number"
                )
            }
            InputError::TotalWeight { total, max } => {
                write!(
                    f,
                    "the weights add up to {total}; at most {max} is accepted"
                )
            }
            InputError::WeightCount { items, weights } => {
                write!(f, "{weights} weights for {items} items")
            }
            InputError::ContestantOutOfRange {
                item,
                contestant,
                contestants,
            } => write!(
                f,
                "item {item}: contestant {contestant} is not among the {contestants} contestants"
            ),
            InputError::TooLarge { what, value, max } => {
                write!(f, "{value} {what}; at most {max} are accepted")
            }
        }
    }
}

impl std::error::Error for InputError {}

/// `value` as a probability: clamped into [0, 1] when within [`SLACK`] of it, an error otherwise.
pub(crate) fn probability(item: usize, value: f64) -> Result<f64, InputError> {
    if value.is_finite() && (-SLACK..=1.0 + SLACK).contains(&value) {
        Ok(value.clamp(0.0, 1.0))
    } else {
        Err(InputError::NotAProbability { item, value })
    }
}

/// A question's option probabilities scaled to sum to 1, with its correct option checked.
pub(crate) fn distribution(item: usize, p: &[f64], correct: usize) -> Result<Vec<f64>, InputError> {
    let p = normalise(item, p)?;
    if correct >= p.len() {
        return Err(InputError::CorrectOutOfRange {
            item,
            correct,
            options: p.len(),
        });
    }
    Ok(p)
}

/// Option probabilities (at least two, finite, non-negative, not all 0) scaled to sum to 1.
/// Dividing by the largest entry first keeps huge and tiny entries finite.
pub(crate) fn normalise(item: usize, p: &[f64]) -> Result<Vec<f64>, InputError> {
    if p.len() < 2 {
        return Err(InputError::TooFewOptions {
            item,
            options: p.len(),
        });
    }
    if p.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(InputError::NotADistribution { item });
    }
    let max = p.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return Err(InputError::NotADistribution { item });
    }
    let scaled: Vec<f64> = p.iter().map(|x| x / max).collect();
    let sum: f64 = scaled.iter().sum();
    Ok(scaled.iter().map(|x| x / sum).collect())
}

/// Checks `weights` against `items` entries and scales them so the largest is 1 (only ratios
/// matter to a weighted mean). An error when one is bad or all are zero.
pub(crate) fn weights(items: usize, weights: &[f64]) -> Result<Vec<f64>, InputError> {
    if weights.len() != items {
        return Err(InputError::WeightCount {
            items,
            weights: weights.len(),
        });
    }
    if let Some((item, &weight)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        return Err(InputError::BadWeight { item, weight });
    }
    let max = weights.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return Err(InputError::NoItems);
    }
    Ok(weights.iter().map(|w| w / max).collect())
}

/// An error when `value` passes `max`.
pub(crate) fn at_most(what: &'static str, value: usize, max: usize) -> Result<(), InputError> {
    if value > max {
        Err(InputError::TooLarge { what, value, max })
    } else {
        Ok(())
    }
}

/// The logistic function 1 / (1 + e^(−x)), without overflow for large |x|.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_clamp_rounding_and_refuse_the_rest() {
        assert_eq!(probability(0, 1.0 + 1e-12), Ok(1.0));
        assert_eq!(probability(0, -1e-12), Ok(0.0));
        assert_eq!(probability(0, 0.25), Ok(0.25));
        assert!(probability(3, f64::NAN).is_err());
        assert_eq!(
            probability(3, 1.1),
            Err(InputError::NotAProbability {
                item: 3,
                value: 1.1
            })
        );
        assert!(probability(0, f64::INFINITY).is_err());
    }

    #[test]
    fn distributions_normalise_even_huge_or_tiny_entries() {
        // 3 : 1 is 0.75 : 0.25 at any scale.
        for scale in [1.0, 1e300, 1e-300] {
            let d = distribution(0, &[3.0 * scale, 1.0 * scale], 0).unwrap();
            assert!((d[0] - 0.75).abs() < 1e-15 && (d[1] - 0.25).abs() < 1e-15);
        }
        // f64::MAX twice would overflow a plain sum; scaled by the max it is 0.5 each.
        assert_eq!(
            distribution(0, &[f64::MAX, f64::MAX], 1).unwrap(),
            [0.5, 0.5]
        );
        assert!(distribution(0, &[0.0, 0.0], 0).is_err());
        assert!(distribution(0, &[0.5, f64::NAN], 0).is_err());
        assert!(distribution(0, &[1.5, -0.5], 0).is_err());
        assert!(distribution(0, &[1.0], 0).is_err());
        assert!(distribution(0, &[0.5, 0.5], 2).is_err());
    }

    #[test]
    fn weights_scale_to_a_largest_of_one_and_refuse_bad_ones() {
        assert_eq!(weights(2, &[2.0, 4.0]).unwrap(), [0.5, 1.0]);
        assert_eq!(weights(2, &[0.0, 0.0]), Err(InputError::NoItems));
        assert!(weights(2, &[1.0, f64::NAN]).is_err());
        assert!(weights(2, &[1.0, -1.0]).is_err());
        assert!(weights(3, &[1.0, 1.0]).is_err());
    }

    #[test]
    fn sigmoid_is_finite_and_symmetric_at_the_extremes() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        // σ(ln 3) = 3 / (3 + 1).
        assert!((sigmoid(3f64.ln()) - 0.75).abs() < 1e-15);
        assert!((sigmoid(2.0) + sigmoid(-2.0) - 1.0).abs() < 1e-15);
    }
}
