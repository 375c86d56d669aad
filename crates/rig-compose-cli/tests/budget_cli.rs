//! Runs the built `rig-compose` binary against a private redis-server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::process::{Command, Output};
use std::time::Duration;

use rig_compose::budget::{ReserveRequest, SpendBudget, Window};
use rig_compose_redis::testing::{TestServer, unique_tree};
use rig_compose_redis::{RedisBudget, RedisConnection};
use serde_json::Value;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rig-compose"))
        .args(args)
        .output()
        .expect("run the rig-compose binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Run a command that must succeed; returns its stdout.
fn ok(args: &[&str]) -> String {
    let output = cli(args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

fn status_json(url: &str, tree: &str) -> Value {
    serde_json::from_str(&ok(&["budget", "status", "--redis", url, "--json", tree])).unwrap()
}

fn node<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["name"] == name)
        .unwrap_or_else(|| panic!("no node {name} in {status}"))
}

/// org (1000, unbounded) → run (100, per minute), as `tree`.
fn two_levels(conn: &RedisConnection, tree: &str) -> RedisBudget {
    RedisBudget::builder(tree)
        .level("org", 1_000, Window::Unbounded)
        .level("run", 100, Window::per_minute())
        .build(conn)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_prints_a_table_and_json() {
    let server = TestServer::start().unwrap();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let tree = unique_tree("cli-status");
    let budget = two_levels(&conn, &tree);
    let settled = budget.reserve(ReserveRequest::new(30)).await.unwrap();
    settled.settle(20).await.unwrap();
    let _live = budget.reserve(ReserveRequest::new(10)).await.unwrap();

    let table = ok(&["budget", "status", "--redis", &server.url(), &tree]);
    assert!(
        table.starts_with(&format!("tree:              {tree}\n")),
        "{table}"
    );
    assert!(
        table.contains("live holds:        1 (1 leased, 0 expired)"),
        "{table}"
    );
    let rows: Vec<Vec<&str>> = table
        .lines()
        .skip_while(|line| !line.starts_with("NODE"))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{table}");
    assert_eq!(rows[1][..2], ["org", "1000"]);
    // org: capacity 1000, unbounded, consumed 20, held 10, debt 0, 970 left.
    assert_eq!(rows[1][2..], ["unbounded", "20", "10", "0", "970", "never"]);
    assert_eq!(rows[2][..2], ["run", "100"]);
    assert_eq!(
        rows[2][2..9],
        ["every", "60000", "ms", "20", "10", "0", "70"]
    );

    let json = status_json(&server.url(), &tree);
    assert_eq!(json["tree"], tree.as_str());
    assert_eq!(json["live_holds"], 1);
    let run = node(&json, "run");
    assert_eq!(
        (&run["consumed"], &run["held"], &run["available"]),
        (&20.into(), &10.into(), &70.into())
    );
    assert!(run["resets_at_millis"].as_u64().unwrap() > json["server_millis"].as_u64().unwrap());
    assert_eq!(node(&json, "org")["resets_at_millis"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_of_an_unknown_tree_is_empty() {
    let server = TestServer::start().unwrap();
    let table = ok(&["budget", "status", "--redis", &server.url(), "nobody-home"]);
    assert!(
        table.ends_with("no nodes (the tree is empty or does not exist)\n"),
        "{table}"
    );
    let json = status_json(&server.url(), "nobody-home");
    assert_eq!(json["nodes"], Value::Array(Vec::new()));
}

#[tokio::test(flavor = "multi_thread")]
async fn reap_reclaims_holds_of_a_vanished_worker() {
    let server = TestServer::start().unwrap();
    let conn = RedisConnection::open(&server.url()).unwrap();
    let tree = unique_tree("cli-reap");
    let budget = two_levels(&conn, &tree);
    for amount in [5, 7] {
        let hold = budget
            .reserve(ReserveRequest::new(amount).with_lease(Duration::from_millis(50)))
            .await
            .unwrap();
        // A crashed worker never closes its hold.
        std::mem::forget(hold);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    let report = ok(&["budget", "reap", "--redis", &server.url(), &tree]);
    assert_eq!(
        report,
        format!("reclaimed 2 expired hold(s) of tree `{tree}`\n")
    );
    let json = status_json(&server.url(), &tree);
    assert_eq!(
        (&json["reclaimed_total"], &json["reclaimed_units"]),
        (&2.into(), &12.into())
    );
    assert_eq!(json["live_holds"], 0);
    assert_eq!(node(&json, "run")["available"], 100);

    let again = ok(&["budget", "reap", "--redis", &server.url(), &tree]);
    assert_eq!(
        again,
        format!("reclaimed 0 expired hold(s) of tree `{tree}`\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_clears_one_node_or_all() {
    let server = TestServer::start().unwrap();
    let url = server.url();
    let conn = RedisConnection::open(&url).unwrap();
    let tree = unique_tree("cli-reset");
    let budget = two_levels(&conn, &tree);
    let hold = budget.reserve(ReserveRequest::new(80)).await.unwrap();
    hold.settle(80).await.unwrap();

    let one = ok(&["budget", "reset", "--redis", &url, "--node", "run", &tree]);
    assert_eq!(one, format!("reset node `run` of tree `{tree}`\n"));
    let json = status_json(&url, &tree);
    assert_eq!(node(&json, "run")["consumed"], 0);
    assert_eq!(node(&json, "org")["consumed"], 80);

    let missing = cli(&["budget", "reset", "--redis", &url, "--node", "nope", &tree]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains("has no node `nope`"),
        "{}",
        stderr(&missing)
    );

    let all = ok(&["budget", "reset", "--redis", &url, &tree]);
    assert_eq!(all, format!("reset 2 node(s) of tree `{tree}`\n"));
    let json = status_json(&url, &tree);
    assert_eq!(node(&json, "org")["consumed"], 0);
    assert_eq!(node(&json, "org")["available"], 1_000);
}

#[test]
fn usage_errors_exit_with_2() {
    let cases: [&[&str]; 6] = [
        &["budget", "status", "--redis", "redis://127.0.0.1:6379/"],
        &["budget", "reap", "some-tree"],
        &[
            "budget",
            "frobnicate",
            "--redis",
            "redis://127.0.0.1:6379/",
            "t",
        ],
        &[
            "budget",
            "status",
            "--redis",
            "redis://127.0.0.1:6379/",
            "bad{name}",
        ],
        &[
            "budget",
            "reset",
            "--redis",
            "redis://x/",
            "--node",
            "",
            "t",
        ],
        &[],
    ];
    for args in cases {
        let output = cli(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).is_empty(), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
    let missing_key = cli(&["budget", "status", "--redis", "redis://127.0.0.1:6379/"]);
    assert!(
        stderr(&missing_key).contains("<KEY>"),
        "{}",
        stderr(&missing_key)
    );
}

#[test]
fn unreachable_redis_exits_with_1_and_names_the_url() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://user:hunter2@127.0.0.1:{port}/");
    for command in ["status", "reap", "reset"] {
        let output = cli(&[
            "budget",
            command,
            "--redis",
            &url,
            "--timeout-ms",
            "500",
            "t",
        ]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{command}: {message}");
        assert!(stdout(&output).is_empty());
        assert!(
            message.contains(&format!("Redis at redis://***@127.0.0.1:{port}/")),
            "{command}: {message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }
    let malformed = cli(&["budget", "status", "--redis", "http://nope", "t"]);
    assert_eq!(malformed.status.code(), Some(1));
    assert!(
        stderr(&malformed).contains("http://nope"),
        "{}",
        stderr(&malformed)
    );
}
