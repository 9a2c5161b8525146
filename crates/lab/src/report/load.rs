//! Reading a run directory back: its stored spec, the trials it expands to, their results.

use std::fmt;
use std::path::Path;

use crate::expand::{Trial, expand};
use crate::spec::{Spec, SpecErrors, SpecSource, parse_spec};
use crate::store::{RunDir, TrialResult, read_metrics};
use crate::train::MetricRow;

/// A run directory as stored.
pub struct StoredRun {
    pub dir: RunDir,
    pub spec: Spec,
    pub trials: Vec<Trial>,
    /// `results[i]` belongs to `trials[i]`; `None` = not finished (yet).
    pub results: Vec<Option<TrialResult>>,
}

/// Why a run directory cannot be reported on.
#[derive(Debug)]
pub enum ReportError {
    /// No `spec.toml` (not a run directory) or an unreadable file.
    Io(String),
    /// The stored spec no longer parses (e.g. written by another descent version).
    Spec(SpecErrors),
    /// Drawing a plot failed.
    Plot(String),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Io(m) | ReportError::Plot(m) => f.write_str(m),
            ReportError::Spec(e) => write!(f, "the stored spec does not parse:\n{e}"),
        }
    }
}

impl std::error::Error for ReportError {}

impl StoredRun {
    /// Loads `dir` (its data files are not needed).
    pub fn load(dir: &Path) -> Result<StoredRun, ReportError> {
        let run = RunDir::new(dir);
        let spec_path = run.spec_path();
        let source = SpecSource::from_file(&spec_path)
            .map_err(|e| {
                ReportError::Io(format!(
                    "{}: {e} (is {} a run directory?)",
                    spec_path.display(),
                    dir.display()
                ))
            })?
            .without_data_check();
        let spec = parse_spec(source).map_err(ReportError::Spec)?;
        let trials = expand(&spec);
        let results = trials.iter().map(|t| run.read_result(&t.id)).collect();
        Ok(StoredRun {
            dir: run,
            spec,
            trials,
            results,
        })
    }

    /// Finished trials.
    pub fn finished(&self) -> usize {
        self.results.iter().flatten().count()
    }

    /// The metric rows of trial `i` (empty when missing or unreadable).
    pub fn metrics(&self, i: usize) -> Vec<MetricRow> {
        read_metrics(&self.dir.metrics_path(&self.trials[i].id)).unwrap_or_default()
    }
}
