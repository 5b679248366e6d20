//! The fast top-p path of the patched mistral.rs sampler (`mistralrs_core::sample_nucleus`)
//! against a reference written the plain way: softmax in f64, the whole vocabulary sorted, the
//! nucleus cut as mistral.rs's general path cuts it, and the draw by cumulative weight.

use mistralrs_core::sample_nucleus;

/// Deterministic logits shaped like a language model's: a long flat tail and a few peaks.
fn logits(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|i| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
            let peak = if i % 997 == 3 { 12.0 } else { 0.0 };
            u * 8.0 - 4.0 + peak
        })
        .collect()
}

struct Reference {
    /// Nucleus in order: (token, probability), probabilities normalised over the vocabulary.
    nucleus: Vec<(u32, f64)>,
    /// Every token's probability.
    probs: Vec<f64>,
}

fn reference(logits: &[f32], temperature: f64, top_p: f64) -> Reference {
    let max = logits
        .iter()
        .map(|&l| l as f64)
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logits
        .iter()
        .map(|&l| ((l as f64 - max) / temperature).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let probs: Vec<f64> = weights.iter().map(|&w| w / total).collect();
    let mut order: Vec<(u32, f64)> = probs
        .iter()
        .enumerate()
        .map(|(i, &p)| (i as u32, p))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut cumsum = 0.0;
    let mut nucleus = Vec::new();
    for (token, p) in order {
        if cumsum >= top_p {
            break;
        }
        cumsum += p;
        nucleus.push((token, p));
    }
    Reference { nucleus, probs }
}

#[test]
fn the_nucleus_and_the_draw_match_a_full_sort_in_f64() {
    for (seed, temperature, top_p) in [
        (1, 0.7, 0.95),
        (2, 1.0, 0.9),
        (3, 0.3, 0.5),
        (4, 1.5, 0.99),
        (5, 0.7, 0.05),
    ] {
        let logits = logits(49_152, seed);
        let want = reference(&logits, temperature, top_p);
        let kept: f64 = want.nucleus.iter().map(|&(_, p)| p).sum();
        // Draw at points well inside each token's share, so that rounding cannot move them.
        // At most about 40 draws per case, spread over the nucleus.
        let every = want.nucleus.len().div_ceil(40);
        let mut before = 0.0;
        for (i, &(token, p)) in want.nucleus.iter().enumerate() {
            if i % every != 0 {
                before += p;
                continue;
            }
            let uniform = (before + p / 2.0) / kept;
            let got = sample_nucleus(&logits, temperature as f32, top_p as f32, uniform)
                .expect("finite logits");
            assert_eq!(
                got.nucleus,
                want.nucleus.len(),
                "seed {seed}, T {temperature}, top-p {top_p}: nucleus size"
            );
            // Tokens of equal probability in f64 may be ordered differently from f32 values
            // that differ in the last place, and the other way round: the draw must pick this
            // token or one just as probable.
            let got_p = want.probs[got.token as usize];
            assert!(
                got.token == token || (got_p - p).abs() <= 1e-6 * p,
                "seed {seed}: the draw at {uniform} gave token {} ({got_p}), want {token} ({p})",
                got.token
            );
            assert!(
                ((got.prob as f64) - p).abs() <= 1e-5 * p,
                "seed {seed}: probability {} against {p}",
                got.prob
            );
            before += p;
        }
    }
}

#[test]
fn a_nucleus_smaller_than_the_top_token_keeps_just_the_top_token() {
    let logits = logits(1000, 7);
    let top = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u32)
        .unwrap();
    for uniform in [0.0, 0.5, 0.999_999] {
        let got = sample_nucleus(&logits, 0.7, 1e-6, uniform).unwrap();
        assert_eq!((got.token, got.nucleus), (top, 1));
    }
}

#[test]
fn masked_tokens_are_never_drawn() {
    // Logits of minus infinity (a mask or a bias) get no weight, down to the last token.
    let mut logits = vec![f32::NEG_INFINITY; 5000];
    logits[10] = 1.0;
    logits[4000] = 1.0;
    for uniform in [0.0, 0.25, 0.75, 0.999_999] {
        let got = sample_nucleus(&logits, 1.0, 0.999, uniform).unwrap();
        assert!(got.token == 10 || got.token == 4000, "drew {}", got.token);
        assert_eq!(got.nucleus, 2);
    }
}

#[test]
fn bad_logits_and_settings_go_back_to_the_general_path() {
    let mut logits = logits(100, 9);
    assert!(sample_nucleus(&logits, 0.7, 1.0, 0.5).is_none(), "top-p 1");
    assert!(sample_nucleus(&logits, 0.7, 0.0, 0.5).is_none(), "top-p 0");
    assert!(
        sample_nucleus(&logits, 0.0, 0.9, 0.5).is_none(),
        "temperature 0"
    );
    logits[50] = f32::NAN;
    assert!(sample_nucleus(&logits, 0.7, 0.9, 0.5).is_none(), "NaN");
    logits[50] = f32::INFINITY;
    assert!(sample_nucleus(&logits, 0.7, 0.9, 0.5).is_none(), "infinity");
    assert!(sample_nucleus(&[], 0.7, 0.9, 0.5).is_none(), "empty");
}
