//! Runs the built `rig-compose normalize` on model outputs fed to stdin.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use rig_compose::normalizer::{all_formats, format_by_name};
use serde_json::{Value, json};

/// The benchmark corpus: realistic outputs for every format family, with
/// the names to look each one up by (see the file's header).
const CORPUS: &str = include_str!("../../rig-compose/benches/formats/corpus.txt");

fn normalize(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rig-compose"))
        .arg("normalize")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the rig-compose binary");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    // Write from another thread so a large output cannot block both ends.
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().unwrap();
    // The tool may stop reading early (usage errors); a broken pipe is fine.
    let _ = writer.join().unwrap();
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Run a command that must succeed; returns its stdout as JSON.
fn ok_json(args: &[&str], stdin: &str) -> Value {
    let output = normalize(args, stdin.as_bytes());
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        stderr(&output)
    );
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// Run a command that must fail with `code`; returns its single stderr line.
fn fails(args: &[&str], stdin: &[u8], code: i32) -> (String, String) {
    let output = normalize(args, stdin);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{args:?}: stdout {} stderr {}",
        stdout(&output),
        stderr(&output)
    );
    let err = stderr(&output);
    (stdout(&output), err)
}

/// The JSON Lines of a `--stream` run.
fn events(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Fold `--stream` events into the whole-text JSON shape (format from the
/// final `done` event).
fn fold(events: &[Value]) -> Value {
    let (mut text, mut reasoning) = (String::new(), String::new());
    let (mut calls, mut warnings) = (Vec::new(), Vec::new());
    let mut format = Value::Null;
    for event in events {
        let mut event = event.as_object().unwrap().clone();
        match event.remove("event").unwrap().as_str().unwrap() {
            "text" => text.push_str(event["delta"].as_str().unwrap()),
            "reasoning" => reasoning.push_str(event["delta"].as_str().unwrap()),
            "call_finished" => {
                event.remove("index");
                calls.push(Value::Object(event));
            }
            "warning" => warnings.push(Value::Object(event)),
            "done" => format = event["format"].clone(),
            "call_started" | "arguments_delta" => {}
            other => panic!("unknown event {other}"),
        }
    }
    json!({"format": format, "calls": calls, "text": text,
           "reasoning": reasoning, "warnings": warnings})
}

const HERMES_TWO: &str = "Checking both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"東京\", \"opts\": {\"note\": \"a } and </tool_call> in text\"}}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}\n</tool_call>\nDone.";

fn hermes_two_expected() -> Value {
    json!({
        "format": "hermes",
        "calls": [
            {"name": "get_weather", "arguments": {"city": "東京", "opts": {"note": "a } and </tool_call> in text"}}, "id": null},
            {"name": "get_time", "arguments": {"tz": "UTC"}, "id": null},
        ],
        "text": "Checking both.\n\n\nDone.",
        "reasoning": "",
        "warnings": [],
    })
}

#[test]
fn auto_is_the_default_and_prints_calls_text_and_format() {
    assert_eq!(ok_json(&[], HERMES_TWO), hermes_two_expected());
    assert_eq!(
        ok_json(&["--format", "auto"], HERMES_TWO),
        hermes_two_expected()
    );
}

#[test]
fn formats_are_chosen_by_name_or_alias() {
    assert_eq!(
        ok_json(&["--format", "hermes"], HERMES_TWO),
        hermes_two_expected()
    );
    assert_eq!(
        ok_json(&["--format", "QWEN25"], HERMES_TWO),
        hermes_two_expected()
    );
    // A fixed format is named even when the output holds no call.
    let out = ok_json(&["--format", "hermes"], "Nothing to call.");
    assert_eq!(out["format"], "hermes");
    assert_eq!(out["calls"], json!([]));
    assert_eq!(out["text"], "Nothing to call.");
}

#[test]
fn reasoning_is_separated() {
    let raw = "<think>Need the time.</think>On it.<tool_call>{\"name\": \"get_time\", \"arguments\": {}}</tool_call>";
    let out = ok_json(&[], raw);
    assert_eq!(out["reasoning"], "Need the time.");
    assert_eq!(out["text"], "On it.");
    assert_eq!(out["calls"][0]["name"], "get_time");
    // A template that already opened the reasoning block.
    let open = ok_json(&["--starts-in-reasoning"], "Need the time.</think>Sure.");
    assert_eq!(open["reasoning"], "Need the time.");
    assert_eq!(open["text"], "Sure.");
}

#[test]
fn json_in_prose_is_not_a_call() {
    let raw = "Send {\"name\": \"rm\", \"arguments\": {\"path\": \"/\"}} to delete.";
    let out = ok_json(&[], raw);
    assert_eq!(out["calls"], json!([]));
    assert_eq!(out["format"], Value::Null);
    assert_eq!(out["text"], raw);
}

#[test]
fn model_hint_is_accepted_with_auto_only() {
    let out = ok_json(&["--model", "Qwen/Qwen2.5-7B-Instruct"], HERMES_TWO);
    assert_eq!(out, hermes_two_expected());
    let (out, err) = fails(&["--format", "hermes", "--model", "qwen"], b"", 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--model"), "{err}");
}

#[test]
fn compact_prints_one_line() {
    let output = normalize(&["--compact"], HERMES_TWO.as_bytes());
    assert!(output.status.success());
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with('\n'));
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value, hermes_two_expected());
    // Pretty by default.
    assert!(
        stdout(&normalize(&[], HERMES_TWO.as_bytes()))
            .lines()
            .count()
            > 1
    );
}

#[test]
fn stream_prints_events_that_add_up_to_the_whole_result() {
    for args in [
        &["--stream"][..],
        &["--stream", "--chunk", "1"],
        &["--stream", "--chunk", "7"],
        &["--stream", "--chunk", "4096"],
    ] {
        let output = normalize(args, HERMES_TWO.as_bytes());
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let events = events(&stdout(&output));
        assert_eq!(fold(&events), hermes_two_expected(), "{args:?}");
        // Text before the first call comes first, as soon as it is read.
        let before: String = events
            .iter()
            .take_while(|e| e["event"] == "text")
            .map(|e| e["delta"].as_str().unwrap())
            .collect();
        assert_eq!(before, "Checking both.\n", "{args:?}");
        assert_eq!(
            events.last().unwrap(),
            &json!({"event": "done", "format": "hermes"})
        );
        let started: Vec<&Value> = events
            .iter()
            .filter(|e| e["event"] == "call_started")
            .collect();
        assert_eq!(started.len(), 2, "{args:?}");
        assert_eq!(started[1]["index"], 1);
        assert_eq!(started[1]["name"], "get_time");
    }
}

#[test]
fn byte_chunks_stream_argument_deltas() {
    let output = normalize(&["--stream", "--chunk", "1"], HERMES_TWO.as_bytes());
    let events = events(&stdout(&output));
    let deltas: String = events
        .iter()
        .filter(|e| e["event"] == "arguments_delta" && e["index"] == 0)
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    // What was streamed of the arguments is a prefix of the JSON written.
    assert!(!deltas.is_empty());
    assert!(
        "{\"city\": \"東京\", \"opts\": {\"note\": \"a } and </tool_call> in text\"}}"
            .starts_with(&deltas),
        "{deltas}"
    );
}

#[test]
fn unknown_format_is_a_usage_error() {
    let (out, err) = fails(&["--format", "no-such-format"], b"text", 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("rig-compose: error: "), "{err}");
    assert!(err.contains("no-such-format"), "{err}");
    assert!(err.contains("--list"), "{err}");
}

#[test]
fn bad_options_are_usage_errors() {
    // --chunk needs --stream, and must be positive.
    let (_, err) = fails(&["--chunk", "3"], b"", 2);
    assert!(err.contains("--stream"), "{err}");
    let (_, err) = fails(&["--stream", "--chunk", "0"], b"", 2);
    assert!(err.contains("--chunk"), "{err}");
    let (_, err) = fails(&["--list", "--stream"], b"", 2);
    assert!(err.contains("--list"), "{err}");
}

#[test]
fn malformed_output_exits_3_with_a_located_error() {
    let raw = "Hi <tool_call>{\"name\": \"f\", \"name\": \"g\", \"arguments\": {}}</tool_call>";
    let (out, err) = fails(&[], raw.as_bytes(), 3);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("rig-compose: error: hermes: "), "{err}");
    assert!(err.contains("\"name\""), "{err}");
    assert!(err.contains("at byte"), "{err}");
}

#[test]
fn invalid_utf8_exits_3() {
    let (out, err) = fails(&[], b"ok \xff\xfe", 3);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "rig-compose: error: standard input is not valid UTF-8 (at byte 3)\n"
    );
    let (_, err) = fails(&["--stream", "--chunk", "2"], b"ok \xff\xfe", 3);
    assert!(err.contains("not valid UTF-8 (at byte 3)"), "{err}");
}

#[test]
fn truncated_output_exits_4_and_never_reports_the_call() {
    let raw = "Let me check.<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par";
    let (out, err) = fails(&[], raw.as_bytes(), 4);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("ended inside a tool call"), "{err}");
    assert!(err.contains("get_weather"), "{err}");
    assert!(err.contains("byte 13"), "{err}");

    // Streaming prints what it saw, then fails the same way.
    let (out, err) = fails(&["--stream", "--chunk", "5"], raw.as_bytes(), 4);
    let events = events(&out);
    assert!(events.iter().all(|e| e["event"] != "call_finished"));
    assert!(events.iter().all(|e| e["event"] != "done"));
    assert_eq!(events[0]["event"], "text");
    assert!(err.contains("ended inside a tool call"), "{err}");
}

#[test]
fn errors_quoting_model_output_stay_on_one_line() {
    // The partial call's name holds an escaped newline.
    let raw = "<tool_call>{\"name\": \"a\\nb\", \"arguments\": {";
    let (_, err) = fails(&[], raw.as_bytes(), 4);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a\\nb"), "{err}");
}

#[test]
fn list_names_every_format_and_alias() {
    let output = normalize(&["--list"], b"");
    assert!(output.status.success());
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("FORMAT"), "{text}");
    assert!(lines.last().unwrap().starts_with("auto "), "{text}");
    assert_eq!(lines.len(), all_formats().count() + 2, "{text}");
    for format in all_formats() {
        let row = lines
            .iter()
            .find(|line| line.split_whitespace().next() == Some(format.name()))
            .unwrap_or_else(|| panic!("no row for {}", format.name()));
        for alias in format.aliases() {
            assert!(row.contains(alias), "{alias} missing in {row}");
        }
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let output = Command::new(env!("CARGO_BIN_EXE_rig-compose"))
        .args(["normalize", "--help"])
        .output()
        .unwrap();
    let help = stdout(&output);
    for needle in [
        "--format",
        "--stream",
        "--chunk",
        "--list",
        "3  malformed",
        "4  incomplete",
    ] {
        assert!(help.contains(needle), "{needle} missing in {help}");
    }
    // normalize is the first command.
    let top = Command::new(env!("CARGO_BIN_EXE_rig-compose"))
        .arg("--help")
        .output()
        .unwrap();
    let top = stdout(&top);
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .map(str::trim)
        .collect();
    assert!(commands[0].starts_with("normalize"), "{top}");
}

/// Every corpus entry whose format is in the catalog: whole-text output,
/// and the same output streamed in 1- and 16-byte chunks, through the real
/// binary, agree (or fail with the same exit status). Formats added to the
/// catalog are covered as soon as they land.
#[test]
fn corpus_streams_like_whole_text_for_every_catalog_format() {
    let mut covered = 0;
    for (names, body) in corpus() {
        let Some(format) = names.iter().find_map(|n| format_by_name(n).ok()) else {
            continue;
        };
        covered += 1;
        for format_arg in [format.name(), "auto"] {
            let whole = normalize(&["--format", format_arg, "--compact"], body.as_bytes());
            for chunk in ["1", "16"] {
                let args = ["--format", format_arg, "--stream", "--chunk", chunk];
                let streamed = normalize(&args, body.as_bytes());
                assert_eq!(
                    streamed.status.code(),
                    whole.status.code(),
                    "{args:?} on {body:?}: {}",
                    stderr(&streamed)
                );
                if whole.status.success() {
                    let whole: Value = serde_json::from_str(&stdout(&whole)).unwrap();
                    let folded = fold(&events(&stdout(&streamed)));
                    assert_eq!(folded, whole, "{args:?} on {body:?}");
                } else {
                    assert_eq!(stderr(&streamed), stderr(&whole), "{args:?} on {body:?}");
                }
            }
        }
    }
    assert!(covered > 0, "no corpus entry has a format in the catalog");
}

/// (names, body) of each corpus entry with a format (not `none`).
fn corpus() -> Vec<(Vec<&'static str>, String)> {
    let mut out: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    let mut in_entry = false;
    for line in CORPUS.lines() {
        if let Some(header) = line.strip_prefix("=== ") {
            let names = header.split_whitespace().next().unwrap();
            out.push((names.split('|').collect(), Vec::new()));
            in_entry = true;
        } else if in_entry {
            out.last_mut().unwrap().1.push(line);
        }
    }
    out.into_iter()
        .filter(|(names, _)| names != &["none"])
        .map(|(names, lines)| (names, lines.join("\n")))
        .collect()
}
