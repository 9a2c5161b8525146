//! `result.json`: how a trial ended. Its presence marks the trial directory as finished.

use serde::{Deserialize, Serialize};

/// `ok` (budget spent or tolerance reached), `diverged`, or `failed` (could not run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Diverged,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Diverged => "diverged",
            Status::Failed => "failed",
        }
    }
}

/// Where and with what a trial ran (not part of its results).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub descent_version: String,
    pub git_commit: String,
    pub hostname: String,
    pub cpu: String,
    pub logical_cpus: usize,
    /// `--threads` of the run that produced the trial.
    pub threads: usize,
}

/// The contents of `result.json`. Non-finite losses are stored as `null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    pub id: String,
    pub status: Status,
    /// Why it diverged or failed; "reached tolerance" when a stop rule ended it early.
    pub reason: Option<String>,
    pub final_train_loss: Option<f32>,
    pub best_train_loss: Option<f32>,
    pub final_test_loss: Option<f32>,
    pub best_test_accuracy: Option<f32>,
    pub steps_to_target: Option<usize>,
    pub steps: usize,
    pub diverged_at_step: Option<usize>,
    pub wall_s: f64,
    pub layer_names: Vec<String>,
    pub provenance: Provenance,
}

/// `Some(x)` for finite `x`.
pub fn finite(x: f32) -> Option<f32> {
    x.is_finite().then_some(x)
}
