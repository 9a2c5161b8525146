//! descent-optim: the optimizer zoo of `torch.optim` (plus Lion and Lookahead), learning-rate
//! schedules and gradient clipping, over one flat `f32` parameter buffer and one flat gradient
//! buffer.
//!
//! - Optimizers: [`build_optimizer`] by PyTorch name with PyTorch-named hyperparameters
//!   ([`Hyper`]); each update rule lives in its own file with its formula and reference.
//! - Schedules: [`build_scheduler`] / [`Scheduler`], closed forms via [`Scheduler::lr_at`].
//! - Clipping: [`clip_grad_norm`], [`clip_grad_value`].
//!
//! Steps are one SIMD (`wide::f32x8`) pass over memory, split into one contiguous range per
//! rayon task for large buffers; results are bit-identical at any thread count. Conformance to
//! PyTorch is tested step by step against recorded trajectories (`tests/conformance.rs`). One
//! deliberate difference: optimizer state that decays into the subnormal range is stored as 0
//! (see `Rule::FLUSH_SUBNORMAL_STATE`), which leaves the parameters' trajectory unchanged in
//! practice and avoids the CPU's slow path for subnormal arithmetic.

mod chunks;
mod clip;
mod driver;
mod error;
mod groups;
mod hyper;
mod lanes;
mod optimizer;
mod optimizers;
mod rule;
mod schedule;

pub use clip::{NormType, clip_grad_norm, clip_grad_value};
pub use descent_kernels::MomentumSink;
pub use error::{OptimError, edit_distance};
pub use groups::ParamGroup;
pub use hyper::{Hyper, HyperValue};
pub use optimizer::Optimizer;
pub use optimizers::{OPTIMIZER_NAMES, build_optimizer, default_lr};
pub use schedule::{SCHEDULE_NAMES, Scheduler, build_scheduler};
