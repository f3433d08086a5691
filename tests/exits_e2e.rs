//! End-to-end: exits and counts that say what happened (issue #18, finding 9).

mod common;

use std::io::Read;
use std::net::TcpListener;

use common::*;

/// A server on 127.0.0.1 that accepts every connection, reads, and never answers.
fn stalled() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut sink = [0u8; 4096];
                while matches!(conn.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_run_whose_every_request_was_cancelled_at_the_grace_period_says_so() {
    let url = stalled();
    let dir = artifact_dir("exits-all-cancelled");
    let flags = [
        "--isl",
        "8",
        "--osl",
        "2",
        "--concurrency",
        "2",
        "--benchmark-duration",
        "0.3",
        "--benchmark-grace-period",
        "0",
    ];
    let out = profile(&url, &dir, &flags);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: no request finished"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", text(&out));
    assert!(
        lines[0]
            .contains("still in flight when the grace period ended (--benchmark-grace-period 0 s)"),
        "{}",
        lines[0]
    );
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(export["request_accounting"]["completed"], 0);
    assert_eq!(export["request_accounting"]["failed"], 0);
    assert!(export["request_accounting"]["cancelled"].as_u64() >= Some(2));
}

#[test]
fn a_rate_too_low_to_send_anything_is_refused_on_both_paths() {
    let dir = artifact_dir("exits-tiny-rate");
    let out = profile(
        "http://127.0.0.1:9",
        &dir,
        &["--request-rate", "1e-300", "--request-count", "3"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: --request-rate: 1e-300 requests/s is one request every")
            && stderr.contains("one request a day"),
        "{stderr}"
    );
    assert!(!dir.join("profile_export_aiperf.json").exists());

    let file = dir.with_extension("yaml");
    std::fs::write(
        &file,
        "schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {type: poisson, rate: 1e-300, requests: 3}\n",
    )
    .unwrap();
    let out = gauntlet(&["config", "validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("benchmark.phases[0].rate: 1e-300 requests/s is one request every"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn the_accounting_line_agrees_with_the_table() {
    let server = MockServer::start(MockConfig {
        fail_every: Some(4),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("exits-accounting");
    let flags = ["--isl", "8", "--osl", "2", "--request-count", "8"];
    let out = profile(&server.url(), &dir, &flags);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("Requests: 8 scheduled = 6 succeeded + 2 failed + 0 cancelled + 0 not sent"),
        "{}",
        text(&out)
    );
    let completed = stdout
        .lines()
        .find(|l| l.contains("Completed Requests (Success + Error)"))
        .unwrap_or_default();
    assert!(completed.contains(" 8.00 "), "{completed}");
    let count = stdout
        .lines()
        .find(|l| l.contains("Request Count"))
        .unwrap_or_default();
    assert!(count.contains(" 6.00 "), "{count}");
}

#[test]
fn profile_help_prints_the_exit_code_table() {
    let out = gauntlet(&["profile", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains(&gauntlet::run::exit::help_text()), "{help}");
}

#[test]
fn a_request_count_counts_requests_in_a_multi_turn_run() {
    let server = mock(0, 0);
    let sessions = [
        "--isl",
        "8",
        "--osl",
        "2",
        "--conversation-num",
        "4",
        "--conversation-turn-mean",
        "3",
        "--concurrency",
        "2",
    ];
    // 7 requests: two whole sessions and a third cut short, whatever their order.
    let dir = artifact_dir("exits-multi-turn-count");
    let mut flags = sessions.to_vec();
    flags.extend(["--request-count", "7"]);
    let out = profile(&server.url(), &dir, &flags);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Requests: 7 scheduled = 7 succeeded + 0 failed + 0 cancelled + 0 not sent"),
        "{}",
        text(&out)
    );
    let lines = jsonl(&dir);
    assert_eq!(lines.len(), 7);
    let sessions_seen: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["metadata"]["conversation_id"].as_str().unwrap())
        .collect();
    assert!(sessions_seen.len() >= 3, "{sessions_seen:?}");
    // No stop rule: each of the 4 sessions is sent once, whole (12 turns).
    let dir = artifact_dir("exits-multi-turn-once");
    let out = profile(&server.url(), &dir, &sessions);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(jsonl(&dir).len(), 12, "{}", text(&out));
}
