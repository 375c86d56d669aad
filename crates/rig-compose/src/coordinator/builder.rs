//! [`CoordinatorBuilder`]: assembles a [`CoordinatorAgent`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::{CoordinatorAgent, RoutingRule};
use crate::agent::Agent;

/// Collects rules, specialists and an optional fallback for a
/// [`CoordinatorAgent`]; start one with [`CoordinatorAgent::builder`].
pub struct CoordinatorBuilder {
    name: String,
    specialists: HashMap<String, Arc<dyn Agent>>,
    rules: Vec<RoutingRule>,
    fallback: Option<String>,
}

impl CoordinatorBuilder {
    pub(super) fn named(name: String) -> Self {
        Self {
            name,
            specialists: HashMap::new(),
            rules: Vec::new(),
            fallback: None,
        }
    }

    /// Append a rule; earlier rules take precedence.
    pub fn route(mut self, rule: RoutingRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Register a specialist under its [`Agent::name`], replacing any
    /// specialist already registered under that name.
    pub fn with_specialist(mut self, agent: Arc<dyn Agent>) -> Self {
        let name = agent.name().to_owned();
        self.specialists.insert(name, agent);
        self
    }

    /// Name the specialist used when no rule leads to a registered one.
    pub fn fallback(mut self, name: impl Into<String>) -> Self {
        self.fallback = Some(name.into());
        self
    }

    /// Finish the coordinator. Rules and the fallback may name specialists
    /// that were never registered; such targets are simply never chosen.
    pub fn build(self) -> CoordinatorAgent {
        CoordinatorAgent::from_parts(self.name, self.rules, self.specialists, self.fallback)
    }
}

impl fmt::Debug for CoordinatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.specialists.keys().collect();
        names.sort();
        f.debug_struct("CoordinatorBuilder")
            .field("name", &self.name)
            .field("rules", &self.rules)
            .field("specialists", &names)
            .field("fallback", &self.fallback)
            .finish()
    }
}
