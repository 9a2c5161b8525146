//! Packing: copies blocks of `op(A)` and `op(B)` into the contiguous, zero-padded panel layouts
//! the micro-kernel streams through.
//!
//! - A block (`mc x kc`) -> one panel per row tile of [`row_tiles`] (`ceil(mc / MR)` tiles);
//!   panel `t` starting at row `r_t`: `dst[t*MR*kc + p*MR + i] = A[r_t + i, p]`, rows past the
//!   tile zero.
//! - B block (`kc x nc`) -> `ceil(nc / NR)` panels; panel `t`: `dst[t*NR*kc + p*NR + j] =
//!   B[p, t*NR + j]`, columns past `nc` zero.
//!
//! A source whose packed direction is strided (row-major A, transposed B) is read in 8 x 8
//! tiles that are transposed in registers, so every load and store is a full vector.

use super::driver::row_tiles;
use super::operand::Operand;
use super::{MR, NR};
use crate::simd::{self, LANES};
use wide::f32x8;

/// Packs `a[0..mc, 0..kc]` into MR-row panels (layout in the module doc).
///
/// # Safety
/// `a` must hold at least `mc x kc` elements; `dst.len() >= ceil(mc / MR) * MR * kc`.
pub(super) unsafe fn pack_a(dst: &mut [f32], a: Operand, mc: usize, kc: usize) {
    for (t, (i0, rows)) in row_tiles(mc).enumerate() {
        let panel = &mut dst[t * MR * kc..(t + 1) * MR * kc];
        // SAFETY: rows `i0..i0 + rows` and columns `0..kc` lie inside `a`.
        unsafe {
            if a.cs == 1 {
                pack_transposing::<MR>(panel, a, i0, rows, kc);
            } else if a.rs == 1 {
                // Each depth step is `rows` contiguous elements: a fixed-size copy (an array
                // assignment, inlined; a slice copy would call memmove per depth step).
                for (p, out) in panel
                    .as_chunks_mut::<MR>()
                    .0
                    .iter_mut()
                    .take(kc)
                    .enumerate()
                {
                    if rows == MR {
                        *out = (a.at(i0, p) as *const [f32; MR]).read_unaligned();
                    } else {
                        *out = [0.0; MR];
                        out[..rows].copy_from_slice(std::slice::from_raw_parts(a.at(i0, p), rows));
                    }
                }
            } else {
                pack_gather::<MR>(panel, |i, p| *a.at(i0 + i, p), rows, kc);
            }
        }
    }
}

/// Packs `b[0..kc, 0..nc]` into NR-column panels (layout in the module doc).
///
/// # Safety
/// `b` must hold at least `kc x nc` elements; `dst.len() >= ceil(nc / NR) * NR * kc`.
pub(super) unsafe fn pack_b(dst: &mut [f32], b: Operand, kc: usize, nc: usize) {
    // View the B block as its transpose so that "rows" are the NR columns of a panel.
    let bt = Operand {
        ptr: b.ptr,
        rows: b.cols,
        cols: b.rows,
        rs: b.cs,
        cs: b.rs,
    };
    for (t, j0) in (0..nc).step_by(NR).enumerate() {
        let cols = NR.min(nc - j0);
        let panel = &mut dst[t * NR * kc..(t + 1) * NR * kc];
        // SAFETY: columns `j0..j0 + cols` and rows `0..kc` lie inside `b`.
        unsafe {
            if b.rs == 1 {
                pack_transposing::<NR>(panel, bt, j0, cols, kc);
            } else if b.cs == 1 {
                for (p, out) in panel.chunks_exact_mut(NR).enumerate() {
                    for (v, lanes) in out.chunks_exact_mut(LANES).enumerate() {
                        let n = cols.saturating_sub(v * LANES).min(LANES);
                        let x = simd::load_partial(b.at(p, j0 + v * LANES), n);
                        simd::store(lanes, x);
                    }
                }
            } else {
                pack_gather::<NR>(panel, |j, p| *bt.at(j0 + j, p), cols, kc);
            }
        }
    }
}

/// `panel[p * W + i] = src(i, p)` for `i < rows`, zero for `rows <= i < W`.
fn pack_gather<const W: usize>(
    panel: &mut [f32],
    src: impl Fn(usize, usize) -> f32,
    rows: usize,
    kc: usize,
) {
    for (p, out) in panel.chunks_exact_mut(W).take(kc).enumerate() {
        for (i, o) in out.iter_mut().enumerate() {
            *o = if i < rows { src(i, p) } else { 0.0 };
        }
    }
}

/// `panel[p * W + i] = x[r0 + i, p]` for a source `x` whose rows are contiguous (`x.cs == 1`):
/// 8 rows x 8 depths are loaded as 8 vectors, transposed in registers and stored as 8 vectors.
///
/// # Safety
/// Rows `r0..r0 + rows` and columns `0..kc` must lie inside `x`.
unsafe fn pack_transposing<const W: usize>(
    panel: &mut [f32],
    x: Operand,
    r0: usize,
    rows: usize,
    kc: usize,
) {
    let full_depth = kc - kc % LANES;
    for i0 in (0..W).step_by(LANES) {
        let lanes = LANES.min(W - i0);
        for p0 in (0..full_depth).step_by(LANES) {
            let mut tile = [f32x8::ZERO; LANES];
            for (i, v) in tile.iter_mut().enumerate() {
                if i0 + i < rows {
                    // SAFETY: row `r0 + i0 + i` exists and has columns `p0..p0 + 8`.
                    *v = unsafe { (x.at(r0 + i0 + i, p0) as *const f32x8).read_unaligned() };
                }
            }
            for (q, v) in f32x8::transpose(tile).iter().enumerate() {
                let at = (p0 + q) * W + i0;
                if lanes == LANES {
                    simd::store(&mut panel[at..], *v);
                } else {
                    panel[at..at + lanes].copy_from_slice(&v.as_array()[..lanes]);
                }
            }
        }
        for p in full_depth..kc {
            for i in 0..lanes {
                let r = i0 + i;
                // SAFETY: row `r0 + r` (when `r < rows`) and column `p` lie inside `x`.
                panel[p * W + r] = if r < rows {
                    unsafe { *x.at(r0 + r, p) }
                } else {
                    0.0
                };
            }
        }
    }
}
