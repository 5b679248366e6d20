//! Which matches to play next. A match is a pair of contestants on one prompt, so a pair can
//! meet at most once per prompt, and only on prompts both have a final answer to. Pairs are
//! chosen by the Bradley–Terry schedule ([`schedule_within`]): round-robin while some pair
//! with a prompt left has never met, then the pairs with the most expected information (close
//! scores, few meetings), fitted on the headline matches so far (harmlessness on red-team
//! prompts, helpfulness on benign ones). Each chosen pair takes the first prompt, in
//! [`play_order`], it has not met on.

use crate::stats::bradley_terry::{schedule_within, Match};
use crate::stats::input::InputError;

/// A match to play: a prompt (an index into the prompts in play order) and the pair, the
/// first contestant shown as the head-to-head's A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    pub prompt: usize,
    pub first: usize,
    pub second: usize,
}

/// A match played: prompt index, the pair, and the headline share of the win of the first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Played {
    pub prompt: usize,
    pub first: usize,
    pub second: usize,
    pub score_first: f64,
}

/// Red-team and benign prompts merged so that a budget smaller than the whole field spends
/// itself on both sets in proportion: prompt n of a set of size s sits at (n + ½)/s, red-team
/// first on a tie. Returns (benign, index in its set) in play order.
pub fn play_order(red_team: usize, benign: usize) -> Vec<(bool, usize)> {
    let mut order: Vec<(f64, bool, usize)> = (0..red_team)
        .map(|n| ((n as f64 + 0.5) / red_team as f64, false, n))
        .chain((0..benign).map(|n| ((n as f64 + 0.5) / benign as f64, true, n)))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    order.into_iter().map(|(_, b, n)| (b, n)).collect()
}

/// The next `budget` matches among `k` contestants over `prompts` prompts (in play order),
/// given which contestant has a final answer to which prompt (`ready(contestant, prompt)`) and
/// the matches `played` so far. Fewer come back when fewer are left.
pub fn next_matches(
    k: usize,
    prompts: usize,
    ready: &dyn Fn(usize, usize) -> bool,
    played: &[Played],
    budget: usize,
) -> Result<Vec<Pick>, InputError> {
    // For each pair (i < j), the prompts it may still meet on, in play order.
    let mut open: Vec<std::collections::VecDeque<usize>> = vec![Default::default(); k * k];
    for i in 0..k {
        for j in i + 1..k {
            open[i * k + j] = (0..prompts)
                .filter(|&p| ready(i, p) && ready(j, p))
                .filter(|&p| {
                    !played.iter().any(|m| {
                        m.prompt == p && m.first.min(m.second) == i && m.first.max(m.second) == j
                    })
                })
                .collect();
        }
    }
    let matches: Vec<Match> = played
        .iter()
        .filter(|m| m.first < k && m.second < k)
        .map(|m| Match::new(m.first, m.second, m.score_first))
        .collect();
    let budget = budget.min(open.iter().map(|q| q.len()).sum());
    let room = |i: usize, j: usize| open[i * k + j].len();
    let pairs = schedule_within(k, budget, &matches, &room)?;
    Ok(pairs
        .into_iter()
        .filter_map(|(first, second)| {
            let (i, j) = (first.min(second), first.max(second));
            let prompt = open[i * k + j].pop_front()?;
            Some(Pick {
                prompt,
                first,
                second,
            })
        })
        .collect())
}
