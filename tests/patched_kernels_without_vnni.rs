//! The quantized matmul checks of `patched_kernels.rs` with AVX-VNNI switched off
//! (`CANDLE_AVX_VNNI=0`), so that the AVX2 instructions of the many-row Q8_0 kernel are tested
//! on a CPU that has VNNI too. Its own test binary: the switch is read once per process.

use candle_core::quantized::GgmlDType;

#[path = "kernels/matmul_check.rs"]
mod matmul_check;
use matmul_check::check;

#[test]
fn batched_rows_equal_single_rows_and_match_f32_without_vnni() {
    std::env::set_var("CANDLE_AVX_VNNI", "0");
    for (m, k, n) in [
        (1, 576, 1536),
        (8, 576, 192),
        (37, 1536, 200),
        (130, 576, 201),
    ] {
        check(GgmlDType::Q8_0, m, k, n);
    }
}
