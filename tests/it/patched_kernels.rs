//! The patched kernels (see `patches/README.md`). candle's quantized matmul: several rows
//! multiplied in one tiled pass must give exactly what multiplying each row alone gives, and both
//! must match a plain f32 matmul of the dequantized weights. mistral.rs's CPU attention, for
//! prompts (many query rows) and for batched decoding steps (one row per sequence): it must
//! match attention computed in f64. mistral.rs's RMS norm of a decoding step's few rows, computed
//! on the calling thread: it must equal candle-nn's kernel, which does many rows. The vector exp
//! of the prompt kernels: within 2 ulp of libm's, the same bits in a vector's lanes and alone.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

use crate::support::matmul_check;
use matmul_check::{check, values};

#[test]
fn batched_rows_equal_single_rows_and_match_f32() {
    for dtype in [GgmlDType::Q8_0, GgmlDType::Q4_1, GgmlDType::Q4_0] {
        // One row (decoding), a few rows (batched decoding), many rows (with a row count and
        // a column count that are not multiples of the 4x2 kernel or the 16-column tile),
        // and a tiny matrix.
        check(dtype, 1, 576, 1536);
        check(dtype, 8, 576, 192);
        check(dtype, 37, 1536, 200);
        check(dtype, 130, 576, 201);
        check(dtype, 3, 64, 5);
    }
    matmul_check::check_q8_0_shapes();
}

#[test]
fn single_rows_from_many_threads_at_once_are_right() {
    // Row workers serve one caller at a time; others must fall back and still be right.
    let cpu = &Device::Cpu;
    let (k, n) = (576, 1536);
    let w = Tensor::from_vec(values(n * k, 3), (n, k), cpu).unwrap();
    let mm = std::sync::Arc::new(
        QMatMul::from_qtensor(QTensor::quantize(&w, GgmlDType::Q8_0).unwrap()).unwrap(),
    );
    let x = Tensor::from_vec(values(k, 4), (1, k), cpu).unwrap();
    let want: Vec<Vec<f32>> = mm.forward(&x).unwrap().to_vec2().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (mm, x) = (mm.clone(), x.clone());
            std::thread::spawn(move || {
                (0..200)
                    .map(|_| mm.forward(&x).unwrap().to_vec2::<f32>().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        for got in t.join().unwrap() {
            assert_eq!(got, want);
        }
    }
}

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
    use mistralrs_core::layers::{Sdpa, SdpaParams};
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
    let params = SdpaParams {
        n_kv_groups: h / kv_h,
        softcap: None,
        softmax_scale: 1.0 / (d as f32).sqrt(),
        sliding_window: None,
        sinks: None,
    };
    let got = Sdpa
        .run_attention(&q, &k, &v, mask.as_ref(), None, &params)
        .unwrap();
    assert_eq!(got.dims(), &[b, h, q_len, d]);
    let got = got.flatten_all().unwrap().to_vec1::<f32>().unwrap();
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

/// The attention checks above with the blocked prompt kernel and the 8-lane exp switched on
/// (`MISTRALRS_CPU_PROMPT_KERNELS=1`, mistralrs-core 0022 and 0023). The switch is read once
/// per process, so the checks run in a process of their own.
#[test]
fn attention_with_the_prompt_kernels_on_matches_f64_and_splits_bit_for_bit() {
    crate::support::in_child_process(
        "patched_kernels::child_prompt_kernel_checks",
        &[("MISTRALRS_CPU_PROMPT_KERNELS", "1")],
        1,
    );
}

#[test]
#[ignore = "run in a child process with the prompt kernels on, by the test above"]
fn child_prompt_kernel_checks() {
    if crate::support::is_child() {
        assert!(mistralrs_core::cpu_exp::prompt_kernels_on());
        check_attention(1, 37, 0);
        check_attention(2, 64, 5);
        check_attention(1, 300, 357);
        check_left_padded_prompts();
        check_prefix_split_bits();
        check_attention(3, 1, 130);
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

#[test]
fn q8_0_quantization_rounds_as_the_scalar_code() {
    // The AVX2 quantizer must give the blocks the scalar code gives: scale = largest magnitude
    // / 127, values rounded half away from zero. The first block has scale exactly 1, so the
    // halves are exact ties; the others are ordinary values and an all-zero block.
    let mut xs: Vec<f32> = (0..32).map(|i| (i as f32 - 16.0) + 0.5).collect();
    xs[0] = 127.0;
    xs.extend(values(64, 9).iter().map(|v| v * 7.3));
    xs.extend([0.0; 32]);
    let cpu = &Device::Cpu;
    let q = QTensor::quantize(
        &Tensor::from_vec(xs.clone(), (1, xs.len()), cpu).unwrap(),
        GgmlDType::Q8_0,
    )
    .unwrap();
    let got: Vec<f32> = q
        .dequantize(cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let want: Vec<f32> = xs
        .chunks(32)
        .flat_map(|block| {
            let amax = block.iter().fold(0f32, |a, x| a.max(x.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let d16 = half_round_trip(d);
            block
                .iter()
                .map(move |x| (x * id).round() * d16)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(got, want);
    // -14.5, -13.5, -12.5: ties, away from zero.
    assert_eq!(&got[..4], &[127.0, -15.0, -14.0, -13.0]);
}

/// `x` stored as f16 and read back, as a block scale is.
fn half_round_trip(x: f32) -> f32 {
    let t = Tensor::new(&[x], &Device::Cpu).unwrap();
    let t = t.to_dtype(candle_core::DType::F16).unwrap();
    t.to_dtype(candle_core::DType::F32)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()[0]
}

#[test]
fn rms_norm_of_a_few_rows_equals_the_kernel_for_many() {
    use mistralrs_core::layers::QRmsNorm;
    let cpu = &Device::Cpu;
    let dim = 576;
    let weight = Tensor::from_vec(values(dim, 7), dim, cpu).unwrap();
    let norm = QRmsNorm::new(QTensor::quantize(&weight, GgmlDType::F32).unwrap(), 1e-5).unwrap();
    // 40 rows go to candle-nn's kernel; 3 rows (up to 16) are normed on the calling thread.
    let many = Tensor::from_vec(values(40 * dim, 3), (1, 40, dim), cpu).unwrap();
    let few = many.narrow(1, 0, 3).unwrap();
    let rows = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let from_few = rows(norm.forward(&few).unwrap());
    let from_many = rows(norm.forward(&many).unwrap().narrow(1, 0, 3).unwrap());
    assert_eq!(from_few.len(), 3 * dim);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&from_few), bits(&from_many));

    // And both are the RMS norm.
    let (x, w) = (rows(few), rows(weight));
    for (row, got) in x.chunks(dim).zip(from_few.chunks(dim)) {
        let ms = row.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / dim as f64;
        let scale = 1.0 / (ms + 1e-5).sqrt();
        for ((&v, &a), &g) in row.iter().zip(&w).zip(got) {
            let want = f64::from(v) * scale * f64::from(a);
            assert!((f64::from(g) - want).abs() < 1e-5, "{g} against {want}");
        }
    }
}

/// The many-row Q8_0 kernel with AVX-512 switched off (`CANDLE_AVX512=0`), so that its 256-bit
/// AVX-VNNI instructions are tested on a CPU that has AVX-512 too; the switch is read once per
/// process, so the checks run in a process of their own.
#[test]
fn batched_rows_equal_single_rows_and_match_f32_without_avx512() {
    crate::support::in_child_process(
        "patched_kernels::child_q8_0_checks",
        &[("CANDLE_AVX512", "0")],
        1,
    );
}

/// The same with AVX-VNNI switched off too (`CANDLE_AVX_VNNI=0`): the AVX2 instructions.
#[test]
fn batched_rows_equal_single_rows_and_match_f32_without_vnni() {
    crate::support::in_child_process(
        "patched_kernels::child_q8_0_checks",
        &[("CANDLE_AVX512", "0"), ("CANDLE_AVX_VNNI", "0")],
        1,
    );
}

#[test]
#[ignore = "run in a child process with the kernel switches set, by the two tests above"]
fn child_q8_0_checks() {
    if crate::support::is_child() {
        matmul_check::check_q8_0_shapes();
    }
}

#[test]
fn slice_set_from_a_source_narrowed_along_the_set_dimension_copies_what_a_contiguous_copy_does() {
    // A KV cache's shape: (batch, heads, positions, head_dim), positions at the start of a
    // larger buffer (candle-core 0010).
    let cpu = &Device::Cpu;
    let buffer = Tensor::from_vec(values(2 * 3 * 40 * 8, 5), (2, 3, 40, 8), cpu).unwrap();
    for (start, len) in [(0, 17), (5, 30), (0, 40), (39, 1)] {
        let narrowed = buffer.narrow(2, start, len).unwrap();
        assert!(!narrowed.is_contiguous() || len == 40);
        let direct = Tensor::zeros((2, 3, 64, 8), candle_core::DType::F32, cpu).unwrap();
        direct.slice_set(&narrowed, 2, 7).unwrap();
        let via_copy = Tensor::zeros((2, 3, 64, 8), candle_core::DType::F32, cpu).unwrap();
        via_copy
            .slice_set(&narrowed.contiguous().unwrap(), 2, 7)
            .unwrap();
        let (a, b): (Vec<f32>, Vec<f32>) = (
            direct.flatten_all().unwrap().to_vec1().unwrap(),
            via_copy.flatten_all().unwrap().to_vec1().unwrap(),
        );
        assert_eq!(a, b, "start {start}, len {len}");
    }
    // Other layouts stay refused: a transposed source is not rows of contiguous elements.
    let transposed = buffer.transpose(2, 3).unwrap();
    let into = Tensor::zeros((2, 3, 8, 40), candle_core::DType::F32, cpu).unwrap();
    assert!(into.slice_set(&transposed, 2, 0).is_err());
}
