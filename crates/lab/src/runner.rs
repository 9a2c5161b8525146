//! The parallel, resumable runner: data loaded once, finished trials skipped, the rest run on a
//! rayon pool of `threads` workers, each trial's files written atomically as it ends.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;

use descent_autograd::Par;
use descent_data::{DataError, Split};
use descent_kernels::with_warm_pool;
use rayon::prelude::*;

use crate::dataset::load_data;
use crate::expand::Trial;
use crate::machine;
use crate::setup::train_setup;
use crate::shard::Shard;
use crate::spec::Spec;
use crate::store::{Durability, Provenance, RunDir, Status, StoreError, TrialResult, finite};
use crate::train::{MetricRow, TrainStatus, train};

/// The build of descent that runs trials (recorded in every `result.json`).
#[derive(Clone, Debug)]
pub struct BuildInfo {
    pub version: String,
    pub git_commit: String,
}

/// How to run a sweep.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run directory (`runs/<name>` by default).
    pub out: PathBuf,
    /// Worker threads (trials run concurrently; each is single-threaded when there are at least
    /// as many trials as threads).
    pub threads: usize,
    pub shard: Shard,
    pub build: BuildInfo,
    /// How trial files are written: renamed into place (survives a killed process) or also
    /// fsynced (survives a power loss).
    pub durability: Durability,
}

/// Told about progress as trials end (from worker threads).
pub trait Progress: Sync {
    /// Before the first trial: trials this shard runs now, and how many it had finished before.
    fn begin(&self, to_run: usize, already_finished: usize);
    /// After each trial's files are written.
    fn trial_done(&self, trial: &Trial, result: &TrialResult);
}

/// What a call to [`run_sweep`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct RunCounts {
    /// Trials of this shard.
    pub in_shard: usize,
    /// Already finished before (kept).
    pub skipped: usize,
    /// Run now.
    pub ran: usize,
    pub diverged: usize,
    pub failed: usize,
}

/// Why a sweep could not run.
#[derive(Debug)]
pub enum RunError {
    Data(DataError),
    Store(StoreError),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Data(e) => write!(f, "cannot load the data: {e}"),
            RunError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        RunError::Store(e)
    }
}

/// Runs the trials of `spec` (its expansion `trials`) that belong to `opts.shard` and are not
/// finished in `opts.out`. The data is loaded before anything is written.
pub fn run_sweep(
    spec: &Spec,
    trials: &[Trial],
    opts: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunCounts, RunError> {
    let data = load_data(&spec.data, spec.data_dir.as_deref()).map_err(RunError::Data)?;
    let dir = RunDir::prepare(&opts.out, &spec.name, &spec.source.text, trials)?
        .with_durability(opts.durability);
    let mine: Vec<&Trial> = trials
        .iter()
        .filter(|t| opts.shard.contains(t.index))
        .collect();
    let started = dir.started_trials()?;
    let pending: Vec<&Trial> = mine
        .iter()
        .copied()
        .filter(|t| !(started.contains(&t.id) && dir.is_finished(&t.id)))
        .collect();
    let threads = opts.threads.max(1);
    let par = if pending.len() >= threads {
        Par::Seq
    } else {
        Par::threads(threads / pending.len().max(1))
    };
    let provenance = Provenance {
        descent_version: opts.build.version.clone(),
        git_commit: opts.build.git_commit.clone(),
        hostname: machine::hostname(),
        cpu: machine::cpu_model(),
        logical_cpus: machine::logical_cpus(),
        threads,
    };
    progress.begin(pending.len(), mine.len() - pending.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool starts");
    let counts = Mutex::new(RunCounts {
        in_shard: mine.len(),
        skipped: mine.len() - pending.len(),
        ran: 0,
        diverged: 0,
        failed: 0,
    });
    pool.install(|| {
        // One rayon job per trial: rayon runs the leaves of its split sequentially, so with
        // larger leaves the trials that diverge early (often side by side in the expansion)
        // leave one thread idle while the other works through its leaf. The pool is kept
        // awake, so a thread that finishes a short trial takes the next at once.
        with_warm_pool(Par::threads(threads), || {
            pending
                .par_iter()
                .with_max_len(1)
                .try_for_each(|trial| -> Result<(), StoreError> {
                    let (rows, result) = run_trial(trial, &data, par, &provenance);
                    dir.write_trial(trial, &rows, &result)?;
                    {
                        let mut c = counts.lock().expect("counts lock");
                        c.ran += 1;
                        c.diverged += usize::from(result.status == Status::Diverged);
                        c.failed += usize::from(result.status == Status::Failed);
                    }
                    progress.trial_done(trial, &result);
                    Ok(())
                })
        })
    })?;
    Ok(counts.into_inner().expect("counts lock"))
}

/// Trains one trial; a setup error or a panic makes a `failed` result, never a crash.
pub fn run_trial(
    trial: &Trial,
    data: &Split,
    par: Par,
    provenance: &Provenance,
) -> (Vec<MetricRow>, TrialResult) {
    let attempt = catch_unwind(AssertUnwindSafe(|| {
        let setup = train_setup(&trial.config, data, par)?;
        train(&setup, data, &mut |_| {}).map_err(|e| e.to_string())
    }));
    let outcome = match attempt {
        Ok(outcome) => outcome,
        Err(panic) => Err(format!(
            "panicked: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)")
        )),
    };
    let base = TrialResult {
        id: trial.id.clone(),
        status: Status::Failed,
        reason: None,
        final_train_loss: None,
        best_train_loss: None,
        final_test_loss: None,
        best_test_accuracy: None,
        steps_to_target: None,
        steps: 0,
        diverged_at_step: None,
        wall_s: 0.0,
        layer_names: Vec::new(),
        provenance: provenance.clone(),
    };
    match outcome {
        Err(reason) => (
            Vec::new(),
            TrialResult {
                reason: Some(reason),
                ..base
            },
        ),
        Ok(o) => {
            let (status, reason, diverged_at_step) = match &o.status {
                TrainStatus::Completed => (Status::Ok, None, None),
                TrainStatus::ReachedTolerance => {
                    (Status::Ok, Some("reached tolerance".to_string()), None)
                }
                TrainStatus::Diverged { step, reason } => {
                    (Status::Diverged, Some(reason.clone()), Some(*step))
                }
            };
            let result = TrialResult {
                status,
                reason,
                final_train_loss: finite(o.final_train_loss),
                best_train_loss: finite(o.best_train_loss),
                final_test_loss: o.final_test_loss.and_then(finite),
                best_test_accuracy: o.best_test_accuracy,
                steps_to_target: o.steps_to_target,
                steps: o.steps,
                diverged_at_step,
                wall_s: o.wall_s,
                layer_names: o.layer_names.clone(),
                ..base
            };
            (o.rows, result)
        }
    }
}
