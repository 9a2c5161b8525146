//! Adagrad.
//!
//! References: Duchi, Hazan & Singer (2011), "Adaptive Subgradient Methods"; `torch.optim.Adagrad`,
//! single-tensor path. For step t (1-based):
//!
//! ```text
//! g   = grad + weight_decay * p                  (coupled L2)
//! clr = lr / (1 + (t - 1) * lr_decay)
//! G   = G + g^2                                  (G starts at initial_accumulator_value)
//! p   = p - clr * g / (sqrt(G) + eps)
//! ```
//!
//! Where libraries differ: eps is added *outside* the square root; PyTorch's default eps is
//! 1e-10 and its accumulator starts at 0 (`initial_accumulator_value`), whereas Keras starts the
//! accumulator at 0.1 with eps 1e-7, and the paper has no eps at all. `lr_decay` (PyTorch only)
//! shrinks the lr as 1 / (1 + (t - 1) lr_decay).

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::lanes::l2_decay;
use crate::rule::{Common, MAX_STATES, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.Adagrad`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Adagrad {
    /// Default 0.
    pub lr_decay: f64,
    /// Default 0.
    pub initial_accumulator_value: f32,
    /// Default 1e-10.
    pub eps: f32,
}

#[derive(Clone, Copy)]
pub(crate) struct AdagradConsts {
    clr: f32,
    weight_decay: f32,
}

impl Adagrad {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Adagrad, Common), OptimError> {
        let lr_decay = r.non_negative("lr_decay", 0.0)?;
        let initial_accumulator_value = r.non_negative("initial_accumulator_value", 0.0)? as f32;
        let eps = r.non_negative("eps", 1e-10)? as f32;
        let common = Common::read(r, 0.0)?;
        Ok((
            Adagrad {
                lr_decay,
                initial_accumulator_value,
                eps,
            },
            common,
        ))
    }
}

impl Rule for Adagrad {
    type Consts = AdagradConsts;
    const NAME: &'static str = "Adagrad";

    fn state_count(&self) -> usize {
        1
    }

    fn initial_state(&self) -> [f32; MAX_STATES] {
        [self.initial_accumulator_value, 0.0, 0.0]
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> AdagradConsts {
        let clr = f64::from(lr) / (1.0 + (step - 1) as f64 * self.lr_decay);
        AdagradConsts {
            clr: clr as f32,
            weight_decay,
        }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &AdagradConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = l2_decay(c.weight_decay, *p, g);
        s[0] = g.mul_add(g, s[0]);
        let std = s[0].sqrt() + f32x8::splat(self.eps);
        *p += f32x8::splat(-c.clr) * (g / std);
    }
}
