//! AdamW: Adam with decoupled weight decay.
//!
//! Reference: Loshchilov & Hutter (2019), "Decoupled Weight Decay Regularization";
//! `torch.optim.AdamW` (PyTorch's `Adam` with `decoupled_weight_decay=True`). Per step t:
//!
//! ```text
//! p = p * (1 - lr * weight_decay)                  (decay first, on the pre-update weights)
//! then Adam's update of p from g without any L2 term (see `adam.rs`)
//! ```
//!
//! Where libraries differ: the decay is scaled by the lr in force (`lr * weight_decay`, as
//! PyTorch, Keras and Optax do); the paper scales it by the schedule multiplier only
//! (`eta_t * lambda`), so its lambda is lr times larger. The default weight_decay is 1e-2.

use wide::f32x8;

use super::adam::{Adam, AdamConsts};
use crate::rule::{Rule, StateLanes, Switches};

/// AdamW: an [`Adam`] read with `decoupled = true`, under its own name.
#[derive(Clone, Copy)]
pub(crate) struct AdamW(pub Adam);

impl Rule for AdamW {
    type Consts = AdamConsts;
    const NAME: &'static str = "AdamW";

    fn state_count(&self) -> usize {
        self.0.state_count()
    }

    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> AdamConsts {
        self.0.consts(step, lr, weight_decay)
    }

    const SWITCH_BITS: u32 = Adam::SWITCH_BITS;

    fn switches(&self, c: &AdamConsts) -> Switches {
        self.0.switches(c)
    }

    #[inline(always)]
    fn update<const S: Switches>(
        &self,
        c: &AdamConsts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    ) {
        self.0.update::<S>(c, p, g, s)
    }
}
