//! [`CoordinatorAgent`]: a fixed, model-free router over specialist agents.
//!
//! The coordinator is the *optional* delegation path. It looks at the
//! context's signals, picks a specialist by a fixed rule table and runs it,
//! with no model involved. That suits topologies known up front, such as an
//! overseer sending each partition to one specialist before any model is
//! loaded. When the model itself should choose which peer to call, expose
//! the peers as tools with [`DelegateTool`](crate::delegate::DelegateTool)
//! instead.
//!
//! The coordinator is itself an [`Agent`](crate::Agent), so workflows and
//! other coordinators can treat it like any specialist.

mod builder;
mod router;
mod rule;

pub use builder::CoordinatorBuilder;
pub use router::CoordinatorAgent;
pub use rule::RoutingRule;
