//! Pieces shared by the Adam family (Adam/AdamW, NAdam, RAdam), kept in one place so the
//! rules cannot drift apart.

use wide::f32x8;

use crate::lanes::l2_decay;
use crate::rule::StateLanes;

/// Adam's moment estimates, in PyTorch's f32 operation order:
/// `m <- m + (1 - beta1) (g - m)` (a lerp) and `v <- beta2 v + (1 - beta2) g^2`.
#[inline(always)]
pub(super) fn update_moments(betas: (f64, f64), s: &mut StateLanes, g: f32x8) {
    s[0] = (g - s[0]).mul_add(f32x8::splat((1.0 - betas.0) as f32), s[0]);
    s[1] = s[1] * f32x8::splat(betas.1 as f32) + f32x8::splat((1.0 - betas.1) as f32) * g * g;
}

/// Weight decay before the update, returning the gradient to use.
/// Decoupled (AdamW style): `p <- p * decay` with `decay = 1 - lr * weight_decay`, `g` unchanged.
/// Coupled (L2): `g <- g + decay * p` with `decay = weight_decay` (skipped when 0).
#[inline(always)]
pub(super) fn apply_decay(decoupled: bool, decay: f32, p: &mut f32x8, g: f32x8) -> f32x8 {
    if decoupled {
        *p *= f32x8::splat(decay);
        g
    } else {
        l2_decay(decay, *p, g)
    }
}
