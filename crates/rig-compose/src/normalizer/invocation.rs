//! Normalized tool calls and their dispatch results.

use serde_json::Value;

use crate::registry::{KernelError, ToolRegistry};
use crate::tool::ToolName;

/// One tool call extracted from model output, ready for dispatch.
///
/// ```
/// use rig_compose::ToolInvocation;
/// use serde_json::json;
///
/// let call = ToolInvocation::new("get_weather", json!({"city": "Oslo"})).unwrap();
/// assert_eq!(call.name, "get_weather");
/// assert!(ToolInvocation::new("rm -rf", json!({})).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInvocation {
    /// Registry name of the tool.
    pub name: ToolName,
    /// Arguments, normally a JSON object.
    pub args: Value,
}

impl ToolInvocation {
    /// Build an invocation, checking that `name` is a usable tool name:
    /// non-blank and made of ASCII letters, digits, `_`, `-` and `.`.
    pub fn new(name: impl Into<ToolName>, args: Value) -> Result<Self, KernelError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(KernelError::NormalizerFailed(
                "empty tool name in structured tool call".into(),
            ));
        }
        check_identifier("tool name", &name)?;
        Ok(Self { name, args })
    }

    /// Invoke the named tool in `tools` with a copy of the arguments.
    pub async fn dispatch(&self, tools: &ToolRegistry) -> Result<Value, KernelError> {
        tools.invoke(&self.name, self.args.clone()).await
    }
}

/// Whether `ch` may appear in a tool or argument name.
pub(crate) fn is_identifier_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.')
}

/// Reject names with characters outside [`is_identifier_char`]; `what` names
/// the kind of identifier in the message.
pub(crate) fn check_identifier(what: &str, value: &str) -> Result<(), KernelError> {
    if value.chars().all(is_identifier_char) {
        Ok(())
    } else {
        Err(KernelError::NormalizerFailed(format!(
            "invalid {what}: {value:?}"
        )))
    }
}

/// The outcome of dispatching one [`ToolInvocation`]: the call and the JSON
/// the tool (or a skipping hook) produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolInvocationResult {
    /// The call that was dispatched.
    pub invocation: ToolInvocation,
    /// The tool's output.
    pub output: Value,
}

/// What a [`ToolDispatchHook`](super::ToolDispatchHook) decides before a
/// call runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolDispatchAction {
    /// Run the tool.
    Continue,
    /// Do not run the tool; record `output` as its result instead.
    Skip {
        /// The result to record in place of the tool's.
        output: Value,
        /// Why the tool was not run, if the hook says.
        reason: Option<String>,
    },
    /// Stop the whole dispatch loop with
    /// [`KernelError::ToolDispatchTerminated`].
    Terminate {
        /// Why dispatch stopped; becomes the error message.
        reason: String,
    },
}

/// How a recorded result came about.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolInvocationOutcome {
    /// The tool ran.
    Completed,
    /// A hook skipped the tool and supplied the result.
    Skipped {
        /// Why the tool was not run, if the hook says.
        reason: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_validated() {
        for ok in ["a", "get_weather", "ns.tool-v2", "X9"] {
            assert!(ToolInvocation::new(ok, json!({})).is_ok(), "{ok}");
        }
        let blank = ToolInvocation::new("  ", json!({})).unwrap_err();
        assert!(blank.to_string().contains("empty tool name"));
        let bad = ToolInvocation::new("a b", json!({})).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "tool-call normalizer failed: invalid tool name: \"a b\""
        );
        assert!(ToolInvocation::new("héllo", json!({})).is_err());
    }
}
