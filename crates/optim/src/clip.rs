//! Gradient clipping over the whole flat gradient buffer.

use rayon::prelude::*;

use crate::chunks::CHUNK;

/// Which norm [`clip_grad_norm`] measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormType {
    /// `sum |g_i|`.
    L1,
    /// `sqrt(sum g_i^2)`.
    L2,
    /// `max |g_i|`.
    Inf,
}

/// Global-norm clipping over the whole buffer (`torch.nn.utils.clip_grad_norm_` over all
/// parameters together); returns the norm before clipping.
///
/// ```text
/// norm = ||g||_p                             (p = 1, 2 or inf)
/// coef = min(max_norm / (norm + 1e-6), 1)      (NaN stays NaN)
/// g    = g * coef
/// ```
///
/// As in PyTorch the 1e-6 keeps the division finite and makes a clipped norm land just below
/// `max_norm`; a non-finite norm is returned as is (and, as in PyTorch without
/// `error_if_nonfinite`, the gradient then becomes non-finite or zero). Sums are accumulated in
/// f64 per fixed chunk and the chunk sums added in order, so the result does not depend on the
/// thread count. Buffers longer than one chunk (32768) are processed over the current rayon pool.
pub fn clip_grad_norm(grads: &mut [f32], max_norm: f32, norm_type: NormType) -> f32 {
    let norm = norm(grads, norm_type);
    // Not `f32::min`, which would turn a NaN coefficient into 1; `torch.clamp` keeps the NaN.
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 || coef.is_nan() {
        each_chunk(grads, |c| c.iter_mut().for_each(|g| *g *= coef));
    }
    norm
}

/// Clamps every gradient into `[-clip_value, clip_value]` (`torch.nn.utils.clip_grad_value_`);
/// NaN stays NaN.
///
/// # Panics
/// When `clip_value` is negative or NaN.
pub fn clip_grad_value(grads: &mut [f32], clip_value: f32) {
    assert!(
        clip_value >= 0.0,
        "clip_grad_value: clip_value {clip_value} must be >= 0"
    );
    each_chunk(grads, |c| {
        c.iter_mut()
            .for_each(|g| *g = g.clamp(-clip_value, clip_value))
    });
}

/// `f` on each chunk: on the calling thread for a single chunk, over rayon otherwise.
fn each_chunk(grads: &mut [f32], f: impl Fn(&mut [f32]) + Sync + Send) {
    if grads.len() <= CHUNK {
        f(grads);
    } else {
        grads.par_chunks_mut(CHUNK).for_each(f);
    }
}

/// `||g||_p` of the whole buffer.
fn norm(grads: &[f32], norm_type: NormType) -> f32 {
    match norm_type {
        NormType::Inf if grads.len() <= CHUNK => max_abs(grads),
        NormType::Inf => grads.par_chunks(CHUNK).map(max_abs).reduce(|| 0.0, nan_max),
        NormType::L1 => ordered_sum(grads, |x| f64::from(x.abs())) as f32,
        NormType::L2 => ordered_sum(grads, |x| f64::from(x) * f64::from(x)).sqrt() as f32,
    }
}

/// `max |g_i|`, NaN if any element is NaN (as `torch.linalg.vector_norm`).
fn max_abs(c: &[f32]) -> f32 {
    c.iter().fold(0.0f32, |m, x| nan_max(m, x.abs()))
}

/// The larger of `a` and `b`, NaN if either is NaN.
fn nan_max(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else {
        a.max(b)
    }
}

/// `sum f(g_i)` in f64: per chunk in eight interleaved partial sums, chunks added in order.
fn ordered_sum(grads: &[f32], f: impl Fn(f32) -> f64 + Sync) -> f64 {
    let chunk_sum = |c: &[f32]| {
        let mut acc = [0.0f64; 8];
        let mut lanes = c.chunks_exact(8);
        for lane in &mut lanes {
            for (a, &x) in acc.iter_mut().zip(lane) {
                *a += f(x);
            }
        }
        lanes.remainder().iter().map(|&x| f(x)).sum::<f64>() + acc.iter().sum::<f64>()
    };
    if grads.len() <= CHUNK {
        return chunk_sum(grads);
    }
    let sums: Vec<f64> = grads.par_chunks(CHUNK).map(chunk_sum).collect();
    sums.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_by_hand() {
        let mut g = [3.0, -4.0, 0.0, 1.0];
        assert_eq!(norm(&g, NormType::L1), 8.0);
        assert_eq!(norm(&g, NormType::Inf), 4.0);
        assert!((norm(&g, NormType::L2) - 26f32.sqrt()).abs() < 1e-6);
        // max_norm above the norm: untouched.
        assert_eq!(clip_grad_norm(&mut g, 10.0, NormType::L1), 8.0);
        assert_eq!(g, [3.0, -4.0, 0.0, 1.0]);
        // max-norm 2 of an inf-norm 4: coef = 2 / (4 + 1e-6).
        clip_grad_norm(&mut g, 2.0, NormType::Inf);
        let coef = 2.0f32 / (4.0 + 1e-6);
        assert_eq!(g, [3.0 * coef, -4.0 * coef, 0.0, coef]);
    }

    #[test]
    fn a_nan_gradient_gives_a_nan_norm_and_gradient() {
        for norm_type in [NormType::L1, NormType::L2, NormType::Inf] {
            let mut g = [1.0, f32::NAN, 2.0];
            assert!(clip_grad_norm(&mut g, 1.0, norm_type).is_nan());
            assert!(g.iter().all(|x| x.is_nan()), "{norm_type:?}");
        }
    }

    #[test]
    fn value_clipping_clamps_both_sides_and_keeps_nan() {
        let mut g = [0.7, -0.9, 0.2, f32::NAN];
        clip_grad_value(&mut g, 0.5);
        assert_eq!(&g[..3], &[0.5, -0.5, 0.2]);
        assert!(g[3].is_nan());
    }

    #[test]
    fn long_sums_are_exact_for_representable_totals() {
        // 3 * CHUNK + 5 ones: every partial sum is an exact integer.
        let g = vec![1.0f32; 3 * CHUNK + 5];
        assert_eq!(norm(&g, NormType::L1), (3 * CHUNK + 5) as f32);
        assert_eq!(norm(&g, NormType::L2), ((3 * CHUNK + 5) as f32).sqrt());
    }
}
