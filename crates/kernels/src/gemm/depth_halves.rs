//! Deep, narrow products as two depth halves: `C = f(P0 + P1 + bias)`.

use super::KC;
use super::driver::{Problem, run_output_blocks};
use super::operand::Output;
use super::workspace::with_depth_half;
use crate::Activation;
use crate::elementwise::{activate_in_place, axpy};

/// Products at least this deep, and at least 4x deeper than wide and tall, are computed as two
/// depth halves ([`run`]).
const DEPTH_SPLIT_MIN_K: usize = 2 * KC;

/// Whether an `m x n x k` product is computed as two depth halves: when it is deep and narrow
/// (the first layer of an MLP at small batches: `32 x 784 x 128`). A function of the shape only.
pub(super) fn applies(m: usize, n: usize, k: usize) -> bool {
    k >= DEPTH_SPLIT_MIN_K && k >= 4 * m.max(n)
}

/// `C = f(P0 + P1 + bias)` with `P0 = alpha A[:, ..k0] B[..k0, :] + beta C` computed in place,
/// `P1 = alpha A[:, k0..] B[k0.., :]` into a scratch buffer, `k0 = k / 2`, each by the usual
/// loop nest, then one pass that adds them and applies the epilogue.
///
/// On two threads each task reads one half of B's rows. For a layer's forward `X W` that is a
/// contiguous half of the weight: the half the same thread's share of the weight gradient
/// (`X^T dZ`, split by rows) and of the optimizer step (a contiguous range) has just written,
/// so the weight stays in that core's cache instead of crossing between the cores. The halves
/// and their sum are the same at any thread count, so the result is too.
pub(super) fn run(p: &Problem<'_>, tasks: usize, wide: bool) {
    let k0 = p.k / 2;
    with_depth_half(p.m * p.n, |second| {
        let first_half = Problem {
            k: k0,
            a: p.a.offset(0, 0, p.m, k0),
            b: p.b.offset(0, 0, k0, p.n),
            epilogue: None,
            ..*p
        };
        let second_half = Problem {
            k: p.k - k0,
            a: p.a.offset(0, k0, p.m, p.k - k0),
            b: p.b.offset(k0, 0, p.k - k0, p.n),
            c: Output {
                ptr: second.as_mut_ptr(),
                rs: p.n,
            },
            beta: 0.0,
            epilogue: None,
            ..*p
        };
        if tasks >= 2 {
            crate::join_split(
                || run_output_blocks(&first_half, tasks / 2, wide),
                || run_output_blocks(&second_half, tasks - tasks / 2, wide),
            );
        } else {
            run_output_blocks(&first_half, 1, wide);
            run_output_blocks(&second_half, 1, wide);
        }
        add_depth_half(p, second);
    });
}

/// `C = f((C + second) + bias)`: the roundings of a tile's write-back with `alpha = beta = 1`,
/// through the element-wise kernels (calling the write-back's own helpers from here changed how
/// the compiler built the tile kernels: the `784 x 128 x 32` weight gradient ran 12% slower).
fn add_depth_half(p: &Problem<'_>, second: &[f32]) {
    let (bias, act) = p.epilogue.unwrap_or((None, Activation::Identity));
    for (i, second_row) in second.chunks_exact(p.n).enumerate() {
        // SAFETY: row `i` of C has `n` elements, and nothing else refers to C during the GEMM.
        let row = unsafe { std::slice::from_raw_parts_mut(p.c.at(i, 0), p.n) };
        axpy(1.0, second_row, row);
        if let Some(bias) = bias {
            axpy(1.0, bias, row);
        }
        if act != Activation::Identity {
            activate_in_place(act, row);
        }
    }
}
