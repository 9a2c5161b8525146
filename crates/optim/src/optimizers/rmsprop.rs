//! RMSprop, optionally centered and with momentum.
//!
//! References: Hinton, Coursera lecture 6e (2012); Graves (2013) for the centered form;
//! `torch.optim.RMSprop`, single-tensor path:
//!
//! ```text
//! g   = grad + weight_decay * p                    (coupled L2)
//! v   = alpha * v + (1 - alpha) * g^2
//! a   = a + (1 - alpha) * (g - a)                  (centered only: running mean of g)
//! den = sqrt(v - a^2) + eps   if centered,   sqrt(v) + eps   otherwise
//! b   = momentum * b + g / den,  p = p - lr * b    if momentum > 0
//! p   = p - lr * g / den                           otherwise
//! ```
//!
//! Where libraries differ: eps is added *outside* the square root (PyTorch; TF1 and Keras add it
//! inside), the average starts at 0 (TF1 starts it at 1), and momentum accumulates `g / den` with lr applied
//! afterwards.

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::lanes::l2_decay;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.RMSprop`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rmsprop {
    /// Default 0.99.
    pub alpha: f64,
    /// Default 1e-8.
    pub eps: f32,
    /// Default 0.
    pub momentum: f32,
    /// Default false.
    pub centered: bool,
}

#[derive(Clone, Copy)]
pub(crate) struct RmspropConsts {
    lr: f32,
    weight_decay: f32,
}

impl Rmsprop {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Rmsprop, Common), OptimError> {
        let alpha = r.unit_interval("alpha", 0.99)?;
        let eps = r.non_negative("eps", 1e-8)? as f32;
        let momentum = r.non_negative("momentum", 0.0)? as f32;
        let centered = r.boolean("centered", false)?;
        let common = Common::read(r, 0.0)?;
        Ok((
            Rmsprop {
                alpha,
                eps,
                momentum,
                centered,
            },
            common,
        ))
    }

    /// Index of the momentum buffer: after v and, when centered, the mean.
    fn momentum_index(&self) -> usize {
        1 + usize::from(self.centered)
    }
}

impl Rule for Rmsprop {
    type Consts = RmspropConsts;
    const NAME: &'static str = "RMSprop";

    fn state_count(&self) -> usize {
        self.momentum_index() + usize::from(self.momentum > 0.0)
    }

    fn consts(&self, _step: u64, lr: f32, weight_decay: f32) -> RmspropConsts {
        RmspropConsts { lr, weight_decay }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &RmspropConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = l2_decay(c.weight_decay, *p, g);
        let one_minus_alpha = f32x8::splat((1.0 - self.alpha) as f32);
        s[0] = s[0] * f32x8::splat(self.alpha as f32) + one_minus_alpha * g * g;
        let avg = if self.centered {
            s[1] = (g - s[1]).mul_add(one_minus_alpha, s[1]);
            (s[0] - s[1] * s[1]).sqrt()
        } else {
            s[0].sqrt()
        } + f32x8::splat(self.eps);
        if self.momentum > 0.0 {
            let b = self.momentum_index();
            s[b] = s[b] * f32x8::splat(self.momentum) + g / avg;
            *p = s[b].mul_add(f32x8::splat(-c.lr), *p);
        } else {
            *p += f32x8::splat(-c.lr) * (g / avg);
        }
    }
}
