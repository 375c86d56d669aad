//! Byte-level scanning shared by the text formats.
//!
//! Two tools live here:
//!
//! * [`TopLevelParts`]: splits text at a delimiter that is outside quotes
//!   and brackets. It reproduces the separator rules the published
//!   rig-compose LFM parser used (see below), because LFM output that parser
//!   accepted must keep producing the same calls.
//! * [`Cursor`]: a forward reader for recursive-descent parsers.
//!
//! All delimiters are ASCII, and UTF-8 never uses ASCII byte values inside a
//! multi-byte character, so scanning bytes finds exactly the positions a
//! `char` scan would, and every position found is a char boundary.
//!
//! # Splitting rules
//!
//! Scanning starts outside quotes at depth 0. `'` or `"` opens a quoted run
//! that ends at the next unescaped quote of the same kind; inside it a
//! backslash escapes the following byte. Outside quotes `(`, `[` and `{`
//! raise the depth and `)`, `]` and `}` lower it — the bracket kinds are not
//! matched against each other, and the depth never goes below 0. A
//! delimiter splits only outside quotes at depth 0.

/// What a byte means to the splitter outside quotes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Plain,
    Quote,
    Open,
    Close,
}

/// The splitter's view of a byte.
#[inline]
fn class(b: u8) -> Class {
    match b {
        b'\'' | b'"' => Class::Quote,
        b'(' | b'[' | b'{' => Class::Open,
        b')' | b']' | b'}' => Class::Close,
        _ => Class::Plain,
    }
}

/// Index just past the quoted run whose opening quote is at `open`, or
/// `None` if the run is not closed before the end of `bytes`.
pub(crate) fn skip_quoted(text: &str, open: usize) -> Option<usize> {
    scan_quoted(text, open).map(|(end, _)| end)
}

/// Like [`skip_quoted`], and also says whether the run contains a backslash
/// (callers can then skip unescaping).
///
/// Most quoted runs contain no backslash, so the closing quote is found with
/// a memchr-based search and the run checked for `\` the same way; only runs
/// with escapes are walked byte by byte.
pub(crate) fn scan_quoted(text: &str, open: usize) -> Option<(usize, bool)> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(open)?;
    let start = open + 1;
    let body = bytes.get(start..)?;
    match body.iter().position(|&b| b == quote || b == b'\\') {
        Some(at) if body.get(at) == Some(&quote) => Some((start + at + 1, false)),
        Some(at) => walk_quoted(bytes, start + at, quote),
        None => None,
    }
}

/// Finish a quoted run byte by byte from position `i`, inside the run.
fn walk_quoted(bytes: &[u8], mut i: usize, quote: u8) -> Option<(usize, bool)> {
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
        } else if b == quote {
            return Some((i + 1, true));
        } else {
            i += 1;
        }
    }
    None
}

/// One piece produced by [`TopLevelParts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part<'a> {
    /// The text between two delimiters, untrimmed.
    pub(crate) text: &'a str,
    /// Index within `text` of the first `marker` byte found at the top level,
    /// if the splitter was asked to look for one.
    pub(crate) marker: Option<usize>,
}

/// Iterator over the pieces of a string separated by a top-level delimiter
/// (see the module docs for what "top-level" means). Like `str::split` it
/// yields empty pieces between adjacent delimiters and at the ends.
///
/// Optionally it also records, per piece, the first top-level occurrence of
/// a second byte (`marker`), so a caller splitting `k: v` entries does not
/// need to scan each entry again.
pub(crate) struct TopLevelParts<'a> {
    text: &'a str,
    delimiter: u8,
    marker: Option<u8>,
    /// Start of the next piece; `None` once the last piece was yielded.
    start: Option<usize>,
}

impl<'a> TopLevelParts<'a> {
    pub(crate) fn new(text: &'a str, delimiter: u8) -> Self {
        Self {
            text,
            delimiter,
            marker: None,
            start: Some(0),
        }
    }

    pub(crate) fn with_marker(text: &'a str, delimiter: u8, marker: u8) -> Self {
        Self {
            marker: Some(marker),
            ..Self::new(text, delimiter)
        }
    }
}

impl<'a> Iterator for TopLevelParts<'a> {
    type Item = Part<'a>;

    fn next(&mut self) -> Option<Part<'a>> {
        let start = self.start?;
        let bytes = self.text.as_bytes();
        let mut depth: usize = 0;
        let mut marker = None;
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            match class(b) {
                Class::Plain => {
                    if depth == 0 {
                        if b == self.delimiter {
                            self.start = Some(i + 1);
                            let text = self.text.get(start..i).unwrap_or_default();
                            return Some(Part { text, marker });
                        }
                        if marker.is_none() && Some(b) == self.marker {
                            marker = Some(i - start);
                        }
                    }
                }
                Class::Quote => match skip_quoted(self.text, i) {
                    Some(end) => {
                        i = end;
                        continue;
                    }
                    // An unclosed quote swallows the rest of the text.
                    None => break,
                },
                Class::Open => depth = depth.saturating_add(1),
                Class::Close => depth = depth.saturating_sub(1),
            }
            i += 1;
        }
        self.start = None;
        let text = self.text.get(start..).unwrap_or_default();
        Some(Part { text, marker })
    }
}

/// `NAME_BYTES[b]` says whether byte `b` may appear in a tool or argument
/// name: ASCII letters, digits, `_`, `-` and `.`.
static NAME_BYTES: [bool; 256] = name_bytes();

// Indexing here runs at compile time, where an out-of-range index is a
// build error rather than a runtime panic.
#[allow(clippy::indexing_slicing)]
const fn name_bytes() -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0u8;
    while b < 128 {
        table[b as usize] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.';
        b += 1;
    }
    table
}

/// Whether `b` may appear in a tool or argument name.
#[inline]
pub(crate) fn is_name_byte(b: u8) -> bool {
    NAME_BYTES.get(usize::from(b)).copied().unwrap_or(false)
}

/// A forward reader over a `&str` for recursive-descent parsers.
#[derive(Clone, Copy)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// `text[from..to]`, empty if out of range (never panics).
    pub(crate) fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    /// Skip whitespace as `str::trim` defines it (Unicode `White_Space`).
    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                // The ASCII members of `White_Space`; note `\x0B` is one,
                // unlike in `u8::is_ascii_whitespace`.
                b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' => self.pos += 1,
                0x80.. => {
                    if !self.skip_unicode_ws() {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    /// Skip one non-ASCII whitespace char at the cursor, if there is one.
    fn skip_unicode_ws(&mut self) -> bool {
        let rest = self.text.get(self.pos..).unwrap_or_default();
        match rest.chars().next() {
            Some(ch) if ch.is_whitespace() => {
                self.pos += ch.len_utf8();
                true
            }
            _ => false,
        }
    }

    /// Advance over bytes for which `keep` holds; returns where the run began.
    #[inline]
    pub(crate) fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> usize {
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..).unwrap_or_default();
        self.pos += rest.iter().position(|&b| !keep(b)).unwrap_or(rest.len());
        start
    }

    /// Move to an absolute position (clamped to the end of the text).
    pub(crate) fn jump(&mut self, pos: usize) {
        self.pos = pos.min(self.text.len());
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str, delimiter: u8) -> Vec<&str> {
        TopLevelParts::new(s, delimiter).map(|p| p.text).collect()
    }

    #[test]
    fn splits_only_at_top_level() {
        assert_eq!(texts("f(a, b), g(c)", b','), ["f(a, b)", " g(c)"]);
        assert_eq!(texts("a='x,y', b=\"1,2\"", b','), ["a='x,y'", " b=\"1,2\""]);
        assert_eq!(texts("[1, {'a': 2}], 3", b','), ["[1, {'a': 2}]", " 3"]);
        assert_eq!(texts("", b','), [""]);
        assert_eq!(texts(",a,", b','), ["", "a", ""]);
    }

    #[test]
    fn escapes_and_unclosed_quotes() {
        // The escaped quote does not close the run, so the comma is inside.
        assert_eq!(texts(r"'a\',b', c", b','), [r"'a\',b'", " c"]);
        // Outside quotes a backslash is an ordinary byte.
        assert_eq!(texts(r"a\,b", b','), [r"a\", "b"]);
        // An unclosed quote runs to the end.
        assert_eq!(texts("'abc, d", b','), ["'abc, d"]);
        // A trailing escape cannot step past the end.
        assert_eq!(texts("'ab\\", b','), ["'ab\\"]);
    }

    #[test]
    fn depth_saturates_at_zero() {
        // The stray `]` does not make the later `[` "close" anything: depth
        // goes 0 -> 0 -> 1, so the last comma is nested.
        assert_eq!(texts("a], b[c, d", b','), ["a]", " b[c, d"]);
        // Bracket kinds are not matched against each other.
        assert_eq!(texts("(a], b", b','), ["(a]", " b"]);
    }

    #[test]
    fn markers_are_found_per_part() {
        let parts: Vec<_> = TopLevelParts::with_marker("'k:1': v, {a: b}: c, x", b',', b':')
            .map(|p| (p.text, p.marker))
            .collect();
        assert_eq!(
            parts,
            [("'k:1': v", Some(5)), (" {a: b}: c", Some(7)), (" x", None)]
        );
    }

    #[test]
    fn multibyte_text_is_split_on_boundaries() {
        assert_eq!(texts("é,ü'ñ,'", b','), ["é", "ü'ñ,'"]);
    }

    #[test]
    fn quoted_runs() {
        let run = |s: &str| scan_quoted(s, 0);
        assert_eq!(run("'abc' x"), Some((5, false)));
        assert_eq!(run(r"'a\'b' x"), Some((6, true)));
        assert_eq!(run(r#""a\\" x"#), Some((5, true)));
        assert_eq!(run(r"'a\"), None);
        assert_eq!(run("'abc"), None);
        assert_eq!(run("\"\""), Some((2, false)));
        assert_eq!(run("x"), None);
        // Long runs.
        let long = format!("'{}'", "a".repeat(100));
        assert_eq!(run(&long), Some((102, false)));
        let long_escaped = format!("'{}\\'{}' x", "a".repeat(100), "b".repeat(100));
        assert_eq!(run(&long_escaped), Some((204, true)));
        assert_eq!(run(&format!("'{}", "a".repeat(100))), None);
        assert_eq!(run(&format!("'{}\\", "a".repeat(100))), None);
    }

    #[test]
    fn name_bytes() {
        let allowed: String = (0..=255u8)
            .filter(|&b| is_name_byte(b))
            .map(char::from)
            .collect();
        assert_eq!(
            allowed,
            "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
        );
    }

    #[test]
    fn cursor_skips_unicode_whitespace() {
        let mut c = Cursor::new(" \u{3000}\x0B\u{a0}x");
        c.skip_ws();
        assert_eq!(c.peek(), Some(b'x'));
        let mut c = Cursor::new("\u{e9}");
        c.skip_ws();
        assert_eq!(c.pos(), 0);
    }
}
