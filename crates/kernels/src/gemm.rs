//! General matrix multiply: `C = alpha * op(A) * op(B) + beta * C`, and the fused linear-layer
//! forward `C = act(op(A) * op(B) + bias)`.
//!
//! PLACEHOLDER: a naive triple loop with the final public API; the blocked, packed SIMD
//! implementation replaces the bodies, not the signatures.

use crate::{MatMut, MatRef, Par};

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
/// overwritten (its previous contents, even NaN, are ignored).
#[allow(clippy::too_many_arguments)]
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
#[allow(clippy::too_many_arguments)]
pub fn gemm_with(
    _backend: Backend,
    mut c: MatMut<'_>,
    beta: f32,
    alpha: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    _par: Par,
) {
    let (m, k) = dims(a, op_a);
    let (k2, n) = dims(b, op_b);
    assert_eq!(k, k2, "gemm: inner dimensions differ");
    assert_eq!((c.rows(), c.cols()), (m, n), "gemm: C has the wrong shape");
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                acc += at(a, op_a, i, p) * at(b, op_b, p, j);
            }
            let prev = if beta == 0.0 { 0.0 } else { beta * c.get(i, j) };
            c.set(i, j, alpha * acc + prev);
        }
    }
}

/// Fused linear-layer forward: `C = act(op_a(A) * op_b(B) + 1 * bias^T)`, where `bias` (length
/// `n`, optional) is added to every row.
#[allow(clippy::too_many_arguments)]
pub fn linear_forward(
    mut c: MatMut<'_>,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    bias: Option<&[f32]>,
    act: Activation,
    par: Par,
) {
    gemm(c.reborrow(), 0.0, 1.0, a, op_a, b, op_b, par);
    for i in 0..c.rows() {
        let row = c.row_mut(i);
        if let Some(bias) = bias {
            for (x, b) in row.iter_mut().zip(bias) {
                *x += b;
            }
        }
        crate::elementwise::activate_in_place(act, row);
    }
}

fn dims(x: MatRef<'_>, op: Op) -> (usize, usize) {
    match op {
        Op::Identity => (x.rows(), x.cols()),
        Op::Transpose => (x.cols(), x.rows()),
    }
}

fn at(x: MatRef<'_>, op: Op, i: usize, j: usize) -> f32 {
    match op {
        Op::Identity => x.get(i, j),
        Op::Transpose => x.get(j, i),
    }
}
