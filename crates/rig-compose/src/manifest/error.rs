//! [`ManifestError`] and the limit/location types it reports.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use thiserror::Error;

use crate::registry::KernelError;

/// Why loading or materializing a manifest failed.
///
/// The variants are exactly those of rig-compose 0.5.0, so downstream code
/// that matches them exhaustively keeps compiling. Failures the original
/// crate had no variant for travel inside [`Io`](Self::Io) with
/// [`io::ErrorKind::InvalidData`] (or `UnexpectedEof` for truncated JSON)
/// and a typed inner error, reachable through accessors:
///
/// * a tripped [safety limit](super#limits) carries a
///   [`ManifestLimitExceeded`] — see [`limit_exceeded`](Self::limit_exceeded);
/// * a syntax or schema error from
///   [`AgentManifest::from_json`](super::AgentManifest::from_json) carries
///   the [`serde_json::Error`] — see [`json_error`](Self::json_error).
///
/// # Deviation from rig-compose 0.5.0
///
/// [`Yaml`](Self::Yaml) wraps [`serde_norway::Error`]; the original crate
/// wrapped `serde_yaml::Error`, which is unmaintained. The two have the same
/// shape (message plus optional [`location`](serde_norway::Error::location)).
///
/// ```
/// use rig_compose::manifest::{AgentManifest, ManifestLimit};
///
/// let err = AgentManifest::from_json("{\"name\": [\"x\"}").unwrap_err();
/// assert_eq!(err.json_error().map(|json| json.line()), Some(1));
/// assert!(err.limit_exceeded().is_none());
///
/// let deep = format!("{{\"knowledge\": {{\"metadata\": {}", "[".repeat(100));
/// let err = AgentManifest::from_json(&deep).unwrap_err();
/// let rejected = err.limit_exceeded().expect("a limit error");
/// assert!(matches!(rejected.limit, ManifestLimit::Depth { .. }));
/// assert!(err.to_string().starts_with("io: manifest rejected: nesting is deeper"));
/// ```
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The input is not valid YAML, or does not match the manifest schema.
    /// The message includes the line and column.
    #[error("yaml parse: {0}")]
    Yaml(#[from] serde_norway::Error),

    /// Reading the manifest file failed (the message names the file), a
    /// safety limit rejected the input, or JSON input was malformed. Use
    /// [`limit_exceeded`](ManifestError::limit_exceeded) and
    /// [`json_error`](ManifestError::json_error) to tell the last two apart.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),

    /// A `tools` entry names a tool the host registry does not provide.
    #[error("missing host tool '{0}' referenced by manifest")]
    MissingHostTool(String),

    /// An `in_process` delegate has no executor under its key.
    #[error("missing delegate executor '{0}' referenced by manifest")]
    MissingDelegateExecutor(String),
}

impl ManifestError {
    /// The limit violation behind this error, if the input was rejected by
    /// one of the loader's [safety limits](super#limits).
    pub fn limit_exceeded(&self) -> Option<&ManifestLimitExceeded> {
        self.io_inner()?.downcast_ref()
    }

    /// The JSON parser's error, if
    /// [`AgentManifest::from_json`](super::AgentManifest::from_json) failed
    /// on malformed JSON or on a document that does not fit the schema.
    /// Its [`line`](serde_json::Error::line) and
    /// [`column`](serde_json::Error::column) locate the problem.
    pub fn json_error(&self) -> Option<&serde_json::Error> {
        self.io_inner()?.downcast_ref()
    }

    fn io_inner(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        match self {
            Self::Io(error) => error.get_ref(),
            Self::Yaml(_) | Self::MissingHostTool(_) | Self::MissingDelegateExecutor(_) => None,
        }
    }
}

impl From<ManifestLimitExceeded> for ManifestError {
    /// Wraps the violation in [`ManifestError::Io`] with
    /// [`io::ErrorKind::InvalidData`].
    fn from(value: ManifestLimitExceeded) -> Self {
        Self::Io(io::Error::new(io::ErrorKind::InvalidData, value))
    }
}

impl From<ManifestError> for KernelError {
    /// Surfaces manifest problems as [`KernelError::ToolFailed`] with the
    /// manifest error's message.
    fn from(value: ManifestError) -> Self {
        KernelError::ToolFailed(value.to_string())
    }
}

/// The input was rejected by one of the loader's safety limits.
///
/// Reported inside [`ManifestError::Io`]; get it back with
/// [`ManifestError::limit_exceeded`].
///
/// ```
/// use rig_compose::manifest::{ManifestLimit, ManifestLimitExceeded, SourceLocation};
///
/// let rejected = ManifestLimitExceeded {
///     limit: ManifestLimit::Depth { max: 64 },
///     location: Some(SourceLocation { line: 3, column: 9, offset: None }),
/// };
/// assert_eq!(
///     rejected.to_string(),
///     "manifest rejected: nesting is deeper than 64 levels at line 3, column 9"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManifestLimitExceeded {
    /// Which limit was exceeded.
    pub limit: ManifestLimit,
    /// Where in the input it happened, when known.
    pub location: Option<SourceLocation>,
}

impl fmt::Display for ManifestLimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "manifest rejected: {}", self.limit)?;
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        Ok(())
    }
}

impl StdError for ManifestLimitExceeded {}

/// One of the loader's safety limits, with the bound that applied. See the
/// [module docs](super#limits) for the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestLimit {
    /// The input is longer than `max` bytes.
    InputBytes {
        /// The byte limit.
        max: usize,
    },
    /// Collections are nested more than `max` levels deep.
    Depth {
        /// The nesting limit.
        max: usize,
    },
    /// The document produces more than `max` values (scalars and
    /// collections), counting every expansion of a YAML alias.
    Values {
        /// The value limit.
        max: usize,
    },
    /// The document's strings total more than `max` bytes, counting every
    /// expansion of a YAML alias.
    ExpandedBytes {
        /// The byte limit.
        max: usize,
    },
}

impl fmt::Display for ManifestLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InputBytes { max } => write!(f, "input is larger than {max} bytes"),
            Self::Depth { max } => write!(f, "nesting is deeper than {max} levels"),
            Self::Values { max } => write!(
                f,
                "document expands to more than {max} values (aliases count once per use)"
            ),
            Self::ExpandedBytes { max } => write!(
                f,
                "document text expands to more than {max} bytes (aliases count once per use)"
            ),
        }
    }
}

/// A position in the manifest text. Line and column start at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// Line number.
    pub line: usize,
    /// Column number, in characters.
    pub column: usize,
    /// Byte offset from the start of the input, when the parser reports it.
    pub offset: Option<usize>,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)?;
        if let Some(offset) = self.offset {
            write!(f, " (byte {offset})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names the variant without a wildcard arm: adding a variant makes this
    /// fail to compile, which is the point (downstream crates match the
    /// published set exhaustively).
    fn variant(err: &ManifestError) -> &'static str {
        match err {
            ManifestError::Yaml(_) => "yaml",
            ManifestError::Io(_) => "io",
            ManifestError::MissingHostTool(_) => "host",
            ManifestError::MissingDelegateExecutor(_) => "delegate",
        }
    }

    #[test]
    fn variants_are_exactly_the_published_four() {
        let yaml = serde_norway::from_str::<serde_norway::Value>("a: [").unwrap_err();
        let rejected = ManifestLimitExceeded {
            limit: ManifestLimit::Values { max: 1 },
            location: None,
        };
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let seen: Vec<_> = [
            ManifestError::from(yaml),
            ManifestError::from(io::Error::other("x")),
            ManifestError::from(rejected),
            ManifestError::Io(json.into()),
            ManifestError::MissingHostTool("t".into()),
            ManifestError::MissingDelegateExecutor("d".into()),
        ]
        .iter()
        .map(variant)
        .collect();
        assert_eq!(seen, ["yaml", "io", "io", "io", "host", "delegate"]);
    }

    #[test]
    fn published_messages_are_kept() {
        assert_eq!(
            ManifestError::MissingHostTool("grep".into()).to_string(),
            "missing host tool 'grep' referenced by manifest"
        );
        assert_eq!(
            ManifestError::MissingDelegateExecutor("child".into()).to_string(),
            "missing delegate executor 'child' referenced by manifest"
        );
        let io = io::Error::other("disk gone");
        assert_eq!(ManifestError::from(io).to_string(), "io: disk gone");
        let yaml = serde_norway::from_str::<serde_norway::Value>("a: [").unwrap_err();
        let text = yaml.to_string();
        assert_eq!(
            ManifestError::from(yaml).to_string(),
            format!("yaml parse: {text}")
        );
    }

    #[test]
    fn limit_messages_say_what_and_where() {
        let err = ManifestError::from(ManifestLimitExceeded {
            limit: ManifestLimit::Depth { max: 64 },
            location: Some(SourceLocation {
                line: 3,
                column: 9,
                offset: Some(40),
            }),
        });
        assert_eq!(
            err.to_string(),
            "io: manifest rejected: nesting is deeper than 64 levels at line 3, column 9 (byte 40)"
        );
        let err = ManifestError::from(ManifestLimitExceeded {
            limit: ManifestLimit::InputBytes { max: 10 },
            location: None,
        });
        assert_eq!(
            err.to_string(),
            "io: manifest rejected: input is larger than 10 bytes"
        );
        let kernel: KernelError = err.into();
        assert!(
            matches!(kernel, KernelError::ToolFailed(m) if m == "io: manifest rejected: input is larger than 10 bytes")
        );
    }

    #[test]
    fn accessors_find_only_their_own_inner_error() {
        let rejected = ManifestLimitExceeded {
            limit: ManifestLimit::ExpandedBytes { max: 7 },
            location: Some(SourceLocation {
                line: 1,
                column: 2,
                offset: None,
            }),
        };
        let err = ManifestError::from(rejected);
        let ManifestError::Io(io) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
        assert_eq!(err.limit_exceeded(), Some(&rejected));
        assert!(err.json_error().is_none());

        let json = serde_json::from_str::<serde_json::Value>("[1,\n 2").unwrap_err();
        let err = ManifestError::Io(json.into());
        let ManifestError::Io(io) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(err.json_error().map(serde_json::Error::line), Some(2));
        assert!(err.limit_exceeded().is_none());

        // Plain I/O errors, with or without an inner error, carry neither.
        for err in [
            ManifestError::from(io::Error::other("boom")),
            ManifestError::from(io::Error::from(io::ErrorKind::NotFound)),
            ManifestError::MissingHostTool("x".into()),
        ] {
            assert!(err.limit_exceeded().is_none(), "{err}");
            assert!(err.json_error().is_none(), "{err}");
        }
    }
}
