//! Rendering of command results: human tables and JSON. Kept apart from
//! the commands so every future subcommand prints the same way.

use std::fmt::Write as _;

use rig_compose::normalizer::{
    NormalizeWarning, Normalized, ParsedCall, StreamEvent, ToolCallFormat,
};
use rig_compose_redis::{NodeStatus, TreeStatus};
use serde::Serialize;
use serde_json::Value;

/// Column headings of the node table, in order.
const NODE_COLUMNS: [&str; 8] = [
    "NODE",
    "CAPACITY",
    "WINDOW",
    "CONSUMED",
    "HELD",
    "DEBT",
    "AVAILABLE",
    "RESETS IN",
];

/// `status` as pretty-printed JSON (the serde form of [`TreeStatus`]),
/// with a final newline.
pub(crate) fn status_json(status: &TreeStatus) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(status).map(|mut text| {
        text.push('\n');
        text
    })
}

/// `status` as a summary followed by one aligned row per node.
pub(crate) fn status_table(status: &TreeStatus) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(out, "tree:              {}", status.tree);
    let _ = writeln!(out, "server time (ms):  {}", status.server_millis);
    let _ = writeln!(
        out,
        "live holds:        {} ({} leased, {} expired)",
        status.live_holds, status.leased_holds, status.expired_holds
    );
    let _ = writeln!(
        out,
        "reclaimed holds:   {} ({} units)",
        status.reclaimed_total, status.reclaimed_units
    );
    let _ = writeln!(out, "late settles:      {}", status.late_settles);
    let _ = writeln!(out, "remembered closes: {}", status.remembered_closes);
    let _ = writeln!(out, "last sequence:     {}", status.last_seq);
    out.push('\n');
    if status.nodes.is_empty() {
        out.push_str("no nodes (the tree is empty or does not exist)\n");
        return out;
    }
    let rows: Vec<[String; 8]> = status
        .nodes
        .iter()
        .map(|node| node_row(node, status.server_millis))
        .collect();
    let mut widths = NODE_COLUMNS.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    push_row(&mut out, &NODE_COLUMNS.map(str::to_owned), &widths);
    for row in &rows {
        push_row(&mut out, row, &widths);
    }
    out
}

fn node_row(node: &NodeStatus, now_millis: u64) -> [String; 8] {
    let resets = node.resets_at_millis.map_or_else(
        || "never".to_owned(),
        |at| human_millis(at.saturating_sub(now_millis)),
    );
    [
        node.name.clone(),
        node.capacity.to_string(),
        node.window.to_string(),
        node.consumed.to_string(),
        node.held.to_string(),
        node.debt.to_string(),
        node.available.to_string(),
        resets,
    ]
}

/// Name and window left-aligned, numbers right-aligned, two spaces apart.
fn push_row(out: &mut String, cells: &[String; 8], widths: &[usize; 8]) {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if index > 0 {
            line.push_str("  ");
        }
        let _ = match index {
            0 | 2 | 7 => write!(line, "{cell:<width$}"),
            _ => write!(line, "{cell:>width$}"),
        };
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// A duration in the two largest units that matter: `3d 4h`, `5m 2s`,
/// `850ms`.
pub(crate) fn human_millis(millis: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    if millis < 1_000 {
        return format!("{millis}ms");
    }
    let mut parts = Vec::with_capacity(2);
    let mut rest = millis;
    for (size, unit) in UNITS {
        let count = rest / size;
        rest %= size;
        if count > 0 || !parts.is_empty() {
            parts.push(format!("{count}{unit}"));
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

/// The line printed after `reset`.
pub(crate) fn reset_report(tree: &str, node: Option<&str>, count: usize) -> String {
    match node {
        Some(node) => format!("reset node `{node}` of tree `{tree}`\n"),
        None => format!("reset {count} node(s) of tree `{tree}`\n"),
    }
}

/// The line printed after `reap`.
pub(crate) fn reap_report(tree: &str, count: usize) -> String {
    format!("reclaimed {count} expired hold(s) of tree `{tree}`\n")
}

/// One call as printed by `normalize`.
#[derive(Debug, Serialize)]
struct CallJson<'a> {
    name: &'a str,
    arguments: &'a Value,
    id: Option<&'a str>,
}

impl<'a> From<&'a ParsedCall> for CallJson<'a> {
    fn from(call: &'a ParsedCall) -> Self {
        Self {
            name: &call.invocation.name,
            arguments: &call.invocation.args,
            id: call.id.as_deref(),
        }
    }
}

/// A warning, tagged with its kind.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum WarningJson<'a> {
    UntypedValue {
        tool: &'a str,
        argument: &'a str,
        expected: &'a str,
        offset: usize,
    },
    RepeatedName {
        name: &'a str,
        offset: usize,
    },
    /// Kinds added to the library after this tool was written.
    Other {
        message: String,
    },
}

impl<'a> From<&'a NormalizeWarning> for WarningJson<'a> {
    fn from(warning: &'a NormalizeWarning) -> Self {
        match warning {
            NormalizeWarning::UntypedValue {
                tool,
                argument,
                expected,
                offset,
            } => Self::UntypedValue {
                tool,
                argument,
                expected,
                offset: *offset,
            },
            NormalizeWarning::RepeatedName { name, offset } => Self::RepeatedName {
                name,
                offset: *offset,
            },
            other => Self::Other {
                message: format!("{other:?}"),
            },
        }
    }
}

/// The whole-text result of `normalize`.
#[derive(Debug, Serialize)]
struct NormalizedJson<'a> {
    format: Option<&'a str>,
    calls: Vec<CallJson<'a>>,
    text: &'a str,
    reasoning: &'a str,
    warnings: Vec<WarningJson<'a>>,
}

/// One line of `normalize --stream`.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum EventJson<'a> {
    Text {
        delta: &'a str,
    },
    Reasoning {
        delta: &'a str,
    },
    CallStarted {
        index: usize,
        name: &'a str,
        id: Option<&'a str>,
    },
    ArgumentsDelta {
        index: usize,
        delta: &'a str,
    },
    CallFinished {
        index: usize,
        #[serde(flatten)]
        call: CallJson<'a>,
    },
    Warning {
        #[serde(flatten)]
        warning: WarningJson<'a>,
    },
    /// The stream ended cleanly; the format detected (or fixed), if any.
    Done {
        format: Option<&'a str>,
    },
}

/// `value` as JSON followed by a newline: pretty, or on one line.
fn json_line(value: &impl Serialize, compact: bool) -> Result<String, serde_json::Error> {
    let text = if compact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    };
    text.map(|mut text| {
        text.push('\n');
        text
    })
}

/// The result of `normalize` on a whole output. `format` is the format the
/// calls were found in (or the one fixed on the command line).
pub(crate) fn normalized_json(
    normalized: &Normalized,
    format: Option<&str>,
    compact: bool,
) -> Result<String, serde_json::Error> {
    let report = NormalizedJson {
        format,
        calls: normalized.calls.iter().map(CallJson::from).collect(),
        text: &normalized.text,
        reasoning: &normalized.reasoning,
        warnings: normalized.warnings.iter().map(WarningJson::from).collect(),
    };
    json_line(&report, compact)
}

/// One stream event as a JSON line (always compact: the stream is JSON
/// Lines).
pub(crate) fn event_json(event: &StreamEvent) -> Result<String, serde_json::Error> {
    let json = match event {
        StreamEvent::TextDelta(delta) => EventJson::Text { delta },
        StreamEvent::ReasoningDelta(delta) => EventJson::Reasoning { delta },
        StreamEvent::CallStarted { index, name, id } => EventJson::CallStarted {
            index: *index,
            name,
            id: id.as_deref(),
        },
        StreamEvent::ArgumentsDelta { index, delta } => EventJson::ArgumentsDelta {
            index: *index,
            delta,
        },
        StreamEvent::CallFinished { index, call } => EventJson::CallFinished {
            index: *index,
            call: call.into(),
        },
        StreamEvent::Warning(warning) => EventJson::Warning {
            warning: warning.into(),
        },
    };
    json_line(&json, true)
}

/// The last line of `normalize --stream`.
pub(crate) fn done_json(format: Option<&str>) -> Result<String, serde_json::Error> {
    json_line(&EventJson::Done { format }, true)
}

/// `normalize --list`: one row per format (name, aliases, syntax), then
/// `auto`.
pub(crate) fn format_list(formats: &[&dyn ToolCallFormat]) -> String {
    let mut rows: Vec<[String; 3]> = formats
        .iter()
        .map(|format| {
            [
                format.name().to_owned(),
                format.aliases().join(", "),
                // Descriptions are meant to be one line; make sure.
                format
                    .describe()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            ]
        })
        .collect();
    rows.push([
        "auto".to_owned(),
        String::new(),
        "detect the format from the output (and the --model hint)".to_owned(),
    ]);
    let heading = ["FORMAT", "ALIASES", "SYNTAX"].map(str::to_owned);
    let mut widths = [0; 3];
    for row in std::iter::once(&heading).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&heading).chain(&rows) {
        let [name, aliases, syntax] = row;
        let [name_w, alias_w, _] = widths;
        let line = format!("{name:<name_w$}  {aliases:<alias_w$}  {syntax}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use rig_compose::budget::Window;

    use super::*;

    fn sample() -> TreeStatus {
        TreeStatus {
            tree: "acme".into(),
            server_millis: 10_000,
            live_holds: 2,
            leased_holds: 2,
            expired_holds: 1,
            reclaimed_total: 4,
            reclaimed_units: 90,
            late_settles: 0,
            remembered_closes: 3,
            last_seq: 17,
            nodes: vec![
                NodeStatus {
                    name: "org".into(),
                    capacity: 1_000,
                    window: Window::Unbounded,
                    consumed: 250,
                    held: 50,
                    debt: 0,
                    available: 700,
                    resets_at_millis: None,
                    previous_window_consumed: None,
                },
                NodeStatus {
                    name: "run-with-a-long-name".into(),
                    capacity: 100,
                    window: Window::per_minute(),
                    consumed: 120,
                    held: 0,
                    debt: 20,
                    available: 0,
                    resets_at_millis: Some(70_000),
                    previous_window_consumed: Some(5),
                },
            ],
        }
    }

    #[test]
    fn table_aligns_columns_and_shows_every_node() {
        let table = status_table(&sample());
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "tree:              acme");
        assert_eq!(lines[2], "live holds:        2 (2 leased, 1 expired)");
        assert_eq!(lines[3], "reclaimed holds:   4 (90 units)");
        let header = lines.iter().position(|l| l.starts_with("NODE")).unwrap();
        let org = lines[header + 1];
        let run = lines[header + 2];
        assert!(org.starts_with("org  "), "{org}");
        assert!(org.ends_with("never"), "{org}");
        let cells: Vec<&str> = run.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "run-with-a-long-name",
                "100",
                "every",
                "60000",
                "ms",
                "120",
                "0",
                "20",
                "0",
                "1m",
                "0s"
            ]
        );
        assert!(run.ends_with("1m 0s"), "{run}");
        // Right-aligned numbers end in the same column as their heading.
        let end_of = |line: &str, word: &str| line.find(word).unwrap() + word.len();
        assert_eq!(end_of(lines[header], "AVAILABLE"), end_of(org, "700"));
        assert_eq!(end_of(lines[header], "DEBT"), end_of(run, " 20"));
        assert_eq!(lines.len(), header + 3);
    }

    #[test]
    fn empty_tree_says_so() {
        let mut status = sample();
        status.nodes.clear();
        assert!(
            status_table(&status).ends_with("no nodes (the tree is empty or does not exist)\n")
        );
    }

    #[test]
    fn json_round_trips_the_library_form() {
        let status = sample();
        let text = status_json(&status).unwrap();
        assert!(text.ends_with("}\n"));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, serde_json::to_value(&status).unwrap());
        assert_eq!(parsed["nodes"][1]["debt"], 20);
    }

    #[test]
    fn durations_use_two_units() {
        assert_eq!(human_millis(0), "0ms");
        assert_eq!(human_millis(999), "999ms");
        assert_eq!(human_millis(1_500), "1s");
        assert_eq!(human_millis(61_000), "1m 1s");
        assert_eq!(human_millis(3_600_000), "1h 0m");
        assert_eq!(human_millis(90_061_000), "1d 1h");
    }

    #[test]
    fn reports_name_the_tree() {
        assert_eq!(reset_report("t", None, 3), "reset 3 node(s) of tree `t`\n");
        assert_eq!(
            reset_report("t", Some("org"), 1),
            "reset node `org` of tree `t`\n"
        );
        assert_eq!(
            reap_report("t", 0),
            "reclaimed 0 expired hold(s) of tree `t`\n"
        );
    }
}
