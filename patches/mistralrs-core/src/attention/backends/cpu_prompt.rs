//! CPU attention of a prompt's query rows in f32, blocked so that it runs at the speed of the
//! arithmetic instead of the loads: `Q_BLOCK` query rows of one head are scored together
//! against 16 keys at a time (the keys transposed into panels once per key/value head), then
//! each row takes one softmax with a vectorised exp, then the block's rows sum the value rows
//! together. A row's result does not depend on the rows it is blocked with: its scores are
//! the same sequential sums, its softmax sums in lanes fixed by absolute key position, and the
//! keys a block visits outside a row's own range add exact zeros. So a prompt gives the same
//! bits whole or split by a prefix-cache hit. Built on x86-64 with AVX2 and FMA only (the
//! module is `cfg`-gated where it is declared).

#![allow(clippy::too_many_arguments)]

use crate::cpu_exp::{exp_ps, exp_scalar};
use std::arch::x86_64::*;

/// Query rows of one head scored together (12 accumulator registers of 8 lanes).
pub(super) const Q_BLOCK: usize = 6;
/// Keys scored at once: two vectors of 8.
const KEY_PANEL: usize = 16;

/// The mask of one query row, as the caller reads it: `row(b, h, q_pos, out)` writes the
/// additive mask of every key position of that row into `out`.
pub(super) type MaskRow<'a> = &'a (dyn Fn(usize, usize, usize, &mut [f32]) + Sync);

/// Whether the blocked kernel runs on this build for head size `d`.
pub(super) fn available(d: usize) -> bool {
    d % KEY_PANEL == 0 && d > 0
}

/// Attention of `q` (b, q_len, h, d with the given strides) over `k` and `v` (b, kv_len,
/// kv heads, d), into `out` laid out (b, h, q_len, d). `mask_row` is `None` for no mask.
/// `run` runs `units` pieces of work, split into ranges, on the caller's threads.
pub(super) fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask_row: Option<MaskRow<'_>>,
    (b, q_len, h, d): (usize, usize, usize, usize),
    (kv_len, k_h, v_h): (usize, usize, usize),
    qstride: &[usize],
    kstride: &[usize],
    vstride: &[usize],
    scale: f32,
    logit_softcap: f32,
    out: &mut [f32],
    run: &dyn Fn(usize, &(dyn Fn(std::ops::Range<usize>) + Sync)),
) {
    assert!(available(d));
    assert_eq!(out.len(), b * h * q_len * d);
    let kv_pad = kv_len.div_ceil(KEY_PANEL) * KEY_PANEL;
    let panels = transpose_keys(k, b, kv_len, k_h, d, kstride, kv_pad);
    let rk2 = h / k_h;
    let rv2 = h / v_h;
    let blocks = q_len.div_ceil(Q_BLOCK);
    let units = b * h * blocks;
    // Units write disjoint rows of `out`; a usize so the closure is Sync.
    let out_ptr = out.as_mut_ptr() as usize;

    let part = |range: std::ops::Range<usize>| {
        let mut masks = vec![0f32; Q_BLOCK * kv_len];
        let mut scores = vec![0f32; Q_BLOCK * kv_pad];
        for unit in range {
            let block = unit % blocks;
            let b_i = unit / blocks / h;
            let h_i = unit / blocks % h;
            let q0 = block * Q_BLOCK;
            let rows = (q_len - q0).min(Q_BLOCK);
            let k_head = h_i / rk2;
            let v_head = h_i / rv2;

            // Each row's unmasked range [lo, hi) and the block's.
            let mut lo = [0usize; Q_BLOCK];
            let mut hi = [kv_len; Q_BLOCK];
            for r in 0..rows {
                let m = &mut masks[r * kv_len..(r + 1) * kv_len];
                match mask_row {
                    Some(row) => {
                        row(b_i, h_i, q0 + r, m);
                        lo[r] = m
                            .iter()
                            .position(|&x| x != f32::NEG_INFINITY)
                            .unwrap_or(kv_len);
                        hi[r] = m
                            .iter()
                            .rposition(|&x| x != f32::NEG_INFINITY)
                            .map_or(lo[r], |p| p + 1);
                    }
                    None => m.fill(0.0),
                }
            }
            let span_lo = (0..rows).map(|r| lo[r]).min().unwrap_or(0);
            let span_hi = (0..rows).map(|r| hi[r]).max().unwrap_or(0);
            let out_base = ((b_i * h + h_i) * q_len + q0) * d;
            // SAFETY: this unit alone writes rows q0..q0 + rows of head h_i of sequence b_i.
            let out_rows = unsafe {
                std::slice::from_raw_parts_mut((out_ptr as *mut f32).add(out_base), rows * d)
            };
            if span_lo >= span_hi {
                out_rows.fill(0.0);
                continue;
            }

            // Raw dot products of the block's rows with every key of its span.
            let q_row = |r: usize| {
                let r = r.min(rows - 1);
                let base = b_i * qstride[0] + (q0 + r) * qstride[1] + h_i * qstride[2];
                &q[base..base + d]
            };
            let q_rows: [&[f32]; Q_BLOCK] = std::array::from_fn(q_row);
            let key_panels = &panels[(b_i * k_h + k_head) * kv_pad * d..][..kv_pad * d];
            let first_panel = span_lo / KEY_PANEL;
            let last_panel = span_hi.div_ceil(KEY_PANEL);
            for panel in first_panel..last_panel {
                // SAFETY: avx2 and fma are enabled for this build (the module is cfg-gated on them).
                unsafe {
                    score_panel(
                        &q_rows,
                        &key_panels[panel * KEY_PANEL * d..][..KEY_PANEL * d],
                        d,
                        &mut scores,
                        kv_pad,
                        panel * KEY_PANEL,
                    )
                };
            }

            // One softmax per row: the weights go back into `scores`, zero outside the row's
            // range, so the weighted sum below can run over the block's span for every row.
            let mut inv_sum = [0f32; Q_BLOCK];
            for r in 0..rows {
                let row = &mut scores[r * kv_pad..(r + 1) * kv_pad];
                row[span_lo..lo[r].max(span_lo)].fill(0.0);
                row[hi[r].max(span_lo)..span_hi].fill(0.0);
                if lo[r] >= hi[r] {
                    continue;
                }
                let m = &masks[r * kv_len..(r + 1) * kv_len];
                let mut max = f32::NEG_INFINITY;
                for (s, &mv) in row[lo[r]..hi[r]].iter_mut().zip(&m[lo[r]..hi[r]]) {
                    let mut x = *s * scale;
                    if logit_softcap != 0.0 {
                        x = logit_softcap * (x / logit_softcap).tanh();
                    }
                    x += mv;
                    *s = x;
                    max = max.max(x);
                }
                // SAFETY: as above.
                let sum = unsafe { exp_and_sum(row, lo[r], hi[r], max) };
                inv_sum[r] = 1.0 / sum;
            }

            // The weighted sum of the value rows, 16 output columns at a time.
            let v_first = b_i * vstride[0] + v_head * vstride[2];
            let v_block = &v[v_first..v_first + (span_hi - 1) * vstride[1] + d];
            for col in (0..d).step_by(KEY_PANEL) {
                // SAFETY: as above; `v_block` holds row `j` at `j * vstride[1]` for every `j`
                // of the span, `col + 16 <= d` of it.
                unsafe {
                    weighted_sum(
                        &scores, kv_pad, rows, span_lo, span_hi, v_block, vstride[1], col,
                        &inv_sum, d, out_rows,
                    )
                };
            }
        }
    };
    run(units, &part);
}

/// The keys of every (sequence, key/value head) as panels of `KEY_PANEL` positions: panel `p`
/// holds `d` groups of 16 values, key dimension `c` of positions 16p..16p+16, zero past the
/// last key.
fn transpose_keys(
    k: &[f32],
    b: usize,
    kv_len: usize,
    k_h: usize,
    d: usize,
    kstride: &[usize],
    kv_pad: usize,
) -> Vec<f32> {
    let mut panels = vec![0f32; b * k_h * kv_pad * d];
    for b_i in 0..b {
        for kh in 0..k_h {
            let dst = &mut panels[(b_i * k_h + kh) * kv_pad * d..][..kv_pad * d];
            for j in 0..kv_len {
                let base = b_i * kstride[0] + j * kstride[1] + kh * kstride[2];
                let row = &k[base..base + d];
                let panel = &mut dst[(j / KEY_PANEL) * KEY_PANEL * d..][..KEY_PANEL * d];
                let lane = j % KEY_PANEL;
                for (c, &x) in row.iter().enumerate() {
                    panel[c * KEY_PANEL + lane] = x;
                }
            }
        }
    }
    panels
}

/// Dot products of `Q_BLOCK` query rows with the 16 keys of one panel, into
/// `scores[r * stride + first..][..16]`; each one a sequential sum over the key dimension.
#[inline]
unsafe fn score_panel(
    q_rows: &[&[f32]; Q_BLOCK],
    panel: &[f32],
    d: usize,
    scores: &mut [f32],
    stride: usize,
    first: usize,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; Q_BLOCK];
    let p = panel.as_ptr();
    for c in 0..d {
        let k0 = _mm256_loadu_ps(p.add(c * KEY_PANEL));
        let k1 = _mm256_loadu_ps(p.add(c * KEY_PANEL + 8));
        for r in 0..Q_BLOCK {
            let qv = _mm256_broadcast_ss(q_rows[r].get_unchecked(c));
            acc[r][0] = _mm256_fmadd_ps(qv, k0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(qv, k1, acc[r][1]);
        }
    }
    for (r, a) in acc.iter().enumerate() {
        if (r + 1) * stride > scores.len() {
            break;
        }
        let dst = scores.as_mut_ptr().add(r * stride + first);
        _mm256_storeu_ps(dst, a[0]);
        _mm256_storeu_ps(dst.add(8), a[1]);
    }
}

/// `row[j] = exp(row[j] - max)` for `j` in `lo..hi` (zero where the score is −∞), and their sum
/// in 8 lanes fixed by `j % 8`, then added up in one order.
#[inline]
unsafe fn exp_and_sum(row: &mut [f32], lo: usize, hi: usize, max: f32) -> f32 {
    let mut lanes = [0f32; 8];
    let start = lo - lo % 8;
    let mut j = start;
    let m = _mm256_set1_ps(max);
    let mut sum = _mm256_setzero_ps();
    while j + 8 <= hi {
        let x = _mm256_loadu_ps(row.as_ptr().add(j));
        let mut e = exp_ps(_mm256_sub_ps(x, m));
        if j < lo {
            // The positions before `lo` in this first group are not the row's.
            let keep: [f32; 8] =
                std::array::from_fn(|l| f32::from_bits(if j + l >= lo { u32::MAX } else { 0 }));
            e = _mm256_and_ps(e, _mm256_loadu_ps(keep.as_ptr()));
        }
        _mm256_storeu_ps(row.as_mut_ptr().add(j), e);
        sum = _mm256_add_ps(sum, e);
        j += 8;
    }
    _mm256_storeu_ps(lanes.as_mut_ptr(), sum);
    for jj in j.max(lo)..hi {
        let e = exp_scalar(row[jj] - max);
        row[jj] = e;
        lanes[jj % 8] += e;
    }
    lanes.iter().sum()
}

/// `out[r][col..col + 16] = inv_sum[r] * Σ_j scores[r][j] · v[j][col..col + 16]` over the span.
#[inline]
unsafe fn weighted_sum(
    scores: &[f32],
    stride: usize,
    rows: usize,
    span_lo: usize,
    span_hi: usize,
    v: &[f32],
    v_stride: usize,
    col: usize,
    inv_sum: &[f32; Q_BLOCK],
    d: usize,
    out_rows: &mut [f32],
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; Q_BLOCK];
    let rows_at: [usize; Q_BLOCK] = std::array::from_fn(|r| r.min(rows - 1) * stride);
    let s = scores.as_ptr();
    for j in span_lo..span_hi {
        let vr = v.as_ptr().add(j * v_stride + col);
        let v0 = _mm256_loadu_ps(vr);
        let v1 = _mm256_loadu_ps(vr.add(8));
        for r in 0..Q_BLOCK {
            let w = _mm256_broadcast_ss(&*s.add(rows_at[r] + j));
            acc[r][0] = _mm256_fmadd_ps(w, v0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(w, v1, acc[r][1]);
        }
    }
    for r in 0..rows {
        let inv = _mm256_set1_ps(inv_sum[r]);
        let dst = out_rows.as_mut_ptr().add(r * d + col);
        _mm256_storeu_ps(dst, _mm256_mul_ps(acc[r][0], inv));
        _mm256_storeu_ps(dst.add(8), _mm256_mul_ps(acc[r][1], inv));
    }
}
