//! Benchmark of the quantized matmuls of one forward pass of the default model's 30 layers
//! (q, k, v, o, gate, up, down; Q8_0 weights of made-up values), for a few row counts: 1 row is
//! a decoding step of one sequence, 2 to 16 rows a batched decoding step, 64 rows a piece of a
//! prompt. Prints the best of 7 timings for each.
//!
//! `cargo run --example quantized_matmul -- [ROWS...]` (default 1 2 4 8 16 64).
//! `CANDLE_AVX512=0` and `CANDLE_AVX_VNNI=0` select the narrower kernels, for comparison.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use std::time::Instant;

/// SmolLM2-135M's matrices per layer, as (inputs, outputs).
const LAYER: [(usize, usize); 7] = [
    (576, 576),
    (576, 192),
    (576, 192),
    (576, 576),
    (576, 1536),
    (576, 1536),
    (1536, 576),
];
const LAYERS: usize = 30;

fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i.wrapping_mul(7919).wrapping_add(seed * 104_729)) % 1000) as f32 / 1000.0 - 0.5)
        .collect()
}

fn main() -> candle_core::Result<()> {
    let cpu = &Device::Cpu;
    let mut matmuls = Vec::new();
    for layer in 0..LAYERS {
        for (i, &(k, n)) in LAYER.iter().enumerate() {
            let w = Tensor::from_vec(values(n * k, layer * 10 + i), (n, k), cpu)?;
            matmuls.push((
                k,
                QMatMul::from_qtensor(QTensor::quantize(&w, GgmlDType::Q8_0)?)?,
            ));
        }
    }
    let rows: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|s| s.parse().ok())
        .collect();
    let rows = if rows.is_empty() {
        vec![1, 2, 4, 8, 16, 64]
    } else {
        rows
    };
    for m in rows {
        let inputs = [576, 1536].map(|k| Tensor::from_vec(values(m * k, 3), (m, k), cpu));
        let [x576, x1536] = inputs;
        let (x576, x1536) = (x576?, x1536?);
        let pass = || -> candle_core::Result<()> {
            for (k, mm) in &matmuls {
                std::hint::black_box(mm.forward(if *k == 576 { &x576 } else { &x1536 })?);
            }
            Ok(())
        };
        for _ in 0..3 {
            pass()?;
        }
        let repeats = (40 / m).max(3);
        let mut best = f64::MAX;
        for _ in 0..7 {
            let started = Instant::now();
            for _ in 0..repeats {
                pass()?;
            }
            best = best.min(started.elapsed().as_secs_f64() / repeats as f64);
        }
        println!(
            "{m:3} rows: {:6.2} ms per pass of {LAYERS} layers, {:.3} ms per row",
            best * 1e3,
            best * 1e3 / m as f64
        );
    }
    Ok(())
}
