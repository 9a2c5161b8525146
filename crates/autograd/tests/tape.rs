//! Tape semantics: exact forward values, overwrite-not-accumulate gradients, unused parameters,
//! pooled storage across recordings of different shapes.

use descent_autograd::{Activation, Op, ParamId, Tape};
use descent_kernels::Op as MatOp;

/// A tape with `W = [[1], [2]]` (2 x 1), `b = [0.5]` and an unused `u` (1 x 3).
fn linear_tape() -> (Tape, ParamId, ParamId, ParamId) {
    let mut tape = Tape::new();
    let w = tape.add_param(2, 1);
    let b = tape.add_param(1, 1);
    let u = tape.add_param(1, 3);
    tape.params_mut()
        .copy_from_slice(&[1.0, 2.0, 0.5, 7.0, 7.0, 7.0]);
    (tape, w, b, u)
}

/// Records `L = sum((X W + b)^2)` for `rows x 2` inputs and sweeps it back.
fn step(tape: &mut Tape, w: ParamId, b: ParamId, x: &[f32], rows: usize) -> f32 {
    tape.reset();
    let xv = tape.input(x, rows, 2);
    let (wv, bv) = (tape.param(w), tape.param(b));
    let z = tape.linear(xv, wv, Some(bv), Activation::Identity);
    let sq = tape.mul(z, z);
    let l = tape.sum(sq);
    tape.backward(l);
    tape.scalar(l)
}

#[test]
fn known_values_and_gradients() {
    let (mut tape, w, b, _) = linear_tape();
    // z = [1*1 + 1*2 + 0.5, 2*1 + 0*2 + 0.5] = [3.5, 2.5]; L = 12.25 + 6.25 = 18.5.
    let l = step(&mut tape, w, b, &[1.0, 1.0, 2.0, 0.0], 2);
    assert_eq!(l, 18.5);
    // dL/dz = 2z = [7, 5]; dW = X^T dz = [7 + 10, 7] = [17, 7]; db = 12; unused u: 0.
    assert_eq!(tape.grads(), [17.0, 7.0, 12.0, 0.0, 0.0, 0.0]);
}

#[test]
fn backward_overwrites_instead_of_accumulating() {
    let (mut tape, w, b, _) = linear_tape();
    let x = [1.0, 1.0, 2.0, 0.0];
    step(&mut tape, w, b, &x, 2);
    let first = tape.grads().to_vec();
    step(&mut tape, w, b, &x, 2);
    assert_eq!(tape.grads(), first);
}

#[test]
fn pooled_storage_follows_changing_shapes() {
    let (mut reused, w, b, _) = linear_tape();
    let x: Vec<f32> = (0..12).map(|i| i as f32 * 0.25 - 1.0).collect();
    for rows in [2, 6, 1, 4] {
        let (mut fresh, ..) = linear_tape();
        let l_fresh = step(&mut fresh, w, b, &x[..rows * 2], rows);
        let l_reused = step(&mut reused, w, b, &x[..rows * 2], rows);
        assert_eq!(l_fresh.to_bits(), l_reused.to_bits(), "rows {rows}");
        assert_eq!(fresh.grads(), reused.grads(), "rows {rows}");
    }
}

#[test]
fn node_gradients_and_ops_are_inspectable() {
    let (mut tape, w, _, _) = linear_tape();
    let x = tape.input(&[1.0, -1.0], 1, 2);
    let wv = tape.param(w);
    let y = tape.matmul(x, MatOp::Identity, wv, MatOp::Identity); // 1*1 + -1*2 = -1
    let y3 = tape.scale(y, 3.0);
    tape.backward(y3);
    assert_eq!(tape.value(y3), [-3.0]);
    assert_eq!(tape.grad(y), Some(&[3.0f32][..]));
    assert_eq!(tape.grad(x), None, "inputs get no gradient");
    assert_eq!(tape.grad(wv), Some(&[3.0f32, -3.0][..]));
    assert_eq!(tape.op(y3), Op::Scale(y, 3.0));
}

#[test]
fn a_graph_without_parameters_leaves_zero_gradients() {
    let (mut tape, ..) = linear_tape();
    let x = tape.input(&[1.0, 2.0], 1, 2);
    let s = tape.sum(x);
    tape.backward(s);
    assert!(tape.grads().iter().all(|&g| g == 0.0));
}

#[test]
#[should_panic(expected = "not on the current tape")]
fn vars_of_a_previous_recording_are_rejected() {
    let mut tape = Tape::new();
    let x = tape.input(&[1.0], 1, 1);
    tape.reset();
    tape.value(x);
}

#[test]
#[should_panic(expected = "inner dimensions")]
fn mismatched_matmul_shapes_are_rejected() {
    let mut tape = Tape::new();
    let a = tape.input(&[0.0; 6], 2, 3);
    let b = tape.input(&[0.0; 6], 2, 3);
    tape.matmul(a, MatOp::Identity, b, MatOp::Identity);
}

#[test]
#[should_panic(expected = "label 3 out of range")]
fn out_of_range_labels_are_rejected() {
    let mut tape = Tape::new();
    let z = tape.input(&[0.0; 6], 2, 3);
    tape.cross_entropy(z, &[0, 3]);
}
