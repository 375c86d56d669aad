//! The kernel-wide error type.

use thiserror::Error;

/// Every failure the kernel reports: registry lookups, tool and skill
/// execution, normalization, dispatch policy and budgets.
///
/// The variants carry a human-readable message rather than nested error
/// types so that errors can cross transports (MCP, delegates) unchanged.
#[derive(Debug, Error)]
pub enum KernelError {
    /// No tool with this name is registered.
    #[error("tool `{0}` not found in registry")]
    ToolNotFound(String),

    /// The tool exists but lies outside the caller's scoped view.
    #[error("tool `{0}` is not authorised for this agent")]
    ToolNotAuthorised(String),

    /// No skill with this id is registered.
    #[error("skill `{0}` not found in registry")]
    SkillNotFound(String),

    /// A tool ran and reported an infrastructure or execution failure.
    #[error("tool invocation failed: {0}")]
    ToolFailed(String),

    /// A soft failure: the tool works, but the request does not apply to its
    /// current state. Callers may treat it as a no-op.
    #[error("tool not applicable: {0}")]
    ToolNotApplicable(String),

    /// A skill failed while executing.
    #[error("skill execution failed: {0}")]
    SkillFailed(String),

    /// An argument was missing or malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Model output could not be turned into tool invocations. Kept apart
    /// from [`Self::ToolFailed`] so parse failures are distinguishable from
    /// runtime failures.
    #[error("tool-call normalizer failed: {0}")]
    NormalizerFailed(String),

    /// A dispatch hook deliberately stopped the dispatch loop.
    #[error("tool dispatch terminated: {0}")]
    ToolDispatchTerminated(String),

    /// A budget or accounting backend failed while deciding on dispatch.
    #[error("budget failed: {0}")]
    BudgetFailed(String),

    /// JSON (de)serialization failed.
    #[error(transparent)]
    Serde(#[from] serde_json::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_subject() {
        assert_eq!(
            KernelError::ToolNotFound("grep".into()).to_string(),
            "tool `grep` not found in registry"
        );
        assert_eq!(
            KernelError::ToolNotAuthorised("rm".into()).to_string(),
            "tool `rm` is not authorised for this agent"
        );
        assert_eq!(
            KernelError::BudgetFailed("backend down".into()).to_string(),
            "budget failed: backend down"
        );
    }

    #[test]
    fn serde_errors_convert_and_stay_transparent() {
        let parse = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let text = parse.to_string();
        let err: KernelError = parse.into();
        assert!(matches!(err, KernelError::Serde(_)));
        assert_eq!(err.to_string(), text);
    }
}
