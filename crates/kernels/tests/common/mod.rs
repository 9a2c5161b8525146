//! Shared helpers of the kernel tests: seeded random matrices and error bounds.

#![allow(dead_code)]

use descent_kernels::{Mat, MatRef, Op};
use descent_rng::Rng;

/// A `rows x cols` matrix with row stride `cols + pad`, uniform in [-1, 1); the padding holds
/// `fill` (so reads or writes outside the view show up).
pub fn strided(rows: usize, cols: usize, pad: usize, fill: f32, rng: &mut Rng) -> Vec<f32> {
    let stride = cols + pad;
    let mut data = vec![fill; rows * stride];
    for i in 0..rows {
        for v in &mut data[i * stride..i * stride + cols] {
            *v = rng.uniform_range(-1.0, 1.0);
        }
    }
    data
}

/// The stored shape `(rows, cols)` of an operand that is `r x c` after `op`.
pub fn stored(op: Op, r: usize, c: usize) -> (usize, usize) {
    match op {
        Op::Identity => (r, c),
        Op::Transpose => (c, r),
    }
}

/// Per-element bound on the f32 GEMM error: `(k + 2) u (|alpha| |A||B| + |beta| |C|)` with the
/// unit roundoff `u = 2^-24`, doubled for slack.
pub fn gemm_tolerance(
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    alpha: f32,
    beta: f32,
    c_old: &Mat,
) -> Mat {
    let abs = |x: MatRef<'_>| Mat::from_fn(x.rows(), x.cols(), |i, j| x.get(i, j).abs());
    let (aa, bb) = (abs(a), abs(b));
    let mut mag = if beta == 0.0 {
        Mat::zeros(c_old.rows(), c_old.cols())
    } else {
        abs(c_old.as_ref())
    };
    let k = match op_a {
        Op::Identity => a.cols(),
        Op::Transpose => a.rows(),
    };
    descent_kernels::gemm_reference(
        mag.as_mut(),
        beta.abs(),
        alpha.abs(),
        aa.as_ref(),
        op_a,
        bb.as_ref(),
        op_b,
    );
    let u = f32::EPSILON / 2.0;
    Mat::from_fn(mag.rows(), mag.cols(), |i, j| {
        2.0 * (k as f32 + 2.0) * u * mag.as_ref().get(i, j) + f32::MIN_POSITIVE
    })
}
