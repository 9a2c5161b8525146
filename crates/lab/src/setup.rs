//! From a trial's configuration to the training loop's [`TrainSetup`].

use descent_autograd::{Loss, MlpConfig, Par};
use descent_data::{Split, Targets};

use crate::expand::TrialConfig;
use crate::spec::{Budget, catalog};
use crate::train::{self, StopRules, TrainSetup};

/// The training setup of `config` on `data`: an MLP from the data's feature count through
/// the hidden widths to the target width (one output for BCE on two classes).
pub fn train_setup(config: &TrialConfig, data: &Split, par: Par) -> Result<TrainSetup, String> {
    let model = &config.model;
    let loss =
        catalog::loss(&model.loss).ok_or_else(|| format!("unknown loss `{}`", model.loss))?;
    let outputs = match (&data.train.targets, loss) {
        (Targets::Classes { n_classes: 2, .. }, Loss::BceWithLogits) => 1,
        _ => data.train.target_dim(),
    };
    let mut sizes = vec![data.train.n_features()];
    sizes.extend(&model.hidden);
    sizes.push(outputs);
    let hyper = catalog::hyper_map(&config.hyper)
        .map_err(|k| format!("hyperparameter `{k}` has no usable value"))?;
    let schedule = match &config.train.schedule {
        Some(s) => Some((
            s.kind.clone(),
            catalog::hyper_map(&s.hyper)
                .map_err(|k| format!("schedule hyperparameter `{k}` has no usable value"))?,
        )),
        None => None,
    };
    let t = &config.train;
    Ok(TrainSetup {
        model: MlpConfig {
            sizes,
            activation: catalog::activation(&model.activation, model.negative_slope)
                .ok_or_else(|| format!("unknown activation `{}`", model.activation))?,
            loss,
            init: catalog::init(model).ok_or_else(|| format!("unknown init `{}`", model.init))?,
        },
        optimizer: config.optimizer.clone(),
        optimizer_hyper: hyper,
        lr: config.lr as f32,
        schedule,
        batch_size: config.batch_size,
        budget: match t.budget {
            Budget::Epochs(n) => train::Budget::Epochs(n),
            Budget::Steps(n) => train::Budget::Steps(n),
        },
        eval_every: t.eval_every,
        clip_norm: t.clip_norm.map(|c| c as f32),
        stop: StopRules {
            target_loss: t.target_loss.map(|x| x as f32),
            loss_tolerance: t.loss_tolerance.map(|x| x as f32),
            change_tolerance: t.change_tolerance.map(|x| x as f32),
            divergence_factor: t.divergence_factor as f32,
            max_loss: t.max_loss.map(|x| x as f32),
        },
        seed: config.seed,
        par,
        phase_timing: false,
    })
}
