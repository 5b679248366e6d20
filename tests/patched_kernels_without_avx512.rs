//! The quantized matmul checks of `patched_kernels.rs` with AVX-512 switched off
//! (`CANDLE_AVX512=0`), so that the 256-bit AVX-VNNI instructions of the many-row Q8_0 kernel
//! are tested on a CPU that has AVX-512 too. Its own test binary: the switch is read once per
//! process.

#[path = "kernels/matmul_check.rs"]
mod matmul_check;

#[test]
fn batched_rows_equal_single_rows_and_match_f32_without_avx512() {
    std::env::set_var("CANDLE_AVX512", "0");
    matmul_check::check_q8_0_shapes();
}
