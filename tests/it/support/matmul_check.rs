//! The quantized matmul check shared by the kernel tests: a matmul of several rows must give
//! exactly what each row alone gives, and match an f32 matmul of the dequantized weights.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

/// Deterministic values in [-0.5, 0.5).
pub fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i.wrapping_mul(7919).wrapping_add(seed * 104_729)) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

pub fn check(dtype: GgmlDType, m: usize, k: usize, n: usize) {
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

/// The Q8_0 checks, with every kernel the CPU has (and again with a feature switched off): one
/// row; a few rows (batched decoding: the few-row kernels, in one group of rows or several,
/// with an odd last column, and with rows too long for their scales to fit on the stack); many
/// rows with row and column counts that are not multiples of the kernel's.
pub fn check_q8_0_shapes() {
    for (m, k, n) in [
        (1, 576, 1536),
        (2, 576, 33),
        (3, 1536, 17),
        (5, 576, 64),
        (7, 576, 31),
        (8, 576, 192),
        (8, 4096, 18),
        (9, 576, 35),
        (16, 576, 48),
        (37, 1536, 200),
        (130, 576, 201),
    ] {
        check(GgmlDType::Q8_0, m, k, n);
    }
}
