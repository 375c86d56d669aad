//! [`DelegateExecutor`]: what runs behind a delegate tool.

use async_trait::async_trait;
use serde_json::Value;

use crate::registry::KernelError;

/// The key a host registers a delegate executor under. Manifests refer to
/// it through `delegates[].agent`, falling back to `delegates[].name`.
pub type DelegateName = String;

/// The implementation behind a [`DelegateTool`](super::DelegateTool): takes
/// the tool call's JSON arguments and returns its JSON result.
///
/// ```
/// use async_trait::async_trait;
/// use rig_compose::{DelegateExecutor, KernelError};
/// use serde_json::{json, Value};
///
/// struct Echo;
///
/// #[async_trait]
/// impl DelegateExecutor for Echo {
///     async fn invoke(&self, args: Value) -> Result<Value, KernelError> {
///         Ok(json!({"echo": args}))
///     }
/// }
///
/// let out = futures::executor::block_on(Echo.invoke(json!(1))).unwrap();
/// assert_eq!(out, json!({"echo": 1}));
/// ```
#[async_trait]
pub trait DelegateExecutor: Send + Sync {
    /// Handle one delegated call.
    async fn invoke(&self, args: Value) -> Result<Value, KernelError>;
}
