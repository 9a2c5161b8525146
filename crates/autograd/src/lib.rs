//! descent-autograd: tape-based reverse-mode differentiation over 2-D f32 tensors (row-major,
//! batch x features), with layers, losses, initialisers, an [`Mlp`] and a finite-difference
//! gradient checker.
//!
//! Parameters and their gradients live in one flat `Vec<f32>` each (owned by the [`Tape`]); a
//! parameter is an offset plus a shape ([`ParamId`]). Every node's buffers are pooled by position
//! across recordings, so a repeated graph (a training step) allocates nothing after warm-up.
//!
//! Weight layout: a linear layer's weight is stored `[in x out]`, so its forward pass is
//! `Y = act(X W + b)` with `X` of shape `[batch x in]`, a single GEMM with no transposition.

mod backward;
pub mod gradcheck;
mod init;
mod layers;
mod loss;
mod mlp;
mod tape;

pub use descent_kernels::{Activation, Par};
pub use init::Init;
pub use layers::Linear;
pub use loss::{Loss, Targets};
pub use mlp::{Mlp, MlpConfig};
pub use tape::{Op, ParamId, Tape, Var};
