//! Differential test of the dispatch loop: random hook scripts run through
//! this crate and the published rig-compose 0.5.0 must produce the same hook
//! callback sequence, the same dispatch trace, and the same results/errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use serde_json::{Value, json};

/// What a hook's `before_invocation` returns, chosen per call.
#[derive(Debug, Clone, Copy)]
enum Before {
    Continue,
    Skip,
    Terminate,
    Fail,
}

#[derive(Debug, Clone)]
struct HookScript {
    /// Indexed by call position (wrapping).
    before: Vec<Before>,
    fail_after: bool,
    fail_cleanup: bool,
    /// Override `after_invocation` only (exercises the outcome default).
    legacy_after: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    hooks: Vec<HookScript>,
    /// Tool per call: 0 = ok, 1 = fails, 2 = not registered.
    calls: Vec<u8>,
}

fn before() -> impl Strategy<Value = Before> {
    prop_oneof![
        6 => Just(Before::Continue),
        1 => Just(Before::Skip),
        1 => Just(Before::Terminate),
        1 => Just(Before::Fail),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let hook = (
        proptest::collection::vec(before(), 1..4),
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.1),
        any::<bool>(),
    )
        .prop_map(
            |(before, fail_after, fail_cleanup, legacy_after)| HookScript {
                before,
                fail_after,
                fail_cleanup,
                legacy_after,
            },
        );
    (
        proptest::collection::vec(hook, 0..4),
        proptest::collection::vec(
            prop_oneof![6 => Just(0u8), 1 => Just(1), 1 => Just(2)],
            0..5,
        ),
    )
        .prop_map(|(hooks, calls)| Scenario { hooks, calls })
}

type Log = Arc<Mutex<Vec<String>>>;

/// Everything observable about one run.
#[derive(Debug, PartialEq)]
struct Observed {
    log: Vec<String>,
    trace: Vec<String>,
    result: Result<Vec<(String, Value)>, String>,
}

fn tool_name(kind: u8) -> &'static str {
    match kind {
        0 => "ok_tool",
        1 => "bad_tool",
        _ => "missing_tool",
    }
}

/// The same hook and driver, written once per crate.
macro_rules! implementation {
    ($module:ident, $krate:ident) => {
        mod $module {
            use super::*;
            use async_trait::async_trait;
            use $krate::{
                DispatchTrace, KernelError, LocalTool, ToolDispatchAction, ToolDispatchHook,
                ToolInvocation, ToolInvocationOutcome, ToolInvocationResult, ToolRegistry,
                ToolSchema, dispatch_tool_invocations_with_trace,
            };

            struct Hook {
                id: usize,
                script: HookScript,
                log: Log,
            }

            impl Hook {
                fn note(&self, text: String) {
                    self.log.lock().unwrap().push(format!("h{}:{text}", self.id));
                }
                fn after_common(&self, result: &ToolInvocationResult, what: &str) -> Result<(), KernelError> {
                    self.note(format!("{what}:{}:{}", result.invocation.args["i"], result.output));
                    if self.script.fail_after {
                        return Err(KernelError::SkillFailed(format!("h{} after", self.id)));
                    }
                    Ok(())
                }
            }

            #[async_trait]
            impl ToolDispatchHook for Hook {
                async fn before_invocation(
                    &self,
                    call: &ToolInvocation,
                ) -> Result<ToolDispatchAction, KernelError> {
                    let i = call.args["i"].as_u64().unwrap() as usize;
                    let script = self.script.before[i % self.script.before.len()];
                    self.note(format!("before:{i}:{script:?}"));
                    match script {
                        Before::Continue => Ok(ToolDispatchAction::Continue),
                        Before::Skip => Ok(ToolDispatchAction::Skip {
                            output: json!({"skipped_by": self.id}),
                            reason: (self.id % 2 == 0).then(|| format!("h{}", self.id)),
                        }),
                        Before::Terminate => Ok(ToolDispatchAction::Terminate {
                            reason: format!("h{} stop", self.id),
                        }),
                        Before::Fail => Err(KernelError::BudgetFailed(format!("h{} fail", self.id))),
                    }
                }

                async fn after_invocation(
                    &self,
                    result: &ToolInvocationResult,
                ) -> Result<(), KernelError> {
                    // Only reached through the outcome default.
                    self.after_common(result, "after(legacy)")
                }

                async fn after_invocation_with_outcome(
                    &self,
                    result: &ToolInvocationResult,
                    outcome: &ToolInvocationOutcome,
                ) -> Result<(), KernelError> {
                    if self.script.legacy_after {
                        return self.after_invocation(result).await;
                    }
                    self.after_common(result, &format!("after[{outcome:?}]"))
                }

                async fn on_invocation_error(
                    &self,
                    call: &ToolInvocation,
                    error: &KernelError,
                ) -> Result<(), KernelError> {
                    self.note(format!("cleanup:{}:{error}", call.args["i"]));
                    if self.script.fail_cleanup {
                        return Err(KernelError::BudgetFailed(format!("h{} cleanup", self.id)));
                    }
                    Ok(())
                }
            }

            fn tool(name: &str, fails: bool, log: &Log) -> Arc<LocalTool> {
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
                            log.lock().unwrap().push(format!("tool:{label}:{}", args["i"]));
                            if fails {
                                Err(KernelError::ToolFailed(format!("{label} broke")))
                            } else {
                                Ok(json!({"echo": args}))
                            }
                        }
                    },
                ))
            }

            /// Bounded dispatch of the same scenario: records as JSON.
            pub(super) fn run_bounded(scenario: &Scenario, max_chars: usize) -> Result<Vec<Value>, String> {
                use $krate::{ToolResultEnvelopeConfig, dispatch_tool_invocations_with_hooks_bounded};
                let log = Log::default();
                let tools = ToolRegistry::new();
                tools.register(tool("ok_tool", false, &log));
                tools.register(tool("bad_tool", true, &log));
                let hooks: Vec<Hook> = scenario
                    .hooks
                    .iter()
                    .enumerate()
                    .map(|(id, script)| Hook { id, script: script.clone(), log: Arc::clone(&log) })
                    .collect();
                let hook_refs: Vec<&dyn ToolDispatchHook> =
                    hooks.iter().map(|h| h as &dyn ToolDispatchHook).collect();
                let calls: Vec<ToolInvocation> = scenario
                    .calls
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| ToolInvocation::new(tool_name(*kind), json!({"i": i, "pad": "p".repeat(i * 7)})).unwrap())
                    .collect();
                let config = ToolResultEnvelopeConfig::new(max_chars).with_max_array_items(2);
                futures::executor::block_on(dispatch_tool_invocations_with_hooks_bounded(
                    &tools, &calls, &hook_refs, &config,
                ))
                .map(|results| {
                    results
                        .into_iter()
                        .map(|r| json!({"name": r.invocation.name, "envelope": serde_json::to_value(&r.envelope).unwrap()}))
                        .collect()
                })
                .map_err(|e| format!("{e:?}"))
            }

            pub(super) fn run(scenario: &Scenario) -> Observed {
                let log = Log::default();
                let tools = ToolRegistry::new();
                tools.register(tool("ok_tool", false, &log));
                tools.register(tool("bad_tool", true, &log));
                let hooks: Vec<Hook> = scenario
                    .hooks
                    .iter()
                    .enumerate()
                    .map(|(id, script)| Hook { id, script: script.clone(), log: Arc::clone(&log) })
                    .collect();
                let hook_refs: Vec<&dyn ToolDispatchHook> =
                    hooks.iter().map(|h| h as &dyn ToolDispatchHook).collect();
                let calls: Vec<ToolInvocation> = scenario
                    .calls
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| ToolInvocation::new(tool_name(*kind), json!({"i": i})).unwrap())
                    .collect();
                let trace = DispatchTrace::new();
                let result = futures::executor::block_on(dispatch_tool_invocations_with_trace(
                    &tools, &calls, &hook_refs, &trace,
                ));
                Observed {
                    log: log.lock().unwrap().clone(),
                    trace: trace.events().iter().map(|e| format!("{e:?}")).collect(),
                    result: result
                        .map(|results| {
                            results
                                .into_iter()
                                .map(|r| (r.invocation.name, r.output))
                                .collect()
                        })
                        .map_err(|e| format!("{e:?}")),
                }
            }
        }
    };
}

implementation!(ours, rig_compose);
implementation!(theirs, rig_compose_published);

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn dispatch_matches_published(scenario in scenario()) {
        prop_assert_eq!(ours::run(&scenario), theirs::run(&scenario), "{:?}", scenario);
    }

    #[test]
    fn bounded_dispatch_matches_published(scenario in scenario(), max_chars in 0usize..30) {
        prop_assert_eq!(
            ours::run_bounded(&scenario, max_chars),
            theirs::run_bounded(&scenario, max_chars),
            "{:?}", scenario
        );
    }
}
