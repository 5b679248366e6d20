//! Small statistics the insights share: a proportion with its Wilson score interval, and a
//! running mean.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// `k` successes out of `n` trials (`k` may be fractional: a tie counts half).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    pub k: f64,
    pub n: usize,
}

impl Proportion {
    /// A proportion of `k` out of `n`.
    pub fn new(k: f64, n: usize) -> Self {
        Proportion { k, n }
    }

    /// Adds one trial, a success when `hit`.
    pub fn push(&mut self, hit: bool) {
        self.push_weight(if hit { 1.0 } else { 0.0 });
    }

    /// Adds one trial worth `weight` of a success (0, 0.5 or 1).
    pub fn push_weight(&mut self, weight: f64) {
        self.k += weight;
        self.n += 1;
    }

    /// k / n, or `None` with no trials.
    pub fn rate(&self) -> Option<f64> {
        (self.n > 0).then(|| self.k / self.n as f64)
    }

    /// The Wilson score interval at 95%, or `None` with no trials: with p = k/n,
    /// `(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`. Unlike p ± z·sqrt(p(1-p)/n) it
    /// stays inside [0, 1] and does not collapse to a point at 0 or n successes.
    pub fn wilson(&self) -> Option<(f64, f64)> {
        wilson(self.k, self.n, Z_95)
    }

    /// `3/10 (30%)`, or `-` with no trials.
    pub fn show(&self) -> String {
        match self.rate() {
            Some(r) => format!("{}/{} ({:.0}%)", trim(self.k), self.n, r * 100.0),
            None => "-".to_string(),
        }
    }
}

/// The Wilson score interval of `k` successes in `n` trials for normal quantile `z`.
pub fn wilson(k: f64, n: usize, z: f64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = (k / n).clamp(0.0, 1.0);
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// A number without a needless `.0` (3 rather than 3.0; 2.5 stays).
fn trim(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// A mean built one value at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Mean {
    pub sum: f64,
    pub n: usize,
}

impl Mean {
    /// Adds a value.
    pub fn push(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }

    /// The mean, or `None` with no values.
    pub fn value(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum / self.n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_matches_published_values() {
        // 8 of 10 at 95%: (0.4902, 0.9433), as tabulated by Newcombe (1998) and others.
        let (lo, hi) = Proportion::new(8.0, 10).wilson().unwrap();
        assert!(close(lo, 0.4902) && close(hi, 0.9433), "{lo} {hi}");
        // 0 of 10 does not collapse to [0, 0]: (0, 0.2775).
        let (lo, hi) = Proportion::new(0.0, 10).wilson().unwrap();
        assert!(close(lo, 0.0) && close(hi, 0.2775), "{lo} {hi}");
        // Symmetric at one half: 5 of 10 gives (0.2366, 0.7634).
        let (lo, hi) = Proportion::new(5.0, 10).wilson().unwrap();
        assert!(close(lo, 0.2366) && close(hi, 0.7634), "{lo} {hi}");
        assert_eq!(Proportion::default().wilson(), None);
    }

    #[test]
    fn proportions_count_ties_as_half_and_show_themselves() {
        let mut p = Proportion::default();
        p.push(true);
        p.push(false);
        p.push_weight(0.5);
        p.push(true);
        assert_eq!(p, Proportion::new(2.5, 4));
        assert_eq!(p.rate(), Some(0.625));
        assert_eq!(p.show(), "2.5/4 (62%)");
        assert_eq!(Proportion::new(3.0, 10).show(), "3/10 (30%)");
        assert_eq!(Proportion::default().show(), "-");
    }

    #[test]
    fn means_are_plain_averages() {
        let mut m = Mean::default();
        assert_eq!(m.value(), None);
        for x in [0.2, 0.4, 0.9] {
            m.push(x);
        }
        assert!((m.value().unwrap() - 0.5).abs() < 1e-12);
    }
}
