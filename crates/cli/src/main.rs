//! `descent`: the command line over descent-lab.

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
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Lab(command) => lab_commands::dispatch(command),
    }
}
