//! [`Workflow`]: a unit of orchestration built from agents.

use async_trait::async_trait;

use crate::registry::KernelError;

/// A named orchestration over one or more agents, with its own input and
/// output types (for example a router fanning blocks out to specialists).
///
/// ```
/// use async_trait::async_trait;
/// use rig_compose::{KernelError, Workflow};
///
/// struct Count;
///
/// #[async_trait]
/// impl Workflow for Count {
///     type Input = Vec<String>;
///     type Output = usize;
///     fn name(&self) -> &str { "count" }
///     async fn run(&self, input: Vec<String>) -> Result<usize, KernelError> {
///         Ok(input.len())
///     }
/// }
///
/// let n = futures::executor::block_on(Count.run(vec!["a".into(), "b".into()])).unwrap();
/// assert_eq!(n, 2);
/// ```
#[async_trait]
pub trait Workflow: Send + Sync {
    /// What the workflow consumes.
    type Input: Send;
    /// What the workflow produces.
    type Output: Send;

    /// A stable name for logs and traces.
    fn name(&self) -> &str;

    /// Run the workflow once.
    async fn run(&self, input: Self::Input) -> Result<Self::Output, KernelError>;
}
