//! The policy/accounting/tracing seam around tool dispatch.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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
///
/// # Cost of the defaults
///
/// Implement the methods with `#[async_trait]` as usual. The provided
/// defaults are written out by hand with the same signatures so that they do
/// not allocate: a hook that overrides only some methods pays nothing for
/// the others, which matters because every hook is called for every tool
/// call.
#[async_trait]
pub trait ToolDispatchHook: Send + Sync {
    /// Decide whether the call runs. Defaults to
    /// [`ToolDispatchAction::Continue`].
    fn before_invocation<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _invocation: &'life1 ToolInvocation,
    ) -> Pin<Box<dyn Future<Output = Result<ToolDispatchAction, KernelError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(ReadyWith(|| Ok(ToolDispatchAction::Continue)))
    }

    /// Observe a recorded result. Default: nothing.
    fn after_invocation<'life0, 'life1, 'async_trait>(
        &'life0 self,
        _result: &'life1 ToolInvocationResult,
    ) -> Pin<Box<dyn Future<Output = Result<(), KernelError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(ReadyWith(|| Ok(())))
    }

    /// Observe a recorded result and whether the tool ran or was skipped.
    /// Defaults to [`after_invocation`](Self::after_invocation), so hooks
    /// written before outcomes existed keep working.
    fn after_invocation_with_outcome<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        result: &'life1 ToolInvocationResult,
        _outcome: &'life2 ToolInvocationOutcome,
    ) -> Pin<Box<dyn Future<Output = Result<(), KernelError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        // Hand back the inner future as is rather than boxing a wrapper.
        self.after_invocation(result)
    }

    /// Dispatch stopped (tool error, termination, or a failing hook) after
    /// this hook may have seen the call; undo whatever
    /// [`before_invocation`](Self::before_invocation) acquired. Default:
    /// nothing.
    fn on_invocation_error<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        _invocation: &'life1 ToolInvocation,
        _error: &'life2 KernelError,
    ) -> Pin<Box<dyn Future<Output = Result<(), KernelError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(ReadyWith(|| Ok(())))
    }

    /// The dispatch future was dropped (for example by a timeout or a
    /// `select!`) after this hook's
    /// [`before_invocation`](Self::before_invocation) returned and before the
    /// call's after or error callbacks finished. Undo synchronously whatever
    /// `before_invocation` acquired: this runs inside `Drop`, so it cannot
    /// await. Also called when an after or error callback of another hook
    /// failed and stopped dispatch before this hook was told how the call
    /// ended. It may arrive for a call this hook already closed; treat such
    /// a call as unknown. Default: nothing.
    fn on_invocation_cancelled(&self, _invocation: &ToolInvocation) {}
}

/// A future that is ready at once with `make()`. With a non-capturing
/// closure it is zero-sized, and boxing a zero-sized value does not touch
/// the allocator.
struct ReadyWith<F>(F);

impl<T, F: Fn() -> T + Unpin> Future for ReadyWith<F> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        Poll::Ready((self.0)())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    struct Defaults;
    impl ToolDispatchHook for Defaults {}

    /// Overrides only `after_invocation`; the outcome default must reach it.
    #[derive(Default)]
    struct AfterOnly(Mutex<Vec<String>>);

    #[async_trait]
    impl ToolDispatchHook for AfterOnly {
        async fn after_invocation(&self, result: &ToolInvocationResult) -> Result<(), KernelError> {
            self.0.lock().unwrap().push(result.invocation.name.clone());
            Ok(())
        }
    }

    fn result() -> ToolInvocationResult {
        ToolInvocationResult {
            invocation: ToolInvocation::new("t", json!({})).unwrap(),
            output: json!(null),
        }
    }

    #[tokio::test]
    async fn defaults_continue_and_succeed() {
        let result = result();
        let hook = Defaults;
        assert_eq!(
            hook.before_invocation(&result.invocation).await.unwrap(),
            ToolDispatchAction::Continue
        );
        hook.after_invocation(&result).await.unwrap();
        hook.after_invocation_with_outcome(&result, &ToolInvocationOutcome::Completed)
            .await
            .unwrap();
        let error = KernelError::ToolFailed("x".into());
        hook.on_invocation_error(&result.invocation, &error)
            .await
            .unwrap();
        assert_eq!(
            std::mem::size_of_val(&ReadyWith(|| Ok::<(), KernelError>(()))),
            0
        );
    }

    #[tokio::test]
    async fn outcome_default_forwards_to_after_invocation() {
        let hook = AfterOnly::default();
        let skipped = ToolInvocationOutcome::Skipped { reason: None };
        hook.after_invocation_with_outcome(&result(), &skipped)
            .await
            .unwrap();
        assert_eq!(*hook.0.lock().unwrap(), ["t"]);
    }
}
