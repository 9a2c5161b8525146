//! Adam and AdamW (with optional AMSGrad).
//!
//! References: Kingma & Ba (2015), "Adam"; Loshchilov & Hutter (2019), "Decoupled Weight Decay
//! Regularization"; Reddi et al. (2018), AMSGrad; `torch.optim.Adam` / `torch.optim.AdamW`,
//! single-tensor path. For step t (1-based), with b1, b2 = betas:
//!
//! ```text
//! Adam:  g = grad + weight_decay * p                 (coupled L2)
//! AdamW: p = p * (1 - lr * weight_decay)             (decoupled, scaled by lr)
//! m = m + (1 - b1) * (g - m)                         (lerp, = b1 m + (1 - b1) g)
//! v = b2 * v + (1 - b2) * g^2
//! v_max = max(v_max, v)                              (AMSGrad only; v is used otherwise)
//! denom = sqrt(v_max or v) / sqrt(1 - b2^t) + eps
//! p = p - lr / (1 - b1^t) * m / denom
//! ```
//!
//! Where libraries differ: eps is added *outside* the square root and *after* the bias
//! correction of v (the paper's `eps-hat` form; Keras/TF1 add eps to the uncorrected sqrt(v)).
//! AMSGrad takes its max over the *uncorrected* v and then bias-corrects the max with the
//! current step's factor (PyTorch; the AMSGrad paper has no bias correction at all). AdamW decays
//! by `lr * weight_decay` (PyTorch's scaling; the paper's `eta_t * lambda` uses the schedule
//! multiplier only, and Optax's `add_decayed_weights` is scaled by the lr too). The bias
//! corrections are computed in f64 and rounded once, as PyTorch's Python scalars are.

use wide::f32x8;

use super::moments::update_moments;
use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.Adam`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Adam {
    /// Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// Default 1e-8.
    pub eps: f32,
    /// Default false.
    pub amsgrad: bool,
    /// False for Adam (coupled L2 decay), true for AdamW.
    pub decoupled: bool,
}

/// [`Rule::switches`] bits: decoupled decay (AdamW), coupled decay on, AMSGrad.
const DECOUPLED: Switches = 1;
const COUPLED_DECAY: Switches = 2;
const AMSGRAD: Switches = 4;

#[derive(Clone, Copy)]
pub(crate) struct AdamConsts {
    /// `lr / (1 - b1^t)`.
    step_size: f32,
    /// `sqrt(1 - b2^t)`.
    bc2_sqrt: f32,
    /// `1 - lr * weight_decay` (AdamW) or the coupled decay (Adam).
    decay: f32,
}

impl Adam {
    /// Reads Adam's (`decoupled` false) or AdamW's hyperparameters.
    pub(crate) fn read(
        r: &mut HyperReader<'_>,
        decoupled: bool,
    ) -> Result<(Adam, Common), OptimError> {
        let betas = r.betas("betas", (0.9, 0.999))?;
        let eps = r.non_negative("eps", 1e-8)? as f32;
        let amsgrad = r.boolean("amsgrad", false)?;
        let common = Common::read(r, if decoupled { 1e-2 } else { 0.0 })?;
        Ok((
            Adam {
                betas,
                eps,
                amsgrad,
                decoupled,
            },
            common,
        ))
    }
}

impl Rule for Adam {
    type Consts = AdamConsts;
    const NAME: &'static str = "Adam";

    fn state_count(&self) -> usize {
        2 + usize::from(self.amsgrad)
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> AdamConsts {
        let t = step as f64;
        let lr = f64::from(lr);
        let weight_decay = f64::from(weight_decay);
        AdamConsts {
            step_size: (lr / (1.0 - self.betas.0.powf(t))) as f32,
            bc2_sqrt: (1.0 - self.betas.1.powf(t)).sqrt() as f32,
            decay: if self.decoupled {
                (1.0 - lr * weight_decay) as f32
            } else {
                weight_decay as f32
            },
        }
    }

    const SWITCH_BITS: u32 = 3;

    fn switches(&self, c: &AdamConsts) -> Switches {
        let decay = if self.decoupled {
            DECOUPLED
        } else if c.decay != 0.0 {
            COUPLED_DECAY
        } else {
            0
        };
        decay | if self.amsgrad { AMSGRAD } else { 0 }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &AdamConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = if S & DECOUPLED != 0 {
            *p *= f32x8::splat(c.decay);
            g
        } else if S & COUPLED_DECAY != 0 {
            p.mul_add(f32x8::splat(c.decay), g)
        } else {
            g
        };
        update_moments(self.betas, s, g);
        let second = if S & AMSGRAD != 0 {
            s[2] = s[2].max(s[1]);
            s[2]
        } else {
            s[1]
        };
        let denom = second.sqrt() / f32x8::splat(c.bc2_sqrt) + f32x8::splat(self.eps);
        *p += f32x8::splat(-c.step_size) * (s[0] / denom);
    }
}
