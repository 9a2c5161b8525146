//! GEMM against the f64-accumulating reference: random shapes (0, 1, primes, block edges), all
//! op combinations, alpha/beta, strided views, NaN in C with beta = 0; bit-identical results
//! across thread counts; faer agrees; the fused linear-layer epilogue; the product written into a
//! momentum buffer with SGD's roundings.

mod common;

use common::{gemm_tolerance, stored, strided};
use descent_kernels::{
    Activation, Backend, Mat, MatMut, MatRef, Op, Par, gemm, gemm_into_momentum, gemm_reference,
    gemm_tasks, gemm_with, linear_forward,
};
use descent_rng::Rng;
use proptest::prelude::*;

const SIZES: &[usize] = &[0, 1, 7, 13, 31, 67, 129, 257];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Identity), Just(Op::Transpose)]
}

fn size() -> impl Strategy<Value = usize> {
    prop::sample::select(SIZES)
}

/// One random GEMM problem, with C's padding filled with a sentinel.
struct Case {
    m: usize,
    n: usize,
    k: usize,
    op_a: Op,
    op_b: Op,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
    pads: [usize; 3],
}

const SENTINEL: f32 = 12345.0;

impl Case {
    #[allow(clippy::too_many_arguments)]
    fn new(
        m: usize,
        n: usize,
        k: usize,
        op_a: Op,
        op_b: Op,
        pads: [usize; 3],
        c_fill: f32,
        seed: u64,
    ) -> Self {
        let mut rng = Rng::seed_from(seed);
        let (ar, ac) = stored(op_a, m, k);
        let (br, bc) = stored(op_b, k, n);
        let a = strided(ar, ac, pads[0], SENTINEL, &mut rng);
        let b = strided(br, bc, pads[1], SENTINEL, &mut rng);
        let mut c = strided(m, n, pads[2], SENTINEL, &mut rng);
        if c_fill.is_nan() {
            for i in 0..m {
                c[i * (n + pads[2])..i * (n + pads[2]) + n].fill(c_fill);
            }
        }
        Self {
            m,
            n,
            k,
            op_a,
            op_b,
            a,
            b,
            c,
            pads,
        }
    }

    fn a(&self) -> MatRef<'_> {
        let (r, c) = stored(self.op_a, self.m, self.k);
        MatRef::new(&self.a, r, c, c + self.pads[0])
    }

    fn b(&self) -> MatRef<'_> {
        let (r, c) = stored(self.op_b, self.k, self.n);
        MatRef::new(&self.b, r, c, c + self.pads[1])
    }

    fn c_view<'d>(&self, data: &'d mut [f32]) -> MatMut<'d> {
        MatMut::new(data, self.m, self.n, self.n + self.pads[2])
    }
}

/// The view's elements as a contiguous matrix.
fn contents(data: &[f32], rows: usize, cols: usize, stride: usize) -> Mat {
    MatRef::new(data, rows, cols, stride.max(cols)).to_owned()
}

fn check_against_reference(case: &Case, backend: Backend, alpha: f32, beta: f32, par: Par) {
    let stride = case.n + case.pads[2];
    let c_old = contents(&case.c, case.m, case.n, stride);
    let mut got = case.c.clone();
    gemm_with(
        backend,
        case.c_view(&mut got),
        beta,
        alpha,
        case.a(),
        case.op_a,
        case.b(),
        case.op_b,
        par,
    );
    let mut want = case.c.clone();
    gemm_reference(
        case.c_view(&mut want),
        beta,
        alpha,
        case.a(),
        case.op_a,
        case.b(),
        case.op_b,
    );
    let tol = gemm_tolerance(
        case.a(),
        case.op_a,
        case.b(),
        case.op_b,
        alpha,
        beta,
        &c_old,
    );
    for i in 0..case.m {
        for j in 0..case.n {
            let (g, w) = (got[i * stride + j], want[i * stride + j]);
            let t = tol.as_ref().get(i, j);
            assert!(
                (g - w).abs() <= t,
                "{backend:?} {}x{}x{} {:?}/{:?} alpha {alpha} beta {beta}: C[{i},{j}] = {g}, want {w} (tol {t})",
                case.m,
                case.n,
                case.k,
                case.op_a,
                case.op_b
            );
        }
        // The padding between rows is never written.
        if i + 1 < case.m {
            assert!(
                got[i * stride + case.n..(i + 1) * stride]
                    .iter()
                    .all(|&v| v == SENTINEL)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn native_matches_reference(
        m in size(), n in size(), k in size(), op_a in op(), op_b in op(),
        pads in prop::array::uniform3(0usize..3),
        alpha in prop_oneof![Just(1.0f32), -2.0f32..2.0],
        beta in prop_oneof![Just(0.0f32), Just(1.0f32), -2.0f32..2.0],
        seed in any::<u64>(),
    ) {
        let case = Case::new(m, n, k, op_a, op_b, pads, 0.0, seed);
        check_against_reference(&case, Backend::Native, alpha, beta, Par::Seq);
    }

    #[test]
    fn beta_zero_ignores_nan_in_c(
        m in size(), n in size(), k in size(), op_a in op(), op_b in op(),
        pads in prop::array::uniform3(0usize..3), seed in any::<u64>(),
    ) {
        let case = Case::new(m, n, k, op_a, op_b, pads, f32::NAN, seed);
        check_against_reference(&case, Backend::Native, 1.5, 0.0, Par::Rayon(2));
    }

    #[test]
    fn faer_backend_matches_reference(
        m in size(), n in size(), k in size(), op_a in op(), op_b in op(),
        pads in prop::array::uniform3(0usize..3), beta in prop_oneof![Just(0.0f32), -2.0f32..2.0],
        seed in any::<u64>(),
    ) {
        let case = Case::new(m, n, k, op_a, op_b, pads, 0.0, seed);
        check_against_reference(&case, Backend::Faer, 0.5, beta, Par::Seq);
    }
}

/// Shapes that cross every block boundary (KC = 256, MC = 144, NC = 3072) and both paths
/// (A packed for n > 256, or n > 64 with a depth under 16 or, split over tasks, a transposed
/// block over 32 KiB; read in place otherwise).
#[test]
fn block_edges_match_reference() {
    for (m, n, k) in [
        (145, 65, 513),
        (145, 300, 513),
        (7, 3073, 5),
        (289, 64, 257),
        (6, 16, 256),
        (5, 17, 1),
        // Deep and narrow: two depth halves (beta applied once, alpha to both), odd k.
        (13, 70, 601),
        (32, 128, 784),
    ] {
        for (op_a, op_b) in [(Op::Identity, Op::Transpose), (Op::Transpose, Op::Identity)] {
            let case = Case::new(m, n, k, op_a, op_b, [1, 0, 2], 0.0, (m * n + k) as u64);
            check_against_reference(&case, Backend::Native, -0.75, 0.5, Par::Seq);
        }
    }
}

/// Splitting over output blocks never changes a bit: every element sees the same FMA sequence.
#[test]
fn thread_count_does_not_change_bits() {
    // Row split (m >= n), column split (m < n), 3- and 8-way splits, the MLP output layer;
    // all above the parallel grain.
    for (m, n, k) in [
        (300, 150, 100),
        (64, 600, 130),
        (517, 259, 40),
        (512, 10, 128),
        // Depth halves: the MLP's first layer at batch 32, and a ragged one.
        (32, 128, 784),
        (13, 70, 601),
    ] {
        for (op_a, op_b) in [(Op::Identity, Op::Identity), (Op::Transpose, Op::Transpose)] {
            let case = Case::new(m, n, k, op_a, op_b, [0, 3, 1], 0.0, 7);
            let run = |par| {
                let mut c = case.c.clone();
                gemm(
                    case.c_view(&mut c),
                    0.25,
                    1.0,
                    case.a(),
                    op_a,
                    case.b(),
                    op_b,
                    par,
                );
                c
            };
            let seq = run(Par::Seq);
            for par in [Par::Rayon(2), Par::Rayon(3), Par::Rayon(8)] {
                let got = run(par);
                assert!(
                    seq.iter()
                        .zip(&got)
                        .all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{m}x{n}x{k} {par:?} differs from Par::Seq"
                );
            }
        }
    }
}

#[test]
fn into_momentum_is_the_stored_product_added_to_the_rounded_decay() {
    // The direct kernel, one depth block (the MLP's weight gradients at batch 32 and 128, an
    // edge-heavy one), several depth blocks, and depth halves; with and without threads.
    for (m, n, k, op_a) in [
        (5, 7, 3, Op::Identity),
        (784, 128, 32, Op::Transpose),
        (128, 10, 128, Op::Transpose),
        (67, 31, 13, Op::Identity),
        (300, 150, 600, Op::Identity),
        (100, 37, 600, Op::Transpose),
    ] {
        let case = Case::new(m, n, k, op_a, Op::Identity, [0, 2, 3], 0.0, 11);
        let stride = n + case.pads[2];
        for par in [Par::Seq, Par::Rayon(2)] {
            let mut product = vec![f32::NAN; m * stride];
            let (a, b) = (case.a(), case.b());
            gemm(
                case.c_view(&mut product),
                0.0,
                1.0,
                a,
                op_a,
                b,
                Op::Identity,
                par,
            );
            for momentum in [0.9_f32, 0.0] {
                let mut got = case.c.clone();
                gemm_into_momentum(
                    case.c_view(&mut got),
                    momentum,
                    a,
                    op_a,
                    b,
                    Op::Identity,
                    par,
                );
                for i in 0..m {
                    for j in 0..n {
                        let at = i * stride + j;
                        let old = case.c[at];
                        let want = if momentum == 0.0 {
                            product[at]
                        } else {
                            product[at] + momentum * old
                        };
                        assert_eq!(
                            got[at].to_bits(),
                            want.to_bits(),
                            "{m}x{n}x{k} {par:?} momentum {momentum}: C[{i},{j}] = {}, want {want}",
                            got[at]
                        );
                    }
                }
                // The padding between rows is never written.
                assert!((0..m.saturating_sub(1)).all(|i| {
                    got[i * stride + n..(i + 1) * stride]
                        .iter()
                        .all(|&v| v == SENTINEL)
                }));
            }
        }
    }
}

#[test]
fn into_momentum_ignores_nan_when_momentum_is_zero() {
    let case = Case::new(
        40,
        20,
        300,
        Op::Identity,
        Op::Identity,
        [0, 0, 0],
        f32::NAN,
        3,
    );
    let mut got = case.c.clone();
    let (a, b) = (case.a(), case.b());
    gemm_into_momentum(
        case.c_view(&mut got),
        0.0,
        a,
        Op::Identity,
        b,
        Op::Identity,
        Par::Seq,
    );
    let mut want = vec![0.0; got.len()];
    gemm(
        case.c_view(&mut want),
        0.0,
        1.0,
        a,
        Op::Identity,
        b,
        Op::Identity,
        Par::Seq,
    );
    assert!(
        got.iter()
            .zip(&want)
            .all(|(g, w)| g.to_bits() == w.to_bits())
    );
}

fn act_f64(act: Activation, x: f64) -> f64 {
    match act {
        Activation::Identity => x,
        Activation::Relu => x.max(0.0),
        Activation::LeakyRelu(s) => {
            if x > 0.0 {
                x
            } else {
                f64::from(s) * x
            }
        }
        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Activation::Tanh => x.tanh(),
    }
}

/// `linear_forward` = activation(reference GEMM + bias), for every activation, with and
/// without bias, across a K-block boundary (the epilogue runs once, after the last block).
#[test]
fn linear_forward_matches_reference() {
    let acts = [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(0.01),
        Activation::Sigmoid,
        Activation::Tanh,
    ];
    for (m, n, k, op_a, op_b) in [
        (32, 10, 128, Op::Identity, Op::Identity),
        (37, 130, 300, Op::Identity, Op::Transpose),
        (13, 70, 7, Op::Transpose, Op::Identity),
        // Depth halves: the epilogue runs once, on their sum.
        (32, 128, 784, Op::Identity, Op::Identity),
        (19, 33, 517, Op::Transpose, Op::Identity),
        // Direct small-product forms: column, column with a ragged end, scalar, rows, dot.
        (100, 1, 1, Op::Identity, Op::Transpose),
        (37, 1, 5, Op::Transpose, Op::Identity),
        (7, 3, 5, Op::Identity, Op::Identity),
        (20, 9, 16, Op::Identity, Op::Identity),
        (2, 3, 40, Op::Identity, Op::Transpose),
    ] {
        for act in acts {
            for with_bias in [false, true] {
                let case = Case::new(m, n, k, op_a, op_b, [0, 0, 0], f32::NAN, 11);
                let mut rng = Rng::seed_from(3);
                let bias: Vec<f32> = (0..n).map(|_| rng.uniform_range(-1.0, 1.0)).collect();
                let bias = with_bias.then_some(&bias[..]);
                let mut got = case.c.clone();
                linear_forward(
                    case.c_view(&mut got),
                    case.a(),
                    op_a,
                    case.b(),
                    op_b,
                    bias,
                    act,
                    Par::Rayon(2),
                );
                let mut pre = case.c.clone();
                gemm_reference(
                    case.c_view(&mut pre),
                    0.0,
                    1.0,
                    case.a(),
                    op_a,
                    case.b(),
                    op_b,
                );
                let tol =
                    gemm_tolerance(case.a(), op_a, case.b(), op_b, 1.0, 0.0, &Mat::zeros(m, n));
                for i in 0..m {
                    for j in 0..n {
                        let z = f64::from(pre[i * n + j]) + bias.map_or(0.0, |b| f64::from(b[j]));
                        let want = act_f64(act, z);
                        // The GEMM error passes through f with slope <= 1, plus f's own error.
                        let t = f64::from(tol.as_ref().get(i, j)) + 1e-6 * (1.0 + want.abs());
                        let g = f64::from(got[i * n + j]);
                        assert!(
                            (g - want).abs() <= t,
                            "{act:?} bias {with_bias}: [{i},{j}] {g} vs {want}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn task_count_depends_on_shape_and_threads_only() {
    // The MNIST output layer and tiny products stay on one thread whatever is offered.
    assert_eq!(gemm_tasks(32, 10, 128, Par::threads(2)), 1);
    assert_eq!(gemm_tasks(8, 8, 8, Par::threads(8)), 1);
    assert_eq!(gemm_tasks(0, 100, 100, Par::threads(2)), 1);
    // Large products use every thread offered, never more than one per row tile.
    assert_eq!(gemm_tasks(1024, 1024, 1024, Par::threads(2)), 2);
    assert_eq!(gemm_tasks(1024, 1024, 1024, Par::Seq), 1);
    assert_eq!(gemm_tasks(6, 4096, 4096, Par::threads(64)), 64);
    assert_eq!(gemm_tasks(6, 256, 4096, Par::threads(64)), 256 / 16);
}
