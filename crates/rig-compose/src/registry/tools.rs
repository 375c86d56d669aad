//! The named, scoped catalogue of [`Tool`]s.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;

use super::KernelError;
use crate::tool::{Tool, ToolName, ToolSchema};

// Lookups hash a short name on every call; foldhash is several times faster
// than SipHash there and still seeded per process against collision attacks.
type ToolMap = HashMap<ToolName, Arc<dyn Tool>, foldhash::fast::RandomState>;
type NameSet = HashSet<ToolName, foldhash::fast::RandomState>;

/// A registry of tools indexed by name.
///
/// Cloning is cheap: clones share the same underlying catalogue, so a tool
/// registered through any clone is visible through all of them. A
/// [`scoped`](Self::scoped) view shares the catalogue too but only exposes
/// the names it was given, which is how an agent is limited to its
/// authorised tool surface.
///
/// Registering a second tool under an existing name replaces the first.
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::{KernelError, LocalTool, ToolRegistry, ToolSchema};
/// use serde_json::json;
///
/// # futures::executor::block_on(async {
/// let tools = ToolRegistry::new();
/// tools.register(Arc::new(LocalTool::new(
///     ToolSchema {
///         name: "echo".into(),
///         description: "returns its arguments".into(),
///         args_schema: json!({"type": "object"}),
///         result_schema: json!({"type": "object"}),
///     },
///     |args| async move { Ok(args) },
/// )));
///
/// assert_eq!(tools.invoke("echo", json!({"x": 1})).await?, json!({"x": 1}));
///
/// let none = tools.scoped(Vec::<String>::new());
/// assert!(matches!(none.get("echo"), Err(KernelError::ToolNotAuthorised(_))));
/// # Ok::<(), KernelError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Default)]
pub struct ToolRegistry {
    catalogue: Arc<RwLock<ToolMap>>,
    /// `None` exposes every tool; `Some` exposes only the listed names.
    visible: Option<Arc<NameSet>>,
}

impl fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<ToolName> = self.schemas().into_iter().map(|s| s.name).collect();
        f.debug_struct("ToolRegistry")
            .field("tools", &names)
            .field("scoped", &self.visible.is_some())
            .finish()
    }
}

impl ToolRegistry {
    /// Create an empty, unscoped registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `tool` under the name from its schema, replacing any tool already
    /// registered under that name.
    ///
    /// The catalogue is shared, so registering through a scoped view adds the
    /// tool for every clone; the view itself still only shows its own names.
    pub fn register(&self, tool: Arc<dyn Tool>) {
        let name = tool.name();
        self.write().insert(name, tool);
    }

    /// A view of the same catalogue that only exposes `names`.
    ///
    /// Names that are not (yet) registered may be listed; they become visible
    /// through the view once registered.
    pub fn scoped<I, S>(&self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            catalogue: Arc::clone(&self.catalogue),
            visible: Some(Arc::new(names.into_iter().map(Into::into).collect())),
        }
    }

    /// Look a tool up by name.
    ///
    /// A name outside this view's scope is reported as
    /// [`KernelError::ToolNotAuthorised`] even if no such tool exists, so a
    /// scoped caller learns nothing about tools it may not use.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Tool>, KernelError> {
        if !self.exposes(name) {
            return Err(KernelError::ToolNotAuthorised(name.to_owned()));
        }
        self.read()
            .get(name)
            .cloned()
            .ok_or_else(|| KernelError::ToolNotFound(name.to_owned()))
    }

    /// Look up `name` and invoke it with `args`.
    pub async fn invoke(&self, name: &str, args: Value) -> Result<Value, KernelError> {
        // Resolve first so the lock is not held across the tool's await.
        let tool = self.get(name)?;
        tool.invoke(args).await
    }

    /// Number of tools visible through this view.
    pub fn len(&self) -> usize {
        let catalogue = self.read();
        match &self.visible {
            None => catalogue.len(),
            Some(names) => names.iter().filter(|n| catalogue.contains_key(*n)).count(),
        }
    }

    /// Whether no tool is visible through this view.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schemas of every visible tool, sorted by name.
    pub fn schemas(&self) -> Vec<ToolSchema> {
        // Collect handles first: `Tool::schema` is user code and must not run
        // under the registry lock.
        let visible: Vec<Arc<dyn Tool>> = {
            let catalogue = self.read();
            catalogue
                .iter()
                .filter(|(name, _)| self.exposes(name))
                .map(|(_, tool)| Arc::clone(tool))
                .collect()
        };
        let mut schemas: Vec<ToolSchema> = visible.iter().map(|tool| tool.schema()).collect();
        schemas.sort_by(|a, b| a.name.cmp(&b.name));
        schemas
    }

    /// Catalogue snapshot for discovery and export; the same as
    /// [`schemas`](Self::schemas), kept as a separate name so callers need not
    /// assume the descriptor and the execution contract stay one type.
    pub fn descriptors(&self) -> Vec<ToolSchema> {
        self.schemas()
    }

    /// Whether this view is restricted by [`scoped`](Self::scoped).
    pub fn is_scoped(&self) -> bool {
        self.visible.is_some()
    }

    fn exposes(&self, name: &str) -> bool {
        self.visible
            .as_ref()
            .is_none_or(|names| names.contains(name))
    }

    // A panic inside `Tool::name` while registering cannot leave the map
    // half-written, so a poisoned lock still guards consistent data.
    fn read(&self) -> std::sync::RwLockReadGuard<'_, ToolMap> {
        self.catalogue
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, ToolMap> {
        self.catalogue
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::LocalTool;
    use serde_json::json;

    fn tool(name: &str, reply: Value) -> Arc<dyn Tool> {
        let schema = ToolSchema {
            name: name.into(),
            description: format!("test tool {name}"),
            args_schema: json!({}),
            result_schema: json!({}),
        };
        Arc::new(LocalTool::new(schema, move |_| {
            let reply = reply.clone();
            async move { Ok(reply) }
        }))
    }

    #[tokio::test]
    async fn invoke_routes_by_name() {
        let reg = ToolRegistry::new();
        reg.register(tool("a", json!(1)));
        reg.register(tool("b", json!(2)));
        assert_eq!(reg.invoke("b", json!({})).await.unwrap(), json!(2));
        assert!(matches!(
            reg.invoke("c", json!({})).await,
            Err(KernelError::ToolNotFound(n)) if n == "c"
        ));
    }

    #[tokio::test]
    async fn re_registering_replaces() {
        let reg = ToolRegistry::new();
        reg.register(tool("a", json!("old")));
        reg.register(tool("a", json!("new")));
        assert_eq!(reg.len(), 1);
        assert_eq!(reg.invoke("a", json!({})).await.unwrap(), json!("new"));
    }

    #[test]
    fn scoped_view_hides_and_shares() {
        let reg = ToolRegistry::new();
        reg.register(tool("read", json!(null)));
        reg.register(tool("write", json!(null)));
        let view = reg.scoped(["read", "later"]);
        assert_eq!(view.len(), 1);
        assert!(view.is_scoped() && !reg.is_scoped());
        assert!(matches!(
            view.get("write"),
            Err(KernelError::ToolNotAuthorised(_))
        ));
        assert!(matches!(
            view.get("later"),
            Err(KernelError::ToolNotFound(_))
        ));
        // Registering through the parent becomes visible through the view.
        reg.register(tool("later", json!(null)));
        assert!(view.get("later").is_ok());
        assert_eq!(view.len(), 2);
        // And the view's registrations reach the parent.
        view.register(tool("extra", json!(null)));
        assert!(reg.get("extra").is_ok());
        assert!(view.get("extra").is_err());
    }

    #[test]
    fn schemas_are_sorted_and_scoped() {
        let reg = ToolRegistry::new();
        for n in ["zeta", "alpha", "mid"] {
            reg.register(tool(n, json!(null)));
        }
        let names: Vec<_> = reg.schemas().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["alpha", "mid", "zeta"]);
        let view = reg.scoped(["zeta", "alpha"]);
        let names: Vec<_> = view.descriptors().into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["alpha", "zeta"]);
        assert!(ToolRegistry::new().is_empty());
    }
}
