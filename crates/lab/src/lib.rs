//! descent-lab: TOML sweeps, the training loop, a parallel resumable runner, the result store,
//! plots and reports.

pub mod plot;
pub mod train;
