//! Every tape op against central finite differences.
//!
//! Each op's inputs are parameters (so the checker can perturb them); a non-scalar output is
//! reduced to `L = sum(Y * R)` with a fixed random `R`, so every output element gets a distinct
//! weight and a transposed or misplaced gradient cannot cancel out.

use descent_autograd::gradcheck::{compare, numeric_gradient};
use descent_autograd::{Activation, Tape, Var};
use descent_kernels::Op as MatOp;
use descent_rng::Rng;

/// Values drawn from `±U[0.1, 1.1)`: away from the kinks of relu and leaky relu.
fn away_from_zero(rng: &mut Rng) -> f32 {
    let m = rng.uniform_range(0.1, 1.1);
    if rng.uniform_f32() < 0.5 { -m } else { m }
}

/// Records `build` on parameters of the given shapes, reduces to a scalar, and checks the
/// gradient with respect to every parameter element. `h` is the finite-difference step.
fn check(
    name: &str,
    shapes: &[(usize, usize)],
    h: f32,
    fill: impl Fn(usize, &mut Rng) -> f32,
    build: impl Fn(&mut Tape, &[Var]) -> Var,
) {
    let mut tape = Tape::new();
    let params: Vec<_> = shapes.iter().map(|&(r, c)| tape.add_param(r, c)).collect();
    let mut rng = Rng::seed_from(7);
    for (k, &p) in params.iter().enumerate() {
        let range = tape.param_range(p);
        for v in &mut tape.params_mut()[range] {
            *v = fill(k, &mut rng);
        }
    }
    let record = |tape: &mut Tape| -> Var {
        tape.reset();
        let vars: Vec<Var> = params.iter().map(|&p| tape.param(p)).collect();
        let out = build(tape, &vars);
        let (r, c) = tape.shape(out);
        if (r, c) == (1, 1) {
            return out;
        }
        let weights = tape.input_with(r, c, |w| {
            let mut rng = Rng::seed_from(99);
            w.iter_mut().for_each(|x| *x = rng.normal(0.0, 1.0));
        });
        let weighted = tape.mul(out, weights);
        tape.sum(weighted)
    };
    let root = record(&mut tape);
    tape.backward(root);
    let analytic = tape.grads().to_vec();
    assert!(
        analytic.iter().any(|&g| g != 0.0),
        "{name}: all-zero gradient"
    );
    let numeric = numeric_gradient(
        &mut tape,
        Tape::params_mut,
        |t| {
            let root = record(t);
            t.scalar(root)
        },
        h,
    );
    let result = compare(&analytic, &numeric, 1e-3, 1e-2);
    assert!(result.passed(), "{name}: {result:?}");
}

fn normal(_: usize, rng: &mut Rng) -> f32 {
    rng.normal(0.0, 1.0)
}

fn nonzero(_: usize, rng: &mut Rng) -> f32 {
    away_from_zero(rng)
}

#[test]
fn matmul_with_every_transposition() {
    use MatOp::{Identity as I, Transpose as T};
    for (op_a, a, op_b, b) in [
        (I, (3, 4), I, (4, 5)),
        (T, (4, 3), I, (4, 5)),
        (I, (3, 4), T, (5, 4)),
        (T, (4, 3), T, (5, 4)),
        // Degenerate shapes: scalars, inner and outer products, a single row or column.
        (I, (1, 1), I, (1, 1)),
        (I, (1, 5), I, (5, 1)),
        (I, (7, 1), T, (3, 1)),
        (T, (6, 1), I, (6, 2)),
        // Larger than one register tile of the GEMM, with ragged edges.
        (I, (13, 17), T, (19, 17)),
        (T, (17, 13), I, (17, 19)),
    ] {
        check(
            &format!("matmul {op_a:?} {op_b:?}"),
            &[a, b],
            1e-2,
            normal,
            |t, v| t.matmul(v[0], op_a, v[1], op_b),
        );
    }
}

#[test]
fn matmul_of_a_tensor_with_itself_accumulates_both_paths() {
    // Y = A^T A: dA receives A dY^T... from both operands.
    check("A^T A", &[(4, 3)], 1e-2, normal, |t, v| {
        t.matmul(v[0], MatOp::Transpose, v[0], MatOp::Identity)
    });
}

#[test]
fn bias_add() {
    check("bias_add", &[(4, 3), (1, 3)], 1e-2, normal, |t, v| {
        t.bias_add(v[0], v[1])
    });
}

#[test]
fn add_sub_mul() {
    let shapes = [(3, 4), (3, 4)];
    check("add", &shapes, 1e-2, normal, |t, v| t.add(v[0], v[1]));
    check("sub", &shapes, 1e-2, normal, |t, v| t.sub(v[0], v[1]));
    check("mul", &shapes, 1e-2, normal, |t, v| t.mul(v[0], v[1]));
    check("square", &shapes[..1], 1e-2, normal, |t, v| {
        t.mul(v[0], v[0])
    });
}

#[test]
fn scale_sum_mean() {
    check("scale", &[(3, 4)], 1e-2, normal, |t, v| t.scale(v[0], -2.5));
    // sum and mean are scalars; square first so the gradient depends on the input.
    check("sum", &[(3, 4)], 1e-2, normal, |t, v| {
        let sq = t.mul(v[0], v[0]);
        t.sum(sq)
    });
    check("mean", &[(3, 4)], 1e-2, normal, |t, v| {
        let sq = t.mul(v[0], v[0]);
        t.mean(sq)
    });
}

#[test]
fn activations() {
    for act in [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        check(&format!("{act:?}"), &[(4, 5)], 1e-2, nonzero, |t, v| {
            t.activation(v[0], act)
        });
    }
}

#[test]
fn named_activation_shortcuts_record_their_activation() {
    let mut tape = Tape::new();
    let x = tape.input(&[-2.0, 0.5], 1, 2);
    let r = tape.relu(x);
    let l = tape.leaky_relu(x, 0.25);
    let s = tape.sigmoid(x);
    let th = tape.tanh(x);
    assert_eq!(tape.value(r), [0.0, 0.5]);
    assert_eq!(tape.value(l), [-0.5, 0.5]);
    // The SIMD kernels approximate exp and tanh to a few ulps.
    assert!((tape.value(s)[1] - 1.0 / (1.0 + (-0.5f32).exp())).abs() < 1e-6);
    assert!((tape.value(th)[0] - (-2.0f32).tanh()).abs() < 1e-6);
}

#[test]
fn fused_linear_with_every_activation() {
    // Inputs away from zero do not keep relu pre-activations away from zero, so the step is
    // small enough (1e-3) that no pre-activation of this seed crosses a kink.
    for act in [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        check(
            &format!("linear {act:?}"),
            &[(4, 3), (3, 5), (1, 5)],
            1e-3,
            nonzero,
            |t, v| t.linear(v[0], v[1], Some(v[2]), act),
        );
    }
    check(
        "linear without bias",
        &[(4, 3), (3, 5)],
        1e-2,
        nonzero,
        |t, v| t.linear(v[0], v[1], None, Activation::Tanh),
    );
}

#[test]
fn losses() {
    check("mse", &[(4, 3), (4, 3)], 1e-2, normal, |t, v| {
        t.mse(v[0], v[1])
    });
    // Targets of BCE are probabilities in [0, 1].
    let logits_then_probs = |k: usize, rng: &mut Rng| {
        if k == 0 {
            rng.normal(0.0, 2.0)
        } else {
            rng.uniform_f32()
        }
    };
    check("bce", &[(4, 3), (4, 3)], 1e-2, logits_then_probs, |t, v| {
        t.bce_with_logits(v[0], v[1])
    });
    check(
        "cross_entropy",
        &[(4, 5)],
        1e-2,
        |_, rng| rng.normal(0.0, 2.0),
        |t, v| t.cross_entropy(v[0], &[0, 4, 2, 2]),
    );
}

#[test]
fn a_composite_graph_sharing_a_node() {
    // L = mean(tanh(X W + b) * (X W + b)) + sum(X W) * 0.1: the pre-activation feeds two ops.
    check(
        "composite",
        &[(3, 4), (4, 2), (1, 2)],
        1e-2,
        normal,
        |t, v| {
            let xw = t.matmul(v[0], MatOp::Identity, v[1], MatOp::Identity);
            let z = t.bias_add(xw, v[2]);
            let a = t.tanh(z);
            let prod = t.mul(a, z);
            let m = t.mean(prod);
            let s = t.sum(xw);
            let s = t.scale(s, 0.1);
            t.add(m, s)
        },
    );
}
