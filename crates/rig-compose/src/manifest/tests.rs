//! Loading, hostile-input and materialization behaviour of manifests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::guard::Limits;
use super::load::{parse_json, parse_yaml};
use super::*;
use crate::agent::GenericAgent;
use crate::context::InvestigationContext;
use crate::delegate::{DelegateRegistry, InProcessAgentDelegate};
use crate::registry::{KernelError, SkillRegistry, ToolRegistry};
use crate::skill::{Skill, SkillOutcome};
use crate::tool::{LocalTool, ToolSchema};

const PORTABLE_JSON: &str = r#"{
    "name": "portable",
    "instructions": {"system_prompt": "Be brief.", "examples": [["hi", "hello"]]},
    "model": {"provider": "openai_compatible", "base_url": "http://localhost:11434/v1", "name": "llama3"},
    "tools": [{"kind": "local", "name": "grep"}],
    "mcp_servers": [{"name": "fs", "command": ["mcp-fs", "/srv"]}],
    "delegates": [
        {"name": "helper", "description": "A helper"},
        {"name": "worker", "description": "In-process worker", "kind": "in_process", "agent": "worker-agent"}
    ],
    "knowledge": {"patterns_path": "patterns.json", "metadata": {"k": [1, 2]}}
}"#;

const PORTABLE_YAML: &str = "
name: portable
instructions:
  system_prompt: Be brief.
  examples:
    - [hi, hello]
model:
  provider: openai_compatible
  base_url: http://localhost:11434/v1
  name: llama3
tools:
  - kind: local
    name: grep
mcp_servers:
  - name: fs
    command: [mcp-fs, /srv]
delegates:
  - name: helper
    description: A helper
  - name: worker
    description: In-process worker
    kind: in_process
    agent: worker-agent
knowledge:
  patterns_path: patterns.json
  metadata:
    k: [1, 2]
";

fn small_limits(depth: usize) -> Limits {
    Limits {
        depth,
        values: 10_000,
        text_bytes: 100_000,
    }
}

fn limit_of(err: &ManifestError) -> Option<(ManifestLimit, Option<SourceLocation>)> {
    let rejected = err.limit_exceeded()?;
    // Limit errors must always be reported as invalid data.
    let ManifestError::Io(io) = err else {
        panic!("limit error outside Io: {err:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData, "{err:?}");
    Some((rejected.limit, rejected.location))
}

// ---------------------------------------------------------------- parsing

#[test]
fn yaml_json_and_json_through_yaml_agree() {
    let from_yaml = AgentManifest::from_yaml(PORTABLE_YAML).unwrap();
    let from_json = AgentManifest::from_json(PORTABLE_JSON).unwrap();
    let json_via_yaml = AgentManifest::from_yaml(PORTABLE_JSON).unwrap();
    assert_eq!(from_yaml, from_json);
    assert_eq!(from_yaml, json_via_yaml);

    assert_eq!(from_yaml.name.as_deref(), Some("portable"));
    assert_eq!(from_yaml.delegates[1].kind, DelegateKind::InProcess);
    assert_eq!(from_yaml.delegates[1].executor_key(), "worker-agent");
    assert_eq!(from_yaml.mcp_servers[0].command, ["mcp-fs", "/srv"]);
    assert_eq!(
        from_yaml.knowledge.as_ref().unwrap().metadata,
        json!({"k": [1, 2]})
    );
    assert!(matches!(
        &from_yaml.model,
        Some(ModelSpec::OpenaiCompatible { name, .. }) if name == "llama3"
    ));
}

#[test]
fn serialized_manifest_reloads_identically() {
    let original = AgentManifest::from_yaml(PORTABLE_YAML).unwrap();
    let yaml = serde_norway::to_string(&original).unwrap();
    assert_eq!(AgentManifest::from_yaml(&yaml).unwrap(), original);
    let json = serde_json::to_string_pretty(&original).unwrap();
    assert_eq!(AgentManifest::from_json(&json).unwrap(), original);
}

#[test]
fn minimal_documents() {
    assert_eq!(
        AgentManifest::from_yaml("{}").unwrap(),
        AgentManifest::default()
    );
    assert_eq!(
        AgentManifest::from_yaml("name: x").unwrap().name.as_deref(),
        Some("x")
    );
    // Unknown top-level keys are ignored, as with the original crate.
    let m = AgentManifest::from_yaml("name: x\nextra: {deep: [1, 2]}").unwrap();
    assert_eq!(m.name.as_deref(), Some("x"));
}

#[test]
fn syntax_errors_report_their_position() {
    let err =
        AgentManifest::from_yaml("name: ok\ntools: [\n  {kind: local, name: a}\n").unwrap_err();
    let ManifestError::Yaml(inner) = &err else {
        panic!("expected a YAML error, got {err:?}");
    };
    assert!(inner.location().is_some());
    assert!(err.to_string().starts_with("yaml parse: "), "{err}");
    assert!(err.to_string().contains("line"), "{err}");

    let err = AgentManifest::from_json("{\"name\": \"x\",\n  \"tools\": [}").unwrap_err();
    let inner = err
        .json_error()
        .unwrap_or_else(|| panic!("expected a JSON error, got {err:?}"));
    assert_eq!((inner.line(), inner.column()), (2, 13));
    assert!(inner.is_syntax());
    assert!(err.limit_exceeded().is_none());
    let ManifestError::Io(io) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(err.to_string(), format!("io: {inner}"));

    // Truncated JSON is an unexpected end of input, still with the details.
    let err = AgentManifest::from_json("{\"name\": \"x\",\n").unwrap_err();
    let ManifestError::Io(io) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
    assert!(err.json_error().is_some_and(serde_json::Error::is_eof));
}

#[test]
fn schema_errors_name_the_problem() {
    let err = AgentManifest::from_yaml("model:\n  provider: anthropic\n  name: c\n").unwrap_err();
    assert!(matches!(err, ManifestError::Yaml(_)));
    assert!(err.to_string().contains("anthropic"), "{err}");

    let err = AgentManifest::from_yaml("delegates:\n  - name: x\n").unwrap_err();
    assert!(err.to_string().contains("description"), "{err}");

    let err = AgentManifest::from_json(r#"{"tools": [{"kind": "local"}]}"#).unwrap_err();
    assert!(err.to_string().contains("name"), "{err}");
    assert!(
        err.json_error().is_some_and(serde_json::Error::is_data),
        "{err:?}"
    );
}

#[test]
fn odd_inputs_are_errors_not_panics() {
    // An empty document is an empty manifest, as with the original crate.
    assert_eq!(
        AgentManifest::from_yaml("").unwrap(),
        AgentManifest::default()
    );
    for text in [
        "---\nname: a\n---\nname: b\n",
        "[1, 2]",
        "just a string",
        "name: *nowhere",
        "\t- bad indentation",
        "name: \"\\uD800\"",
        "\u{0}",
    ] {
        let result = AgentManifest::from_yaml(text);
        assert!(result.is_err(), "{text:?} parsed as {result:?}");
    }
    for text in ["", "{} {}", "[", "{\"name\": 1}", "nul\u{0}"] {
        assert!(AgentManifest::from_json(text).is_err(), "{text:?}");
    }
}

// ----------------------------------------------------------- size limits

#[test]
fn oversized_input_is_rejected_before_parsing() {
    // 50 MB: rejected by length alone, so this is quick even unoptimised.
    let huge = "a".repeat(50 * 1024 * 1024);
    let started = Instant::now();
    let err = AgentManifest::from_yaml(&huge).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let (limit, location) = limit_of(&err).unwrap();
    assert_eq!(
        limit,
        ManifestLimit::InputBytes {
            max: MAX_MANIFEST_BYTES
        }
    );
    let location = location.unwrap();
    assert_eq!(location.offset, Some(MAX_MANIFEST_BYTES));
    assert_eq!(
        (location.line, location.column),
        (1, MAX_MANIFEST_BYTES + 1)
    );
    assert_eq!(
        err.to_string(),
        format!(
            "io: manifest rejected: input is larger than {MAX_MANIFEST_BYTES} bytes at line 1, column {} (byte {MAX_MANIFEST_BYTES})",
            MAX_MANIFEST_BYTES + 1
        )
    );
    assert!(limit_of(&AgentManifest::from_json(&huge).unwrap_err()).is_some());
}

#[test]
fn size_limit_is_inclusive_and_located_by_line() {
    let text = "name: abc\n# comment\n";
    assert!(parse_yaml(text, text.len(), small_limits(8)).is_ok());
    let err = parse_yaml(text, 12, small_limits(8)).unwrap_err();
    let (limit, location) = limit_of(&err).unwrap();
    assert_eq!(limit, ManifestLimit::InputBytes { max: 12 });
    assert_eq!(
        location,
        Some(SourceLocation {
            line: 2,
            column: 3,
            offset: Some(12)
        })
    );
    let err = parse_json("{\"name\": \"é\"}", 11, small_limits(8)).unwrap_err();
    // Byte 11 splits `é`; the column still counts characters up to it.
    assert_eq!(limit_of(&err).unwrap().1.unwrap().column, 12);
}

// ---------------------------------------------------------- depth limits

/// `metadata` nested `levels` deep inside the top-level mapping: the
/// document's total depth is `levels + 2` (root map, knowledge map).
fn nested_metadata(levels: usize, flow: bool) -> String {
    if flow {
        format!(
            "knowledge:\n  metadata: {}1{}\n",
            "[".repeat(levels),
            "]".repeat(levels)
        )
    } else {
        // `levels - 1` bare dashes, each opening a sequence, then `- 1`.
        let mut text = String::from("knowledge:\n  metadata:\n");
        for level in 0..levels - 1 {
            text.push_str(&" ".repeat(4 + 2 * level));
            text.push_str("-\n");
        }
        text.push_str(&" ".repeat(4 + 2 * (levels - 1)));
        text.push_str("- 1\n");
        text
    }
}

#[test]
fn depth_limit_is_exact_for_flow_and_block_yaml() {
    for flow in [true, false] {
        let at_limit = nested_metadata(MAX_MANIFEST_DEPTH - 2, flow);
        let parsed = AgentManifest::from_yaml(&at_limit);
        assert!(parsed.is_ok(), "flow={flow}: {:?}", parsed.err());

        let over = nested_metadata(MAX_MANIFEST_DEPTH - 1, flow);
        let err = AgentManifest::from_yaml(&over).unwrap_err();
        let (limit, location) = limit_of(&err).unwrap_or_else(|| panic!("{err}"));
        assert_eq!(
            limit,
            ManifestLimit::Depth {
                max: MAX_MANIFEST_DEPTH
            }
        );
        let location = location.unwrap();
        if flow {
            // The 63rd `[` opens the 65th collection: line 2, column 13 + 62.
            assert_eq!((location.line, location.column), (2, 13 + 62));
        } else {
            assert_eq!(location.line, 3 + 62);
        }
        assert!(
            err.to_string().contains("deeper than 64 levels at line"),
            "{err}"
        );
    }
}

#[test]
fn depth_limit_applies_to_json() {
    let nest = |n: usize| {
        format!(
            "{{\"knowledge\": {{\"metadata\": {}0{}}}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert!(AgentManifest::from_json(&nest(MAX_MANIFEST_DEPTH - 2)).is_ok());
    let err = AgentManifest::from_json(&nest(MAX_MANIFEST_DEPTH - 1)).unwrap_err();
    // The limit wins over the JSON error the guard made serde_json return.
    assert!(err.json_error().is_none(), "{err:?}");
    let (limit, location) = limit_of(&err).unwrap();
    assert_eq!(
        limit,
        ManifestLimit::Depth {
            max: MAX_MANIFEST_DEPTH
        }
    );
    assert_eq!(location.unwrap().line, 1);
}

#[test]
fn maximal_nesting_fits_on_a_small_stack() {
    // The deepest accepted document must parse well within a modest
    // thread stack, even in an unoptimised build.
    let text = nested_metadata(MAX_MANIFEST_DEPTH - 2, true);
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || AgentManifest::from_yaml(&text).is_ok())
        .unwrap();
    assert!(handle.join().unwrap());
}

#[test]
fn megabyte_of_nesting_is_rejected_quickly() {
    // Flow nesting is refused by the linear pre-scan before libyaml, whose
    // own cost grows with nesting depth, ever sees it.
    for open in ["[", "{a: ", "[\n", "[ ", "{a: [", "[? "] {
        let text = format!(
            "metadata: {}",
            open.repeat(MAX_MANIFEST_BYTES / open.len() - 20)
        );
        let started = Instant::now();
        let err = AgentManifest::from_yaml(&text).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10), "{open:?}");
        let (limit, location) = limit_of(&err).unwrap_or_else(|| panic!("{open:?}: {err}"));
        assert_eq!(
            limit,
            ManifestLimit::Depth {
                max: MAX_MANIFEST_DEPTH
            },
            "{open:?}"
        );
        assert!(location.is_some());
    }
    // Block nesting is cheap for libyaml; the parse-time guard stops it.
    let mut block = String::from("knowledge:\n  metadata:\n");
    let mut level = 4;
    while block.len() < MAX_MANIFEST_BYTES / 2 {
        block.push_str(&" ".repeat(level));
        block.push_str("k:\n");
        level += 1;
    }
    let started = Instant::now();
    let err = AgentManifest::from_yaml(&block).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(limit_of(&err).is_some(), "{err}");

    let json = format!(
        "{{\"knowledge\": {{\"metadata\": {}",
        "[".repeat(MAX_MANIFEST_BYTES - 40)
    );
    let err = AgentManifest::from_json(&json).unwrap_err();
    assert!(limit_of(&err).is_some(), "{err}");
}

// ---------------------------------------------------------- alias bombs

fn billion_laughs(levels: usize) -> String {
    let mut text = String::from(
        "knowledge:\n  metadata:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..levels {
        let prev = level - 1;
        let refs = vec![format!("*l{prev}"); 10].join(", ");
        text.push_str(&format!("    l{level}: &l{level} [{refs}]\n"));
    }
    text
}

#[test]
fn alias_bombs_are_stopped() {
    let started = Instant::now();
    let err = AgentManifest::from_yaml(&billion_laughs(9)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        matches!(
            limit_of(&err),
            Some((
                ManifestLimit::Values { .. } | ManifestLimit::ExpandedBytes { .. },
                _
            ))
        ) || matches!(err, ManifestError::Yaml(_)),
        "{err}"
    );

    // A small, legitimate use of aliases still works.
    let ok = AgentManifest::from_yaml(&billion_laughs(2)).unwrap();
    let meta = &ok.knowledge.unwrap().metadata;
    assert_eq!(meta["l1"].as_array().unwrap().len(), 10);
    assert_eq!(meta["l1"][9], json!(vec!["lol"; 10]));
}

#[test]
fn long_string_aliases_hit_the_text_budget() {
    // 200 KiB of text referenced 40 times = 8 MiB > MAX_MANIFEST_EXPANDED_BYTES,
    // from an input well under MAX_MANIFEST_BYTES.
    let mut text = format!(
        "knowledge:\n  metadata:\n    big: &big \"{}\"\n    copies:\n",
        "x".repeat(200 * 1024)
    );
    for _ in 0..40 {
        text.push_str("      - *big\n");
    }
    assert!(text.len() < MAX_MANIFEST_BYTES);
    let err = AgentManifest::from_yaml(&text).unwrap_err();
    let (limit, location) = limit_of(&err).unwrap_or_else(|| panic!("{err}"));
    assert_eq!(
        limit,
        ManifestLimit::ExpandedBytes {
            max: MAX_MANIFEST_EXPANDED_BYTES
        }
    );
    assert!(location.is_some());
}

#[test]
fn self_referencing_alias_is_an_error() {
    for text in [
        "knowledge:\n  metadata: &a [*a]\n",
        "knowledge:\n  metadata: &a {k: *a}\n",
    ] {
        let err = AgentManifest::from_yaml(text).unwrap_err();
        assert!(
            limit_of(&err).is_some() || matches!(err, ManifestError::Yaml(_)),
            "{err}"
        );
    }
}

// ------------------------------------------------------------ from_path

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(tag: &str, contents: &[u8]) -> Self {
        let path = std::env::temp_dir().join(format!(
            "rig-compose-manifest-{}-{tag}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn from_path_reads_yaml_and_json() {
    let yaml = TempFile::new("ok.yaml", PORTABLE_YAML.as_bytes());
    let json = TempFile::new("ok.json", PORTABLE_JSON.as_bytes());
    assert_eq!(
        AgentManifest::from_path(&yaml.0).unwrap(),
        AgentManifest::from_path(&json.0).unwrap()
    );
}

#[test]
fn from_path_errors_name_the_file() {
    let missing = std::env::temp_dir().join("rig-compose-definitely-missing.yaml");
    let err = AgentManifest::from_path(&missing).unwrap_err();
    let ManifestError::Io(io) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    assert!(
        err.to_string()
            .contains("rig-compose-definitely-missing.yaml"),
        "{err}"
    );

    let bad = TempFile::new("bad-utf8", b"name: ok\nx: \xff\xfe\n");
    let err = AgentManifest::from_path(&bad.0).unwrap_err();
    let ManifestError::Io(io) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string().contains("not valid UTF-8 at byte 12"),
        "{err}"
    );
    assert!(err.limit_exceeded().is_none());

    let big = TempFile::new("big", &vec![b'#'; MAX_MANIFEST_BYTES + 10]);
    let err = AgentManifest::from_path(&big.0).unwrap_err();
    assert_eq!(
        limit_of(&err).unwrap().0,
        ManifestLimit::InputBytes {
            max: MAX_MANIFEST_BYTES
        }
    );

    let broken = TempFile::new("broken.yaml", b"name: [unclosed\n");
    assert!(matches!(
        AgentManifest::from_path(&broken.0),
        Err(ManifestError::Yaml(_))
    ));
}

// -------------------------------------------------------- materializing

fn host_tool(name: &str) -> Arc<LocalTool> {
    let tag = name.to_owned();
    Arc::new(LocalTool::new(
        ToolSchema {
            name: name.into(),
            description: format!("host tool {name}"),
            args_schema: json!({}),
            result_schema: json!({}),
        },
        move |args: Value| {
            let tag = tag.clone();
            async move { Ok(json!({"from": tag, "args": args})) }
        },
    ))
}

fn local(name: &str) -> ToolSpec {
    ToolSpec::Local { name: name.into() }
}

fn delegate(name: &str, kind: DelegateKind, agent: Option<&str>) -> DelegateSpec {
    DelegateSpec {
        name: name.into(),
        description: format!("{name} delegate"),
        kind,
        agent: agent.map(Into::into),
        manifest: None,
    }
}

#[tokio::test]
async fn local_tools_come_from_the_host() {
    let host = ToolRegistry::new();
    host.register(host_tool("grep"));
    host.register(host_tool("unused"));
    let tools = materialize_local_and_delegate_tools(&[local("grep")], &[], &host).unwrap();
    assert_eq!(tools.len(), 1);
    assert!(!tools.is_scoped());
    let out = tools.invoke("grep", json!({"q": 1})).await.unwrap();
    assert_eq!(out, json!({"from": "grep", "args": {"q": 1}}));
    assert!(matches!(
        tools.get("unused"),
        Err(KernelError::ToolNotFound(_))
    ));
}

#[test]
fn missing_or_unauthorised_host_tools_fail() {
    let host = ToolRegistry::new();
    host.register(host_tool("secret"));
    let err = materialize_local_and_delegate_tools(
        &[local("nope")],
        &[delegate("d", DelegateKind::Stub, None)],
        &host,
    )
    .unwrap_err();
    assert!(matches!(&err, ManifestError::MissingHostTool(n) if n == "nope"));

    let scoped = host.scoped(["other"]);
    let err = materialize_local_and_delegate_tools(&[local("secret")], &[], &scoped).unwrap_err();
    assert!(matches!(err, ManifestError::MissingHostTool(n) if n == "secret"));
}

#[tokio::test]
async fn unwired_delegates_become_stubs() {
    let specs = [
        delegate("stub", DelegateKind::Stub, None),
        delegate("remote", DelegateKind::Remote, Some("elsewhere")),
        delegate("mcp", DelegateKind::Mcp, None),
    ];
    let tools = materialize_local_and_delegate_tools(&[], &specs, &ToolRegistry::new()).unwrap();
    assert_eq!(tools.len(), 3);
    for spec in &specs {
        let tool = tools.get(&spec.name).unwrap();
        let schema = tool.schema();
        assert_eq!(schema.description, spec.description);
        assert_eq!(schema.args_schema, json!({"type": "object"}));
        assert_eq!(schema.result_schema, json!({"type": "object"}));
        let out = tool.invoke(json!({"n": 1})).await.unwrap();
        assert_eq!(
            out,
            json!({
                "status": "delegate_unwired",
                "delegate": spec.name,
                "args": {"n": 1},
                "hint": "host has not wired delegate execution; see manifest delegates",
            })
        );
    }
}

#[test]
fn in_process_delegate_without_executor_fails_with_its_key() {
    let host = ToolRegistry::new();
    let err = materialize_local_and_delegate_tools(
        &[],
        &[delegate(
            "child_tool",
            DelegateKind::InProcess,
            Some("child"),
        )],
        &host,
    )
    .unwrap_err();
    assert!(matches!(&err, ManifestError::MissingDelegateExecutor(k) if k == "child"));
    let kernel: KernelError = err.into();
    assert!(matches!(kernel, KernelError::ToolFailed(m) if m.contains("'child'")));

    let err = materialize_local_and_delegate_tools(
        &[],
        &[delegate("by_name", DelegateKind::InProcess, None)],
        &host,
    )
    .unwrap_err();
    assert!(matches!(err, ManifestError::MissingDelegateExecutor(k) if k == "by_name"));
}

struct Mark;

#[async_trait::async_trait]
impl Skill for Mark {
    fn id(&self) -> &str {
        "mark"
    }
    async fn execute(
        &self,
        ctx: &mut InvestigationContext,
        _registry: &ToolRegistry,
    ) -> Result<SkillOutcome, KernelError> {
        ctx.signals.push(crate::context::Signal::new("marked"));
        Ok(SkillOutcome::noop().with_delta(0.2))
    }
}

#[tokio::test]
async fn registered_executors_are_wired_by_key() {
    let skills = SkillRegistry::new();
    skills.register(Arc::new(Mark));
    let child = GenericAgent::builder("child-agent")
        .with_skills(["mark"])
        .build(&skills, &ToolRegistry::new())
        .unwrap();
    let executors = DelegateRegistry::new();
    executors.register("child", InProcessAgentDelegate::arc(Arc::new(child)));

    let manifest = AgentManifest::from_yaml(
        "
delegates:
  - name: ask_child
    description: Ask the child
    kind: in_process
    agent: child
  - name: child
    description: Same executor, looked up by name; kind does not matter
",
    )
    .unwrap();
    let tools = materialize_local_and_delegate_tools_with_delegates(
        &manifest.tools,
        &manifest.delegates,
        &ToolRegistry::new(),
        &executors,
    )
    .unwrap();
    for name in ["ask_child", "child"] {
        let out = tools
            .invoke(name, json!({"entity_id": "h", "signals": []}))
            .await
            .unwrap();
        assert_eq!(out["delegate_kind"], "in_process", "{name}");
        assert_eq!(out["agent"], "child-agent");
        assert_eq!(out["context"]["signals"], json!(["marked"]));
    }
    assert_eq!(
        tools.get("ask_child").unwrap().schema().description,
        "Ask the child"
    );
}

#[tokio::test]
async fn later_entries_replace_earlier_ones_with_the_same_name() {
    let host = ToolRegistry::new();
    host.register(host_tool("shared"));
    let tools = materialize_local_and_delegate_tools(
        &[local("shared")],
        &[delegate("shared", DelegateKind::Stub, None)],
        &host,
    )
    .unwrap();
    assert_eq!(tools.len(), 1);
    let out = tools.invoke("shared", json!({})).await.unwrap();
    assert_eq!(out["status"], "delegate_unwired");
}

#[test]
fn delegate_stub_uses_the_spec() {
    let stub = delegate_stub(&delegate("s", DelegateKind::Remote, Some("k")));
    assert_eq!(stub.name(), "s");
    assert_eq!(stub.schema().description, "s delegate");
}

// ------------------------------------------------------------- proptest

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn yamlish() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "[",
            "]",
            "{",
            "}",
            ":",
            ": ",
            "- ",
            ",",
            "&a ",
            "*a",
            "&b ",
            "*b",
            "!",
            "|",
            ">",
            "'",
            "\"",
            "\n",
            "  ",
            "#",
            "?",
            "name",
            "tools",
            "kind: local",
            "metadata",
            "delegates",
            "x",
            "1",
            "\\",
            "%",
            "---",
            "...",
            "\t",
        ]);
        prop::collection::vec(pieces, 0..80).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn loaders_never_panic(text in yamlish()) {
            let _ = AgentManifest::from_yaml(&text);
            let _ = AgentManifest::from_json(&text);
        }

        #[test]
        fn tight_limits_never_panic(text in yamlish(), depth in 0usize..4) {
            let limits = Limits { depth, values: 20, text_bytes: 40 };
            let _ = parse_yaml(&text, 200, limits);
            let _ = parse_json(&text, 200, limits);
        }
    }
}
