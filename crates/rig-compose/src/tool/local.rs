//! [`LocalTool`]: any async function as a [`Tool`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use super::{Tool, ToolName, ToolSchema};
use crate::registry::KernelError;

type BoxedCall =
    dyn Fn(Value) -> Pin<Box<dyn Future<Output = Result<Value, KernelError>> + Send>> + Send + Sync;

/// Wraps an `async Fn(Value) -> Result<Value, KernelError>` and a schema into
/// a [`Tool`], for hosts that want to expose an existing function without a
/// dedicated type. Clones share the function.
///
/// ```
/// use rig_compose::{LocalTool, Tool, ToolSchema};
/// use serde_json::json;
///
/// let upper = LocalTool::new(
///     ToolSchema {
///         name: "upper".into(),
///         description: "upper-cases `text`".into(),
///         args_schema: json!({"type": "object", "properties": {"text": {"type": "string"}}}),
///         result_schema: json!({"type": "string"}),
///     },
///     |args| async move {
///         Ok(json!(args["text"].as_str().unwrap_or_default().to_uppercase()))
///     },
/// );
/// let out = futures::executor::block_on(upper.invoke(json!({"text": "hi"}))).unwrap();
/// assert_eq!(out, json!("HI"));
/// ```
#[derive(Clone)]
pub struct LocalTool {
    schema: ToolSchema,
    call: Arc<BoxedCall>,
}

impl LocalTool {
    /// Build a tool from its schema and the function that implements it.
    pub fn new<F, Fut>(schema: ToolSchema, f: F) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, KernelError>> + Send + 'static,
    {
        let call: Arc<BoxedCall> = Arc::new(move |args| Box::pin(f(args)));
        Self { schema, call }
    }
}

impl fmt::Debug for LocalTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTool")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Tool for LocalTool {
    fn schema(&self) -> ToolSchema {
        self.schema.clone()
    }

    // Avoids cloning the whole schema just to read the name.
    fn name(&self) -> ToolName {
        self.schema.name.clone()
    }

    // Written out with the signature `#[async_trait]` generates so that the
    // function's already boxed future is returned as is, instead of being
    // boxed a second time inside an `async` wrapper: one allocation less per
    // call.
    fn invoke<'life0, 'async_trait>(
        &'life0 self,
        args: Value,
    ) -> Pin<Box<dyn Future<Output = Result<Value, KernelError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        (self.call)(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> ToolSchema {
        ToolSchema {
            name: "fail_on_odd".into(),
            description: String::new(),
            args_schema: json!({}),
            result_schema: json!({}),
        }
    }

    #[tokio::test]
    async fn forwards_arguments_and_errors() {
        let tool = LocalTool::new(schema(), |args| async move {
            match args["n"].as_i64() {
                Some(n) if n % 2 == 0 => Ok(json!(n / 2)),
                _ => Err(KernelError::ToolFailed("odd".into())),
            }
        });
        assert_eq!(tool.invoke(json!({"n": 8})).await.unwrap(), json!(4));
        assert!(matches!(
            tool.invoke(json!({"n": 3})).await,
            Err(KernelError::ToolFailed(m)) if m == "odd"
        ));
        assert_eq!(tool.name(), "fail_on_odd");
        assert_eq!(tool.clone().schema(), schema());
        assert!(format!("{tool:?}").contains("fail_on_odd"));
    }
}
