//! `rig-compose`: the command-line tool of the rig-compose workspace.
//!
//! This file only parses the command line and dispatches; each command
//! family lives in its own module (`normalize`, `budget`), and all
//! rendering lives in `output`.

mod budget;
mod error;
mod normalize;
mod output;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Normalize model tool calls and operate rig-compose deployments from the
/// shell.
#[derive(Debug, Parser)]
#[command(name = "rig-compose", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Extract the tool calls, text and reasoning of a model output read
    /// from stdin, as JSON (any known format, or auto-detected).
    Normalize(normalize::NormalizeArgs),
    /// Inspect and operate distributed budgets stored in Redis.
    #[command(subcommand)]
    Budget(budget::BudgetCommand),
}

fn main() -> ExitCode {
    // Usage errors make clap print the help hint and exit with status 2.
    let cli = Cli::parse();
    let outcome = match cli.command {
        // Writes as it goes: `--stream` prints events while reading.
        Command::Normalize(args) => normalize::run(args),
        Command::Budget(command) => budget::run(command).and_then(|text| emit(&text)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("rig-compose: error: {}", error::one_line(&err.to_string()));
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
