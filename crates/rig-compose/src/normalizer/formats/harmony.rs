//! gpt-oss Harmony: the output is a sequence of messages, each a header
//! (role, channel, recipient, content type) and a body between special
//! tokens. Every message is one region: `analysis` bodies are reasoning,
//! `final` (and recipient-less `commentary`) bodies are visible text, and a
//! message addressed to a tool (`to=functions.NAME`) is a call.

use serde_json::{Map, Value};

use super::special::{Tok, any_lit, skip_ws, slice};
use crate::normalizer::error::NormalizeError;
use crate::normalizer::format::{
    ParseCx, PartialCall, ReasoningTags, RegionScan, RegionStart, ToolCallFormat,
};
use crate::normalizer::json::{self, JsonEnd, value_end};

const NAME: &str = "harmony";

const START: &str = "<|start|>";
const CHANNEL: &str = "<|channel|>";
const CONSTRAIN: &str = "<|constrain|>";
const MESSAGE: &str = "<|message|>";
/// Tokens that end a message body (and belong to it).
const ENDS: [&str; 3] = ["<|end|>", "<|call|>", "<|return|>"];

/// A message starts at `<|start|>`, or at `<|channel|>` when the output
/// (or a sloppy model) leaves the start token out.
const OPENERS: [&str; 2] = [START, CHANNEL];

/// Longest header (role, channel, recipient, constraint) accepted before
/// `<|message|>`; anything longer is not a Harmony header, so a stray
/// `<|channel|>` in prose cannot swallow the rest of the output.
const MAX_HEADER: usize = 256;

/// Recipients that address a person rather than a tool.
const NOT_TOOLS: [&str; 4] = ["assistant", "user", "system", "developer"];

/// Bytes a header may contain between its special tokens.
fn header_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-' | b'.' | b':' | b'=' | b'/' | b'@' | b' ' | b'\t'
        )
}

/// A message header, as ranges of the region.
#[derive(Debug, Clone, Copy, Default)]
struct Header {
    channel: Option<(usize, usize)>,
    recipient: Option<(usize, usize)>,
    constraint: Option<(usize, usize)>,
    /// Where the body starts (just after `<|message|>`).
    body: usize,
}

impl Header {
    /// The tool a message is addressed to, if it is a call.
    fn tool<'t>(&self, text: &'t str) -> Option<&'t str> {
        let (from, to) = self.recipient?;
        let recipient = slice(text, from, to);
        if NOT_TOOLS.contains(&recipient) {
            return None;
        }
        Some(recipient.strip_prefix("functions.").unwrap_or(recipient))
    }

    fn channel<'t>(&self, text: &'t str) -> &'t str {
        self.channel.map_or("", |(from, to)| slice(text, from, to))
    }

    fn wants_json(&self, text: &str) -> bool {
        self.constraint
            .is_some_and(|(from, to)| slice(text, from, to).eq_ignore_ascii_case("json"))
    }
}

/// Which part of the header the words being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Role,
    Channel,
    Constraint,
}

/// Sort the words of one header segment (`text[from..to]`) into `header`.
fn read_words(text: &str, from: usize, to: usize, part: Part, header: &mut Header) {
    let mut first = true;
    let mut at = from;
    while at < to {
        let start = at + slice(text, at, to).len() - slice(text, at, to).trim_start().len();
        if start >= to {
            break;
        }
        let end = slice(text, start, to)
            .find([' ', '\t'])
            .map_or(to, |n| start + n);
        let word = slice(text, start, end);
        if let Some(recipient) = word.strip_prefix("to=") {
            if !recipient.is_empty() {
                header.recipient = Some((start + 3, end));
            }
        } else {
            match (part, first) {
                (Part::Role, _) => {}
                (Part::Channel, true) => header.channel = Some((start, end)),
                // A bare `json` / `code` after the channel name.
                (Part::Channel, false) | (Part::Constraint, _) => {
                    header.constraint.get_or_insert((start, end));
                }
            }
            first = false;
        }
        at = end;
    }
}

/// Read the header of the message at the top of `text`.
fn header(text: &str, opener: usize) -> Result<Header, RegionScan> {
    let (mut at, mut part) = if opener == 0 {
        (START.len(), Part::Role)
    } else {
        (CHANNEL.len(), Part::Channel)
    };
    let limit = OPENERS.get(opener).map_or(0, |o| o.len()) + MAX_HEADER;
    let mut header = Header::default();
    loop {
        let stop = at
            + slice(text, at, text.len())
                .bytes()
                .position(|b| !header_byte(b))
                .unwrap_or(text.len() - at.min(text.len()));
        if stop >= limit {
            return Err(RegionScan::NotACall);
        }
        if stop >= text.len() {
            return Err(RegionScan::NeedMore);
        }
        read_words(text, at, stop, part, &mut header);
        let (next, len) = match any_lit(text, stop, &[MESSAGE, CHANNEL, CONSTRAIN]) {
            Tok::Full(n) => (slice(text, stop, stop + n), n),
            Tok::Prefix => return Err(RegionScan::NeedMore),
            Tok::No => return Err(RegionScan::NotACall),
        };
        at = stop + len;
        part = match next {
            MESSAGE => {
                header.body = at;
                return Ok(header);
            }
            CHANNEL => Part::Channel,
            _ => Part::Constraint,
        };
    }
}

/// How a message body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BodyEnd {
    /// End of the body text.
    body: usize,
    /// End of the region (after the end token, or before the next
    /// message's opener).
    region: usize,
}

/// The first end token, or next message, at or after `from`.
fn next_boundary(text: &str, from: usize) -> Option<BodyEnd> {
    let mut at = from;
    while let Some(found) = slice(text, at, text.len()).find("<|").map(|n| at + n) {
        if let Tok::Full(n) = any_lit(text, found, &ENDS) {
            return Some(BodyEnd {
                body: found,
                region: found + n,
            });
        }
        if let Tok::Full(_) = any_lit(text, found, &OPENERS) {
            return Some(BodyEnd {
                body: found,
                region: found,
            });
        }
        at = found + 2;
    }
    None
}

/// Where the body that starts at `from` ends, for a body read as text.
fn text_body_end(text: &str, from: usize, at_eof: bool) -> Option<BodyEnd> {
    next_boundary(text, from).or(at_eof.then_some(BodyEnd {
        body: text.len(),
        region: text.len(),
    }))
}

/// Where the body of a call ends: after its JSON arguments when they are
/// JSON, else like a text body.
fn call_body_end(text: &str, from: usize, at_eof: bool) -> Option<BodyEnd> {
    let start = skip_ws(text, from);
    let search = match text.as_bytes().get(start) {
        None => return None,
        Some(b'{' | b'[') => match value_end(text, start) {
            JsonEnd::Complete(end) => {
                let k = skip_ws(text, end);
                match any_lit(text, k, &ENDS) {
                    Tok::Full(n) => {
                        return Some(BodyEnd {
                            body: k,
                            region: k + n,
                        });
                    }
                    // The stop token was cut off (or left out by the
                    // server): the arguments are complete.
                    Tok::Prefix if at_eof => {
                        return Some(BodyEnd { body: k, region: k });
                    }
                    Tok::Prefix => return None,
                    Tok::No => {}
                }
                if let Tok::Full(_) = any_lit(text, k, &OPENERS) {
                    return Some(BodyEnd { body: k, region: k });
                }
                end
            }
            // An unfinished string may still hold a literal end token.
            JsonEnd::Incomplete => return None,
            JsonEnd::Invalid(at) => at,
        },
        Some(_) => start,
    };
    text_body_end(text, search, at_eof)
}

fn body_end(text: &str, header: &Header, at_eof: bool) -> Option<BodyEnd> {
    if header.tool(text).is_some() {
        call_body_end(text, header.body, at_eof)
    } else {
        text_body_end(text, header.body, at_eof)
    }
}

/// gpt-oss Harmony (vLLM `openai`):
///
/// ```text
/// <|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>
/// ```
///
/// Each message is one region. `analysis` messages are reasoning,
/// `final` messages (ending in `<|return|>` or `<|end|>`) and
/// `commentary` messages without a recipient are visible text, and a
/// message with a recipient is a call to that tool (`functions.` is
/// dropped from the name). Also accepted: the recipient before the
/// channel (`<|start|>assistant to=functions.f<|channel|>commentary …`),
/// calls on the analysis channel, a bare `json` / `code` content type,
/// names without `functions.`, output starting at `<|channel|>`, and end
/// tokens left out by the server at the end of the output. Arguments
/// that are not JSON (a `code` body for the built-in `python` tool) are
/// passed on as a JSON string. Harmony has no `<think>` tags.
///
/// ```
/// use rig_compose::normalizer::{TextNormalizer, formats::Harmony};
///
/// let raw = "<|channel|>analysis<|message|>Need weather.<|end|>\
///            <|start|>assistant<|channel|>commentary to=functions.get_weather \
///            <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";
/// let out = TextNormalizer::new(Harmony).normalize_text(raw).unwrap();
/// assert_eq!(out.reasoning, "Need weather.");
/// assert_eq!(out.calls[0].invocation.name, "get_weather");
/// assert_eq!(out.calls[0].invocation.args["city"], "Paris");
///
/// let answer = TextNormalizer::new(Harmony)
///     .normalize_text("<|channel|>final<|message|>It is sunny.<|return|>")
///     .unwrap();
/// assert_eq!(answer.text, "It is sunny.");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Harmony;

impl ToolCallFormat for Harmony {
    fn name(&self) -> &'static str {
        NAME
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["openai", "gpt_oss", "gptoss"]
    }

    fn describe(&self) -> &'static str {
        "<|start|>assistant<|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{…}<|call|>"
    }

    fn openers(&self) -> &'static [&'static str] {
        &OPENERS
    }

    fn reasoning_tags(&self) -> &'static [ReasoningTags] {
        &[]
    }

    fn end_bytes(&self) -> &'static [u8] {
        b">"
    }

    fn end_markers(&self) -> &'static [&'static str] {
        // A message ends with its end token or where the next one opens
        // (or at the end of the output); `<|constrain|>` and `<|message|>`
        // inside it need no re-scan.
        &["<|end|>", "<|call|>", "<|return|>", START, CHANNEL]
    }

    fn scan(&self, text: &str, start: RegionStart, at_eof: bool) -> RegionScan {
        let RegionStart::Opener(opener) = start else {
            return RegionScan::NotACall;
        };
        let header = match header(text, opener) {
            Ok(header) => header,
            Err(scan) => return scan,
        };
        match body_end(text, &header, at_eof) {
            Some(end) => RegionScan::Complete(end.region),
            None => RegionScan::NeedMore,
        }
    }

    fn parse(
        &self,
        region: &str,
        start: RegionStart,
        cx: &mut ParseCx<'_>,
    ) -> Result<(), NormalizeError> {
        let RegionStart::Opener(opener) = start else {
            return Ok(());
        };
        let Ok(header) = header(region, opener) else {
            return Err(NormalizeError::malformed(
                NAME,
                0,
                "malformed message header",
            ));
        };
        let end = body_end(region, &header, true).map_or(region.len(), |end| end.body);
        report(region, &header, end, cx)
    }

    fn scan_parse(
        &self,
        text: &str,
        start: RegionStart,
        at_eof: bool,
        cx: &mut ParseCx<'_>,
    ) -> Option<usize> {
        let RegionStart::Opener(opener) = start else {
            return None;
        };
        let header = header(text, opener).ok()?;
        let end = body_end(text, &header, at_eof)?;
        report(text.get(..end.region)?, &header, end.body, cx).ok()?;
        Some(end.region)
    }

    fn partial(&self, region: &str, start: RegionStart) -> Vec<PartialCall> {
        partial(region, start)
    }
}

/// Report what the message of `region` with this `header` holds; its body
/// ends at `end`.
fn report(
    region: &str,
    header: &Header,
    end: usize,
    cx: &mut ParseCx<'_>,
) -> Result<(), NormalizeError> {
    let body = slice(region, header.body, end);
    let Some(tool) = header.tool(region) else {
        if header.channel(region) == "analysis" {
            cx.reasoning(body);
        } else {
            cx.text(body);
        }
        return Ok(());
    };
    let trimmed = body.trim_start();
    let offset = header.body + body.len() - trimmed.len();
    let trimmed = trimmed.trim_end();
    let args = if trimmed.starts_with(['{', '[']) {
        match json::parse_value(trimmed, NAME, "arguments", tool)
            .map_err(|err| err.shifted(offset))?
        {
            Value::Null => Value::Object(Map::new()),
            other => other,
        }
    } else if header.wants_json(region) {
        return Err(NormalizeError::malformed(
            NAME,
            offset,
            "expected JSON arguments after a json content type",
        ));
    } else {
        Value::String(trimmed.to_owned())
    };
    let name_at = header.recipient.map_or(0, |(from, _)| from);
    json::report_call(cx, NAME, name_at, tool.to_owned(), args, None)
}

/// See [`ToolCallFormat::partial`].
fn partial(region: &str, start: RegionStart) -> Vec<PartialCall> {
    let RegionStart::Opener(opener) = start else {
        return Vec::new();
    };
    let Ok(header) = header(region, opener) else {
        return Vec::new();
    };
    let Some(tool) = header.tool(region) else {
        return Vec::new();
    };
    let from = skip_ws(region, header.body);
    let json = matches!(region.as_bytes().get(from), Some(b'{' | b'['));
    let to = match value_end(region, from) {
        JsonEnd::Complete(end) if json => end,
        JsonEnd::Incomplete if json => region.len(),
        _ => body_end(region, &header, false).map_or(region.len(), |end| end.body),
    };
    vec![PartialCall {
        name: Some(tool.to_owned()),
        id: None,
        arguments: slice(region, from, to).to_owned(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str, opener: usize) -> Header {
        header(text, opener).unwrap()
    }

    #[test]
    fn headers_in_every_order() {
        let text =
            "<|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>";
        let h = head(text, 0);
        assert_eq!(h.tool(text), Some("f"));
        assert_eq!(h.channel(text), "commentary");
        assert!(h.wants_json(text));
        assert_eq!(h.body, text.len());

        let text = "<|start|>assistant to=functions.f<|channel|>commentary json<|message|>";
        let h = head(text, 0);
        assert_eq!(h.tool(text), Some("f"));
        assert!(h.wants_json(text));

        let text = "<|channel|>analysis to=python code<|message|>";
        let h = head(text, 1);
        assert_eq!(h.tool(text), Some("python"));
        assert_eq!(h.channel(text), "analysis");
        assert!(!h.wants_json(text));

        let text = "<|channel|>final<|message|>";
        assert_eq!(head(text, 1).tool(text), None);
        let text = "<|start|>assistant to=user<|channel|>final<|message|>";
        assert_eq!(head(text, 0).tool(text), None);
    }

    #[test]
    fn headers_that_are_not_headers() {
        assert_eq!(
            header("<|channel|>, then prose", 1).unwrap_err(),
            RegionScan::NotACall
        );
        assert_eq!(
            header("<|channel|>final<|mess", 1).unwrap_err(),
            RegionScan::NeedMore
        );
        let long = format!("<|channel|>{}", "a".repeat(MAX_HEADER + 1));
        assert_eq!(header(&long, 1).unwrap_err(), RegionScan::NotACall);
        assert_eq!(
            header(&long[..MAX_HEADER], 1).unwrap_err(),
            RegionScan::NeedMore
        );
    }
}
