//! Building blocks on `wide::f32x8`: a vectorised `exp` / `expm1` and the activations of one
//! vector, shared by the elementwise kernels and the GEMM epilogue.
//!
//! Accuracy against f64 (asserted over dense sweeps in `tests/elementwise.rs`; measured maxima
//! in brackets):
//! - [`exp`]: relative error of a few ulp (<= 3e-7) for results >= `f32::MIN_POSITIVE`; arguments
//!   below `ln(f32::MIN_POSITIVE) = -87.3365` (subnormal results) flush to 0 (absolute error
//!   < 1.2e-38).
//! - [`expm1`]: relative error of a few ulp, including tiny arguments (no cancellation).
//! - sigmoid: relative error <= 2.5e-7 [1.7e-7] for results >= `f32::MIN_POSITIVE`, absolute
//!   error <= 1.2e-38 below.
//! - tanh: relative error <= 2.5e-7 [1.5e-7] everywhere (odd, exact sign, `tanh(±0) = ±0`).
//!
//! NaN inputs give NaN outputs for every function here.

use crate::Activation;
use wide::{f32x8, i32x8};

/// Lanes per vector.
pub(crate) const LANES: usize = 8;

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// `ln 2 = LN2_HI + LN2_LO`, where `LN2_HI = 355 / 512` has only 9 significant bits, so
/// `n * LN2_HI` is exact for the `|n| <= 127` that occur (Cody–Waite range reduction).
const LN2_HI: f32 = 355.0 / 512.0;
const LN2_LO: f32 = -2.121_944_4e-4;
/// `ln(f32::MIN_POSITIVE)`: below this, `e^y` is subnormal in f32 and [`exp`] flushes it to
/// zero.
const EXP_MIN_ARG: f32 = -87.336_54;
/// Above this, `2^n` would overflow the exponent; arguments are clamped here.
const EXP_MAX_ARG: f32 = 88.0;

/// Loads 8 lanes from `s[..8]`.
#[inline(always)]
pub(crate) fn load(s: &[f32]) -> f32x8 {
    f32x8::new(s[..LANES].try_into().expect("8 lanes"))
}

/// Stores 8 lanes into `s[..8]`.
#[inline(always)]
pub(crate) fn store(s: &mut [f32], v: f32x8) {
    s[..LANES].copy_from_slice(v.as_array());
}

/// Loads the first `n <= 8` lanes from `p` (the others are 0) without touching memory past
/// `p + n`.
///
/// # Safety
/// `p..p + n` must be readable.
#[inline(always)]
pub(crate) unsafe fn load_partial(p: *const f32, n: usize) -> f32x8 {
    debug_assert!(n <= LANES);
    if n == LANES {
        // SAFETY: the caller guarantees 8 readable lanes.
        return unsafe { (p as *const f32x8).read_unaligned() };
    }
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    // SAFETY: the mask enables exactly the lanes `0..n`, which the caller guarantees readable.
    unsafe {
        use std::arch::x86_64::{_mm256_loadu_si256, _mm256_maskload_ps};
        let mask = _mm256_loadu_si256(PARTIAL_MASK[LANES - n..].as_ptr().cast());
        wide::bytemuck::cast(_mm256_maskload_ps(p, mask))
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx2")))]
    {
        let mut lanes = [0.0; LANES];
        // SAFETY: the caller guarantees `p..p + n` readable.
        lanes[..n].copy_from_slice(unsafe { std::slice::from_raw_parts(p, n) });
        f32x8::new(lanes)
    }
}

/// Stores the first `n <= 8` lanes of `v` to `p` without touching memory past `p + n`
/// (as at most one 4-, one 2- and one 1-lane store: masked stores are slow on AMD cores).
///
/// # Safety
/// `p..p + n` must be writable.
#[inline(always)]
pub(crate) unsafe fn store_partial(p: *mut f32, n: usize, v: f32x8) {
    debug_assert!(n <= LANES);
    let lanes = v.as_array();
    // SAFETY: every store below writes lanes `< n`, which the caller guarantees writable.
    unsafe {
        if n == LANES {
            return (p as *mut f32x8).write_unaligned(v);
        }
        let mut at = 0;
        for width in [4, 2, 1] {
            if n - at >= width {
                std::ptr::copy_nonoverlapping(lanes.as_ptr().add(at), p.add(at), width);
                at += width;
            }
        }
    }
}

/// `PARTIAL_MASK[8 - n..16 - n]` enables the first `n` lanes.
#[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
static PARTIAL_MASK: [i32; 2 * LANES] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Range reduction `y = n ln2 + r`, `|r| <= ln2 / 2`; returns `(2^n, e^r - 1)`.
///
/// `e^r - 1` is the degree-7 Taylor polynomial `r + r^2/2! + ... + r^7/7!`, evaluated by Horner's
/// rule with FMAs; its truncation error `|r|^8 / 8! < 5.3e-9` is below half an f32 ulp of the
/// result, so the total error is dominated by the few roundings of the evaluation.
#[inline(always)]
fn exp_parts(y: f32x8) -> (f32x8, f32x8) {
    // `fast_max`/`fast_min` return their argument when it is NaN, so NaN propagates.
    let y = f32x8::splat(EXP_MIN_ARG).fast_max(y);
    let y = f32x8::splat(EXP_MAX_ARG).fast_min(y);
    let n = (y * f32x8::splat(LOG2_E)).round();
    let r = n.mul_neg_add(f32x8::splat(LN2_HI), y);
    let r = n.mul_neg_add(f32x8::splat(LN2_LO), r);
    let mut q = f32x8::splat(1.0 / 5040.0);
    for c in [1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5] {
        q = q.mul_add(r, f32x8::splat(c));
    }
    let p = (q * r).mul_add(r, r);
    let bits = (n.fast_round_int() + i32x8::splat(127)) << 23;
    (wide::bytemuck::cast::<i32x8, f32x8>(bits), p)
}

/// `e^y` lanewise; `y < -87.3365` gives 0, `y > 88` gives `e^88`.
#[inline(always)]
pub(crate) fn exp(y: f32x8) -> f32x8 {
    let (two_n, p) = exp_parts(y);
    let e = two_n.mul_add(p, two_n);
    y.simd_lt(f32x8::splat(EXP_MIN_ARG)).select(f32x8::ZERO, e)
}

/// `e^y - 1` lanewise, accurate for small `|y|` (no cancellation); `y < -87.3365` gives `-1`.
#[inline(always)]
pub(crate) fn expm1(y: f32x8) -> f32x8 {
    let (two_n, p) = exp_parts(y);
    two_n.mul_add(p, two_n - f32x8::ONE)
}

/// `sigma(x) = 1 / (1 + e^-x)`, computed from `e = e^-|x|` as `1 / (1 + e)` for `x >= 0` and
/// `e / (1 + e)` for `x < 0`, so `exp` never overflows.
#[inline(always)]
pub(crate) fn sigmoid(x: f32x8) -> f32x8 {
    let e = exp(-x.abs());
    let num = x.simd_lt(f32x8::ZERO).select(e, f32x8::ONE);
    num / (f32x8::ONE + e)
}

/// `tanh(x) = sign(x) * (-m / (2 + m))` with `m = expm1(-2|x|)`: exact for large `|x|`
/// (`m -> -1`) and free of cancellation for small `|x|`.
#[inline(always)]
pub(crate) fn tanh(x: f32x8) -> f32x8 {
    let sign = x & f32x8::splat(-0.0);
    let m = expm1(f32x8::splat(-2.0) * x.abs());
    let t = -m / (f32x8::splat(2.0) + m);
    t.abs() | sign
}

/// The activation `f(x)` of [`Activation`] on one vector.
#[inline(always)]
pub(crate) fn activate(act: Activation, x: f32x8) -> f32x8 {
    match act {
        Activation::Identity => x,
        // `max(0, x)` returns `x` when it is NaN.
        Activation::Relu => f32x8::ZERO.fast_max(x),
        Activation::LeakyRelu(slope) => x.simd_gt(f32x8::ZERO).select(x, f32x8::splat(slope) * x),
        Activation::Sigmoid => sigmoid(x),
        Activation::Tanh => tanh(x),
    }
}

/// `dx = dy * f'(x)` on one vector, from the forward output `y = f(x)`.
#[inline(always)]
pub(crate) fn activation_backward(act: Activation, y: f32x8, dy: f32x8) -> f32x8 {
    match act {
        Activation::Identity => dy,
        Activation::Relu => y.simd_gt(f32x8::ZERO).select(dy, f32x8::ZERO),
        Activation::LeakyRelu(slope) => y.simd_gt(f32x8::ZERO).select(dy, f32x8::splat(slope) * dy),
        Activation::Sigmoid => dy * (y * (f32x8::ONE - y)),
        Activation::Tanh => dy * y.mul_neg_add(y, f32x8::ONE),
    }
}
