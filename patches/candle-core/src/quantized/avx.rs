use super::k_quants::{
    BlockQ2K, BlockQ3K, BlockQ4K, BlockQ4_0, BlockQ5K, BlockQ6K, BlockQ8K, BlockQ8_0, FEW_ROWS,
    QK8_0, QK_K,
};
use byteorder::{ByteOrder, LittleEndian};
use half::f16;

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

/// How far ahead of the weight block being read the Q8_0 kernels ask for the cache line they
/// will read next (`prefetcht0`), in bytes. Decoding reads every weight once per token in long
/// runs of consecutive rows; on the machines measured the hardware prefetcher alone left the
/// loads waiting on the last-level cache (decode about 72 tokens/s with none, about 90 with 2 KiB
/// or 4 KiB ahead; 1 KiB 78, 512 bytes 63).
const PREFETCH_BYTES: usize = 2048;

/// Asks for the cache line `PREFETCH_BYTES` after `block`. A prefetch never faults, so reading
/// ahead past the end of the weights is harmless.
#[inline(always)]
unsafe fn prefetch_ahead(block: *const BlockQ8_0) {
    _mm_prefetch::<_MM_HINT_T0>((block as *const i8).wrapping_add(PREFETCH_BYTES));
}

#[inline(always)]
pub(crate) unsafe fn sum_i16_pairs_float(x: __m256i) -> __m256 {
    let ones = _mm256_set1_epi16(1);
    let summed_pairs = _mm256_madd_epi16(ones, x);
    _mm256_cvtepi32_ps(summed_pairs)
}

#[inline(always)]
pub(crate) unsafe fn mul_sum_us8_pairs_float(ax: __m256i, sy: __m256i) -> __m256 {
    let dot = _mm256_maddubs_epi16(ax, sy);
    sum_i16_pairs_float(dot)
}

#[inline(always)]
pub(crate) unsafe fn hsum_float_8(x: __m256) -> f32 {
    let res = _mm256_extractf128_ps(x, 1);
    let res = _mm_add_ps(res, _mm256_castps256_ps128(x));
    let res = _mm_add_ps(res, _mm_movehl_ps(res, res));
    let res = _mm_add_ss(res, _mm_movehdup_ps(res));
    _mm_cvtss_f32(res)
}

#[inline(always)]
pub(crate) unsafe fn bytes_from_nibbles_32(rsi: *const u8) -> __m256i {
    let tmp = _mm_loadu_si128(rsi as *const __m128i);
    let bytes = _mm256_insertf128_si256::<1>(_mm256_castsi128_si256(tmp), _mm_srli_epi16(tmp, 4));
    let low_mask = _mm256_set1_epi8(0xF);
    _mm256_and_si256(low_mask, bytes)
}

#[inline(always)]
pub(crate) unsafe fn mul_sum_i8_pairs_float(x: __m256i, y: __m256i) -> __m256 {
    let ax = _mm256_sign_epi8(x, x);
    let sy = _mm256_sign_epi8(y, x);
    mul_sum_us8_pairs_float(ax, sy)
}

#[inline(always)]
pub(crate) fn vec_dot_q4_0_q8_0(n: usize, xs: &[BlockQ4_0], ys: &[BlockQ8_0]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK8_0),
        "vec_dot_q4_0_q8_0: {n} is not divisible by {QK8_0}"
    );
    unsafe {
        let mut acc = _mm256_setzero_ps();
        for (x, y) in xs.iter().zip(ys.iter()) {
            let d = _mm256_set1_ps(f16::to_f32(x.d) * f16::to_f32(y.d));
            let bx = bytes_from_nibbles_32(x.qs.as_ptr());
            let off = _mm256_set1_epi8(8);
            let bx = _mm256_sub_epi8(bx, off);
            let by = _mm256_loadu_si256(y.qs.as_ptr() as *const __m256i);
            let q = mul_sum_i8_pairs_float(bx, by);
            acc = _mm256_fmadd_ps(d, q, acc);
        }
        hsum_float_8(acc)
    }
}

#[inline(always)]
pub(crate) fn vec_dot_q8_0_q8_0(n: usize, xs: &[BlockQ8_0], ys: &[BlockQ8_0]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK8_0),
        "vec_dot_q8_0_q8_0: {n} is not divisible by {QK8_0}"
    );
    unsafe {
        let mut acc = _mm256_setzero_ps();
        for (x, y) in xs.iter().zip(ys.iter()) {
            prefetch_ahead(x);
            let d = _mm256_set1_ps(f16::to_f32(x.d) * f16::to_f32(y.d));
            let bx = _mm256_loadu_si256(x.qs.as_ptr() as *const __m256i);
            let by = _mm256_loadu_si256(y.qs.as_ptr() as *const __m256i);
            let q = mul_sum_i8_pairs_float(bx, by);
            acc = _mm256_fmadd_ps(d, q, acc);
        }
        hsum_float_8(acc)
    }
}

#[inline(always)]
unsafe fn get_scale_shuffle(i: usize) -> __m128i {
    const K_SHUFFLE: [u8; 128] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3,
        3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7,
        7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10,
        11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13,
        13, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15,
    ];
    _mm_loadu_si128((K_SHUFFLE.as_ptr() as *const __m128i).add(i))
}

#[inline(always)]
unsafe fn get_scale_shuffle_k4(i: usize) -> __m256i {
    const K_SHUFFLE: [u8; 256] = [
        0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
        0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
        2, 3, 2, 3, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5,
        4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7,
        6, 7, 6, 7, 6, 7, 6, 7, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9,
        8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10,
        11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 12, 13, 12, 13, 12, 13,
        12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12,
        13, 12, 13, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15,
        14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15,
    ];
    _mm256_loadu_si256((K_SHUFFLE.as_ptr() as *const __m256i).add(i))
}

#[inline(always)]
unsafe fn get_scale_shuffle_q3k(i: usize) -> __m256i {
    const K_SHUFFLE: [u8; 128] = [
        0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
        2, 3, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7,
        6, 7, 6, 7, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11,
        10, 11, 10, 11, 10, 11, 10, 11, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12,
        13, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15,
    ];
    _mm256_loadu_si256((K_SHUFFLE.as_ptr() as *const __m256i).add(i))
}

#[inline(always)]
pub(crate) fn vec_dot_q6k_q8k(n: usize, xs: &[BlockQ6K], ys: &[BlockQ8K]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK_K),
        "vec_dot_q6k_8k: {n} is not divisible by {QK_K}"
    );

    unsafe {
        let m4 = _mm256_set1_epi8(0xF);
        let m2 = _mm256_set1_epi8(3);
        let m32s = _mm256_set1_epi8(32);
        let mut acc = _mm256_setzero_ps();
        for (x, y) in xs.iter().zip(ys.iter()) {
            let d = y.d * x.d.to_f32();
            let mut q4 = x.ql.as_ptr();
            let mut qh = x.qh.as_ptr();
            let mut q8 = y.qs.as_ptr();

            let scales = _mm_loadu_si128(x.scales.as_ptr() as *const __m128i);
            let mut sumi = _mm256_setzero_si256();

            for j in 0..QK_K / 128 {
                let is = j * 4;
                let scale_0 = _mm_shuffle_epi8(scales, get_scale_shuffle(is));
                let scale_1 = _mm_shuffle_epi8(scales, get_scale_shuffle(is + 1));
                let scale_2 = _mm_shuffle_epi8(scales, get_scale_shuffle(is + 2));
                let scale_3 = _mm_shuffle_epi8(scales, get_scale_shuffle(is + 3));

                let q4bits1 = _mm256_loadu_si256(q4 as *const __m256i);
                q4 = q4.add(32);
                let q4bits2 = _mm256_loadu_si256(q4 as *const __m256i);
                q4 = q4.add(32);
                let q4bits_h = _mm256_loadu_si256(qh as *const __m256i);
                qh = qh.add(32);

                let q4h_0 = _mm256_slli_epi16(_mm256_and_si256(q4bits_h, m2), 4);
                let q4h_1 =
                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(q4bits_h, 2), m2), 4);
                let q4h_2 =
                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(q4bits_h, 4), m2), 4);
                let q4h_3 =
                    _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(q4bits_h, 6), m2), 4);

                let q4_0 = _mm256_or_si256(_mm256_and_si256(q4bits1, m4), q4h_0);
                let q4_1 = _mm256_or_si256(_mm256_and_si256(q4bits2, m4), q4h_1);
                let q4_2 =
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4bits1, 4), m4), q4h_2);
                let q4_3 =
                    _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4bits2, 4), m4), q4h_3);

                let q8_0 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_1 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_2 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_3 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);

                let q8s_0 = _mm256_maddubs_epi16(m32s, q8_0);
                let q8s_1 = _mm256_maddubs_epi16(m32s, q8_1);
                let q8s_2 = _mm256_maddubs_epi16(m32s, q8_2);
                let q8s_3 = _mm256_maddubs_epi16(m32s, q8_3);

                let p16_0 = _mm256_maddubs_epi16(q4_0, q8_0);
                let p16_1 = _mm256_maddubs_epi16(q4_1, q8_1);
                let p16_2 = _mm256_maddubs_epi16(q4_2, q8_2);
                let p16_3 = _mm256_maddubs_epi16(q4_3, q8_3);

                let p16_0 = _mm256_sub_epi16(p16_0, q8s_0);
                let p16_1 = _mm256_sub_epi16(p16_1, q8s_1);
                let p16_2 = _mm256_sub_epi16(p16_2, q8s_2);
                let p16_3 = _mm256_sub_epi16(p16_3, q8s_3);

                let p16_0 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scale_0), p16_0);
                let p16_1 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scale_1), p16_1);
                let p16_2 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scale_2), p16_2);
                let p16_3 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scale_3), p16_3);

                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_0, p16_1));
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_2, p16_3));
            }
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(&d), _mm256_cvtepi32_ps(sumi), acc);
        }
        hsum_float_8(acc)
    }
}

#[inline(always)]
unsafe fn mm256_set_m128i(a: __m128i, b: __m128i) -> __m256i {
    _mm256_insertf128_si256(_mm256_castsi128_si256(b), a, 1)
}

#[inline(always)]
pub(crate) fn vec_dot_q2k_q8k(n: usize, xs: &[BlockQ2K], ys: &[BlockQ8K]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK_K),
        "vec_dot_q2k_q8k: {n} is not divisible by {QK_K}"
    );

    unsafe {
        let m3 = _mm256_set1_epi8(3);
        let m4 = _mm_set1_epi8(0xF);

        let mut acc = _mm256_setzero_ps();

        for (x, y) in xs.iter().zip(ys.iter()) {
            let d = y.d * x.d.to_f32();
            let dmin = -y.d * x.dmin.to_f32();

            let mut q2 = x.qs.as_ptr();
            let mut q8 = y.qs.as_ptr();

            let mins_and_scales = _mm_loadu_si128(x.scales.as_ptr() as *const __m128i);
            let scales8 = _mm_and_si128(mins_and_scales, m4);
            let mins8 = _mm_and_si128(_mm_srli_epi16(mins_and_scales, 4), m4);
            let mins = _mm256_cvtepi8_epi16(mins8);
            let prod =
                _mm256_madd_epi16(mins, _mm256_loadu_si256(y.bsums.as_ptr() as *const __m256i));

            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(&dmin), _mm256_cvtepi32_ps(prod), acc);

            let all_scales = _mm256_cvtepi8_epi16(scales8);
            let l_scales = _mm256_extracti128_si256(all_scales, 0);
            let h_scales = _mm256_extracti128_si256(all_scales, 1);
            let scales = [
                mm256_set_m128i(l_scales, l_scales),
                mm256_set_m128i(h_scales, h_scales),
            ];

            let mut sumi = _mm256_setzero_si256();

            for scale in scales {
                let q2bits = _mm256_loadu_si256(q2 as *const __m256i);
                q2 = q2.add(32);

                let q8_0 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_1 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_2 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_3 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);

                let q2_0 = _mm256_and_si256(q2bits, m3);
                let q2_1 = _mm256_and_si256(_mm256_srli_epi16(q2bits, 2), m3);
                let q2_2 = _mm256_and_si256(_mm256_srli_epi16(q2bits, 4), m3);
                let q2_3 = _mm256_and_si256(_mm256_srli_epi16(q2bits, 6), m3);

                let p0 = _mm256_maddubs_epi16(q2_0, q8_0);
                let p1 = _mm256_maddubs_epi16(q2_1, q8_1);
                let p2 = _mm256_maddubs_epi16(q2_2, q8_2);
                let p3 = _mm256_maddubs_epi16(q2_3, q8_3);

                let p0 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(scale, get_scale_shuffle_q3k(0)), p0);
                let p1 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(scale, get_scale_shuffle_q3k(1)), p1);
                let p2 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(scale, get_scale_shuffle_q3k(2)), p2);
                let p3 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(scale, get_scale_shuffle_q3k(3)), p3);

                let p0 = _mm256_add_epi32(p0, p1);
                let p2 = _mm256_add_epi32(p2, p3);

                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p0, p2));
            }
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(&d), _mm256_cvtepi32_ps(sumi), acc);
        }

        hsum_float_8(acc)
    }
}

#[inline(always)]
pub(crate) fn vec_dot_q3k_q8k(n: usize, xs: &[BlockQ3K], ys: &[BlockQ8K]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK_K),
        "vec_dot_q3k_q8k: {n} is not divisible by {QK_K}"
    );

    const KMASK1: u32 = 0x03030303;
    const KMASK2: u32 = 0x0f0f0f0f;

    let mut aux = [0u32; 3];

    unsafe {
        let m3 = _mm256_set1_epi8(3);
        let mone = _mm256_set1_epi8(1);
        let m32 = _mm_set1_epi8(32);

        let mut acc = _mm256_setzero_ps();
        for (x, y) in xs.iter().zip(ys.iter()) {
            let d = y.d * x.d.to_f32();

            let mut q3 = x.qs.as_ptr();
            let mut q8 = y.qs.as_ptr();

            LittleEndian::read_u32_into(&x.scales, &mut aux);
            let scales128 = _mm_set_epi32(
                (((aux[1] >> 4) & KMASK2) | (((aux[2] >> 6) & KMASK1) << 4)) as i32,
                (((aux[0] >> 4) & KMASK2) | (((aux[2] >> 4) & KMASK1) << 4)) as i32,
                ((aux[1] & KMASK2) | (((aux[2] >> 2) & KMASK1) << 4)) as i32,
                ((aux[0] & KMASK2) | (((aux[2]) & KMASK1) << 4)) as i32,
            );
            let scales128 = _mm_sub_epi8(scales128, m32);
            let all_scales = _mm256_cvtepi8_epi16(scales128);
            let l_scales = _mm256_extracti128_si256(all_scales, 0);
            let h_scales = _mm256_extracti128_si256(all_scales, 1);
            let scales = [
                mm256_set_m128i(l_scales, l_scales),
                mm256_set_m128i(h_scales, h_scales),
            ];

            // high bit
            let hbits = _mm256_loadu_si256(x.hmask.as_ptr() as *const __m256i);

            let mut sumi = _mm256_setzero_si256();

            for (j, scale) in scales.iter().enumerate() {
                // load low 2 bits
                let q3bits = _mm256_loadu_si256(q3 as *const __m256i);
                q3 = q3.add(32);

                // Prepare low and high bits
                // We hardcode the shifts here to avoid loading them into a separate register
                let q3l_0 = _mm256_and_si256(q3bits, m3);
                let q3h_0 = if j == 0 {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 0)), 0)
                } else {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 4)), 4)
                };
                let q3h_0 = _mm256_slli_epi16(q3h_0, 2);

                let q3l_1 = _mm256_and_si256(_mm256_srli_epi16(q3bits, 2), m3);
                let q3h_1 = if j == 0 {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 1)), 1)
                } else {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 5)), 5)
                };
                let q3h_1 = _mm256_slli_epi16(q3h_1, 2);

                let q3l_2 = _mm256_and_si256(_mm256_srli_epi16(q3bits, 4), m3);
                let q3h_2 = if j == 0 {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 2)), 2)
                } else {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 6)), 6)
                };
                let q3h_2 = _mm256_slli_epi16(q3h_2, 2);

                let q3l_3 = _mm256_and_si256(_mm256_srli_epi16(q3bits, 6), m3);
                let q3h_3 = if j == 0 {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 3)), 3)
                } else {
                    _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(mone, 7)), 7)
                };
                let q3h_3 = _mm256_slli_epi16(q3h_3, 2);

                // load Q8 quants
                let q8_0 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_1 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_2 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_3 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);

                // Dot product: we multiply the 2 low bits and 1 high bit part separately, so we
                // can use _mm256_maddubs_epi16, and then subtract. The high bit part has the 2
                // already subtracted (and so, it is zero if the high bit was not set, and 2 if the
                // high bit was set)
                let q8s_0 = _mm256_maddubs_epi16(q3h_0, q8_0);
                let q8s_1 = _mm256_maddubs_epi16(q3h_1, q8_1);
                let q8s_2 = _mm256_maddubs_epi16(q3h_2, q8_2);
                let q8s_3 = _mm256_maddubs_epi16(q3h_3, q8_3);

                let p16_0 = _mm256_maddubs_epi16(q3l_0, q8_0);
                let p16_1 = _mm256_maddubs_epi16(q3l_1, q8_1);
                let p16_2 = _mm256_maddubs_epi16(q3l_2, q8_2);
                let p16_3 = _mm256_maddubs_epi16(q3l_3, q8_3);

                let p16_0 = _mm256_sub_epi16(p16_0, q8s_0);
                let p16_1 = _mm256_sub_epi16(p16_1, q8s_1);
                let p16_2 = _mm256_sub_epi16(p16_2, q8s_2);
                let p16_3 = _mm256_sub_epi16(p16_3, q8s_3);

                // multiply with scales
                let p16_0 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(*scale, get_scale_shuffle_q3k(0)), p16_0);
                let p16_1 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(*scale, get_scale_shuffle_q3k(1)), p16_1);
                let p16_2 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(*scale, get_scale_shuffle_q3k(2)), p16_2);
                let p16_3 =
                    _mm256_madd_epi16(_mm256_shuffle_epi8(*scale, get_scale_shuffle_q3k(3)), p16_3);

                // accumulate
                let p16_0 = _mm256_add_epi32(p16_0, p16_1);
                let p16_2 = _mm256_add_epi32(p16_2, p16_3);
                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_0, p16_2));
            }

            // multiply with block scale and accumulate
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(&d), _mm256_cvtepi32_ps(sumi), acc);
        }
        hsum_float_8(acc)
    }
}

#[inline(always)]
pub(crate) fn vec_dot_q4k_q8k(n: usize, xs: &[BlockQ4K], ys: &[BlockQ8K]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK_K),
        "vec_dot_q4k_q8k: {n} is not divisible by {QK_K}"
    );
    let mut utmp = [0u32; 4];
    const KMASK1: u32 = 0x3f3f3f3f;
    const KMASK2: u32 = 0x0f0f0f0f;
    const KMASK3: u32 = 0x03030303;

    unsafe {
        let m4 = _mm256_set1_epi8(0xF);

        let mut acc = _mm256_setzero_ps();
        let mut acc_m = _mm_setzero_ps();

        for (x, y) in xs.iter().zip(ys.iter()) {
            let d = y.d * x.d.to_f32();
            let dmin = -y.d * x.dmin.to_f32();

            LittleEndian::read_u32_into(&x.scales, &mut utmp[0..3]);

            utmp[3] = ((utmp[2] >> 4) & KMASK2) | (((utmp[1] >> 6) & KMASK3) << 4);
            let uaux = utmp[1] & KMASK1;
            utmp[1] = (utmp[2] & KMASK2) | (((utmp[0] >> 6) & KMASK3) << 4);
            utmp[2] = uaux;
            utmp[0] &= KMASK1;

            let mut q4 = x.qs.as_ptr();
            let mut q8 = y.qs.as_ptr();

            let mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32(
                utmp[3] as i32,
                utmp[2] as i32,
                utmp[1] as i32,
                utmp[0] as i32,
            ));

            let q8sums = _mm256_loadu_si256(y.bsums.as_ptr() as *const __m256i);
            let q8s = _mm_hadd_epi16(
                _mm256_extracti128_si256(q8sums, 0),
                _mm256_extracti128_si256(q8sums, 1),
            );
            let prod = _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), q8s);
            acc_m = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), acc_m);

            let sc128 = _mm256_extracti128_si256(mins_and_scales, 0);
            let scales = mm256_set_m128i(sc128, sc128);

            let mut sumi = _mm256_setzero_si256();

            for j in 0..QK_K / 64 {
                let scale_l = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j));
                let scale_h = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j + 1));

                let q4bits = _mm256_loadu_si256(q4 as *const __m256i);
                q4 = q4.add(32);
                let q4l = _mm256_and_si256(q4bits, m4);
                let q4h = _mm256_and_si256(_mm256_srli_epi16(q4bits, 4), m4);

                let q8l = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let p16l = _mm256_maddubs_epi16(q4l, q8l);
                let p16l = _mm256_madd_epi16(scale_l, p16l);
                sumi = _mm256_add_epi32(sumi, p16l);

                let q8h = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let p16h = _mm256_maddubs_epi16(q4h, q8h);
                let p16h = _mm256_madd_epi16(scale_h, p16h);
                sumi = _mm256_add_epi32(sumi, p16h);
            }

            let vd = _mm256_set1_ps(d);
            acc = _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(sumi), acc);
        }

        let acc_m = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
        let acc_m = _mm_add_ss(acc_m, _mm_movehdup_ps(acc_m));

        hsum_float_8(acc) + _mm_cvtss_f32(acc_m)
    }
}

#[inline(always)]
pub(crate) fn vec_dot_q5k_q8k(n: usize, xs: &[BlockQ5K], ys: &[BlockQ8K]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK_K),
        "vec_dot_q5k_q8k: {n} is not divisible by {QK_K}"
    );
    let mut utmp = [0u32; 4];
    const KMASK1: u32 = 0x3f3f3f3f;
    const KMASK2: u32 = 0x0f0f0f0f;
    const KMASK3: u32 = 0x03030303;

    unsafe {
        let m4 = _mm256_set1_epi8(0xF);
        let mzero = _mm_setzero_si128();
        let mone = _mm256_set1_epi8(1);

        let mut acc = _mm256_setzero_ps();
        let mut summs = 0.0;

        for (x, y) in xs.iter().zip(ys.iter()) {
            let d = y.d * x.d.to_f32();
            let dmin = -y.d * x.dmin.to_f32();

            LittleEndian::read_u32_into(&x.scales, &mut utmp[0..3]);

            utmp[3] = ((utmp[2] >> 4) & KMASK2) | (((utmp[1] >> 6) & KMASK3) << 4);
            let uaux = utmp[1] & KMASK1;
            utmp[1] = (utmp[2] & KMASK2) | (((utmp[0] >> 6) & KMASK3) << 4);
            utmp[2] = uaux;
            utmp[0] &= KMASK1;

            let mut q5 = x.qs.as_ptr();
            let mut q8 = y.qs.as_ptr();

            let mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32(
                utmp[3] as i32,
                utmp[2] as i32,
                utmp[1] as i32,
                utmp[0] as i32,
            ));

            let q8sums = _mm256_loadu_si256(y.bsums.as_ptr() as *const __m256i);
            let q8s = _mm_hadd_epi16(
                _mm256_extracti128_si256(q8sums, 0),
                _mm256_extracti128_si256(q8sums, 1),
            );
            let prod = _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), q8s);
            let hsum = _mm_hadd_epi32(_mm_hadd_epi32(prod, mzero), mzero);
            summs += dmin * _mm_extract_epi32(hsum, 0) as f32;

            let sc128 = _mm256_extracti128_si256(mins_and_scales, 0);
            let scales = mm256_set_m128i(sc128, sc128);

            let hbits = _mm256_loadu_si256(x.qh.as_ptr() as *const __m256i);
            let mut hmask = mone;

            let mut sumi = _mm256_setzero_si256();

            for j in 0..QK_K / 64 {
                let scale_0 = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j));
                let scale_1 = _mm256_shuffle_epi8(scales, get_scale_shuffle_k4(2 * j + 1));

                let q5bits = _mm256_loadu_si256(q5 as *const __m256i);
                q5 = q5.add(32);

                //Similar to q3k we hardcode the shifts here to avoid loading them into a separate register
                let q5l_0 = _mm256_and_si256(q5bits, m4);
                let q5l_0_shift_input = _mm256_and_si256(hbits, hmask);
                let q5l_0_right_shift = match j {
                    0 => _mm256_srli_epi16(q5l_0_shift_input, 0),
                    1 => _mm256_srli_epi16(q5l_0_shift_input, 2),
                    2 => _mm256_srli_epi16(q5l_0_shift_input, 4),
                    3 => _mm256_srli_epi16(q5l_0_shift_input, 6),
                    _ => unreachable!(),
                };
                let q5h_0 = _mm256_slli_epi16(q5l_0_right_shift, 4);
                let q5_0 = _mm256_add_epi8(q5l_0, q5h_0);
                hmask = _mm256_slli_epi16(hmask, 1);

                let q5l_1 = _mm256_and_si256(_mm256_srli_epi16(q5bits, 4), m4);
                let q5l_1_shift_input = _mm256_and_si256(hbits, hmask);
                let q5l_1_right_shift = match j {
                    0 => _mm256_srli_epi16(q5l_1_shift_input, 1),
                    1 => _mm256_srli_epi16(q5l_1_shift_input, 3),
                    2 => _mm256_srli_epi16(q5l_1_shift_input, 5),
                    3 => _mm256_srli_epi16(q5l_1_shift_input, 7),
                    _ => unreachable!(),
                };

                let q5h_1 = _mm256_slli_epi16(q5l_1_right_shift, 4);
                let q5_1 = _mm256_add_epi8(q5l_1, q5h_1);
                hmask = _mm256_slli_epi16(hmask, 1);

                let q8_0 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);
                let q8_1 = _mm256_loadu_si256(q8 as *const __m256i);
                q8 = q8.add(32);

                let p16_0 = _mm256_maddubs_epi16(q5_0, q8_0);
                let p16_1 = _mm256_maddubs_epi16(q5_1, q8_1);

                let p16_0 = _mm256_madd_epi16(scale_0, p16_0);
                let p16_1 = _mm256_madd_epi16(scale_1, p16_1);

                sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16_0, p16_1));
            }
            let vd = _mm256_set1_ps(d);
            acc = _mm256_fmadd_ps(vd, _mm256_cvtepi32_ps(sumi), acc);
        }
        hsum_float_8(acc) + summs
    }
}

#[inline(always)]
pub(crate) fn vec_dot_q8k_q8k(n: usize, xs: &[BlockQ8K], ys: &[BlockQ8K]) -> f32 {
    debug_assert!(
        n.is_multiple_of(QK_K),
        "vec_dot_q8k_8k: {n} is not divisible by {QK_K}"
    );
    unsafe {
        let mut acc = _mm256_setzero_ps();
        for (xs, ys) in xs.iter().zip(ys.iter()) {
            let mut sumi = _mm256_setzero_si256();
            let x_qs = xs.qs.as_ptr();
            let y_qs = ys.qs.as_ptr();
            for j in (0..QK_K).step_by(32) {
                let xs = _mm256_loadu_si256(x_qs.add(j) as *const __m256i);
                let ys = _mm256_loadu_si256(y_qs.add(j) as *const __m256i);

                let xs0 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(xs, 0));
                let ys0 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(ys, 0));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(xs0, ys0));

                let xs1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(xs, 1));
                let ys1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(ys, 1));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(xs1, ys1));
            }
            let d = _mm256_set1_ps(xs.d * ys.d);
            acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi), acc);
        }
        hsum_float_8(acc)
    }
}

/// The many-row Q8_0 kernels, widest first.
#[derive(Clone, Copy)]
enum Kernel {
    Avx2,
    AvxVnni,
    Avx512,
}

/// One tile of a Q8_0 matmul of many rows (prompt processing): the weight columns `rhs` (each
/// `k_blocks` blocks) times every row of `lhs`, written column-major, `dst_t[c * m + r]`.
///
/// Each output is computed exactly as `vec_dot_q8_0_q8_0` computes it (same integer dot
/// products, same scale products, same order of additions), so results are bit-identical to
/// one row at a time. What changes is the order of the work: 4 rows times 2 columns at once (8
/// rows with AVX-512), so that each loaded weight block and its absolute value serve 4 rows,
/// each activation block serves 2 columns, and 8 independent accumulators keep the units busy.
/// The scales are converted from f16 once per tile and row group instead of once per block
/// pair. With AVX-VNNI (checked at run time) one `vpdpbusd` replaces `vpmaddubsw` +
/// `vpmaddwd`, with the same integer result; with AVX-512 the two columns share one register
/// (`matmul_tile_q8_0_avx512`). Up to `FEW_ROWS` rows (batched decoding) go through
/// `matmul_few_rows_q8_0` instead.
pub(crate) fn matmul_tile_q8_0(
    k_blocks: usize,
    rhs: &[BlockQ8_0],
    lhs: &[BlockQ8_0],
    m: usize,
    dst_t: &mut [f32],
) {
    static KERNEL: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
    // The widest the CPU has. `CANDLE_AVX_VNNI=0` keeps the AVX2 instructions, and
    // `CANDLE_AVX512=0` the 256-bit ones, for comparison and for testing them on a CPU that
    // has more.
    let kernel = *KERNEL.get_or_init(|| {
        let off = |var: &str| std::env::var_os(var).is_some_and(|v| v == "0");
        if off("CANDLE_AVX_VNNI") {
            Kernel::Avx2
        } else if std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512vnni")
            && !off("CANDLE_AVX512")
        {
            Kernel::Avx512
        } else if std::is_x86_feature_detected!("avxvnni") {
            Kernel::AvxVnni
        } else {
            Kernel::Avx2
        }
    });
    unsafe {
        match kernel {
            _ if m <= FEW_ROWS => matmul_few_rows_q8_0(kernel, k_blocks, rhs, lhs, m, dst_t),
            Kernel::Avx512 => matmul_tile_q8_0_avx512(k_blocks, rhs, lhs, m, dst_t),
            Kernel::AvxVnni => matmul_tile_q8_0_vnni(k_blocks, rhs, lhs, m, dst_t),
            Kernel::Avx2 => matmul_tile_q8_0_body::<false>(k_blocks, rhs, lhs, m, dst_t),
        }
    }
}

#[target_feature(enable = "avx2,fma,avxvnni")]
unsafe fn matmul_tile_q8_0_vnni(
    k_blocks: usize,
    rhs: &[BlockQ8_0],
    lhs: &[BlockQ8_0],
    m: usize,
    dst_t: &mut [f32],
) {
    matmul_tile_q8_0_body::<true>(k_blocks, rhs, lhs, m, dst_t)
}

/// The frame of the many-row Q8_0 kernels: reads the scales (and the tile, ahead), then hands
/// `pair` each group of 4 rows with each pair of columns, as the two columns' blocks and
/// scales and the 4 rows' blocks and scales; `pair` returns the 4 x 2 dot products. A last odd
/// column and the last rows (fewer than 4) go through `vec_dot_q8_0_q8_0`.
#[inline(always)]
unsafe fn matmul_tile_q8_0_frame(
    kb: usize,
    rhs: &[BlockQ8_0],
    lhs: &[BlockQ8_0],
    m: usize,
    dst_t: &mut [f32],
    pair: impl Fn([&[BlockQ8_0]; 2], [&[f32]; 2], &[BlockQ8_0], &[f32]) -> [[f32; 2]; 4],
) {
    const ROWS: usize = 4;
    let cols = rhs.len() / kb;
    let n = kb * QK8_0;
    // This first pass touches every cache line of the tile; reading ahead from it brings in
    // the rest of the tile and the start of the next one.
    let dw: Vec<f32> = rhs
        .iter()
        .map(|b| {
            prefetch_ahead(b);
            f16::to_f32(b.d)
        })
        .collect();
    let mut da = vec![0f32; ROWS * kb];
    let full_rows = m / ROWS * ROWS;
    let full_cols = cols / 2 * 2;
    for r0 in (0..full_rows).step_by(ROWS) {
        let rows = &lhs[r0 * kb..(r0 + ROWS) * kb];
        for (d, b) in da.iter_mut().zip(rows) {
            *d = f16::to_f32(b.d);
        }
        for c0 in (0..full_cols).step_by(2) {
            let col = |c: usize| &rhs[c * kb..(c + 1) * kb];
            let scales = |c: usize| &dw[c * kb..(c + 1) * kb];
            let out = pair(
                [col(c0), col(c0 + 1)],
                [scales(c0), scales(c0 + 1)],
                rows,
                &da,
            );
            for (r, out_r) in out.iter().enumerate() {
                for (c, &v) in out_r.iter().enumerate() {
                    dst_t[(c0 + c) * m + r0 + r] = v;
                }
            }
        }
        // A last odd column.
        for c in full_cols..cols {
            for r in r0..r0 + ROWS {
                let rhs_col = &rhs[c * kb..(c + 1) * kb];
                dst_t[c * m + r] = vec_dot_q8_0_q8_0(n, rhs_col, &lhs[r * kb..(r + 1) * kb]);
            }
        }
    }
    // The last rows (fewer than 4).
    for r in full_rows..m {
        for c in 0..cols {
            let rhs_col = &rhs[c * kb..(c + 1) * kb];
            dst_t[c * m + r] = vec_dot_q8_0_q8_0(n, rhs_col, &lhs[r * kb..(r + 1) * kb]);
        }
    }
}

#[inline(always)]
fn load_q8_0(b: &BlockQ8_0) -> __m256i {
    unsafe { _mm256_loadu_si256(b.qs.as_ptr() as *const __m256i) }
}

/// The integer dot product of |w| and a with w's signs, as 8 floats (as
/// `mul_sum_i8_pairs_float` gives it); with AVX-VNNI one `vpdpbusd`.
#[inline(always)]
unsafe fn dot_i8<const VNNI: bool>(aw: __m256i, sa: __m256i) -> __m256 {
    if VNNI {
        _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), aw, sa))
    } else {
        mul_sum_us8_pairs_float(aw, sa)
    }
}

#[inline(always)]
unsafe fn matmul_tile_q8_0_body<const VNNI: bool>(
    kb: usize,
    rhs: &[BlockQ8_0],
    lhs: &[BlockQ8_0],
    m: usize,
    dst_t: &mut [f32],
) {
    matmul_tile_q8_0_frame(kb, rhs, lhs, m, dst_t, |w_cols, dw, rows, da| {
        let mut acc = [[_mm256_setzero_ps(); 2]; 4];
        for blk in 0..kb {
            let w = [&w_cols[0][blk], &w_cols[1][blk]];
            pair_block_256::<4, VNNI>(w, [dw[0][blk], dw[1][blk]], rows, da, kb, blk, &mut acc);
        }
        acc.map(|acc_r| acc_r.map(|v| hsum_float_8(v)))
    })
}

/// Block `blk` of two weight columns (`w`, scales `dw`) times block `blk` of each of `R` rows
/// (`rows`, `kb` blocks each, scales `da`), added into the rows' accumulators of the two
/// columns: the arithmetic the 256-bit Q8_0 kernels share with `vec_dot_q8_0_q8_0`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn pair_block_256<const R: usize, const VNNI: bool>(
    w: [&BlockQ8_0; 2],
    dw: [f32; 2],
    rows: &[BlockQ8_0],
    da: &[f32],
    kb: usize,
    blk: usize,
    acc: &mut [[__m256; 2]; R],
) {
    let w = [load_q8_0(w[0]), load_q8_0(w[1])];
    let aw = [_mm256_sign_epi8(w[0], w[0]), _mm256_sign_epi8(w[1], w[1])];
    let dw_b = [_mm256_set1_ps(dw[0]), _mm256_set1_ps(dw[1])];
    for (r, acc_r) in acc.iter_mut().enumerate() {
        let a = load_q8_0(&rows[r * kb + blk]);
        let da_b = _mm256_set1_ps(da[r * kb + blk]);
        for c in 0..2 {
            let q = dot_i8::<VNNI>(aw[c], _mm256_sign_epi8(a, w[c]));
            let d = _mm256_mul_ps(dw_b[c], da_b);
            acc_r[c] = _mm256_fmadd_ps(d, q, acc_r[c]);
        }
    }
}

/// `pair_block_256` with AVX-512: the two columns in the two halves of one register. Each lane
/// goes through the same operations.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn pair_block_avx512<const R: usize>(
    w: [&BlockQ8_0; 2],
    dw: [f32; 2],
    rows: &[BlockQ8_0],
    da: &[f32],
    kb: usize,
    blk: usize,
    acc: &mut [__m512; R],
) {
    let halves = |lo: __m256, hi: __m256| {
        _mm512_castpd_ps(_mm512_insertf64x4::<1>(
            _mm512_castps_pd(_mm512_castps256_ps512(lo)),
            _mm256_castps_pd(hi),
        ))
    };
    let w = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(load_q8_0(w[0])), load_q8_0(w[1]));
    // |w| (as `_mm256_sign_epi8(w, w)`: -128 stays 0x80, read as 128) and the lanes where w is
    // negative. Where w is 0, |w| is 0 and so is the product, as with `_mm256_sign_epi8`'s zero.
    let aw = _mm512_abs_epi8(w);
    let negative = _mm512_movepi8_mask(w);
    let dw_b = halves(_mm256_set1_ps(dw[0]), _mm256_set1_ps(dw[1]));
    for (r, acc_r) in acc.iter_mut().enumerate() {
        let a = _mm512_broadcast_i64x4(load_q8_0(&rows[r * kb + blk]));
        let sa = _mm512_mask_sub_epi8(a, negative, _mm512_setzero_si512(), a);
        let q = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(_mm512_setzero_si512(), aw, sa));
        let d = _mm512_mul_ps(dw_b, _mm512_set1_ps(da[r * kb + blk]));
        *acc_r = _mm512_fmadd_ps(d, q, *acc_r);
    }
}

/// The 8-lane sums of each half of an AVX-512 accumulator: the two columns' results.
#[inline(always)]
unsafe fn hsum_halves(acc: __m512) -> [f32; 2] {
    let lo = _mm512_castps512_ps256(acc);
    let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(acc)));
    [hsum_float_8(lo), hsum_float_8(hi)]
}

/// `matmul_tile_q8_0` with AVX-512: 8 rows times 2 columns, the two columns sharing one 512-bit
/// register (the first in the low half, the second in the high half). The activations are
/// made unsigned once per group of rows (a + 128, an exclusive or with 0x80), so that one
/// `vpdpbusd` that starts from -128 times the weights' 4-byte sums gives each lane's signed
/// integer dot product exactly, without the sign transfer of the 256-bit kernels (an
/// instruction per row and block); the weights' sums are computed once per block and serve
/// the 8 rows. Every lane then goes through the same operations as in the 256-bit kernel (the
/// same integer dot product, the same scale product, the same fused multiply-add, and the same
/// 8-lane sum at the end), so the results stay bit-identical to one row at a time. A last
/// group of fewer than 8 rows takes the same kernel with fewer rows; a last odd column goes
/// through `vec_dot_q8_0_q8_0`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vnni")]
unsafe fn matmul_tile_q8_0_avx512(
    kb: usize,
    rhs: &[BlockQ8_0],
    lhs: &[BlockQ8_0],
    m: usize,
    dst_t: &mut [f32],
) {
    const ROWS: usize = 8;
    let cols = rhs.len() / kb;
    // This first pass touches every cache line of the tile; reading ahead from it brings in
    // the rest of the tile and the start of the next one.
    let dw: Vec<f32> = rhs
        .iter()
        .map(|b| {
            prefetch_ahead(b);
            f16::to_f32(b.d)
        })
        .collect();
    let mut unsigned = vec![[0u8; QK8_0]; ROWS * kb];
    let mut da = vec![0f32; ROWS * kb];
    let full_cols = cols / 2 * 2;
    let mut r0 = 0;
    while r0 < m {
        let rows = (m - r0).min(ROWS);
        let group = &lhs[r0 * kb..(r0 + rows) * kb];
        for ((u, d), b) in unsigned.iter_mut().zip(da.iter_mut()).zip(group) {
            for (u, &q) in u.iter_mut().zip(&b.qs) {
                *u = (q as u8) ^ 0x80;
            }
            *d = f16::to_f32(b.d);
        }
        for c0 in (0..full_cols).step_by(2) {
            let w_cols = [&rhs[c0 * kb..(c0 + 1) * kb], &rhs[(c0 + 1) * kb..(c0 + 2) * kb]];
            let dw_cols = [&dw[c0 * kb..(c0 + 1) * kb], &dw[(c0 + 1) * kb..(c0 + 2) * kb]];
            macro_rules! rows {
                ($($n:literal)*) => {
                    match rows {
                        $($n => {
                            let out =
                                pair_unsigned_avx512::<$n>(w_cols, dw_cols, &unsigned, &da, kb);
                            for (r, out_r) in out.iter().enumerate() {
                                for (c, &v) in out_r.iter().enumerate() {
                                    dst_t[(c0 + c) * m + r0 + r] = v;
                                }
                            }
                        })*
                        _ => unreachable!(),
                    }
                };
            }
            rows!(1 2 3 4 5 6 7 8);
        }
        // A last odd column.
        for c in full_cols..cols {
            let rhs_col = &rhs[c * kb..(c + 1) * kb];
            for r in r0..r0 + rows {
                let row = &lhs[r * kb..(r + 1) * kb];
                dst_t[c * m + r] = vec_dot_q8_0_q8_0(kb * QK8_0, rhs_col, row);
            }
        }
        r0 += rows;
    }
}

/// Two weight columns (`w_cols`, scales `dw`) times `R` rows of unsigned activations
/// (`unsigned`, a + 128, `kb` blocks a row, scales `da`): the `R` x 2 dot products.
#[inline(always)]
unsafe fn pair_unsigned_avx512<const R: usize>(
    w_cols: [&[BlockQ8_0]; 2],
    dw: [&[f32]; 2],
    unsigned: &[[u8; QK8_0]],
    da: &[f32],
    kb: usize,
) -> [[f32; 2]; R] {
    let bias = _mm512_set1_epi8(0x80u8 as i8);
    let mut acc = [_mm512_setzero_ps(); R];
    for blk in 0..kb {
        let w = _mm512_inserti64x4::<1>(
            _mm512_castsi256_si512(load_q8_0(&w_cols[0][blk])),
            load_q8_0(&w_cols[1][blk]),
        );
        // -128 times each lane's 4 weights: (a + 128) . w - 128 * sum(w) = a . w, exactly
        // (no lane can overflow: at most 4 * 255 * 128 in magnitude).
        let start = _mm512_sub_epi32(
            _mm512_setzero_si512(),
            _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, w),
        );
        let dw_b = _mm512_castpd_ps(_mm512_insertf64x4::<1>(
            _mm512_castps_pd(_mm512_set1_ps(dw[0][blk])),
            _mm256_castps_pd(_mm256_set1_ps(dw[1][blk])),
        ));
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let a = _mm512_broadcast_i64x4(_mm256_loadu_si256(
                unsigned[r * kb + blk].as_ptr() as *const __m256i,
            ));
            let q = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(start, a, w));
            let d = _mm512_mul_ps(dw_b, _mm512_set1_ps(da[r * kb + blk]));
            *acc_r = _mm512_fmadd_ps(d, q, *acc_r);
        }
    }
    // A loop rather than `acc.map`: the array's `map` is not always inlined, and out of line
    // the intrinsics of the sums are calls.
    let mut out = [[0f32; 2]; R];
    for (out_r, &acc_r) in out.iter_mut().zip(&acc) {
        *out_r = hsum_halves(acc_r);
    }
    out
}

/// `f16::to_f32` with F16C, in a register it fills whole. Through the half crate (or the
/// intrinsics) the compiler inserts the 16 bits into whatever register is at hand (`vpinsrw`),
/// since only the lowest lane counts, so in a loop each conversion waits for the one before.
#[inline(always)]
unsafe fn f16_to_f32(h: f16) -> f32 {
    let out: f32;
    // `vmovd` from a general register writes all of `x`: nothing older is waited for.
    std::arch::asm!(
        "vmovd {x}, {bits:e}",
        "vcvtph2ps {x}, {x}",
        bits = in(reg) h.to_bits() as u32,
        x = out(xmm_reg) out,
        options(pure, nomem, nostack, preserves_flags),
    );
    out
}

/// A few rows (batched decoding): `matmul_tile_q8_0` in groups of up to 8 rows (AVX-512) or
/// 4 (256-bit kernels), each group in one pass over the tile's columns that reads the weights
/// as a stream, ahead, as the one-row kernel does. The many-row frame reads the tile's scales
/// in a pass of their own before any arithmetic, so with a few rows the reading of each tile
/// from memory did not overlap the arithmetic. The first group reads the tile from memory, the
/// next ones find it in the cache.
unsafe fn matmul_few_rows_q8_0(
    kernel: Kernel,
    kb: usize,
    rhs: &[BlockQ8_0],
    lhs: &[BlockQ8_0],
    m: usize,
    dst_t: &mut [f32],
) {
    let group = match kernel {
        Kernel::Avx512 => 8,
        Kernel::AvxVnni | Kernel::Avx2 => 4,
    };
    let mut r0 = 0;
    while r0 < m {
        let rows = (m - r0).min(group);
        let lhs = &lhs[r0 * kb..(r0 + rows) * kb];
        macro_rules! rows {
            ($kernel:ident; $($n:literal)*) => {
                match rows {
                    $($n => $kernel::<$n>(kb, rhs, lhs, m, r0, dst_t),)*
                    _ => unreachable!(),
                }
            };
        }
        match kernel {
            Kernel::Avx512 => rows!(matmul_few_rows_q8_0_avx512; 1 2 3 4 5 6 7 8),
            Kernel::AvxVnni => rows!(matmul_few_rows_q8_0_vnni; 1 2 3 4),
            Kernel::Avx2 => rows!(matmul_few_rows_q8_0_avx2; 1 2 3 4),
        }
        r0 += rows;
    }
}

/// The frame of the few-row kernels: converts the `M` rows' scales, then hands `pair` each
/// pair of columns with the rows, and writes the `M` x 2 results it returns to `dst_t`
/// (column-major, `m` rows in all, these from `r0`). A last odd column goes through
/// `vec_dot_q8_0_q8_0`.
#[inline(always)]
unsafe fn matmul_few_rows_q8_0_frame<const M: usize>(
    kb: usize,
    rhs: &[BlockQ8_0],
    rows: &[BlockQ8_0],
    m: usize,
    r0: usize,
    dst_t: &mut [f32],
    pair: impl Fn([&[BlockQ8_0]; 2], &[f32]) -> [[f32; 2]; M],
) {
    let cols = rhs.len() / kb;
    let mut da_stack = [0f32; 8 * 64];
    let mut da_heap = Vec::new();
    let da: &mut [f32] = if M * kb <= da_stack.len() {
        &mut da_stack[..M * kb]
    } else {
        da_heap.resize(M * kb, 0f32);
        &mut da_heap
    };
    for (d, b) in da.iter_mut().zip(rows) {
        *d = f16_to_f32(b.d);
    }
    let full_cols = cols / 2 * 2;
    for c0 in (0..full_cols).step_by(2) {
        let out = pair(
            [&rhs[c0 * kb..(c0 + 1) * kb], &rhs[(c0 + 1) * kb..(c0 + 2) * kb]],
            da,
        );
        for (r, out_r) in out.iter().enumerate() {
            for (c, &v) in out_r.iter().enumerate() {
                dst_t[(c0 + c) * m + r0 + r] = v;
            }
        }
    }
    for c in full_cols..cols {
        let rhs_col = &rhs[c * kb..(c + 1) * kb];
        for r in 0..M {
            dst_t[c * m + r0 + r] =
                vec_dot_q8_0_q8_0(kb * QK8_0, rhs_col, &rows[r * kb..(r + 1) * kb]);
        }
    }
}

/// The few-row kernel with AVX-512: as `matmul_tile_q8_0_avx512`, the two columns share one
/// 512-bit register, and every lane goes through the same operations as one row at a time.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vnni")]
unsafe fn matmul_few_rows_q8_0_avx512<const M: usize>(
    kb: usize,
    rhs: &[BlockQ8_0],
    rows: &[BlockQ8_0],
    m: usize,
    r0: usize,
    dst_t: &mut [f32],
) {
    matmul_few_rows_q8_0_frame::<M>(kb, rhs, rows, m, r0, dst_t, |w_cols, da| {
        let mut acc = [_mm512_setzero_ps(); M];
        for blk in 0..kb {
            let w = [&w_cols[0][blk], &w_cols[1][blk]];
            prefetch_ahead(w[0]);
            prefetch_ahead(w[1]);
            let dw = [f16_to_f32(w[0].d), f16_to_f32(w[1].d)];
            pair_block_avx512::<M>(w, dw, rows, da, kb, blk, &mut acc);
        }
        acc.map(|acc_r| hsum_halves(acc_r))
    })
}

unsafe fn matmul_few_rows_q8_0_avx2<const M: usize>(
    kb: usize,
    rhs: &[BlockQ8_0],
    rows: &[BlockQ8_0],
    m: usize,
    r0: usize,
    dst_t: &mut [f32],
) {
    matmul_few_rows_q8_0_body::<M, false>(kb, rhs, rows, m, r0, dst_t)
}

#[target_feature(enable = "avx2,fma,avxvnni")]
unsafe fn matmul_few_rows_q8_0_vnni<const M: usize>(
    kb: usize,
    rhs: &[BlockQ8_0],
    rows: &[BlockQ8_0],
    m: usize,
    r0: usize,
    dst_t: &mut [f32],
) {
    matmul_few_rows_q8_0_body::<M, true>(kb, rhs, rows, m, r0, dst_t)
}

/// The few-row kernel with 256-bit registers: the arithmetic of `matmul_tile_q8_0_body`.
#[inline(always)]
unsafe fn matmul_few_rows_q8_0_body<const M: usize, const VNNI: bool>(
    kb: usize,
    rhs: &[BlockQ8_0],
    rows: &[BlockQ8_0],
    m: usize,
    r0: usize,
    dst_t: &mut [f32],
) {
    matmul_few_rows_q8_0_frame::<M>(kb, rhs, rows, m, r0, dst_t, |w_cols, da| {
        let mut acc = [[_mm256_setzero_ps(); 2]; M];
        for blk in 0..kb {
            let w = [&w_cols[0][blk], &w_cols[1][blk]];
            prefetch_ahead(w[0]);
            prefetch_ahead(w[1]);
            let dw = [f16_to_f32(w[0].d), f16_to_f32(w[1].d)];
            pair_block_256::<M, VNNI>(w, dw, rows, da, kb, blk, &mut acc);
        }
        acc.map(|acc_r| acc_r.map(|v| hsum_float_8(v)))
    })
}

/// `BlockQ8_0::from_float` with AVX2: the same scale (largest magnitude / 127) and the same
/// rounding (half away from zero, as `f32::round`), so the same blocks as the scalar code.
#[inline(always)]
pub(crate) fn quantize_row_q8_0(xs: &[f32], ys: &mut [BlockQ8_0]) {
    debug_assert_eq!(xs.len(), ys.len() * QK8_0);
    unsafe {
        let sign_bit = _mm256_set1_ps(-0.0);
        // The largest float below 0.5: adding it with the sign of x and truncating rounds
        // half away from zero without ever rounding x + 0.5 up past the next integer.
        let below_half = _mm256_set1_ps(0.49999997);
        // packs_epi32 and packs_epi16 interleave 128-bit lanes; this puts the bytes back.
        let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for (y, x) in ys.iter_mut().zip(xs.chunks_exact(QK8_0)) {
            let p = x.as_ptr();
            let v = [
                _mm256_loadu_ps(p),
                _mm256_loadu_ps(p.add(8)),
                _mm256_loadu_ps(p.add(16)),
                _mm256_loadu_ps(p.add(24)),
            ];
            let abs = |v: __m256| _mm256_andnot_ps(sign_bit, v);
            let m = _mm256_max_ps(
                _mm256_max_ps(abs(v[0]), abs(v[1])),
                _mm256_max_ps(abs(v[2]), abs(v[3])),
            );
            let m = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
            let m = _mm_max_ps(m, _mm_movehl_ps(m, m));
            let m = _mm_max_ss(m, _mm_movehdup_ps(m));
            let amax = _mm_cvtss_f32(m);
            let d = amax / ((1 << 7) - 1) as f32;
            let id = if d != 0f32 { 1. / d } else { 0. };
            y.d = f16::from_f32(d);
            let id = _mm256_set1_ps(id);
            let q = |v: __m256| {
                let s = _mm256_mul_ps(v, id);
                let s = _mm256_add_ps(s, _mm256_or_ps(_mm256_and_ps(s, sign_bit), below_half));
                _mm256_cvttps_epi32(s)
            };
            let i01 = _mm256_packs_epi32(q(v[0]), q(v[1]));
            let i23 = _mm256_packs_epi32(q(v[2]), q(v[3]));
            let bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(i01, i23), order);
            _mm256_storeu_si256(y.qs.as_mut_ptr() as *mut __m256i, bytes);
        }
    }
}
