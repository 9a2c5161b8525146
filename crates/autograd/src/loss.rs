//! Loss functions: the choice an [`crate::Mlp`] ends in, the targets it is fed, and the
//! forward values and gradients shared by the tape's loss ops and the direct step of a linear
//! model. Sums are accumulated in f64.

use descent_kernels::elementwise::{log_softmax_rows, scaled_exp, sum_squared_diff};
use descent_kernels::{MatMut, MatRef};

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

/// The class labels a cross-entropy `loss` is computed against; `None` for the regression
/// losses (MSE, BCE), which take [`fill_targets`]' values.
///
/// # Panics
/// If the loss is cross-entropy and the targets are values.
pub(crate) fn cross_entropy_labels<'a>(loss: Loss, targets: Targets<'a>) -> Option<&'a [u32]> {
    match (loss, targets) {
        (Loss::CrossEntropy, Targets::Classes(labels)) => Some(labels),
        (Loss::CrossEntropy, Targets::Values(_)) => {
            panic!("cross-entropy loss needs class labels, got target values")
        }
        _ => None,
    }
}

/// Writes the `rows x outputs` regression targets of a batch into `t`: target values as given,
/// class labels as the label itself for one output, else as one-hot rows.
///
/// # Panics
/// If there are not `rows x outputs` values or `rows` labels.
pub(crate) fn fill_targets(targets: Targets<'_>, rows: usize, outputs: usize, t: &mut [f32]) {
    match targets {
        Targets::Values(v) => t.copy_from_slice(checked_values(v, rows, outputs)),
        Targets::Classes(labels) => {
            assert_eq!(
                labels.len(),
                rows,
                "{rows} rows but {} labels",
                labels.len()
            );
            if outputs == 1 {
                for (t, &y) in t.iter_mut().zip(labels) {
                    *t = y as f32;
                }
            } else {
                t.fill(0.0);
                for (row, &y) in t.chunks_exact_mut(outputs).zip(labels) {
                    row[y as usize] = 1.0;
                }
            }
        }
    }
}

/// The regression targets of [`fill_targets`] without copying target values: those are
/// returned as given, class labels encoded into `buf`.
pub(crate) fn target_values<'a>(
    targets: Targets<'a>,
    rows: usize,
    outputs: usize,
    buf: &'a mut Vec<f32>,
) -> &'a [f32] {
    match targets {
        Targets::Values(v) => checked_values(v, rows, outputs),
        Targets::Classes(_) => {
            buf.resize(rows * outputs, 0.0);
            fill_targets(targets, rows, outputs, buf);
            buf
        }
    }
}

/// `v`, asserting it holds `rows x outputs` values.
fn checked_values(v: &[f32], rows: usize, outputs: usize) -> &[f32] {
    assert_eq!(
        v.len(),
        rows * outputs,
        "{rows}x{outputs} outputs but {} target values",
        v.len()
    );
    v
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
fn cross_entropy_from_log_probs(log_probs: &[f32], classes: usize, labels: &[u32]) -> f32 {
    let sum: f64 = log_probs
        .chunks_exact(classes)
        .zip(labels)
        .map(|(row, &y)| -f64::from(row[y as usize]))
        .sum();
    (sum / labels.len() as f64) as f32
}

/// `(1/B) sum_i (logsumexp_j z_ij - z_{i y_i})` of `[B x C]` logits against `B` labels; leaves
/// the row-wise log-softmax in `log_probs` for [`cross_entropy_grad`].
///
/// # Panics
/// If there is not one label per row or a label is not below `C`.
pub(crate) fn cross_entropy(logits: MatRef<'_>, labels: &[u32], log_probs: &mut Vec<f32>) -> f32 {
    let (rows, classes) = (logits.rows(), logits.cols());
    assert_eq!(
        labels.len(),
        rows,
        "cross_entropy: {rows} rows but {} labels",
        labels.len()
    );
    if let Some(&bad) = labels.iter().find(|&&y| y as usize >= classes) {
        panic!("cross_entropy: label {bad} out of range for {classes} classes");
    }
    log_probs.resize(rows * classes, 0.0);
    log_softmax_rows(logits, MatMut::contiguous(log_probs, rows, classes));
    cross_entropy_from_log_probs(log_probs, classes, labels)
}

/// `out_i (+)= v_i` for the values `v` of one element each: overwritten, or added to when
/// `accumulate`. An iterator rather than an index function, so that maps over zipped slices
/// need no bounds check per element and can vectorise.
pub(crate) fn write_or_add(out: &mut [f32], accumulate: bool, values: impl Iterator<Item = f32>) {
    if accumulate {
        for (o, v) in out.iter_mut().zip(values) {
            *o += v;
        }
    } else {
        for (o, v) in out.iter_mut().zip(values) {
            *o = v;
        }
    }
}

/// `d mse / d p_i = 2 dy (p_i - t_i) / N` for an upstream gradient `dy` (with `-dy`, the
/// gradient with respect to the target), written or added to `out`.
pub(crate) fn mse_grad(dy: f32, pred: &[f32], target: &[f32], out: &mut [f32], accumulate: bool) {
    assert!(pred.len() == target.len() && target.len() == out.len());
    let k = 2.0 * dy / pred.len() as f32;
    let grads = pred.iter().zip(target).map(|(&p, &t)| k * (p - t));
    write_or_add(out, accumulate, grads);
}

/// `d bce / d z_i = dy (sigma(z_i) - t_i) / N`, written or added to `out`.
pub(crate) fn bce_grad(dy: f32, logits: &[f32], target: &[f32], out: &mut [f32], accumulate: bool) {
    assert!(logits.len() == target.len() && target.len() == out.len());
    let k = dy / logits.len() as f32;
    let grads = logits
        .iter()
        .zip(target)
        .map(|(&z, &t)| k * (sigmoid(z) - t));
    write_or_add(out, accumulate, grads);
}

/// `d ce / d z_ij = dy (softmax(z)_ij - [j == y_i]) / B` from the log-softmax that
/// [`cross_entropy`] left (`softmax = exp(log-softmax)`, the vector exp of
/// [`scaled_exp`]), written or added to `out`.
pub(crate) fn cross_entropy_grad(
    dy: f32,
    log_probs: &[f32],
    labels: &[u32],
    out: &mut [f32],
    accumulate: bool,
) {
    assert_eq!(log_probs.len(), out.len());
    let k = dy / labels.len() as f32;
    scaled_exp(k, log_probs, out, accumulate);
    let classes = log_probs.len() / labels.len();
    for (row, &y) in out.chunks_exact_mut(classes).zip(labels) {
        row[y as usize] -= k;
    }
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
