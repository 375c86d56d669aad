//! [`NormalizeError`]: typed failures of the text and provider normalizers.
//!
//! Every variant says which format was being read and the byte offset in the
//! whole input (for provider payloads, the JSON path) where it went wrong, so
//! a caller can log one line and a developer can find the spot.

use std::fmt;

use crate::registry::KernelError;

use super::format::PartialCall;

/// Why model output could not be normalized into tool calls.
///
/// Offsets are byte offsets into the complete model output (for a stream:
/// into everything fed so far), never into an internal slice.
///
/// Converts into [`KernelError::NormalizerFailed`] with the same message,
/// which is how the 0.5 [`ToolCallNormalizer`](super::ToolCallNormalizer)
/// trait reports it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The output has the markers of a call but its content does not parse.
    Malformed {
        /// Canonical name of the format being parsed.
        format: &'static str,
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong, e.g. ``expected `}` after arguments``.
        message: String,
    },
    /// The output ended inside a call (cut off at `max_tokens`, or a stream
    /// that stopped early). The call is never reported as finished.
    Incomplete {
        /// Canonical name of the format being parsed.
        format: &'static str,
        /// Byte offset where the unfinished call region starts.
        offset: usize,
        /// What had been written of the call, when the format can tell.
        partial: Option<Box<PartialCall>>,
    },
    /// One argument slot holds several JSON values back to back, such as
    /// `{"a":1}{"a":1}`: the model repeated itself and which value it meant
    /// is unknowable.
    ConcatenatedArguments {
        /// Canonical name of the format being parsed.
        format: &'static str,
        /// Byte offset of the second value.
        offset: usize,
        /// The tool the arguments belong to.
        tool: String,
    },
    /// A JSON object in a call repeats a key (`{"name": "a", "name": "b"}`),
    /// so the call is ambiguous.
    DuplicateKey {
        /// Canonical name of the format being parsed.
        format: &'static str,
        /// Byte offset just after the repeated entry.
        offset: usize,
        /// The repeated key.
        key: String,
    },
    /// A tool name is empty or has characters a registry name cannot have.
    InvalidToolName {
        /// Canonical name of the format being parsed.
        format: &'static str,
        /// Byte offset of the name.
        offset: usize,
        /// The name as written (clipped).
        name: String,
    },
    /// Input or nesting beyond the documented
    /// [`limits`](super::limits).
    LimitExceeded {
        /// Canonical name of the format being parsed.
        format: &'static str,
        /// Byte offset where the limit was hit.
        offset: usize,
        /// Which limit, e.g. `nesting depth 128`.
        limit: String,
    },
    /// A stream delivered bytes that are not UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A provider payload has the wrong shape.
    Provider {
        /// The provider shape being read, e.g. `openai-chat`.
        shape: &'static str,
        /// JSON path (or event number) of the problem, e.g. `$.choices[0]`.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// No format goes by this name or alias.
    UnknownFormat {
        /// The name asked for.
        name: String,
    },
}

impl NormalizeError {
    /// Byte offset of the problem in the model output, when it has one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            Self::Malformed { offset, .. }
            | Self::Incomplete { offset, .. }
            | Self::ConcatenatedArguments { offset, .. }
            | Self::DuplicateKey { offset, .. }
            | Self::InvalidToolName { offset, .. }
            | Self::LimitExceeded { offset, .. }
            | Self::InvalidUtf8 { offset } => Some(*offset),
            Self::Provider { .. } | Self::UnknownFormat { .. } => None,
        }
    }

    /// Whether the output merely stopped early (more text could complete it).
    pub fn is_incomplete(&self) -> bool {
        matches!(self, Self::Incomplete { .. })
    }

    /// The same error with its offset moved by `base`: parsers report
    /// offsets inside the region they were given, and the driver rebases
    /// them onto the whole output.
    #[must_use]
    pub(crate) fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            Self::Malformed { offset, .. }
            | Self::Incomplete { offset, .. }
            | Self::ConcatenatedArguments { offset, .. }
            | Self::DuplicateKey { offset, .. }
            | Self::InvalidToolName { offset, .. }
            | Self::LimitExceeded { offset, .. }
            | Self::InvalidUtf8 { offset } => *offset = offset.saturating_add(base),
            Self::Provider { .. } | Self::UnknownFormat { .. } => {}
        }
        self
    }

    /// A [`Malformed`](Self::Malformed) error.
    pub fn malformed(format: &'static str, offset: usize, message: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed {
                format,
                offset,
                message,
            } => write!(f, "{format}: {message} (at byte {offset})"),
            Self::Incomplete {
                format,
                offset,
                partial,
            } => {
                write!(f, "{format}: output ended inside a tool call")?;
                if let Some(name) = partial.as_ref().and_then(|p| p.name.as_deref()) {
                    // Quoted and escaped: the name comes from model output.
                    write!(f, " to {}", super::diag::Excerpt(name))?;
                }
                write!(f, " (call starts at byte {offset})")
            }
            Self::ConcatenatedArguments {
                format,
                offset,
                tool,
            } => write!(
                f,
                "{format}: several argument objects back to back for tool {} (second one at byte {offset})",
                super::diag::Excerpt(tool)
            ),
            Self::DuplicateKey {
                format,
                offset,
                key,
            } => write!(
                f,
                "{format}: key {} appears twice in one object (at byte {offset})",
                super::diag::Excerpt(key)
            ),
            Self::InvalidToolName {
                format,
                offset,
                name,
            } => write!(
                f,
                "{format}: invalid tool name {} (at byte {offset})",
                super::diag::Excerpt(name)
            ),
            Self::LimitExceeded {
                format,
                offset,
                limit,
            } => write!(f, "{format}: {limit} exceeded (at byte {offset})"),
            Self::InvalidUtf8 { offset } => {
                write!(f, "stream is not valid UTF-8 (at byte {offset})")
            }
            Self::Provider {
                shape,
                path,
                message,
            } => write!(f, "{shape}: {message} (at {path})"),
            Self::UnknownFormat { name } => {
                write!(f, "unknown tool-call format {}", super::diag::Excerpt(name))
            }
        }
    }
}

impl std::error::Error for NormalizeError {}

impl From<NormalizeError> for KernelError {
    fn from(err: NormalizeError) -> Self {
        KernelError::NormalizerFailed(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifting_moves_only_located_errors() {
        let err = NormalizeError::malformed("hermes", 3, "bad").shifted(10);
        assert_eq!(err.offset(), Some(13));
        assert_eq!(err.to_string(), "hermes: bad (at byte 13)");
        let unknown = NormalizeError::UnknownFormat { name: "x".into() }.shifted(5);
        assert_eq!(unknown.offset(), None);
    }

    #[test]
    fn incomplete_names_the_partial_call() {
        let err = NormalizeError::Incomplete {
            format: "hermes",
            offset: 7,
            partial: Some(Box::new(PartialCall {
                name: Some("get_weather".into()),
                id: None,
                arguments: "{\"ci".into(),
            })),
        };
        assert!(err.is_incomplete());
        assert_eq!(
            err.to_string(),
            "hermes: output ended inside a tool call to \"get_weather\" (call starts at byte 7)"
        );
        let kernel: KernelError = err.into();
        assert!(kernel.to_string().contains("get_weather"));
    }
}
