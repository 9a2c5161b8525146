//! General matrix multiply: `C = alpha * op(A) * op(B) + beta * C`, and the fused linear-layer
//! forward `C = act(op(A) * op(B) + bias)`.
//!
//! The native backend is BLIS-style (`gemm/driver.rs`): B is packed in `KC x NC` blocks of
//! NR-wide panels, A in `MC x KC` blocks of MR-tall panels, and a `6 x 16` register-tile
//! micro-kernel on `wide::f32x8` FMAs (`gemm/microkernel.rs`) computes each tile of `C`. Packing
//! zero-pads the edges, so the bulk of every shape runs on full tiles; edge tiles run a kernel
//! with fewer rows and write back only their valid part (masked edge loads, split stores).
//! Where packing cannot pay off it is skipped: A is read in place when `n <= 64` (each A
//! element then feeds at most 4 panels) or when `n <= 256`, `k >= 16` and its rows are
//! contiguous, the product runs as one task, or its block fits in 32 KiB (it stays in L1);
//! full-width panels of a row-major B are read in place by blocks of at most 64 rows.
//!
//! Blocking for Zen 3 / AVX2 (32 KiB L1d, 512 KiB L2 per core): a B micro-panel
//! (`KC x NR` = 16 KiB) and an A micro-panel (6 KiB) stay in L1, the A block (`MC x KC` =
//! 144 KiB) in L2, the B block (`KC x NC` = 3 MiB) in L3. The depth is cut into equal blocks of
//! at most KC (784 -> 4 x 196), so no block is too thin to amortise its write-back.
//!
//! On CPUs with AVX-512F (detected at run time; the build targets AVX2), the tiles run on zmm
//! registers (`gemm/zmm_kernel.rs`): neighbouring pairs of full B panels as one `6 x 32` tile in
//! 12 accumulators, a single (or edge) panel as `6 x 16` in 6. They issue the same FMAs per
//! element in the same order as the AVX2 tiles, so `C` is bit-identical with or without them,
//! and results stay reproducible across machines. `DESCENT_GEMM_AVX512=0` turns them off.
//!
//! Parallelism (`Par::Rayon(t)`): up to `t` tasks over blocks of rows (or of columns when C is
//! wider than tall), each running the whole loop nest with its own thread-local buffers; at
//! most one task per 2^18 multiply-adds, so small problems stay on one thread. Deep, narrow
//! products (`k >= 512` and `k >= 4 max(m, n)`: an MLP's first layer at small batches) are
//! computed as two depth halves added at the end (`gemm/depth_halves.rs`), on every thread
//! count alike; on two threads each half reads its own contiguous half of B.
mod depth_halves;
mod driver;
mod faer_backend;
mod microkernel;
mod momentum;
mod operand;
mod pack;
mod reference;
mod small;
mod workspace;
mod zmm_kernel;

pub use momentum::{MomentumSink, gemm_into_momentum};
pub use reference::gemm_reference;

use crate::{MatMut, MatRef, Par};
use driver::Problem;
use operand::{Operand, Output};

/// Micro-tile rows.
const MR: usize = 6;
/// Micro-tile columns (two `f32x8`).
const NR: usize = 16;
/// Depth of a packed block.
const KC: usize = 256;
/// Rows of a packed A block (a multiple of MR).
const MC: usize = 144;
/// Columns of a packed B block (a multiple of NR).
const NC: usize = 3072;

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `op(X) = X`
    Identity,
    /// `op(X) = X^T`
    Transpose,
}

/// Elementwise activation applied in the GEMM epilogue and by the elementwise kernels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `f(x) = x`
    Identity,
    /// `f(x) = max(x, 0)`
    Relu,
    /// `f(x) = x` for `x > 0`, else `slope * x`
    LeakyRelu(f32),
    /// `f(x) = 1 / (1 + e^-x)`
    Sigmoid,
    /// `f(x) = tanh(x)`
    Tanh,
}

/// Which implementation runs a GEMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// descent's own blocked, packed SIMD kernel.
    Native,
    /// faer's matmul, as a reference and for comparison.
    Faer,
}

/// `C = alpha * op_a(A) * op_b(B) + beta * C` on the native backend.
///
/// Shapes: `op_a(A)` is `m x k`, `op_b(B)` is `k x n`, `C` is `m x n`. When `beta == 0`, `C` is
/// overwritten (its previous contents, even NaN, are ignored); otherwise `beta * C` is rounded
/// before it is added (two roundings, as PyTorch's `mul_` then `add_`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn gemm(
    c: MatMut<'_>,
    beta: f32,
    alpha: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    par: Par,
) {
    gemm_with(Backend::Native, c, beta, alpha, a, op_a, b, op_b, par);
}

/// [`gemm`] on the chosen backend.
///
/// Both backends are deterministic for a given thread count; the native one is also
/// bit-identical across thread counts (it never splits the depth `k`).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn gemm_with(
    backend: Backend,
    c: MatMut<'_>,
    beta: f32,
    alpha: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    par: Par,
) {
    check_shapes(&c, a, op_a, b, op_b);
    match backend {
        Backend::Native => native(c, beta, alpha, a, op_a, b, op_b, None, par),
        Backend::Faer => faer_backend::gemm_faer(c, beta, alpha, a, op_a, b, op_b, par),
    }
}

/// How many parallel tasks the native [`gemm`] runs an `m x n x k` product on with `par`: a
/// function of the shape and `par` only (1 for products too small to split), so benchmarks can
/// tell which shapes take the same single-thread path at every thread count.
pub fn gemm_tasks(m: usize, n: usize, k: usize, par: Par) -> usize {
    driver::task_count(m, n, k, par)
}

/// The tile kernels the native GEMM runs on this CPU, for reports: AVX-512 or AVX2.
pub fn gemm_kernel_name() -> &'static str {
    if zmm_kernel::enabled() {
        "AVX-512 6x32 / 6x16 tiles"
    } else {
        "AVX2 6x16 tiles"
    }
}

/// Fused linear-layer forward: `C = act(op_a(A) * op_b(B) + 1 * bias^T)`, where `bias` (length
/// `n`, optional) is added to every row.
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn linear_forward(
    c: MatMut<'_>,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    bias: Option<&[f32]>,
    act: Activation,
    par: Par,
) {
    check_shapes(&c, a, op_a, b, op_b);
    if let Some(bias) = bias {
        assert_eq!(
            bias.len(),
            c.cols(),
            "linear_forward: bias length != columns of C"
        );
    }
    native(c, 0.0, 1.0, a, op_a, b, op_b, Some((bias, act)), par);
}

/// The native backend; `epilogue` (bias, activation) is applied to each tile of C right after
/// its last depth block, while the tile is still in registers.
///
/// Inlined into its callers: called, its wide loads of the operand descriptors the caller had
/// just stored field by field stalled on store forwarding (a third of a tiny product's time).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn native(
    mut c: MatMut<'_>,
    beta: f32,
    alpha: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    epilogue: Option<(Option<&[f32]>, Activation)>,
    par: Par,
) {
    let (m, n, rs) = (c.rows(), c.cols(), c.row_stride());
    let (a, b) = (Operand::new(a, op_a), Operand::new(b, op_b));
    let problem = Problem {
        m,
        n,
        k: a.cols,
        a,
        b,
        c: Output {
            ptr: c.data_mut().as_mut_ptr(),
            rs,
        },
        alpha,
        beta,
        epilogue,
    };
    driver::run(&problem, par);
}

fn check_shapes(c: &MatMut<'_>, a: MatRef<'_>, op_a: Op, b: MatRef<'_>, op_b: Op) {
    let (m, k) = op_dims(a, op_a);
    let (k2, n) = op_dims(b, op_b);
    assert_eq!(k, k2, "gemm: inner dimensions differ");
    assert_eq!((c.rows(), c.cols()), (m, n), "gemm: C has the wrong shape");
}

/// `(rows, cols)` of `op(x)`.
fn op_dims(x: MatRef<'_>, op: Op) -> (usize, usize) {
    match op {
        Op::Identity => (x.rows(), x.cols()),
        Op::Transpose => (x.cols(), x.rows()),
    }
}
