//! Elementwise and row-wise kernels for the autograd layer, on `wide::f32x8`.
//!
//! Each slice is processed in full vectors; the tail (fewer than 8 elements) is copied into a
//! padded vector and runs through the same vector code, so every element gets the same
//! arithmetic. Accuracy of the approximations (sigmoid, tanh, exp in softmax) is documented on
//! each function and asserted against f64 in `tests/elementwise.rs`.

use crate::simd::{self, LANES};
use crate::{Activation, MatMut, MatRef};
use wide::{f32x8, f64x4};

/// Applies `f` to each vector of `x` in place (tail padded with zeros).
#[inline(always)]
fn map_in_place(x: &mut [f32], f: impl Fn(f32x8) -> f32x8) {
    let mut chunks = x.chunks_exact_mut(LANES);
    for c in &mut chunks {
        simd::store(c, f(simd::load(c)));
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        store_prefix(f(load_padded(tail)), tail);
    }
}

/// `out = f(x)` vector by vector (tail padded with zeros).
#[inline(always)]
fn map_into(x: &[f32], out: &mut [f32], f: impl Fn(f32x8) -> f32x8) {
    assert_eq!(x.len(), out.len(), "length mismatch");
    let full = x.len() - x.len() % LANES;
    for i in (0..full).step_by(LANES) {
        simd::store(&mut out[i..], f(simd::load(&x[i..])));
    }
    if full < x.len() {
        store_prefix(f(load_padded(&x[full..])), &mut out[full..]);
    }
}

/// `out = f(x, y)` vector by vector (tails padded with zeros).
#[inline(always)]
fn zip_into(x: &[f32], y: &[f32], out: &mut [f32], f: impl Fn(f32x8, f32x8) -> f32x8) {
    assert!(
        x.len() == y.len() && y.len() == out.len(),
        "length mismatch"
    );
    let full = x.len() - x.len() % LANES;
    for i in (0..full).step_by(LANES) {
        let r = f(simd::load(&x[i..]), simd::load(&y[i..]));
        simd::store(&mut out[i..], r);
    }
    if full < x.len() {
        let r = f(load_padded(&x[full..]), load_padded(&y[full..]));
        store_prefix(r, &mut out[full..]);
    }
}

/// `out = f(out, x)` vector by vector (tails padded with zeros).
#[inline(always)]
fn zip_in_place(out: &mut [f32], x: &[f32], f: impl Fn(f32x8, f32x8) -> f32x8) {
    assert_eq!(x.len(), out.len(), "length mismatch");
    let full = x.len() - x.len() % LANES;
    for i in (0..full).step_by(LANES) {
        let r = f(simd::load(&out[i..]), simd::load(&x[i..]));
        simd::store(&mut out[i..], r);
    }
    if full < x.len() {
        let r = f(load_padded(&out[full..]), load_padded(&x[full..]));
        store_prefix(r, &mut out[full..]);
    }
}

/// `x <- f(x)` for the activation `f`.
///
/// Accuracy vs f64: identity and relu are exact, leaky relu rounds once (`slope * x`);
/// sigmoid has relative error <= 2.5e-7 (measured 1.7e-7) where the result is at least
/// `f32::MIN_POSITIVE` (absolute error <= 1.2e-38 below); tanh has relative error <= 2.5e-7
/// (measured 1.5e-7) everywhere. NaN stays NaN.
pub fn activate_in_place(act: Activation, x: &mut [f32]) {
    map_in_place(x, |v| simd::activate(act, v));
}

/// `y = f(x)`, with the accuracy of [`activate_in_place`].
pub fn activate_into(act: Activation, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len());
    map_into(x, y, |v| simd::activate(act, v));
}

/// `dx = dy * f'(x)`, where `y = f(x)` is the forward OUTPUT: `sigma' = y (1 - y)`,
/// `tanh' = 1 - y^2` (one FMA), relu and leaky relu read the sign of `y` (`f' = 1` for
/// `y > 0`, else `0` / `slope`; assumes `slope > 0`). Error: at most 2 roundings (<= 1.2e-7
/// relative to `|dy| * |f'|` computed exactly from the given `y`).
pub fn activation_backward(act: Activation, y: &[f32], dy: &[f32], dx: &mut [f32]) {
    zip_into(y, dy, dx, |y, dy| simd::activation_backward(act, y, dy));
}

/// Row-wise softmax: `y_ij = exp(x_ij - max_j x_ij) / sum_j exp(x_ij - max_j x_ij)`.
///
/// Stable for any finite inputs (the largest exponent is 0). Relative error of each output
/// vs f64 <= `1e-6 + 1.2e-7 |ln y_ij|` for rows up to thousands of columns: exp's 3e-7, the f32
/// sum, and the rounding of the f32 argument `x_ij - max`. Outputs below `f32::MIN_POSITIVE`
/// flush to 0.
/// A row with a NaN gives NaN.
pub fn softmax_rows(x: MatRef<'_>, mut y: MatMut<'_>) {
    assert_eq!(
        (x.rows(), x.cols()),
        (y.rows(), y.cols()),
        "softmax_rows: shapes differ"
    );
    exp_shifted_rows(x, y.reborrow());
    for i in 0..x.rows() {
        let out = y.row_mut(i);
        let sum = sum(out);
        let inv = if row_max(x.row(i)).is_nan() {
            f32::NAN
        } else {
            1.0 / sum
        };
        scale(inv, out);
    }
}

/// `out = k e^x` elementwise, or `out += k e^x` when `accumulate` (the softmax cross-entropy
/// gradient from log-probabilities), with the vector exp of [`softmax_rows`]: relative error
/// <= 3e-7 vs f64 before the scaling; `x < -87.34` gives 0. NaN stays NaN.
pub fn scaled_exp(k: f32, x: &[f32], out: &mut [f32], accumulate: bool) {
    let k = f32x8::splat(k);
    if accumulate {
        zip_in_place(out, x, |o, v| o + k * simd::exp(v));
    } else {
        map_into(x, out, |v| k * simd::exp(v));
    }
}

/// Row-wise log-softmax: `y_ij = x_ij - max_j x_ij - ln sum_j exp(x_ij - max_j x_ij)`.
///
/// Absolute error <= 1e-6 * (1 + |y_ij|) vs f64 (the log-sum-exp is formed in f64 from the f32
/// sum). A row with a NaN gives NaN.
pub fn log_softmax_rows(x: MatRef<'_>, mut y: MatMut<'_>) {
    assert_eq!(
        (x.rows(), x.cols()),
        (y.rows(), y.cols()),
        "log_softmax_rows: shapes differ"
    );
    exp_shifted_rows(x, y.reborrow());
    for i in 0..x.rows() {
        let (row, out) = (x.row(i), y.row_mut(i));
        let shift = (f64::from(row_max(row)) + f64::from(sum(out)).ln()) as f32;
        for (o, &v) in out.iter_mut().zip(row) {
            *o = v - shift;
        }
    }
}

/// `y_ij = exp(x_ij - max_j x_ij)`. The shifted arguments are written row by row, then one
/// vector exp runs over all rows at once when `y` is contiguous: rows as short as a
/// classifier's 10 outputs would otherwise each end in a padded partial vector, which cost
/// more than their exps. Every element gets the same operations either way.
fn exp_shifted_rows(x: MatRef<'_>, mut y: MatMut<'_>) {
    let (rows, cols) = (x.rows(), x.cols());
    for i in 0..rows {
        let (row, out) = (x.row(i), y.row_mut(i));
        let max = row_max(row);
        for (o, &v) in out.iter_mut().zip(row) {
            *o = v - max;
        }
    }
    if y.row_stride() == cols {
        map_in_place(&mut y.data_mut()[..rows * cols], simd::exp);
    } else {
        for i in 0..rows {
            map_in_place(y.row_mut(i), simd::exp);
        }
    }
}

/// `max x` (NaN if any element is NaN; -inf for an empty row).
fn row_max(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, |m, v| {
        if m.is_nan() || v.is_nan() {
            f32::NAN
        } else {
            m.max(v)
        }
    })
}

/// `sum_i x_i` in f32, 8 partial sums combined at the end.
fn sum(x: &[f32]) -> f32 {
    let mut acc = f32x8::ZERO;
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        acc += simd::load(c);
    }
    acc.reduce_add() + chunks.remainder().iter().sum::<f32>()
}

/// The `s.len() <= 8` values of `s` in the first lanes of a vector, the others 0: one masked
/// load on AVX2, so a tail built this way is not stored piecewise and then reloaded whole (a
/// store-forwarding stall that cost a tiny model's optimizer step more than its arithmetic).
pub fn load_padded(s: &[f32]) -> f32x8 {
    assert!(
        s.len() <= LANES,
        "load_padded: {} values for 8 lanes",
        s.len()
    );
    // SAFETY: `s` holds exactly the `s.len()` values read.
    unsafe { simd::load_partial(s.as_ptr(), s.len()) }
}

/// Writes the first `out.len() <= 8` lanes of `v` to `out` (the inverse of [`load_padded`]).
pub fn store_prefix(v: f32x8, out: &mut [f32]) {
    assert!(
        out.len() <= LANES,
        "store_prefix: {} values from 8 lanes",
        out.len()
    );
    // SAFETY: `out` has exactly the `out.len()` elements written.
    unsafe { simd::store_partial(out.as_mut_ptr(), out.len(), v) }
}

/// `y <- y + alpha * x` (one FMA per element: a single rounding).
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    let a = f32x8::splat(alpha);
    zip_in_place(y, x, |y, x| x.mul_add(a, y));
}

/// `x <- alpha * x` (exactly rounded).
pub fn scale(alpha: f32, x: &mut [f32]) {
    let a = f32x8::splat(alpha);
    map_in_place(x, |v| v * a);
}

/// `out_j = sum_i m_ij` (the bias gradient of a linear layer); `out` is overwritten.
/// Summed in f32 (deterministic; error <= rows * 6e-8 * sum_i |m_ij|): a single column as
/// interleaved partial sums (see `column_sum`), independent adds instead of one serial chain;
/// narrower than a
/// vector, column by column in row order; wider, vector by vector in row order.
#[inline]
pub fn col_sums(m: MatRef<'_>, out: &mut [f32]) {
    assert_eq!(out.len(), m.cols());
    let (rows, rs, data) = (m.rows(), m.row_stride(), m.data());
    match m.cols() {
        0 => {}
        1 => out[0] = column_sum(data, rs, rows),
        cols if cols < LANES => {
            for (j, o) in out.iter_mut().enumerate() {
                *o = (0..rows).fold(0.0, |s, i| s + data[i * rs + j]);
            }
        }
        _ => {
            out.fill(0.0);
            for i in 0..rows {
                zip_into_self(out, m.row(i));
            }
        }
    }
}

/// `sum_i data[i * stride]` for `i < rows` as four interleaved partial sums (see [`col_sums`]);
/// a contiguous column (`stride = 1`) as eight vector lanes instead, `s_r = sum_{i = r mod 8}`,
/// reduced by a fixed tree, then the last `rows mod 8` elements in order.
fn column_sum(data: &[f32], stride: usize, rows: usize) -> f32 {
    if stride == 1 {
        let column = &data[..rows];
        let mut chunks = column.chunks_exact(LANES);
        let lanes = (&mut chunks).fold(f32x8::ZERO, |s, c| s + simd::load(c));
        return chunks
            .remainder()
            .iter()
            .fold(lanes.reduce_add(), |s, &v| s + v);
    }
    let mut s = [0.0f32; 4];
    let body = rows - rows % 4;
    for i in (0..body).step_by(4) {
        for (r, acc) in s.iter_mut().enumerate() {
            *acc += data[(i + r) * stride];
        }
    }
    for (i, acc) in (body..rows).zip(&mut s) {
        *acc += data[i * stride];
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

/// `out += x` vector by vector, the tail element by element: [`col_sums`] adds the next row
/// into `out` at once, and a masked reload of a partial tail store would stall on store
/// forwarding (not [`zip_in_place`]).
fn zip_into_self(out: &mut [f32], x: &[f32]) {
    let full = x.len() - x.len() % LANES;
    for i in (0..full).step_by(LANES) {
        let r = simd::load(&out[i..]) + simd::load(&x[i..]);
        simd::store(&mut out[i..], r);
    }
    for (o, &v) in out[full..].iter_mut().zip(&x[full..]) {
        *o += v;
    }
}

/// `sum_i x_i^2`, each square and the sums in f64 (4 + 4 partial sums; error <= n * 1.1e-16
/// relative).
pub fn sum_squares(x: &[f32]) -> f64 {
    sum_of_f64_squares::<false>(x, x)
}

/// `sum_i (x_i - y_i)^2` (the MSE numerator), each difference, square and sum in f64 like
/// [`sum_squares`] (the differences are exact in f64).
pub fn sum_squared_diff(x: &[f32], y: &[f32]) -> f64 {
    assert_eq!(x.len(), y.len(), "sum_squared_diff: lengths differ");
    sum_of_f64_squares::<true>(x, y)
}

/// `sum_i d_i^2` in f64 with `d_i = x_i - y_i` (`DIFF`) or `x_i`: elements `i = 8c + r` go to
/// partial sum `r` (`r < 4`: `lo`, else `hi`, as FMAs), combined as `(lo + hi)` reduced across
/// lanes, plus the last `n mod 8` squares in order.
#[inline(always)]
fn sum_of_f64_squares<const DIFF: bool>(x: &[f32], y: &[f32]) -> f64 {
    let d = |a: f32, b: f32| {
        if DIFF {
            f64::from(a) - f64::from(b)
        } else {
            f64::from(a)
        }
    };
    let ((xs, x_tail), (ys, y_tail)) = (x.as_chunks::<LANES>(), y.as_chunks::<LANES>());
    let (mut lo, mut hi) = (f64x4::ZERO, f64x4::ZERO);
    for (a, b) in xs.iter().zip(ys) {
        let lo_d = f64x4::new(std::array::from_fn(|r| d(a[r], b[r])));
        let hi_d = f64x4::new(std::array::from_fn(|r| d(a[r + 4], b[r + 4])));
        lo = lo_d.mul_add(lo_d, lo);
        hi = hi_d.mul_add(hi_d, hi);
    }
    let tail: f64 = x_tail
        .iter()
        .zip(y_tail)
        .map(|(&a, &b)| d(a, b) * d(a, b))
        .sum();
    (lo + hi).reduce_add() + tail
}

/// `max_i |x_i|` (0 for an empty slice; NaN if any element is NaN). Exact.
pub fn max_abs(x: &[f32]) -> f32 {
    let mut m = f32x8::ZERO;
    let mut nan = f32x8::ZERO;
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        let v = simd::load(c);
        nan |= v.is_nan();
        m = m.fast_max(v.abs());
    }
    let mut best = m.as_array().iter().copied().fold(0.0f32, f32::max);
    for &v in chunks.remainder() {
        if v.is_nan() {
            return f32::NAN;
        }
        best = best.max(v.abs());
    }
    if nan.any() { f32::NAN } else { best }
}
