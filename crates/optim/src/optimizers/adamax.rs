//! Adamax, Adam's infinity-norm variant.
//!
//! References: Kingma & Ba (2015), section 7.1; `torch.optim.Adamax`, single-tensor path. For
//! step t (1-based), with b1, b2 = betas:
//!
//! ```text
//! g = grad + weight_decay * p                       (coupled L2)
//! m = m + (1 - b1) * (g - m)
//! u = max(b2 * u, |g| + eps)
//! p = p - lr / (1 - b1^t) * m / u
//! ```
//!
//! Where libraries differ: PyTorch (and this) put eps *inside* the max, on |g| (TF/Keras add it
//! to the denominator after the max).

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::lanes::l2_decay;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.Adamax`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Adamax {
    /// Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// Default 1e-8.
    pub eps: f32,
}

#[derive(Clone, Copy)]
pub(crate) struct AdamaxConsts {
    /// `lr / (1 - b1^t)`.
    clr: f32,
    weight_decay: f32,
}

impl Adamax {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Adamax, Common), OptimError> {
        let betas = r.betas("betas", (0.9, 0.999))?;
        let eps = r.non_negative("eps", 1e-8)? as f32;
        let common = Common::read(r, 0.0)?;
        Ok((Adamax { betas, eps }, common))
    }
}

impl Rule for Adamax {
    type Consts = AdamaxConsts;
    const NAME: &'static str = "Adamax";

    fn state_count(&self) -> usize {
        2
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> AdamaxConsts {
        let clr = f64::from(lr) / (1.0 - self.betas.0.powf(step as f64));
        AdamaxConsts {
            clr: clr as f32,
            weight_decay,
        }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &AdamaxConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = l2_decay(c.weight_decay, *p, g);
        s[0] = (g - s[0]).mul_add(f32x8::splat((1.0 - self.betas.0) as f32), s[0]);
        s[1] = (s[1] * f32x8::splat(self.betas.1 as f32)).max(g.abs() + f32x8::splat(self.eps));
        *p += f32x8::splat(-c.clr) * (s[0] / s[1]);
    }
}
