//! [`ManifestError`] and the limit/location types it reports.

use std::fmt;

use thiserror::Error;

use crate::registry::KernelError;

/// Why loading or materializing a manifest failed.
///
/// # Deviation from rig-compose 0.5.0
///
/// [`Yaml`](Self::Yaml) wraps [`serde_norway::Error`]; the original crate
/// wrapped `serde_yaml::Error`, which is unmaintained. The two have the same
/// shape (message plus optional [`location`](serde_norway::Error::location)).
/// [`Json`](Self::Json) and [`LimitExceeded`](Self::LimitExceeded) are
/// additions, used by [`AgentManifest::from_json`](super::AgentManifest::from_json)
/// and by the input [limits](super#limits).
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The input is not valid YAML, or does not match the manifest schema.
    /// The message includes the line and column.
    #[error("yaml parse: {0}")]
    Yaml(#[from] serde_norway::Error),

    /// Reading the manifest file failed; the message names the file.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),

    /// A `tools` entry names a tool the host registry does not provide.
    #[error("missing host tool '{0}' referenced by manifest")]
    MissingHostTool(String),

    /// An `in_process` delegate has no executor under its key.
    #[error("missing delegate executor '{0}' referenced by manifest")]
    MissingDelegateExecutor(String),

    /// The input is not valid JSON, or does not match the manifest schema
    /// (only from [`from_json`](super::AgentManifest::from_json)). The
    /// message includes the line and column.
    #[error("json parse: {0}")]
    Json(#[from] serde_json::Error),

    /// The input was rejected by one of the loader's safety limits.
    #[error("manifest rejected: {limit}{}", at(.location))]
    LimitExceeded {
        /// Which limit was exceeded.
        limit: ManifestLimit,
        /// Where in the input it happened, when known.
        location: Option<SourceLocation>,
    },
}

fn at(location: &Option<SourceLocation>) -> String {
    location
        .as_ref()
        .map(|loc| format!(" at {loc}"))
        .unwrap_or_default()
}

impl From<ManifestError> for KernelError {
    /// Surfaces manifest problems as [`KernelError::ToolFailed`] with the
    /// manifest error's message.
    fn from(value: ManifestError) -> Self {
        KernelError::ToolFailed(value.to_string())
    }
}

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
        let io = std::io::Error::other("disk gone");
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
        let err = ManifestError::LimitExceeded {
            limit: ManifestLimit::Depth { max: 64 },
            location: Some(SourceLocation {
                line: 3,
                column: 9,
                offset: Some(40),
            }),
        };
        assert_eq!(
            err.to_string(),
            "manifest rejected: nesting is deeper than 64 levels at line 3, column 9 (byte 40)"
        );
        let err = ManifestError::LimitExceeded {
            limit: ManifestLimit::InputBytes { max: 10 },
            location: None,
        };
        assert_eq!(
            err.to_string(),
            "manifest rejected: input is larger than 10 bytes"
        );
        let kernel: KernelError = err.into();
        assert!(
            matches!(kernel, KernelError::ToolFailed(m) if m == "manifest rejected: input is larger than 10 bytes")
        );
    }
}
