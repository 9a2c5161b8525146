//! descent-lab: TOML sweeps, the training loop, a parallel resumable runner, the result store,
//! plots and reports.
//!
//! A sweep goes `spec::Spec::from_file` -> `expand::expand` -> `runner::run_sweep` (trials
//! through `train::train`, files through `store`) -> `report::build_report`.

pub mod dataset;
pub mod expand;
pub mod hash;
pub mod lr_find;
pub mod machine;
pub mod plot;
pub mod report;
pub mod runner;
pub mod setup;
pub mod shard;
pub mod spec;
pub mod store;
pub mod train;
