//! Tools: the side-effectful capabilities that skills and agents call, and
//! the envelope that keeps their results small enough to hand to a model.
//!
//! Raw tool output is unbounded: a search tool may return megabytes of rows,
//! a shell tool an entire log file. Before such output reaches a model turn,
//! a trace record or a cache it is usually passed through
//! [`ToolResultEnvelope::bound`] (or [`bound_tool_result`] with default
//! limits), which redacts configured JSON pointers, clamps strings and arrays
//! and enforces a byte budget on the serialized payload, while recording
//! exactly what was left out so a caller can page the rest.

mod envelope;

pub use envelope::*;
