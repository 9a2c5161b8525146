//! The result store: one directory per run, one per trial, every file written atomically.

mod atomic;
mod metrics;
mod result;
mod run_dir;
mod summary;

pub use atomic::{
    Durability, STALE_TEMP_AGE, TEMP_PREFIX, remove_temp_files, write_atomic, write_dir_atomic,
    writer_tag,
};
pub use metrics::{metrics_csv, read_metrics};
pub use result::{Provenance, Status, TrialResult, finite};
pub use run_dir::{RunDir, StoreError};
pub use summary::summary_csv;
