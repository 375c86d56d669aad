//! Turning a manifest's tool and delegate entries into a [`ToolRegistry`].

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::ManifestError;
use super::spec::{DelegateKind, DelegateSpec, ToolSpec};
use crate::delegate::{DelegateRegistry, DelegateTool};
use crate::registry::ToolRegistry;
use crate::tool::{LocalTool, Tool, ToolSchema};

/// [`materialize_local_and_delegate_tools_with_delegates`] with no delegate
/// executors: every delegate becomes a [`delegate_stub`], except
/// `kind: in_process` ones, which fail.
pub fn materialize_local_and_delegate_tools(
    tool_specs: &[ToolSpec],
    delegate_specs: &[DelegateSpec],
    host_tools: &ToolRegistry,
) -> Result<ToolRegistry, ManifestError> {
    let no_executors = DelegateRegistry::new();
    materialize_local_and_delegate_tools_with_delegates(
        tool_specs,
        delegate_specs,
        host_tools,
        &no_executors,
    )
}

/// Build a fresh registry holding the agent's tools:
///
/// 1. each `local` entry of `tool_specs` is taken from `host_tools` (shared, not copied);
///    one that `host_tools` does not provide fails with
///    [`ManifestError::MissingHostTool`];
/// 2. each entry of `delegate_specs` whose [`executor_key`](DelegateSpec::executor_key) is
///    registered in `executors` becomes a [`DelegateTool`] named
///    and described by the spec; otherwise an `in_process` delegate fails
///    with [`ManifestError::MissingDelegateExecutor`] and any other kind
///    becomes a [`delegate_stub`].
///
/// Entries are added in manifest order, so a later entry with the same
/// name replaces an earlier one. MCP servers are not handled here: starting
/// them is the host's job.
pub fn materialize_local_and_delegate_tools_with_delegates(
    tool_specs: &[ToolSpec],
    delegate_specs: &[DelegateSpec],
    host_tools: &ToolRegistry,
    executors: &DelegateRegistry,
) -> Result<ToolRegistry, ManifestError> {
    let agent_tools = ToolRegistry::new();
    for spec in tool_specs {
        let ToolSpec::Local { name } = spec;
        let tool = host_tools
            .get(name)
            .map_err(|_| ManifestError::MissingHostTool(name.clone()))?;
        agent_tools.register(tool);
    }
    for spec in delegate_specs {
        let key = spec.executor_key();
        let tool: Arc<dyn Tool> = match executors.get(key) {
            Some(executor) => Arc::new(DelegateTool::new(
                spec.name.clone(),
                spec.description.clone(),
                executor,
            )),
            None if spec.kind == DelegateKind::InProcess => {
                return Err(ManifestError::MissingDelegateExecutor(key.to_owned()));
            }
            None => delegate_stub(spec),
        };
        agent_tools.register(tool);
    }
    Ok(agent_tools)
}

/// A placeholder tool for a delegate the host has not wired yet. It has the
/// delegate's name and description, and every call succeeds with
///
/// ```json
/// {"status": "delegate_unwired", "delegate": "<name>", "args": <the call's arguments>,
///  "hint": "host has not wired delegate execution; see manifest delegates"}
/// ```
///
/// so the model learns the call arrived but nothing is behind it.
pub fn delegate_stub(spec: &DelegateSpec) -> Arc<dyn Tool> {
    let object = json!({"type": "object"});
    let schema = ToolSchema {
        name: spec.name.clone(),
        description: spec.description.clone(),
        args_schema: object.clone(),
        result_schema: object,
    };
    let delegate = spec.name.clone();
    Arc::new(LocalTool::new(schema, move |args: Value| {
        let reply = json!({
            "status": "delegate_unwired",
            "delegate": delegate,
            "args": args,
            "hint": "host has not wired delegate execution; see manifest delegates",
        });
        async move { Ok(reply) }
    }))
}
