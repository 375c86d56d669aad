//! Python-style literals: `'text'`, `"text"`, `True`, `False`, `None`,
//! `null`, integers, floats, `[lists]`, `{'dicts': ...}` and, as a fallback,
//! bare words taken as strings.
//!
//! Two parsers implement the same language:
//!
//! * [`Fast`] reads well-formed literals in one forward pass. It gives up
//!   ([`Bail`]) on anything unusual instead of guessing, which is always
//!   safe because callers then fall back to [`Tolerant`].
//! * [`Tolerant`] follows the rules of the published rig-compose LFM parser
//!   exactly, quirks included (a stray `)` inside a bare word, doubled
//!   commas, keys that are bare words, ...), and produces its error messages.
//!   It splits text with [`TopLevelParts`] and re-scans each nested literal,
//!   so it is slower, but it only runs when `Fast` gave up.
//!
//! Whenever `Fast` succeeds it returns what `Tolerant` would; the unit tests
//! below and `tests/normalizer_differential.rs` check that.
//!
//! Both stop at [`MAX_NESTING_DEPTH`] nested lists/dicts.

use serde_json::{Map, Number, Value};

use super::diag::{Excerpt, Site};
use super::limits::MAX_NESTING_DEPTH;
use super::scan::{Cursor, TopLevelParts, scan_quoted};
use crate::registry::KernelError;

/// The fast parser met input it does not handle; re-parse with [`Tolerant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

/// A bare word that looks like a float but is infinite or NaN (`inf`,
/// `nan`, `1e999`), which JSON cannot represent.
struct NonFinite;

/// Interpret a trimmed bare word: keyword, integer, float or string.
fn bare_word(word: &str) -> Result<Value, NonFinite> {
    match word {
        "True" => return Ok(Value::Bool(true)),
        "False" => return Ok(Value::Bool(false)),
        "None" | "null" => return Ok(Value::Null),
        _ => {}
    }
    let first = word.as_bytes().first().copied().unwrap_or(b' ');
    // Cheap pre-checks keep ordinary words away from the number parsers;
    // the parsers themselves decide, so `+7`, `.5`, `1e3` and `inf` are
    // treated exactly as `str::parse` treats them.
    if (first.is_ascii_digit() || first == b'-' || first == b'+')
        && let Ok(int) = word.parse::<i64>()
    {
        return Ok(Value::Number(int.into()));
    }
    if (first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.' | b'i' | b'I' | b'n' | b'N'))
        && let Ok(float) = word.parse::<f64>()
    {
        return Number::from_f64(float).map(Value::Number).ok_or(NonFinite);
    }
    Ok(Value::String(word.to_owned()))
}

/// The contents of a quoted literal with `\'` and `\"` reduced to the bare
/// quote. Other backslashes are kept as written.
fn unquote(inner: &str) -> String {
    if !inner.as_bytes().contains(&b'\\') {
        return inner.to_owned();
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    // Copy whole runs between backslashes; only the escape sites are
    // inspected one by one.
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        if !after.starts_with(['\'', '"']) {
            out.push('\\');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Single-pass parser for well-formed literals.
pub(crate) struct Fast;

/// Which bytes end a bare word: anything structural. A `:` also ends one
/// only where a dict key is expected.
fn ends_word(b: u8, at_key: bool) -> bool {
    matches!(
        b,
        b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'\'' | b'"'
    ) || (at_key && b == b':')
}

impl Fast {
    /// Parse the literal at the cursor (whitespace already skipped). Leaves
    /// the cursor just after it; the caller checks what follows.
    pub(crate) fn value(cur: &mut Cursor<'_>, depth: usize) -> Result<Value, Bail> {
        match cur.peek() {
            Some(b'\'' | b'"') => Self::quoted(cur).map(Value::String),
            Some(b'[') => Self::list(cur, depth),
            Some(b'{') => Self::dict(cur, depth),
            _ => Self::word(cur, false),
        }
    }

    fn quoted(cur: &mut Cursor<'_>) -> Result<String, Bail> {
        let open = cur.pos();
        let (end, escaped) = scan_quoted(cur.text(), open).ok_or(Bail)?;
        cur.jump(end);
        let inner = cur.slice(open + 1, end - 1);
        Ok(if escaped {
            unquote(inner)
        } else {
            inner.to_owned()
        })
    }

    fn word(cur: &mut Cursor<'_>, at_key: bool) -> Result<Value, Bail> {
        let start = cur.take_while(|b| !ends_word(b, at_key));
        let word = cur.slice(start, cur.pos()).trim_end();
        bare_word(word).map_err(|NonFinite| Bail)
    }

    fn list(cur: &mut Cursor<'_>, depth: usize) -> Result<Value, Bail> {
        if depth >= MAX_NESTING_DEPTH {
            return Err(Bail);
        }
        cur.bump();
        let mut items = Vec::new();
        loop {
            cur.skip_ws();
            match cur.peek() {
                Some(b']') => break,
                // Empty items (`[1,,2]`) are dropped.
                Some(b',') => {
                    cur.bump();
                    continue;
                }
                None => return Err(Bail),
                Some(_) => {}
            }
            items.push(Self::value(cur, depth + 1)?);
            cur.skip_ws();
            match cur.peek() {
                Some(b',') => cur.bump(),
                Some(b']') => break,
                _ => return Err(Bail),
            }
        }
        cur.bump();
        Ok(Value::Array(items))
    }

    fn dict(cur: &mut Cursor<'_>, depth: usize) -> Result<Value, Bail> {
        if depth >= MAX_NESTING_DEPTH {
            return Err(Bail);
        }
        cur.bump();
        let mut map = Map::new();
        loop {
            cur.skip_ws();
            let key = match cur.peek() {
                Some(b'}') => break,
                Some(b',') => {
                    cur.bump();
                    continue;
                }
                Some(b'\'' | b'"') => Self::quoted(cur)?,
                Some(b'[' | b'{') | None => return Err(Bail),
                Some(_) => match Self::word(cur, true)? {
                    Value::String(key) => key,
                    _ => return Err(Bail),
                },
            };
            cur.skip_ws();
            if cur.peek() != Some(b':') {
                return Err(Bail);
            }
            cur.bump();
            cur.skip_ws();
            let value = Self::value(cur, depth + 1)?;
            match map.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                serde_json::map::Entry::Occupied(_) => return Err(Bail),
            }
            cur.skip_ws();
            match cur.peek() {
                Some(b',') => cur.bump(),
                Some(b'}') => break,
                _ => return Err(Bail),
            }
        }
        cur.bump();
        Ok(Value::Object(map))
    }
}

/// Parser with the published LFM parser's exact rules and error messages.
pub(crate) struct Tolerant<'s> {
    site: Site<'s>,
    /// Prefix of every message, e.g. `LFM`.
    format: &'static str,
}

impl<'s> Tolerant<'s> {
    pub(crate) fn new(site: Site<'s>, format: &'static str) -> Self {
        Self { site, format }
    }

    /// Parse the trimmed literal `text` found `depth` containers deep.
    pub(crate) fn value(&self, text: &'s str, depth: usize) -> Result<Value, KernelError> {
        let bytes = text.as_bytes();
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
            return Ok(Value::String(String::new()));
        };
        let closed = bytes.len() >= 2;
        let inner = || text.get(1..text.len() - 1).unwrap_or_default();
        let format = self.format;
        match first {
            b'\'' | b'"' => {
                if closed && last == first {
                    return Ok(Value::String(unquote(inner())));
                }
                let kind = if first == b'\'' { "single" } else { "double" };
                Err(self.site.fail(
                    text,
                    format_args!("{format}: unterminated {kind}-quoted string"),
                ))
            }
            b'[' | b'{' => {
                let (close, kind) = if first == b'[' {
                    (b']', "list")
                } else {
                    (b'}', "object")
                };
                if !(closed && last == close) {
                    return Err(self
                        .site
                        .fail(text, format_args!("{format}: unterminated {kind} literal")));
                }
                if depth >= MAX_NESTING_DEPTH {
                    return Err(self.site.fail(
                        text,
                        format_args!(
                            "{format}: literal nested deeper than {MAX_NESTING_DEPTH} levels"
                        ),
                    ));
                }
                if first == b'[' {
                    self.list(inner(), depth + 1)
                } else {
                    self.dict(inner(), depth + 1)
                }
            }
            _ => bare_word(text).map_err(|NonFinite| {
                self.site.fail(
                    text,
                    format_args!("{format}: non-finite float in argument: {}", Excerpt(text)),
                )
            }),
        }
    }

    fn list(&self, inner: &'s str, depth: usize) -> Result<Value, KernelError> {
        let mut items = Vec::new();
        for part in TopLevelParts::new(inner, b',') {
            let item = part.text.trim();
            if !item.is_empty() {
                items.push(self.value(item, depth)?);
            }
        }
        Ok(Value::Array(items))
    }

    fn dict(&self, inner: &'s str, depth: usize) -> Result<Value, KernelError> {
        let format = self.format;
        let mut map = Map::new();
        for part in TopLevelParts::with_marker(inner, b',', b':') {
            let entry = part.text.trim();
            if entry.is_empty() {
                continue;
            }
            let Some(colon) = part.marker else {
                return Err(self.site.fail(
                    entry,
                    format_args!("{format}: object entry without ':': {}", Excerpt(entry)),
                ));
            };
            let key_text = part.text.get(..colon).unwrap_or_default().trim();
            let value_text = part.text.get(colon + 1..).unwrap_or_default().trim();
            let Value::String(key) = self.value(key_text, depth)? else {
                return Err(self.site.fail(
                    entry,
                    format_args!(
                        "{format}: object key must be a string: {}",
                        Excerpt(key_text)
                    ),
                ));
            };
            match map.entry(key) {
                serde_json::map::Entry::Occupied(slot) => {
                    return Err(self.site.fail(
                        entry,
                        format_args!(
                            "{format}: duplicate object key: {}",
                            super::diag::Clipped(slot.key())
                        ),
                    ));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(self.value(value_text, depth)?);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tolerant(text: &str) -> Result<Value, KernelError> {
        Tolerant::new(Site::new(text), "LFM").value(text.trim(), 0)
    }

    fn fast(text: &str) -> Result<Value, Bail> {
        let mut cur = Cursor::new(text);
        cur.skip_ws();
        let value = Fast::value(&mut cur, 0)?;
        cur.skip_ws();
        if cur.peek().is_none() {
            Ok(value)
        } else {
            Err(Bail)
        }
    }

    #[test]
    fn scalars() {
        for (text, want) in [
            ("'a b'", json!("a b")),
            ("\"x\"", json!("x")),
            ("True", json!(true)),
            ("False", json!(false)),
            ("None", json!(null)),
            ("null", json!(null)),
            ("-5", json!(-5)),
            ("+7", json!(7)),
            ("0.25", json!(0.25)),
            (".5", json!(0.5)),
            ("1e3", json!(1000.0)),
            ("99999999999999999999", json!(1e20)),
            ("Berlin", json!("Berlin")),
            ("New York", json!("New York")),
            ("none", json!("none")),
            ("", json!("")),
        ] {
            assert_eq!(tolerant(text).unwrap(), want, "tolerant {text:?}");
            if !text.is_empty() {
                assert_eq!(fast(text).unwrap(), want, "fast {text:?}");
            }
        }
    }

    #[test]
    fn quotes_drop_only_quote_escapes() {
        assert_eq!(unquote(r"it\'s"), "it's");
        assert_eq!(unquote(r#"say \"hi\""#), r#"say "hi""#);
        assert_eq!(unquote(r"a\nb\\"), r"a\nb\\");
        assert_eq!(unquote(r"\\'"), r"\'");
        assert_eq!(tolerant(r"'it\'s'").unwrap(), json!("it's"));
        assert_eq!(fast(r"'it\'s'").unwrap(), json!("it's"));
    }

    #[test]
    fn non_finite_floats_are_rejected() {
        for text in ["inf", "-infinity", "NaN", "1e999"] {
            let err = tolerant(text).unwrap_err().to_string();
            assert!(err.contains("non-finite float"), "{text}: {err}");
            assert_eq!(fast(text), Err(Bail));
        }
    }

    #[test]
    fn containers() {
        let text = "{'a': [1, 'x,y', {b: None}], \"c\": {}, d: []}";
        let want = json!({"a": [1, "x,y", {"b": null}], "c": {}, "d": []});
        assert_eq!(tolerant(text).unwrap(), want);
        assert_eq!(fast(text).unwrap(), want);
        // Empty items are skipped by both.
        assert_eq!(tolerant("[1,,2,]").unwrap(), json!([1, 2]));
        assert_eq!(fast("[1,,2,]").unwrap(), json!([1, 2]));
        assert_eq!(fast("{,'a': 1,}").unwrap(), json!({"a": 1}));
    }

    #[test]
    fn quirks_are_left_to_the_tolerant_parser() {
        // Bare words may hold brackets the fast parser refuses to guess at.
        assert_eq!(fast("[a)b]"), Err(Bail));
        assert_eq!(tolerant("[a)b]").unwrap(), json!(["a)b"]));
        // A stray `]` resets the depth, so the later comma is nested.
        assert_eq!(tolerant("[a]b[c, d]").unwrap(), json!(["a]b[c, d"]));
        assert_eq!(fast("[a]b[c, d]"), Err(Bail));
    }

    #[test]
    fn errors_name_the_problem_and_offset() {
        let cases = [
            ("'abc", "LFM: unterminated single-quoted string (at byte 0)"),
            (
                "[1, \"x]",
                "LFM: unterminated double-quoted string (at byte 4)",
            ),
            ("[1, 2", "LFM: unterminated list literal (at byte 0)"),
            ("{'a': 1", "LFM: unterminated object literal (at byte 0)"),
            (
                "{'a' 1}",
                "LFM: object entry without ':': \"'a' 1\" (at byte 1)",
            ),
            (
                "{1: 2}",
                "LFM: object key must be a string: \"1\" (at byte 1)",
            ),
            ("{a: 1, 'a': 2}", "LFM: duplicate object key: a (at byte 7)"),
        ];
        for (text, want) in cases {
            let err = tolerant(text).unwrap_err();
            assert!(matches!(err, KernelError::NormalizerFailed(_)));
            assert_eq!(
                err.to_string(),
                format!("tool-call normalizer failed: {want}")
            );
            assert_eq!(fast(text), Err(Bail), "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH),
            "]".repeat(MAX_NESTING_DEPTH)
        );
        assert!(tolerant(&ok).is_ok());
        assert!(fast(&ok).is_ok());
        let deep = format!("[{ok}]");
        let err = tolerant(&deep).unwrap_err().to_string();
        assert!(err.contains("nested deeper than 128 levels"), "{err}");
        assert_eq!(fast(&deep), Err(Bail));
        // Far past the limit neither parser recurses further.
        let huge = format!("{}{}", "[{".repeat(100_000), "}]".repeat(100_000));
        assert!(tolerant(&huge).is_err());
        assert_eq!(fast(&huge), Err(Bail));
    }
}
