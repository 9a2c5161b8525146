//! NAdam (Adam with Nesterov momentum), with optional decoupled weight decay.
//!
//! References: Dozat (2016), "Incorporating Nesterov Momentum into Adam"; `torch.optim.NAdam`,
//! single-tensor path. For step t (1-based), with b1, b2 = betas and psi = momentum_decay:
//!
//! ```text
//! g     = grad + weight_decay * p         (coupled L2), or
//! p     = p * (1 - lr * weight_decay)     (decoupled_weight_decay, NAdamW)
//! mu_t  = b1 * (1 - 0.5 * 0.96^(t * psi))
//! P_t   = P_{t-1} * mu_t                  (P_0 = 1, kept in f32 as PyTorch's state tensor is)
//! m     = m + (1 - b1) * (g - m)
//! v     = b2 * v + (1 - b2) * g^2
//! den   = sqrt(v / (1 - b2^t)) + eps
//! p     = p - lr * (1 - mu_t) / (1 - P_t) * g / den
//! p     = p - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / den
//! ```
//!
//! Where libraries differ: the momentum schedule `mu_t` (Dozat's 0.96^(t psi) warm-up) and the
//! product of all past mu in the bias correction follow PyTorch and the paper; Keras's Nadam
//! uses the same schedule, while Optax's `nadam` uses a constant b1 (no schedule). eps is added
//! outside the square root, after bias correction.

use wide::f32x8;

use super::moments::{apply_decay, update_moments};
use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.NAdam`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Nadam {
    /// Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// Default 1e-8.
    pub eps: f32,
    /// Default 4e-3.
    pub momentum_decay: f64,
    /// Default false.
    pub decoupled: bool,
    /// Product of mu_1..mu_t after `begin_step(t)` (f32, like PyTorch's `mu_product`).
    mu_product: f32,
}

#[derive(Clone, Copy)]
pub(crate) struct NadamConsts {
    /// `-lr (1 - mu_t) / (1 - P_t)`.
    grad_coef: f32,
    /// `-lr mu_{t+1} / (1 - P_t mu_{t+1})`.
    avg_coef: f32,
    /// `1 - b2^t`.
    bc2: f32,
    /// `1 - lr * weight_decay` (decoupled) or the coupled decay.
    decay: f32,
}

impl Nadam {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Nadam, Common), OptimError> {
        let betas = r.betas("betas", (0.9, 0.999))?;
        let eps = r.non_negative("eps", 1e-8)? as f32;
        let momentum_decay = r.non_negative("momentum_decay", 4e-3)?;
        let decoupled = r.boolean("decoupled_weight_decay", false)?;
        let common = Common::read(r, 0.0)?;
        Ok((
            Nadam {
                betas,
                eps,
                momentum_decay,
                decoupled,
                mu_product: 1.0,
            },
            common,
        ))
    }

    fn mu(&self, t: f64) -> f64 {
        self.betas.0 * (1.0 - 0.5 * 0.96f64.powf(t * self.momentum_decay))
    }
}

impl Rule for Nadam {
    type Consts = NadamConsts;
    const NAME: &'static str = "NAdam";

    fn state_count(&self) -> usize {
        2
    }

    fn begin_step(&mut self, step: u64) {
        if step == 1 {
            self.mu_product = 1.0;
        }
        self.mu_product *= self.mu(step as f64) as f32;
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> NadamConsts {
        let t = step as f64;
        let lr = f64::from(lr);
        let weight_decay = f64::from(weight_decay);
        let (mu, mu_next) = (self.mu(t), self.mu(t + 1.0));
        let product = f64::from(self.mu_product);
        NadamConsts {
            grad_coef: (-lr * (1.0 - mu) / (1.0 - product)) as f32,
            avg_coef: ((-lr * mu_next) / (1.0 - product * mu_next)) as f32,
            bc2: (1.0 - self.betas.1.powf(t)) as f32,
            decay: if self.decoupled {
                (1.0 - lr * weight_decay) as f32
            } else {
                weight_decay as f32
            },
        }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &NadamConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = apply_decay(self.decoupled, c.decay, p, g);
        update_moments(self.betas, s, g);
        let denom = (s[1] / f32x8::splat(c.bc2)).sqrt() + f32x8::splat(self.eps);
        *p += f32x8::splat(c.grad_coef) * (g / denom);
        *p += f32x8::splat(c.avg_coef) * (s[0] / denom);
    }
}
