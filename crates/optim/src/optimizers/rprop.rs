//! Rprop (resilient backpropagation).
//!
//! References: Riedmiller & Braun (1993); `torch.optim.Rprop`, single-tensor path. Per element,
//! with (eta_minus, eta_plus) = etas, (step_min, step_max) = step_sizes, `prev` the last
//! stored gradient (0 at first) and `step` starting at lr:
//!
//! ```text
//! s     = g * prev
//! step  = clamp(step * (eta_plus if s > 0, eta_minus if s < 0, 1 if s = 0), step_min, step_max)
//! g     = 0 if s < 0                      (after a sign change, no move and no memory)
//! p     = p - sign(g) * step
//! prev  = g
//! ```
//!
//! Where libraries differ: this is Rprop without weight backtracking (the "Rprop-" / iRprop-
//! family as PyTorch implements it), not the original Rprop+ that undoes the last step. The lr
//! only seeds the step sizes on the first step (scaled per parameter group); later lr changes
//! have no effect, as in PyTorch. Beyond PyTorch: `weight_decay` adds coupled L2 decay to g.

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;
use crate::lanes::l2_decay;
use crate::lanes::sign;
use crate::rule::{Common, Rule, StateLanes, Switches};

/// Hyperparameters of `torch.optim.Rprop`; defaults are PyTorch's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rprop {
    /// Default (0.5, 1.2).
    pub etas: (f32, f32),
    /// Default (1e-6, 50).
    pub step_sizes: (f32, f32),
}

#[derive(Clone, Copy)]
pub(crate) struct RpropConsts {
    /// The lr on step 1 (initial step size), `None` afterwards.
    first_lr: Option<f32>,
    weight_decay: f32,
}

impl Rprop {
    pub(crate) fn read(r: &mut HyperReader<'_>) -> Result<(Rprop, Common), OptimError> {
        let (minus, plus) = r.pair("etas", (0.5, 1.2))?;
        if !(0.0 < minus && minus < 1.0 && 1.0 < plus) {
            return Err(r.invalid(
                "etas",
                format!("[{minus}, {plus}]"),
                "need 0 < eta_minus < 1 < eta_plus",
            ));
        }
        let (low, high) = r.pair("step_sizes", (1e-6, 50.0))?;
        if !(0.0 <= low && low <= high) {
            return Err(r.invalid(
                "step_sizes",
                format!("[{low}, {high}]"),
                "need 0 <= min <= max",
            ));
        }
        let common = Common::read(r, 0.0)?;
        Ok((
            Rprop {
                etas: (minus as f32, plus as f32),
                step_sizes: (low as f32, high as f32),
            },
            common,
        ))
    }
}

impl Rule for Rprop {
    type Consts = RpropConsts;
    const NAME: &'static str = "Rprop";
    /// The previous gradient only feeds the sign of `g * prev`; a flushed subnormal would turn a
    /// sign change into "no change". Step sizes never go below `step_sizes.0`.
    const FLUSH_SUBNORMAL_STATE: bool = false;

    fn state_count(&self) -> usize {
        2
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> RpropConsts {
        RpropConsts {
            first_lr: (step == 1).then_some(lr),
            weight_decay,
        }
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &RpropConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        let g = l2_decay(c.weight_decay, *p, g);
        if let Some(lr) = c.first_lr {
            s[1] = f32x8::splat(lr);
        }
        let agreement = g * s[0];
        let grew = agreement.simd_gt(f32x8::ZERO);
        let flipped = agreement.simd_lt(f32x8::ZERO);
        let factor = flipped.select(
            f32x8::splat(self.etas.0),
            grew.select(f32x8::splat(self.etas.1), f32x8::ONE),
        );
        s[1] = (s[1] * factor)
            .max(f32x8::splat(self.step_sizes.0))
            .min(f32x8::splat(self.step_sizes.1));
        let g = flipped.select(f32x8::ZERO, g);
        *p -= sign(g) * s[1];
        s[0] = g;
    }
}
