//! descent-kernels: row-major f32 matrices, a blocked and packed SIMD GEMM with a fused
//! linear-layer epilogue, and the elementwise kernels the autograd layer needs.
//!
//! Parallelism is always an explicit [`Par`] argument; no kernel reads global state to decide it.

pub mod aligned;
pub mod elementwise;
pub mod gemm;
mod handoff;
pub mod mat;
pub mod par;
mod simd;

pub use aligned::AlignedVec;
pub use gemm::{
    Activation, Backend, MomentumSink, Op, gemm, gemm_into_momentum, gemm_kernel_name,
    gemm_reference, gemm_tasks, gemm_with, linear_forward,
};
pub use mat::{Mat, MatMut, MatRef};
pub use par::{Par, join, join_split, with_warm_pool};
