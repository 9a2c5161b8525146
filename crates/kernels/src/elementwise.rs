//! Elementwise and row-wise kernels for the autograd layer.
//!
//! PLACEHOLDER: scalar reference bodies with the final public API; SIMD versions replace them.

use crate::{Activation, MatMut, MatRef};

/// `x <- f(x)` for the activation `f`.
pub fn activate_in_place(act: Activation, x: &mut [f32]) {
    for v in x {
        *v = activate(act, *v);
    }
}

/// `y = f(x)`.
pub fn activate_into(act: Activation, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y = activate(act, x);
    }
}

/// `dx = dy * f'(x)`, where `y = f(x)` is the forward output (sigmoid and tanh use it:
/// `sigma' = y (1 - y)`, `tanh' = 1 - y^2`; relu and leaky relu read the sign of `y`).
pub fn activation_backward(act: Activation, y: &[f32], dy: &[f32], dx: &mut [f32]) {
    assert!(y.len() == dy.len() && dy.len() == dx.len());
    for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
        let d = match act {
            Activation::Identity => 1.0,
            Activation::Relu => (y > 0.0) as u8 as f32,
            Activation::LeakyRelu(s) => {
                if y > 0.0 {
                    1.0
                } else {
                    s
                }
            }
            Activation::Sigmoid => y * (1.0 - y),
            Activation::Tanh => 1.0 - y * y,
        };
        *dx = dy * d;
    }
}

fn activate(act: Activation, x: f32) -> f32 {
    match act {
        Activation::Identity => x,
        Activation::Relu => x.max(0.0),
        Activation::LeakyRelu(s) => {
            if x > 0.0 {
                x
            } else {
                s * x
            }
        }
        Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        Activation::Tanh => x.tanh(),
    }
}

/// Row-wise softmax: `y_ij = exp(x_ij - max_j x_ij) / sum_j exp(x_ij - max_j x_ij)`.
pub fn softmax_rows(x: MatRef<'_>, mut y: MatMut<'_>) {
    for i in 0..x.rows() {
        let row = x.row(i);
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let out = y.row_mut(i);
        let mut sum = 0.0;
        for (o, &v) in out.iter_mut().zip(row) {
            *o = (v - max).exp();
            sum += *o;
        }
        for o in out.iter_mut() {
            *o /= sum;
        }
    }
}

/// Row-wise log-softmax: `y_ij = x_ij - max_j x_ij - ln sum_j exp(x_ij - max_j x_ij)`.
pub fn log_softmax_rows(x: MatRef<'_>, mut y: MatMut<'_>) {
    for i in 0..x.rows() {
        let row = x.row(i);
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = row.iter().map(|&v| (v - max).exp()).sum::<f32>().ln() + max;
        for (o, &v) in y.row_mut(i).iter_mut().zip(row) {
            *o = v - lse;
        }
    }
}

/// `y <- y + alpha * x`.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len());
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// `x <- alpha * x`.
pub fn scale(alpha: f32, x: &mut [f32]) {
    for v in x {
        *v *= alpha;
    }
}

/// `out_j = sum_i m_ij` (the bias gradient of a linear layer); `out` is overwritten.
pub fn col_sums(m: MatRef<'_>, out: &mut [f32]) {
    assert_eq!(out.len(), m.cols());
    out.fill(0.0);
    for i in 0..m.rows() {
        for (o, &v) in out.iter_mut().zip(m.row(i)) {
            *o += v;
        }
    }
}

/// `sum_i x_i^2`, accumulated in f64.
pub fn sum_squares(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}

/// `max_i |x_i|` (0 for an empty slice; NaN if any element is NaN).
pub fn max_abs(x: &[f32]) -> f32 {
    let mut m = 0.0f32;
    for &v in x {
        if v.is_nan() {
            return f32::NAN;
        }
        m = m.max(v.abs());
    }
    m
}
