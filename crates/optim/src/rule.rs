//! The element-wise update rule interface the driver runs over the flat buffers.

use wide::f32x8;

use crate::error::OptimError;
use crate::hyper::HyperReader;

/// Most per-parameter state buffers any rule keeps (Adam with AMSGrad: m, v, max v).
pub(crate) const MAX_STATES: usize = 3;

/// The lanes of a rule's state buffers at one position.
pub(crate) type StateLanes = [f32x8; MAX_STATES];

/// A rule's loop-invariant choices for one span, one bit each (see [`Rule::switches`]).
pub(crate) type Switches = u8;

/// Most switch bits a rule may declare: the driver builds one lane loop per combination.
pub(crate) const MAX_SWITCH_BITS: u32 = 4;

/// One optimizer's update, written for eight parameters at a time.
///
/// The driver owns the memory traffic (chunks, groups, lazy state); a rule only states its
/// per-step scalars and its per-element formula.
pub(crate) trait Rule: Copy + Send + Sync + 'static {
    /// Scalars fixed for one step and one parameter group (effective lr, bias corrections...).
    type Consts: Copy + Send + Sync;

    /// PyTorch's class name.
    const NAME: &'static str;

    /// Number of state buffers this configuration keeps (at most [`MAX_STATES`]).
    fn state_count(&self) -> usize;

    /// Values the state buffers start from.
    fn initial_state(&self) -> [f32; MAX_STATES] {
        [0.0; MAX_STATES]
    }

    /// Whether the driver stores state values of magnitude below `2^-126` (subnormals) as 0.
    ///
    /// A decaying average whose input stops (a parameter that sees no gradient for a while)
    /// otherwise sinks into the subnormal range and stays there: `0.9 * k * 2^-149` rounds back
    /// to `k * 2^-149` for `k <= 4`, and every later step pays the CPU's slow path for subnormal
    /// arithmetic on it (on this project's machine SGD momentum on MNIST went from 16 to 45 µs
    /// a step). The parameter update is unchanged unless the parameter itself is within a
    /// factor 2^24 of the subnormal range. PyTorch keeps the subnormals; a rule whose state
    /// feeds a sign test (Rprop's previous gradient) opts out to keep PyTorch's branches.
    const FLUSH_SUBNORMAL_STATE: bool = true;

    /// Advances scalar state shared by every parameter, once per step (NAdam's mu product).
    fn begin_step(&mut self, _step: u64) {}

    /// The scalars of step `step` (1-based) for a group with learning rate `lr` and decay
    /// `weight_decay`.
    fn consts(&self, step: u64, lr: f32, weight_decay: f32) -> Self::Consts;

    /// How many low bits [`Rule::switches`] may set (at most [`MAX_SWITCH_BITS`]).
    const SWITCH_BITS: u32 = 0;

    /// The choices fixed for a whole span (flags of the configuration and of `c`) as bits. The
    /// driver hands them back to [`Rule::update`] as the constant `S`, so every combination runs
    /// its own branch-free loop instead of testing the flags for every eight lanes.
    fn switches(&self, _c: &Self::Consts) -> Switches {
        0
    }

    /// The momentum `m` when this configuration's update begins with `s[0] = m * s[0] + g`
    /// (the product rounded first; on the first step `s[0] = g`) and then reads `g` only
    /// through `s[0]`, with no weight decay (the driver checks the decay, `l1` and `maximize`):
    /// the gradient can then be folded into `s[0]` before the step, and
    /// [`Rule::update_absorbed`] does the rest. `None` (the default) for every other rule.
    fn absorbable_momentum(&self) -> Option<f32> {
        None
    }

    /// The part of [`Rule::update`] after `s[0]` got its new value `s0`, for a rule with an
    /// [`Rule::absorbable_momentum`] (never called otherwise).
    fn update_absorbed(&self, _c: &Self::Consts, _p: &mut f32x8, _s0: f32x8) {
        unreachable!("{} folds no gradient into its state", Self::NAME)
    }

    /// Updates eight parameters `p` from their gradients `g` (already negated for `maximize`
    /// and carrying the L1 term) and their state lanes `s[..state_count()]`; `S` is
    /// `self.switches(c)`.
    fn update<const S: Switches>(
        &self,
        c: &Self::Consts,
        p: &mut f32x8,
        g: f32x8,
        s: &mut StateLanes,
    );
}

/// Options every optimizer takes next to its own: `weight_decay` (L2, coupled or decoupled as
/// the rule says), `l1` (beyond PyTorch: adds `l1 * sign(p)` to the gradient) and `maximize`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Common {
    pub weight_decay: f32,
    pub l1: f32,
    pub maximize: bool,
}

impl Common {
    /// Reads `weight_decay` (default `default_decay`), `l1` (default 0) and `maximize`.
    pub(crate) fn read(r: &mut HyperReader<'_>, default_decay: f64) -> Result<Common, OptimError> {
        Ok(Common {
            weight_decay: r.non_negative("weight_decay", default_decay)? as f32,
            l1: r.non_negative("l1", 0.0)? as f32,
            maximize: r.boolean("maximize", false)?,
        })
    }
}
