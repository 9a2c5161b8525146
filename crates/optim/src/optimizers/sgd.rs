//! SGD with momentum, dampening, Nesterov momentum and L2 weight decay.
//!
//! Reference: `torch.optim.SGD`, single-tensor (`foreach=False`) path. For step t (1-based):
//!
//! ```text
//! g  = grad + weight_decay * p                       (coupled L2)
//! b  = g                                   if t = 1  (the buffer starts as the first gradient)
//! b  = momentum * b + (1 - dampening) * g  otherwise
//! d  = g + momentum * b                    if nesterov
//! d  = b                                   otherwise (d = g without momentum)
//! p  = p - lr * d
//! ```
//!
//! Where libraries differ: PyTorch (and this) apply lr *outside* the buffer (`b` accumulates raw
//! gradients, so changing lr mid-run does not rescale the velocity), unlike Sutskever et al.
//! (2013) / Keras, whose velocity is `v = momentum * v - lr * g`. The Nesterov form is PyTorch's
//! look-ahead-free reformulation `g + momentum * b`, not Sutskever's `p + momentum * v` evaluation
//! point. The first step copies the gradient into the buffer (no dampening on step 1).

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.SGD`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sgd {
    /// Default 0.
    pub momentum: f32,
    /// Default 0.
    pub dampening: f32,
    /// Default false; needs `momentum > 0` and `dampening = 0`.
    pub nesterov: bool,
}

/// [`Rule::switches`] bits: coupled decay on, momentum on, first step, Nesterov.
const WEIGHT_DECAY: Switches = 1;
const MOMENTUM: Switches = 2;
const FIRST: Switches = 4;
const NESTEROV: Switches = 8;

#[derive(Clone, Copy)]
pub(crate) struct SgdConsts {
    lr: f32,
    weight_decay: f32,
    first: bool,
}

impl Sgd {
    /// Reads SGD's hyperparameters; `default_momentum` / `default_nesterov` serve the
    /// `momentum` and `nesterov` aliases.
    pub(crate) fn read(
        r: &mut HyperReader<'_>,
        default_momentum: f64,
        default_nesterov: bool,
    ) -> Result<(Sgd, Common), OptimError> {
        let momentum = r.non_negative("momentum", default_momentum)?;
        let dampening = r.number("dampening", 0.0)?;
        let nesterov = r.boolean("nesterov", default_nesterov)?;
        if nesterov && (momentum <= 0.0 || dampening != 0.0) {
            return Err(r.invalid(
                "nesterov",
                true,
                "Nesterov momentum requires a momentum and zero dampening",
            ));
        }
        let common = Common::read(r, 0.0)?;
        Ok((
            Sgd {
                momentum: momentum as f32,
                dampening: dampening as f32,
                nesterov,
            },
            common,
        ))
    }
}

impl Rule for Sgd {
    type Consts = SgdConsts;
    const NAME: &'static str = "SGD";

    fn state_count(&self) -> usize {
        usize::from(self.momentum != 0.0)
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> SgdConsts {
        SgdConsts {
            lr,
            weight_decay,
            first: step == 1,
        }
    }

    const SWITCH_BITS: u32 = 4;

    fn switches(&self, c: &SgdConsts) -> Switches {
        [
            (c.weight_decay != 0.0, WEIGHT_DECAY),
            (self.momentum != 0.0, MOMENTUM),
            (c.first, FIRST),
            (self.nesterov, NESTEROV),
        ]
        .into_iter()
        .filter(|&(on, _)| on)
        .fold(0, |bits, (_, bit)| bits | bit)
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &SgdConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let mut d = if S & WEIGHT_DECAY != 0 {
            p.mul_add(f32x8::splat(c.weight_decay), g)
        } else {
            g
        };
        if S & MOMENTUM != 0 {
            let m = f32x8::splat(self.momentum);
            s[0] = if S & FIRST != 0 {
                d
            } else {
                d.mul_add(f32x8::splat(1.0 - self.dampening), s[0] * m)
            };
            d = if S & NESTEROV != 0 {
                s[0].mul_add(m, d)
            } else {
                s[0]
            };
        }
        descend(c, p, d);
    }

    fn absorbable_momentum(&self) -> Option<f32> {
        (self.momentum != 0.0 && self.dampening == 0.0 && !self.nesterov).then_some(self.momentum)
    }

    #[inline(always)]
    fn update_absorbed(&self, c: &SgdConsts, p: &mut f32x8, s0: f32x8) {
        descend(c, p, s0);
    }
}

/// `p = p - lr * d` (one FMA).
#[inline(always)]
fn descend(c: &SgdConsts, p: &mut f32x8, d: f32x8) {
    *p = d.mul_add(f32x8::splat(-c.lr), *p);
}
