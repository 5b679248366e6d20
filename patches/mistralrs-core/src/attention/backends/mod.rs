pub(super) mod cpu;
// The blocked prompt attention needs AVX2 and FMA; other builds keep the row-at-a-time kernel.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
mod cpu_prompt;
mod flash;
mod naive;
mod sinks;

pub(crate) use flash::flash_attn;
pub(crate) use naive::{maybe_synchronize, naive_sdpa};
pub(crate) use sinks::sinks_attn;
