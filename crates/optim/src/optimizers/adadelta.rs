//! Adadelta.
//!
//! References: Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method";
//! `torch.optim.Adadelta`, single-tensor path:
//!
//! ```text
//! g     = grad + weight_decay * p                           (coupled L2)
//! v     = rho * v + (1 - rho) * g^2
//! delta = sqrt(u + eps) / sqrt(v + eps) * g
//! u     = rho * u + (1 - rho) * delta^2
//! p     = p - lr * delta
//! ```
//!
//! Where libraries differ: eps sits *inside* both square roots (as in the paper); PyTorch adds
//! an `lr` factor the paper does not have (default 1.0, which recovers the paper).

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::lanes::l2_decay;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.Adadelta`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Adadelta {
    /// Default 0.9.
    pub rho: f64,
    /// Default 1e-6.
    pub eps: f32,
}

#[derive(Clone, Copy)]
pub(crate) struct AdadeltaConsts {
    lr: f32,
    weight_decay: f32,
}

impl Adadelta {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Adadelta, Common), OptimError> {
        let rho = r.unit_interval("rho", 0.9)?;
        let eps = r.non_negative("eps", 1e-6)? as f32;
        let common = Common::read(r, 0.0)?;
        Ok((Adadelta { rho, eps }, common))
    }
}

impl Rule for Adadelta {
    type Consts = AdadeltaConsts;
    const NAME: &'static str = "Adadelta";

    fn state_count(&self) -> usize {
        2
    }

    fn consts(&self, _step: u64, lr: f32, weight_decay: f32) -> AdadeltaConsts {
        AdadeltaConsts { lr, weight_decay }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &AdadeltaConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = l2_decay(c.weight_decay, *p, g);
        let rho = f32x8::splat(self.rho as f32);
        let one_minus_rho = f32x8::splat((1.0 - self.rho) as f32);
        let eps = f32x8::splat(self.eps);
        s[0] = s[0] * rho + one_minus_rho * g * g;
        let std = (s[0] + eps).sqrt();
        let delta = (s[1] + eps).sqrt() / std * g;
        s[1] = s[1] * rho + one_minus_rho * delta * delta;
        *p = delta.mul_add(f32x8::splat(-c.lr), *p);
    }
}
