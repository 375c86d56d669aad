//! Tools: the kernel's only side-effectful interface.
//!
//! A [`Tool`] takes JSON arguments and returns JSON. Local closures
//! ([`LocalTool`]), delegate agents and remote transports such as MCP all
//! implement the same trait, so skills and dispatchers cannot tell them apart.

mod contract;
mod local;

pub use contract::{Tool, ToolName, ToolSchema};
pub use local::LocalTool;
