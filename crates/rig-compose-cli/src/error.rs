//! The tool's errors and the exit status each one maps to.

use std::fmt;
use std::process::ExitCode;

/// Exit status for failures at run time (usage errors get clap's 2).
pub(crate) const EXIT_RUNTIME: u8 = 1;

/// Everything that can go wrong after the command line was accepted.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The async runtime could not be started.
    Runtime(std::io::Error),
    /// The Redis URL was rejected before anything was sent.
    Connect {
        /// The URL, credentials masked.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// Redis failed (unreachable, timed out, odd reply) during an operation.
    Redis {
        /// What the tool was doing, e.g. "read the status of tree `acme`".
        action: String,
        /// The URL, credentials masked.
        url: String,
        /// The library's explanation.
        reason: String,
    },
    /// `reset --node` named a node the tree does not have.
    UnknownNode {
        /// The tree.
        tree: String,
        /// The node asked for.
        node: String,
    },
    /// Rendering the result as JSON failed.
    Json(serde_json::Error),
    /// Writing to standard output failed.
    Stdout(std::io::Error),
}

impl CliError {
    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(EXIT_RUNTIME)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Runtime(err) => write!(f, "cannot start the async runtime: {err}"),
            Self::Connect { url, reason } => {
                write!(f, "cannot use Redis at {url}: {reason}")
            }
            Self::Redis {
                action,
                url,
                reason,
            } => write!(f, "cannot {action} on Redis at {url}: {reason}"),
            Self::UnknownNode { tree, node } => {
                write!(f, "tree `{tree}` has no node `{node}`; nothing was reset")
            }
            Self::Json(err) => write!(f, "cannot render JSON: {err}"),
            Self::Stdout(err) => write!(f, "cannot write to standard output: {err}"),
        }
    }
}

impl std::error::Error for CliError {}

/// `url` with any user name / password replaced by `***`, fit for messages.
pub(crate) fn mask_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked() {
        assert_eq!(
            mask_credentials("redis://user:secret@db:6379/0"),
            "redis://***@db:6379/0"
        );
        assert_eq!(mask_credentials("rediss://:p@ss@db/"), "rediss://***@db/");
        assert_eq!(
            mask_credentials("redis://127.0.0.1:6379/"),
            "redis://127.0.0.1:6379/"
        );
        assert_eq!(mask_credentials("not a url"), "not a url");
    }

    #[test]
    fn messages_name_the_url_and_the_cause() {
        let err = CliError::Redis {
            action: "reap tree `t`".into(),
            url: "redis://127.0.0.1:1/".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            err.to_string(),
            "cannot reap tree `t` on Redis at redis://127.0.0.1:1/: connection refused"
        );
        assert_eq!(err.exit_code(), ExitCode::from(1));
    }
}
