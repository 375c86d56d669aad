//! Tool calls in the JSON of hosted and local model APIs, whole or
//! streamed.
//!
//! | [`Provider`] | Whole payload | Stream events |
//! |--------------|---------------|---------------|
//! | `openai-chat` | `choices[0].message.tool_calls[].function` (arguments as JSON text) | `choices[0].delta.tool_calls[]` by `index`, finished by `finish_reason` |
//! | `openai-responses` | `output[]` `function_call` items | `response.output_item.*`, `response.function_call_arguments.*` by `item_id` |
//! | `anthropic` | `content[]` `tool_use` / `text` / `thinking` blocks | `content_block_start` / `_delta` (`input_json_delta`) / `_stop` by block `index` |
//! | `gemini` | `candidates[0].content.parts[]` `functionCall` / `text` / `thought` | successive responses, each call whole |
//! | `ollama` | `message.tool_calls[].function` (arguments as an object), `thinking` | successive chunks, each call whole |
//! | `cohere-v2` | `message.tool_calls[]` (JSON text), `content[]`, `tool_plan` | `tool-call-start` / `-delta` / `-end`, `content-delta`, `tool-plan-delta` |
//! | `cohere-v1` | `tool_calls[] {name, parameters}`, `text` | `tool-calls-chunk`, `tool-calls-generation`, `text-generation` |
//!
//! [`normalize_provider`] reads a whole payload; [`ProviderStream`] reads
//! its stream, one parsed event (or one SSE line) at a time, and emits the
//! same [`StreamEvent`]s as the text
//! [`StreamingNormalizer`](super::StreamingNormalizer). Folding the events
//! of a stream with [`Normalized::from_events`] gives what the whole
//! payload gives.
//!
//! Guarantees, for every shape:
//!
//! * A call is finished only when the provider says so (a stop event, a
//!   `finish_reason`, a `done` item) and its arguments parse. A stream that
//!   ends before that, or whose argument JSON stops midway, gives
//!   [`NormalizeError::Incomplete`] with the partial call, never a call.
//! * A payload of the wrong shape gives [`NormalizeError::Provider`] with
//!   the JSON path of the problem (`$.choices[0].message.tool_calls[1]`, or
//!   `event[7].delta` in a stream, counting events from 0).
//! * Argument text is parsed strictly: repeated keys are
//!   [`NormalizeError::DuplicateKey`], two values back to back
//!   (`{"a":1}{"a":1}`) are [`NormalizeError::ConcatenatedArguments`],
//!   other invalid JSON is a `Provider` error naming the call and the byte
//!   in the argument string. Argument text above
//!   [`MAX_INPUT_BYTES`] and arguments nested deeper
//!   than [`MAX_NESTING_DEPTH`](super::MAX_NESTING_DEPTH) are
//!   [`NormalizeError::LimitExceeded`]. Offsets in those errors are byte
//!   offsets in the call's argument text (0 for `Incomplete`).
//! * Event types a shape does not know are skipped, so new provider
//!   features do not break old code. Error events the provider sends are
//!   `Provider` errors carrying its message.
//! * Where a response holds several alternatives (`n > 1` choices, several
//!   candidates), only the first (index 0) is read.
//!
//! ```
//! use rig_compose::normalizer::{normalize_provider, Normalized, Provider, ProviderStream};
//! use serde_json::json;
//!
//! // Whole: an Anthropic message with thinking, text and a call.
//! let message = json!({
//!     "type": "message", "role": "assistant", "stop_reason": "tool_use",
//!     "content": [
//!         {"type": "thinking", "thinking": "Need the weather.", "signature": "sig"},
//!         {"type": "text", "text": "Checking."},
//!         {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}
//!     ]
//! });
//! let whole = normalize_provider(Provider::Anthropic, &message).unwrap();
//! assert_eq!(whole.reasoning, "Need the weather.");
//! assert_eq!(whole.calls[0].id.as_deref(), Some("toolu_1"));
//!
//! // Streamed: the same message as events.
//! let events = [
//!     json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
//!     json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Need the weather."}}),
//!     json!({"type": "content_block_stop", "index": 0}),
//!     json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
//!     json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Checking."}}),
//!     json!({"type": "content_block_stop", "index": 1}),
//!     json!({"type": "content_block_start", "index": 2, "content_block":
//!         {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
//!     json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Os"}}),
//!     json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "lo\"}"}}),
//!     json!({"type": "content_block_stop", "index": 2}),
//! ];
//! let mut stream = ProviderStream::new(Provider::Anthropic);
//! let mut all = Vec::new();
//! for event in &events {
//!     all.extend(stream.feed_event(event).unwrap());
//! }
//! all.extend(stream.finish().unwrap());
//! let streamed = Normalized::from_events(all);
//! assert_eq!(streamed.calls, whole.calls);
//! assert_eq!((streamed.text, streamed.reasoning), (whole.text, whole.reasoning));
//! ```

mod anthropic;
mod cohere;
mod common;
mod gemini;
mod ollama;
mod openai_chat;
mod openai_responses;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use self::common::{Path, Shape};
use super::error::NormalizeError;
use super::limits::MAX_INPUT_BYTES;
use super::stream::StreamEvent;
use super::text::Normalized;

/// Longest SSE line (or multi-line `data` field) a [`ProviderStream`]
/// buffers: four times [`MAX_INPUT_BYTES`], since the final event of some
/// APIs (`response.completed`) repeats the whole response, arguments
/// included.
pub const MAX_SSE_LINE_BYTES: usize = 4 * MAX_INPUT_BYTES;

/// A provider API whose tool-call JSON can be normalized.
///
/// ```
/// use rig_compose::normalizer::Provider;
/// use serde_json::json;
///
/// assert_eq!(Provider::from_name("openai").unwrap(), Provider::OpenAiChat);
/// assert_eq!("Cohere_V2".parse::<Provider>().unwrap(), Provider::CohereV2);
/// assert_eq!(Provider::Gemini.to_string(), "gemini");
/// assert!(Provider::from_name("bard").is_err());
///
/// let chunk = json!({"type": "content_block_delta", "index": 0,
///                    "delta": {"type": "text_delta", "text": "Hi"}});
/// assert_eq!(Provider::detect(&chunk), Some(Provider::Anthropic));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// OpenAI Chat Completions, and the servers that copy it (vLLM,
    /// llama.cpp, SGLang, Mistral, DeepSeek, OpenRouter, ...).
    OpenAiChat,
    /// OpenAI Responses.
    OpenAiResponses,
    /// Anthropic Messages.
    Anthropic,
    /// Google Gemini `generateContent` / `streamGenerateContent`.
    Gemini,
    /// Ollama `/api/chat`.
    Ollama,
    /// Cohere chat API v1.
    CohereV1,
    /// Cohere chat API v2.
    CohereV2,
}

impl Provider {
    /// Every provider, in declaration order.
    pub const ALL: [Provider; 7] = [
        Self::OpenAiChat,
        Self::OpenAiResponses,
        Self::Anthropic,
        Self::Gemini,
        Self::Ollama,
        Self::CohereV1,
        Self::CohereV2,
    ];

    /// Canonical name, e.g. `openai-chat`; also the `shape` of its errors.
    pub const fn name(self) -> &'static str {
        match self {
            Self::OpenAiChat => "openai-chat",
            Self::OpenAiResponses => "openai-responses",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Ollama => "ollama",
            Self::CohereV1 => "cohere-v1",
            Self::CohereV2 => "cohere-v2",
        }
    }

    /// Other names accepted by [`from_name`](Self::from_name).
    pub const fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::OpenAiChat => &[
                "openai",
                "chat-completions",
                "openai-chat-completions",
                "openai-compatible",
                "mistral-api",
            ],
            Self::OpenAiResponses => &["responses", "openai-response"],
            Self::Anthropic => &["anthropic-messages", "claude"],
            Self::Gemini => &["google", "google-gemini", "google-genai"],
            Self::Ollama => &["ollama-chat"],
            Self::CohereV1 => &[],
            Self::CohereV2 => &["cohere"],
        }
    }

    /// The provider with this name or alias; case, `-` and `_` do not
    /// matter.
    pub fn from_name(name: &str) -> Result<Self, NormalizeError> {
        let wanted = fold(name);
        Self::ALL
            .into_iter()
            .find(|p| {
                fold(p.name()) == wanted || p.aliases().iter().any(|alias| fold(alias) == wanted)
            })
            .ok_or_else(|| NormalizeError::UnknownFormat {
                name: name.to_owned(),
            })
    }

    /// Guess the provider from a whole payload or from one stream event,
    /// by the members only that provider uses. `None` when nothing is
    /// distinctive (an empty object, a bare chat message from a server
    /// that could be several).
    pub fn detect(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let str_of = |key: &str| object.get(key).and_then(Value::as_str);
        if let Some(kind) = str_of("type") {
            if kind == "response" || kind.starts_with("response.") {
                return Some(Self::OpenAiResponses);
            }
            match kind {
                "message_start"
                | "message_delta"
                | "message_stop"
                | "content_block_start"
                | "content_block_delta"
                | "content_block_stop"
                | "ping" => {
                    return Some(Self::Anthropic);
                }
                "message" if object.get("content").is_some_and(Value::is_array) => {
                    return Some(Self::Anthropic);
                }
                "error" if object.get("error").is_some_and(Value::is_object) => {
                    return Some(Self::Anthropic);
                }
                "error" if object.contains_key("sequence_number") => {
                    return Some(Self::OpenAiResponses);
                }
                "message-start" | "message-end" | "content-start" | "content-delta"
                | "content-end" | "tool-plan-delta" | "tool-call-start" | "tool-call-delta"
                | "tool-call-end" | "citation-start" | "citation-end" => {
                    return Some(Self::CohereV2);
                }
                _ => {}
            }
        }
        if object.contains_key("event_type") || object.contains_key("generation_id") {
            return Some(Self::CohereV1);
        }
        if object.contains_key("choices") {
            return Some(Self::OpenAiChat);
        }
        if str_of("object") == Some("response") || object.get("output").is_some_and(Value::is_array)
        {
            return Some(Self::OpenAiResponses);
        }
        if object.contains_key("candidates") || object.contains_key("promptFeedback") {
            return Some(Self::Gemini);
        }
        if let Some(message) = object.get("message").and_then(Value::as_object) {
            if object.contains_key("done") || object.contains_key("created_at") {
                return Some(Self::Ollama);
            }
            // Cohere v2 writes finish reasons in capitals (`TOOL_CALL`).
            let cohere_reason = str_of("finish_reason")
                .is_some_and(|r| !r.is_empty() && !r.bytes().any(|b| b.is_ascii_lowercase()));
            if cohere_reason || message.contains_key("tool_plan") {
                return Some(Self::CohereV2);
            }
            return None;
        }
        let v1_calls = object
            .get("tool_calls")
            .and_then(Value::as_array)
            .and_then(|calls| calls.first())
            .is_some_and(|call| call.get("parameters").is_some());
        if v1_calls
            || (object.get("text").is_some_and(Value::is_string)
                && object.contains_key("finish_reason"))
        {
            return Some(Self::CohereV1);
        }
        if object.contains_key("tool_calls") && object.contains_key("role") {
            return Some(Self::OpenAiChat);
        }
        None
    }
}

/// Lower-case, `_` as `-`, so `Cohere_V2` finds `cohere-v2`.
fn fold(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = NormalizeError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::from_name(name)
    }
}

/// The calls (with ids), visible text and reasoning of a whole provider
/// response. [`Normalized::format`] is the provider's name.
///
/// ```
/// use rig_compose::normalizer::{normalize_provider, NormalizeError, Provider};
/// use serde_json::json;
///
/// let response = json!({"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
///     "role": "assistant", "content": null,
///     "tool_calls": [
///         {"id": "call_a", "type": "function",
///          "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
///         {"id": "call_b", "type": "function",
///          "function": {"name": "get_time", "arguments": "{\"tz\": \"CET\"}"}}
///     ]}}]});
/// let out = normalize_provider(Provider::OpenAiChat, &response).unwrap();
/// assert_eq!(out.calls.len(), 2);
/// assert_eq!(out.calls[1].invocation.args["tz"], "CET");
/// assert_eq!(out.calls[1].id.as_deref(), Some("call_b"));
///
/// let broken = json!({"choices": [{"message": {"tool_calls": [
///     {"id": "c", "function": {"name": "f", "arguments": "{\"a\":1}{\"a\":1}"}}]}}]});
/// assert!(matches!(
///     normalize_provider(Provider::OpenAiChat, &broken),
///     Err(NormalizeError::ConcatenatedArguments { .. })
/// ));
/// ```
pub fn normalize_provider(
    provider: Provider,
    payload: &Value,
) -> Result<Normalized, NormalizeError> {
    match provider {
        Provider::OpenAiChat => openai_chat::whole(payload),
        Provider::OpenAiResponses => openai_responses::whole(payload),
        Provider::Anthropic => anthropic::whole(payload),
        Provider::Gemini => gemini::whole(payload),
        Provider::Ollama => ollama::whole(payload),
        Provider::CohereV1 => cohere::whole_v1(payload),
        Provider::CohereV2 => cohere::whole_v2(payload),
    }
}

/// Run a recorded stream through a [`ProviderStream`] and fold its events:
/// the result a whole payload of the same response gives.
///
/// ```
/// use rig_compose::normalizer::{normalize_provider_events, Provider};
/// use serde_json::json;
///
/// let chunks = [
///     json!({"message": {"role": "assistant", "content": "", "thinking": "Hmm."}, "done": false}),
///     json!({"message": {"role": "assistant", "content": "", "tool_calls": [
///         {"function": {"name": "add", "arguments": {"a": 1, "b": 2}}}]}, "done": false}),
///     json!({"message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop"}),
/// ];
/// let out = normalize_provider_events(Provider::Ollama, &chunks).unwrap();
/// assert_eq!(out.reasoning, "Hmm.");
/// assert_eq!(out.calls[0].invocation.args["b"], 2);
/// ```
pub fn normalize_provider_events<'a>(
    provider: Provider,
    events: impl IntoIterator<Item = &'a Value>,
) -> Result<Normalized, NormalizeError> {
    let mut stream = ProviderStream::new(provider);
    let mut all = Vec::new();
    for event in events {
        all.extend(stream.feed_event(event)?);
    }
    all.extend(stream.finish()?);
    let mut out = Normalized::from_events(all);
    out.format = Some(provider.name());
    Ok(out)
}

/// Per-shape streaming state.
#[derive(Debug, Clone)]
enum State {
    Chat(openai_chat::Stream),
    Responses(openai_responses::Stream),
    Anthropic(anthropic::Stream),
    Gemini(gemini::Stream),
    Ollama(ollama::Stream),
    CohereV1(cohere::StreamV1),
    CohereV2(cohere::StreamV2),
}

/// The SSE framing of a byte stream: the unfinished line and the `data`
/// of the unfinished event.
#[derive(Debug, Clone, Default)]
struct Sse {
    line: Vec<u8>,
    data: String,
    /// Bytes taken by [`ProviderStream::feed_sse_bytes`], for offsets.
    taken: usize,
}

/// Normalizes a provider's stream, event by event.
///
/// Feed each parsed event with [`feed_event`](Self::feed_event), or the raw
/// lines of a Server-Sent-Events body (or of newline-delimited JSON, as
/// Ollama and Cohere v1 send) with [`feed_sse_line`](Self::feed_sse_line) /
/// [`feed_sse_bytes`](Self::feed_sse_bytes); then call
/// [`finish`](Self::finish). Calls get their event `index` in the order
/// they first appear, and `CallFinished` events come in that order.
/// After an error the stream is spent: every later call returns the same
/// error.
///
/// ```
/// use rig_compose::normalizer::{Provider, ProviderStream, StreamEvent};
///
/// let body = concat!(
///     "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,",
///     "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"search\",\"arguments\":\"\"}}]}}]}\n\n",
///     "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"q\\\":\"}}]}}]}\n\n",
///     "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\" \\\"rust\\\"}\"}}]}}]}\n\n",
///     "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
///     "data: [DONE]\n\n",
/// );
/// let mut stream = ProviderStream::new(Provider::OpenAiChat);
/// let mut events = Vec::new();
/// // Network chunks may split lines anywhere.
/// for chunk in body.as_bytes().chunks(7) {
///     events.extend(stream.feed_sse_bytes(chunk).unwrap());
/// }
/// events.extend(stream.finish().unwrap());
/// assert_eq!(events[0], StreamEvent::CallStarted {
///     index: 0, name: "search".into(), id: Some("call_1".into()) });
/// let StreamEvent::CallFinished { call, .. } = events.last().unwrap() else { panic!() };
/// assert_eq!(call.invocation.args["q"], "rust");
///
/// // Cut off before `finish_reason`, mid-arguments: unfinished, not a call.
/// let mut cut = ProviderStream::new(Provider::OpenAiChat);
/// cut.feed_sse_bytes(&body.as_bytes()[..body.find("\n\n").unwrap() + 2]).unwrap();
/// let err = cut.finish().unwrap_err();
/// assert!(err.is_incomplete());
/// ```
#[derive(Debug, Clone)]
pub struct ProviderStream {
    provider: Provider,
    state: State,
    /// Events fed so far (the number of the next one).
    seen: usize,
    sse: Sse,
    failed: Option<NormalizeError>,
    finished: bool,
}

impl ProviderStream {
    /// A stream reader for `provider`.
    pub fn new(provider: Provider) -> Self {
        let state = match provider {
            Provider::OpenAiChat => State::Chat(openai_chat::Stream::new()),
            Provider::OpenAiResponses => State::Responses(openai_responses::Stream::new()),
            Provider::Anthropic => State::Anthropic(anthropic::Stream::new()),
            Provider::Gemini => State::Gemini(gemini::Stream::new()),
            Provider::Ollama => State::Ollama(ollama::Stream::new()),
            Provider::CohereV1 => State::CohereV1(cohere::StreamV1::new()),
            Provider::CohereV2 => State::CohereV2(cohere::StreamV2::new()),
        };
        Self {
            provider,
            state,
            seen: 0,
            sse: Sse::default(),
            failed: None,
            finished: false,
        }
    }

    /// The provider this stream reads.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// How many events have been fed.
    pub fn events_seen(&self) -> usize {
        self.seen
    }

    fn shape(&self) -> Shape {
        Shape(self.provider.name())
    }

    fn check_usable(&self) -> Result<(), NormalizeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.finished {
            return Err(self
                .shape()
                .err(&Path::event(self.seen), "stream already finished"));
        }
        Ok(())
    }

    /// Remember `result`'s error, so the stream stays failed.
    fn keep<T>(&mut self, result: Result<T, NormalizeError>) -> Result<T, NormalizeError> {
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    /// Feed one parsed event (one chunk, for Gemini and Ollama); returns the
    /// events it completed.
    pub fn feed_event(&mut self, event: &Value) -> Result<Vec<StreamEvent>, NormalizeError> {
        self.check_usable()?;
        let mut out = Vec::new();
        let result = self.dispatch(event, &mut out);
        self.keep(result)?;
        Ok(out)
    }

    fn dispatch(
        &mut self,
        event: &Value,
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), NormalizeError> {
        let at = Path::event(self.seen);
        self.seen += 1;
        match &mut self.state {
            State::Chat(s) => s.event(event, &at, out),
            State::Responses(s) => s.event(event, &at, out),
            State::Anthropic(s) => s.event(event, &at, out),
            State::Gemini(s) => s.event(event, &at, out),
            State::Ollama(s) => s.event(event, &at, out),
            State::CohereV1(s) => s.event(event, &at, out),
            State::CohereV2(s) => s.event(event, &at, out),
        }
    }

    /// Feed one line of a Server-Sent-Events body (`data: {...}`,
    /// `event: ...`, blank separators, `: comments`, `data: [DONE]`), or
    /// one line of newline-delimited JSON. An event is read as soon as its
    /// `data` is a complete JSON value, or at the blank line that ends it.
    pub fn feed_sse_line(&mut self, line: &str) -> Result<Vec<StreamEvent>, NormalizeError> {
        self.check_usable()?;
        let mut out = Vec::new();
        let result = self.line(line, &mut out);
        self.keep(result)?;
        Ok(out)
    }

    fn line(&mut self, line: &str, out: &mut Vec<StreamEvent>) -> Result<(), NormalizeError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return self.flush_data(out);
        }
        if line.starts_with('{') || line.starts_with('[') {
            // Newline-delimited JSON: the line is the event.
            self.flush_data(out)?;
            let event = self.parse_data(line)?;
            return self.dispatch(&event, out);
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field != "data" {
            // `event:`, `id:`, `retry:`, comments (empty field): every
            // shape names its events inside the JSON.
            return Ok(());
        }
        if self.sse.data.is_empty() && value == "[DONE]" {
            return Ok(());
        }
        if !self.sse.data.is_empty() {
            self.sse.data.push('\n');
        }
        if self.sse.data.len().saturating_add(value.len()) > MAX_SSE_LINE_BYTES {
            return Err(self.sse_too_long());
        }
        self.sse.data.push_str(value);
        match serde_json::from_str::<Value>(&self.sse.data) {
            Ok(event) => {
                self.sse.data.clear();
                self.dispatch(&event, out)
            }
            // Wait for more `data:` lines, or the blank line.
            Err(err) if err.is_eof() => Ok(()),
            Err(err) => Err(self.bad_data(&err)),
        }
    }

    fn sse_too_long(&self) -> NormalizeError {
        NormalizeError::LimitExceeded {
            format: self.provider.name(),
            offset: self.sse.taken,
            limit: format!("SSE line size {MAX_SSE_LINE_BYTES} bytes"),
        }
    }

    fn bad_data(&self, err: &serde_json::Error) -> NormalizeError {
        self.shape().err(
            &Path::event(self.seen),
            format!("event data is not JSON: {err}"),
        )
    }

    fn parse_data(&self, data: &str) -> Result<Value, NormalizeError> {
        serde_json::from_str(data).map_err(|err| self.bad_data(&err))
    }

    /// The blank line that ends an event: read what its `data` lines
    /// hold.
    fn flush_data(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), NormalizeError> {
        if self.sse.data.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.sse.data);
        let event = self.parse_data(&data)?;
        self.dispatch(&event, out)
    }

    /// Feed raw bytes of an SSE (or newline-delimited JSON) body, split
    /// anywhere; complete lines go to [`feed_sse_line`](Self::feed_sse_line).
    pub fn feed_sse_bytes(&mut self, chunk: &[u8]) -> Result<Vec<StreamEvent>, NormalizeError> {
        self.check_usable()?;
        let mut out = Vec::new();
        let result = self.bytes(chunk, &mut out);
        self.keep(result)?;
        Ok(out)
    }

    fn bytes(
        &mut self,
        mut chunk: &[u8],
        out: &mut Vec<StreamEvent>,
    ) -> Result<(), NormalizeError> {
        while let Some(end) = memchr::memchr(b'\n', chunk) {
            let (head, rest) = chunk.split_at(end);
            chunk = rest.get(1..).unwrap_or_default();
            let mut line = std::mem::take(&mut self.sse.line);
            line.extend_from_slice(head);
            let start = self.sse.taken;
            self.sse.taken += head.len() + 1;
            let text = std::str::from_utf8(&line).map_err(|err| NormalizeError::InvalidUtf8 {
                offset: start + err.valid_up_to(),
            })?;
            self.line(text, out)?;
        }
        if self.sse.line.len().saturating_add(chunk.len()) > MAX_SSE_LINE_BYTES {
            return Err(self.sse_too_long());
        }
        self.sse.line.extend_from_slice(chunk);
        Ok(())
    }

    /// End the stream: read a last unterminated line, and report a call
    /// that never finished as [`NormalizeError::Incomplete`].
    pub fn finish(&mut self) -> Result<Vec<StreamEvent>, NormalizeError> {
        self.check_usable()?;
        let mut out = Vec::new();
        let result = self.end(&mut out);
        self.keep(result)?;
        self.finished = true;
        Ok(out)
    }

    fn end(&mut self, out: &mut Vec<StreamEvent>) -> Result<(), NormalizeError> {
        if !self.sse.line.is_empty() {
            let line = std::mem::take(&mut self.sse.line);
            let start = self.sse.taken;
            let text = std::str::from_utf8(&line).map_err(|err| NormalizeError::InvalidUtf8 {
                offset: start + err.valid_up_to(),
            })?;
            self.line(text, out)?;
        }
        let cut = if self.sse.data.is_empty() {
            None
        } else {
            // Data that never became JSON: the connection dropped mid-event.
            let data = std::mem::take(&mut self.sse.data);
            match serde_json::from_str::<Value>(&data) {
                Ok(event) => {
                    self.dispatch(&event, out)?;
                    None
                }
                Err(_) => Some(data.len()),
            }
        };
        match &mut self.state {
            State::Chat(s) => s.finish(out),
            State::Responses(s) => s.finish(out),
            State::Anthropic(s) => s.finish(out),
            State::Gemini(s) => s.finish(out),
            State::Ollama(s) => s.finish(out),
            State::CohereV1(s) => s.finish(out),
            State::CohereV2(s) => s.finish(out),
        }?;
        match cut {
            Some(len) => Err(self.shape().err(
                &Path::event(self.seen),
                format!("stream ended inside an event ({len} bytes of data)"),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_fold_case_and_separators() {
        assert_eq!(fold(" OpenAI_Chat "), "openai-chat");
        assert_eq!(
            Provider::from_name("ANTHROPIC_MESSAGES").unwrap(),
            Provider::Anthropic
        );
    }

    #[test]
    fn detection_of_ambiguous_shapes() {
        let ollama = json!({"message": {"role": "assistant", "content": ""}, "done": false});
        assert_eq!(Provider::detect(&ollama), Some(Provider::Ollama));
        let cohere = json!({"message": {"role": "assistant"}, "finish_reason": "TOOL_CALL"});
        assert_eq!(Provider::detect(&cohere), Some(Provider::CohereV2));
        let lower = json!({"message": {"role": "assistant"}, "finish_reason": "stop"});
        assert_eq!(Provider::detect(&lower), None);
        let v1 = json!({"text": "", "tool_calls": [{"name": "f", "parameters": {}}]});
        assert_eq!(Provider::detect(&v1), Some(Provider::CohereV1));
        let bare_chat = json!({"role": "assistant", "tool_calls": []});
        assert_eq!(Provider::detect(&bare_chat), Some(Provider::OpenAiChat));
    }

    #[test]
    fn sse_lines_are_read_as_soon_as_their_data_is_complete() {
        let mut s = ProviderStream::new(Provider::Ollama);
        let first = s
            .feed_sse_line("data: {\"message\": {\"content\": \"a\"}}\r\n")
            .unwrap();
        assert_eq!(first, vec![StreamEvent::TextDelta("a".into())]);
        assert!(s.feed_sse_line("data: {\"message\":").unwrap().is_empty());
        assert!(
            s.feed_sse_line("data: {\"content\": \"b\"}}")
                .unwrap()
                .len()
                == 1
        );
        assert!(s.feed_sse_line("").unwrap().is_empty());
        assert!(s.feed_sse_line("event: x").unwrap().is_empty());
        assert!(s.feed_sse_line("data: [DONE]").unwrap().is_empty());
        assert_eq!(s.events_seen(), 2);
        assert!(s.finish().unwrap().is_empty());
        assert!(s.feed_sse_line("").is_err());
    }
}
