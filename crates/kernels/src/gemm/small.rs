//! The direct kernel for small products: no packing, no blocking, one thread.
//!
//! `C[i, j] = f(alpha * s_ij + beta * C[i, j] + bias_j)` with `s_ij = sum_p A[i, p] B[p, j]`
//! (`f` and `bias` from the epilogue; `beta = 0` ignores the old `C`, even NaN). It is chosen by
//! the shape alone ([`is_small`]), never by `Par`, so the result does not depend on the thread
//! count. `s_ij` is computed in the first form the strides allow:
//! - rows (B rows contiguous, `n >= 8`): `s_i[j..j+16] = sum_p A[i, p] * B[p, j..j+16]`, two
//!   vectors of FMAs in order of `p` (the blocked micro-kernel's sequence per element, with the
//!   same vector write-back);
//! - column (one column of C, contiguous like A's columns, `m >= 8`):
//!   `s[i..i+8] = sum_p A[i..i+8, p] * B[p, 0]`, vector FMAs in order of `p`, then the same
//!   vector write-back down the column;
//! - dot (A rows and B columns contiguous, `k >= 16`): eight lane sums
//!   `t_l = sum_{p = l mod 8} A[i, p] B[p, j]` (FMAs in order of `p`), added by a fixed tree,
//!   then the remaining `k mod 8` products in order;
//! - scalar: one FMA per `p`, in order.
//!
//! The scalar forms apply `alpha`, `beta` and the bias per element with the same roundings as
//! the vector write-back (`alpha * s + beta * C`, the product rounded first, `+ bias`), then
//! the activation over each row.

use super::NR;
use super::driver::Problem;
use super::microkernel::{Tile, WriteBack, finish, write_back};
use crate::Activation;
use crate::elementwise::activate_in_place;
use crate::simd::{self, LANES};
use wide::f32x8;

/// Products with at most this many multiply-adds (`m * n * k`) take the direct kernel: below,
/// packing and blocking cost more than they save.
const SMALL_WORK: usize = 1 << 12;

/// Whether `p` takes the direct kernel (a function of the shape only).
pub(super) fn is_small(p: &Problem<'_>) -> bool {
    is_small_shape(p.m, p.n, p.k)
}

/// Whether an `m x n x k` product takes the direct kernel.
pub(super) fn is_small_shape(m: usize, n: usize, k: usize) -> bool {
    m * n * k.max(1) <= SMALL_WORK
}

/// Computes the whole problem on the calling thread.
pub(super) fn run(p: &Problem<'_>) {
    if p.b.cs == 1 && p.n >= LANES {
        rows_form(p);
        return;
    }
    if p.n == 1 && p.a.rs == 1 && p.c.rs == 1 && p.m >= LANES {
        column_form(p);
        return;
    }
    let dot = p.a.cs == 1 && p.b.rs == 1 && p.k >= 2 * LANES;
    let (a, b, c, k) = (p.a, p.b, p.c, p.k);
    let (alpha, beta) = (p.alpha, p.beta);
    let bias = p.epilogue.and_then(|(bias, _)| bias);
    for i in 0..p.m {
        for j in 0..p.n {
            // SAFETY: `i < m`, `j < n`: row `i` of A and column `j` of B lie inside the
            // operands (contiguous when `dot`), element `(i, j)` inside C.
            unsafe {
                let s = if dot {
                    dot_sum(a.at(i, 0), b.at(0, j), k)
                } else {
                    scalar_sum(a.at(i, 0), a.cs, b.at(0, j), b.rs, k)
                };
                let c = c.at(i, j);
                let mut x = alpha * s;
                if beta != 0.0 {
                    x += *c * beta;
                }
                if let Some(bias) = bias {
                    x += bias[j];
                }
                *c = x;
            }
        }
    }
    if let Some((_, act)) = p.epilogue
        && act != Activation::Identity
    {
        for i in 0..p.m {
            // SAFETY: row `i` of C has `n` writable elements, borrowed exclusively by the call.
            let row = unsafe { std::slice::from_raw_parts_mut(p.c.at(i, 0), p.n) };
            activate_in_place(act, row);
        }
    }
}

/// The rows form: 16 columns of `s_i` at a time, then the micro-kernel's write-back.
fn rows_form(p: &Problem<'_>) {
    let wb = WriteBack {
        alpha: p.alpha,
        beta: p.beta,
        epilogue: p.epilogue,
    };
    for i in 0..p.m {
        for j in (0..p.n).step_by(NR) {
            let cols = NR.min(p.n - j);
            let lanes: [usize; NR / LANES] =
                std::array::from_fn(|v| cols.saturating_sub(v * LANES).min(LANES));
            let mut acc: Tile<1> = [[f32x8::ZERO; NR / LANES]];
            for q in 0..p.k {
                // SAFETY: `A[i, q]` and `B[q, j..j + cols]` lie inside the operands (B rows
                // are contiguous), and only those lanes are loaded.
                unsafe {
                    let a = f32x8::splat(*p.a.at(i, q));
                    let b = p.b.at(q, j);
                    for (v, acc) in acc[0].iter_mut().enumerate() {
                        if lanes[v] > 0 {
                            *acc = a.mul_add(simd::load_partial(b.add(v * LANES), lanes[v]), *acc);
                        }
                    }
                }
            }
            // SAFETY: the `1 x cols` block of C at `(i, j)` lies inside C, and the bias (when
            // present) has `n >= j + cols` elements.
            unsafe { write_back::<1>(&acc, p.c, i, j, 1, cols, &wb) };
        }
    }
}

/// The column form: `s[i..i+8] = sum_p A[i..i+8, p] * B[p, 0]`, vector FMAs in order of `p`,
/// then the write-back of [`write_back`] down the column. Full chunks of eight rows and the
/// ragged tail go through the same operations; only the tail uses masked loads and stores.
/// The activation runs last, over the whole column (the same per-element function, without a
/// dispatch per chunk).
fn column_form(p: &Problem<'_>) {
    // A depth of one (a layer with one input) gets a loop-free chunk.
    if p.k == 1 {
        column_rows::<true>(p);
    } else {
        column_rows::<false>(p);
    }
    if let Some((_, act)) = p.epilogue
        && act != Activation::Identity
    {
        // SAFETY: C's single column is contiguous (`c.rs = 1`) with `m` rows, borrowed
        // exclusively by the call.
        let column = unsafe { std::slice::from_raw_parts_mut(p.c.at(0, 0), p.m) };
        activate_in_place(act, column);
    }
}

/// Every row of the column form, the depth known to be 1 when `DEPTH_ONE`: then `B[0, 0]` is
/// read once, not once per chunk after the previous chunk's store (which may alias it).
fn column_rows<const DEPTH_ONE: bool>(p: &Problem<'_>) {
    if DEPTH_ONE {
        // SAFETY: `k = n = 1`, so B holds `B[0, 0]`.
        let b = f32x8::splat(unsafe { *p.b.at(0, 0) });
        column_chunks(p, 1, |_| b);
    } else {
        // SAFETY: `q < k`, and B's single column has `k` rows.
        column_chunks(p, p.k, |q| f32x8::splat(unsafe { *p.b.at(q, 0) }));
    }
}

/// The column form's chunks of eight rows (and the ragged end) over depth `k`, with `b(q)`
/// `B[q, 0]` in every lane.
#[inline(always)]
fn column_chunks(p: &Problem<'_>, k: usize, b: impl Fn(usize) -> f32x8) {
    let wb = WriteBack {
        alpha: p.alpha,
        beta: p.beta,
        epilogue: None,
    };
    let bias = p
        .epilogue
        .and_then(|(bias, _)| bias)
        .map(|b| f32x8::splat(b[0]));
    let full = p.m - p.m % LANES;
    for i in (0..full).step_by(LANES) {
        // SAFETY: rows `i..i + 8` lie inside A and C.
        unsafe { column_chunk(p, k, &b, &wb, bias, i, LANES) };
    }
    if full < p.m {
        // SAFETY: rows `full..m` lie inside A and C.
        unsafe { column_chunk(p, k, &b, &wb, bias, full, p.m - full) };
    }
}

/// Rows `i..i + lanes` of the column form up to the activation, over depth `k`: `wb` has no
/// epilogue, `bias` is `b[0]` in every lane (inlined, so `lanes = 8` compiles to plain loads
/// and a constant `k` to no loop).
///
/// # Safety
/// Rows `i..i + lanes` must lie inside A and C; A's columns and C's column contiguous.
#[inline(always)]
unsafe fn column_chunk(
    p: &Problem<'_>,
    k: usize,
    b: &impl Fn(usize) -> f32x8,
    wb: &WriteBack<'_>,
    bias: Option<f32x8>,
    i: usize,
    lanes: usize,
) {
    let mut s = f32x8::ZERO;
    for q in 0..k {
        // SAFETY: column `q` of A is contiguous (`a.rs = 1`) with rows `i..i + lanes` inside A.
        s = unsafe { simd::load_partial(p.a.at(i, q), lanes) }.mul_add(b(q), s);
    }
    let c = p.c.at(i, 0);
    // SAFETY: C's single column is contiguous (`c.rs = 1`); rows `i..i + lanes` lie inside.
    unsafe {
        let x = finish(wb, s, || simd::load_partial(c, lanes), bias);
        simd::store_partial(c, lanes, x);
    }
}

/// `sum_{p < k} a[p] b[p]` as eight lane sums plus the ordered tail (the dot form).
///
/// # Safety
/// `a..a + k` and `b..b + k` must be readable.
unsafe fn dot_sum(a: *const f32, b: *const f32, k: usize) -> f32 {
    // SAFETY: forwarded from the caller.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, k),
            std::slice::from_raw_parts(b, k),
        )
    };
    let mut t = f32x8::ZERO;
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (a_tail, b_tail) = (a_chunks.remainder(), b_chunks.remainder());
    for (x, y) in a_chunks.zip(b_chunks) {
        t = simd::load(x).mul_add(simd::load(y), t);
    }
    a_tail
        .iter()
        .zip(b_tail)
        .fold(t.reduce_add(), |s, (&x, &y)| x.mul_add(y, s))
}

/// `sum_{p < k} a[p * a_step] b[p * b_step]`, one FMA per `p` in order (the scalar form).
///
/// # Safety
/// The `k` strided elements from `a` and from `b` must be readable.
unsafe fn scalar_sum(a: *const f32, a_step: usize, b: *const f32, b_step: usize, k: usize) -> f32 {
    let mut s = 0.0f32;
    for p in 0..k {
        // SAFETY: `p < k`, forwarded from the caller.
        s = unsafe { (*a.add(p * a_step)).mul_add(*b.add(p * b_step), s) };
    }
    s
}
