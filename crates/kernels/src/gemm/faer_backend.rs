//! [`Backend::Faer`](crate::Backend::Faer): the same call on faer's `matmul`, for comparison
//! and as a test oracle.

use crate::{MatMut, MatRef, Op, Par};
use faer::Accum;

/// `C = alpha * op_a(A) * op_b(B) + beta * C` with faer (shapes already checked).
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_faer(
    mut c: MatMut<'_>,
    beta: f32,
    alpha: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    par: Par,
) {
    if beta != 0.0 && beta != 1.0 {
        for i in 0..c.rows() {
            crate::elementwise::scale(beta, c.row_mut(i));
        }
    }
    let accum = if beta == 0.0 {
        Accum::Replace
    } else {
        Accum::Add
    };
    let (rows, cols, rs) = (c.rows(), c.cols(), c.row_stride());
    // SAFETY: the views were bounds-checked at construction: element (i, j) lives at
    // `i * row_stride + j` inside the borrowed slice, and `c` is borrowed exclusively.
    let (c, a, b) = unsafe {
        (
            faer::MatMut::from_raw_parts_mut(c.data_mut().as_mut_ptr(), rows, cols, rs as isize, 1),
            view(a, op_a),
            view(b, op_b),
        )
    };
    let par = match par {
        Par::Seq => faer::Par::Seq,
        Par::Rayon(n) => faer::Par::rayon(n.max(1)),
    };
    faer::linalg::matmul::matmul(c, accum, a, b, alpha, par);
}

/// `op(x)` as a faer view.
///
/// # Safety
/// `x` must be a valid view (guaranteed by [`MatRef::new`]).
unsafe fn view(x: MatRef<'_>, op: Op) -> faer::MatRef<'_, f32> {
    let (ptr, rows, cols, rs) = (x.data().as_ptr(), x.rows(), x.cols(), x.row_stride());
    // SAFETY: see the caller.
    let v = unsafe { faer::MatRef::from_raw_parts(ptr, rows, cols, rs as isize, 1) };
    match op {
        Op::Identity => v,
        Op::Transpose => v.transpose(),
    }
}
