//! Top-p (nucleus) sampling with a temperature, straight from the logits.
//!
//! The general path (`Sampler::sample_top_kp_min_p`) takes the softmax of the whole vocabulary
//! through tensors, selects the nucleus from a copy, sorts it, zeroes every other token and
//! builds a cumulative table of the whole vocabulary to draw one token: most of a millisecond
//! for a vocabulary of 49k on a CPU, paid once per sequence per step, so a batch of 8 sequences
//! spent about a tenth of each step on it. This path keeps the same tokens (the smallest set of
//! most probable tokens whose probabilities reach `top_p`, as the general path keeps them) and
//! draws among them with the same weights, in a few passes over the logits that vectorise.

/// e^x for x <= 0, within a few units in the last place (the polynomial of Cephes' `expf`),
/// written without branches or calls so that a loop over a slice vectorises. Below -87 (where
/// f32's normal range ends) it gives 0; a NaN stays a NaN.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two, so that x - n ln 2 loses nothing.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let below = x < -87.0;
    let x = if below { -87.0 } else { x };
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5.000_000_1e-1;
    let e_r = p * r * r + r + 1.0;
    // 2^n, n in [-126, 0]: the exponent field alone.
    let two_n = f32::from_bits((((n as i32) + 127) as u32) << 23);
    if below {
        0.0
    } else {
        e_r * two_n
    }
}

/// Lanes for sums and maxima the compiler may keep in SIMD registers (a sum into one scalar is a
/// chain of dependent additions it may not reorder).
const LANES: usize = 16;

fn lanes_max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = if x > *a { x } else { *a };
        }
    }
    rest.iter()
        .chain(&acc)
        .fold(f32::NEG_INFINITY, |m, &x| if x > m { x } else { m })
}

/// The sum, in f64, of the values of `xs` that are at least `floor` (a NaN among them makes it
/// NaN). In f64 so that the cut of the nucleus does not drift over tens of thousands of terms.
fn lanes_sum_from(xs: &[f32], floor: f32) -> f64 {
    let mut acc = [0f64; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += if x < floor { 0.0 } else { x as f64 };
        }
    }
    let rest: f64 = rest
        .iter()
        .map(|&x| if x < floor { 0.0 } else { x as f64 })
        .sum();
    acc.iter().sum::<f64>() + rest
}

/// What `sample_nucleus` drew.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NucleusDraw {
    pub token: u32,
    /// The token's probability under the softmax at this temperature, before the cut to the
    /// nucleus (as the general path reports it).
    pub prob: f32,
    /// How many tokens the nucleus held.
    pub nucleus: usize,
}

/// Draws a token from the nucleus of `softmax(logits / temperature)`: the most probable tokens,
/// in order of probability (ties by token id), up to and including the one whose cumulative
/// probability reaches `top_p`; each weighted by its probability. `uniform` is a number in
/// [0, 1) from the caller's generator.
///
/// Returns `None` when the logits hold a NaN or an infinity, or `top_p` is not in (0, 1), so
/// that the caller's general path reports or handles it.
pub fn sample_nucleus(
    logits: &[f32],
    temperature: f32,
    top_p: f32,
    uniform: f64,
) -> Option<NucleusDraw> {
    if logits.is_empty() || !(top_p > 0.0 && top_p < 1.0) || !(temperature > 0.0) {
        return None;
    }
    let max = lanes_max(logits);
    if !max.is_finite() {
        return None;
    }
    // Probabilities relative to the most probable token's (which gets exactly 1).
    let inv_t = 1.0 / temperature;
    let weights: Vec<f32> = logits
        .iter()
        .map(|&l| exp_nonpositive((l - max) * inv_t))
        .collect();
    let total = lanes_sum_from(&weights, 0.0);
    if !total.is_finite() {
        return None;
    }
    let target = top_p as f64 * total;

    // Every token at least as probable as `floor` belongs to a head of the order; once that
    // head holds `target`, the nucleus lies within it. Lower the floor until it does.
    let mut floor = 1.0 / 256.0;
    while floor > f32::MIN_POSITIVE && lanes_sum_from(&weights, floor) < target {
        floor /= 256.0;
    }
    if floor <= f32::MIN_POSITIVE {
        floor = 0.0;
    }
    let mut head: Vec<(u32, f32)> = weights
        .iter()
        .enumerate()
        .filter(|(_, &w)| w >= floor && w > 0.0)
        .map(|(i, &w)| (i as u32, w))
        .collect();
    head.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

    // As the general path: keep tokens while the sum before them is short of top_p.
    let mut kept = 0f64;
    let mut n = 0;
    for &(_, w) in &head {
        if kept >= target {
            break;
        }
        kept += w as f64;
        n += 1;
    }
    let nucleus = &head[..n.max(1)];

    let mut point = uniform * kept;
    let mut chosen = nucleus[nucleus.len() - 1];
    for &(token, w) in nucleus {
        if point < w as f64 {
            chosen = (token, w);
            break;
        }
        point -= w as f64;
    }
    Some(NucleusDraw {
        token: chosen.0,
        prob: (chosen.1 as f64 / total) as f32,
        nucleus: nucleus.len(),
    })
}
