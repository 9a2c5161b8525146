//! What a run reports: metric rows while it trains, timings and the outcome at the end.

/// One row of the metrics table.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    /// Optimizer steps completed (1-based; a diverged row names the step that failed).
    pub step: usize,
    /// The epoch this step belongs to (1-based).
    pub epoch: usize,
    /// Learning rate used by this step.
    pub lr: f32,
    /// Sample-weighted mean of the batch losses since the previous row (each measured before
    /// its update).
    pub train_loss: f32,
    /// Mean loss over the test set after this step's update (`None` without a test set).
    pub test_loss: Option<f32>,
    /// Test accuracy after this step's update (classification with a test set only).
    pub test_accuracy: Option<f32>,
    /// Global L2 norm of this step's gradient, before clipping.
    pub grad_norm: f32,
    /// L2 norm of each parameter block's gradient (order of `TrainOutcome::layer_names`).
    pub layer_grad_norms: Vec<f32>,
    /// Seconds since the run started.
    pub wall_s: f64,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainStatus {
    /// The budget was spent.
    Completed,
    /// A loss tolerance or change tolerance was met.
    ReachedTolerance,
    /// The loss became NaN/infinite or exceeded a divergence limit at `step`.
    Diverged { step: usize, reason: String },
}

/// Seconds spent in each phase of one epoch's training steps.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EpochTiming {
    /// The epoch (1-based).
    pub epoch: usize,
    /// Gathering batches (shuffled rows, pixels to f32) on the training thread. With a hidden
    /// layer and more than one thread only the epoch's first batch is gathered here; the others
    /// are gathered on another thread during the step before (`Mlp::runs_beside`), inside
    /// `forward_backward_s`.
    pub batching_s: f64,
    /// Forward and backward pass (`Mlp::loss_and_grad_lend_beside`).
    pub forward_backward_s: f64,
    /// Gradient norms, clipping, optimizer update and schedule step.
    pub optimizer_s: f64,
    /// Test-set evaluation for metric rows (not part of [`EpochTiming::train_s`]).
    pub evaluation_s: f64,
}

impl EpochTiming {
    /// Training time of the epoch: batching + forward/backward + optimizer, evaluation excluded.
    pub fn train_s(&self) -> f64 {
        self.batching_s + self.forward_backward_s + self.optimizer_s
    }
}

/// The result of [`super::train`].
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    pub status: TrainStatus,
    pub rows: Vec<MetricRow>,
    /// Step of the first row whose train loss reached `StopRules::target_loss`.
    pub steps_to_target: Option<usize>,
    pub final_train_loss: f32,
    pub best_train_loss: f32,
    pub final_test_loss: Option<f32>,
    pub best_test_accuracy: Option<f32>,
    /// Optimizer steps taken.
    pub steps: usize,
    pub wall_s: f64,
    /// Names of the parameter blocks, matching `MetricRow::layer_grad_norms`.
    pub layer_names: Vec<String>,
    /// The trained parameters, flat (layout of `Mlp::layer_ranges`).
    pub final_params: Vec<f32>,
    /// Phase timings of every epoch that ran (the last may be partial); empty unless
    /// `TrainSetup::phase_timing` was on.
    pub epoch_timings: Vec<EpochTiming>,
}
