//! `rig-compose`: the command-line tool of the rig-compose workspace.
//!
//! This file only parses the command line and dispatches; each command
//! family lives in its own module (`budget` today, `normalize` next), and
//! all rendering lives in `output`.

mod budget;
mod error;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Operate rig-compose deployments from the shell.
#[derive(Debug, Parser)]
#[command(name = "rig-compose", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect and operate distributed budgets stored in Redis.
    #[command(subcommand)]
    Budget(budget::BudgetCommand),
}

fn main() -> ExitCode {
    // Usage errors make clap print the help hint and exit with status 2.
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Budget(command) => budget::run(command),
    };
    match outcome.and_then(|text| emit(&text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("rig-compose: error: {err}");
            err.exit_code()
        }
    }
}

fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Stdout)
}
