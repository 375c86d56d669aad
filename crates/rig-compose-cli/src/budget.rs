//! `rig-compose budget …`: status, reset and reap of a budget tree kept in
//! Redis by `rig-compose-redis`.

use std::time::Duration;

use clap::{Args, Subcommand};
use rig_compose_redis::{ConnectionSettings, RedisConnection, validate_name};

use crate::error::{CliError, mask_credentials};
use crate::output;

/// The `budget` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum BudgetCommand {
    /// Show every node of a budget tree, its holds and its counters.
    Status {
        #[command(flatten)]
        target: Target,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Forget the spend and debt of one node, or of every node of the tree.
    /// Live holds stay held and settle normally.
    Reset {
        #[command(flatten)]
        target: Target,
        /// Reset only this node (default: every node of the tree).
        #[arg(long, value_name = "NAME", value_parser = node_name)]
        node: Option<String>,
    },
    /// Reclaim every hold of the tree whose lease has run out.
    Reap {
        #[command(flatten)]
        target: Target,
    },
}

/// Where the tree lives; shared by every `budget` subcommand.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// Redis URL, e.g. redis://127.0.0.1:6379/0
    #[arg(long = "redis", value_name = "URL")]
    url: String,
    /// Time allowed to connect and for each operation, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout_ms: u64,
    /// Name of the budget tree (the name given to `RedisBudget::builder`).
    #[arg(value_name = "KEY", value_parser = tree_name)]
    key: String,
}

// Names are checked while parsing so a bad one is a usage error (exit 2)
// rather than a failed round trip.
fn tree_name(text: &str) -> Result<String, String> {
    validate_name("tree", text)
        .map(|()| text.to_owned())
        .map_err(|err| err.to_string())
}

fn node_name(text: &str) -> Result<String, String> {
    validate_name("node", text)
        .map(|()| text.to_owned())
        .map_err(|err| err.to_string())
}

/// Run one `budget` subcommand; returns what to print on stdout.
pub(crate) fn run(command: BudgetCommand) -> Result<String, CliError> {
    // One command is one or two round trips: a single-threaded runtime is
    // plenty and starts faster.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(execute(command))
}

async fn execute(command: BudgetCommand) -> Result<String, CliError> {
    match command {
        BudgetCommand::Status { target, json } => {
            let conn = connect(&target)?;
            let status = rig_compose_redis::status(&conn, &target.key)
                .await
                .map_err(|err| failure(&target, "read the status of", &err))?;
            if json {
                output::status_json(&status).map_err(CliError::Json)
            } else {
                Ok(output::status_table(&status))
            }
        }
        BudgetCommand::Reset { target, node } => {
            let conn = connect(&target)?;
            let count = rig_compose_redis::reset(&conn, &target.key, node.as_deref())
                .await
                .map_err(|err| failure(&target, "reset", &err))?;
            match node {
                Some(node) if count == 0 => Err(CliError::UnknownNode {
                    tree: target.key,
                    node,
                }),
                node => Ok(output::reset_report(&target.key, node.as_deref(), count)),
            }
        }
        BudgetCommand::Reap { target } => {
            let conn = connect(&target)?;
            let count = rig_compose_redis::reap(&conn, &target.key)
                .await
                .map_err(|err| failure(&target, "reap", &err))?;
            Ok(output::reap_report(&target.key, count))
        }
    }
}

fn connect(target: &Target) -> Result<RedisConnection, CliError> {
    let limit = Duration::from_millis(target.timeout_ms);
    let settings = ConnectionSettings {
        connect_timeout: limit,
        op_timeout: limit,
        ..ConnectionSettings::default()
    };
    RedisConnection::open_with(&target.url, settings).map_err(|err| CliError::Connect {
        url: mask_credentials(&target.url),
        reason: err.to_string(),
    })
}

fn failure(target: &Target, verb: &str, err: &dyn std::fmt::Display) -> CliError {
    CliError::Redis {
        action: format!("{verb} tree `{}`", target.key),
        url: mask_credentials(&target.url),
        reason: err.to_string(),
    }
}
