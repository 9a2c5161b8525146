//! `descent run | report | validate | lr-find`: the sweep commands over descent-lab.
//!
//! Exit codes: 0 success; 1 a failure while running (I/O, failed trials); 2 a mistake in the
//! input (spec, data files, a run directory made by another spec) — nothing was run or written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand};
use descent_lab::expand::expand;
use descent_lab::report::build_report;
use descent_lab::runner::{BuildInfo, RunError, RunOptions, run_sweep};
use descent_lab::shard::Shard;
use descent_lab::spec::{Spec, SpecErrors, SpecSource, parse_spec};
use descent_lab::store::Durability;

use crate::progress::SweepProgress;

/// The quickstart spec, built in: `descent run` with no SPEC runs it.
const QUICKSTART: &str = include_str!("../../../experiments/quickstart.toml");

/// Exit code for a mistake in the input.
const INPUT_ERROR: u8 = 2;

/// The sweep commands.
#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// Run a sweep: every trial of SPEC, in parallel, resumable, then the report.
    Run(RunArgs),
    /// Rebuild summary.csv, plots and report.md/html of a run directory.
    Report(ReportArgs),
    /// Check a spec and print the trials it expands to (runs nothing).
    Validate(ValidateArgs),
    /// Learning-rate range test: exponential lr ramp, smoothed loss, suggested lr, plot.
    LrFind(crate::lr_find_command::LrFindArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The sweep spec (TOML); left out: the built-in experiments/quickstart.toml.
    pub spec: Option<PathBuf>,
    /// Run directory [default: runs/<name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads [default: all logical CPUs].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run only shard I of N (1-based, e.g. 2/4). Also read from SLURM_ARRAY_TASK_ID +
    /// SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX + DESCENT_SHARDS (or --shards).
    #[arg(long)]
    pub shard: Option<String>,
    /// Shard count for JOB_COMPLETION_INDEX (Kubernetes indexed jobs).
    #[arg(long)]
    pub shards: Option<usize>,
    /// Skip building the report after the run.
    #[arg(long)]
    pub no_report: bool,
    /// Also fsync every trial file, so finished trials survive a power loss (slower). Without
    /// it, files are still written atomically (temp + rename, trial folders staged and renamed
    /// whole): a killed run resumes intact.
    #[arg(long)]
    pub fsync: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The run directory (holds spec.toml and trials/).
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The sweep spec (TOML).
    pub spec: PathBuf,
}

/// Runs one sweep command.
pub fn dispatch(command: LabCommand) -> ExitCode {
    match command {
        LabCommand::Run(args) => run(args),
        LabCommand::Report(args) => report(&args.dir),
        LabCommand::Validate(args) => validate(&args.spec),
        LabCommand::LrFind(args) => crate::lr_find_command::lr_find(args),
    }
}

/// The build's version and commit.
pub fn build_info() -> BuildInfo {
    BuildInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: env!("DESCENT_GIT_COMMIT").to_string(),
    }
}

/// Reads SPEC (or the built-in quickstart), printing every mistake on failure.
pub fn load_spec(path: Option<&Path>) -> Result<Spec, ExitCode> {
    let parsed = match path {
        Some(p) => Spec::from_file(p),
        None => parse_spec(SpecSource::from_text(
            "experiments/quickstart.toml (built in)",
            Path::new("."),
            QUICKSTART,
        )),
    };
    parsed.map_err(|e: SpecErrors| {
        eprintln!("{e}");
        ExitCode::from(INPUT_ERROR)
    })
}

fn run(args: RunArgs) -> ExitCode {
    let spec = match load_spec(args.spec.as_deref()) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let shard = match resolve_shard(&args) {
        Ok(shard) => shard,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(INPUT_ERROR);
        }
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let out = args
        .out
        .unwrap_or_else(|| Path::new("runs").join(&spec.name));
    let trials = expand(&spec);
    println!(
        "{}: {} trials -> {}  (threads {threads}{})",
        spec.name,
        trials.len(),
        out.display(),
        if shard.count > 1 {
            format!(", shard {shard}")
        } else {
            String::new()
        }
    );
    let opts = RunOptions {
        out: out.clone(),
        threads,
        shard,
        build: build_info(),
        durability: if args.fsync {
            Durability::Synced
        } else {
            Durability::Renamed
        },
    };
    let progress = SweepProgress::new();
    let started = Instant::now();
    let counts = run_sweep(&spec, &trials, &opts, &progress);
    let sweep_s = started.elapsed().as_secs_f64();
    progress.finish();
    let counts = match counts {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            let code = match e {
                RunError::Data(_) => INPUT_ERROR,
                RunError::Store(descent_lab::store::StoreError::SpecChanged { .. }) => INPUT_ERROR,
                RunError::Store(_) => 1,
            };
            return ExitCode::from(code);
        }
    };
    // Wall time from loading the data to the last stored trial (the report is not included).
    println!(
        "ran {} trial(s) in {sweep_s:.3} s ({:.3} ms per trial), kept {} finished; diverged {}, failed {}",
        counts.ran,
        1e3 * sweep_s / counts.ran.max(1) as f64,
        counts.skipped,
        counts.diverged,
        counts.failed
    );
    if !args.no_report {
        let code = report(&out);
        if code != ExitCode::SUCCESS {
            return code;
        }
    }
    if counts.failed > 0 {
        eprintln!(
            "{} trial(s) failed: see their result.json (reason)",
            counts.failed
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `--shard` wins over the job-array environment; none of them: the whole sweep.
fn resolve_shard(args: &RunArgs) -> Result<Shard, String> {
    if let Some(text) = &args.shard {
        return Shard::parse(text);
    }
    Ok(Shard::from_env(|k| std::env::var(k).ok(), args.shards)?.unwrap_or(Shard::ALL))
}

fn report(dir: &Path) -> ExitCode {
    match build_report(dir) {
        Ok(files) => {
            println!(
                "report ({} of {} trials finished): {}  {}  {}  plots: {}",
                files.finished,
                files.total,
                files.markdown.display(),
                files.html.display(),
                files.summary.display(),
                files.plots.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn validate(path: &Path) -> ExitCode {
    let spec = match load_spec(Some(path)) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let trials = expand(&spec);
    println!("{}: valid", path.display());
    println!(
        "name: {}  seed: {}  repeats: {}",
        spec.name, spec.seed, spec.repeats
    );
    println!(
        "data: {}",
        serde_json::to_string(&spec.data).unwrap_or_default()
    );
    if let Some(dir) = &spec.data_dir {
        println!("data files: {}", dir.display());
    }
    println!(
        "model: hidden {:?}, {} activation, {} loss, {} init",
        spec.model.hidden, spec.model.activation, spec.model.loss, spec.model.init
    );
    println!("{} trial(s):", trials.len());
    for t in &trials {
        println!(
            "  {:>5}  {}  {}  repeat {} seed {}",
            t.index,
            t.id,
            t.group_label(),
            t.config.repeat,
            t.config.seed
        );
    }
    ExitCode::SUCCESS
}
