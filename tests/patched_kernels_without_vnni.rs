//! The quantized matmul checks of `patched_kernels.rs` with AVX-VNNI switched off
//! (`CANDLE_AVX_VNNI=0`), so that the AVX2 instructions of the many-row Q8_0 kernel are tested
//! on a CPU that has VNNI too. Its own test binary: the switch is read once per process.

#[path = "kernels/matmul_check.rs"]
mod matmul_check;

#[test]
fn batched_rows_equal_single_rows_and_match_f32_without_vnni() {
    std::env::set_var("CANDLE_AVX_VNNI", "0");
    matmul_check::check_q8_0_shapes();
}
