//! Delegation: other agents exposed as ordinary [`Tool`](crate::Tool)s.
//!
//! This is the default way for agents to cooperate. The parent's model
//! decides when to call a peer, exactly as it decides on any other tool; the
//! host only supplies what runs behind the call. Because the surface is a
//! tool, the peer can run in-process ([`InProcessAgentDelegate`]) today and
//! behind a remote transport such as MCP tomorrow without the parent
//! changing at all.
//!
//! For fixed, model-free routing by signal, see
//! [`CoordinatorAgent`](crate::CoordinatorAgent).

mod executor;
mod in_process;
mod registry;
mod tool;

pub use executor::{DelegateExecutor, DelegateName};
pub use in_process::InProcessAgentDelegate;
pub use registry::{DelegateDescriptor, DelegateRegistry};
pub use tool::DelegateTool;
