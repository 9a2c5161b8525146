//! Eight-lane helpers shared by the driver and the update rules: the lane count, `sign` and the
//! subnormal flush.

use wide::f32x8;

/// Lanes per SIMD vector.
pub(crate) const LANES: usize = 8;

/// Coupled (L2) weight decay folded into the gradient: `g + weight_decay * p` (one FMA),
/// or `g` unchanged when `weight_decay == 0` (so `-0.0` gradients keep their sign).
#[inline(always)]
pub(crate) fn l2_decay(weight_decay: f32, p: f32x8, g: f32x8) -> f32x8 {
    if weight_decay != 0.0 {
        p.mul_add(f32x8::splat(weight_decay), g)
    } else {
        g
    }
}

/// `torch.sign`: 1 for positive, -1 for negative, 0 for ±0 (NaN gives 0 here).
#[inline(always)]
pub(crate) fn sign(x: f32x8) -> f32x8 {
    let zero = f32x8::ZERO;
    let positive = x.simd_gt(zero).select(f32x8::ONE, zero);
    x.simd_lt(zero).select(-f32x8::ONE, positive)
}

/// `0` where `|x| < 2^-126` (`f32::MIN_POSITIVE`: subnormal numbers), `x` elsewhere (NaN and
/// infinities included, so divergence still shows).
#[inline(always)]
pub(crate) fn flush_subnormal(x: f32x8) -> f32x8 {
    // A bit-select with a zero operand: one and-not (a `select` costs a blend).
    x.abs()
        .simd_lt(f32x8::splat(f32::MIN_POSITIVE))
        .bitselect(f32x8::ZERO, x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_matches_torch_sign() {
        let x = f32x8::new([-2.0, -0.0, 0.0, 3.5, -1e-30, 1e-30, 7.0, -7.0]);
        assert_eq!(
            sign(x).to_array(),
            [-1.0, 0.0, 0.0, 1.0, -1.0, 1.0, 1.0, -1.0]
        );
    }

    #[test]
    fn flush_subnormal_zeroes_only_subnormals() {
        let tiny = f32::MIN_POSITIVE;
        let x = f32x8::new([
            tiny,
            -tiny,
            tiny / 2.0,
            -tiny * 0.25,
            f32::NAN,
            1e-45,
            3.0,
            f32::NEG_INFINITY,
        ]);
        let y = flush_subnormal(x).to_array();
        assert_eq!(y[..4], [tiny, -tiny, 0.0, 0.0]);
        assert!(y[4].is_nan());
        assert_eq!(y[5..], [0.0, 3.0, f32::NEG_INFINITY]);
    }
}
