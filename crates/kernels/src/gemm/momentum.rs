//! The weight gradient written straight into an SGD momentum buffer.

use super::driver::writes_once;
use super::workspace::with_product;
use super::{Op, check_shapes, native, op_dims};
use crate::elementwise::{axpy, scale};
use crate::{MatMut, MatRef, Par};

/// A momentum buffer, and what its old values are multiplied by when a gradient is folded in
/// ([`gemm_into_momentum`]; `descent_optim`'s SGD hands one out, `descent_autograd` fills it).
pub struct MomentumSink<'a> {
    /// The buffer, laid out like the parameters it belongs to.
    pub buffer: &'a mut [f32],
    /// The momentum, or 0 before the first step (the buffer then starts as the gradient).
    pub momentum: f32,
}

/// `C = op_a(A) op_b(B) + momentum * C` with `torch.optim.SGD`'s roundings: the product `G`
/// exactly as [`crate::gemm()`] with `beta = 0` writes it, then `C = G + round(momentum * C)`
/// (`buf.mul_(momentum).add_(grad)`: the product rounded first, not one FMA).
///
/// With the gradient of a weight as the product and its momentum buffer as `C`, the buffer is
/// updated as an optimizer step would update it from the stored gradient, to the bit, without
/// the gradient ever being stored: a step of SGD with momentum then moves two buffers as long
/// as the weight instead of three (see `descent_optim::Optimizer::momentum_sink`).
///
/// When every element of `C` is written once, from its whole sum (the direct kernel, or a
/// depth up to one block without depth halves), the GEMM's own write-back applies the momentum
/// (it rounds `beta * C` first for this reason). Deeper products accumulate `C` block by
/// block, so `G` is then computed into a thread-local buffer and added in a second pass.
/// `momentum = 0` overwrites `C` with `G` (even NaN in `C` is ignored).
#[allow(clippy::too_many_arguments)]
pub fn gemm_into_momentum(
    mut c: MatMut<'_>,
    momentum: f32,
    a: MatRef<'_>,
    op_a: Op,
    b: MatRef<'_>,
    op_b: Op,
    par: Par,
) {
    check_shapes(&c, a, op_a, b, op_b);
    let (m, n, k) = (c.rows(), c.cols(), op_dims(a, op_a).1);
    if momentum == 0.0 || writes_once(m, n, k) {
        native(c, momentum, 1.0, a, op_a, b, op_b, None, par);
        return;
    }
    with_product(m * n, |g| {
        native(
            MatMut::contiguous(g, m, n),
            0.0,
            1.0,
            a,
            op_a,
            b,
            op_b,
            None,
            par,
        );
        let rs = c.row_stride();
        let data = c.data_mut();
        for (i, g_row) in g.chunks_exact(n).enumerate() {
            // round(momentum * C), then + G (an FMA with factor 1: one rounding of the sum).
            let c_row = &mut data[i * rs..i * rs + n];
            scale(momentum, c_row);
            axpy(1.0, g_row, c_row);
        }
    });
}
