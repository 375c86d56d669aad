//! Shared machinery of the XML-style formats (Qwen3-Coder, Seed-OSS,
//! MiniMax M2, Step3, DeepSeek V3.2 DSML, GLM, Hunyuan V3): a small
//! [`Grammar`] describes a family's tags, and one walker uses it to find
//! where a region ends ([`scan`]), to read its calls ([`parse`]) and to tell
//! what an unfinished region holds so far ([`partial`]).
//!
//! Every family has the same shape, only the tags differ:
//!
//! ```text
//! region = [wrapper-open] { call } [wrapper-close]
//! call   = call-open NAME { parameter } call-close
//! param  = parameter-open KEY VALUE parameter-close
//! ```
//!
//! Parameter syntaxes: `<parameter=KEY>` (Qwen3-Coder), attributes
//! `<parameter name="KEY" string="true">` (MiniMax, Step3, DSML) and
//! `<arg_key>KEY</arg_key><arg_value>` (GLM, Hunyuan V3).
//!
//! # Closing tags inside values
//!
//! Values are raw text, so a value may itself contain the tag that closes
//! it (code that writes XML, a prompt about tool calls). A parameter's
//! closing tag therefore only closes the value when, after optional
//! whitespace, it is followed by something the grammar allows next: the
//! next parameter's opening tag, the call's closing tag, or the wrapper's
//! closing tag. Any other closing tag is part of the value. A region's own
//! closing tags (`</tool_call>`, `</invoke>`, ...) are only looked for
//! between parameters, so inside a value they are always text. One case
//! stays ambiguous and is resolved towards the structure: a value that
//! contains "closing tag, whitespace, next opening tag" ends there.
//!
//! Qwen3-Coder parameters may also be left unclosed: the value then ends at
//! the next `<parameter=`, or at a `</function>` that is followed by the end
//! of the wrapper (or another call); without the `<tool_call>` wrapper any
//! `</function>` ends it.
//!
//! # Commitment
//!
//! Until the first call's name and the first tag of its body have been
//! read, anything unexpected means "not a call" (the opener is plain text:
//! `<tool_call>{…}` belongs to Hermes, `<tool_calls>[…]` to the JSON-array
//! family). After that the region is a call region for sure, and anything
//! unexpected is a [`NormalizeError::Malformed`] at the byte where it went
//! wrong; [`scan`] then claims the text up to the region's closing tag so
//! the error is reported once, and the rest of the output is read normally.
//!
//! Decisions never depend on text that has not arrived: where a tag might
//! still be completed by the next bytes the walker asks for more, which
//! keeps [`scan`] monotone.

use memchr::memchr;
use serde_json::{Map, Value};

use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{ParseCx, PartialCall, RegionScan};
use crate::normalizer::json;
use crate::normalizer::scan::is_name_byte;
use crate::normalizer::typing::{self, Mismatch};

/// How a call names its tool.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NameStyle {
    /// Name bytes up to `>`, right after the call's opening tag:
    /// `<function=NAME>`.
    Eq,
    /// A `name="NAME"` attribute: `<invoke name="NAME">`.
    Attr,
    /// The bare name after the opening tag (whitespace before it allowed),
    /// ended by `sep` (`<tool_sep>`) or, without one, by the first byte that
    /// cannot be in a name.
    Bare { sep: Option<&'static str> },
}

/// How a parameter names its argument.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyStyle {
    /// `<parameter=KEY>`: the key runs to `>`.
    Eq,
    /// `<parameter name="KEY" string="true">`: attributes up to `>`.
    Attr,
    /// `<arg_key>KEY</arg_key>` then `<arg_value>`.
    Pair {
        key_close: &'static str,
        value_open: &'static str,
    },
}

/// The tags of one XML-style family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grammar {
    /// Canonical format name, for errors.
    pub(crate) format: &'static str,
    /// Opening and closing tag around a list of calls, if the family has
    /// one. Without a wrapper a region is exactly one call.
    pub(crate) wrapper: Option<(&'static str, &'static str)>,
    /// Tags that open a call, in order; whitespace is allowed between them.
    pub(crate) call_open: &'static [&'static str],
    pub(crate) name: NameStyle,
    /// Tags that close a call, in order; whitespace allowed between them.
    pub(crate) call_close: &'static [&'static str],
    /// Tag that opens a parameter (up to the key).
    pub(crate) param_open: &'static str,
    pub(crate) key: KeyStyle,
    /// Tag that closes a parameter's value.
    pub(crate) param_close: &'static str,
    /// Values may be left unclosed (Qwen3-Coder).
    pub(crate) unclosed_params: bool,
}

impl Grammar {
    fn first_call_open(&self) -> &'static str {
        self.call_open.first().copied().unwrap_or_default()
    }

    fn first_call_close(&self) -> &'static str {
        self.call_close.first().copied().unwrap_or_default()
    }

    fn wrapper_close(&self) -> &'static str {
        self.wrapper.map_or("", |(_, close)| close)
    }

    /// The tag a broken region is claimed up to.
    fn recovery_close(&self) -> &'static str {
        match self.wrapper {
            Some((_, close)) => close,
            None => self.call_close.last().copied().unwrap_or_default(),
        }
    }
}

/// A byte range of the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    fn of(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or_default()
    }

    /// The span without ASCII whitespace at either end.
    fn trimmed(self, bytes: &[u8]) -> Self {
        let mut span = self;
        while span.start < span.end && bytes.get(span.start).is_some_and(u8::is_ascii_whitespace) {
            span.start += 1;
        }
        while span.end > span.start && bytes.get(span.end - 1).is_some_and(u8::is_ascii_whitespace)
        {
            span.end -= 1;
        }
        span
    }
}

/// One parameter as written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) key: Span,
    /// The value between the tags, newlines not yet stripped.
    pub(crate) value: Span,
    /// The DSML `string="true|false"` attribute, when present.
    pub(crate) string: Option<Span>,
}

/// What the walker reports while it reads a region.
trait Visit {
    fn call_start(&mut self, _name: Span, _body: usize) -> Result<(), NormalizeError> {
        Ok(())
    }
    fn param(&mut self, _param: Param) -> Result<(), NormalizeError> {
        Ok(())
    }
    fn call_end(&mut self, _body_end: usize) -> Result<(), NormalizeError> {
        Ok(())
    }
}

/// Why the walk stopped before the end of the region.
enum Halt {
    /// The text ends where more is needed to decide.
    NeedMore,
    /// Not this family's call (only before commitment).
    NotACall,
    /// A committed region breaks the grammar at this byte.
    Broken(usize, &'static str),
    /// The visitor refused a call (bad tool name, repeated key).
    Failed(NormalizeError),
}

/// Attributes of a tag that matter here.
#[derive(Default)]
struct Attrs {
    name: Option<Span>,
    string: Option<Span>,
}

struct Walker<'t, V> {
    g: &'static Grammar,
    text: &'t str,
    bytes: &'t [u8],
    at_eof: bool,
    committed: bool,
    calls: usize,
    visit: V,
}

impl<'t, V: Visit> Walker<'t, V> {
    fn new(g: &'static Grammar, text: &'t str, at_eof: bool, visit: V) -> Self {
        Self {
            g,
            text,
            bytes: text.as_bytes(),
            at_eof,
            committed: false,
            calls: 0,
            visit,
        }
    }

    fn bad(&self, at: usize, message: &'static str) -> Halt {
        if self.committed {
            Halt::Broken(at, message)
        } else {
            Halt::NotACall
        }
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    }

    /// Which of `options` (empty ones ignored) starts at `at`: the longest
    /// complete match, unless the text ends inside a longer option (then
    /// more text is needed to tell).
    fn which(&self, at: usize, options: &[&str]) -> Result<Option<usize>, Halt> {
        let rest = self.bytes.get(at..).unwrap_or_default();
        let mut best: Option<(usize, usize)> = None;
        let mut open_prefix = 0;
        for (i, option) in options.iter().enumerate() {
            let option = option.as_bytes();
            // Cheap rejections first: this runs at every `<` of a value.
            let (Some(first), Some(head)) = (option.first(), option.get(..2.min(option.len())))
            else {
                continue;
            };
            if rest.first().is_some_and(|b| b != first)
                || (rest.len() >= head.len() && !rest.starts_with(head))
            {
                continue;
            }
            if rest.starts_with(option) {
                if best.is_none_or(|(_, len)| option.len() > len) {
                    best = Some((i, option.len()));
                }
            } else if rest.len() < option.len() && option.starts_with(rest) {
                open_prefix = open_prefix.max(option.len());
            }
        }
        match best {
            Some((_, len)) if open_prefix > len => Err(Halt::NeedMore),
            Some((i, _)) => Ok(Some(i)),
            None if open_prefix > 0 => Err(Halt::NeedMore),
            None => Ok(None),
        }
    }

    /// Past the literal `tag` at `at`.
    fn expect(&self, at: usize, tag: &str, message: &'static str) -> Result<usize, Halt> {
        match self.which(at, &[tag])? {
            Some(_) => Ok(at + tag.len()),
            None => Err(self.bad(at, message)),
        }
    }

    /// End of the run of name bytes starting at `at`.
    fn name_run(&self, at: usize) -> usize {
        let rest = self.bytes.get(at..).unwrap_or_default();
        at + rest
            .iter()
            .position(|&b| !is_name_byte(b))
            .unwrap_or(rest.len())
    }

    /// The whole region: its length.
    fn walk(&mut self) -> Result<usize, Halt> {
        let g = self.g;
        let Some((open, close)) = g.wrapper else {
            return self.call(0);
        };
        let mut pos = self.expect(0, open, "expected the opening tag")?;
        loop {
            let at = self.skip_ws(pos);
            if at >= self.bytes.len() && self.at_eof && self.calls > 0 {
                // The model stopped after its last call without closing the
                // wrapper: accepted at the end of the output, like Hermes.
                return Ok(pos);
            }
            match self.which(at, &[close, g.first_call_open()])? {
                Some(0) => {
                    self.committed = true;
                    return Ok(at + close.len());
                }
                Some(_) => pos = self.call(at)?,
                None => return Err(self.bad(at, "expected a tool call or the closing tag")),
            }
        }
    }

    /// One call starting at `at`: where it ends.
    fn call(&mut self, at: usize) -> Result<usize, Halt> {
        let g = self.g;
        let mut pos = at;
        for (i, tag) in g.call_open.iter().enumerate() {
            if i > 0 {
                pos = self.skip_ws(pos);
            }
            pos = self.expect(pos, tag, "unexpected text in the call's opening tags")?;
        }
        let (name, body) = self.call_name(pos)?;
        self.visit.call_start(name, body).map_err(Halt::Failed)?;
        let mut pos = body;
        loop {
            let at = self.skip_ws(pos);
            let tags = [g.param_open, g.first_call_close(), g.wrapper_close()];
            match self.which(at, &tags)? {
                Some(0) => {
                    self.committed = true;
                    pos = self.param(at)?;
                }
                Some(1) => {
                    self.committed = true;
                    let mut end = at + g.first_call_close().len();
                    for tag in g.call_close.iter().skip(1) {
                        end = self.skip_ws(end);
                        end =
                            self.expect(end, tag, "unexpected text in the call's closing tags")?;
                    }
                    self.visit.call_end(at).map_err(Halt::Failed)?;
                    self.calls += 1;
                    return Ok(end);
                }
                Some(_) => {
                    // The wrapper closes with the call still open: the model
                    // left out the call's closing tag.
                    self.committed = true;
                    self.visit.call_end(at).map_err(Halt::Failed)?;
                    self.calls += 1;
                    return Ok(at);
                }
                None => {
                    return Err(self.bad(at, "expected a parameter or the end of the tool call"));
                }
            }
        }
    }

    /// The tool name at `at`, and where the call's body starts.
    fn call_name(&self, at: usize) -> Result<(Span, usize), Halt> {
        match self.g.name {
            NameStyle::Eq => {
                let end = self.name_run(at);
                match self.bytes.get(end) {
                    None => Err(Halt::NeedMore),
                    Some(b'>') if end > at => Ok((Span { start: at, end }, end + 1)),
                    Some(_) => Err(self.bad(at, "invalid tool name")),
                }
            }
            NameStyle::Attr => {
                let (attrs, after) = self.attrs(at)?;
                match attrs.name {
                    Some(name) => Ok((name, after)),
                    None => Err(self.bad(at, "the call has no name attribute")),
                }
            }
            NameStyle::Bare { sep } => {
                let start = self.skip_ws(at);
                let end = self.name_run(start);
                if end >= self.bytes.len() {
                    return Err(Halt::NeedMore);
                }
                if end == start {
                    return Err(self.bad(start, "expected a tool name"));
                }
                let body = match sep {
                    Some(sep) => self.expect(end, sep, "expected the separator after the name")?,
                    None => end,
                };
                Ok((Span { start, end }, body))
            }
        }
    }

    /// Attributes from `at` to the end of the tag; returns them and the
    /// position after `>`.
    fn attrs(&self, mut at: usize) -> Result<(Attrs, usize), Halt> {
        let mut attrs = Attrs::default();
        loop {
            at = self.skip_ws(at);
            match self.bytes.get(at) {
                None => return Err(Halt::NeedMore),
                Some(b'>') => return Ok((attrs, at + 1)),
                Some(_) => {}
            }
            let rest = self.bytes.get(at..).unwrap_or_default();
            let name_len = rest
                .iter()
                .position(|&b| !(is_name_byte(b) || b == b':'))
                .ok_or(Halt::NeedMore)?;
            if name_len == 0 {
                return Err(self.bad(at, "expected an attribute"));
            }
            let name = Span {
                start: at,
                end: at + name_len,
            };
            let mut pos = self.skip_ws(name.end);
            match self.bytes.get(pos) {
                None => return Err(Halt::NeedMore),
                Some(b'=') => pos = self.skip_ws(pos + 1),
                Some(_) => return Err(self.bad(pos, "expected `=` after the attribute name")),
            }
            let (value, after) = match self.bytes.get(pos) {
                None => return Err(Halt::NeedMore),
                Some(&quote @ (b'"' | b'\'')) => {
                    let inner = self.bytes.get(pos + 1..).unwrap_or_default();
                    let len = memchr(quote, inner).ok_or(Halt::NeedMore)?;
                    let value = Span {
                        start: pos + 1,
                        end: pos + 1 + len,
                    };
                    (value, value.end + 1)
                }
                Some(b'>') => return Err(self.bad(pos, "attribute without a value")),
                Some(_) => {
                    let rest = self.bytes.get(pos..).unwrap_or_default();
                    let len = rest
                        .iter()
                        .position(|&b| b == b'>' || b.is_ascii_whitespace())
                        .ok_or(Halt::NeedMore)?;
                    let value = Span {
                        start: pos,
                        end: pos + len,
                    };
                    (value, value.end)
                }
            };
            match name.of(self.text) {
                "name" => attrs.name = Some(value),
                "string" => attrs.string = Some(value),
                _ => {}
            }
            at = after;
        }
    }

    /// One parameter whose opening tag starts at `at`: where it ends.
    fn param(&mut self, at: usize) -> Result<usize, Halt> {
        let g = self.g;
        let start = at + g.param_open.len();
        let (key, string, value_start) = match g.key {
            KeyStyle::Eq => {
                let rest = self.bytes.get(start..).unwrap_or_default();
                let stop = rest
                    .iter()
                    .position(|&b| matches!(b, b'>' | b'<' | b'\n'))
                    .ok_or(Halt::NeedMore)?;
                if rest.get(stop) != Some(&b'>') {
                    return Err(self.bad(start + stop, "unterminated parameter name"));
                }
                let key = Span {
                    start,
                    end: start + stop,
                };
                (key, None, key.end + 1)
            }
            KeyStyle::Attr => {
                let (attrs, after) = self.attrs(start)?;
                let Some(key) = attrs.name else {
                    return Err(self.bad(at, "the parameter has no name attribute"));
                };
                (key, attrs.string, after)
            }
            KeyStyle::Pair {
                key_close,
                value_open,
            } => {
                let rest = self.bytes.get(start..).unwrap_or_default();
                let lt = start + memchr(b'<', rest).ok_or(Halt::NeedMore)?;
                let after_key = self.expect(lt, key_close, "unterminated argument name")?;
                let open = self.skip_ws(after_key);
                let value_start =
                    self.expect(open, value_open, "expected the argument's value tag")?;
                (Span { start, end: lt }, None, value_start)
            }
        };
        let key = key.trimmed(self.bytes);
        if key.start == key.end {
            return Err(self.bad(key.start, "empty parameter name"));
        }
        let (value_end, next) = self.value_end(value_start)?;
        self.visit
            .param(Param {
                key,
                value: Span {
                    start: value_start,
                    end: value_end,
                },
                string,
            })
            .map_err(Halt::Failed)?;
        Ok(next)
    }

    /// Where the value starting at `start` ends, and where the walk goes on
    /// (after its closing tag, or at the tag that ends an unclosed value).
    fn value_end(&self, start: usize) -> Result<(usize, usize), Halt> {
        let g = self.g;
        let followers = [g.param_open, g.first_call_close(), g.wrapper_close()];
        let mut from = start;
        loop {
            let rest = self.bytes.get(from..).unwrap_or_default();
            let at = from + memchr(b'<', rest).ok_or(Halt::NeedMore)?;
            if self.which(at, &[g.param_close])?.is_some() {
                let after = at + g.param_close.len();
                let next = self.skip_ws(after);
                if self.which(next, &followers)?.is_some() {
                    return Ok((at, after));
                }
            } else if g.unclosed_params {
                if self.which(at, &[g.param_open])?.is_some() {
                    return Ok((at, at));
                }
                if self.which(at, &[g.first_call_close()])?.is_some() && self.ends_call(at)? {
                    return Ok((at, at));
                }
            }
            from = at + 1;
        }
    }

    /// Whether the call-closing tag at `at` really ends the call (for
    /// unclosed values): inside a wrapper, only when the wrapper's closing
    /// tag or another call follows.
    fn ends_call(&self, at: usize) -> Result<bool, Halt> {
        let g = self.g;
        let Some((_, close)) = g.wrapper else {
            return Ok(true);
        };
        let next = self.skip_ws(at + g.first_call_close().len());
        Ok(self.which(next, &[close, g.first_call_open()])?.is_some())
    }
}

struct Nothing;

impl Visit for Nothing {}

/// Where the region at the start of `text` ends.
pub(crate) fn scan(g: &'static Grammar, text: &str, at_eof: bool) -> RegionScan {
    let mut walker = Walker::new(g, text, at_eof, Nothing);
    match walker.walk() {
        Ok(end) => RegionScan::Complete(end),
        Err(Halt::NeedMore) => RegionScan::NeedMore,
        Err(Halt::NotACall) => RegionScan::NotACall,
        Err(Halt::Broken(at, _)) => recover(g, text, at, at_eof),
        // Scanning reports nothing, so nothing can refuse a call.
        Err(Halt::Failed(_)) => recover(g, text, 0, at_eof),
    }
}

/// A committed region that breaks the grammar at `at`: claim it up to its
/// closing tag (or, at the end of the output, to the end) so the parser
/// reports the error.
fn recover(g: &Grammar, text: &str, at: usize, at_eof: bool) -> RegionScan {
    let close = g.recovery_close();
    match text.get(at..).and_then(|rest| rest.find(close)) {
        Some(found) => RegionScan::Complete(at + found + close.len()),
        None if at_eof => RegionScan::Complete(text.len()),
        None => RegionScan::NeedMore,
    }
}

/// Parse a complete region, reporting its calls to `cx`.
pub(crate) fn parse(
    g: &'static Grammar,
    region: &str,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let collect = Collect {
        format: g.format,
        region,
        cx,
        call: None,
        args: Map::new(),
    };
    let mut walker = Walker::new(g, region, true, collect);
    match walker.walk() {
        Ok(end) if end == region.len() => Ok(()),
        Ok(end) => Err(NormalizeError::malformed(
            g.format,
            end,
            "unexpected text after the tool call",
        )),
        Err(Halt::Broken(at, message)) => Err(NormalizeError::malformed(g.format, at, message)),
        Err(Halt::NeedMore) => Err(NormalizeError::malformed(
            g.format,
            region.len(),
            "the tool call ends early",
        )),
        Err(Halt::NotACall) => Err(NormalizeError::malformed(
            g.format,
            0,
            "expected a tool call",
        )),
        Err(Halt::Failed(err)) => Err(err),
    }
}

/// A value without the one newline that usually follows the opening tag
/// and the one before the closing tag; returns it and its offset.
pub(crate) fn strip_newlines(text: &str, span: Span) -> (&str, usize) {
    let value = span.of(text);
    let (value, skipped) = match value.strip_prefix("\r\n") {
        Some(rest) => (rest, 2),
        None => match value.strip_prefix('\n') {
            Some(rest) => (rest, 1),
            None => (value, 0),
        },
    };
    let value = value
        .strip_suffix("\r\n")
        .or_else(|| value.strip_suffix('\n'))
        .unwrap_or(value);
    (value, span.start + skipped)
}

/// Builds the calls of a region.
struct Collect<'r, 'c, 's> {
    format: &'static str,
    region: &'r str,
    cx: &'c mut ParseCx<'s>,
    /// The open call's name and its offset.
    call: Option<(&'r str, usize)>,
    args: Map<String, Value>,
}

impl Collect<'_, '_, '_> {
    /// A DSML value marked `string="false"`: JSON, else typed by the
    /// schema; without a schema a non-JSON value stays text, with a warning.
    fn json_value(&mut self, tool: &str, key: &str, raw: &str, offset: usize) -> Value {
        if let Ok(value) = json::parse_value(raw.trim(), self.format, "value", tool) {
            return value;
        }
        if typing::argument_schema(self.cx.schema(tool), key).is_some() {
            return typing::typed_argument(self.cx, tool, key, raw, offset);
        }
        typing::keep_or_warn(
            self.cx,
            tool,
            key,
            raw,
            offset,
            Err(Mismatch("json".into())),
        )
    }
}

impl Visit for Collect<'_, '_, '_> {
    fn call_start(&mut self, name: Span, _body: usize) -> Result<(), NormalizeError> {
        self.call = Some((name.of(self.region), name.start));
        self.args = Map::new();
        Ok(())
    }

    fn param(&mut self, param: Param) -> Result<(), NormalizeError> {
        let tool = self.call.map_or("", |(name, _)| name);
        let key = param.key.of(self.region);
        if self.args.contains_key(key) {
            return Err(NormalizeError::DuplicateKey {
                format: self.format,
                offset: param.value.end,
                key: key.to_owned(),
            });
        }
        let (raw, offset) = strip_newlines(self.region, param.value);
        let value = match param.string.map(|flag| flag.of(self.region).trim()) {
            Some(flag) if flag.eq_ignore_ascii_case("true") => Value::String(raw.to_owned()),
            Some(_) => self.json_value(tool, key, raw, offset),
            None => typing::typed_argument(self.cx, tool, key, raw, offset),
        };
        self.args.insert(key.to_owned(), value);
        Ok(())
    }

    fn call_end(&mut self, _body_end: usize) -> Result<(), NormalizeError> {
        let Some((name, offset)) = self.call.take() else {
            return Ok(());
        };
        let args = Value::Object(std::mem::take(&mut self.args));
        json::report_call(self.cx, self.format, offset, name.to_owned(), args, None)
    }
}

/// Collects what an unfinished region says of its calls.
struct Partials<'r> {
    region: &'r str,
    calls: Vec<PartialCall>,
    /// Where the last call's body starts, while it is open.
    open_body: Option<usize>,
}

impl Visit for Partials<'_> {
    fn call_start(&mut self, name: Span, body: usize) -> Result<(), NormalizeError> {
        self.calls.push(PartialCall {
            name: Some(name.of(self.region).to_owned()),
            id: None,
            arguments: String::new(),
        });
        self.open_body = Some(body);
        Ok(())
    }

    fn call_end(&mut self, body_end: usize) -> Result<(), NormalizeError> {
        if let (Some(body), Some(call)) = (self.open_body.take(), self.calls.last_mut()) {
            call.arguments = self
                .region
                .get(body..body_end)
                .unwrap_or_default()
                .to_owned();
        }
        Ok(())
    }
}

/// The calls of an unfinished region, with their raw argument text so far.
/// Nothing until the region is known to be a call region, so a stream never
/// announces a call for an opener that turns out to be text.
pub(crate) fn partial(g: &'static Grammar, region: &str) -> Vec<PartialCall> {
    let partials = Partials {
        region,
        calls: Vec::new(),
        open_body: None,
    };
    let mut walker = Walker::new(g, region, false, partials);
    let _ = walker.walk();
    if !walker.committed {
        return Vec::new();
    }
    let Partials {
        mut calls,
        open_body,
        ..
    } = walker.visit;
    if let (Some(body), Some(call)) = (open_body, calls.last_mut()) {
        let written = region.get(body..).unwrap_or_default();
        // Hold back a tag that is still being written: it may be the
        // call's closing tag, which is not argument text.
        let settled = match written.rfind('<') {
            Some(lt) if !written.get(lt..).unwrap_or_default().contains('>') => {
                written.get(..lt).unwrap_or_default()
            }
            _ => written,
        };
        call.arguments = settled.to_owned();
    }
    calls
}

/// The `end_bytes`, `scan`, `parse` and `partial` methods of a format whose
/// regions a [`Grammar`] reads, for use inside its `ToolCallFormat` impl.
/// `$grammar` maps a region start to its grammar (`None`: not this format).
macro_rules! grammar_methods {
    ($grammar:expr) => {
        fn end_bytes(&self) -> &'static [u8] {
            // Every region of these formats ends with a closing tag.
            b">"
        }

        fn scan(
            &self,
            text: &str,
            start: $crate::normalizer::RegionStart,
            at_eof: bool,
        ) -> $crate::normalizer::RegionScan {
            let pick: fn(
                $crate::normalizer::RegionStart,
            ) -> Option<&'static $crate::normalizer::formats::xml_params::Grammar> = $grammar;
            pick(start).map_or($crate::normalizer::RegionScan::NotACall, |g| {
                $crate::normalizer::formats::xml_params::scan(g, text, at_eof)
            })
        }

        fn parse(
            &self,
            region: &str,
            start: $crate::normalizer::RegionStart,
            cx: &mut $crate::normalizer::ParseCx<'_>,
        ) -> Result<(), $crate::normalizer::NormalizeError> {
            let pick: fn(
                $crate::normalizer::RegionStart,
            ) -> Option<&'static $crate::normalizer::formats::xml_params::Grammar> = $grammar;
            pick(start).map_or(Ok(()), |g| {
                $crate::normalizer::formats::xml_params::parse(g, region, cx)
            })
        }

        fn partial(
            &self,
            region: &str,
            start: $crate::normalizer::RegionStart,
        ) -> Vec<$crate::normalizer::PartialCall> {
            let pick: fn(
                $crate::normalizer::RegionStart,
            ) -> Option<&'static $crate::normalizer::formats::xml_params::Grammar> = $grammar;
            pick(start).map_or_else(Vec::new, |g| {
                $crate::normalizer::formats::xml_params::partial(g, region)
            })
        }
    };
}
pub(crate) use grammar_methods;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalizer::SchemaSet;
    use serde_json::json;

    const QWEN: Grammar = Grammar {
        format: "test",
        wrapper: Some(("<tool_call>", "</tool_call>")),
        call_open: &["<function="],
        name: NameStyle::Eq,
        call_close: &["</function>"],
        param_open: "<parameter=",
        key: KeyStyle::Eq,
        param_close: "</parameter>",
        unclosed_params: true,
    };
    const QWEN_BARE: Grammar = Grammar {
        wrapper: None,
        ..QWEN
    };
    const ATTR: Grammar = Grammar {
        format: "test",
        wrapper: Some(("<calls>", "</calls>")),
        call_open: &["<begin>", "<invoke "],
        name: NameStyle::Attr,
        call_close: &["</invoke>", "<end>"],
        param_open: "<parameter ",
        key: KeyStyle::Attr,
        param_close: "</parameter>",
        unclosed_params: false,
    };
    const PAIRS: Grammar = Grammar {
        format: "test",
        wrapper: Some(("<tool_calls>", "</tool_calls>")),
        call_open: &["<tool_call>"],
        name: NameStyle::Bare {
            sep: Some("<tool_sep>"),
        },
        call_close: &["</tool_call>"],
        param_open: "<arg_key>",
        key: KeyStyle::Pair {
            key_close: "</arg_key>",
            value_open: "<arg_value>",
        },
        param_close: "</arg_value>",
        unclosed_params: false,
    };

    fn parse_all(
        g: &'static Grammar,
        region: &str,
    ) -> Result<Vec<(String, Value)>, NormalizeError> {
        let mut cx = ParseCx::detached(None);
        parse(g, region, &mut cx)?;
        Ok(cx
            .calls()
            .iter()
            .map(|c| (c.invocation.name.clone(), c.invocation.args.clone()))
            .collect())
    }

    /// `scan` over every prefix never changes its mind.
    fn assert_monotone(g: &'static Grammar, text: &str) -> RegionScan {
        let mut decided: Option<RegionScan> = None;
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let now = scan(g, &text[..end], false);
            if let Some(before) = decided {
                assert_eq!(now, before, "prefix of {end} bytes of {text:?}");
            } else if now != RegionScan::NeedMore {
                decided = Some(now);
            }
        }
        decided.unwrap_or(RegionScan::NeedMore)
    }

    #[test]
    fn which_prefers_the_longest_tag() {
        let which = |text: &str, options: &[&str]| match Walker::new(&PAIRS, text, false, Nothing)
            .which(0, options)
        {
            Ok(found) => Some(found),
            Err(Halt::NeedMore) => None,
            Err(_) => panic!("unexpected halt"),
        };
        // `</tool_call>` is not a prefix of `</tool_calls>`: no ambiguity.
        assert_eq!(
            which("</tool_call>", &["</tool_call>", "</tool_calls>"]),
            Some(Some(0))
        );
        assert_eq!(
            which("</tool_calls>", &["</tool_call>", "</tool_calls>"]),
            Some(Some(1))
        );
        // A longer option that may still come wins over a shorter match.
        assert_eq!(which("<ab", &["<ab", "<abc"]), None);
        assert_eq!(which("<abc", &["<ab", "<abc"]), Some(Some(1)));
        assert_eq!(which("<abd", &["<ab", "<abc"]), Some(Some(0)));
        assert_eq!(which("</x", &["", "</tool_call>"]), Some(None));
        assert_eq!(which("</t", &["", "</tool_call>"]), None);
        assert_eq!(which("", &["</tool_call>"]), None);
    }

    #[test]
    fn scans_are_monotone_over_prefixes() {
        let cases: [(&'static Grammar, &str); 8] = [
            (
                &QWEN,
                "<tool_call>\n<function=f>\n<parameter=a>\n1 </parameter> x\n</parameter>\n</function>\n</tool_call> tail",
            ),
            (&QWEN, "<tool_call>\n{\"name\": \"f\"}</tool_call>"),
            (&QWEN_BARE, "<function=f>{\"a\": 1}</function>"),
            (
                &QWEN_BARE,
                "<function=f>\n<parameter=a>\nopen\n<parameter=b>\n2\n</function> tail",
            ),
            (
                &ATTR,
                "<calls><begin> <invoke name=\"f\"><parameter name=\"k\">v</parameter></invoke>\n<end></calls>",
            ),
            (
                &ATTR,
                "<calls><begin><invoke name=\"f\"></invoke>junk</calls> tail",
            ),
            (
                &PAIRS,
                "<tool_calls>\n<tool_call>f<tool_sep>\n<arg_key>k</arg_key>\n<arg_value>v</arg_value>\n</tool_call>\n</tool_calls>",
            ),
            (&PAIRS, "<tool_calls>[{\"name\": \"f\"}]</tool_calls>"),
        ];
        let want = [
            RegionScan::Complete(cases[0].1.len() - 5),
            RegionScan::NotACall,
            RegionScan::NotACall,
            RegionScan::Complete(cases[3].1.len() - 5),
            RegionScan::Complete(cases[4].1.len()),
            RegionScan::Complete(cases[5].1.len() - 5),
            RegionScan::Complete(cases[6].1.len()),
            RegionScan::NotACall,
        ];
        for ((g, text), want) in cases.into_iter().zip(want) {
            assert_eq!(assert_monotone(g, text), want, "{text:?}");
        }
    }

    #[test]
    fn closing_tags_inside_values_are_text() {
        let calls = parse_all(
            &QWEN,
            "<tool_call>\n<function=w>\n<parameter=a>\nx</parameter>y </tool_call> </function>\n</parameter>\n</function>\n</tool_call>",
        )
        .unwrap();
        assert_eq!(
            calls,
            [(
                "w".into(),
                json!({"a": "x</parameter>y </tool_call> </function>"})
            )]
        );
    }

    #[test]
    fn unclosed_values_end_at_the_next_tag() {
        let calls = parse_all(
            &QWEN,
            "<tool_call>\n<function=f>\n<parameter=a>\none\n<parameter=b>\ntwo\n</function>\n</tool_call>",
        )
        .unwrap();
        assert_eq!(calls, [("f".into(), json!({"a": "one", "b": "two"}))]);
        // Inside the wrapper a `</function>` not followed by its end is text.
        let calls = parse_all(
            &QWEN,
            "<tool_call><function=f><parameter=a>x</function>y</function></tool_call>",
        )
        .unwrap();
        assert_eq!(calls, [("f".into(), json!({"a": "x</function>y"}))]);
    }

    #[test]
    fn attributes_and_pairs() {
        let calls = parse_all(
            &ATTR,
            "<calls><begin><invoke name='f' extra=1><parameter name=k string=\"true\">\n7\n</parameter></invoke><end></calls>",
        )
        .unwrap();
        assert_eq!(calls, [("f".into(), json!({"k": "7"}))]);
        let calls = parse_all(
            &PAIRS,
            "<tool_calls><tool_call>f<tool_sep><arg_key> k </arg_key> <arg_value>[1]</arg_value></tool_call><tool_call>g<tool_sep></tool_call></tool_calls>",
        )
        .unwrap();
        assert_eq!(
            calls,
            [("f".into(), json!({"k": [1]})), ("g".into(), json!({}))]
        );
    }

    #[test]
    fn broken_regions_are_claimed_to_their_closing_tag() {
        let text = "<calls><begin><invoke name=\"f\"><parameter name=\"k\">v</parameter></invoke> junk <end></calls> after";
        let RegionScan::Complete(len) = scan(&ATTR, text, false) else {
            panic!()
        };
        assert_eq!(&text[len..], " after");
        let err = parse_all(&ATTR, &text[..len]).unwrap_err();
        assert_eq!(err.offset(), text.find("junk"), "{err}");
        // Before the first body tag it is not a call at all.
        let text = "<calls><begin><invoke name=\"f\">junk</invoke></calls>";
        assert_eq!(scan(&ATTR, text, false), RegionScan::NotACall);
        // At the end of the output without a closing tag: the rest.
        let text = "<calls><begin><invoke name=\"f\"></invoke>junk";
        assert_eq!(scan(&ATTR, text, false), RegionScan::NeedMore);
        assert_eq!(scan(&ATTR, text, true), RegionScan::Complete(text.len()));
        assert!(parse_all(&ATTR, text).is_err());
    }

    #[test]
    fn repeated_parameters_are_an_error() {
        let err = parse_all(
            &QWEN_BARE,
            "<function=f><parameter=a>1</parameter><parameter=a>2</parameter></function>",
        )
        .unwrap_err();
        assert!(
            matches!(err, NormalizeError::DuplicateKey { ref key, offset: 52, .. } if key == "a"),
            "{err:?}"
        );
    }

    #[test]
    fn dsml_string_flags() {
        let mut set = SchemaSet::new();
        set.insert(
            "f",
            json!({"properties": {"n": {"type": "integer"}, "o": {"type": "object"}}}),
        );
        let mut cx = ParseCx::detached(Some(&set));
        let region = "<calls><begin><invoke name=\"f\">\
            <parameter name=\"s\" string=\"true\">[1]</parameter>\
            <parameter name=\"j\" string=\"false\">[1]</parameter>\
            <parameter name=\"n\" string=\"false\">07</parameter>\
            <parameter name=\"o\" string=\"false\">{'a': None}</parameter>\
            <parameter name=\"x\" string=\"false\">plain</parameter>\
            </invoke><end></calls>";
        parse(&ATTR, region, &mut cx).unwrap();
        assert_eq!(
            cx.calls()[0].invocation.args,
            json!({"s": "[1]", "j": [1], "n": 7, "o": {"a": null}, "x": "plain"})
        );
        assert!(matches!(
            cx.warnings(),
            [crate::normalizer::NormalizeWarning::UntypedValue { argument, expected, .. }]
                if argument == "x" && expected == "json"
        ));
    }

    #[test]
    fn partial_reports_names_and_raw_bodies_once_committed() {
        assert!(partial(&QWEN, "<tool_call>\n<function=get_weather>").is_empty());
        let calls = partial(
            &QWEN,
            "<tool_call>\n<function=a>\n<parameter=x>1</parameter>\n</function>\n<function=b>\n<parameter=y>\nPar",
        );
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name.as_deref(), Some("a"));
        assert_eq!(calls[0].arguments, "\n<parameter=x>1</parameter>\n");
        assert_eq!(calls[1].name.as_deref(), Some("b"));
        assert_eq!(calls[1].arguments, "\n<parameter=y>\nPar");
        // An unfinished tag at the end is not argument text yet.
        let calls = partial(&QWEN, "<tool_call><function=b><parameter=y>1</para");
        assert_eq!(calls[0].arguments, "<parameter=y>1");
    }

    #[test]
    fn newline_stripping() {
        let text = "\r\n a \n\n";
        let (value, at) = strip_newlines(
            text,
            Span {
                start: 0,
                end: text.len(),
            },
        );
        assert_eq!((value, at), (" a \n", 2));
        assert_eq!(strip_newlines("x", Span { start: 0, end: 1 }), ("x", 0));
    }
}
