//! The direct training step of a linear model: an [`crate::Mlp`] without hidden layers (linear,
//! logistic or softmax regression).
//!
//! `Z = X W + 1 b`, the loss and `dZ = dL/dZ`, then `dW = X^T dZ` and `db = 1^T dZ`: the kernels
//! and loss functions the tape runs for the same graph, on the same operands in the same order,
//! so the loss and the gradient equal the tape's to the bit (tested). Only the recording is
//! skipped: for a tutorial-sized problem (100 rows, 2 parameters) recording and sweeping the
//! graph's six nodes cost as much as its arithmetic.

use descent_kernels::elementwise::col_sums;
use descent_kernels::{Activation, MatMut, MatRef, Op, Par, gemm, linear_forward};

use crate::loss::{
    self, Loss, Targets, bce_grad, cross_entropy_grad, cross_entropy_labels, mse_grad,
    target_values,
};
use crate::{Linear, Tape};

/// Buffers of the direct step, reused across steps (nothing is allocated after the first step
/// with the largest batch).
#[derive(Clone, Debug, Default)]
pub(crate) struct LinearStep {
    /// `Z`, `rows x outputs`.
    z: Vec<f32>,
    /// `dL/dZ`.
    dz: Vec<f32>,
    /// Class labels encoded as regression targets (MSE and BCE).
    encoded: Vec<f32>,
    /// Row-wise log-softmax of `Z` (cross-entropy).
    log_probs: Vec<f32>,
}

impl LinearStep {
    /// The mean loss of the single `layer` (identity activation; parameters and gradients on
    /// `tape`) on `rows` inputs `x` (`rows x inputs`, row-major); overwrites the layer's
    /// gradients.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn loss_and_grad(
        &mut self,
        tape: &mut Tape,
        layer: &Linear,
        loss: Loss,
        x: &[f32],
        rows: usize,
        targets: Targets<'_>,
        par: Par,
    ) -> f32 {
        let (n_in, n_out) = (layer.in_features, layer.out_features);
        assert_eq!(x.len(), rows * n_in, "x is not {rows}x{n_in}");
        debug_assert_eq!(layer.activation, Activation::Identity);
        let (w, b) = (tape.param_range(layer.weight), tape.param_range(layer.bias));
        debug_assert_eq!(w.end, b.start, "the bias follows the weight");
        let x = MatRef::contiguous(x, rows, n_in);
        let len = rows * n_out;
        self.z.resize(len, 0.0);
        let params = tape.params();
        linear_forward(
            MatMut::contiguous(&mut self.z, rows, n_out),
            x,
            Op::Identity,
            MatRef::contiguous(&params[w.clone()], n_in, n_out),
            Op::Identity,
            Some(&params[b.clone()]),
            Activation::Identity,
            par,
        );
        self.dz.resize(len, 0.0);
        let value = if let Some(labels) = cross_entropy_labels(loss, targets) {
            let z = MatRef::contiguous(&self.z, rows, n_out);
            let value = loss::cross_entropy(z, labels, &mut self.log_probs);
            cross_entropy_grad(1.0, &self.log_probs, labels, &mut self.dz, false);
            value
        } else {
            let t = target_values(targets, rows, n_out, &mut self.encoded);
            let z = &self.z;
            if loss == Loss::Mse {
                mse_grad(1.0, z, t, &mut self.dz, false);
                loss::mse(z, t)
            } else {
                bce_grad(1.0, z, t, &mut self.dz, false);
                loss::bce_with_logits(z, t)
            }
        };
        let dz = MatRef::contiguous(&self.dz, rows, n_out);
        let (_, grads) = tape.params_and_grads_mut();
        let (dw, db) = grads[w.start..b.end].split_at_mut(w.len());
        col_sums(dz, db);
        gemm(
            MatMut::contiguous(dw, n_in, n_out),
            0.0,
            1.0,
            x,
            Op::Transpose,
            dz,
            Op::Identity,
            par,
        );
        value
    }
}
