//! Running normalized calls through hooks and a [`ToolRegistry`].
//!
//! Calls run one after another, in the order given: that is the order the
//! model wrote them, and the kernel imposes no concurrency policy (callers
//! who know their tools are independent can run
//! [`ToolInvocation::dispatch`] concurrently themselves). The exact hook
//! protocol is documented on [`dispatch_tool_invocations_with_hooks`].

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::Value;

use super::{
    BoundedToolInvocationResult, ToolDispatchAction, ToolDispatchHook, ToolInvocation,
    ToolInvocationOutcome, ToolInvocationResult,
};
use crate::registry::{KernelError, ToolRegistry};
use crate::tool::{ToolResultEnvelope, ToolResultEnvelopeConfig};
use crate::trace::{DispatchTrace, DispatchTraceEvent, TracedAction, TracedOutcome};

/// Run `invocations` through `tools` in order, without hooks.
///
/// Stops at the first failing call and returns its error.
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::normalizer::{LfmNormalizer, ToolCallNormalizer};
/// use rig_compose::{LocalTool, ToolRegistry, ToolSchema, dispatch_tool_invocations};
/// use serde_json::json;
///
/// let tools = ToolRegistry::new();
/// tools.register(Arc::new(LocalTool::new(
///     ToolSchema {
///         name: "double".into(),
///         description: "doubles n".into(),
///         args_schema: json!({"type": "object"}),
///         result_schema: json!({"type": "integer"}),
///     },
///     |args| async move { Ok(json!(args["n"].as_i64().unwrap_or(0) * 2)) },
/// )));
///
/// let calls = LfmNormalizer
///     .normalize("<|tool_call_start|>[double(n=2), double(n=5)]<|tool_call_end|>")
///     .unwrap();
/// let results = futures::executor::block_on(dispatch_tool_invocations(&tools, &calls)).unwrap();
/// let outputs: Vec<_> = results.iter().map(|r| r.output.clone()).collect();
/// assert_eq!(outputs, [json!(4), json!(10)]);
/// ```
pub async fn dispatch_tool_invocations(
    tools: &ToolRegistry,
    invocations: &[ToolInvocation],
) -> Result<Vec<ToolInvocationResult>, KernelError> {
    run(tools, invocations, &[], None).await
}

/// Run `invocations` through `hooks` and `tools` in order.
///
/// # Per call
///
/// 1. The [`ToolInvocationResult`] is created first (a clone of the call,
///    output `null`), and every hook callback for this call receives that
///    one `ToolInvocation` — `before_invocation` and `on_invocation_error`
///    as `&result.invocation`, `after_invocation_with_outcome` via
///    `&result`. A hook may therefore key per-call state (a reservation,
///    a timer) by the invocation's address.
/// 2. `before_invocation` runs on each hook in order until one returns
///    something other than [`ToolDispatchAction::Continue`] or fails.
/// 3. Then:
///    * all hooks continued: the tool runs. If it (or the registry lookup)
///      fails, `on_invocation_error` runs on every hook and the error is
///      returned.
///    * a hook skipped: its output is recorded; later hooks' `before` is not
///      called.
///    * a hook terminated: `on_invocation_error` runs on every hook (also
///      those after it) with [`KernelError::ToolDispatchTerminated`], which is
///      then returned.
///    * a hook's `before` failed: `on_invocation_error` runs on the hooks
///      before it (those that may hold reservations) and the hook's error is
///      returned.
/// 4. On success `after_invocation_with_outcome` runs on every hook, in
///    order, and the result is kept.
///
/// An error from `on_invocation_error` or `after_invocation_with_outcome`
/// stops dispatch at once and is returned as is. Results of earlier calls are
/// discarded on any error; their tools have already run.
///
/// # Cancellation and panics
///
/// * **Dropped future.** Once a hook's `before_invocation` has returned, the
///   call is tracked by a drop guard until every after or error callback of
///   that call has finished. If the dispatch future is dropped in between
///   (a timeout, a `select!`, an aborted task) while a tool or a hook is
///   still pending, the guard calls
///   [`on_invocation_cancelled`](ToolDispatchHook::on_invocation_cancelled)
///   synchronously on every hook whose `before_invocation` returned for that
///   call, so reservations are returned without an executor. The same
///   happens when an after or error callback fails and stops dispatch: the
///   hooks that were not told how the call ended get
///   `on_invocation_cancelled` instead (hooks already told ignore it).
/// * **Panicking tool.** A panic while polling the tool's future is caught
///   and turned into [`KernelError::ToolFailed`] (`tool `x` panicked: …`),
///   so the error callbacks run as for any failing tool. The panic message
///   still goes to the panic hook (stderr by default). Builds with
///   `panic = "abort"` cannot catch it. Panics inside hooks are not caught;
///   they unwind through the dispatch future, which triggers the drop
///   guard above.
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use rig_compose::{
///     KernelError, LocalTool, ToolDispatchAction, ToolDispatchHook, ToolInvocation,
///     ToolRegistry, ToolSchema, dispatch_tool_invocations_with_hooks,
/// };
/// use serde_json::json;
///
/// /// Answers `delete_*` calls itself instead of running them.
/// struct DryRun;
///
/// #[async_trait]
/// impl ToolDispatchHook for DryRun {
///     async fn before_invocation(
///         &self,
///         call: &ToolInvocation,
///     ) -> Result<ToolDispatchAction, KernelError> {
///         Ok(if call.name.starts_with("delete_") {
///             ToolDispatchAction::Skip { output: json!("dry run"), reason: Some("dry run".into()) }
///         } else {
///             ToolDispatchAction::Continue
///         })
///     }
/// }
///
/// let tools = ToolRegistry::new();
/// for name in ["delete_file", "list_files"] {
///     tools.register(Arc::new(LocalTool::new(
///         ToolSchema {
///             name: name.into(),
///             description: String::new(),
///             args_schema: json!({}),
///             result_schema: json!({}),
///         },
///         |_| async { Ok(json!("ran")) },
///     )));
/// }
/// let calls = [
///     ToolInvocation::new("delete_file", json!({"path": "/"})).unwrap(),
///     ToolInvocation::new("list_files", json!({})).unwrap(),
/// ];
/// let results = futures::executor::block_on(dispatch_tool_invocations_with_hooks(
///     &tools, &calls, &[&DryRun],
/// ))
/// .unwrap();
/// assert_eq!(results[0].output, json!("dry run"));
/// assert_eq!(results[1].output, json!("ran"));
/// ```
pub async fn dispatch_tool_invocations_with_hooks(
    tools: &ToolRegistry,
    invocations: &[ToolInvocation],
    hooks: &[&dyn ToolDispatchHook],
) -> Result<Vec<ToolInvocationResult>, KernelError> {
    run(tools, invocations, hooks, None).await
}

/// Like [`dispatch_tool_invocations_with_hooks`], and records every step in
/// `trace`: each hook decision, hook failure, cleanup notification and
/// successful after-hook, then the call's outcome (see
/// [`DispatchTraceEvent`]). Events already in `trace` are kept.
pub async fn dispatch_tool_invocations_with_trace(
    tools: &ToolRegistry,
    invocations: &[ToolInvocation],
    hooks: &[&dyn ToolDispatchHook],
    trace: &DispatchTrace,
) -> Result<Vec<ToolInvocationResult>, KernelError> {
    run(tools, invocations, hooks, Some(trace)).await
}

/// Like [`dispatch_tool_invocations`], with every output bounded by
/// `config` into a [`ToolResultEnvelope`], ready to be shown to a model with
/// its truncation metadata.
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::{
///     LocalTool, ToolInvocation, ToolRegistry, ToolResultEnvelopeConfig, ToolSchema,
///     dispatch_tool_invocations_bounded,
/// };
/// use serde_json::json;
///
/// let tools = ToolRegistry::new();
/// tools.register(Arc::new(LocalTool::new(
///     ToolSchema {
///         name: "read_log".into(),
///         description: "returns a long log".into(),
///         args_schema: json!({}),
///         result_schema: json!({"type": "string"}),
///     },
///     |_| async { Ok(json!("x".repeat(10_000))) },
/// )));
/// let calls = [ToolInvocation::new("read_log", json!({})).unwrap()];
/// let config = ToolResultEnvelopeConfig::new(100);
/// let results =
///     futures::executor::block_on(dispatch_tool_invocations_bounded(&tools, &calls, &config))
///         .unwrap();
/// assert!(results[0].envelope.truncated);
/// assert_eq!(results[0].envelope.omitted_chars, 9_900);
/// ```
pub async fn dispatch_tool_invocations_bounded(
    tools: &ToolRegistry,
    invocations: &[ToolInvocation],
    config: &ToolResultEnvelopeConfig,
) -> Result<Vec<BoundedToolInvocationResult>, KernelError> {
    dispatch_tool_invocations_with_hooks_bounded(tools, invocations, &[], config).await
}

/// Like [`dispatch_tool_invocations_with_hooks`], with every output bounded
/// by `config` into a [`ToolResultEnvelope`].
///
/// Hooks still see the full, unbounded output (accounting and audit may need
/// all of it); only the returned records are bounded, after every call has
/// been dispatched.
pub async fn dispatch_tool_invocations_with_hooks_bounded(
    tools: &ToolRegistry,
    invocations: &[ToolInvocation],
    hooks: &[&dyn ToolDispatchHook],
    config: &ToolResultEnvelopeConfig,
) -> Result<Vec<BoundedToolInvocationResult>, KernelError> {
    let results = run(tools, invocations, hooks, None).await?;
    Ok(results
        .into_iter()
        .map(|result| BoundedToolInvocationResult {
            invocation: result.invocation,
            envelope: ToolResultEnvelope::bound(result.output, config),
        })
        .collect())
}

/// Trace recording for one invocation; does nothing without a trace.
#[derive(Clone, Copy)]
struct Recorder<'t> {
    trace: Option<&'t DispatchTrace>,
    invocation_index: usize,
}

impl Recorder<'_> {
    /// The event is built only when it will be kept.
    fn record(&self, event: impl FnOnce(usize) -> DispatchTraceEvent) {
        if let Some(trace) = self.trace {
            trace.push(event(self.invocation_index));
        }
    }

    fn outcome(&self, outcome: impl FnOnce() -> TracedOutcome) {
        self.record(|invocation_index| DispatchTraceEvent::InvocationOutcome {
            invocation_index,
            outcome: outcome(),
        });
    }
}

pub(crate) async fn run(
    tools: &ToolRegistry,
    invocations: &[ToolInvocation],
    hooks: &[&dyn ToolDispatchHook],
    trace: Option<&DispatchTrace>,
) -> Result<Vec<ToolInvocationResult>, KernelError> {
    let mut results = Vec::with_capacity(invocations.len());
    for (invocation_index, invocation) in invocations.iter().enumerate() {
        let recorder = Recorder {
            trace,
            invocation_index,
        };
        // Created before any hook runs, so every hook sees this one object.
        let mut result = ToolInvocationResult {
            invocation: invocation.clone(),
            output: Value::Null,
        };
        // Disjoint borrows: the guard keeps the invocation, `settle` fills
        // the output, and the after-hooks then read the whole result.
        let call = &result.invocation;
        let output = &mut result.output;
        let mut guard = CancelGuard {
            hooks,
            call,
            observed: 0,
        };
        let outcome = settle(tools, &mut guard, output, recorder).await?;
        for (hook_index, hook) in hooks.iter().enumerate() {
            hook.after_invocation_with_outcome(&result, &outcome)
                .await?;
            recorder.record(|invocation_index| DispatchTraceEvent::HookAfter {
                invocation_index,
                hook_index,
            });
        }
        guard.disarm();
        drop(guard);
        recorder.outcome(|| match outcome {
            ToolInvocationOutcome::Completed => TracedOutcome::Completed,
            ToolInvocationOutcome::Skipped { reason } => TracedOutcome::Skipped { reason },
        });
        results.push(result);
    }
    Ok(results)
}

/// Ask the hooks, then run the tool if they all continue, storing the output
/// in `result`. On a stop, notifies the affected hooks and returns the error.
async fn settle(
    tools: &ToolRegistry,
    guard: &mut CancelGuard<'_>,
    output_slot: &mut Value,
    recorder: Recorder<'_>,
) -> Result<ToolInvocationOutcome, KernelError> {
    let hooks = guard.hooks;
    let call = guard.call;
    let mut decision = ToolDispatchAction::Continue;
    for (hook_index, hook) in hooks.iter().enumerate() {
        match hook.before_invocation(call).await {
            Ok(action) => {
                guard.observed = hook_index + 1;
                recorder.record(|invocation_index| DispatchTraceEvent::HookBefore {
                    invocation_index,
                    hook_index,
                    decision: TracedAction::from(&action),
                });
                if !matches!(action, ToolDispatchAction::Continue) {
                    decision = action;
                    break;
                }
            }
            Err(error) => {
                recorder.record(|invocation_index| DispatchTraceEvent::HookBeforeError {
                    invocation_index,
                    hook_index,
                    message: error.to_string(),
                });
                // Every earlier hook continued, so each may hold a reservation.
                let observed = hooks.get(..hook_index).unwrap_or_default();
                notify_error(observed, call, &error, recorder).await?;
                guard.disarm();
                recorder.outcome(|| TracedOutcome::Failed {
                    message: error.to_string(),
                });
                return Err(error);
            }
        }
    }
    match decision {
        ToolDispatchAction::Continue => match run_tool(tools, call).await {
            Ok(output) => {
                *output_slot = output;
                Ok(ToolInvocationOutcome::Completed)
            }
            Err(error) => {
                notify_error(hooks, call, &error, recorder).await?;
                guard.disarm();
                recorder.outcome(|| TracedOutcome::Failed {
                    message: error.to_string(),
                });
                Err(error)
            }
        },
        ToolDispatchAction::Skip { output, reason } => {
            *output_slot = output;
            Ok(ToolInvocationOutcome::Skipped { reason })
        }
        ToolDispatchAction::Terminate { reason } => {
            let error = KernelError::ToolDispatchTerminated(reason.clone());
            notify_error(hooks, call, &error, recorder).await?;
            guard.disarm();
            recorder.outcome(|| TracedOutcome::Terminated { reason });
            Err(error)
        }
    }
}

/// Tell `hooks`, in order, that dispatch of `call` stopped with `error`.
async fn notify_error(
    hooks: &[&dyn ToolDispatchHook],
    call: &ToolInvocation,
    error: &KernelError,
    recorder: Recorder<'_>,
) -> Result<(), KernelError> {
    for (hook_index, hook) in hooks.iter().enumerate() {
        hook.on_invocation_error(call, error).await?;
        recorder.record(|invocation_index| DispatchTraceEvent::HookCleanup {
            invocation_index,
            hook_index,
        });
    }
    Ok(())
}

/// Tells the hooks that saw a call's `before_invocation` that the call was
/// abandoned, if it is dropped before its after or error callbacks finished.
struct CancelGuard<'a> {
    hooks: &'a [&'a dyn ToolDispatchHook],
    call: &'a ToolInvocation,
    /// How many leading hooks returned from `before_invocation`; zero once
    /// the call has been closed normally.
    observed: usize,
}

impl CancelGuard<'_> {
    /// Every hook was told how the call ended; nothing left to undo.
    fn disarm(&mut self) {
        self.observed = 0;
    }
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        let observed = self.hooks.get(..self.observed).unwrap_or_default();
        for hook in observed {
            hook.on_invocation_cancelled(self.call);
        }
    }
}

/// Run the tool, turning a panic while polling it into
/// [`KernelError::ToolFailed`] so the error callbacks still run.
async fn run_tool(tools: &ToolRegistry, call: &ToolInvocation) -> Result<Value, KernelError> {
    // Pinned on the stack: no allocation and no unsafe projection needed.
    let tool = std::pin::pin!(call.dispatch(tools));
    CatchPanic {
        inner: tool,
        name: &call.name,
    }
    .await
}

/// Polls `inner` under `catch_unwind`. After a panic the inner future is
/// never polled again.
struct CatchPanic<'n, F> {
    inner: F,
    name: &'n str,
}

impl<F> Future for CatchPanic<'_, Pin<&mut F>>
where
    F: Future<Output = Result<Value, KernelError>>,
{
    type Output = Result<Value, KernelError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `AssertUnwindSafe`: the future that panicked is abandoned, so no
        // state it may have left half-updated is observed afterwards.
        let inner = &mut self.inner;
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(KernelError::ToolFailed(format!(
                "tool `{}` panicked: {}",
                self.name,
                panic_message(payload.as_ref())
            )))),
        }
    }
}

/// The message of a panic payload, when it is a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "non-string panic payload"
    }
}
