//! The manifest's data model. Field names, tags and defaults are the wire
//! format shared with other rig-compose implementations; change them only
//! with that in mind.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::instructions::Instructions;

/// The host-neutral description of one agent: persona, model choice, tools,
/// MCP servers, delegates and knowledge settings.
///
/// Every field is optional in the input. Product crates can embed the
/// manifest with `#[serde(flatten)]` and add their own settings beside it.
/// Loading is bounded against hostile input; see the
/// [module docs](crate::manifest#limits).
///
/// ```
/// use rig_compose::{AgentManifest, DelegateKind, ModelSpec, ToolRegistry};
/// use rig_compose::manifest::materialize_local_and_delegate_tools;
/// use serde_json::json;
///
/// let manifest = AgentManifest::from_yaml(r#"
/// name: triage
/// instructions:
///   system_prompt: You sort incoming alerts.
///   examples:
///     - ["disk at 91%", "warn"]
/// model:
///   provider: openai_compatible
///   base_url: http://localhost:11434/v1
///   name: llama3
/// delegates:
///   - name: escalate
///     description: Hand the alert to the on-call specialist
/// "#)?;
///
/// assert_eq!(manifest.name.as_deref(), Some("triage"));
/// assert!(matches!(manifest.model, Some(ModelSpec::OpenaiCompatible { ref api_key, .. }) if api_key.is_empty()));
/// assert_eq!(manifest.delegates[0].kind, DelegateKind::Stub);
///
/// // No executor is wired for `escalate`, so it becomes an explanatory stub.
/// let tools = materialize_local_and_delegate_tools(
///     &manifest.tools,
///     &manifest.delegates,
///     &ToolRegistry::new(),
/// )?;
/// let reply = futures::executor::block_on(tools.invoke("escalate", json!({"id": 7})))?;
/// assert_eq!(reply["status"], "delegate_unwired");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentManifest {
    /// Display name, e.g. for startup logs.
    #[serde(default)]
    pub name: Option<String>,
    /// The agent's persona.
    #[serde(default)]
    pub instructions: Option<InstructionsSpec>,
    /// Which model backend to use; the host builds the client.
    #[serde(default)]
    pub model: Option<ModelSpec>,
    /// Host tools the agent may use.
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
    /// MCP servers the host should start and expose.
    #[serde(default)]
    pub mcp_servers: Vec<McpServerSpec>,
    /// Other agents this one can call as tools.
    #[serde(default)]
    pub delegates: Vec<DelegateSpec>,
    /// Knowledge-backend settings.
    #[serde(default)]
    pub knowledge: Option<KnowledgeSpec>,
}

/// The manifest form of [`Instructions`]; convert with `.into()`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstructionsSpec {
    /// The system prompt (required).
    pub system_prompt: String,
    /// JSON Schema for the model's answer.
    #[serde(default)]
    pub response_schema: Option<Value>,
    /// Few-shot examples as `[user, assistant]` pairs.
    #[serde(default)]
    pub examples: Vec<[String; 2]>,
    /// Backend-specific extras.
    #[serde(default)]
    pub metadata: Value,
}

impl From<InstructionsSpec> for Instructions {
    fn from(spec: InstructionsSpec) -> Self {
        let InstructionsSpec {
            system_prompt,
            response_schema,
            examples,
            metadata,
        } = spec;
        let mut out = Instructions::new(system_prompt);
        out.response_schema = response_schema;
        out.examples = examples
            .into_iter()
            .map(|[user, assistant]| (user, assistant))
            .collect();
        // `null` means "not given"; leave the default in place.
        if !metadata.is_null() {
            out.metadata = metadata;
        }
        out
    }
}

/// Which model provider to use, tagged by `provider`. The host turns this
/// into a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case")]
pub enum ModelSpec {
    /// OpenAI's hosted API (`provider: openai`); the key comes from the
    /// host's environment.
    Openai {
        /// Model name.
        name: String,
    },
    /// Any OpenAI-compatible chat-completions endpoint such as Ollama, vLLM
    /// or LM Studio (`provider: openai_compatible`).
    OpenaiCompatible {
        /// Endpoint base URL.
        base_url: String,
        /// API key; may be empty for endpoints that do not check it.
        #[serde(default)]
        api_key: String,
        /// Model name.
        name: String,
    },
}

/// One tool the agent may use, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToolSpec {
    /// A tool the host has already registered (`kind: local`).
    Local {
        /// The tool's registry name.
        name: String,
    },
}

/// An MCP server for the host to launch over stdio. The kernel never starts
/// processes; a transport crate such as `rig-mcp` does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServerSpec {
    /// Label for logs; hosts commonly prefix discovered tools with it
    /// (`<name>.<tool>`).
    pub name: String,
    /// Program followed by its arguments.
    pub command: Vec<String>,
}

/// How the host is expected to provide a delegate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegateKind {
    /// Nothing needs to be wired; an explanatory stub is acceptable.
    #[default]
    Stub,
    /// An agent in this process, registered in a
    /// [`DelegateRegistry`](crate::DelegateRegistry) under
    /// [`DelegateSpec::executor_key`]. Materializing fails if it is missing.
    InProcess,
    /// Reserved for delegates reached through a remote runtime.
    Remote,
    /// Reserved for delegates reached through MCP.
    Mcp,
}

/// A peer agent offered to the model as a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelegateSpec {
    /// Tool name the model calls.
    pub name: String,
    /// Tool description shown to the model.
    pub description: String,
    /// How the host provides it (default [`DelegateKind::Stub`]).
    #[serde(default)]
    pub kind: DelegateKind,
    /// Executor key in the host's delegate registry, if different from
    /// `name`.
    #[serde(default)]
    pub agent: Option<String>,
    /// Path to the child's own manifest, for hosts that assemble children
    /// recursively.
    #[serde(default)]
    pub manifest: Option<String>,
}

impl DelegateSpec {
    /// The key to look the executor up by: `agent` if set, else `name`.
    pub fn executor_key(&self) -> &str {
        self.agent.as_deref().unwrap_or(self.name.as_str())
    }
}

/// Settings for a host-provided knowledge backend.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeSpec {
    /// Where domain pattern data lives; the host picks the format.
    #[serde(default)]
    pub patterns_path: Option<String>,
    /// Free-form backend settings.
    #[serde(default)]
    pub metadata: Value,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn full_manifest_serde_shape() {
        let manifest = AgentManifest {
            name: Some("n".into()),
            instructions: Some(InstructionsSpec {
                system_prompt: "p".into(),
                response_schema: Some(json!({"type": "string"})),
                examples: vec![["u".into(), "a".into()]],
                metadata: json!({"t": 0.2}),
            }),
            model: Some(ModelSpec::Openai { name: "gpt".into() }),
            tools: vec![ToolSpec::Local {
                name: "grep".into(),
            }],
            mcp_servers: vec![McpServerSpec {
                name: "fs".into(),
                command: vec!["mcp-fs".into(), "/data".into()],
            }],
            delegates: vec![DelegateSpec {
                name: "child".into(),
                description: "d".into(),
                kind: DelegateKind::InProcess,
                agent: Some("key".into()),
                manifest: None,
            }],
            knowledge: Some(KnowledgeSpec {
                patterns_path: Some("p.json".into()),
                metadata: Value::Null,
            }),
        };
        let wire = serde_json::to_value(&manifest).unwrap();
        assert_eq!(
            wire,
            json!({
                "name": "n",
                "instructions": {
                    "system_prompt": "p",
                    "response_schema": {"type": "string"},
                    "examples": [["u", "a"]],
                    "metadata": {"t": 0.2}
                },
                "model": {"provider": "openai", "name": "gpt"},
                "tools": [{"kind": "local", "name": "grep"}],
                "mcp_servers": [{"name": "fs", "command": ["mcp-fs", "/data"]}],
                "delegates": [{
                    "name": "child", "description": "d", "kind": "in_process",
                    "agent": "key", "manifest": null
                }],
                "knowledge": {"patterns_path": "p.json", "metadata": null}
            })
        );
        let back: AgentManifest = serde_json::from_value(wire).unwrap();
        assert_eq!(back, manifest);
    }

    #[test]
    fn everything_is_optional_except_inner_required_fields() {
        let empty: AgentManifest = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, AgentManifest::default());

        let model: ModelSpec = serde_json::from_value(
            json!({"provider": "openai_compatible", "base_url": "u", "name": "m"}),
        )
        .unwrap();
        assert_eq!(
            model,
            ModelSpec::OpenaiCompatible {
                base_url: "u".into(),
                api_key: String::new(),
                name: "m".into()
            }
        );
        let wire = serde_json::to_value(&model).unwrap();
        assert_eq!(wire["api_key"], "");

        for bad in [
            json!({"instructions": {}}),
            json!({"model": {"provider": "anthropic", "name": "x"}}),
            json!({"model": {"name": "x"}}),
            json!({"tools": [{"kind": "remote", "name": "x"}]}),
            json!({"delegates": [{"name": "x"}]}),
            json!({"delegates": [{"name": "x", "description": "", "kind": "InProcess"}]}),
            json!({"mcp_servers": [{"name": "x", "command": "not-a-list"}]}),
            json!({"instructions": {"system_prompt": "", "examples": [["only-one"]]}}),
        ] {
            assert!(
                serde_json::from_value::<AgentManifest>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn delegate_kinds_and_executor_key() {
        for (kind, text) in [
            (DelegateKind::Stub, "stub"),
            (DelegateKind::InProcess, "in_process"),
            (DelegateKind::Remote, "remote"),
            (DelegateKind::Mcp, "mcp"),
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(text));
            let back: DelegateKind = serde_json::from_value(json!(text)).unwrap();
            assert_eq!(back, kind);
        }
        let mut spec: DelegateSpec =
            serde_json::from_value(json!({"name": "tool_name", "description": ""})).unwrap();
        assert_eq!(spec.kind, DelegateKind::Stub);
        assert_eq!(spec.executor_key(), "tool_name");
        spec.agent = Some("registry_key".into());
        assert_eq!(spec.executor_key(), "registry_key");
    }

    #[test]
    fn instructions_spec_converts() {
        let spec = InstructionsSpec {
            system_prompt: "sys".into(),
            response_schema: None,
            examples: vec![["q1".into(), "a1".into()], ["q2".into(), "a2".into()]],
            metadata: Value::Null,
        };
        let inst: Instructions = spec.into();
        assert_eq!(inst.system_prompt, "sys");
        assert_eq!(inst.response_schema, None);
        assert_eq!(
            inst.examples,
            vec![
                ("q1".to_owned(), "a1".to_owned()),
                ("q2".to_owned(), "a2".to_owned())
            ]
        );
        assert_eq!(inst.metadata, Instructions::new("x").metadata);

        let with_extras: Instructions = InstructionsSpec {
            system_prompt: String::new(),
            response_schema: Some(json!(true)),
            examples: vec![],
            metadata: json!({"temperature": 0}),
        }
        .into();
        assert_eq!(with_extras.response_schema, Some(json!(true)));
        assert_eq!(with_extras.metadata, json!({"temperature": 0}));
    }
}
