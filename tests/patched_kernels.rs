//! The patched candle quantized matmul (see `patches/README.md`): several rows multiplied in
//! one tiled pass must give exactly what multiplying each row alone gives, and both must match
//! a plain f32 matmul of the dequantized weights.

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
