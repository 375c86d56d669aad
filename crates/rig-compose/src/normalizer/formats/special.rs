//! Small byte-level helpers shared by the special-token formats (DeepSeek,
//! Kimi K2, Harmony, Gemma, pythonic, LFM2): matching a marker that may be
//! cut off at the end of the known text, and skipping whitespace.
//!
//! Every helper distinguishes "the text ends inside the marker" ([`Tok::Prefix`])
//! from "this is not the marker" ([`Tok::No`]), which is what lets `scan`
//! return `NeedMore` instead of a premature `NotACall` and so stay monotone.

/// How the text at some position relates to an expected marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// The marker is there, this many bytes long.
    Full(usize),
    /// The text ends inside what could still become the marker.
    Prefix,
    /// Something else is there.
    No,
}

/// Whether `lit` is at `at` in `text`.
#[inline]
pub(crate) fn lit(text: &str, at: usize, lit: &str) -> Tok {
    let rest = text.as_bytes().get(at..).unwrap_or_default();
    let want = lit.as_bytes();
    if rest.starts_with(want) {
        Tok::Full(want.len())
    } else if rest.len() < want.len() && want.starts_with(rest) {
        Tok::Prefix
    } else {
        Tok::No
    }
}

/// The first of `lits` found at `at`: `Full` wins over `Prefix`.
pub(crate) fn any_lit(text: &str, at: usize, lits: &[&str]) -> Tok {
    let mut best = Tok::No;
    for l in lits {
        match lit(text, at, l) {
            Tok::Full(n) => return Tok::Full(n),
            Tok::Prefix => best = Tok::Prefix,
            Tok::No => {}
        }
    }
    best
}

/// Index of the first non-whitespace byte at or after `at` (ASCII
/// whitespace; model output between special tokens is ASCII).
#[inline]
pub(crate) fn skip_ws(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// Index just past the run of bytes at `at` for which `keep` holds.
#[inline]
pub(crate) fn run_end(text: &str, at: usize, keep: impl Fn(u8) -> bool) -> usize {
    let rest = text.as_bytes().get(at..).unwrap_or_default();
    at + rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len())
}

/// Byte index of the first `needle` at or after `from`.
#[inline]
pub(crate) fn find_from(text: &str, from: usize, needle: &str) -> Option<usize> {
    text.get(from..)?.find(needle).map(|at| from + at)
}

/// `text[from..to]`, empty when out of range.
#[inline]
pub(crate) fn slice(text: &str, from: usize, to: usize) -> &str {
    text.get(from..to).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_matching_knows_prefixes() {
        assert_eq!(lit("<|end|>x", 0, "<|end|>"), Tok::Full(7));
        assert_eq!(lit("ab<|en", 2, "<|end|>"), Tok::Prefix);
        assert_eq!(lit("ab", 2, "<|end|>"), Tok::Prefix);
        assert_eq!(lit("<|eof", 0, "<|end|>"), Tok::No);
        assert_eq!(any_lit("<|ca", 0, &["<|end|>", "<|call|>"]), Tok::Prefix);
        assert_eq!(
            any_lit("<|call|>", 0, &["<|end|>", "<|call|>"]),
            Tok::Full(8)
        );
        assert_eq!(any_lit("x", 0, &["<|end|>", "<|call|>"]), Tok::No);
    }

    #[test]
    fn runs_and_whitespace() {
        assert_eq!(skip_ws(" \n\tx", 0), 3);
        assert_eq!(skip_ws("  ", 0), 2);
        assert_eq!(run_end("abc(", 0, |b| b.is_ascii_alphabetic()), 3);
        assert_eq!(run_end("abc", 1, |b| b.is_ascii_alphabetic()), 3);
        assert_eq!(find_from("a<b<c", 2, "<"), Some(3));
        assert_eq!(find_from("a", 5, "<"), None);
        assert_eq!(slice("abc", 2, 9), "");
    }
}
