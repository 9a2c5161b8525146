//! The naive triple loop, accumulating in f64: the test oracle and the benches' baseline.

use crate::{MatMut, MatRef, Op};

/// `C = alpha * op_a(A) * op_b(B) + beta * C` with every dot product `sum_p A[i,p] B[p,j]`
/// accumulated in f64 and rounded once (beta == 0 ignores the old `C`, even NaN).
#[allow(clippy::too_many_arguments)]
pub fn gemm_reference(
    mut c: MatMut<'_>,
    beta: f32,
    alpha: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
) {
    let (m, k) = super::op_dims(a, op_a);
    let (k2, n) = super::op_dims(b, op_b);
    assert_eq!(k, k2, "gemm_reference: inner dimensions differ");
    assert_eq!(
        (c.rows(), c.cols()),
        (m, n),
        "gemm_reference: C has the wrong shape"
    );
    let at = |x: MatRef<'_>, op: Op, i: usize, j: usize| match op {
        Op::Identity => x.get(i, j),
        Op::Transpose => x.get(j, i),
    };
    for i in 0..m {
        for j in 0..n {
            let dot: f64 = (0..k)
                .map(|p| f64::from(at(a, op_a, i, p)) * f64::from(at(b, op_b, p, j)))
                .sum();
            let old = if beta == 0.0 {
                0.0
            } else {
                f64::from(beta) * f64::from(c.get(i, j))
            };
            c.set(i, j, (f64::from(alpha) * dot + old) as f32);
        }
    }
}
