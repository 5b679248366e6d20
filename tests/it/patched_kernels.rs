//! The patched kernels (see `patches/README.md`). candle's quantized matmul: several rows
//! multiplied in one tiled pass must give exactly what multiplying each row alone gives, and both
//! must match a plain f32 matmul of the dequantized weights. mistral.rs's RMS norm of a decoding
//! step's few rows, computed on the calling thread: it must equal candle-nn's kernel, which does
//! many rows. The attention kernels are in `patched_attention.rs`.

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
