//! The optimizer interface every update rule (and the Lookahead wrapper) implements.

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
