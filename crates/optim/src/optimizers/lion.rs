//! Lion (EvoLved Sign Momentum).
//!
//! Reference: Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms", Algorithm 2.
//! With b1, b2 = betas:
//!
//! ```text
//! c = b1 * m + (1 - b1) * g                  (interpolation used only for the sign)
//! p = p * (1 - lr * weight_decay)            (decoupled decay, scaled by lr)
//! p = p - lr * sign(c)
//! m = b2 * m + (1 - b2) * g                  (the momentum tracks g with the slower b2)
//! ```
//!
//! Defaults (paper): lr 1e-4, betas (0.9, 0.99), weight_decay 0. Where implementations differ:
//! the paper writes `p = p - lr * (sign(c) + wd * p)`; applying the decay first as a product is
//! the same update (the reference lion-pytorch does the same); `sign(0) = 0` as `torch.sign`.

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::lanes::sign;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of Lion; defaults are the paper's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lion {
    /// Default (0.9, 0.99).
    pub betas: (f64, f64),
}

#[derive(Clone, Copy)]
pub(crate) struct LionConsts {
    lr: f32,
    /// `1 - lr * weight_decay`.
    decay: f32,
}

impl Lion {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Lion, Common), OptimError> {
        let betas = r.betas("betas", (0.9, 0.99))?;
        let common = Common::read(r, 0.0)?;
        Ok((Lion { betas }, common))
    }
}

impl Rule for Lion {
    type Consts = LionConsts;
    const NAME: &'static str = "Lion";

    fn state_count(&self) -> usize {
        1
    }

    fn consts(&self, _step: u64, lr: f32, weight_decay: f32) -> LionConsts {
        LionConsts {
            lr,
            decay: (1.0 - f64::from(lr) * f64::from(weight_decay)) as f32,
        }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &LionConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let (b1, b2) = self.betas;
        let interpolated = s[0] * f32x8::splat(b1 as f32) + g * f32x8::splat((1.0 - b1) as f32);
        *p = *p * f32x8::splat(c.decay) - f32x8::splat(c.lr) * sign(interpolated);
        s[0] = s[0] * f32x8::splat(b2 as f32) + g * f32x8::splat((1.0 - b2) as f32);
    }
}
