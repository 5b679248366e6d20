//! exp and SiLU-and-multiply of f32 on the CPU, 8 lanes at a time (AVX2 with FMA). libm's
//! `expf` is scalar: a prompt's attention and SiLU spent 7.6% of its time there. The same
//! arithmetic serves a vector's lanes and a slice's tail, so a value gets the same bits
//! wherever it sits in a slice, and SiLU the same bits in a prompt and in a decoding step.
//! Public for `tests/patched_kernels.rs`.

#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
use std::arch::x86_64::*;

/// Whether the vectorised kernels run (`cpu_prompt`'s attention of prompts and `silu_mul`):
/// yes unless `MISTRALRS_CPU_PROMPT_KERNELS=0`, which keeps the row-at-a-time attention and
/// libm's `expf` (the arithmetic before these kernels, for a before-and-after in one binary).
pub fn prompt_kernels_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("MISTRALRS_CPU_PROMPT_KERNELS").as_deref() != Ok("0"))
}

/// exp of 8 values (Cephes' polynomial, within 2 ulp of `f32::exp` on [−87, 88]): exactly zero
/// below −87 and for −∞, exp(88) above 88.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
#[inline]
pub(crate) unsafe fn exp_ps(x: __m256) -> __m256 {
    let keep = _mm256_cmp_ps::<_CMP_GE_OQ>(x, _mm256_set1_ps(-87.0));
    let x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0)), _mm256_set1_ps(88.0));
    let n = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        x,
        _mm256_set1_ps(std::f32::consts::LOG2_E),
    ));
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
    let mut y = _mm256_set1_ps(1.987_569_1e-4);
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.398_199_9e-3));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.333_452e-3));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.166_579_6e-2));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.666_666_5e-1));
    y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.000_000_1e-1));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(r, r), r);
    y = _mm256_add_ps(y, _mm256_set1_ps(1.0));
    let pow2 = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
        _mm256_cvtps_epi32(n),
        _mm256_set1_epi32(127),
    )));
    _mm256_and_ps(_mm256_mul_ps(y, pow2), keep)
}

/// One value through `exp_ps`, so the tail of a slice gets the same bits as its lanes would.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
#[inline]
pub(crate) unsafe fn exp_scalar(x: f32) -> f32 {
    let mut out = [0f32; 8];
    _mm256_storeu_ps(out.as_mut_ptr(), exp_ps(_mm256_set1_ps(x)));
    out[0]
}

/// `out[i] = xs[i] / (1 + exp(-xs[i])) * ys[i]` (SiLU of `xs` times `ys`).
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
pub fn silu_mul(xs: &[f32], ys: &[f32], out: &mut [f32]) {
    assert!(xs.len() == ys.len() && xs.len() == out.len());
    let n = xs.len();
    let mut i = 0;
    // SAFETY: avx2 and fma are enabled for this build; every access is below `n`.
    unsafe {
        let one = _mm256_set1_ps(1.0);
        let zero = _mm256_setzero_ps();
        while i + 8 <= n {
            let x = _mm256_loadu_ps(xs.as_ptr().add(i));
            let y = _mm256_loadu_ps(ys.as_ptr().add(i));
            let e = exp_ps(_mm256_sub_ps(zero, x));
            let s = _mm256_div_ps(x, _mm256_add_ps(one, e));
            _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm256_mul_ps(s, y));
            i += 8;
        }
        for j in i..n {
            out[j] = xs[j] / (1.0 + exp_scalar(-xs[j])) * ys[j];
        }
    }
}

/// exp of one value, with the arithmetic of the vector lanes (libm where there are none).
pub fn exp(x: f32) -> f32 {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
    {
        // SAFETY: avx2 and fma are enabled for this build.
        unsafe { exp_scalar(x) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")))]
    {
        x.exp()
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma")))]
pub fn silu_mul(xs: &[f32], ys: &[f32], out: &mut [f32]) {
    for ((o, &x), &y) in out.iter_mut().zip(xs).zip(ys) {
        *o = x / (1.0 + (-x).exp()) * y;
    }
}
