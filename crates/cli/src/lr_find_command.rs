//! `descent lr-find SPEC`: the learning-rate range test on a spec's data and model.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use descent_lab::lr_find::{lr_find as range_test, write_lr_find};
use descent_lab::plot::format_number;

use crate::lab_commands::load_spec;

#[derive(Args, Debug)]
pub struct LrFindArgs {
    /// The sweep spec (TOML); `[lr_find]` sets min_lr, max_lr, steps, smoothing, stop_factor.
    pub spec: PathBuf,
    /// Optimizer to test [default: the first one swept].
    #[arg(long)]
    pub optimizer: Option<String>,
    /// Output folder for lr_find.csv and the plot [default: runs/<name>/lr-find].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Threads for the kernels.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// Runs the range test and prints the suggestion.
pub fn lr_find(args: LrFindArgs) -> ExitCode {
    let spec = match load_spec(Some(&args.spec)) {
        Ok(spec) => spec,
        Err(code) => return code,
    };
    let par = descent_kernels::Par::threads(args.threads);
    let result = match range_test(&spec, args.optimizer.as_deref(), par) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = args
        .out
        .unwrap_or_else(|| Path::new("runs").join(&spec.name).join("lr-find"));
    if let Err(e) = write_lr_find(&result, &out) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let f = &spec.lr_find;
    println!(
        "lr range test for {}: {} steps from {} to {}{}",
        result.optimizer,
        result.points.len(),
        format_number(f.min_lr),
        format_number(f.max_lr),
        result.stopped_at.map_or(String::new(), |s| format!(
            " (stopped at step {s}: loss blew up)"
        ))
    );
    match result.steepest_lr {
        Some(lr) => println!(
            "suggested lr (steepest descent of the smoothed loss): {}",
            format_number(lr)
        ),
        None => println!("no suggestion: too few points before the loss blew up; lower min_lr"),
    }
    if let Some(lr) = result.min_loss_lr_div10 {
        println!(
            "cautious pick (lr at minimum smoothed loss / 10): {}",
            format_number(lr)
        );
    }
    println!("wrote {}/lr_find.csv and lr_find.svg/png", out.display());
    ExitCode::SUCCESS
}
