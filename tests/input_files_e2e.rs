//! End-to-end: `--input-file` datasets through the real CLI against the in-process mock server.

mod common;

use std::path::Path;

use common::*;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inputs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Each request payload in inputs.json, in order.
fn payloads(dir: &Path) -> Vec<serde_json::Value> {
    json(dir, "inputs.json")["data"]
        .as_array()
        .expect("inputs.json data")
        .iter()
        .map(|entry| entry["payloads"][0].clone())
        .collect()
}

fn input_lengths(dir: &Path) -> Vec<u64> {
    jsonl(dir)
        .iter()
        .map(|r| {
            r["metrics"]["input_sequence_length"]["value"]
                .as_u64()
                .expect("ISL")
        })
        .collect()
}

#[test]
fn single_turn_file_is_sent_as_written() {
    let server = mock(0, 0);
    let dir = artifact_dir("input-single-turn");
    let file = fixture("single_turn.jsonl");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--input-file",
            &file,
            "--custom-dataset-type",
            "single_turn",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // No --request-count: the file is sent once, as AIPerf does (not the default 10).
    assert_eq!(server.stats().snapshot().chat_requests, 5);
    let sent = payloads(&dir);
    assert_eq!(sent.len(), 5);
    assert_eq!(
        sent[0]["messages"][0]["content"],
        "What is the capital of France?"
    );
    assert_eq!(sent[0]["max_tokens"], 8);
    assert_eq!(
        sent[2]["messages"][0]["content"],
        "Summarise this:\nThe quick brown fox jumps over the lazy dog."
    );
    let records = jsonl(&dir);
    assert_eq!(records.len(), 5);
    let mut osl: Vec<u64> = records
        .iter()
        .map(|r| {
            r["metrics"]["output_sequence_length"]["value"]
                .as_u64()
                .expect("OSL")
        })
        .collect();
    osl.sort_unstable();
    assert_eq!(osl, vec![3, 4, 5, 6, 8]);
}

#[test]
fn mooncake_excerpt_gets_exact_lengths_and_shared_prefixes() {
    let server = mock(0, 0);
    let dir = artifact_dir("input-mooncake");
    let file = fixture("mooncake_excerpt.jsonl");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--input-file",
            &file,
            "--request-count",
            "8",
            "--concurrency",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let sent = payloads(&dir);
    assert_eq!(sent.len(), 8);
    // Every row starts with hash id 0: every prompt starts with the same 512-token block.
    let prompts: Vec<&str> = sent
        .iter()
        .map(|p| p["messages"][0]["content"].as_str().expect("text prompt"))
        .collect();
    let common = prompts
        .iter()
        .map(|p| {
            p.bytes()
                .zip(prompts[0].bytes())
                .take_while(|(x, y)| x == y)
                .count()
        })
        .min()
        .unwrap();
    // 512 tokens of Shakespeare are well over 1,000 bytes; the second blocks all differ.
    assert!(common > 1_000, "common prefix of {common} bytes");
    assert!(common < 4_000, "common prefix of {common} bytes");
    assert!(sent.iter().all(|p| p["max_tokens"] == 12));
    let mut lengths = input_lengths(&dir);
    lengths.sort_unstable();
    assert_eq!(lengths, vec![915, 1053, 1110, 1477, 2012, 2038, 2290, 2293]);
}

#[test]
fn a_bad_line_fails_before_any_request_naming_file_line_and_key() {
    let server = mock(0, 0);
    let dir = artifact_dir("input-bad-line");
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"input_length\": 10}\n{\"input_length\": 2000, \"hash_ids\": [1]}\n",
    )
    .unwrap();
    let file = file.to_string_lossy().into_owned();
    let out = profile(
        &server.url(),
        &dir,
        &["--input-file", &file, "--request-count", "2"],
    );
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{file}:2: hash_ids: ")),
        "{}",
        text(&out)
    );
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}

fn flavor_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flavors")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_fixed_schedule_replays_the_trace_timestamps() {
    let server = mock(0, 0);
    let dir = artifact_dir("inputs-fixed-schedule");
    let trace = fixture("mooncake_excerpt.jsonl");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--input-file",
            &trace,
            "--fixed-schedule",
            "--fixed-schedule-speedup",
            "20",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every trace line was sent once, with no --request-count.
    let text = std::fs::read_to_string(&trace).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let lines = jsonl(&dir);
    assert_eq!(lines.len(), rows.len());
    // Input lengths are unique in the excerpt: they identify the row each request came from.
    let first_credit = lines
        .iter()
        .map(|l| l["metadata"]["credit_issued_ns"].as_u64().unwrap())
        .min()
        .unwrap();
    for line in &lines {
        let isl = line["metrics"]["input_sequence_length"]["value"]
            .as_u64()
            .unwrap();
        let row = rows
            .iter()
            .find(|r| r["input_length"].as_u64() == Some(isl))
            .expect("a row with this input length");
        let due_ns = row["timestamp"].as_u64().unwrap() * 1_000_000 / 20;
        let credit = line["metadata"]["credit_issued_ns"].as_u64().unwrap() - first_credit;
        // Scheduled exactly at the trace time (the epoch conversion rounds to 1 µs at most).
        assert!(
            credit.abs_diff(due_ns) <= 1_000,
            "row at {due_ns} ns scheduled at {credit}"
        );
        let start = line["metadata"]["request_start_ns"].as_u64().unwrap();
        assert!(
            start + 1_000 >= first_credit + credit,
            "sent before its time"
        );
        assert!(line["metrics"]["credit_to_start_latency"]["value"]
            .as_f64()
            .is_some());
    }
}

#[test]
fn a_sharegpt_trace_sends_its_user_turns_with_the_real_replies() {
    let server = MockServer::start(MockConfig {
        capture_requests: true,
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("inputs-sharegpt");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--input-file",
            &flavor_fixture("sharegpt.jsonl"),
            "--trace-flavor",
            "untimed_content_multi_turn",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies: Vec<serde_json::Value> = server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| serde_json::from_slice(b).unwrap())
        .collect();
    let italy = bodies
        .iter()
        .find(|b| b["messages"].as_array().unwrap().last().unwrap()["content"] == "And of Italy?")
        .expect("the second human turn was sent");
    let messages = italy["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["content"], "What is the capital of France?");
    assert_eq!(messages[1]["role"], "assistant");
    // The reply in the history is the one the server gave, not the one in the file.
    assert_ne!(messages[1]["content"], "The capital of France is Paris.");
    assert!(!messages[1]["content"].as_str().unwrap().is_empty());
    // Three conversations, each turn a request.
    let sessions: std::collections::BTreeSet<String> = jsonl(&dir)
        .iter()
        .map(|l| {
            l["metadata"]["conversation_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(sessions.len(), 3);
}
