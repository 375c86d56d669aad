//! The [`Tool`] trait and its schema.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::registry::KernelError;

/// The name a tool is registered and called under, e.g. `"get_weather"`.
pub type ToolName = String;

/// A tool's contract: its name, what it does, and JSON Schemas for its
/// arguments and result.
///
/// The schemas are plain JSON so they can be handed to any model provider
/// or transport unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSchema {
    /// Registry name.
    pub name: ToolName,
    /// What the tool does, written for the model.
    pub description: String,
    /// JSON Schema of the arguments object.
    pub args_schema: Value,
    /// JSON Schema of the result.
    pub result_schema: Value,
}

/// A named capability with side effects, invoked with JSON arguments.
///
/// Implementations should be cheap to share (hold state behind `Arc`), since
/// one instance is typically visible through many agents' scoped registries.
///
/// ```
/// use async_trait::async_trait;
/// use rig_compose::{KernelError, Tool, ToolSchema};
/// use serde_json::{json, Value};
///
/// struct Add;
///
/// #[async_trait]
/// impl Tool for Add {
///     fn schema(&self) -> ToolSchema {
///         ToolSchema {
///             name: "add".into(),
///             description: "adds a and b".into(),
///             args_schema: json!({"type": "object"}),
///             result_schema: json!({"type": "number"}),
///         }
///     }
///
///     async fn invoke(&self, args: Value) -> Result<Value, KernelError> {
///         let term = |k: &str| {
///             args.get(k)
///                 .and_then(Value::as_i64)
///                 .ok_or_else(|| KernelError::InvalidArgument(format!("`{k}` must be an integer")))
///         };
///         Ok(json!(term("a")? + term("b")?))
///     }
/// }
///
/// # futures::executor::block_on(async {
/// assert_eq!(Add.name(), "add");
/// assert_eq!(Add.invoke(json!({"a": 2, "b": 3})).await.unwrap(), json!(5));
/// assert!(Add.invoke(json!({"a": 2})).await.is_err());
/// # });
/// ```
#[async_trait]
pub trait Tool: Send + Sync {
    /// The tool's contract.
    fn schema(&self) -> ToolSchema;

    /// The registry name. Defaults to the schema's name; override it when
    /// building the schema is costly.
    fn name(&self) -> ToolName {
        self.schema().name
    }

    /// Run the tool.
    async fn invoke(&self, args: Value) -> Result<Value, KernelError>;
}
