//! The register-tile micro-kernel and the tile write-back with the fused epilogue.
//!
//! Tile shape `MR x NR = 6 x 16`: the accumulators are 6 rows x 2 `f32x8` = 12 ymm registers,
//! plus 2 for the current B row and 1 for the broadcast A element = 15 of AVX2's 16. Each depth
//! step issues 12 independent FMAs (enough to cover the 4-cycle FMA latency on two pipes) for 8
//! loads (2 vectors + 6 broadcasts), so the loop is FMA-bound, not load-bound. Rows of `C` are
//! contiguous, so the 16 columns of a tile row are written back as two full vectors.

use super::NR;
use super::operand::Output;
use crate::Activation;
use crate::simd::{self, LANES};
use wide::f32x8;

/// Accumulators of an `R x NR` tile: `acc[i][v]` holds columns `8v..8v+8` of row `i`.
pub(super) type Tile<const R: usize> = [[f32x8; NR / LANES]; R];

/// `acc[i][j] = sum_{p < kc} A[i, p] * B[p, j]` for `i < R`, `j < NR`, accumulated in order of
/// `p` with one FMA per step (so every element sees the same operation sequence whatever tile,
/// block or thread computes it).
///
/// `A[i, p]` is read at `a + i * a_rs + p * a_cs` (a packed panel has `a_rs = 1, a_cs = MR`);
/// `B[p, j]` at `b + p * b_rs + j` (a packed panel has `b_rs = NR`).
///
/// # Safety
/// All `R x kc` elements of A and `kc x NR` elements of B must be readable.
#[inline(always)]
pub(super) unsafe fn kernel<const R: usize>(
    kc: usize,
    a: *const f32,
    a_rs: usize,
    a_cs: usize,
    b: *const f32,
    b_rs: usize,
) -> Tile<R> {
    let mut acc = [[f32x8::ZERO; NR / LANES]; R];
    let rows: [*const f32; R] = std::array::from_fn(|i| a.wrapping_add(i * a_rs));
    // One depth step: 2 B vectors, R broadcasts, 2R FMAs.
    let mut step = |p: usize| {
        // SAFETY: `p < kc` and the caller guarantees the panels' extent.
        unsafe {
            let bp = b.add(p * b_rs);
            let b0 = (bp as *const f32x8).read_unaligned();
            let b1 = (bp.add(LANES) as *const f32x8).read_unaligned();
            for (row, &ap) in acc.iter_mut().zip(&rows) {
                let ai = f32x8::splat(*ap.add(p * a_cs));
                row[0] = ai.mul_add(b0, row[0]);
                row[1] = ai.mul_add(b1, row[1]);
            }
        }
    };
    // Unrolled by 4 to keep loop overhead off the front end; the FMA order is unchanged.
    let body = kc - kc % 4;
    for p in (0..body).step_by(4) {
        step(p);
        step(p + 1);
        step(p + 2);
        step(p + 3);
    }
    for p in body..kc {
        step(p);
    }
    acc
}

/// What the write-back does with a tile.
#[derive(Clone, Copy)]
pub(super) struct WriteBack<'a> {
    pub alpha: f32,
    /// Multiplies the old `C` (0 ignores it, even NaN).
    pub beta: f32,
    /// Bias (indexed by global column) and activation, applied after the last K block.
    pub epilogue: Option<(Option<&'a [f32]>, Activation)>,
}

/// Writes the valid `rows x cols` corner of `acc` to `C`:
/// `C = f(alpha * acc + beta * C + bias)` with `f` and `bias` from the epilogue, if any.
/// Edge columns use masked loads and stores, so nothing outside the tile is touched.
///
/// # Safety
/// The `rows x cols` block of `C` at `(row0, col0)` must be writable; `col0 + cols` must not
/// exceed the bias length.
#[inline(always)]
pub(super) unsafe fn write_back<const R: usize>(
    acc: &Tile<R>,
    out: Output,
    row0: usize,
    col0: usize,
    rows: usize,
    cols: usize,
    wb: &WriteBack<'_>,
) {
    let bias = wb
        .epilogue
        .and_then(|(b, _)| b)
        .map(|b| &b[col0..col0 + cols]);
    for (i, tile_row) in acc.iter().enumerate().take(rows) {
        for (v, &a) in tile_row.iter().enumerate() {
            let j = v * LANES;
            if j >= cols {
                break;
            }
            let lanes = LANES.min(cols - j);
            let c = out.at(row0 + i, col0 + j);
            // The operations of [`finish`], written out: routing the edge tiles through it
            // measured 5-8% slower on the output layers (n = 10).
            // SAFETY: lanes `0..lanes` from `c` lie inside the tile's valid part; the bias
            // slice has `cols` elements.
            unsafe {
                let mut x = f32x8::splat(wb.alpha) * a;
                if wb.beta != 0.0 {
                    x += simd::load_partial(c, lanes) * f32x8::splat(wb.beta);
                }
                if let Some((_, act)) = wb.epilogue {
                    if let Some(bias) = bias {
                        x += simd::load_partial(bias.as_ptr().add(j), lanes);
                    }
                    x = simd::activate(act, x);
                }
                simd::store_partial(c, lanes, x);
            }
        }
    }
}

/// [`write_back`] of full-width rows (`cols = NR`, the bulk of every product): the same operations
/// (`x = alpha * acc`, then `+ beta * C`, `+ bias`, the activation) with the bias loaded
/// once per tile and no per-vector lane bookkeeping, which kept the accumulators from staying
/// in registers.
///
/// # Safety
/// The `rows x NR` block of `C` at `(row0, col0)` must be writable; `col0 + NR` must not exceed
/// the bias length.
#[inline(always)]
pub(super) unsafe fn write_back_full_width<const R: usize>(
    acc: &Tile<R>,
    out: Output,
    row0: usize,
    col0: usize,
    rows: usize,
    wb: &WriteBack<'_>,
) {
    let bias = wb
        .epilogue
        .and_then(|(b, _)| b)
        .map(|b| -> [f32x8; NR / LANES] {
            std::array::from_fn(|v| simd::load(&b[col0 + v * LANES..]))
        });
    for (i, tile_row) in acc.iter().enumerate().take(rows) {
        for (v, &a) in tile_row.iter().enumerate() {
            let c = out.at(row0 + i, col0 + v * LANES);
            // SAFETY: the 8 lanes from `c` lie inside the tile (full width), which the caller
            // guarantees writable.
            unsafe {
                let old = || (c as *const f32x8).read_unaligned();
                let x = finish(wb, a, old, bias.map(|b| b[v]));
                (c as *mut f32x8).write_unaligned(x);
            }
        }
    }
}

/// One vector of a write-back: `f(alpha * acc + beta * old + bias)`, as
/// `x = alpha * acc`, `x = x + beta * old` with the product rounded first (only when
/// `beta != 0`: `old` is then not read, so NaN in C is ignored; see [`crate::gemm_into_momentum`]
/// for why not one FMA), `x += bias`, then the epilogue's activation. Full-width tiles and the
/// direct kernel's column form go through it, and [`write_back`] repeats it for edge tiles, so
/// an element's roundings do not depend on which path wrote it.
#[inline(always)]
pub(super) fn finish(
    wb: &WriteBack<'_>,
    acc: f32x8,
    old: impl FnOnce() -> f32x8,
    bias: Option<f32x8>,
) -> f32x8 {
    let mut x = f32x8::splat(wb.alpha) * acc;
    if wb.beta != 0.0 {
        x += old() * f32x8::splat(wb.beta);
    }
    if let Some(bias) = bias {
        x += bias;
    }
    if let Some((_, act)) = wb.epilogue {
        x = simd::activate(act, x);
    }
    x
}
