//! Loss functions: the choice an [`crate::Mlp`] ends in, the targets it is fed, and the
//! forward values shared by the tape's loss ops. Sums are accumulated in f64.

use descent_kernels::elementwise::sum_squared_diff;

/// The output loss of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Mean squared error over all outputs: `(1/N) sum (p - t)^2` (PyTorch `MSELoss`).
    Mse,
    /// Binary cross-entropy on logits, mean over all outputs (PyTorch `BCEWithLogitsLoss`).
    BceWithLogits,
    /// Softmax cross-entropy on integer labels, mean over rows (PyTorch `CrossEntropyLoss`).
    CrossEntropy,
}

/// The targets of a batch.
#[derive(Clone, Copy, Debug)]
pub enum Targets<'a> {
    /// One class label per row.
    Classes(&'a [u32]),
    /// `rows x outputs` target values, row-major.
    Values(&'a [f32]),
}

/// `(1/N) sum_i (p_i - t_i)^2`, the sum in f64 ([`sum_squared_diff`]).
pub(crate) fn mse(pred: &[f32], target: &[f32]) -> f32 {
    (sum_squared_diff(pred, target) / pred.len() as f64) as f32
}

/// `(1/N) sum_i max(z_i, 0) - z_i t_i + ln(1 + e^-|z_i|)`, which equals
/// `-(t ln sigma(z) + (1 - t) ln(1 - sigma(z)))` without overflow for any `z`.
pub(crate) fn bce_with_logits(logits: &[f32], target: &[f32]) -> f32 {
    let sum: f64 = logits
        .iter()
        .zip(target)
        .map(|(&z, &t)| {
            let (z, t) = (f64::from(z), f64::from(t));
            z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()
        })
        .sum();
    (sum / logits.len() as f64) as f32
}

/// `(1/B) sum_i -log_probs[i, y_i]` from row-wise log-softmax values.
pub(crate) fn cross_entropy_from_log_probs(
    log_probs: &[f32],
    classes: usize,
    labels: &[u32],
) -> f32 {
    let sum: f64 = log_probs
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &y)| -f64::from(row[y as usize]))
        .sum();
    (sum / labels.len() as f64) as f32
}

/// `sigma(z) = 1 / (1 + e^-z)`, evaluated without overflow for large `|z|`.
pub(crate) fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mse_of_known_values() {
        assert_eq!(mse(&[1.0, 2.0, 3.0, 4.0], &[1.0, 0.0, 3.0, 0.0]), 5.0);
        // Eight lanes plus a tail of two: (4 + 1 + 0 + 9 + 16 + 4 + 1 + 1 + 9 + 25) / 10 = 7.
        let pred = [3.0, 1.0, 0.0, -3.0, 4.0, 2.0, 1.0, -1.0, 3.0, 2.0];
        let target = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -3.0];
        assert_eq!(mse(&pred, &target), 7.0);
    }

    #[test]
    fn bce_matches_the_naive_formula_and_stays_finite() {
        for (z, t) in [(0.3f32, 1.0f32), (-1.2, 0.0), (2.0, 0.25)] {
            let s = 1.0 / (1.0 + (-f64::from(z)).exp());
            let t64 = f64::from(t);
            let naive = -(t64 * s.ln() + (1.0 - t64) * (1.0 - s).ln());
            assert!((f64::from(bce_with_logits(&[z], &[t])) - naive).abs() < 1e-6);
        }
        // ln(1 + e^100) ~ 100: the naive form overflows, the stable one does not.
        assert!((bce_with_logits(&[-100.0], &[1.0]) - 100.0).abs() < 1e-4);
        assert!(bce_with_logits(&[100.0], &[1.0]).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln_classes() {
        let log_probs = [(0.25f32).ln(); 8];
        let l = cross_entropy_from_log_probs(&log_probs, 4, &[0, 3]);
        assert!((l - 4f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
    }
}
