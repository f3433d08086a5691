//! The generation endpoint types beyond chat and completions (`responses`, `messages`,
//! `huggingface_generate`) end to end: the real CLI against the built-in mock, streaming and
//! not, checked in the JSONL and JSON exports and against what the mock says it sent.

mod common;

use gauntlet::mock::{LatencyModel, MockConfig, MockServer};
use std::time::Duration;

use common::*;

fn mock_capturing() -> MockServer {
    MockServer::start(MockConfig {
        ttft: LatencyModel::Fixed(Duration::from_millis(15)),
        itl: LatencyModel::Fixed(Duration::from_millis(1)),
        capture_requests: true,
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

/// The mock's request count for `endpoint_type`.
fn served(server: &MockServer, endpoint_type: &str) -> u64 {
    let s = server.stats().snapshot();
    match endpoint_type {
        "responses" => s.responses_requests,
        "messages" => s.messages_requests,
        _ => s.generate_requests,
    }
}

#[test]
fn each_type_streaming_and_not_counts_what_the_mock_sent() {
    for endpoint_type in ["responses", "messages", "huggingface_generate"] {
        for streaming in [false, true] {
            let server = mock_capturing();
            let dir = artifact_dir(&format!("endpoints-{endpoint_type}-{streaming}"));
            let mut args = vec![
                "--endpoint-type",
                endpoint_type,
                "--isl",
                "24",
                "--osl",
                "9",
            ];
            args.extend(["--request-count", "5", "--concurrency", "2"]);
            if streaming {
                args.push("--streaming");
            }
            let out = profile(&server.url(), &dir, &args);
            let case = format!("{endpoint_type} streaming={streaming}");
            assert!(out.status.success(), "{case}: {}", text(&out));
            let stats = server.stats().snapshot();
            assert_eq!(served(&server, endpoint_type), 5, "{case}");
            assert_eq!(stats.chat_requests + stats.bad_requests, 0, "{case}");
            assert_eq!(
                stats.streaming_requests,
                if streaming { 5 } else { 0 },
                "{case}"
            );
            assert_eq!(stats.generation_tokens, 5 * 9, "{case}");

            let export = json(&dir, "profile_export_aiperf.json");
            assert_eq!(stat(&export, "request_count", "avg"), 5.0, "{case}");
            assert_eq!(
                stat(&export, "output_sequence_length", "avg"),
                9.0,
                "{case}"
            );
            let records = jsonl(&dir);
            assert_eq!(records.len(), 5, "{case}");
            let sent: f64 = records
                .iter()
                .map(|r| {
                    r["metrics"]["output_sequence_length"]["value"]
                        .as_f64()
                        .unwrap()
                })
                .sum();
            assert_eq!(sent, stats.generation_tokens as f64, "{case}");
            for r in &records {
                let ttft = r["metrics"].get("time_to_first_token");
                assert_eq!(ttft.is_some(), streaming, "{case}: {r}");
                if let Some(ttft) = ttft {
                    // The mock's 15 ms TTFT comes before the first text, not the start event.
                    assert!(ttft["value"].as_f64().unwrap() >= 15.0, "{case}: {r}");
                }
            }
            assert_eq!(
                export["time_to_first_token"].is_null(),
                !streaming,
                "{case}"
            );
            if endpoint_type != "huggingface_generate" {
                // The server's input count (the mock's word estimate) reaches the export.
                assert!(stat(&export, "usage_prompt_tokens", "avg") > 0.0, "{case}");
            }
        }
    }
}

#[test]
fn bodies_have_each_apis_shape() {
    let server = mock_capturing();
    for endpoint_type in ["responses", "messages", "huggingface_generate"] {
        let dir = artifact_dir(&format!("endpoints-body-{endpoint_type}"));
        let args = ["--endpoint-type", endpoint_type, "--isl", "8", "--osl", "3"];
        let out = profile(
            &server.url(),
            &dir,
            &[&args[..], &["--request-count", "1"]].concat(),
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let bodies: Vec<serde_json::Value> = server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| serde_json::from_slice(b).unwrap())
        .collect();
    let [responses, messages, tgi] = &bodies[..] else {
        panic!("3 requests, got {bodies:?}");
    };
    assert!(responses["input"].is_string() && responses["max_output_tokens"] == 3);
    assert_eq!(messages["messages"][0]["role"], "user");
    assert_eq!(messages["max_tokens"], 3);
    assert!(tgi["inputs"].is_string() && tgi["parameters"]["max_new_tokens"] == 3);
}

#[test]
fn messages_without_an_output_length_still_send_max_tokens() {
    let server = mock_capturing();
    let dir = artifact_dir("endpoints-messages-default-max");
    let args = [
        "--endpoint-type",
        "messages",
        "--isl",
        "8",
        "--request-count",
        "1",
    ];
    let out = profile(&server.url(), &dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let body: serde_json::Value =
        serde_json::from_slice(&server.stats().captured_requests()[0]).unwrap();
    assert_eq!(body["max_tokens"], 4096, "{body}");
}

#[test]
fn multi_turn_sessions_carry_the_replies_in_each_apis_history() {
    for (endpoint_type, key) in [("responses", "input"), ("messages", "messages")] {
        let server = mock_capturing();
        let dir = artifact_dir(&format!("endpoints-sessions-{endpoint_type}"));
        let args = [
            "--endpoint-type",
            endpoint_type,
            "--streaming",
            "--conversation-num",
            "2",
            "--conversation-turn-mean",
            "3",
            "--isl",
            "8",
            "--osl",
            "4",
        ];
        let out = profile(&server.url(), &dir, &args);
        assert!(out.status.success(), "{endpoint_type}: {}", text(&out));
        let bodies: Vec<serde_json::Value> = server
            .stats()
            .captured_requests()
            .iter()
            .map(|b| serde_json::from_slice(b).unwrap())
            .collect();
        assert_eq!(bodies.len(), 6, "{endpoint_type}");
        let third = bodies
            .iter()
            .find(|b| b[key].as_array().is_some_and(|h| h.len() == 5))
            .unwrap_or_else(|| panic!("{endpoint_type}: no third turn in {bodies:?}"));
        let history = third[key].as_array().unwrap();
        let roles: Vec<&str> = history
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]);
        // Responses items carry "type": "message" (llama-server refuses them without it).
        for item in history {
            let typed = item.get("type").and_then(|t| t.as_str()) == Some("message");
            assert_eq!(
                typed,
                endpoint_type == "responses",
                "{endpoint_type}: {item}"
            );
        }
        // Each reply is the mock's 4 words, read from this API's events.
        for reply in [&history[1], &history[3]] {
            let text = reply["content"].as_str().unwrap();
            assert_eq!(
                text.split_whitespace().count(),
                4,
                "{endpoint_type}: {reply}"
            );
        }
    }
}

#[test]
fn sessions_with_tgi_are_refused_in_one_line() {
    let server = mock_capturing();
    let dir = artifact_dir("endpoints-sessions-tgi");
    let args = [
        "--endpoint-type",
        "huggingface_generate",
        "--conversation-num",
        "1",
        "--conversation-turn-mean",
        "2",
    ];
    let out = profile(&server.url(), &dir, &args);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("multi-turn sessions need --endpoint-type chat, responses or messages (got huggingface_generate)"),
        "{err}"
    );
    assert_eq!(server.stats().snapshot().generate_requests, 0);
}
