//! Tool-call normalization and dispatch.
//!
//! Models report tool calls either as structured provider JSON or as
//! in-band text markers. Normalizers turn both into [`ToolInvocation`]s, and
//! the dispatch functions run those through a chain of
//! [`ToolDispatchHook`]s and a [`ToolRegistry`](crate::ToolRegistry), so
//! policy, budgets and tracing never see provider formats.
//!
//! | Normalizer | Input |
//! |------------|-------|
//! | [`LfmNormalizer`] | LiquidAI LFM text: `<\|tool_call_start\|>[f(k=v)]<\|tool_call_end\|>` |
//! | [`StructuredToolCallNormalizer`] | OpenAI Responses `function_call` items and Chat Completions `tool_calls` |
//!
//! Every parser is hardened against hostile model output: it never panics,
//! never recurses without bound, and rejects input beyond the documented
//! [`limits`] with a [`KernelError::NormalizerFailed`](crate::KernelError)
//! that says what was wrong and where (byte offset or JSON path, and the
//! tool when known).
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
//! # Layout
//!
//! Text formats live one per file under `formats/` and share the byte
//! scanner (`scan`), the Python-literal parsers (`literal`) and located error
//! messages (`diag`). Provider JSON shapes live in [`providers`] (whole and
//! streamed, with ids and reasoning) and in `structured` (the 0.5 API); the
//! dispatch loop in `dispatch`.

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
pub use catalog::{all_formats, format_by_name, format_for_model};
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
