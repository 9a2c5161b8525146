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
//!
//! Training an [`Mlp`] (here on XOR, plain gradient descent):
//!
//! ```
//! use descent_autograd::{Activation, Init, Loss, Mlp, MlpConfig, Par, Targets};
//!
//! let config = MlpConfig {
//!     sizes: vec![2, 4, 1],
//!     activation: Activation::Tanh,
//!     loss: Loss::Mse,
//!     init: Init::PytorchDefault,
//! };
//! let mut mlp = Mlp::new(&config, 7);
//! let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
//! let y = [0.0, 1.0, 1.0, 0.0];
//! let mut loss = f32::INFINITY;
//! for _ in 0..2000 {
//!     loss = mlp.loss_and_grad(&x, 4, Targets::Values(&y), Par::Seq);
//!     let (params, grads) = mlp.params_and_grads_mut();
//!     for (p, g) in params.iter_mut().zip(grads.iter()) {
//!         *p -= 0.2 * g;
//!     }
//! }
//! assert!(loss < 1e-3, "loss {loss}");
//! ```
//!
//! The same kind of computation recorded op by op on a [`Tape`]:
//!
//! ```
//! use descent_autograd::{Activation, Tape};
//!
//! let mut tape = Tape::new();
//! let w = tape.add_param(2, 1);
//! tape.params_mut().copy_from_slice(&[0.5, -1.0]);
//! let x = tape.input(&[1.0, 2.0], 1, 2);
//! let wv = tape.param(w);
//! let z = tape.linear(x, wv, None, Activation::Sigmoid); // sigma(0.5 - 2)
//! let t = tape.input(&[1.0], 1, 1);
//! let loss = tape.mse(z, t);
//! tape.backward(loss);
//! let s = 1.0 / (1.0 + 1.5f32.exp());
//! // dL/dw = 2 (s - 1) s (1 - s) x
//! let g = 2.0 * (s - 1.0) * s * (1.0 - s);
//! assert!((tape.grads()[0] - g).abs() < 1e-6 && (tape.grads()[1] - 2.0 * g).abs() < 1e-6);
//! ```

mod backward;
pub mod gradcheck;
mod init;
mod layers;
mod linear_model;
mod loss;
mod mlp;
mod ops;
mod tape;

pub use descent_kernels::{Activation, Par};
pub use init::Init;
pub use layers::Linear;
pub use loss::{Loss, Targets};
pub use mlp::{Mlp, MlpConfig};
pub use tape::{Op, ParamId, Tape, Var};
