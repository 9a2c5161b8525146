//! Accuracy of every elementwise kernel against f64, over dense sweeps that include the
//! ranges where approximations usually fail (tiny |x|, large |x|, saturation, subnormal results).

use descent_kernels::elementwise::{
    activate_in_place, activate_into, activation_backward, axpy, col_sums, log_softmax_rows,
    max_abs, scale, scaled_exp, softmax_rows, sum_squares,
};
use descent_kernels::{Activation, MatMut, MatRef};
use descent_rng::Rng;

/// `-max..max` in `n` steps, plus `±10^e` for e in -30..=2 (tiny to saturating).
fn sweep(max: f32, n: usize) -> Vec<f32> {
    let mut xs: Vec<f32> = (0..=n)
        .map(|i| -max + 2.0 * max * i as f32 / n as f32)
        .collect();
    for e in -30..=2 {
        let v = 10f32.powi(e);
        xs.extend([v, -v, 1.37 * v, -1.37 * v]);
    }
    xs.extend([0.0, -0.0, 88.5, -88.5, 104.0, -104.0, 1e30, -1e30]);
    xs
}

/// Largest relative error over results with |y| >= MIN_POSITIVE, and absolute error elsewhere.
fn errors(got: &[f32], want: &[f64]) -> (f64, f64) {
    let (mut rel, mut abs) = (0.0f64, 0.0f64);
    for (&g, &w) in got.iter().zip(want) {
        let e = (f64::from(g) - w).abs();
        if w.abs() >= f64::from(f32::MIN_POSITIVE) {
            rel = rel.max(e / w.abs());
        } else {
            abs = abs.max(e);
        }
    }
    (rel, abs)
}

fn check_activation(act: Activation, f: fn(f64) -> f64, max_rel: f64, max_abs_small: f64) {
    let xs = sweep(120.0, 200_001);
    let mut ys = vec![0.0; xs.len()];
    activate_into(act, &xs, &mut ys);
    let want: Vec<f64> = xs.iter().map(|&x| f(f64::from(x))).collect();
    let (rel, abs) = errors(&ys, &want);
    assert!(
        rel <= max_rel,
        "{act:?}: max relative error {rel:e} > {max_rel:e}"
    );
    assert!(
        abs <= max_abs_small,
        "{act:?}: max absolute error {abs:e} on tiny results"
    );
    // In place gives the same bits, and the odd tail (len % 8 != 0) was covered above.
    let mut inplace = xs.clone();
    activate_in_place(act, &mut inplace);
    assert!(
        inplace
            .iter()
            .zip(&ys)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn sigmoid_accuracy() {
    check_activation(
        Activation::Sigmoid,
        |x| 1.0 / (1.0 + (-x).exp()),
        2.5e-7,
        1.2e-38,
    );
}

#[test]
fn tanh_accuracy() {
    check_activation(Activation::Tanh, f64::tanh, 2.5e-7, 0.0);
    let mut v = [0.0f32, -0.0, 1e-30, -1e-30];
    activate_in_place(Activation::Tanh, &mut v);
    assert_eq!(
        v.map(f32::to_bits),
        [0.0f32, -0.0, 1e-30, -1e-30].map(f32::to_bits)
    );
}

#[test]
fn piecewise_linear_activations_are_exact() {
    check_activation(Activation::Identity, |x| x, 0.0, 0.0);
    check_activation(Activation::Relu, |x| x.max(0.0), 0.0, 0.0);
    check_activation(
        Activation::LeakyRelu(0.01),
        |x| if x > 0.0 { x } else { f64::from(0.01f32) * x },
        6e-8,
        1e-45,
    );
}

#[test]
fn nan_propagates_through_activations() {
    for act in [
        Activation::Identity,
        Activation::Relu,
        Activation::LeakyRelu(0.1),
        Activation::Sigmoid,
        Activation::Tanh,
    ] {
        let mut v = [1.0, f32::NAN, -1.0];
        activate_in_place(act, &mut v);
        assert!(
            v[1].is_nan() && !v[0].is_nan() && !v[2].is_nan(),
            "{act:?}: {v:?}"
        );
    }
}

#[test]
fn activation_backward_matches_f64() {
    let mut rng = Rng::seed_from(5);
    let n = 1003;
    let dy: Vec<f32> = (0..n).map(|_| rng.uniform_range(-3.0, 3.0)).collect();
    let x: Vec<f32> = (0..n).map(|_| rng.uniform_range(-6.0, 6.0)).collect();
    type Derivative = fn(f64) -> f64;
    let cases: [(Activation, Derivative); 5] = [
        (Activation::Identity, |_| 1.0),
        (Activation::Relu, |y| if y > 0.0 { 1.0 } else { 0.0 }),
        (
            Activation::LeakyRelu(0.2),
            |y| if y > 0.0 { 1.0 } else { 0.2 },
        ),
        (Activation::Sigmoid, |y| y * (1.0 - y)),
        (Activation::Tanh, |y| 1.0 - y * y),
    ];
    for (act, d) in cases {
        let mut y = vec![0.0; n];
        activate_into(act, &x, &mut y);
        let mut dx = vec![0.0; n];
        activation_backward(act, &y, &dy, &mut dx);
        for i in 0..n {
            let want = f64::from(dy[i]) * d(f64::from(y[i]));
            let err = (f64::from(dx[i]) - want).abs();
            // Two roundings of f32, relative to the exact terms' magnitudes.
            let bound = 2.5e-7 * f64::from(dy[i]).abs() * (d(f64::from(y[i])).abs() + 1e-7);
            assert!(err <= bound + 1e-30, "{act:?} [{i}]: {} vs {want}", dx[i]);
        }
    }
}

fn random_rows(rows: usize, cols: usize, spread: f32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::seed_from(seed);
    (0..rows * cols)
        .map(|_| rng.uniform_range(-spread, spread))
        .collect()
}

#[test]
fn softmax_rows_accuracy_and_stability() {
    for (rows, cols, spread) in [(7, 10, 5.0), (3, 1001, 30.0), (4, 3, 500.0), (2, 1, 1.0)] {
        let mut x = random_rows(rows, cols, spread, cols as u64);
        x[0] += 1000.0; // large logits must not overflow
        let mut y = vec![0.0; rows * cols];
        softmax_rows(
            MatRef::contiguous(&x, rows, cols),
            MatMut::contiguous(&mut y, rows, cols),
        );
        let mut log_y = vec![0.0; rows * cols];
        log_softmax_rows(
            MatRef::contiguous(&x, rows, cols),
            MatMut::contiguous(&mut log_y, rows, cols),
        );
        for i in 0..rows {
            let row: Vec<f64> = x[i * cols..(i + 1) * cols]
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            for j in 0..cols {
                let want_log = row[j] - lse;
                let want = want_log.exp();
                let got = f64::from(y[i * cols + j]);
                if want >= f64::from(f32::MIN_POSITIVE) {
                    // exp's own error plus the rounding of the f32 argument `x - max`.
                    let bound = (1e-6 + 1.2e-7 * want_log.abs()) * want;
                    assert!(
                        (got - want).abs() <= bound,
                        "softmax [{i},{j}] {got} vs {want}"
                    );
                } else {
                    assert!(got.abs() <= 1.2e-38);
                }
                let got_log = f64::from(log_y[i * cols + j]);
                assert!(
                    (got_log - want_log).abs() <= 1e-6 * (1.0 + want_log.abs()),
                    "log_softmax [{i},{j}] {got_log} vs {want_log}"
                );
            }
        }
    }
}

/// A strided output (rows padded, as in a wider buffer) takes the row-by-row exp instead of the
/// one pass over all rows: same bits, and the padding is left alone. NaN rows stay NaN.
#[test]
fn softmax_rows_give_the_same_bits_into_strided_rows() {
    let (rows, cols, stride) = (9, 10, 13);
    let mut x = random_rows(rows, cols, 8.0, 99);
    x[3 * cols + 4] = f32::NAN;
    let softmaxes: [fn(MatRef<'_>, MatMut<'_>); 2] = [softmax_rows, log_softmax_rows];
    for f in softmaxes {
        let mut dense = vec![0.0; rows * cols];
        f(
            MatRef::contiguous(&x, rows, cols),
            MatMut::contiguous(&mut dense, rows, cols),
        );
        let mut strided = vec![-7.0; rows * stride];
        f(
            MatRef::contiguous(&x, rows, cols),
            MatMut::new(&mut strided, rows, cols, stride),
        );
        for i in 0..rows {
            for j in 0..stride {
                let got = strided[i * stride + j];
                if j >= cols {
                    assert_eq!(got, -7.0, "padding [{i},{j}] overwritten");
                } else if i == 3 {
                    assert!(got.is_nan(), "row with a NaN gave {got} at {j}");
                } else {
                    assert_eq!(got.to_bits(), dense[i * cols + j].to_bits(), "[{i},{j}]");
                }
            }
        }
    }
}

#[test]
fn scaled_exp_writes_or_adds_k_exp_x() {
    // Log-probabilities (x <= 0) down to the underflow edge, on lengths with every tail size.
    let k = -0.03125f32;
    for len in [1usize, 7, 8, 10, 17, 1280] {
        let x: Vec<f32> = (0..len)
            .map(|i| -90.0 * (i as f32 / len as f32).powi(3))
            .collect();
        let start: Vec<f32> = (0..len).map(|i| 0.25 - i as f32 * 1e-3).collect();
        for accumulate in [false, true] {
            let mut out = start.clone();
            scaled_exp(k, &x, &mut out, accumulate);
            for (i, (&got, &x)) in out.iter().zip(&x).enumerate() {
                let term = f64::from(k) * f64::from(x).exp();
                let base = if accumulate { f64::from(start[i]) } else { 0.0 };
                let want = base + term;
                // exp's 3e-7 on the term, one rounding of the scaling and one of the sum;
                // below e^-87.34 (the normal range) the term is 0.
                let tol = 4e-7 * term.abs() + 1.2e-7 * want.abs() + f64::from(k.abs()) * 1.2e-38;
                assert!(
                    (f64::from(got) - want).abs() <= tol,
                    "len {len} accumulate {accumulate} [{i}]: exp({x}) gave {got}, want {want}"
                );
            }
        }
    }
    let mut out = [1.0f32; 3];
    scaled_exp(2.0, &[f32::NAN, 0.0, -100.0], &mut out, false);
    assert!(out[0].is_nan());
    assert_eq!(out[1..], [2.0, 0.0]);
}

#[test]
fn softmax_of_a_row_with_nan_is_nan() {
    let x = [1.0, f32::NAN, 2.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0];
    let mut y = [0.0; 10];
    softmax_rows(
        MatRef::contiguous(&x, 1, 10),
        MatMut::contiguous(&mut y, 1, 10),
    );
    assert!(y.iter().all(|v| v.is_nan()));
    log_softmax_rows(
        MatRef::contiguous(&x, 1, 10),
        MatMut::contiguous(&mut y, 1, 10),
    );
    assert!(y.iter().all(|v| v.is_nan()));
}

#[test]
fn axpy_and_scale_are_correctly_rounded() {
    for n in [0, 1, 7, 8, 9, 100, 1027] {
        let x = random_rows(1, n, 10.0, 1);
        let y0 = random_rows(1, n, 10.0, 2);
        let mut y = y0.clone();
        axpy(-0.3, &x, &mut y);
        for i in 0..n {
            let want = f64::from(y0[i]) + f64::from(-0.3f32) * f64::from(x[i]);
            assert_eq!(y[i], want as f32, "axpy [{i}] (one FMA rounds once)");
        }
        let mut s = x.clone();
        scale(1.7, &mut s);
        for i in 0..n {
            assert_eq!(s[i], x[i] * 1.7);
        }
    }
}

#[test]
fn col_sums_matches_f64() {
    let shapes = [
        (0, 5, 5),
        (1, 9, 9),
        (37, 13, 16),
        (200, 130, 130),
        (103, 1, 1),
        (6, 1, 3),
        (50, 3, 7),
    ];
    for (rows, cols, stride) in shapes {
        let data = random_rows(rows.max(1), stride, 1.0, 9);
        let m = MatRef::new(&data, rows, cols, stride);
        let mut out = vec![f32::NAN; cols];
        col_sums(m, &mut out);
        for (j, &got) in out.iter().enumerate() {
            let want: f64 = (0..rows).map(|i| f64::from(m.get(i, j))).sum();
            let abs_sum: f64 = (0..rows).map(|i| f64::from(m.get(i, j)).abs()).sum();
            let bound = rows as f64 * 6e-8 * abs_sum;
            assert!(
                (f64::from(got) - want).abs() <= bound,
                "col {j}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn sum_squares_and_max_abs_match_f64() {
    for n in [0, 1, 5, 8, 15, 1000, 4099] {
        let x = random_rows(1, n, 100.0, n as u64);
        let want: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let got = sum_squares(&x);
        assert!(
            (got - want).abs() <= 1e-13 * want.max(1e-300),
            "sum_squares n={n}: {got} vs {want}"
        );
        let want_max = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert_eq!(max_abs(&x), want_max);
    }
    let mut x = random_rows(1, 19, 1.0, 3);
    x[17] = -1e30;
    assert_eq!(max_abs(&x), 1e30);
    for at in [2, 17] {
        let mut y = x.clone();
        y[at] = f32::NAN;
        assert!(max_abs(&y).is_nan(), "NaN at {at} (vector body or tail)");
    }
    assert_eq!(max_abs(&[]), 0.0);
}
