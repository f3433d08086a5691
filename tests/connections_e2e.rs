//! `--connection-reuse-strategy`, `--session-header` and `--user-centric-rate` from the command
//! line against the built-in mock: connections counted by the mock's own accept counter,
//! headers and bodies as the mock received them, send times from `profile_export.jsonl`.

mod common;

use std::collections::BTreeMap;

use common::{artifact_dir, capturing_mock, jsonl, profile, text, MockServer};

/// Runs `profile` with `extra` against a fresh capturing mock (no scrapes, so every
/// connection the mock accepts is the engine's); returns the mock after the run.
fn run(name: &str, extra: &[&str]) -> MockServer {
    let server = capturing_mock();
    let dir = artifact_dir(name);
    let mut args = vec!["--no-server-metrics", "--isl", "8", "--osl", "4"];
    args.extend_from_slice(extra);
    let out = profile(&server.url(), &dir, &args);
    assert!(out.status.success(), "{name}: {}", text(&out));
    server
}

const SINGLE: [&str; 4] = ["--concurrency", "2", "--request-count", "12"];
/// Three sessions of four turns, two at a time.
const SESSIONS: [&str; 6] = [
    "--concurrency",
    "2",
    "--conversation-num",
    "3",
    "--conversation-turn-mean",
    "4",
];

fn connections(strategy: &str, load: &[&str]) -> (u64, MockServer) {
    let mut args = vec!["--connection-reuse-strategy", strategy];
    args.extend_from_slice(load);
    let server = run(&format!("conns-{strategy}-{}", load.len()), &args);
    let requests = server.stats().snapshot().chat_requests;
    assert_eq!(requests, 12, "{strategy}");
    (server.stats().connections(), server)
}

#[test]
fn pooled_keeps_one_connection_per_worker() {
    let (opened, server) = connections("pooled", &SINGLE);
    assert_eq!(opened, 2);
    assert_eq!(server.stats().snapshot().connections, 2);
    // `/metrics` shows the count too (its own connection included).
    let metrics = get_metrics(&server);
    assert!(
        metrics.contains("mock:connections_total{model_name=\"mock-model\"} 3\n"),
        "{metrics}"
    );
    assert_eq!(connections("pooled", &SESSIONS).0, 2);
}

/// `GET /metrics` from the mock, on a connection of its own.
fn get_metrics(server: &MockServer) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

#[test]
fn never_opens_a_connection_per_request_and_asks_the_server_to_close_it() {
    for load in [&SINGLE[..], &SESSIONS[..]] {
        let (opened, server) = connections("never", load);
        assert_eq!(opened, 12);
        let heads = server.stats().captured_request_headers();
        assert_eq!(heads.len(), 12);
        assert!(
            heads.iter().all(|h| h["connection"] == "close"),
            "{heads:?}"
        );
    }
}

#[test]
fn sticky_user_sessions_keeps_a_connection_per_session() {
    // Three sessions: one connection each, kept across the session's four turns.
    assert_eq!(connections("sticky-user-sessions", &SESSIONS).0, 3);
    // A single-turn request is a session of one.
    assert_eq!(connections("sticky-user-sessions", &SINGLE).0, 12);
}

/// The messages in a captured chat body.
fn turns(body: &[u8]) -> usize {
    let v: serde_json::Value = serde_json::from_slice(body).expect("JSON body");
    v["messages"].as_array().map_or(0, Vec::len)
}

#[test]
fn the_session_header_names_each_session_on_all_its_turns() {
    let mut args = vec!["--session-header", "X-Session-ID"];
    args.extend_from_slice(&SESSIONS);
    let server = run("conns-session-header", &args);
    let heads = server.stats().captured_request_headers();
    let bodies = server.stats().captured_requests();
    assert_eq!(heads.len(), 12);
    let mut by_session: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (head, body) in heads.iter().zip(&bodies) {
        let id = head
            .get("x-session-id")
            .unwrap_or_else(|| panic!("no X-Session-ID in {head:?}"))
            .to_str()
            .unwrap()
            .to_string();
        by_session.entry(id).or_default().push(turns(body));
    }
    assert_eq!(by_session.len(), 3, "{by_session:?}");
    for (id, mut history) in by_session {
        // One session's four turns: 1, 3, 5 and 7 messages of the same conversation.
        history.sort_unstable();
        assert_eq!(history, [1, 3, 5, 7], "session {id}");
    }
    // Without the flag, no such header.
    let server = run("conns-no-session-header", &SESSIONS);
    let heads = server.stats().captured_request_headers();
    assert!(heads.iter().all(|h| h.get("x-session-id").is_none()));
}

#[test]
fn a_bad_session_header_or_a_lone_num_users_is_one_line() {
    let server = capturing_mock();
    let dir = artifact_dir("conns-bad-flags");
    for (args, expected) in [
        (
            &["--session-header", "bad header"][..],
            "--session-header: 'bad header' is not an HTTP header name",
        ),
        (
            &["--num-users", "4"][..],
            "--num-users: needs --user-centric-rate",
        ),
        (
            &[
                "--user-centric-rate",
                "4",
                "--num-users",
                "2",
                "--request-rate",
                "3",
            ][..],
            "--request-rate: cannot be combined with --user-centric-rate",
        ),
    ] {
        let out = profile(&server.url(), &dir, args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}

#[test]
fn each_user_sends_its_turns_a_gap_apart_and_the_users_share_the_rate() {
    // 20 requests per second over 2 users: each user's turns 100 ms apart, the users 50 ms
    // apart. Four sessions of three turns: each user takes a second session when its first
    // ends, on the same clock.
    let server = capturing_mock();
    let dir = artifact_dir("conns-user-centric");
    let args = [
        "--no-server-metrics",
        "--isl",
        "8",
        "--osl",
        "4",
        "--user-centric-rate",
        "20",
        "--num-users",
        "2",
        "--conversation-num",
        "4",
        "--conversation-turn-mean",
        "3",
    ];
    let out = profile(&server.url(), &dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let lines = jsonl(&dir);
    assert_eq!(lines.len(), 12);
    let meta = |l: &serde_json::Value, k: &str| l["metadata"][k].as_u64().unwrap();
    let mut by_session: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    for l in &lines {
        let id = l["metadata"]["conversation_id"]
            .as_str()
            .unwrap()
            .to_string();
        by_session
            .entry(id)
            .or_default()
            .push((meta(l, "credit_issued_ns"), meta(l, "request_start_ns")));
    }
    assert_eq!(by_session.len(), 4);
    const GAP: u64 = 100_000_000;
    for (id, mut turns) in by_session {
        turns.sort_unstable();
        for pair in turns.windows(2) {
            // Scheduled exactly a gap apart (the mock answers well within it)…
            let scheduled = pair[1].0 - pair[0].0;
            assert!(scheduled.abs_diff(GAP) < 1_000, "{id}: {scheduled} ns");
            // …and sent then.
            let sent = pair[1].1 - pair[0].1;
            assert!(
                sent.abs_diff(GAP) < 20_000_000,
                "{id}: sent {sent} ns apart"
            );
        }
    }
    // All twelve turns: one every 50 ms, the users interleaved.
    let mut scheduled: Vec<u64> = lines.iter().map(|l| meta(l, "credit_issued_ns")).collect();
    scheduled.sort_unstable();
    for pair in scheduled.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap.abs_diff(GAP / 2) < 1_000,
            "{gap} ns between two users' turns"
        );
    }
}
