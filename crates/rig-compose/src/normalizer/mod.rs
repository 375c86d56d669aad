//! Tool-call normalization and dispatch.
//!
//! Model output, as in-band text markers or provider JSON, becomes
//! [`ToolInvocation`]s, which the dispatch functions run through a hook chain
//! and a [`ToolRegistry`](crate::ToolRegistry).

mod hook;
mod invocation;

pub use hook::ToolDispatchHook;
pub use invocation::{
    ToolDispatchAction, ToolInvocation, ToolInvocationOutcome, ToolInvocationResult,
};
