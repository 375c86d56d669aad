//! Argument schemas used to type the untyped text values of XML-style
//! formats.

use std::collections::HashMap;

use serde_json::Value;

use crate::registry::ToolRegistry;
use crate::tool::ToolSchema;

/// The argument JSON Schemas of a set of tools, by tool name.
///
/// XML-style formats (Qwen3-Coder, GLM, MiniMax M2, DSML, ...) write every
/// argument as text; with a `SchemaSet` they convert each value to the type
/// its schema declares.
///
/// ```
/// use rig_compose::normalizer::SchemaSet;
/// use serde_json::json;
///
/// let mut schemas = SchemaSet::new();
/// schemas.insert("get_weather", json!({
///     "type": "object",
///     "properties": {"days": {"type": "integer"}}
/// }));
/// assert!(schemas.args_schema("get_weather").is_some());
/// assert!(schemas.args_schema("other").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSet {
    by_tool: HashMap<String, Value>,
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) the argument schema of `tool`.
    pub fn insert(&mut self, tool: impl Into<String>, args_schema: Value) {
        self.by_tool.insert(tool.into(), args_schema);
    }

    /// The argument schema of `tool`.
    pub fn args_schema(&self, tool: &str) -> Option<&Value> {
        self.by_tool.get(tool)
    }

    /// The schemas of every tool in `registry`.
    pub fn from_registry(registry: &ToolRegistry) -> Self {
        Self::from_schemas(registry.schemas())
    }

    /// The argument schemas of `schemas`.
    pub fn from_schemas(schemas: impl IntoIterator<Item = ToolSchema>) -> Self {
        let by_tool = schemas
            .into_iter()
            .map(|schema| (schema.name, schema.args_schema))
            .collect();
        Self { by_tool }
    }

    /// How many tools have a schema.
    pub fn len(&self) -> usize {
        self.by_tool.len()
    }

    /// Whether no tool has a schema.
    pub fn is_empty(&self) -> bool {
        self.by_tool.is_empty()
    }
}
