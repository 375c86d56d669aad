//! The policy/accounting/tracing seam around tool dispatch.

use async_trait::async_trait;

use super::{ToolDispatchAction, ToolInvocation, ToolInvocationOutcome, ToolInvocationResult};
use crate::registry::KernelError;

/// Hook run around every dispatched [`ToolInvocation`]: the place for
/// budgets, approval policy, tracing and metrics.
///
/// Hooks see only normalized calls and results, never provider formats.
///
/// # Call order and identity
///
/// For each invocation the dispatchers in this crate call, in hook order,
/// [`before_invocation`](Self::before_invocation), then either
/// [`after_invocation_with_outcome`](Self::after_invocation_with_outcome)
/// (tool ran or was skipped) or
/// [`on_invocation_error`](Self::on_invocation_error) (dispatch stopped).
/// All three receive the *same* `ToolInvocation` object — the `after` call
/// through `&result.invocation` — so a hook may key per-call state by the
/// invocation's address. Custom dispatchers should keep that guarantee by
/// building the [`ToolInvocationResult`] before calling any hook.
#[async_trait]
pub trait ToolDispatchHook: Send + Sync {
    /// Decide whether the call runs. Defaults to
    /// [`ToolDispatchAction::Continue`].
    async fn before_invocation(
        &self,
        _invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        Ok(ToolDispatchAction::Continue)
    }

    /// Observe a recorded result. Default: nothing.
    async fn after_invocation(&self, _result: &ToolInvocationResult) -> Result<(), KernelError> {
        Ok(())
    }

    /// Observe a recorded result and whether the tool ran or was skipped.
    /// Defaults to [`after_invocation`](Self::after_invocation), so hooks
    /// written before outcomes existed keep working.
    async fn after_invocation_with_outcome(
        &self,
        result: &ToolInvocationResult,
        _outcome: &ToolInvocationOutcome,
    ) -> Result<(), KernelError> {
        self.after_invocation(result).await
    }

    /// Dispatch stopped (tool error, termination, or a failing hook) after
    /// this hook may have seen the call; undo whatever
    /// [`before_invocation`](Self::before_invocation) acquired.
    async fn on_invocation_error(
        &self,
        _invocation: &ToolInvocation,
        _error: &KernelError,
    ) -> Result<(), KernelError> {
        Ok(())
    }
}
