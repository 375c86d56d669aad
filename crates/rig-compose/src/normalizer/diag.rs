//! Error messages that say what went wrong and where.
//!
//! Parsers report failures as [`KernelError::NormalizerFailed`]. The message
//! starts with a fixed description of the problem (stable text callers may
//! match on) and ends with its location: a byte offset into the original
//! input and, once it is known, the tool being parsed.

use std::fmt::{self, Display, Write as _};

use crate::registry::KernelError;

/// Excerpts of model output quoted in messages are cut to this many bytes so
/// that a multi-megabyte argument cannot turn into a multi-megabyte error.
pub(crate) const EXCERPT_LIMIT: usize = 256;

/// `text` cut to at most [`EXCERPT_LIMIT`] bytes on a char boundary, and
/// how many bytes were dropped.
fn clip(text: &str) -> (&str, usize) {
    let mut cut = EXCERPT_LIMIT.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    (text.get(..cut).unwrap_or_default(), text.len() - cut)
}

/// `Debug`-quotes `text` like `{:?}` does, shortened to [`EXCERPT_LIMIT`]
/// bytes with a note saying how much was dropped.
pub(crate) struct Excerpt<'a>(pub(crate) &'a str);

impl Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match clip(self.0) {
            (head, 0) => write!(f, "{head:?}"),
            (head, dropped) => write!(f, "{head:?}… ({dropped} more bytes)"),
        }
    }
}

/// Shows `text` as is, shortened like [`Excerpt`] (for identifiers and
/// keys, which messages print unquoted).
pub(crate) struct Clipped<'a>(pub(crate) &'a str);

impl Display for Clipped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match clip(self.0) {
            (head, 0) => f.write_str(head),
            (head, dropped) => write!(f, "{head}… ({dropped} more bytes)"),
        }
    }
}

/// Where in an input a text parser currently is: the whole input (so any
/// sub-slice can be turned back into a byte offset) and the tool whose call
/// is being parsed, once known.
#[derive(Clone, Copy)]
pub(crate) struct Site<'a> {
    input: &'a str,
    tool: Option<&'a str>,
}

impl<'a> Site<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Self { input, tool: None }
    }

    pub(crate) fn with_tool(self, tool: &'a str) -> Self {
        Self {
            tool: Some(tool),
            ..self
        }
    }

    /// Byte offset of `part`, which must be a sub-slice of the input; any
    /// other slice maps to offset 0 rather than failing.
    pub(crate) fn offset_of(&self, part: &str) -> usize {
        part.as_ptr()
            .addr()
            .checked_sub(self.input.as_ptr().addr())
            .filter(|offset| *offset <= self.input.len())
            .unwrap_or(0)
    }

    /// A `NormalizerFailed` error reading `<what> (at byte N[, tool `t`])`,
    /// located at the start of `part`.
    pub(crate) fn fail(&self, part: &str, what: impl Display) -> KernelError {
        self.fail_at(self.offset_of(part), what)
    }

    /// Like [`fail`](Self::fail) with an explicit byte offset.
    pub(crate) fn fail_at(&self, offset: usize, what: impl Display) -> KernelError {
        let mut message = what.to_string();
        let _ = write!(message, " (at byte {offset}");
        if let Some(tool) = self.tool {
            let _ = write!(message, ", tool `{tool}`");
        }
        message.push(')');
        KernelError::NormalizerFailed(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_match_debug_until_the_limit() {
        assert_eq!(Excerpt("a'b").to_string(), format!("{:?}", "a'b"));
        let long = "é".repeat(200); // 400 bytes, 2 per char
        let shown = Excerpt(&long).to_string();
        assert!(shown.starts_with(format!("{:?}", "é".repeat(128)).trim_end_matches('"')));
        assert!(shown.ends_with("… (144 more bytes)"), "{shown}");
    }

    #[test]
    fn messages_carry_offset_and_tool() {
        let input = "abc(def)";
        let site = Site::new(input);
        let part = input.get(4..).unwrap();
        assert_eq!(
            site.fail(part, "bad").to_string(),
            "tool-call normalizer failed: bad (at byte 4)"
        );
        assert_eq!(
            site.with_tool("abc").fail_at(7, "worse").to_string(),
            "tool-call normalizer failed: worse (at byte 7, tool `abc`)"
        );
        // A foreign slice cannot produce a bogus offset.
        assert_eq!(site.offset_of("elsewhere"), 0);
    }
}
