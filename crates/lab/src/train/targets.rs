//! Whether a model's inputs, outputs and loss fit a data set, and the loss targets of a batch.

use descent_autograd::{Loss, MlpConfig, Targets as LossTargets};
use descent_data::{Batch, Dataset, Targets};

use super::setup::TrainError;

/// Checks that `model` can train on `data`: layer sizes are positive, inputs equal the feature count; cross-entropy
/// needs class labels with one output per class; MSE and BCE take target values of the output
/// width, or class labels either one-hot (one output per class) or as a 0/1 value (one output,
/// two classes).
pub(crate) fn check_fit(model: &MlpConfig, data: &Dataset) -> Result<(), TrainError> {
    let (inputs, outputs) = match model.sizes.as_slice() {
        [inputs, .., outputs] => (*inputs, *outputs),
        _ => {
            return Err(TrainError::Config(
                "the model needs at least input and output sizes".into(),
            ));
        }
    };
    if model.sizes.contains(&0) {
        return Err(TrainError::Config(format!(
            "layer sizes must be positive: {:?}",
            model.sizes
        )));
    }
    if inputs != data.n_features() {
        return Err(TrainError::Config(format!(
            "the model takes {inputs} inputs but {} has {} features",
            data.name,
            data.n_features()
        )));
    }
    let fits = match (&data.targets, model.loss) {
        (Targets::Classes { n_classes, .. }, Loss::CrossEntropy) => *n_classes == outputs,
        (Targets::Values { .. }, Loss::CrossEntropy) => false,
        (Targets::Values { dim, .. }, _) => *dim == outputs,
        (Targets::Classes { n_classes, .. }, _) => {
            *n_classes == outputs || (*n_classes == 2 && outputs == 1)
        }
    };
    if fits {
        return Ok(());
    }
    let targets = match &data.targets {
        Targets::Classes { n_classes, .. } => format!("{n_classes} classes"),
        Targets::Values { dim, .. } => format!("{dim} target values per row"),
    };
    Err(TrainError::Config(format!(
        "{:?} loss with {outputs} outputs does not fit {} ({targets})",
        model.loss, data.name
    )))
}

/// A batch gathered from `data` as a training step takes it: its inputs (lent to the model),
/// its row count and its loss targets.
pub(crate) fn step_inputs<'a>(
    data: &Dataset,
    batch: &'a mut Batch,
) -> (&'a mut Vec<f32>, usize, LossTargets<'a>) {
    let Batch {
        x,
        rows,
        labels,
        values,
    } = batch;
    (x, *rows, loss_targets(data, labels, values))
}

/// The loss targets of a batch gathered from `data` (its `labels` or its `values`).
pub(crate) fn loss_targets<'a>(
    data: &Dataset,
    labels: &'a [u32],
    values: &'a [f32],
) -> LossTargets<'a> {
    match data.targets {
        Targets::Classes { .. } => LossTargets::Classes(labels),
        Targets::Values { .. } => LossTargets::Values(values),
    }
}
