//! mistral.rs's patched CPU attention (see `patches/README.md`), for prompts (many query rows,
//! left-padded batches, a prompt split by a prefix-cache hit) and for batched decoding steps (one
//! row per sequence): it must match attention computed in f64, with the blocked prompt kernel
//! on (the default) and off. The vector exp of the prompt kernels: within 2 ulp of libm's, the
//! same bits in a vector's lanes and alone.

use candle_core::{Device, Tensor};

/// Attention computed in f64 with candle ops: q is (b, heads, q_len, d), k and v are
/// (b, kv_heads, kv_len, d) with each key/value head shared by `heads / kv_heads` query heads.
fn attention_f64(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Vec<f64> {
    use candle_core::{DType, D};
    let (b, h, _, d) = q.dims4().unwrap();
    let (_, kv_h, kv_len, _) = k.dims4().unwrap();
    let f64_of = |t: &Tensor| t.to_dtype(DType::F64).unwrap();
    let shared = |t: &Tensor| {
        f64_of(t)
            .unsqueeze(2)
            .unwrap()
            .expand((b, kv_h, h / kv_h, kv_len, d))
            .unwrap()
            .reshape((b, h, kv_len, d))
            .unwrap()
    };
    let (q, k, v) = (f64_of(q), shared(k), shared(v));
    let mut scores = (q.matmul(&k.t().unwrap().contiguous().unwrap()).unwrap()
        * (1.0 / (d as f64).sqrt()))
    .unwrap();
    if let Some(mask) = mask {
        scores = scores.broadcast_add(&f64_of(mask)).unwrap();
    }
    let max = scores.max_keepdim(D::Minus1).unwrap();
    let e = scores.broadcast_sub(&max).unwrap().exp().unwrap();
    let weights = e.broadcast_div(&e.sum_keepdim(D::Minus1).unwrap()).unwrap();
    weights
        .matmul(&v)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap()
}

/// mistral.rs's CPU attention kernel against attention in f64, on random inputs: `q_len` new
/// query rows after `past` cached positions, causally masked when `q_len > 1`; 9 query heads
/// share 3 key/value heads (SmolLM2's layout).
fn check_attention(b: usize, q_len: usize, past: usize) {
    let cpu = &Device::Cpu;
    let (h, kv_h, d) = (9, 3, 64);
    let kv_len = past + q_len;
    let q = Tensor::randn(0f32, 1.0, (b, h, q_len, d), cpu).unwrap();
    let k = Tensor::randn(0f32, 1.0, (b, kv_h, kv_len, d), cpu).unwrap();
    let v = Tensor::randn(0f32, 1.0, (b, kv_h, kv_len, d), cpu).unwrap();
    let mask = (q_len > 1).then(|| {
        let causal: Vec<f32> = (0..q_len)
            .flat_map(|i| {
                (0..kv_len).map(move |j| if j > past + i { f32::NEG_INFINITY } else { 0.0 })
            })
            .collect();
        Tensor::from_vec(causal, (q_len, kv_len), cpu).unwrap()
    });
    let got = run_attention(&q, &k, &v, mask.as_ref());
    let want = attention_f64(&q, &k, &v, mask.as_ref());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        // Written so that a NaN fails too.
        assert!(
            (*g as f64 - w).abs() < 1e-5,
            "b={b} q_len={q_len} past={past}: element {i} is {g}, f64 reference {w}"
        );
    }
}

#[test]
fn attention_for_prompts_matches_f64() {
    check_attention(1, 37, 0);
    check_attention(2, 64, 5);
    check_attention(1, 300, 357);
}

/// Runs mistral.rs's CPU attention (9 query heads over 3 key/value heads, head size 64).
fn run_attention(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> Vec<f32> {
    use mistralrs_core::layers::{Sdpa, SdpaParams};
    let params = SdpaParams {
        n_kv_groups: 3,
        softcap: None,
        softmax_scale: 1.0 / 8.0,
        sliding_window: None,
        sinks: None,
    };
    let got = Sdpa.run_attention(q, k, v, mask, None, &params).unwrap();
    let (b, h, q_len, d) = q.dims4().unwrap();
    assert_eq!(got.dims(), &[b, h, q_len, d]);
    got.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

/// The causal mask of `q_len` rows after `past` positions, each sequence's first `pad[b]`
/// positions masked too (left padding), shaped (b, 1, q_len, kv_len).
fn padded_causal_mask(pad: &[usize], q_len: usize, past: usize) -> Tensor {
    let kv_len = past + q_len;
    let values: Vec<f32> = pad
        .iter()
        .flat_map(|&p| {
            (0..q_len).flat_map(move |i| {
                (0..kv_len).map(move |j| {
                    if j > past + i || j < p {
                        f32::NEG_INFINITY
                    } else {
                        0.0
                    }
                })
            })
        })
        .collect();
    Tensor::from_vec(values, (pad.len(), 1, q_len, kv_len), &Device::Cpu).unwrap()
}

#[test]
fn attention_for_left_padded_prompts_matches_f64() {
    check_left_padded_prompts();
}

fn check_left_padded_prompts() {
    // Two sequences in one prompt batch, the second's first 19 positions padding, the first's
    // none; rows and keys not multiples of the kernel's blocks.
    let cpu = &Device::Cpu;
    let (b, h, kv_h, d, q_len) = (2, 9, 3, 64, 45);
    let q = Tensor::randn(0f32, 1.0, (b, h, q_len, d), cpu).unwrap();
    let k = Tensor::randn(0f32, 1.0, (b, kv_h, q_len, d), cpu).unwrap();
    let v = Tensor::randn(0f32, 1.0, (b, kv_h, q_len, d), cpu).unwrap();
    let mask = padded_causal_mask(&[0, 19], q_len, 0);
    let got = run_attention(&q, &k, &v, Some(&mask));
    let want = attention_f64(&q, &k, &v, Some(&mask));
    let mut compared = 0;
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        let (seq, row) = (i / (h * q_len * d), i / d % q_len);
        if seq == 1 && row < 19 {
            // A padding row sees no key; what it holds is never read.
            continue;
        }
        assert!(
            (*g as f64 - w).abs() < 1e-5,
            "element {i} (sequence {seq}, row {row}) is {g}, f64 reference {w}"
        );
        compared += 1;
    }
    assert_eq!(compared, h * d * (2 * q_len - 19));
}

#[test]
fn a_prompt_split_by_a_prefix_cache_hit_gives_the_same_bits_as_whole() {
    check_prefix_split_bits();
}

fn check_prefix_split_bits() {
    // The last 23 rows of a 130-token prompt, computed with the whole prompt and computed
    // alone after the first 107 positions (as after a prefix-cache hit): equal bit for bit,
    // so an answer does not depend on whether its prompt was found in the cache.
    let cpu = &Device::Cpu;
    let (h, kv_h, d, len, tail) = (9, 3, 64, 130, 23);
    let q = Tensor::randn(0f32, 1.0, (1, h, len, d), cpu).unwrap();
    let k = Tensor::randn(0f32, 1.0, (1, kv_h, len, d), cpu).unwrap();
    let v = Tensor::randn(0f32, 1.0, (1, kv_h, len, d), cpu).unwrap();
    let whole = run_attention(&q, &k, &v, Some(&padded_causal_mask(&[0], len, 0)));
    let q_tail = q.narrow(2, len - tail, tail).unwrap().contiguous().unwrap();
    let mask_tail = padded_causal_mask(&[0], tail, len - tail);
    let split = run_attention(&q_tail, &k, &v, Some(&mask_tail));
    for head in 0..h {
        for row in 0..tail {
            let w = &whole[(head * len + len - tail + row) * d..][..d];
            let s = &split[(head * tail + row) * d..][..d];
            let (w_bits, s_bits): (Vec<u32>, Vec<u32>) = (
                w.iter().map(|x| x.to_bits()).collect(),
                s.iter().map(|x| x.to_bits()).collect(),
            );
            assert_eq!(w_bits, s_bits, "head {head}, row {row} of the tail");
        }
    }
}

/// The attention checks above with the blocked prompt kernel and the 8-lane exp switched off
/// (`MISTRALRS_CPU_PROMPT_KERNELS=0`, mistralrs-core 0022 and 0023): the row-at-a-time kernel
/// that other builds and dtypes keep. The switch is read once per process, so the checks run
/// in a process of their own.
#[test]
fn attention_with_the_prompt_kernels_off_matches_f64_and_splits_bit_for_bit() {
    crate::support::in_child_process(
        "patched_attention::child_attention_checks_with_the_kernels_off",
        &[("MISTRALRS_CPU_PROMPT_KERNELS", "0")],
        1,
    );
}

#[test]
#[ignore = "run in a child process with the prompt kernels off, by the test above"]
fn child_attention_checks_with_the_kernels_off() {
    if crate::support::is_child() {
        assert!(!mistralrs_core::cpu_exp::prompt_kernels_on());
        check_attention(1, 37, 0);
        check_attention(2, 64, 5);
        check_attention(1, 300, 357);
        check_left_padded_prompts();
        check_prefix_split_bits();
        check_attention(3, 1, 130);
    }
}

/// Without the variable, the prompt kernels run: the checks in this process test them.
#[test]
fn the_prompt_kernels_are_on_unless_switched_off() {
    crate::support::in_child_process(
        "patched_attention::child_prompt_kernels_default",
        &[("MISTRALRS_CPU_PROMPT_KERNELS", "")],
        1,
    );
}

#[test]
#[ignore = "run in a child process without the kernel switch, by the test above"]
fn child_prompt_kernels_default() {
    if crate::support::is_child() {
        assert!(std::env::var_os("MISTRALRS_CPU_PROMPT_KERNELS").is_none());
        assert!(mistralrs_core::cpu_exp::prompt_kernels_on());
    }
}

#[test]
fn vector_exp_is_within_two_ulp_of_libm_and_zero_below_its_range() {
    use mistralrs_core::cpu_exp::exp;
    let mut x = -87.0f32;
    let mut checked = 0;
    while x <= 88.0 {
        let (got, want) = (exp(x), x.exp());
        let ulp = (i64::from(got.to_bits()) - i64::from(want.to_bits())).abs();
        assert!(ulp <= 2, "exp({x}) = {got}, libm {want}: {ulp} ulp");
        x += 0.0137;
        checked += 1;
    }
    assert!(checked > 12_000);
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(-88.0), 0.0);
    assert_eq!(exp(f32::NEG_INFINITY), 0.0);
}

#[test]
fn silu_and_multiply_gives_the_same_bits_in_a_long_slice_and_alone() {
    // A prompt's rows go through the vector lanes, a short tail through the scalar code:
    // every value must get the same bits either way, and be SiLU(x)·y.
    use mistralrs_core::cpu_exp::silu_mul;
    let xs: Vec<f32> = (0..29).map(|i| (i as f32 - 14.0) * 0.77).collect();
    let ys: Vec<f32> = (0..29).map(|i| 1.0 + i as f32 * 0.1).collect();
    let mut whole = vec![0f32; 29];
    silu_mul(&xs, &ys, &mut whole);
    for i in 0..29 {
        let mut alone = [0f32];
        silu_mul(&xs[i..=i], &ys[i..=i], &mut alone);
        assert_eq!(alone[0].to_bits(), whole[i].to_bits(), "value {i}");
        let want = xs[i] / (1.0 + (-xs[i]).exp()) * ys[i];
        assert!(
            (whole[i] - want).abs() <= 1e-6 * want.abs().max(1.0),
            "value {i}: {} against {want}",
            whole[i]
        );
    }
}

#[test]
fn attention_for_batched_decoding_matches_f64() {
    // Several sequences in one decoding step, each with its own keys and values.
    check_attention(1, 1, 40);
    check_attention(3, 1, 130);
}
