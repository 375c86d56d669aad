//! Gemma: FunctionGemma and Gemma 4 write `call:NAME{…}` between special
//! tokens, with a JSON-like argument syntax of their own: unquoted keys,
//! strings between a delimiter token (`<escape>` or `<|"|>`) that may hold
//! any character, and bare numbers and booleans.

use serde_json::{Map, Value};

use super::special::{Tok, find_from, lit, run_end, skip_ws, slice};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan, RegionStart, ToolCallFormat};
use crate::normalizer::json;
use crate::normalizer::limits::MAX_NESTING_DEPTH;
use crate::normalizer::scan::is_name_byte;

/// The tokens one Gemma generation uses.
#[derive(Debug, Clone, Copy)]
struct Dialect {
    format: &'static str,
    open: &'static str,
    close: &'static str,
    /// Opens and closes a string.
    quote: &'static str,
}

const FUNCTION_GEMMA: Dialect = Dialect {
    format: "function_gemma",
    open: "<start_function_call>",
    close: "<end_function_call>",
    quote: "<escape>",
};

const GEMMA4: Dialect = Dialect {
    format: "gemma4",
    open: "<|tool_call>",
    close: "<tool_call|>",
    quote: "<|\"|>",
};

const CALL: &str = "call:";

/// How a region stands, as far as the text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    Done(usize),
    NeedMore,
    NotACall,
    /// Ours, but broken at this offset; the second field is where the
    /// argument object being read starts, when the break is inside one.
    Broken(usize, Option<usize>),
}

/// A call located in a region: where `call:` starts, the name, and the
/// argument object.
#[derive(Debug, Clone, Copy)]
struct Call {
    at: usize,
    name: (usize, usize),
    args: (usize, usize),
}

impl Dialect {
    /// End of the `{…}` or `[…]` starting at `open`: brackets are matched
    /// and strings skipped; `Err` says why it has no end (yet).
    fn value_end(&self, text: &str, open: usize) -> Result<usize, Walk> {
        let bytes = text.as_bytes();
        let quote_first = self.quote.as_bytes().first().copied().unwrap_or(b'<');
        let mut closers: Vec<u8> = Vec::new();
        let mut i = open;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'{' | b'[' => {
                    if closers.len() >= MAX_NESTING_DEPTH {
                        return Err(Walk::Broken(i, Some(open)));
                    }
                    closers.push(if b == b'{' { b'}' } else { b']' });
                }
                b'}' | b']' => {
                    if closers.pop() != Some(b) {
                        return Err(Walk::Broken(i, Some(open)));
                    }
                    if closers.is_empty() {
                        return Ok(i + 1);
                    }
                }
                _ if b == quote_first => match lit(text, i, self.quote) {
                    Tok::Full(n) => match find_from(text, i + n, self.quote) {
                        Some(close) => {
                            i = close + n;
                            continue;
                        }
                        None => return Err(Walk::NeedMore),
                    },
                    Tok::Prefix => return Err(Walk::NeedMore),
                    Tok::No => {}
                },
                _ => {}
            }
            i += 1;
        }
        Err(Walk::NeedMore)
    }

    /// The call whose `call:` is at `at`. A block that does not start with
    /// `call:` is not a call at all (the opener was mentioned in prose).
    fn call(&self, text: &str, at: usize, first: bool) -> Result<(Call, usize), Walk> {
        let miss = |at| {
            if first {
                Walk::NotACall
            } else {
                Walk::Broken(at, None)
            }
        };
        let name_at = match lit(text, at, CALL) {
            Tok::Full(n) => at + n,
            Tok::Prefix => return Err(Walk::NeedMore),
            Tok::No => return Err(miss(at)),
        };
        let name_end = run_end(text, name_at, is_name_byte);
        let open = skip_ws(text, name_end);
        match text.as_bytes().get(open) {
            None => Err(Walk::NeedMore),
            Some(b'{') => {
                let end = self.value_end(text, open)?;
                Ok((
                    Call {
                        at,
                        name: (name_at, name_end),
                        args: (open, end),
                    },
                    end,
                ))
            }
            // After `call:` the block is surely a call, only a broken one.
            Some(_) => Err(Walk::Broken(open, None)),
        }
    }

    fn walk(&self, text: &str, at_eof: bool, on_call: &mut dyn FnMut(Call)) -> Walk {
        let mut at = skip_ws(text, self.open.len());
        let mut first = true;
        loop {
            let (call, end) = match self.call(text, at, first) {
                Ok(found) => found,
                Err(walk) => return walk,
            };
            on_call(call);
            first = false;
            let next = skip_ws(text, end);
            match (lit(text, next, CALL), lit(text, next, self.close)) {
                (Tok::Full(_), _) => at = next,
                (_, Tok::Full(n)) => return Walk::Done(next + n),
                (Tok::Prefix, _) | (_, Tok::Prefix) if !at_eof => return Walk::NeedMore,
                // The closing token was left out (at the end of the output,
                // or before other text).
                _ => return Walk::Done(end),
            }
        }
    }

    fn scan(&self, text: &str, at_eof: bool) -> RegionScan {
        match self.walk(text, at_eof, &mut |_| {}) {
            Walk::Done(len) => RegionScan::Complete(len),
            Walk::NeedMore => RegionScan::NeedMore,
            Walk::NotACall => RegionScan::NotACall,
            // Claim through the closing token so the parser can say what
            // is wrong.
            Walk::Broken(at, _) => match find_from(text, at, self.close) {
                Some(close) => RegionScan::Complete(close + self.close.len()),
                None if at_eof => RegionScan::Complete(text.len()),
                None => RegionScan::NeedMore,
            },
        }
    }

    fn parse(&self, region: &str, cx: &mut ParseCx<'_>) -> Result<(), NormalizeError> {
        let mut calls = Vec::new();
        let walked = self.walk(region, true, &mut |call| calls.push(call));
        let reader = Reader {
            dialect: *self,
            text: region,
        };
        for call in calls {
            let name = slice(region, call.name.0, call.name.1);
            let (args, end) = reader.value(call.args.0, 0)?;
            if end != call.args.1 {
                return Err(reader.error(end, "unexpected text in the arguments"));
            }
            json::report_call(cx, self.format, call.at, name.to_owned(), args, None)?;
        }
        match walked {
            Walk::Done(_) => Ok(()),
            Walk::Broken(at, Some(open)) => {
                // Reading the arguments finds the first real problem (a
                // depth limit, a misplaced token) before the bracket that
                // does not match.
                reader.value(open, 0)?;
                Err(reader.error(at, "unbalanced brackets in the arguments"))
            }
            Walk::Broken(at, None) => {
                Err(reader.error(at, format!("expected `{CALL}NAME{{…}}` or {}", self.close)))
            }
            Walk::NeedMore | Walk::NotACall => Err(NormalizeError::malformed(
                self.format,
                0,
                "unfinished tool call",
            )),
        }
    }

    fn partial(&self, region: &str) -> Vec<PartialCall> {
        let mut out = Vec::new();
        let mut at = skip_ws(region, self.open.len());
        while let Tok::Full(n) = lit(region, at, CALL) {
            let name_end = run_end(region, at + n, is_name_byte);
            let open = skip_ws(region, name_end);
            if region.as_bytes().get(open) != Some(&b'{') {
                break;
            }
            let name = Some(slice(region, at + n, name_end).to_owned());
            match self.value_end(region, open) {
                Ok(end) => {
                    out.push(PartialCall {
                        name,
                        id: None,
                        arguments: slice(region, open, end).to_owned(),
                    });
                    at = skip_ws(region, end);
                }
                Err(_) => {
                    out.push(PartialCall {
                        name,
                        id: None,
                        arguments: slice(region, open, region.len()).to_owned(),
                    });
                    break;
                }
            }
        }
        out
    }
}

/// Recursive-descent reader for the argument syntax of one region.
struct Reader<'t> {
    dialect: Dialect,
    text: &'t str,
}

impl Reader<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> NormalizeError {
        NormalizeError::malformed(self.dialect.format, at, message)
    }

    /// The value at `at` (whitespace allowed before it) and where it ends.
    fn value(&self, at: usize, depth: usize) -> Result<(Value, usize), NormalizeError> {
        let at = skip_ws(self.text, at);
        match self.text.as_bytes().get(at) {
            Some(b'{' | b'[') if depth >= MAX_NESTING_DEPTH => Err(NormalizeError::LimitExceeded {
                format: self.dialect.format,
                offset: at,
                limit: format!("nesting depth {MAX_NESTING_DEPTH}"),
            }),
            Some(b'{') => self.object(at, depth + 1),
            Some(b'[') => self.array(at, depth + 1),
            None => Err(self.error(at, "expected a value")),
            Some(_) => {
                if let Some((text, end)) = self.string(at)? {
                    return Ok((Value::String(text.to_owned()), end));
                }
                self.bare(at)
            }
        }
    }

    /// A delimited string at `at`, if one starts there.
    fn string(&self, at: usize) -> Result<Option<(&str, usize)>, NormalizeError> {
        let quote = self.dialect.quote;
        if !matches!(lit(self.text, at, quote), Tok::Full(_)) {
            return Ok(None);
        }
        let body = at + quote.len();
        match find_from(self.text, body, quote) {
            Some(close) => Ok(Some((slice(self.text, body, close), close + quote.len()))),
            None => Err(self.error(at, format!("unterminated {quote} string"))),
        }
    }

    /// A bare scalar: number, boolean, null, or a word taken as a string.
    fn bare(&self, at: usize) -> Result<(Value, usize), NormalizeError> {
        let bytes = self.text.as_bytes();
        let quote_first = self.dialect.quote.as_bytes().first().copied();
        let mut end = at;
        while let Some(&b) = bytes.get(end) {
            if matches!(b, b',' | b'}' | b']' | b'{' | b'[')
                || (Some(b) == quote_first
                    && matches!(lit(self.text, end, self.dialect.quote), Tok::Full(_)))
            {
                break;
            }
            end += 1;
        }
        let word = slice(self.text, at, end).trim_end();
        if word.is_empty() {
            return Err(self.error(at, "expected a value"));
        }
        let value = match word {
            "true" | "True" => Value::Bool(true),
            "false" | "False" => Value::Bool(false),
            "null" | "None" => Value::Null,
            _ => match serde_json::from_str::<Value>(word) {
                Ok(scalar @ (Value::Number(_) | Value::String(_))) => scalar,
                _ => Value::String(word.to_owned()),
            },
        };
        Ok((value, end))
    }

    /// After an item of a container: `,` (returns true) or the closer.
    fn separator(&self, at: usize, close: u8) -> Result<(bool, usize), NormalizeError> {
        let at = skip_ws(self.text, at);
        match self.text.as_bytes().get(at) {
            Some(b',') => Ok((true, at + 1)),
            Some(&b) if b == close => Ok((false, at + 1)),
            _ => Err(self.error(at, format!("expected `,` or `{}`", char::from(close)))),
        }
    }

    fn object(&self, open: usize, depth: usize) -> Result<(Value, usize), NormalizeError> {
        let mut map = Map::new();
        let mut at = open + 1;
        loop {
            at = skip_ws(self.text, at);
            if self.text.as_bytes().get(at) == Some(&b'}') {
                return Ok((Value::Object(map), at + 1));
            }
            let key_at = at;
            let (key, after_key) = match self.string(at)? {
                Some((key, end)) => (key, end),
                None => {
                    let end = run_end(self.text, at, |b| {
                        !matches!(b, b':' | b',' | b'{' | b'}' | b'[' | b']')
                    });
                    (slice(self.text, at, end).trim(), end)
                }
            };
            if key.is_empty() {
                return Err(self.error(key_at, "expected a key"));
            }
            let colon = skip_ws(self.text, after_key);
            if self.text.as_bytes().get(colon) != Some(&b':') {
                return Err(self.error(colon, "expected `:` after the key"));
            }
            let (value, end) = self.value(colon + 1, depth)?;
            if map.insert(key.to_owned(), value).is_some() {
                return Err(NormalizeError::DuplicateKey {
                    format: self.dialect.format,
                    offset: key_at,
                    key: key.to_owned(),
                });
            }
            let (more, next) = self.separator(end, b'}')?;
            if !more {
                return Ok((Value::Object(map), next));
            }
            at = next;
        }
    }

    fn array(&self, open: usize, depth: usize) -> Result<(Value, usize), NormalizeError> {
        let mut items = Vec::new();
        let mut at = open + 1;
        loop {
            at = skip_ws(self.text, at);
            if self.text.as_bytes().get(at) == Some(&b']') {
                return Ok((Value::Array(items), at + 1));
            }
            let (value, end) = self.value(at, depth)?;
            items.push(value);
            let (more, next) = self.separator(end, b']')?;
            if !more {
                return Ok((Value::Array(items), next));
            }
            at = next;
        }
    }
}

fn scan(dialect: Dialect, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
    match start {
        RegionStart::Opener(_) => dialect.scan(text, at_eof),
        RegionStart::OutputStart => RegionScan::NotACall,
    }
}

/// FunctionGemma:
///
/// ```text
/// <start_function_call>call:get_weather{location:<escape>London<escape>}<end_function_call>
/// ```
///
/// Keys are bare, strings sit between `<escape>` tokens (and may hold any
/// character, `}` and the closing token included), numbers, booleans and
/// `null` are bare, and objects and arrays nest up to
/// [`MAX_NESTING_DEPTH`]. Several `call:` entries may share one block, and
/// the closing token may be missing at the end of the output.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::FunctionGemma};
/// use serde_json::json;
///
/// let raw = "<start_function_call>call:get_weather{location:<escape>London<escape>,days:3}<end_function_call>";
/// let out = TextNormalizer::new(FunctionGemma).normalize_text(raw).unwrap();
/// assert_eq!(out.calls[0].invocation.name, "get_weather");
/// assert_eq!(out.calls[0].invocation.args, json!({"location": "London", "days": 3}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FunctionGemma;

impl ToolCallFormat for FunctionGemma {
    fn name(&self) -> &'static str {
        FUNCTION_GEMMA.format
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["functiongemma"]
    }

    fn describe(&self) -> &'static str {
        "<start_function_call>call:NAME{key:<escape>text<escape>,n:1}<end_function_call>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[FUNCTION_GEMMA.open]
    }

    fn end_bytes(&self) -> &'static [u8] {
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        scan(FUNCTION_GEMMA, text, start, at_eof)
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        FUNCTION_GEMMA.parse(region, cx)
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        FUNCTION_GEMMA.partial(region)
    }
}

/// Gemma 4:
///
/// ```text
/// <|tool_call>call:edit{path:<|"|>test.txt<|"|>,edits:[{newText:<|"|>orange<|"|>,oldText:<|"|>apple<|"|>}]}<tool_call|>
/// ```
///
/// The same argument syntax as [`FunctionGemma`], with strings between
/// `<|"|>` tokens. Parallel calls are separate blocks (or several `call:`
/// entries in one).
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Gemma4};
/// use serde_json::json;
///
/// let raw = "<|tool_call>call:edit{path:<|\"|>a.txt<|\"|>,edits:[{old:<|\"|>}<|\"|>,n:2}]}<tool_call|>";
/// let out = TextNormalizer::new(Gemma4).normalize_text(raw).unwrap();
/// assert_eq!(out.calls[0].invocation.args, json!({"path": "a.txt", "edits": [{"old": "}", "n": 2}]}));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Gemma4;

impl ToolCallFormat for Gemma4 {
    fn name(&self) -> &'static str {
        GEMMA4.format
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["gemma", "gemma_4"]
    }

    fn describe(&self) -> &'static str {
        "<|tool_call>call:NAME{key:<|\"|>text<|\"|>,n:1}<tool_call|>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &[GEMMA4.open]
    }

    fn end_bytes(&self) -> &'static [u8] {
        b">"
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        scan(GEMMA4, text, start, at_eof)
    }

    fn parse(
        &self,
        region: &str,
        _start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        GEMMA4.parse(region, cx)
    }

    fn partial(&self, region: &str, _start: RegionStart) -> Vec<PartialCall> {
        GEMMA4.partial(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(dialect: Dialect, text: &str) -> Result<Value, NormalizeError> {
        let reader = Reader { dialect, text };
        reader.value(0, 0).map(|(value, _)| value)
    }

    #[test]
    fn scalars_and_nesting() {
        let v = read(
            GEMMA4,
            r#"{a:1,b:-2.5,c:true,d:False,e:null,f:<|"|>x, y}<|"|>,g:[1,[2]],h:{i:word two}}"#,
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": 1, "b": -2.5, "c": true, "d": false, "e": null, "f": "x, y}", "g": [1, [2]], "h": {"i": "word two"}})
        );
        let v = read(FUNCTION_GEMMA, "{ <escape>k:1<escape> : <escape><escape> }").unwrap();
        assert_eq!(v, json!({"k:1": ""}));
    }

    #[test]
    fn errors_and_limits() {
        // A bare value runs to the next `,` or bracket.
        assert_eq!(read(GEMMA4, "{a:1 b:2}").unwrap(), json!({"a": "1 b:2"}));
        let e = read(GEMMA4, "{a:1,b 2}").unwrap_err();
        assert_eq!(e.offset(), Some(8));
        let e = read(GEMMA4, "{a:1,a:2}").unwrap_err();
        assert!(matches!(e, NormalizeError::DuplicateKey { offset: 5, .. }));
        let e = read(GEMMA4, "{a:}").unwrap_err();
        assert_eq!(e.offset(), Some(3));
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING_DEPTH + 1),
            "]".repeat(MAX_NESTING_DEPTH + 1)
        );
        assert!(matches!(
            read(GEMMA4, &deep).unwrap_err(),
            NormalizeError::LimitExceeded { .. }
        ));
        assert_eq!(
            GEMMA4.value_end(&deep, 0),
            Err(Walk::Broken(MAX_NESTING_DEPTH, Some(0)))
        );
    }
}
