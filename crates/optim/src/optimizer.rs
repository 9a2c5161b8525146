//! The optimizer interface every update rule (and the Lookahead wrapper) implements.

use std::ops::Range;

use descent_kernels::MomentumSink;

use crate::error::OptimError;
use crate::groups::ParamGroup;

/// An optimizer over one flat parameter buffer and one flat gradient buffer of the same length.
///
/// State (moments, accumulators, step sizes) is allocated on the first [`Optimizer::step`], with
/// the same length as `params`; later steps must pass buffers of that same length.
pub trait Optimizer: Send {
    /// One update of `params` from `grads` with learning rate `lr` (the scheduled lr).
    ///
    /// # Panics
    /// When `params` and `grads` differ in length, when the length changes between steps, or
    /// when a parameter group reaches past the buffer.
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32);

    /// For an optimizer whose next step begins with `b = momentum * b + g` on a state buffer
    /// `b` (the product rounded first) and then reads the gradient only through `b`: that
    /// buffer. SGD with momentum offers it, unless dampening, Nesterov, weight decay (of any
    /// group), `l1` or `maximize` is set; every other optimizer returns `None` (the default).
    ///
    /// A backward pass may then write `b = momentum * b + g` for some ranges itself
    /// (`descent_kernels::gemm_into_momentum` does it in the weight-gradient GEMM's write-back)
    /// instead of storing `g`, and [`Optimizer::step_absorbed`] completes the step: the same
    /// bits as [`Optimizer::step`] from the stored gradients, with one buffer less to move.
    /// The first call allocates the state and fixes the parameter count to `len`.
    fn momentum_sink(&mut self, _len: usize) -> Option<MomentumSink<'_>> {
        None
    }

    /// [`Optimizer::step`] where the gradients of the ranges `absorbed` (sorted, disjoint) were
    /// already folded into the buffer of [`Optimizer::momentum_sink`], as that method says;
    /// their entries in `grads` are not read.
    ///
    /// # Panics
    /// As [`Optimizer::step`]; and when `absorbed` is not empty but the optimizer offers no
    /// momentum sink.
    fn step_absorbed(
        &mut self,
        params: &mut [f32],
        grads: &[f32],
        absorbed: &[Range<usize>],
        lr: f32,
    ) {
        assert_sink_for(absorbed, || false, self.name());
        self.step(params, grads, lr);
    }

    /// The optimizer's name as PyTorch spells its class (`"SGD"`, `"AdamW"`, ..., `"Lion"`,
    /// `"Lookahead"`).
    fn name(&self) -> &'static str;

    /// How many `f32` state values the optimizer keeps per parameter (0 for plain SGD, 2 for
    /// Adam, 3 for Adam with AMSGrad, ...). With params and grads this fixes the bytes a step
    /// moves: `4 * len * (3 + 2 * state_per_param)`.
    fn state_per_param(&self) -> usize;

    /// Replaces the parameter groups (see [`ParamGroup`]). Groups may be set before or between
    /// steps; state is kept.
    fn set_param_groups(&mut self, groups: &[ParamGroup]) -> Result<(), OptimError>;

    /// Threads of the current rayon pool a step may use: 0 (the default) = all of them, 1 = the
    /// calling thread only. Results are bit-identical for every setting.
    fn set_threads(&mut self, threads: usize);

    /// Steps taken so far.
    fn steps_taken(&self) -> u64;

    /// Forgets all state and the step count, as if freshly built.
    fn reset(&mut self);
}

/// Panics when gradients were `absorbed` but the optimizer has no momentum sink (`has_sink` is
/// asked only when there are absorbed ranges).
pub(crate) fn assert_sink_for(
    absorbed: &[Range<usize>],
    has_sink: impl FnOnce() -> bool,
    name: &str,
) {
    assert!(
        absorbed.is_empty() || has_sink(),
        "{name}: no momentum sink to have absorbed gradients"
    );
}
