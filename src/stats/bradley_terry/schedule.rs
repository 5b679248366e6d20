//! Which pairs of contestants to play next, given the matches played so far.
//!
//! The rule, one pick at a time, each pick counted before the next:
//!
//! 1. While some pair has never met, play one that has not, choosing the pair whose two
//!    contestants have played the fewest matches between them (so a partial round keeps the
//!    field level), then the lowest (i, j).
//! 2. Once every pair has met, play the pair with the most expected information per match
//!    already spent on it, p·(1 − p) / (meetings + 1), with p = σ(β_i − β_j) from a fit of the
//!    matches played: close ratings (p near ½) and few meetings both raise it. Ties go as in 1.
//!    With equal ratings this is round-robin again: every pair meets twice before any a third
//!    time.
//!
//! The ratings are fitted once, on `played`; the picks of one call do not move them. A pair's
//! n-th meeting (counting from 0) lists the lower index first when n is even and second when
//! odd, so a judge's first-position bias falls on both sides alike.

use super::{check, fit, Match, MAX_CONTESTANTS};
use crate::stats::input::{self, sigmoid, InputError};

/// The most pairs one call may schedule.
pub const MAX_BUDGET: usize = 1_000_000;

/// The next `budget` pairs to play among `k` contestants after `played` (rule in the module
/// note). Fewer than two contestants give no pairs. Errors: a bad match in `played`, more than
/// [`MAX_CONTESTANTS`] contestants or a budget above [`MAX_BUDGET`]. Each pick looks at every
/// pair, so a call costs about budget·k²/2 steps.
pub fn schedule(
    k: usize,
    budget: usize,
    played: &[Match],
) -> Result<Vec<(usize, usize)>, InputError> {
    schedule_within(k, budget, played, &|_, _| usize::MAX)
}

/// As [`schedule`], a pair (i < j) meeting at most `room(i, j)` more times in these picks (an
/// arena's pair can meet once per prompt): a pair without room is passed over, and the picks
/// stop early when no pair has room. While a pair with room has never met, rule 1 holds.
pub fn schedule_within(
    k: usize,
    budget: usize,
    played: &[Match],
    room: &dyn Fn(usize, usize) -> usize,
) -> Result<Vec<(usize, usize)>, InputError> {
    input::at_most("contestants", k, MAX_CONTESTANTS)?;
    input::at_most("pairs to schedule", budget, MAX_BUDGET)?;
    check(k, played)?;
    if k < 2 {
        return Ok(Vec::new());
    }
    let mut meetings = vec![0usize; k * k];
    let mut games = vec![0usize; k];
    for m in played.iter().filter(|m| m.i != m.j) {
        let (i, j) = (m.i.min(m.j), m.i.max(m.j));
        meetings[i * k + j] += 1;
        games[i] += 1;
        games[j] += 1;
    }
    let beta: Vec<f64> = fit(k, played)?
        .contestants
        .iter()
        .map(|r| r.beta.unwrap_or(0.0))
        .collect();
    let mut left: Vec<usize> = (0..k * k)
        .map(|c| {
            let (i, j) = (c / k, c % k);
            if i < j {
                room(i, j)
            } else {
                0
            }
        })
        .collect();
    let mut picks = Vec::with_capacity(budget.min(MAX_BUDGET));
    for _ in 0..budget {
        let unmet =
            (0..k).any(|i| (i + 1..k).any(|j| meetings[i * k + j] == 0 && left[i * k + j] > 0));
        let mut best: Option<(f64, usize, usize, usize)> = None;
        for i in 0..k {
            for j in i + 1..k {
                let n = meetings[i * k + j];
                if left[i * k + j] == 0 || (unmet && n > 0) {
                    continue;
                }
                let p = sigmoid(beta[i] - beta[j]);
                let info = if unmet {
                    0.0
                } else {
                    p * (1.0 - p) / (n + 1) as f64
                };
                let candidate = (info, games[i] + games[j], i, j);
                if best.is_none_or(|b| better(candidate, b)) {
                    best = Some(candidate);
                }
            }
        }
        let Some((_, _, i, j)) = best else { break };
        let n = meetings[i * k + j];
        picks.push(if n.is_multiple_of(2) { (i, j) } else { (j, i) });
        meetings[i * k + j] += 1;
        left[i * k + j] -= 1;
        games[i] += 1;
        games[j] += 1;
    }
    Ok(picks)
}

/// More information first, then fewer games between the two, then the lower pair.
fn better(a: (f64, usize, usize, usize), b: (f64, usize, usize, usize)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && (a.1, a.2, a.3) < (b.1, b.2, b.3))
}
