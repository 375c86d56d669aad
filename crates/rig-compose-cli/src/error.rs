//! The tool's errors and the exit status each one maps to.

use std::fmt;
use std::process::ExitCode;

use rig_compose::normalizer::NormalizeError;

/// Exit status for failures at run time: I/O, Redis (usage errors get
/// clap's 2).
pub(crate) const EXIT_RUNTIME: u8 = 1;
/// Exit status for a command line clap accepted but that makes no sense
/// (an unknown format name, `--model` with a fixed format). Same as clap's.
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit status for model output that cannot be normalized: malformed
/// calls, invalid UTF-8, limits exceeded.
pub(crate) const EXIT_MALFORMED: u8 = 3;
/// Exit status for model output that ends inside a tool call.
pub(crate) const EXIT_INCOMPLETE: u8 = 4;

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
    /// Reading standard input failed.
    Stdin(std::io::Error),
    /// Standard input is not UTF-8 (model output always is).
    InvalidUtf8 {
        /// Byte offset of the first byte that is not.
        offset: usize,
    },
    /// The options contradict each other or name something unknown.
    Usage(String),
    /// The model output could not be normalized.
    Normalize(NormalizeError),
}

impl CliError {
    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Usage(_) | Self::Normalize(NormalizeError::UnknownFormat { .. }) => EXIT_USAGE,
            Self::Normalize(err) if err.is_incomplete() => EXIT_INCOMPLETE,
            Self::Normalize(_) | Self::InvalidUtf8 { .. } => EXIT_MALFORMED,
            Self::Runtime(_)
            | Self::Connect { .. }
            | Self::Redis { .. }
            | Self::UnknownNode { .. }
            | Self::Json(_)
            | Self::Stdout(_)
            | Self::Stdin(_) => EXIT_RUNTIME,
        })
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
            Self::Stdin(err) => write!(f, "cannot read standard input: {err}"),
            Self::InvalidUtf8 { offset } => {
                write!(f, "standard input is not valid UTF-8 (at byte {offset})")
            }
            Self::Usage(message) => f.write_str(message),
            Self::Normalize(err @ NormalizeError::UnknownFormat { .. }) => write!(
                f,
                "{err}; `rig-compose normalize --list` shows the known names"
            ),
            Self::Normalize(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for CliError {}

/// `message` with control characters escaped (`\n` as `\\n`), so an error
/// is one line on stderr even when it quotes model output.
pub(crate) fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

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

    #[test]
    fn messages_become_one_line() {
        assert_eq!(one_line("to `a\nb`\r\t!"), "to `a\\nb`\\r\\t!");
        assert_eq!(one_line("naïve — 東京"), "naïve — 東京");
    }

    #[test]
    fn normalizer_errors_map_to_their_exit_codes() {
        let malformed = CliError::Normalize(NormalizeError::malformed("hermes", 4, "bad"));
        assert_eq!(malformed.exit_code(), ExitCode::from(EXIT_MALFORMED));
        assert_eq!(malformed.to_string(), "hermes: bad (at byte 4)");
        let cut = CliError::Normalize(NormalizeError::Incomplete {
            format: "hermes",
            offset: 0,
            partial: None,
        });
        assert_eq!(cut.exit_code(), ExitCode::from(EXIT_INCOMPLETE));
        let unknown = CliError::Normalize(NormalizeError::UnknownFormat { name: "x y".into() });
        assert_eq!(unknown.exit_code(), ExitCode::from(EXIT_USAGE));
        assert!(
            unknown
                .to_string()
                .ends_with("; `rig-compose normalize --list` shows the known names")
        );
        let utf8 = CliError::Normalize(NormalizeError::InvalidUtf8 { offset: 9 });
        assert_eq!(utf8.exit_code(), ExitCode::from(EXIT_MALFORMED));
        let stdin = CliError::InvalidUtf8 { offset: 2 };
        assert_eq!(stdin.exit_code(), ExitCode::from(EXIT_MALFORMED));
        assert_eq!(
            stdin.to_string(),
            "standard input is not valid UTF-8 (at byte 2)"
        );
        assert_eq!(
            CliError::Usage("no".into()).exit_code(),
            ExitCode::from(EXIT_USAGE)
        );
    }
}
