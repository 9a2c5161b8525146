//! The training loop: model + loss + optimizer + data + budget + stop rules -> metric rows.
//!
//! [`train`] runs one [`TrainSetup`] on a [`descent_data::Split`]: seeded per-epoch shuffling,
//! one optimizer step per batch with the scheduled learning rate, metric rows (train and test
//! loss, test accuracy, global and per-layer gradient norms, wall time) and per-epoch phase
//! timings, and the stop rules (budget, loss tolerance, loss-change tolerance, divergence).

mod evaluate;
mod norms;
mod outcome;
mod run;
mod setup;
mod stop;
mod targets;

pub use outcome::{EpochTiming, MetricRow, TrainOutcome, TrainStatus};
pub use run::train;
pub use setup::{Budget, StopRules, TrainError, TrainSetup};
