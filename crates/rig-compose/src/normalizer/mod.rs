//! Tool-call normalization and dispatch.
//!
//! Models report tool calls either in-band, written into their text in a
//! family-specific syntax, or as structured provider JSON. This module turns
//! both into [`ToolInvocation`]s, whole or streamed, and the dispatch
//! functions run those through a chain of [`ToolDispatchHook`]s and a
//! [`ToolRegistry`](crate::ToolRegistry), so policy, budgets and tracing
//! never see provider formats.
//!
//! # Text formats
//!
//! Every model family's syntax is a [`ToolCallFormat`] value (see
//! [`formats`] and [`all_formats`]), found by its name or by the parser
//! names vLLM and SGLang use ([`format_by_name`]), or guessed from a model
//! name ([`format_for_model`]). A [`TextNormalizer`] applies one format, or
//! detects it ([`TextNormalizer::auto`]), and returns a [`Normalized`]
//! output: the calls with their ids, the visible text, the reasoning text
//! and warnings. [`TextNormalizer::stream`] gives a
//! [`StreamingNormalizer`] that takes chunks split anywhere and emits
//! [`StreamEvent`]s which always add up to the whole-text result.
//!
//! ```
//! use rig_compose::normalizer::TextNormalizer;
//!
//! let out = TextNormalizer::auto()
//!     .normalize_text("<think>Weather needs a tool.</think>Checking.\n<tool_call>\n\
//!         {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}}\n</tool_call>")
//!     .unwrap();
//! assert_eq!(out.format, Some("hermes"));
//! assert_eq!(out.reasoning, "Weather needs a tool.");
//! assert_eq!(out.text, "Checking.\n");
//! assert_eq!(out.calls[0].invocation.args["city"], "Lyon");
//! ```
//!
//! The 0.5 normalizers are unchanged: [`LfmNormalizer`] for LiquidAI LFM
//! text and [`StructuredToolCallNormalizer`] for OpenAI Responses and Chat
//! Completions payloads.
//!
//! ```
//! use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
//!
//! let raw = "<|tool_call_start|>[get_weather(city='Berlin')]<|tool_call_end|>";
//! let calls = LfmNormalizer.normalize(raw).unwrap();
//! assert_eq!(calls[0].name, "get_weather");
//! assert_eq!(calls[0].args["city"], "Berlin");
//! ```
//!
//! # Robustness
//!
//! Model output is untrusted. Every parser finds object boundaries by
//! balanced scanning (a closing tag or brace inside a string argument never
//! ends a call), never panics, never recurses without bound, and rejects
//! input beyond the documented [`limits`]. Failures are typed
//! [`NormalizeError`]s that say what was wrong and the byte offset; the 0.5
//! trait reports them as
//! [`KernelError::NormalizerFailed`](crate::KernelError) with the same text.
//! Output cut off inside a call is [`NormalizeError::Incomplete`], never a
//! call.
//!
//! # Layout
//!
//! `format` defines the trait, `segment` is the single driver behind both
//! whole-text (`text`) and streaming (`stream`) normalization, `markers`
//! finds markers, `catalog` names the shipped formats, `formats/` has one
//! file per model family, `json` and `typing` are shared by the formats.
//! Provider JSON shapes live in [`providers`] (whole and streamed, with ids
//! and reasoning) and in `structured` (the 0.5 API); the dispatch loop in
//! `dispatch`.

mod bounded;
mod catalog;
mod diag;
mod dispatch;
mod error;
mod format;
pub mod formats;
mod hook;
mod invocation;
mod json;
pub mod limits;
mod literal;
mod markers;
pub mod providers;
mod scan;
mod segment;
mod stream;
mod structured;
mod text;
mod traits;
mod typing;

pub use bounded::BoundedToolInvocationResult;
pub use catalog::{all_formats, auto_detected_formats, format_by_name, format_for_model};
pub use dispatch::{
    dispatch_tool_invocations, dispatch_tool_invocations_bounded,
    dispatch_tool_invocations_with_hooks, dispatch_tool_invocations_with_hooks_bounded,
    dispatch_tool_invocations_with_trace,
};
pub use error::NormalizeError;
pub use format::{
    NormalizeWarning, ParseCx, ParsedCall, PartialCall, ReasoningCalls, ReasoningTags, RegionScan,
    RegionStart, THINK_TAGS, ToolCallFormat,
};
pub use formats::lfm::LfmNormalizer;
pub use hook::ToolDispatchHook;
pub use invocation::{
    ToolDispatchAction, ToolInvocation, ToolInvocationOutcome, ToolInvocationResult,
};
pub use limits::{MAX_INPUT_BYTES, MAX_NESTING_DEPTH};
pub use providers::{
    MAX_SSE_LINE_BYTES, Provider, ProviderStream, normalize_provider, normalize_provider_events,
};
pub use stream::{StreamEvent, StreamingNormalizer};
pub use structured::StructuredToolCallNormalizer;
pub use text::{Normalized, TextNormalizer};
pub use traits::ToolCallNormalizer;
pub use typing::SchemaSet;
