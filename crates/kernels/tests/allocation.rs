//! After a warm-up call, GEMM, the fused linear forward and the elementwise kernels allocate
//! nothing (packing buffers are thread-local and reused), sequentially and in parallel.
//! One test per file: the counting allocator sees every thread of the process.

use descent_kernels::elementwise::{activate_in_place, col_sums, softmax_rows};
use descent_kernels::{Activation, Mat, MatMut, Op, Par, gemm, linear_forward};
use descent_testkit::{CountingAllocator, allocations};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

#[test]
fn kernels_allocate_nothing_after_warm_up() {
    let a = Mat::from_fn(300, 200, |i, j| ((i + j) % 7) as f32 - 3.0);
    let b = Mat::from_fn(200, 150, |i, j| ((i * j) % 5) as f32 - 2.0);
    let bias = vec![0.5; 150];
    let mut c = Mat::zeros(300, 150);
    let mut probs = Mat::zeros(300, 150);
    let mut sums = vec![0.0; 150];
    let mut step = |par: Par| {
        gemm(
            c.as_mut(),
            0.0,
            1.0,
            a.as_ref(),
            Op::Identity,
            b.as_ref(),
            Op::Identity,
            par,
        );
        gemm(
            c.as_mut(),
            1.0,
            -0.5,
            a.as_ref(),
            Op::Identity,
            b.as_ref(),
            Op::Identity,
            par,
        );
        linear_forward(
            c.as_mut(),
            a.as_ref(),
            Op::Identity,
            b.as_ref(),
            Op::Identity,
            Some(&bias),
            Activation::Tanh,
            par,
        );
        activate_in_place(Activation::Sigmoid, c.as_mut_slice());
        softmax_rows(
            c.as_ref(),
            MatMut::contiguous(probs.as_mut_slice(), 300, 150),
        );
        col_sums(probs.as_ref(), &mut sums);
    };
    // Every thread of the pool runs the same products once on its own, so each has its
    // thread-local packing buffers at full size: which thread takes which block of a parallel
    // product is up to the scheduler, so a plain warm-up call may leave one thread cold.
    rayon::broadcast(|_| {
        let mut own = Mat::zeros(300, 150);
        gemm(
            own.as_mut(),
            0.0,
            1.0,
            a.as_ref(),
            Op::Identity,
            b.as_ref(),
            Op::Identity,
            Par::Seq,
        );
    });
    for par in [Par::Seq, Par::Rayon(2)] {
        // Warm-up: the rayon pool and the calling thread's buffers come into existence.
        step(par);
        step(par);
        let before = allocations();
        for _ in 0..5 {
            step(par);
        }
        let after = allocations();
        assert_eq!(
            after - before,
            0,
            "{par:?}: {} allocations after warm-up",
            after - before
        );
    }
    // Each of the 300 softmax rows sums to 1, so the column sums add up to 300.
    let total: f32 = sums.iter().sum();
    assert!(
        (total - 300.0).abs() < 1e-2,
        "softmax rows sum to 1: total {total}"
    );
}
