//! [`DelegateTool`]: a delegate executor presented as a [`Tool`].

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::DelegateExecutor;
use crate::registry::KernelError;
use crate::tool::{Tool, ToolName, ToolSchema};

/// A [`Tool`] whose calls are handled by a [`DelegateExecutor`], typically
/// another agent. Register it in a parent's [`ToolRegistry`](crate::ToolRegistry)
/// and the parent's model can delegate by calling it like any other tool.
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use rig_compose::{
///     DelegateTool, GenericAgent, InProcessAgentDelegate, InvestigationContext, KernelError,
///     Skill, SkillOutcome, SkillRegistry, ToolRegistry,
/// };
/// use serde_json::json;
///
/// struct Score;
///
/// #[async_trait]
/// impl Skill for Score {
///     fn id(&self) -> &str { "child.score" }
///     fn applies(&self, ctx: &InvestigationContext) -> bool { ctx.has_signal("suspicious") }
///     async fn execute(&self, _: &mut InvestigationContext, _: &ToolRegistry)
///         -> Result<SkillOutcome, KernelError> { Ok(SkillOutcome::noop().with_delta(0.5)) }
/// }
///
/// let skills = SkillRegistry::new();
/// skills.register(Arc::new(Score));
/// let child = GenericAgent::builder("scorer")
///     .with_skills(["child.score"])
///     .build(&skills, &ToolRegistry::new())?;
///
/// let parent_tools = ToolRegistry::new();
/// parent_tools.register(Arc::new(DelegateTool::new(
///     "ask_scorer",
///     "Scores an entity given its signals",
///     InProcessAgentDelegate::arc(Arc::new(child)),
/// )));
///
/// # futures::executor::block_on(async {
/// let reply = parent_tools
///     .invoke("ask_scorer", json!({"entity_id": "host-9", "signals": ["suspicious"]}))
///     .await?;
/// assert_eq!(reply["agent"], "scorer");
/// assert_eq!(reply["result"]["skills_run"], json!(["child.score"]));
/// assert_eq!(reply["context"]["entity_id"], "host-9");
/// # Ok::<(), KernelError>(())
/// # })?;
/// # Ok::<(), KernelError>(())
/// ```
pub struct DelegateTool {
    schema: ToolSchema,
    executor: Arc<dyn DelegateExecutor>,
}

impl DelegateTool {
    /// A delegate tool whose argument and result schemas are both the
    /// permissive `{"type": "object"}`.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        executor: Arc<dyn DelegateExecutor>,
    ) -> Self {
        let object = json!({"type": "object"});
        let schema = ToolSchema {
            name: name.into(),
            description: description.into(),
            args_schema: object.clone(),
            result_schema: object,
        };
        Self::with_schema(schema, executor)
    }

    /// A delegate tool advertising the given `schema`. The schema is not
    /// enforced on arguments; it only tells the model what to send.
    pub fn with_schema(schema: ToolSchema, executor: Arc<dyn DelegateExecutor>) -> Self {
        Self { schema, executor }
    }
}

impl fmt::Debug for DelegateTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DelegateTool")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Tool for DelegateTool {
    // Cheaper than the default, which builds the whole schema.
    fn name(&self) -> ToolName {
        self.schema.name.clone()
    }

    fn schema(&self) -> ToolSchema {
        self.schema.clone()
    }

    async fn invoke(&self, arguments: Value) -> Result<Value, KernelError> {
        self.executor.invoke(arguments).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Remembers the arguments it saw and fails on request.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Value>>);

    #[async_trait]
    impl DelegateExecutor for Recorder {
        async fn invoke(&self, args: Value) -> Result<Value, KernelError> {
            self.0.lock().unwrap().push(args.clone());
            if args.get("fail").is_some() {
                return Err(KernelError::ToolFailed("asked to fail".into()));
            }
            Ok(json!({"seen": args}))
        }
    }

    #[tokio::test]
    async fn forwards_calls_and_errors_unchanged() {
        let recorder = Arc::new(Recorder::default());
        let tool = DelegateTool::new("child", "desc", recorder.clone());
        let out = tool.invoke(json!({"q": 1})).await.unwrap();
        assert_eq!(out, json!({"seen": {"q": 1}}));
        let err = tool.invoke(json!({"fail": true})).await.unwrap_err();
        assert!(matches!(err, KernelError::ToolFailed(m) if m == "asked to fail"));
        assert_eq!(recorder.0.lock().unwrap().len(), 2);
    }

    #[test]
    fn default_and_custom_schemas() {
        let exec: Arc<dyn DelegateExecutor> = Arc::new(Recorder::default());
        let tool = DelegateTool::new("child", "a child agent", exec.clone());
        assert_eq!(
            tool.schema(),
            ToolSchema {
                name: "child".into(),
                description: "a child agent".into(),
                args_schema: json!({"type": "object"}),
                result_schema: json!({"type": "object"}),
            }
        );
        assert_eq!(tool.name(), "child");

        let custom = ToolSchema {
            name: "typed".into(),
            description: String::new(),
            args_schema: json!({"type": "object", "required": ["entity_id"]}),
            result_schema: json!({"type": "object", "properties": {}}),
        };
        let typed = DelegateTool::with_schema(custom.clone(), exec);
        assert_eq!(typed.schema(), custom);
        assert_eq!(typed.name(), "typed");
        assert!(format!("{typed:?}").contains("typed"));
    }
}
