//! What one training run is: model, optimizer, schedule, batching, budget and stop rules.

use std::fmt;

use descent_autograd::{MlpConfig, Par};
use descent_optim::{Hyper, OptimError};

/// Everything that defines one training run besides the data.
#[derive(Clone, Debug)]
pub struct TrainSetup {
    /// Layer sizes, activation, output loss and initialiser of the MLP.
    pub model: MlpConfig,
    /// An optimizer name from `descent_optim::OPTIMIZER_NAMES`.
    pub optimizer: String,
    /// PyTorch-named hyperparameters of the optimizer (missing ones take PyTorch's defaults).
    pub optimizer_hyper: Hyper,
    /// Base learning rate (the schedule's starting point).
    pub lr: f32,
    /// Learning-rate schedule kind and its hyperparameters; `None` keeps `lr` constant.
    pub schedule: Option<(String, Hyper)>,
    /// Rows per step; 0 = the full training set every step, 1 = single-sample SGD.
    pub batch_size: usize,
    /// How long to train.
    pub budget: Budget,
    /// A metric row every `eval_every` steps; 0 = one row at the end of every epoch. The last
    /// step always gets a row.
    pub eval_every: usize,
    /// Clip the gradient to this global L2 norm before each update (`None`: no clipping).
    pub clip_norm: Option<f32>,
    /// When to stop before the budget is spent.
    pub stop: StopRules,
    /// Seeds the initialisation and the per-epoch shuffle.
    pub seed: u64,
    /// Threads for the kernels.
    pub par: Par,
    /// Time every phase of every step into `TrainOutcome::epoch_timings` (two or three clock
    /// reads per step, ~35 ns each here: a visible share of a tiny model's step). When off,
    /// no epoch is listed.
    pub phase_timing: bool,
}

/// The training budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Whole passes over the training set.
    Epochs(usize),
    /// Optimizer steps (epochs continue as needed; the last one may be partial).
    Steps(usize),
}

impl Budget {
    /// The budget in optimizer steps for `steps_per_epoch` batches per epoch.
    pub fn total_steps(self, steps_per_epoch: usize) -> usize {
        match self {
            Budget::Epochs(n) => n * steps_per_epoch,
            Budget::Steps(n) => n,
        }
    }
}

/// Early-stopping and divergence rules. Loss rules read the train loss of each metric row
/// (the sample-weighted mean of the batch losses since the previous row); the divergence rules
/// read every step's batch loss.
#[derive(Clone, Debug, PartialEq)]
pub struct StopRules {
    /// Record the first row whose train loss is `<= target_loss` (`steps_to_target`); keeps
    /// training. Default: none.
    pub target_loss: Option<f32>,
    /// Stop (reached tolerance) when a row's train loss is `<= loss_tolerance`. Default: none.
    pub loss_tolerance: Option<f32>,
    /// Stop (reached tolerance) when the train loss changes by less than this between two
    /// consecutive rows. Default: none.
    pub change_tolerance: Option<f32>,
    /// Diverged when a batch loss exceeds `divergence_factor x` the first step's loss.
    /// Default: 1000.
    pub divergence_factor: f32,
    /// Diverged when a batch loss exceeds this. Default: none. NaN or infinite losses always
    /// count as divergence.
    pub max_loss: Option<f32>,
}

impl Default for StopRules {
    fn default() -> Self {
        Self {
            target_loss: None,
            loss_tolerance: None,
            change_tolerance: None,
            divergence_factor: 1e3,
            max_loss: None,
        }
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub enum TrainError {
    /// The optimizer or schedule name or hyperparameters were rejected.
    Optim(OptimError),
    /// Model, data and budget do not fit together (message says how).
    Config(String),
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Optim(e) => write!(f, "{e}"),
            TrainError::Config(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for TrainError {}

impl From<OptimError> for TrainError {
    fn from(e: OptimError) -> Self {
        TrainError::Optim(e)
    }
}
