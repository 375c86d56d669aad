//! [`ToolBudgetHook`]: per-tool costs charged to a [`SpendBudget`], plus
//! call-count limits (overall and per tool), enforced at tool dispatch.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{CancelPolicy, Denial, Hold, ReserveError, ReserveRequest, SpendBudget};
use crate::normalizer::{
    ToolDispatchAction, ToolDispatchHook, ToolInvocation, ToolInvocationOutcome,
    ToolInvocationResult,
};
use crate::registry::KernelError;

/// What each tool call costs, in the units of the spend budget it is
/// charged to: one default cost plus overrides by tool name.
///
/// ```
/// use rig_compose::budget::ToolCostTable;
///
/// let costs = ToolCostTable::new(1).with_cost("web_search", 25);
/// assert_eq!(costs.cost_of("web_search"), 25);
/// assert_eq!(costs.cost_of("calculator"), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolCostTable {
    default_cost: u64,
    overrides: HashMap<String, u64>,
}

impl ToolCostTable {
    /// Every tool costs `default_cost` unless overridden.
    pub fn new(default_cost: u64) -> Self {
        Self {
            default_cost,
            overrides: HashMap::new(),
        }
    }

    /// Charge `cost` for calls of `tool` instead of the default.
    pub fn with_cost(mut self, tool: impl Into<String>, cost: u64) -> Self {
        self.overrides.insert(tool.into(), cost);
        self
    }

    /// The cost of one call of `tool`.
    pub fn cost_of(&self, tool: &str) -> u64 {
        self.overrides
            .get(tool)
            .copied()
            .unwrap_or(self.default_cost)
    }

    /// The cost of tools without an override.
    pub fn default_cost(&self) -> u64 {
        self.default_cost
    }
}

/// How a refused call is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DenialMode {
    /// The call is answered with a synthetic tool result (see
    /// [`ToolBudgetHook`]) that the model reads like any other output, so it
    /// can adapt; dispatch continues with the next call.
    #[default]
    Skip,
    /// Dispatch stops with [`KernelError::ToolDispatchTerminated`] carrying
    /// the denial message.
    Terminate,
}

/// Which limit refused a tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolLimitHit {
    /// The tool reached its own maximum number of uses.
    MaxUses {
        /// The tool.
        tool: String,
        /// Its limit.
        limit: u64,
    },
    /// The overall number of tool calls is reached.
    MaxCalls {
        /// The limit.
        limit: u64,
    },
    /// The spend budget refused the call's cost.
    Spend(Denial),
}

impl ToolLimitHit {
    /// Short machine-readable name: `max_uses`, `max_calls` or `spend`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MaxUses { .. } => "max_uses",
            Self::MaxCalls { .. } => "max_calls",
            Self::Spend(_) => "spend",
        }
    }
}

/// Call counts of one [`ToolBudgetHook`] plus its per-call holds.
#[derive(Debug, Default)]
struct Counters {
    admitted: u64,
    per_tool: HashMap<String, u64>,
    /// Invocation address -> holds taken for it (several only if the hook
    /// is registered more than once in one dispatch).
    holds: HashMap<usize, Vec<Hold>>,
}

/// [`ToolDispatchHook`] that gates tool calls by cost and by count.
///
/// For every call, [`before_invocation`](ToolDispatchHook::before_invocation)
/// checks, in this order:
///
/// 1. the tool's own maximum number of uses ([`max_uses`](Self::max_uses)),
/// 2. the overall maximum number of tool calls ([`max_calls`](Self::max_calls)),
/// 3. the spend budget, if any: a [`Hold`] of the tool's cost from the
///    [`ToolCostTable`] (taken even when the cost is zero, so a budget in
///    debt refuses calls).
///
/// The first refusal decides the answer, per [`DenialMode`]. With the default
/// `Skip`, the call's recorded output is a JSON object the model sees as the
/// tool's result:
///
/// ```json
/// {"error": "budget_exceeded", "limit": "max_uses", "tool": "search",
///  "message": "tool `search` reached its limit of 3 uses"}
/// ```
///
/// `limit` is `max_uses`, `max_calls` or `spend` (the spend variant also
/// carries `budget`, the name of the refusing level, and its message is the
/// budget's [`Denial`] text). With `Terminate` the same message is the
/// termination reason.
///
/// # Counting
///
/// A use is counted when the call is admitted (every check passed), and is
/// never given back: counts count *admitted* calls, including calls that a
/// later hook skipped, that failed, or that were cancelled. That keeps the
/// limits a plain upper bound on attempts, which is what "max uses" promises
/// a model. Refused calls are not counted.
///
/// # Holds
///
/// Holds are kept per invocation, keyed by the address of the
/// [`ToolInvocation`] (the dispatcher passes the same object to every
/// callback of one call):
///
/// * settled at the tool's cost when the result is recorded as completed;
/// * released when the call was skipped (by another hook), when dispatch
///   stops with an error (including a tool panic, which the dispatcher turns
///   into an error);
/// * closed per the [cancel policy](Self::cancel_policy) (default: release
///   everything) when the dispatch future is dropped mid-call.
///
/// ```
/// use std::sync::Arc;
/// use rig_compose::budget::{Budget, SpendBudget, ToolBudgetHook, ToolCostTable};
/// use rig_compose::{LocalTool, ToolInvocation, ToolRegistry, ToolSchema};
/// use rig_compose::dispatch_tool_invocations_with_hooks;
/// use serde_json::json;
///
/// let budget = Budget::quota("run", 100).build();
/// let hook = ToolBudgetHook::new(ToolCostTable::new(10))
///     .with_budget(Arc::new(budget.clone()) as Arc<dyn SpendBudget>)
///     .max_uses("search", 1);
///
/// let tools = ToolRegistry::new();
/// tools.register(Arc::new(LocalTool::new(
///     ToolSchema {
///         name: "search".into(),
///         description: String::new(),
///         args_schema: json!({}),
///         result_schema: json!({}),
///     },
///     |_| async { Ok(json!("results")) },
/// )));
/// let calls = [
///     ToolInvocation::new("search", json!({})).unwrap(),
///     ToolInvocation::new("search", json!({})).unwrap(),
/// ];
/// let results = futures::executor::block_on(dispatch_tool_invocations_with_hooks(
///     &tools, &calls, &[&hook],
/// ))
/// .unwrap();
/// assert_eq!(results[0].output, json!("results"));
/// assert_eq!(results[1].output["limit"], "max_uses");
/// assert_eq!(
///     results[1].output["message"],
///     "tool `search` reached its limit of 1 uses"
/// );
/// // Only the admitted call was charged.
/// assert_eq!(budget.snapshot_now().consumed, 10);
/// ```
pub struct ToolBudgetHook {
    costs: ToolCostTable,
    budget: Option<Arc<dyn SpendBudget>>,
    max_calls: Option<u64>,
    max_uses: HashMap<String, u64>,
    mode: DenialMode,
    on_cancel: CancelPolicy,
    state: Mutex<Counters>,
}

impl fmt::Debug for ToolBudgetHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ToolBudgetHook")
            .field("costs", &self.costs)
            .field("has_budget", &self.budget.is_some())
            .field("max_calls", &self.max_calls)
            .field("max_uses", &self.max_uses)
            .field("mode", &self.mode)
            .field("on_cancel", &self.on_cancel)
            .finish_non_exhaustive()
    }
}

impl ToolBudgetHook {
    /// A hook charging `costs`; no budget and no count limits yet.
    pub fn new(costs: ToolCostTable) -> Self {
        Self {
            costs,
            budget: None,
            max_calls: None,
            max_uses: HashMap::new(),
            mode: DenialMode::default(),
            on_cancel: CancelPolicy::ReleaseAll,
            state: Mutex::new(Counters::default()),
        }
    }

    /// Charge each call's cost to `budget` as a [`Hold`].
    pub fn with_budget(mut self, budget: Arc<dyn SpendBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Admit at most `limit` tool calls overall.
    pub fn max_calls(mut self, limit: u64) -> Self {
        self.max_calls = Some(limit);
        self
    }

    /// Admit at most `limit` calls of `tool`.
    pub fn max_uses(mut self, tool: impl Into<String>, limit: u64) -> Self {
        self.max_uses.insert(tool.into(), limit);
        self
    }

    /// How refusals are reported (default [`DenialMode::Skip`]).
    pub fn denial_mode(mut self, mode: DenialMode) -> Self {
        self.mode = mode;
        self
    }

    /// What a call's hold charges when the dispatch future is dropped while
    /// the call is in flight (default: release everything).
    pub fn cancel_policy(mut self, policy: CancelPolicy) -> Self {
        self.on_cancel = policy;
        self
    }

    /// The cost table.
    pub fn costs(&self) -> &ToolCostTable {
        &self.costs
    }

    /// Calls admitted so far.
    pub fn calls_admitted(&self) -> u64 {
        self.counters().admitted
    }

    /// Admitted calls of `tool` so far.
    pub fn uses_of(&self, tool: &str) -> u64 {
        self.counters().per_tool.get(tool).copied().unwrap_or(0)
    }

    /// Holds this hook keeps for calls still in flight.
    pub fn outstanding_holds(&self) -> usize {
        self.counters().holds.values().map(Vec::len).sum()
    }

    fn counters(&self) -> MutexGuard<'_, Counters> {
        // Every update leaves the counters consistent, so a poisoned lock
        // holds nothing to repair.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Check and count the call limits under one lock, so concurrent
    /// dispatch loops can never jointly exceed them.
    fn admit_count(&self, tool: &str) -> Result<(), ToolLimitHit> {
        let mut counters = self.counters();
        if let Some(&limit) = self.max_uses.get(tool) {
            let used = counters.per_tool.get(tool).copied().unwrap_or(0);
            if used >= limit {
                return Err(ToolLimitHit::MaxUses {
                    tool: tool.to_owned(),
                    limit,
                });
            }
        }
        if let Some(limit) = self.max_calls
            && counters.admitted >= limit
        {
            return Err(ToolLimitHit::MaxCalls { limit });
        }
        counters.admitted += 1;
        *counters.per_tool.entry(tool.to_owned()).or_insert(0) += 1;
        Ok(())
    }

    fn uncount(&self, tool: &str) {
        let mut counters = self.counters();
        counters.admitted = counters.admitted.saturating_sub(1);
        if let Some(used) = counters.per_tool.get_mut(tool) {
            *used = used.saturating_sub(1);
        }
    }

    fn take_hold(&self, invocation: &ToolInvocation) -> Option<Hold> {
        let key = identity(invocation);
        let mut counters = self.counters();
        let holds = counters.holds.get_mut(&key)?;
        let hold = holds.pop();
        if holds.is_empty() {
            counters.holds.remove(&key);
        }
        hold
    }

    fn refuse(&self, tool: &str, hit: &ToolLimitHit) -> ToolDispatchAction {
        let message = denial_message(tool, hit);
        match self.mode {
            DenialMode::Terminate => ToolDispatchAction::Terminate { reason: message },
            DenialMode::Skip => {
                let mut output = json!({
                    "error": "budget_exceeded",
                    "limit": hit.code(),
                    "tool": tool,
                    "message": message,
                });
                if let (ToolLimitHit::Spend(denial), Value::Object(fields)) = (hit, &mut output) {
                    fields.insert("budget".to_owned(), Value::String(denial.budget.clone()));
                }
                ToolDispatchAction::Skip {
                    output,
                    reason: Some(message),
                }
            }
        }
    }
}

/// Undoes a count if the reservation after it does not complete (refused,
/// failed, or its future dropped).
struct CountRollback<'a> {
    hook: &'a ToolBudgetHook,
    tool: &'a str,
    armed: bool,
}

impl Drop for CountRollback<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.hook.uncount(self.tool);
        }
    }
}

/// The message shown to the model for `hit`.
fn denial_message(tool: &str, hit: &ToolLimitHit) -> String {
    match hit {
        ToolLimitHit::MaxUses { limit, .. } => {
            format!("tool `{tool}` reached its limit of {limit} uses")
        }
        ToolLimitHit::MaxCalls { limit } => {
            format!("tool `{tool}` refused: the limit of {limit} tool calls is reached")
        }
        ToolLimitHit::Spend(denial) => format!("tool `{tool}` refused: {denial}"),
    }
}

/// Identity of a call; the address is compared, never dereferenced.
fn identity(invocation: &ToolInvocation) -> usize {
    std::ptr::from_ref(invocation).addr()
}

#[async_trait]
impl ToolDispatchHook for ToolBudgetHook {
    async fn before_invocation(
        &self,
        invocation: &ToolInvocation,
    ) -> Result<ToolDispatchAction, KernelError> {
        let tool = invocation.name.as_str();
        if let Err(hit) = self.admit_count(tool) {
            return Ok(self.refuse(tool, &hit));
        }
        let mut rollback = CountRollback {
            hook: self,
            tool,
            armed: true,
        };
        let Some(budget) = &self.budget else {
            rollback.armed = false;
            return Ok(ToolDispatchAction::Continue);
        };
        let cost = self.costs.cost_of(tool);
        match budget.reserve(ReserveRequest::new(cost)).await {
            Ok(hold) => {
                let hold = hold.with_drop_policy(self.on_cancel);
                // No await from here on: the hold is recorded before this
                // future can be dropped.
                rollback.armed = false;
                self.counters()
                    .holds
                    .entry(identity(invocation))
                    .or_default()
                    .push(hold);
                Ok(ToolDispatchAction::Continue)
            }
            Err(ReserveError::Denied(denial)) => {
                Ok(self.refuse(tool, &ToolLimitHit::Spend(denial)))
            }
            Err(ReserveError::Backend(error)) => Err(KernelError::BudgetFailed(error.to_string())),
        }
    }

    async fn after_invocation(&self, result: &ToolInvocationResult) -> Result<(), KernelError> {
        self.after_invocation_with_outcome(result, &ToolInvocationOutcome::Completed)
            .await
    }

    async fn after_invocation_with_outcome(
        &self,
        result: &ToolInvocationResult,
        outcome: &ToolInvocationOutcome,
    ) -> Result<(), KernelError> {
        let Some(hold) = self.take_hold(&result.invocation) else {
            return Ok(());
        };
        let closed = match outcome {
            ToolInvocationOutcome::Completed => {
                let cost = hold.amount();
                hold.settle(cost).await
            }
            ToolInvocationOutcome::Skipped { .. } => hold.release().await,
        };
        closed
            .map(drop)
            .map_err(|error| KernelError::BudgetFailed(error.to_string()))
    }

    async fn on_invocation_error(
        &self,
        invocation: &ToolInvocation,
        _error: &KernelError,
    ) -> Result<(), KernelError> {
        match self.take_hold(invocation) {
            Some(hold) => hold
                .release()
                .await
                .map(drop)
                .map_err(|error| KernelError::BudgetFailed(error.to_string())),
            None => Ok(()),
        }
    }

    fn on_invocation_cancelled(&self, invocation: &ToolInvocation) {
        // Dropping the hold closes it with its drop policy (`cancel_policy`).
        drop(self.take_hold(invocation));
    }
}

#[cfg(test)]
#[cfg(not(loom))]
mod tests {
    use super::*;
    use crate::budget::Budget;

    fn call(name: &str) -> ToolInvocationResult {
        ToolInvocationResult {
            invocation: ToolInvocation::new(name, json!({})).unwrap(),
            output: Value::Null,
        }
    }

    #[test]
    fn cost_table_overrides_default() {
        let costs = ToolCostTable::new(2).with_cost("big", 9);
        assert_eq!(costs.cost_of("big"), 9);
        assert_eq!(costs.cost_of("small"), 2);
        assert_eq!(costs.default_cost(), 2);
    }

    #[tokio::test]
    async fn overall_limit_terminates_with_message() {
        let hook = ToolBudgetHook::new(ToolCostTable::new(0))
            .max_calls(1)
            .denial_mode(DenialMode::Terminate);
        let first = call("a");
        assert_eq!(
            hook.before_invocation(&first.invocation).await.unwrap(),
            ToolDispatchAction::Continue
        );
        let second = call("b");
        assert_eq!(
            hook.before_invocation(&second.invocation).await.unwrap(),
            ToolDispatchAction::Terminate {
                reason: "tool `b` refused: the limit of 1 tool calls is reached".into()
            }
        );
        assert_eq!(hook.calls_admitted(), 1);
        assert_eq!(hook.uses_of("a"), 1);
        assert_eq!(hook.uses_of("b"), 0);
    }

    #[tokio::test]
    async fn spend_denial_rolls_back_the_count() {
        let budget = Budget::quota("run", 5).build();
        let hook = ToolBudgetHook::new(ToolCostTable::new(8))
            .with_budget(Arc::new(budget.clone()))
            .max_calls(3);
        let first = call("x");
        let action = hook.before_invocation(&first.invocation).await.unwrap();
        let ToolDispatchAction::Skip { output, .. } = action else {
            panic!("expected a skip, got {action:?}");
        };
        assert_eq!(output["limit"], "spend");
        assert_eq!(output["budget"], "run");
        assert_eq!(
            output["message"],
            "tool `x` refused: budget `run` denied 8 units: quota has 5 available"
        );
        assert_eq!(hook.calls_admitted(), 0);
        assert_eq!(hook.outstanding_holds(), 0);
    }

    #[tokio::test]
    async fn completed_settles_cost_and_skipped_releases() {
        let budget = Budget::quota("run", 100).build();
        let hook = ToolBudgetHook::new(ToolCostTable::new(10).with_cost("big", 30))
            .with_budget(Arc::new(budget.clone()));
        let ran = call("big");
        let skipped = call("small");
        hook.before_invocation(&ran.invocation).await.unwrap();
        hook.before_invocation(&skipped.invocation).await.unwrap();
        assert_eq!(budget.snapshot_now().held, 40);
        hook.after_invocation_with_outcome(&ran, &ToolInvocationOutcome::Completed)
            .await
            .unwrap();
        hook.after_invocation_with_outcome(
            &skipped,
            &ToolInvocationOutcome::Skipped { reason: None },
        )
        .await
        .unwrap();
        let snapshot = budget.snapshot_now();
        assert_eq!((snapshot.consumed, snapshot.held), (30, 0));
        assert_eq!(hook.outstanding_holds(), 0);
    }

    #[tokio::test]
    async fn cancel_applies_the_cancel_policy() {
        let budget = Budget::quota("run", 100).build();
        let hook = ToolBudgetHook::new(ToolCostTable::new(10))
            .with_budget(Arc::new(budget.clone()))
            .cancel_policy(CancelPolicy::Charge(4));
        let pending = call("t");
        hook.before_invocation(&pending.invocation).await.unwrap();
        hook.on_invocation_cancelled(&pending.invocation);
        let snapshot = budget.snapshot_now();
        assert_eq!((snapshot.consumed, snapshot.held), (4, 0));
        // Unknown calls are ignored.
        hook.on_invocation_cancelled(&pending.invocation);
        assert_eq!(budget.snapshot_now().consumed, 4);
    }

    #[test]
    fn debug_does_not_dump_the_budget() {
        let hook = ToolBudgetHook::new(ToolCostTable::new(1)).max_uses("s", 2);
        let shown = format!("{hook:?}");
        assert!(shown.contains("has_budget: false"), "{shown}");
        assert!(shown.contains("\"s\": 2"), "{shown}");
    }
}
