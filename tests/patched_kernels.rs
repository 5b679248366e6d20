//! The patched kernels (see `patches/README.md`). candle's quantized matmul: several rows
//! multiplied in one tiled pass must give exactly what multiplying each row alone gives, and both
//! must match a plain f32 matmul of the dequantized weights. mistral.rs's CPU attention, for
//! prompts (many query rows) and for batched decoding steps (one row per sequence): it must
//! match mistral.rs's plain attention path (candle matmul and softmax).

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

/// Deterministic values in [-0.5, 0.5).
fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i.wrapping_mul(7919).wrapping_add(seed * 104_729)) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

fn check(dtype: GgmlDType, m: usize, k: usize, n: usize) {
    let cpu = &Device::Cpu;
    let w = Tensor::from_vec(values(n * k, 1), (n, k), cpu).unwrap();
    let q = QTensor::quantize(&w, dtype).unwrap();
    let dequantized = q.dequantize(cpu).unwrap();
    let mm = QMatMul::from_qtensor(q).unwrap();
    let x = Tensor::from_vec(values(m * k, 2), (m, k), cpu).unwrap();

    let batched: Vec<Vec<f32>> = mm.forward(&x).unwrap().to_vec2().unwrap();
    assert_eq!(batched.len(), m);
    for (row, got) in batched.iter().enumerate() {
        let alone: Vec<Vec<f32>> = mm
            .forward(&x.narrow(0, row, 1).unwrap())
            .unwrap()
            .to_vec2()
            .unwrap();
        assert_eq!(
            got, &alone[0],
            "{dtype:?} {m}x{k}x{n}: row {row} differs batched vs alone"
        );
    }

    // Against f32: the activations are quantized to 8 bits too, so allow a small error
    // relative to the size of the terms.
    let reference: Vec<Vec<f32>> = x
        .matmul(&dequantized.t().unwrap())
        .unwrap()
        .to_vec2()
        .unwrap();
    let scale = (k as f32).sqrt() * 0.25;
    for (row, (got, want)) in batched.iter().zip(&reference).enumerate() {
        for (col, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= 0.02 * scale,
                "{dtype:?} {m}x{k}x{n}: [{row},{col}] = {g}, f32 reference {w}"
            );
        }
    }
}

#[test]
fn batched_rows_equal_single_rows_and_match_f32() {
    for dtype in [GgmlDType::Q8_0, GgmlDType::Q4_1, GgmlDType::Q4_0] {
        // One row (decoding), a few rows (batched decoding), many rows with a column count
        // that is not a multiple of the 16-column tile, and a tiny matrix.
        check(dtype, 1, 576, 1536);
        check(dtype, 8, 576, 192);
        check(dtype, 37, 1536, 200);
        check(dtype, 3, 64, 5);
    }
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

#[test]
fn attention_for_batched_decoding_matches_f64() {
    // Several sequences in one decoding step, each with its own keys and values.
    check_attention(1, 1, 40);
    check_attention(3, 1, 130);
}
