//! `descent`: the command line over descent-lab.

mod bench_kernels;
mod bench_train;
mod lab_commands;
mod lr_find_command;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Train small neural networks by gradient descent; sweep optimizers; benchmark kernels.
#[derive(Parser, Debug)]
#[command(name = "descent", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    #[command(flatten)]
    Lab(lab_commands::LabCommand),
    /// Benchmarks
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Epoch time of the MNIST MLP per phase, against the GEMM floor
    Train(bench_train::BenchTrainArgs),
    /// GEMM GFLOP/s, native next to faer, on squares and the MNIST MLP's shapes
    Kernels(bench_kernels::BenchKernelsArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lab(command) => lab_commands::dispatch(command),
        Command::Bench(BenchCommand::Train(args)) => bench_train::run(&args),
        Command::Bench(BenchCommand::Kernels(args)) => bench_kernels::run(&args),
    }
}
