//! Tools: the kernel's only side-effectful interface, and the envelope that
//! keeps their results small enough to hand to a model.
//!
//! A [`Tool`] takes JSON arguments and returns JSON. Local closures
//! ([`LocalTool`]), delegate agents and remote transports such as MCP all
//! implement the same trait, so skills and dispatchers cannot tell them apart.
//!
//! Raw tool output is unbounded: a search tool may return megabytes of rows,
//! a shell tool an entire log file. Before such output reaches a model turn,
//! a trace record or a cache it is usually passed through
//! [`ToolResultEnvelope::bound`] (or [`bound_tool_result`] with default
//! limits), which redacts configured JSON pointers, clamps strings and arrays
//! and enforces a byte budget on the serialized payload, while recording
//! exactly what was left out so a caller can page the rest.

mod contract;
mod envelope;
mod local;

pub use contract::{Tool, ToolName, ToolSchema};
pub use envelope::*;
pub use local::LocalTool;
