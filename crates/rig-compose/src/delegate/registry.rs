//! [`DelegateRegistry`]: executors the host makes available by name.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::{DelegateExecutor, DelegateName};

type ExecutorMap = HashMap<DelegateName, Arc<dyn DelegateExecutor>>;

/// Catalogue entry for one registered delegate executor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegateDescriptor {
    /// The name the executor is registered under.
    pub name: DelegateName,
}

/// Delegate executors supplied by the host, looked up by name when a
/// manifest is materialized. Clones share one catalogue; registering an
/// existing name replaces its executor.
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::{DelegateRegistry, GenericAgent, InProcessAgentDelegate, SkillRegistry, ToolRegistry};
///
/// let child = GenericAgent::builder("child")
///     .build(&SkillRegistry::new(), &ToolRegistry::new())
///     .unwrap();
/// let delegates = DelegateRegistry::new();
/// delegates.register("child", InProcessAgentDelegate::arc(Arc::new(child)));
/// assert!(delegates.get("child").is_some());
/// assert!(delegates.get("other").is_none());
/// assert_eq!(delegates.descriptors()[0].name, "child");
/// ```
#[derive(Clone, Default)]
pub struct DelegateRegistry {
    executors: Arc<RwLock<ExecutorMap>>,
}

impl DelegateRegistry {
    /// Create an empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register `executor` under `name`, replacing any previous one.
    pub fn register(&self, name: impl Into<String>, executor: Arc<dyn DelegateExecutor>) {
        self.write().insert(name.into(), executor);
    }

    /// The executor registered under `name`, if any.
    pub fn get(&self, name: &str) -> Option<Arc<dyn DelegateExecutor>> {
        self.read().get(name).cloned()
    }

    /// Number of registered executors.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether no executor is registered.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// A descriptor per registered executor, sorted by name.
    pub fn descriptors(&self) -> Vec<DelegateDescriptor> {
        let mut names: Vec<DelegateName> = self.read().keys().cloned().collect();
        names.sort();
        names
            .into_iter()
            .map(|name| DelegateDescriptor { name })
            .collect()
    }

    // Entries are inserted whole, so a poisoned lock still guards a
    // consistent map.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, ExecutorMap> {
        self.executors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, ExecutorMap> {
        self.executors
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for DelegateRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<DelegateName> = self.descriptors().into_iter().map(|d| d.name).collect();
        f.debug_struct("DelegateRegistry")
            .field("delegates", &names)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::KernelError;
    use async_trait::async_trait;
    use serde_json::{Value, json};

    struct Constant(i64);

    #[async_trait]
    impl DelegateExecutor for Constant {
        async fn invoke(&self, _args: Value) -> Result<Value, KernelError> {
            Ok(json!(self.0))
        }
    }

    #[tokio::test]
    async fn register_get_replace_and_share() {
        let reg = DelegateRegistry::new();
        assert!(reg.is_empty());
        let clone = reg.clone();
        clone.register("k", Arc::new(Constant(1)));
        reg.register(String::from("k"), Arc::new(Constant(2)));
        assert_eq!(reg.len(), 1);
        let exec = reg.get("k").unwrap();
        assert_eq!(exec.invoke(json!(null)).await.unwrap(), json!(2));
        assert!(reg.get("missing").is_none());
    }

    #[test]
    fn descriptors_are_sorted() {
        let reg = DelegateRegistry::new();
        for name in ["zeta", "alpha", "mid"] {
            reg.register(name, Arc::new(Constant(0)));
        }
        let names: Vec<_> = reg.descriptors().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["alpha", "mid", "zeta"]);
        assert!(format!("{reg:?}").contains("alpha"));
        let wire = serde_json::to_value(&reg.descriptors()[0]).unwrap();
        assert_eq!(wire, json!({"name": "alpha"}));
    }
}
