//! Registries: the composition surfaces agents draw tools and skills from.
//!
//! Both are shared, indexed by name, and cheap to clone. Agents refer to
//! entries by name and never own them, so one tool or skill instance can
//! serve any number of agents.

mod error;
mod skills;
mod tools;

pub use error::KernelError;
pub use skills::{SkillDescriptor, SkillRegistry};
pub use tools::ToolRegistry;
