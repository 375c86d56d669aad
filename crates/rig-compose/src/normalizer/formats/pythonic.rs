//! Pythonic tool calls: a list of Python call expressions with keyword
//! arguments whose values are Python literals, as Llama 4 (bare, or in
//! `<|python_start|>` … `<|python_end|>`) and Olmo 3 (in
//! `<function_calls>` … `</function_calls>`, one call per line) write them.
//!
//! Values are read as Python reads literals: strings in `'` or `"` (also
//! triple-quoted, with `r`/`u` prefixes and escapes decoded), integers
//! (`_` separators, hex/octal/binary), floats, `True`/`False`/`None`,
//! lists, tuples and dicts with literal keys. Anything else (a variable
//! name, a nested call) is an error saying where. The end of a block is
//! found outside strings, so a closing token inside a string argument does
//! not end it.

use serde_json::{Map, Number, Value};

use super::special::{Tok, lit, run_end, skip_ws, slice};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json;
use crate::normalizer::limits::MAX_NESTING_DEPTH;
use crate::normalizer::scan::is_name_byte;

const PYTHON_START: &str = "<|python_start|>";
const PYTHON_END: &str = "<|python_end|>";
const OLMO_OPEN: &str = "<function_calls>";
const OLMO_CLOSE: &str = "</function_calls>";
/// What follows `<function_calls>` in the plain-tag DeepSeek V3.2 variant,
/// which another format reads.
const INVOKE: &str = "<invoke";

/// Literal rules of one dialect.
#[derive(Debug, Clone, Copy)]
struct Dialect {
    format: &'static str,
    /// Also accept JSON's `true`, `false` and `null`.
    json_keywords: bool,
}

const PYTHONIC: Dialect = Dialect {
    format: "pythonic",
    json_keywords: false,
};

const OLMO3: Dialect = Dialect {
    format: "olmo3",
    json_keywords: true,
};

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

// ── Scanning (no allocation) ─────────────────────────────────────────────

/// Index just past the Python string whose quote is at `at`, or `None`
/// when the text ends before it is known to end (including `''` at the
/// very end, which may still become a triple quote).
fn string_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let q = *bytes.get(at)?;
    let triple = bytes.get(at + 1) == Some(&q) && bytes.get(at + 2) == Some(&q);
    if !triple && bytes.get(at + 1) == Some(&q) && at + 2 >= bytes.len() {
        return None;
    }
    let mut i = at + if triple { 3 } else { 1 };
    loop {
        let rest = bytes.get(i..)?;
        i += rest.iter().position(|&b| b == q || b == b'\\')?;
        if bytes.get(i) == Some(&b'\\') {
            i += 2;
        } else if !triple {
            return Some(i + 1);
        } else if bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q) {
            return Some(i + 3);
        } else {
            i += 1;
        }
    }
}

/// How a bracketed group ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// Just past its closing bracket.
    End(usize),
    /// The text ends inside it.
    Open,
    /// A closing bracket that does not match (or nesting too deep) here.
    Broken(usize),
}

/// End of the `(…)`, `[…]` or `{…}` opening at `open`; strings skipped.
fn group_end(text: &str, open: usize) -> Group {
    let bytes = text.as_bytes();
    let mut closers: Vec<u8> = Vec::new();
    let mut i = open;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' | b'"' => match string_end(text, i) {
                Some(end) => {
                    i = end;
                    continue;
                }
                None => return Group::Open,
            },
            b'(' | b'[' | b'{' => {
                // The call list and the call's parentheses sit above the
                // argument values, which the reader limits itself.
                if closers.len() >= MAX_NESTING_DEPTH + 2 {
                    return Group::Broken(i);
                }
                closers.push(match b {
                    b'(' => b')',
                    b'[' => b']',
                    _ => b'}',
                });
            }
            b')' | b']' | b'}' => {
                if closers.pop() != Some(b) {
                    return Group::Broken(i);
                }
                if closers.is_empty() {
                    return Group::End(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Group::Open
}

/// First `marker` at or after `from` that is outside strings. `Err(true)`:
/// not found and the text ends outside strings with every bracket closed
/// and a `)` or `]` last (a block that could end here); `Err(false)`: not
/// found otherwise.
fn find_outside_strings(text: &str, from: usize, marker: &str) -> Result<usize, bool> {
    let bytes = text.as_bytes();
    let first = marker.as_bytes().first().copied().unwrap_or(b'<');
    let mut depth = 0usize;
    let mut last = 0u8;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' | b'"' => match string_end(text, i) {
                Some(end) => {
                    i = end;
                    last = b;
                    continue;
                }
                None => return Err(false),
            },
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if b == first
                && bytes
                    .get(i..)
                    .is_some_and(|r| r.starts_with(marker.as_bytes())) =>
            {
                return Ok(i);
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
        i += 1;
    }
    Err(depth == 0 && matches!(last, b')' | b']'))
}

/// Whether a call starts at `at`: `NAME(` followed by `)` or by a keyword
/// argument `key=`. Checking the first argument keeps prose such as
/// `[see(below)]` from being taken for a call.
fn call_head(text: &str, at: usize) -> Tok {
    let bytes = text.as_bytes();
    match bytes.get(at) {
        None => return Tok::Prefix,
        Some(&b) if ident_start(b) => {}
        Some(_) => return Tok::No,
    }
    let paren = skip_ws(text, run_end(text, at, is_name_byte));
    match bytes.get(paren) {
        None => return Tok::Prefix,
        Some(b'(') => {}
        Some(_) => return Tok::No,
    }
    let arg = skip_ws(text, paren + 1);
    match bytes.get(arg) {
        None => return Tok::Prefix,
        Some(b')') => return Tok::Full(arg + 1 - at),
        Some(&b) if ident_start(b) => {}
        Some(_) => return Tok::No,
    }
    let eq = skip_ws(text, run_end(text, arg, ident_byte));
    match (bytes.get(eq), bytes.get(eq + 1)) {
        (None, _) | (Some(b'='), None) => Tok::Prefix,
        (Some(b'='), Some(b'=')) => Tok::No,
        (Some(b'='), Some(_)) => Tok::Full(eq + 1 - at),
        _ => Tok::No,
    }
}

/// Where the first call of a block's content starts (past `[`).
fn first_call(text: &str, content: usize) -> usize {
    let at = skip_ws(text, content);
    if text.as_bytes().get(at) == Some(&b'[') {
        skip_ws(text, at + 1)
    } else {
        at
    }
}

/// Scan a block of calls between `open` (already matched) and `close`.
fn scan_tagged(text: &str, open: &str, close: &str, at_eof: bool) -> RegionScan {
    let content = open.len();
    match call_head(text, first_call(text, content)) {
        Tok::Full(_) => {}
        Tok::Prefix => return RegionScan::NeedMore,
        Tok::No => return RegionScan::NotACall,
    }
    match find_outside_strings(text, content, close) {
        Ok(at) => RegionScan::Complete(at + close.len()),
        Err(_) if !at_eof => RegionScan::NeedMore,
        // At the end: unbalanced quotes hid the closing token, or it never
        // came after a finished list.
        Err(settled) => match text.get(content..).and_then(|rest| rest.find(close)) {
            Some(at) => RegionScan::Complete(content + at + close.len()),
            None if settled => RegionScan::Complete(text.len()),
            None => RegionScan::NeedMore,
        },
    }
}

/// What has been written of the calls from `from` on (also used by LFM2).
pub(super) fn partial_calls(text: &str, from: usize) -> Vec<PartialCall> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = from;
    loop {
        while bytes
            .get(at)
            .is_some_and(|&b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'['))
        {
            at += 1;
        }
        if !bytes.get(at).is_some_and(|&b| ident_start(b)) {
            return out;
        }
        let name_end = run_end(text, at, is_name_byte);
        let paren = skip_ws(text, name_end);
        if bytes.get(paren) != Some(&b'(') {
            return out;
        }
        let name = Some(slice(text, at, name_end).to_owned());
        match group_end(text, paren) {
            Group::End(end) => {
                out.push(PartialCall {
                    name,
                    id: None,
                    arguments: slice(text, paren + 1, end - 1).to_owned(),
                });
                at = end;
            }
            Group::Open => {
                out.push(PartialCall {
                    name,
                    id: None,
                    arguments: slice(text, paren + 1, text.len()).to_owned(),
                });
                return out;
            }
            Group::Broken(_) => return out,
        }
    }
}

// ── Parsing ──────────────────────────────────────────────────────────────

/// Recursive-descent reader over `text[..end]`; offsets are into `text`.
struct Reader<'t> {
    text: &'t str,
    pos: usize,
    end: usize,
    dialect: Dialect,
}

impl<'t> Reader<'t> {
    fn error(&self, at: usize, message: impl Into<String>) -> NormalizeError {
        NormalizeError::malformed(self.dialect.format, at, message)
    }

    fn peek(&self) -> Option<u8> {
        if self.pos < self.end {
            self.text.as_bytes().get(self.pos).copied()
        } else {
            None
        }
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), NormalizeError> {
        self.ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(self.pos, format!("expected {what}")))
        }
    }

    /// Identifier-like run at the cursor (name bytes).
    fn word(&mut self, keep: fn(u8) -> bool) -> &'t str {
        let start = self.pos;
        while self.peek().is_some_and(keep) {
            self.pos += 1;
        }
        slice(self.text, start, self.pos)
    }

    /// Every call up to `end`: a list of calls, or calls separated by
    /// newlines, commas or semicolons.
    fn calls(&mut self, cx: &mut ParseCx<'_>) -> Result<(), NormalizeError> {
        let mut in_list = false;
        loop {
            while self
                .peek()
                .is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b',' | b';'))
            {
                self.pos += 1;
            }
            match self.peek() {
                None if in_list => return Err(self.error(self.pos, "expected `]`")),
                None => return Ok(()),
                Some(b'[') if !in_list => {
                    in_list = true;
                    self.pos += 1;
                }
                Some(b']') if in_list => {
                    in_list = false;
                    self.pos += 1;
                }
                Some(_) => self.call(cx)?,
            }
        }
    }

    fn call(&mut self, cx: &mut ParseCx<'_>) -> Result<(), NormalizeError> {
        let at = self.pos;
        let name = self.word(is_name_byte);
        if name.is_empty() {
            return Err(self.error(at, "expected a call such as `name(key=value)`"));
        }
        self.expect(b'(', "`(` after the tool name")?;
        let mut args = Map::new();
        loop {
            self.ws();
            if self.peek() == Some(b')') {
                self.pos += 1;
                break;
            }
            let key_at = self.pos;
            let key = self.word(is_name_byte);
            self.ws();
            if key.is_empty() || self.peek() != Some(b'=') {
                return Err(self.error(
                    key_at,
                    "expected a keyword argument `key=value` (positional arguments have no name)",
                ));
            }
            self.pos += 1;
            let value = self.value(0)?;
            if args.insert(key.to_owned(), value).is_some() {
                return Err(NormalizeError::DuplicateKey {
                    format: self.dialect.format,
                    offset: key_at,
                    key: key.to_owned(),
                });
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {}
                _ => return Err(self.error(self.pos, "expected `,` or `)`")),
            }
        }
        json::report_call(
            cx,
            self.dialect.format,
            at,
            name.to_owned(),
            Value::Object(args),
            None,
        )
    }

    fn value(&mut self, depth: usize) -> Result<Value, NormalizeError> {
        self.ws();
        let at = self.pos;
        match self.peek() {
            Some(b'[' | b'(' | b'{') if depth >= MAX_NESTING_DEPTH => {
                Err(NormalizeError::LimitExceeded {
                    format: self.dialect.format,
                    offset: at,
                    limit: format!("nesting depth {MAX_NESTING_DEPTH}"),
                })
            }
            Some(b'[') => self.sequence(b']', depth + 1).map(Value::Array),
            Some(b'(') => self.tuple(depth + 1),
            Some(b'{') => self.dict(depth + 1),
            Some(b'\'' | b'"') => self.strings(false).map(Value::String),
            Some(b'-' | b'+' | b'.' | b'0'..=b'9') => self.number(),
            Some(b) if ident_start(b) => {
                let word = self.word(ident_byte);
                if matches!(self.peek(), Some(b'\'' | b'"')) {
                    return match word.to_ascii_lowercase().as_str() {
                        "r" => self.strings(true).map(Value::String),
                        "u" => self.strings(false).map(Value::String),
                        _ => Err(self.error(at, format!("unsupported string prefix `{word}`"))),
                    };
                }
                match word {
                    "True" => Ok(Value::Bool(true)),
                    "False" => Ok(Value::Bool(false)),
                    "None" => Ok(Value::Null),
                    "true" if self.dialect.json_keywords => Ok(Value::Bool(true)),
                    "false" if self.dialect.json_keywords => Ok(Value::Bool(false)),
                    "null" if self.dialect.json_keywords => Ok(Value::Null),
                    _ => Err(self.error(
                        at,
                        format!(
                            "`{}` is not a Python literal",
                            crate::normalizer::diag::Clipped(word)
                        ),
                    )),
                }
            }
            None => Err(self.error(at, "expected a value")),
            Some(_) => Err(self.error(at, "expected a Python literal")),
        }
    }

    /// One string literal, and any literals right after it (Python joins
    /// adjacent literals).
    fn strings(&mut self, raw: bool) -> Result<String, NormalizeError> {
        let mut out = self.string(raw)?;
        loop {
            let save = self.pos;
            self.ws();
            match self.peek() {
                Some(b'\'' | b'"') => out.push_str(&self.string(false)?),
                _ => {
                    self.pos = save;
                    return Ok(out);
                }
            }
        }
    }

    fn string(&mut self, raw: bool) -> Result<String, NormalizeError> {
        let at = self.pos;
        let Some(end) = string_end(self.text, at).filter(|&end| end <= self.end) else {
            return Err(self.error(at, "unterminated string"));
        };
        let bytes = self.text.as_bytes();
        let q = bytes.get(at).copied().unwrap_or(b'\'');
        let triple =
            end - at >= 6 && bytes.get(at + 1) == Some(&q) && bytes.get(at + 2) == Some(&q);
        let width = if triple { 3 } else { 1 };
        self.pos = end;
        let body = slice(self.text, at + width, end - width);
        if raw || !body.contains('\\') {
            return Ok(body.to_owned());
        }
        unescape(body).map_err(|(offset, why)| self.error(at + width + offset, why))
    }

    fn number(&mut self) -> Result<Value, NormalizeError> {
        let at = self.pos;
        let mut negative = false;
        while let Some(sign @ (b'-' | b'+')) = self.peek() {
            negative ^= sign == b'-';
            self.pos += 1;
            self.ws();
        }
        let start = self.pos;
        let bytes = self.text.as_bytes();
        while let Some(b) = self.peek() {
            let token = slice(self.text, start, self.pos);
            let hex = token.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
            let after_e = self.pos > start && matches!(bytes.get(self.pos - 1), Some(b'e' | b'E'));
            let exponent_sign = matches!(b, b'+' | b'-') && after_e && !hex;
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let digits: String = slice(self.text, start, self.pos)
            .chars()
            .filter(|&c| c != '_')
            .collect();
        number(&digits, negative).ok_or_else(|| {
            self.error(
                at,
                format!(
                    "invalid number {}",
                    crate::normalizer::diag::Excerpt(slice(self.text, at, self.pos))
                ),
            )
        })
    }

    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, NormalizeError> {
        self.pos += 1;
        self.items(close, depth, Vec::new())
    }

    /// The rest of a sequence whose first `items` have been read.
    fn items(
        &mut self,
        close: u8,
        depth: usize,
        mut items: Vec<Value>,
    ) -> Result<Vec<Value>, NormalizeError> {
        loop {
            self.ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value(depth)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {}
                _ => {
                    return Err(
                        self.error(self.pos, format!("expected `,` or `{}`", char::from(close)))
                    );
                }
            }
        }
    }

    /// `(a, b)` is a tuple (an array), `(a)` just `a`.
    fn tuple(&mut self, depth: usize) -> Result<Value, NormalizeError> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(Value::Array(Vec::new()));
        }
        let first = self.value(depth)?;
        self.ws();
        match self.peek() {
            Some(b')') => {
                self.pos += 1;
                Ok(first)
            }
            Some(b',') => {
                self.pos += 1;
                self.items(b')', depth, vec![first]).map(Value::Array)
            }
            _ => Err(self.error(self.pos, "expected `,` or `)`")),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, NormalizeError> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Object(map));
            }
            let key_at = self.pos;
            let key = match self.value(depth)? {
                Value::String(key) => key,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => "null".to_owned(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(
                        self.error(key_at, "a dict key must be a string, number or constant")
                    );
                }
            };
            self.expect(b':', "`:` after the dict key")?;
            let value = self.value(depth)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(NormalizeError::DuplicateKey {
                    format: self.dialect.format,
                    offset: key_at,
                    key,
                });
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error(self.pos, "expected `,` or `}`")),
            }
        }
    }
}

/// A Python number literal (without sign and `_`) as JSON.
fn number(digits: &str, negative: bool) -> Option<Value> {
    let lower = digits.to_ascii_lowercase();
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .into_iter()
        .find_map(|(prefix, radix)| lower.strip_prefix(prefix).map(|rest| (rest, radix)));
    if let Some((rest, radix)) = radix {
        let magnitude = u64::from_str_radix(rest, radix).ok()?;
        return Some(signed(magnitude, negative));
    }
    if digits.bytes().all(|b| b.is_ascii_digit())
        && let Ok(magnitude) = digits.parse::<u64>()
    {
        return Some(signed(magnitude, negative));
    }
    // Floats (and integers too large for 64 bits).
    if !digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let float: f64 = digits.parse().ok()?;
    Number::from_f64(if negative { -float } else { float }).map(Value::Number)
}

fn signed(magnitude: u64, negative: bool) -> Value {
    if !negative {
        return Value::Number(magnitude.into());
    }
    match 0i64.checked_sub_unsigned(magnitude) {
        Some(n) => Value::Number(n.into()),
        None => Number::from_f64(-(magnitude as f64)).map_or(Value::Null, Value::Number),
    }
}

/// Decode Python escapes in a (non-raw) string body. Errors carry the
/// offset of the bad escape in `body`.
fn unescape(body: &str) -> Result<String, (usize, &'static str)> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    let mut offset = 0;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let escape_at = offset + at;
        let after = rest.get(at + 1..).unwrap_or_default();
        let mut chars = after.chars();
        let Some(c) = chars.next() else {
            return Err((escape_at, "string ends in a lone backslash"));
        };
        let mut used = c.len_utf8();
        match c {
            '\n' => {}
            '\\' | '\'' | '"' => out.push(c),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            'x' | 'u' | 'U' => {
                let width = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex = after
                    .get(1..1 + width)
                    .ok_or((escape_at, "truncated escape"))?;
                let code =
                    u32::from_str_radix(hex, 16).map_err(|_| (escape_at, "invalid hex escape"))?;
                out.push(char::from_u32(code).ok_or((escape_at, "escape is not a character"))?);
                used += width;
            }
            '0'..='7' => {
                let digits = after
                    .bytes()
                    .take(3)
                    .take_while(|b| (b'0'..=b'7').contains(b))
                    .count();
                let code = u32::from_str_radix(after.get(..digits).unwrap_or("0"), 8)
                    .map_err(|_| (escape_at, "invalid octal escape"))?;
                out.push(char::from_u32(code).ok_or((escape_at, "escape is not a character"))?);
                used = digits;
            }
            // Unknown escapes (and `\N{…}`) stay as written, as in Python.
            _ => {
                out.push('\\');
                out.push(c);
            }
        }
        let skip = at + 1 + used;
        rest = rest.get(skip..).unwrap_or_default();
        offset += skip;
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_block(
    dialect: Dialect,
    region: &str,
    from: usize,
    to: usize,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let mut reader = Reader {
        text: region,
        pos: from,
        end: to,
        dialect,
    };
    reader.calls(cx)
}

/// Content bounds of a tagged region: after the opener, before the closer
/// (when the region ends with it).
fn content(region: &str, open: &str, close: &str) -> (usize, usize) {
    let end = if region.ends_with(close) {
        region.len() - close.len()
    } else {
        region.len()
    };
    (open.len().min(end), end)
}

/// Pythonic tool calls (vLLM `pythonic`, `llama4_pythonic`): a Python list
/// of calls with keyword arguments, at the very start of the output or
/// wrapped in Llama 4's `<|python_start|>` … `<|python_end|>`.
///
/// ```text
/// [get_weather(city='San Francisco', metric='celsius'), get_weather(city='Seattle', metric='celsius')]
/// ```
///
/// Argument values are Python literals (see the module docs); JSON's
/// `true`/`false`/`null` are not Python and are rejected with an error
/// that says where. A list written later in the text is prose, never a
/// call; auto-detection takes a bare list only when it is the whole
/// output.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Pythonic};
/// use serde_json::json;
///
/// let out = TextNormalizer::new(Pythonic)
///     .normalize_text("[get_weather(city='San Francisco', days=3, units=None)]")
///     .unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"city": "San Francisco", "days": 3, "units": null}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Pythonic;

impl ToolCallFormat for Pythonic {
    fn name(&self) -> &'static str {
        PYTHONIC.format
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["llama4_pythonic"]
    }

    fn describe(&self) -> &'static str {
        "[NAME(key='value', n=1), …] at the output start, or in <|python_start|>…<|python_end|>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[PYTHON_START]
    }

    fn bare_at_start(&self) -> bool {
        true
    }

    fn end_bytes(&self) -> &'static [u8] {
        b"]>"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        match start {
            RegionStart::Opener(_) => scan_tagged(text, PYTHON_START, PYTHON_END, at_eof),
            RegionStart::OutputStart => {
                if text.as_bytes().first() != Some(&b'[') {
                    return RegionScan::NotACall;
                }
                match call_head(text, skip_ws(text, 1)) {
                    Tok::Full(_) => {}
                    Tok::Prefix => return RegionScan::NeedMore,
                    Tok::No => return RegionScan::NotACall,
                }
                match group_end(text, 0) {
                    Group::End(end) => RegionScan::Complete(end),
                    Group::Open => RegionScan::NeedMore,
                    // Claimed: let the parser say what is wrong.
                    Group::Broken(at) => RegionScan::Complete(at + 1),
                }
            }
        }
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let (from, to) = match start {
            RegionStart::Opener(_) => content(region, PYTHON_START, PYTHON_END),
            RegionStart::OutputStart => (0, region.len()),
        };
        parse_block(PYTHONIC, region, from, to, cx)
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        let from = match start {
            RegionStart::Opener(_) => PYTHON_START.len(),
            RegionStart::OutputStart => 0,
        };
        partial_calls(region, from)
    }
}

/// Olmo 3 (vLLM `olmo3`): pythonic calls, one per line, between
/// `<function_calls>` and `</function_calls>`; JSON's `true`, `false` and
/// `null` are accepted next to Python's constants.
///
/// ```text
/// <function_calls>
/// get_weather(city="Paris", detailed=true)
/// get_time(tz="UTC")
/// </function_calls>
/// ```
///
/// `<function_calls>` followed by `<invoke …>` is the plain-tag DeepSeek
/// V3.2 layout, not Olmo's, and is left alone.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Olmo3};
///
/// let raw = "<function_calls>\nget_weather(city=\"Paris\", detailed=true)\nget_time(tz=\"UTC\")\n</function_calls>";
/// let out = TextNormalizer::new(Olmo3).normalize_text(raw).unwrap();
/// assert_eq!(out.calls.len(), 2);
/// assert_eq!(out.calls[0].invocation.args["detailed"], true);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Olmo3;

impl ToolCallFormat for Olmo3 {
    fn name(&self) -> &'static str {
        OLMO3.format
    }

    fn describe(&self) -> &'static str {
        "<function_calls>\\nNAME(key=\"value\")\\n…</function_calls>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[OLMO_OPEN]
    }

    fn end_bytes(&self) -> &'static [u8] {
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        if start == RegionStart::OutputStart {
            return RegionScan::NotACall;
        }
        let first = skip_ws(text, OLMO_OPEN.len());
        if text.as_bytes().get(first) == Some(&b'<') {
            return match lit(text, first, INVOKE) {
                Tok::Prefix if !at_eof => RegionScan::NeedMore,
                _ => RegionScan::NotACall,
            };
        }
        scan_tagged(text, OLMO_OPEN, OLMO_CLOSE, at_eof)
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let (from, to) = content(region, OLMO_OPEN, OLMO_CLOSE);
        parse_block(OLMO3, region, from, to, cx)
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        partial_calls(region, OLMO_OPEN.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn literal(dialect: Dialect, text: &str) -> Result<Value, NormalizeError> {
        let mut reader = Reader {
            text,
            pos: 0,
            end: text.len(),
            dialect,
        };
        let value = reader.value(0)?;
        reader.ws();
        assert_eq!(reader.pos, text.len(), "{text}");
        Ok(value)
    }

    #[test]
    fn python_literals() {
        for (text, want) in [
            ("'a b'", json!("a b")),
            ("\"it's\"", json!("it's")),
            (
                r"'a\nb\t\\\'\x41\u00e9\N{X}\q'",
                json!("a\nb\t\\'A\u{e9}\\N{X}\\q"),
            ),
            (r"r'a\nb'", json!(r"a\nb")),
            ("'''x'y''z'''", json!("x'y''z")),
            ("'a' \"b\"", json!("ab")),
            ("'\\101'", json!("A")),
            ("-5", json!(-5)),
            ("- 5", json!(-5)),
            ("1_000", json!(1000)),
            ("0x1F", json!(31)),
            ("0o17", json!(15)),
            ("0b101", json!(5)),
            ("007", json!(7)),
            ("2.5e-3", json!(0.0025)),
            ("1E3", json!(1000.0)),
            (".5", json!(0.5)),
            (
                "18446744073709551615",
                json!(18_446_744_073_709_551_615_u64),
            ),
            ("-9223372036854775808", json!(i64::MIN)),
            ("True", json!(true)),
            ("None", json!(null)),
            ("[1, 'a', [None],]", json!([1, "a", [null]])),
            ("(1, 2)", json!([1, 2])),
            ("(1,)", json!([1])),
            ("(1)", json!(1)),
            ("()", json!([])),
            (
                "{'a': 1, 2: 'b', True: None, None: 0}",
                json!({"a": 1, "2": "b", "true": null, "null": 0}),
            ),
        ] {
            assert_eq!(literal(PYTHONIC, text).unwrap(), want, "{text}");
        }
        assert_eq!(
            literal(OLMO3, "[true, false, null]").unwrap(),
            json!([true, false, null])
        );
    }

    #[test]
    fn non_literals_are_errors() {
        for (text, at) in [
            ("true", 0),
            ("x", 0),
            ("[1, f(2)]", 4),
            ("{'a' 1}", 5),
            ("{[1]: 2}", 1),
            ("'abc", 0),
            ("1e999", 0),
            ("0xZZ", 0),
            ("b'x'", 0),
            (r"'\x4'", 1),
            ("{'a': 1, 'a': 2}", 9),
        ] {
            let err = literal(PYTHONIC, text).unwrap_err();
            assert_eq!(err.offset(), Some(at), "{text}: {err}");
        }
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH + 1),
            "]".repeat(MAX_NESTING_DEPTH + 1)
        );
        assert!(matches!(
            literal(PYTHONIC, &deep).unwrap_err(),
            NormalizeError::LimitExceeded { .. }
        ));
    }

    #[test]
    fn heads_and_groups() {
        assert_eq!(call_head("f()", 0), Tok::Full(3));
        assert_eq!(call_head("f(a=1)", 0), Tok::Full(4));
        assert_eq!(call_head("f(a", 0), Tok::Prefix);
        assert_eq!(call_head("f(a=", 0), Tok::Prefix);
        assert_eq!(call_head("f(a==1)", 0), Tok::No);
        assert_eq!(call_head("see(below)", 0), Tok::No);
        assert_eq!(call_head("1(a=1)", 0), Tok::No);
        assert_eq!(group_end("[f(a=')]')] x", 0), Group::End(11));
        assert_eq!(group_end("[f(a='')", 0), Group::Open);
        assert_eq!(group_end("[f(a=''", 0), Group::Open);
        assert_eq!(group_end("[f(a=1])", 0), Group::Broken(6));
        assert_eq!(string_end("''", 0), None);
        assert_eq!(string_end("'' ", 0), Some(2));
        assert_eq!(string_end("'''a'''", 0), Some(7));
        assert_eq!(find_outside_strings("f(a='<x>')<x>", 0, "<x>"), Ok(10));
        assert_eq!(find_outside_strings("f(a=1)", 0, "<x>"), Err(true));
        assert_eq!(find_outside_strings("f(a=1", 0, "<x>"), Err(false));
    }
}
