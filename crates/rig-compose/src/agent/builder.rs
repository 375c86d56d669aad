//! [`GenericAgentBuilder`]: declarative configuration of a [`GenericAgent`].

use std::fmt;
use std::sync::Arc;

use super::{AgentLifecycleHook, GenericAgent};
use crate::registry::{KernelError, SkillRegistry, ToolRegistry};

/// Collects skill ids, a tool allow-list and lifecycle hooks; names are
/// resolved against registries only in [`build`](Self::build), so one
/// configuration can be built against different registries.
///
/// ```
/// use rig_compose::{GenericAgent, KernelError, SkillRegistry, ToolRegistry};
///
/// let err = GenericAgent::builder("analyst")
///     .with_skills(["not.registered"])
///     .build(&SkillRegistry::new(), &ToolRegistry::new())
///     .unwrap_err();
/// assert!(matches!(err, KernelError::SkillNotFound(id) if id == "not.registered"));
///
/// let agent = GenericAgent::builder("analyst")
///     .with_tools(["lookup"])
///     .short_circuit_on_conclude(false)
///     .build(&SkillRegistry::new(), &ToolRegistry::new())
///     .unwrap();
/// assert!(agent.tools().is_scoped());
/// assert!(!agent.short_circuit_on_conclude);
/// ```
pub struct GenericAgentBuilder {
    name: String,
    skill_ids: Vec<String>,
    /// `None` gives the agent the whole tool registry.
    tool_names: Option<Vec<String>>,
    hooks: Vec<Arc<dyn AgentLifecycleHook>>,
    short_circuit: bool,
}

impl GenericAgentBuilder {
    pub(super) fn named(name: String) -> Self {
        Self {
            name,
            skill_ids: Vec::new(),
            tool_names: None,
            hooks: Vec::new(),
            short_circuit: true,
        }
    }

    /// Append skill ids to the chain; repeated calls accumulate.
    pub fn with_skills<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for id in ids {
            self.skill_ids.push(id.into());
        }
        self
    }

    /// Limit the agent to the named tools. A later call replaces the list
    /// rather than extending it; never calling it leaves every tool visible.
    pub fn with_tools<I, S>(self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let allow_list: Vec<String> = names.into_iter().map(Into::into).collect();
        Self {
            tool_names: Some(allow_list),
            ..self
        }
    }

    /// Whether a concluding skill stops the rest of the chain (default
    /// `true`).
    pub fn short_circuit_on_conclude(self, v: bool) -> Self {
        Self {
            short_circuit: v,
            ..self
        }
    }

    /// Add a lifecycle hook; hooks are called in the order they are added.
    pub fn with_lifecycle_hook(mut self, hook: Arc<dyn AgentLifecycleHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Resolve the skill chain in `skills` (failing with
    /// [`KernelError::SkillNotFound`] on the first unknown id) and scope
    /// `tools` to the allow-list, if one was given.
    pub fn build(
        self,
        skills: &SkillRegistry,
        tools: &ToolRegistry,
    ) -> Result<GenericAgent, KernelError> {
        let chain = skills.resolve_chain(&self.skill_ids)?;
        let tools = match self.tool_names {
            Some(names) => tools.scoped(names),
            None => tools.clone(),
        };
        Ok(GenericAgent::from_parts(
            self.name,
            chain,
            tools,
            self.hooks,
            self.short_circuit,
        ))
    }
}

impl fmt::Debug for GenericAgentBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenericAgentBuilder")
            .field("name", &self.name)
            .field("skill_ids", &self.skill_ids)
            .field("tool_names", &self.tool_names)
            .field("lifecycle_hooks", &self.hooks.len())
            .field("short_circuit_on_conclude", &self.short_circuit)
            .finish()
    }
}
