//! Dispatch loop semantics: hook call order, which hooks are told about
//! errors, error propagation, the one-object-per-call guarantee, and the
//! exact trace each path records.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rig_compose::{
    DispatchTrace, DispatchTraceEvent as Ev, KernelError, LocalTool, ToolDispatchAction,
    ToolDispatchHook, ToolInvocation, ToolInvocationOutcome, ToolInvocationResult, ToolRegistry,
    ToolSchema, TracedAction, TracedOutcome, dispatch_tool_invocations,
    dispatch_tool_invocations_with_hooks, dispatch_tool_invocations_with_trace,
};
use serde_json::{Value, json};

type Log = Arc<Mutex<Vec<String>>>;

fn tool(name: &str, log: &Log) -> Arc<LocalTool> {
    let log = Arc::clone(log);
    let label = name.to_owned();
    Arc::new(LocalTool::new(
        ToolSchema {
            name: name.into(),
            description: String::new(),
            args_schema: json!({}),
            result_schema: json!({}),
        },
        move |args: Value| {
            let log = Arc::clone(&log);
            let label = label.clone();
            async move {
                log.lock().unwrap().push(format!("tool:{label}"));
                if args.get("fail").is_some() {
                    return Err(KernelError::ToolFailed(format!("{label} failed")));
                }
                Ok(json!({"from": label, "args": args}))
            }
        },
    ))
}

fn registry(log: &Log) -> ToolRegistry {
    let tools = ToolRegistry::new();
    tools.register(tool("alpha", log));
    tools.register(tool("beta", log));
    tools
}

fn call(name: &str, args: Value) -> ToolInvocation {
    ToolInvocation::new(name, args).unwrap()
}

/// What a scripted hook does in `before_invocation`.
#[derive(Clone)]
enum Before {
    Continue,
    Skip(&'static str),
    Terminate(&'static str),
    Fail,
}

/// A hook that logs every callback (with the address of the invocation it
/// was given) and follows a script for `before_invocation`.
struct Scripted {
    id: &'static str,
    log: Log,
    before: Before,
    fail_after: bool,
    fail_cleanup: bool,
    addresses: Mutex<Vec<(&'static str, usize)>>,
}

impl Scripted {
    fn new(id: &'static str, log: &Log, before: Before) -> Self {
        Self {
            id,
            log: Arc::clone(log),
            before,
            fail_after: false,
            fail_cleanup: false,
            addresses: Mutex::default(),
        }
    }

    fn note(&self, what: &str, call: &ToolInvocation) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}:{what}:{}", self.id, call.name));
    }

    fn address(&self, what: &'static str, call: &ToolInvocation) {
        self.addresses
            .lock()
            .unwrap()
            .push((what, std::ptr::from_ref(call).addr()));
    }
}

#[async_trait]
impl ToolDispatchHook for Scripted {
    async fn before_invocation(
        &self,
        call: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        self.note("before", call);
        self.address("before", call);
        match &self.before {
            Before::Continue => Ok(ToolDispatchAction::Continue),
            Before::Skip(reason) => Ok(ToolDispatchAction::Skip {
                output: json!({"skipped_by": self.id}),
                reason: Some((*reason).into()),
            }),
            Before::Terminate(reason) => Ok(ToolDispatchAction::Terminate {
                reason: (*reason).into(),
            }),
            Before::Fail => Err(KernelError::BudgetFailed(format!("{} refused", self.id))),
        }
    }

    async fn after_invocation_with_outcome(
        &self,
        result: &ToolInvocationResult,
        outcome: &ToolInvocationOutcome,
    ) -> Result<(), KernelError> {
        let kind = match outcome {
            ToolInvocationOutcome::Completed => "completed".to_owned(),
            ToolInvocationOutcome::Skipped { reason } => format!("skipped({reason:?})"),
        };
        self.note(&format!("after[{kind}]"), &result.invocation);
        self.address("after", &result.invocation);
        if self.fail_after {
            return Err(KernelError::ToolFailed(format!("{} after failed", self.id)));
        }
        Ok(())
    }

    async fn on_invocation_error(
        &self,
        call: &ToolInvocation,
        error: &KernelError,
    ) -> Result<(), KernelError> {
        self.note(&format!("cleanup[{error}]"), call);
        self.address("cleanup", call);
        if self.fail_cleanup {
            return Err(KernelError::BudgetFailed(format!(
                "{} cleanup failed",
                self.id
            )));
        }
        Ok(())
    }
}

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn without_hooks_calls_run_in_order() {
    let log = Log::default();
    let tools = registry(&log);
    let calls = [
        call("beta", json!({"n": 1})),
        call("alpha", json!({"n": 2})),
    ];
    let results = dispatch_tool_invocations(&tools, &calls).await.unwrap();
    assert_eq!(entries(&log), ["tool:beta", "tool:alpha"]);
    assert_eq!(results[0].invocation, calls[0]);
    assert_eq!(
        results[1].output,
        json!({"from": "alpha", "args": {"n": 2}})
    );
    assert!(
        dispatch_tool_invocations(&tools, &[])
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn hooks_run_in_order_around_each_call() {
    let log = Log::default();
    let tools = registry(&log);
    let (a, b) = (
        Scripted::new("A", &log, Before::Continue),
        Scripted::new("B", &log, Before::Continue),
    );
    let calls = [call("alpha", json!({})), call("beta", json!({}))];
    let results = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&a, &b])
        .await
        .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        entries(&log),
        [
            "A:before:alpha",
            "B:before:alpha",
            "tool:alpha",
            "A:after[completed]:alpha",
            "B:after[completed]:alpha",
            "A:before:beta",
            "B:before:beta",
            "tool:beta",
            "A:after[completed]:beta",
            "B:after[completed]:beta",
        ]
    );
}

#[tokio::test]
async fn every_callback_for_a_call_sees_the_same_invocation_object() {
    let log = Log::default();
    let tools = registry(&log);
    let a = Scripted::new("A", &log, Before::Continue);
    let b = Scripted::new("B", &log, Before::Continue);
    let calls = [
        call("alpha", json!({})),
        call("beta", json!({"fail": true})),
    ];
    let err = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&a, &b])
        .await
        .unwrap_err();
    assert!(matches!(err, KernelError::ToolFailed(_)));
    for hook in [&a, &b] {
        let seen = hook.addresses.lock().unwrap().clone();
        // alpha: before + after; beta: before + cleanup.
        let kinds: Vec<_> = seen.iter().map(|(what, _)| *what).collect();
        assert_eq!(kinds, ["before", "after", "before", "cleanup"]);
        assert_eq!(seen[0].1, seen[1].1, "before/after of one call");
        assert_eq!(seen[2].1, seen[3].1, "before/cleanup of one call");
        // It is the dispatcher's own copy, not the caller's slice element.
        assert_ne!(seen[0].1, std::ptr::from_ref(&calls[0]).addr());
    }
    // And both hooks were handed that same object.
    assert_eq!(
        a.addresses.lock().unwrap()[0].1,
        b.addresses.lock().unwrap()[0].1
    );
}

#[tokio::test]
async fn skip_records_the_hook_output_and_later_hooks_only_see_after() {
    let log = Log::default();
    let tools = registry(&log);
    let a = Scripted::new("A", &log, Before::Skip("cached"));
    let b = Scripted::new("B", &log, Before::Continue);
    let results =
        dispatch_tool_invocations_with_hooks(&tools, &[call("alpha", json!({}))], &[&a, &b])
            .await
            .unwrap();
    assert_eq!(results[0].output, json!({"skipped_by": "A"}));
    assert_eq!(
        entries(&log),
        [
            "A:before:alpha",
            "A:after[skipped(Some(\"cached\"))]:alpha",
            "B:after[skipped(Some(\"cached\"))]:alpha",
        ]
    );
}

#[tokio::test]
async fn terminate_notifies_every_hook_and_stops() {
    let log = Log::default();
    let tools = registry(&log);
    let a = Scripted::new("A", &log, Before::Continue);
    let b = Scripted::new("B", &log, Before::Terminate("approval needed"));
    let c = Scripted::new("C", &log, Before::Continue);
    let calls = [call("alpha", json!({})), call("beta", json!({}))];
    let err = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&a, &b, &c])
        .await
        .unwrap_err();
    assert!(matches!(&err, KernelError::ToolDispatchTerminated(r) if r == "approval needed"));
    // C never saw `before` but is still told, as in the published crate.
    let stop = "cleanup[tool dispatch terminated: approval needed]";
    assert_eq!(
        entries(&log),
        [
            "A:before:alpha".to_owned(),
            "B:before:alpha".to_owned(),
            format!("A:{stop}:alpha"),
            format!("B:{stop}:alpha"),
            format!("C:{stop}:alpha"),
        ]
    );
}

#[tokio::test]
async fn a_failing_before_hook_releases_only_the_hooks_before_it() {
    let log = Log::default();
    let tools = registry(&log);
    let a = Scripted::new("A", &log, Before::Continue);
    let b = Scripted::new("B", &log, Before::Fail);
    let c = Scripted::new("C", &log, Before::Continue);
    let err =
        dispatch_tool_invocations_with_hooks(&tools, &[call("alpha", json!({}))], &[&a, &b, &c])
            .await
            .unwrap_err();
    assert!(matches!(&err, KernelError::BudgetFailed(m) if m == "B refused"));
    assert_eq!(
        entries(&log),
        [
            "A:before:alpha",
            "B:before:alpha",
            "A:cleanup[budget failed: B refused]:alpha",
        ]
    );
}

#[tokio::test]
async fn tool_and_lookup_failures_notify_all_hooks() {
    let log = Log::default();
    let tools = registry(&log);
    let a = Scripted::new("A", &log, Before::Continue);
    let calls = [call("alpha", json!({})), call("missing", json!({}))];
    let err = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&a])
        .await
        .unwrap_err();
    assert!(matches!(&err, KernelError::ToolNotFound(n) if n == "missing"));
    assert_eq!(
        entries(&log).last().unwrap(),
        "A:cleanup[tool `missing` not found in registry]:missing"
    );
    // A scoped registry reports the call as unauthorised instead.
    let scoped = tools.scoped(["beta"]);
    let err = dispatch_tool_invocations(&scoped, &calls[..1])
        .await
        .unwrap_err();
    assert!(matches!(err, KernelError::ToolNotAuthorised(_)));
}

#[tokio::test]
async fn hook_errors_in_after_or_cleanup_stop_dispatch_as_is() {
    let log = Log::default();
    let tools = registry(&log);
    let mut a = Scripted::new("A", &log, Before::Continue);
    a.fail_after = true;
    let b = Scripted::new("B", &log, Before::Continue);
    let calls = [call("alpha", json!({})), call("beta", json!({}))];
    let err = dispatch_tool_invocations_with_hooks(&tools, &calls, &[&a, &b])
        .await
        .unwrap_err();
    assert!(matches!(&err, KernelError::ToolFailed(m) if m == "A after failed"));
    // No cleanup, no later hook, no later call.
    assert_eq!(
        entries(&log),
        [
            "A:before:alpha",
            "B:before:alpha",
            "tool:alpha",
            "A:after[completed]:alpha"
        ]
    );

    let log = Log::default();
    let tools = registry(&log);
    let mut a = Scripted::new("A", &log, Before::Continue);
    a.fail_cleanup = true;
    let b = Scripted::new("B", &log, Before::Continue);
    let err = dispatch_tool_invocations_with_hooks(
        &tools,
        &[call("alpha", json!({"fail": 1}))],
        &[&a, &b],
    )
    .await
    .unwrap_err();
    assert!(matches!(&err, KernelError::BudgetFailed(m) if m == "A cleanup failed"));
    assert!(!entries(&log).iter().any(|e| e.starts_with("B:cleanup")));
}

// ── Traces ───────────────────────────────────────────────────────────────

fn before(hook_index: usize, decision: TracedAction) -> Ev {
    Ev::HookBefore {
        invocation_index: 0,
        hook_index,
        decision,
    }
}

fn after(invocation_index: usize, hook_index: usize) -> Ev {
    Ev::HookAfter {
        invocation_index,
        hook_index,
    }
}

fn cleanup(hook_index: usize) -> Ev {
    Ev::HookCleanup {
        invocation_index: 0,
        hook_index,
    }
}

fn outcome(invocation_index: usize, outcome: TracedOutcome) -> Ev {
    Ev::InvocationOutcome {
        invocation_index,
        outcome,
    }
}

async fn traced(
    calls: &[ToolInvocation],
    hooks: &[&dyn ToolDispatchHook],
) -> (Result<usize, KernelError>, Vec<Ev>) {
    let log = Log::default();
    let tools = registry(&log);
    let trace = DispatchTrace::new();
    let result = dispatch_tool_invocations_with_trace(&tools, calls, hooks, &trace)
        .await
        .map(|r| r.len());
    (result, trace.events())
}

#[tokio::test]
async fn trace_of_a_clean_run() {
    let log = Log::default();
    let (a, b) = (
        Scripted::new("A", &log, Before::Continue),
        Scripted::new("B", &log, Before::Continue),
    );
    let calls = [call("alpha", json!({})), call("beta", json!({}))];
    let (result, events) = traced(&calls, &[&a, &b]).await;
    assert_eq!(result.unwrap(), 2);
    let second_before = |hook_index| Ev::HookBefore {
        invocation_index: 1,
        hook_index,
        decision: TracedAction::Continue,
    };
    assert_eq!(
        events,
        [
            before(0, TracedAction::Continue),
            before(1, TracedAction::Continue),
            after(0, 0),
            after(0, 1),
            outcome(0, TracedOutcome::Completed),
            second_before(0),
            second_before(1),
            after(1, 0),
            after(1, 1),
            outcome(1, TracedOutcome::Completed),
        ]
    );
    // Without hooks only outcomes are recorded.
    let (_, events) = traced(&calls, &[]).await;
    assert_eq!(
        events,
        [
            outcome(0, TracedOutcome::Completed),
            outcome(1, TracedOutcome::Completed)
        ]
    );
}

#[tokio::test]
async fn trace_of_skip_terminate_and_failures() {
    let log = Log::default();
    let skip = Scripted::new("S", &log, Before::Skip("dry run"));
    let other = Scripted::new("O", &log, Before::Continue);
    let stop = Scripted::new("T", &log, Before::Terminate("limit"));
    let fail = Scripted::new("F", &log, Before::Fail);
    let one = [call("alpha", json!({}))];

    let (result, events) = traced(&one, &[&skip, &other]).await;
    assert_eq!(result.unwrap(), 1);
    let reason = Some("dry run".to_owned());
    assert_eq!(
        events,
        [
            before(
                0,
                TracedAction::Skip {
                    reason: reason.clone()
                }
            ),
            after(0, 0),
            after(0, 1),
            outcome(0, TracedOutcome::Skipped { reason }),
        ]
    );

    let (result, events) = traced(&one, &[&other, &stop]).await;
    assert!(matches!(
        result,
        Err(KernelError::ToolDispatchTerminated(_))
    ));
    assert_eq!(
        events,
        [
            before(0, TracedAction::Continue),
            before(
                1,
                TracedAction::Terminate {
                    reason: "limit".into()
                }
            ),
            cleanup(0),
            cleanup(1),
            outcome(
                0,
                TracedOutcome::Terminated {
                    reason: "limit".into()
                }
            ),
        ]
    );

    let (result, events) = traced(&one, &[&other, &fail, &skip]).await;
    assert!(matches!(result, Err(KernelError::BudgetFailed(_))));
    assert_eq!(
        events,
        [
            before(0, TracedAction::Continue),
            Ev::HookBeforeError {
                invocation_index: 0,
                hook_index: 1,
                message: "budget failed: F refused".into(),
            },
            cleanup(0),
            outcome(
                0,
                TracedOutcome::Failed {
                    message: "budget failed: F refused".into()
                }
            ),
        ]
    );

    let (result, events) = traced(&[call("alpha", json!({"fail": 1}))], &[&other]).await;
    assert!(matches!(result, Err(KernelError::ToolFailed(_))));
    assert_eq!(
        events,
        [
            before(0, TracedAction::Continue),
            cleanup(0),
            outcome(
                0,
                TracedOutcome::Failed {
                    message: "tool invocation failed: alpha failed".into()
                }
            ),
        ]
    );
}

#[tokio::test]
async fn trace_stops_where_a_hook_error_stops_dispatch() {
    let log = Log::default();
    let mut bad_cleanup = Scripted::new("C", &log, Before::Continue);
    bad_cleanup.fail_cleanup = true;
    let stop = Scripted::new("T", &log, Before::Terminate("no"));
    let (result, events) = traced(&[call("alpha", json!({}))], &[&bad_cleanup, &stop]).await;
    assert!(matches!(result, Err(KernelError::BudgetFailed(_))));
    // The failing cleanup is not recorded, nor is any outcome.
    assert_eq!(
        events,
        [
            before(0, TracedAction::Continue),
            before(
                1,
                TracedAction::Terminate {
                    reason: "no".into()
                }
            ),
        ]
    );

    let mut bad_after = Scripted::new("A", &log, Before::Continue);
    bad_after.fail_after = true;
    let (result, events) = traced(&[call("alpha", json!({}))], &[&bad_after]).await;
    assert!(result.is_err());
    assert_eq!(events, [before(0, TracedAction::Continue)]);
}

#[tokio::test]
async fn a_trace_accumulates_across_dispatches() {
    let log = Log::default();
    let tools = registry(&log);
    let trace = DispatchTrace::new();
    let calls = [call("alpha", json!({}))];
    for _ in 0..2 {
        dispatch_tool_invocations_with_trace(&tools, &calls, &[], &trace)
            .await
            .unwrap();
    }
    assert_eq!(trace.len(), 2);
}

// ── Bounded results ──────────────────────────────────────────────────────

/// Remembers the output size each after-hook saw.
#[derive(Default)]
struct SeenOutput(Mutex<Vec<usize>>);

#[async_trait]
impl ToolDispatchHook for SeenOutput {
    async fn after_invocation(&self, result: &ToolInvocationResult) -> Result<(), KernelError> {
        let len = result.output["text"].as_str().map_or(0, str::len);
        self.0.lock().unwrap().push(len);
        Ok(())
    }
}

fn long_text_registry() -> ToolRegistry {
    let tools = ToolRegistry::new();
    tools.register(Arc::new(LocalTool::new(
        ToolSchema {
            name: "dump".into(),
            description: String::new(),
            args_schema: json!({}),
            result_schema: json!({}),
        },
        |args: Value| async move {
            let n = args["n"].as_u64().unwrap() as usize;
            Ok(json!({"text": "z".repeat(n)}))
        },
    )));
    tools
}

#[tokio::test]
async fn bounded_dispatch_bounds_records_but_hooks_see_everything() {
    use rig_compose::{
        ToolResultEnvelopeConfig, dispatch_tool_invocations_bounded,
        dispatch_tool_invocations_with_hooks_bounded,
    };
    let tools = long_text_registry();
    let calls = [
        call("dump", json!({"n": 5})),
        call("dump", json!({"n": 500})),
    ];
    let config = ToolResultEnvelopeConfig::new(50);
    let seen = SeenOutput::default();
    let bounded = dispatch_tool_invocations_with_hooks_bounded(&tools, &calls, &[&seen], &config)
        .await
        .unwrap();
    assert_eq!(*seen.0.lock().unwrap(), [5, 500]);
    assert_eq!(bounded[0].invocation, calls[0]);
    assert!(!bounded[0].envelope.truncated);
    assert_eq!(bounded[0].envelope.payload, json!({"text": "zzzzz"}));
    assert!(bounded[1].envelope.truncated);
    assert_eq!(bounded[1].envelope.omitted_chars, 450);

    let plain = dispatch_tool_invocations_bounded(&tools, &calls, &config)
        .await
        .unwrap();
    assert_eq!(plain, bounded);

    // Errors come back unchanged.
    let err = dispatch_tool_invocations_bounded(&tools, &[call("nope", json!({}))], &config)
        .await
        .unwrap_err();
    assert!(matches!(err, KernelError::ToolNotFound(_)));
}
