//! Layers: parameter handles on a [`Tape`] plus the ops they record.

use descent_kernels::Activation;
use descent_rng::Rng;

use crate::{Init, ParamId, Tape, Var};

/// A fully connected layer `Y = f(X W + 1 b)` with `W` stored `[in x out]` and `b` `[1 x out]`,
/// recorded as one fused [`crate::Op::Linear`] node.
#[derive(Clone, Copy, Debug)]
pub struct Linear {
    pub weight: ParamId,
    pub bias: ParamId,
    pub activation: Activation,
    pub in_features: usize,
    pub out_features: usize,
}

impl Linear {
    /// Registers the layer's parameters on `tape` and initialises them with `init` from `rng`.
    pub fn new(
        tape: &mut Tape,
        in_features: usize,
        out_features: usize,
        activation: Activation,
        init: Init,
        rng: &mut Rng,
    ) -> Self {
        let weight = tape.add_param(in_features, out_features);
        let bias = tape.add_param(1, out_features);
        let (w, b) = (tape.param_range(weight), tape.param_range(bias));
        // The bias directly follows the weight in the flat buffer.
        let (ws, bs) = tape.params_mut()[w.start..b.end].split_at_mut(w.len());
        init.fill(ws, bs, in_features, rng);
        Self {
            weight,
            bias,
            activation,
            in_features,
            out_features,
        }
    }

    /// Records `f(x W + 1 b)` for `x` of shape `[B x in]`.
    pub fn forward(&self, tape: &mut Tape, x: Var) -> Var {
        let w = tape.param(self.weight);
        let b = tape.param(self.bias);
        tape.linear(x, w, Some(b), self.activation)
    }
}
