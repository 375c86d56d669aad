//! A replayable record of what happened during hooked tool dispatch.
//!
//! [`dispatch_tool_invocations_with_trace`](crate::dispatch_tool_invocations_with_trace)
//! appends a [`DispatchTraceEvent`] for every hook decision, hook failure,
//! cleanup notification, completed after-hook and final per-call outcome.
//! The record is plain data, so a host can assert on it in tests, export it,
//! or explain a tool loop after the fact without a tracing backend.
//!
//! ```
//! use std::sync::Arc;
//! use rig_compose::{
//!     DispatchTrace, DispatchTraceEvent, LocalTool, ToolInvocation, ToolRegistry, ToolSchema,
//!     TracedOutcome, dispatch_tool_invocations_with_trace,
//! };
//! use serde_json::json;
//!
//! let tools = ToolRegistry::new();
//! tools.register(Arc::new(LocalTool::new(
//!     ToolSchema {
//!         name: "noop".into(),
//!         description: "does nothing".into(),
//!         args_schema: json!({}),
//!         result_schema: json!(null),
//!     },
//!     |_| async { Ok(json!(null)) },
//! )));
//! let calls = [ToolInvocation::new("noop", json!({})).unwrap()];
//!
//! let trace = DispatchTrace::new();
//! let observer = trace.clone(); // clones share one record
//! futures::executor::block_on(dispatch_tool_invocations_with_trace(
//!     &tools, &calls, &[], &trace,
//! ))
//! .unwrap();
//! assert_eq!(
//!     observer.events(),
//!     [DispatchTraceEvent::InvocationOutcome {
//!         invocation_index: 0,
//!         outcome: TracedOutcome::Completed,
//!     }]
//! );
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::normalizer::ToolDispatchAction;

/// One step of a traced dispatch. `invocation_index` and `hook_index` are
/// positions in the slices given to the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchTraceEvent {
    /// A hook's `before_invocation` returned a decision.
    HookBefore {
        /// Which invocation.
        invocation_index: usize,
        /// Which hook.
        hook_index: usize,
        /// What the hook decided.
        decision: TracedAction,
    },
    /// A hook's `before_invocation` failed, which aborts dispatch.
    HookBeforeError {
        /// Which invocation.
        invocation_index: usize,
        /// Which hook failed.
        hook_index: usize,
        /// The error's display text.
        message: String,
    },
    /// A hook's `on_invocation_error` ran, letting it release what it
    /// reserved in `before_invocation`.
    HookCleanup {
        /// Which invocation.
        invocation_index: usize,
        /// Which hook was notified.
        hook_index: usize,
    },
    /// A hook's `after_invocation_with_outcome` succeeded.
    HookAfter {
        /// Which invocation.
        invocation_index: usize,
        /// Which hook.
        hook_index: usize,
    },
    /// How the invocation ended.
    InvocationOutcome {
        /// Which invocation.
        invocation_index: usize,
        /// The final outcome.
        outcome: TracedOutcome,
    },
}

/// A [`ToolDispatchAction`] without its payload, for the record. Kept apart
/// from the action so that new action data never silently enters traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TracedAction {
    /// Run the tool.
    Continue,
    /// Skip the tool (its synthetic output is not recorded).
    Skip {
        /// Why, if the hook said.
        reason: Option<String>,
    },
    /// Stop dispatching.
    Terminate {
        /// Why dispatch stopped.
        reason: String,
    },
}

impl From<&ToolDispatchAction> for TracedAction {
    fn from(action: &ToolDispatchAction) -> Self {
        match action {
            ToolDispatchAction::Continue => Self::Continue,
            ToolDispatchAction::Skip { reason, .. } => Self::Skip {
                reason: reason.clone(),
            },
            ToolDispatchAction::Terminate { reason } => Self::Terminate {
                reason: reason.clone(),
            },
        }
    }
}

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TracedOutcome {
    /// The tool ran and its output was recorded.
    Completed,
    /// A hook skipped the tool and supplied the output.
    Skipped {
        /// Why, if the hook said.
        reason: Option<String>,
    },
    /// A hook terminated dispatch at this invocation.
    Terminated {
        /// The hook's reason.
        reason: String,
    },
    /// The tool, or a hook's `before_invocation`, failed.
    Failed {
        /// The error's display text.
        message: String,
    },
}

/// Shared, append-only list of [`DispatchTraceEvent`]s.
///
/// Clones share the same list, so the host can keep one handle while the
/// dispatcher records through another. Reads return snapshots.
#[derive(Debug, Default, Clone)]
pub struct DispatchTrace {
    events: Arc<Mutex<Vec<DispatchTraceEvent>>>,
}

impl DispatchTrace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append `event`. The dispatchers call this; custom dispatchers may too.
    pub fn push(&self, event: DispatchTraceEvent) {
        self.lock().push(event);
    }

    /// A copy of the events recorded so far, oldest first.
    pub fn events(&self) -> Vec<DispatchTraceEvent> {
        self.lock().clone()
    }

    /// How many events have been recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // A push cannot be interrupted half-way, so a lock poisoned by a panic
    // elsewhere still guards a consistent list: keep recording into it.
    fn lock(&self) -> MutexGuard<'_, Vec<DispatchTraceEvent>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clones_share_one_record() {
        let trace = DispatchTrace::new();
        assert!(trace.is_empty());
        let other = trace.clone();
        other.push(DispatchTraceEvent::HookAfter {
            invocation_index: 0,
            hook_index: 1,
        });
        assert_eq!(trace.len(), 1);
        assert_eq!(
            trace.events(),
            [DispatchTraceEvent::HookAfter {
                invocation_index: 0,
                hook_index: 1
            }]
        );
        // Snapshots do not change after the fact.
        let snapshot = trace.events();
        trace.push(DispatchTraceEvent::HookCleanup {
            invocation_index: 0,
            hook_index: 0,
        });
        assert_eq!(snapshot.len(), 1);
        assert_eq!(other.len(), 2);
    }

    #[test]
    fn actions_drop_their_payload() {
        let skip = ToolDispatchAction::Skip {
            output: json!({"big": "payload"}),
            reason: Some("cached".into()),
        };
        assert_eq!(
            TracedAction::from(&skip),
            TracedAction::Skip {
                reason: Some("cached".into())
            }
        );
        assert_eq!(
            TracedAction::from(&ToolDispatchAction::Continue),
            TracedAction::Continue
        );
        let stop = ToolDispatchAction::Terminate {
            reason: "quota".into(),
        };
        assert_eq!(
            TracedAction::from(&stop),
            TracedAction::Terminate {
                reason: "quota".into()
            }
        );
    }

    #[test]
    fn a_poisoned_lock_keeps_recording() {
        let trace = DispatchTrace::new();
        let inner = trace.clone();
        let _ = std::thread::spawn(move || {
            let _guard = inner.events.lock().unwrap();
            panic!("poison the lock");
        })
        .join();
        trace.push(DispatchTraceEvent::HookAfter {
            invocation_index: 3,
            hook_index: 0,
        });
        assert_eq!(trace.len(), 1);
    }
}
