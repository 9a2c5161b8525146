//! RAdam (rectified Adam), with optional decoupled weight decay.
//!
//! References: Liu et al. (2020), "On the Variance of the Adaptive Learning Rate and Beyond";
//! `torch.optim.RAdam`, single-tensor path. For step t (1-based), with b1, b2 = betas:
//!
//! ```text
//! g      = grad + weight_decay * p        (coupled L2), or
//! p      = p * (1 - lr * weight_decay)    (decoupled_weight_decay, RAdamW)
//! m      = m + (1 - b1) * (g - m)
//! v      = b2 * v + (1 - b2) * g^2
//! rho_inf = 2 / (1 - b2) - 1
//! rho_t  = rho_inf - 2 t b2^t / (1 - b2^t)
//! r_t    = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//! p      = p - m / (1 - b1^t) * lr * sqrt(1 - b2^t) / (sqrt(v) + eps) * r_t    if rho_t > 5
//! p      = p - m / (1 - b1^t) * lr                                             otherwise
//! ```
//!
//! Where libraries differ: the switch to the rectified update at `rho_t > 5` is PyTorch's (the
//! paper's Algorithm 2 uses `rho_t > 4`; the authors' code uses 5 and, optionally, skips the
//! un-rectified SGD steps entirely). eps is added outside the square root of the uncorrected v.

use wide::f32x8;

use super::moments::{apply_decay, update_moments};
use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.RAdam`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Radam {
    /// Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// Default 1e-8.
    pub eps: f32,
    /// Default false.
    pub decoupled: bool,
}

#[derive(Clone, Copy)]
pub(crate) struct RadamConsts {
    lr: f32,
    /// `1 - b1^t`.
    bc1: f32,
    /// `sqrt(1 - b2^t)` and `r_t`, when the rectified update applies.
    rectified: Option<(f32, f32)>,
    /// `1 - lr * weight_decay` (decoupled) or the coupled decay.
    decay: f32,
}

impl Radam {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Radam, Common), OptimError> {
        let betas = r.betas("betas", (0.9, 0.999))?;
        let eps = r.non_negative("eps", 1e-8)? as f32;
        let decoupled = r.boolean("decoupled_weight_decay", false)?;
        let common = Common::read(r, 0.0)?;
        Ok((
            Radam {
                betas,
                eps,
                decoupled,
            },
            common,
        ))
    }
}

impl Rule for Radam {
    type Consts = RadamConsts;
    const NAME: &'static str = "RAdam";

    fn state_count(&self) -> usize {
        2
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> RadamConsts {
        let t = step as f64;
        let (b1, b2) = self.betas;
        let bc2 = 1.0 - b2.powf(t);
        let rho_inf = 2.0 / (1.0 - b2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * b2.powf(t) / bc2;
        let rectified = (rho_t > 5.0).then(|| {
            let r = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .sqrt();
            (bc2.sqrt() as f32, r as f32)
        });
        let decay = f64::from(weight_decay);
        RadamConsts {
            lr,
            bc1: (1.0 - b1.powf(t)) as f32,
            rectified,
            decay: if self.decoupled {
                (1.0 - f64::from(lr) * decay) as f32
            } else {
                decay as f32
            },
        }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &RadamConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = apply_decay(self.decoupled, c.decay, p, g);
        update_moments(self.betas, s, g);
        let scaled = s[0] / f32x8::splat(c.bc1) * f32x8::splat(c.lr);
        *p -= match c.rectified {
            Some((bc2_sqrt, rect)) => {
                let adaptive = f32x8::splat(bc2_sqrt) / (s[1].sqrt() + f32x8::splat(self.eps));
                scaled * adaptive * f32x8::splat(rect)
            }
            None => scaled,
        };
    }
}
