//! End-to-end: prefix pools and output-length fields, through the real CLI against the
//! in-process mock server, checked in the bodies written to inputs.json.

mod common;

use std::collections::BTreeMap;

use common::*;

/// The user message of every body in inputs.json.
fn bodies(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let inputs = json(dir, "inputs.json");
    inputs["data"]
        .as_array()
        .expect("data array")
        .iter()
        .flat_map(|s| s["payloads"].as_array().expect("payloads").clone())
        .collect()
}

#[test]
fn prefix_pool_with_min_tokens_and_ignore_eos() {
    let server = mock(0, 0);
    let dir = artifact_dir("prefix-pool");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--isl",
            "40",
            "--osl",
            "6",
            "--prefix-prompt-length",
            "24",
            "--prefix-prompt-pool-size",
            "3",
            "--num-dataset-entries",
            "30",
            "--request-count",
            "30",
            "--concurrency",
            "4",
            "--min-tokens",
            "--ignore-eos",
            "--max-tokens-param",
            "max_completion_tokens",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bodies = bodies(&dir);
    assert_eq!(bodies.len(), 30);
    // Each prompt = one of 3 pooled prefixes + its own text. Group by the first 60 bytes
    // (well inside a 24-token prefix) to find the pool.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for body in &bodies {
        assert_eq!(body["max_completion_tokens"], 6, "{body}");
        assert_eq!(body["min_tokens"], 6, "{body}");
        assert_eq!(body["ignore_eos"], true, "{body}");
        assert!(body.get("max_tokens").is_none(), "{body}");
        let prompt = body["messages"][0]["content"].as_str().expect("content");
        let head: String = prompt.chars().take(20).collect();
        groups.entry(head).or_default().push(prompt.to_string());
    }
    assert_eq!(groups.len(), 3, "expected 3 prefixes: {:?}", groups.keys());
    for prompts in groups.values() {
        // Prompts of one group share their whole prefix, not just its start.
        let shared = prompts.iter().fold(prompts[0].clone(), |acc, p| {
            acc.chars()
                .zip(p.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        });
        if prompts.len() > 1 {
            assert!(shared.len() >= 60, "group shares only {shared:?}");
        }
    }
    // The exact input length is 24 + 40 for every request.
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "input_sequence_length", "min"), 64.0);
    assert_eq!(stat(&export, "input_sequence_length", "max"), 64.0);
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 6.0);
}

#[test]
fn bad_prefix_flags_fail_with_the_flag_named() {
    let server = mock(0, 0);
    let dir = artifact_dir("prefix-bad");
    let out = profile(&server.url(), &dir, &["--shared-prefix-ratio", "1.5"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--shared-prefix-ratio"), "{}", text(&out));
}
