//! End-to-end: `--public-dataset sharegpt` from a fixture in ShareGPT's real format through the
//! real CLI against the in-process mock server.

mod common;

use std::path::PathBuf;

use common::*;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sharegpt/ShareGPT_V3_unfiltered_cleaned_split.json")
}

/// The prompts the fixture keeps (first human turns within AIPerf's length filters), in order.
const KEPT: [&str; 3] = [
    "Explain what a mutex is in two short sentences, please.",
    "Write a haiku about the sea at night, with the moon in it.",
    "Give me a Rust struct for a point in the plane with two float fields.",
];

/// (prompt, max_tokens) of each request, in the order the mock received them.
fn sent(server: &MockServer) -> Vec<(String, u64)> {
    captured_bodies(server)
        .iter()
        .map(|b| {
            assert_eq!(b["messages"].as_array().unwrap().len(), 1, "{b}");
            (
                b["messages"][0]["content"].as_str().unwrap().to_string(),
                b["max_tokens"].as_u64().unwrap_or_else(|| panic!("{b}")),
            )
        })
        .collect()
}

#[test]
fn sharegpt_sends_the_fixtures_prompts_with_their_reply_lengths() {
    let server = capturing_mock();
    let dir = artifact_dir("public-sharegpt");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--public-dataset",
            "sharegpt",
            "--dataset-path",
            fixture().to_str().unwrap(),
            "--request-count",
            "7",
            "--concurrency",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sharegpt: 3 of 7 conversations kept"),
        "{}",
        text(&out)
    );
    let sent = sent(&server);
    let prompts: Vec<&str> = sent.iter().map(|(p, _)| p.as_str()).collect();
    // Sequential (the default): the three kept prompts in file order, wrapping.
    let expected: Vec<&str> = (0..7).map(|i| KEPT[i % 3]).collect();
    assert_eq!(prompts, expected);
    // max_tokens is the recorded reply's length: the same for a prompt each time it is sent,
    // and what the per-request export records as the input length matches the prompt.
    for (prompt, max_tokens) in &sent {
        let again = sent.iter().find(|(p, _)| p == prompt).unwrap().1;
        assert_eq!(*max_tokens, again);
        assert!(
            *max_tokens >= 4 && *max_tokens < 64,
            "{prompt}: {max_tokens}"
        );
    }
    let distinct: std::collections::BTreeSet<u64> = sent.iter().map(|(_, m)| *m).collect();
    assert_eq!(distinct.len(), 3, "each reply has its own length: {sent:?}");
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(
        export["input_config"]["public_dataset"]["variant"],
        "sharegpt"
    );
}

#[test]
fn sharegpt_max_tokens_flag_overrides_the_reply_lengths() {
    let server = capturing_mock();
    let dir = artifact_dir("public-sharegpt-max-tokens");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--public-dataset",
            "sharegpt",
            "--dataset-path",
            fixture().parent().unwrap().to_str().unwrap(),
            "--public-dataset-max-tokens",
            "33",
            "--request-count",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let sent = sent(&server);
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|(_, m)| *m == 33), "{sent:?}");
    // The reply-length check is off with a fixed output length: the one-word reply's prompt
    // is among the four kept.
    assert!(
        sent.iter()
            .any(|(p, _)| p.starts_with("Is ninety-one a prime")),
        "{sent:?}"
    );
}

#[test]
fn sharegpt_offline_without_the_file_is_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let server = capturing_mock();
    let dir = artifact_dir("public-sharegpt-offline");
    let out = profile_with_env(
        &server.url(),
        &dir,
        &["--public-dataset", "sharegpt"],
        &[
            ("HF_HUB_CACHE", tmp.path().to_str().unwrap()),
            ("HF_HUB_OFFLINE", "1"),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("--public-dataset sharegpt"))
        .unwrap_or_else(|| panic!("{}", text(&out)));
    assert!(
        line.contains(
            "huggingface-cli download anon8231489123/ShareGPT_Vicuna_unfiltered \
             ShareGPT_V3_unfiltered_cleaned_split.json --repo-type dataset"
        ),
        "{line}"
    );
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}

/// Writes a single_turn file of `n` distinct prompts and returns it.
fn prompts_file(dir: &std::path::Path, n: usize) -> PathBuf {
    let path = dir.join("prompts.jsonl");
    let lines: String = (0..n)
        .map(|i| format!("{{\"text\": \"Prompt number {i} asks about topic {i}.\"}}\n"))
        .collect();
    std::fs::write(&path, lines).unwrap();
    path
}

/// The prompts a capturing mock received, as indices into [`prompts_file`]'s lines.
fn sent_indices(server: &MockServer) -> Vec<usize> {
    captured_bodies(server)
        .iter()
        .map(|b| {
            let text = b["messages"][0]["content"].as_str().unwrap();
            text.strip_prefix("Prompt number ")
                .and_then(|t| t.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{text}"))
        })
        .collect()
}

fn sampled_run(file: &std::path::Path, strategy: &str, seed: &str, count: &str) -> Vec<usize> {
    let server = capturing_mock();
    let dir = artifact_dir(&format!("sampling-{strategy}-{seed}-{count}"));
    let out = profile_with_env(
        &server.url(),
        &dir,
        &[
            "--input-file",
            file.to_str().unwrap(),
            "--dataset-sampling-strategy",
            strategy,
            "--random-seed",
            seed,
            "--request-count",
            count,
            "--concurrency",
            "1",
        ],
        &[("GAUNTLET_NO_WORKLOAD_CACHE", "1")],
    );
    assert!(out.status.success(), "{}", text(&out));
    sent_indices(&server)
}

#[test]
fn sampling_strategies_order_an_input_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = prompts_file(tmp.path(), 5);
    let sequential = sampled_run(&file, "sequential", "1", "12");
    assert_eq!(sequential, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]);

    let shuffle = sampled_run(&file, "shuffle", "1", "12");
    assert_eq!(shuffle.len(), 12);
    for pass in shuffle.chunks(5).take(2) {
        let mut sorted = pass.to_vec();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [0, 1, 2, 3, 4],
            "each pass is a permutation: {shuffle:?}"
        );
    }
    assert_ne!(
        &shuffle[..5],
        &shuffle[5..10],
        "reshuffled each pass: {shuffle:?}"
    );
    assert_eq!(
        shuffle,
        sampled_run(&file, "shuffle", "1", "12"),
        "same seed, same order"
    );
    assert_ne!(shuffle, sampled_run(&file, "shuffle", "2", "12"));

    let random = sampled_run(&file, "random", "1", "12");
    assert_eq!(random.len(), 12);
    assert!(random.iter().all(|&i| i < 5));
    let mut distinct = random.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() < 12, "with replacement: {random:?}");
    assert_eq!(random, sampled_run(&file, "random", "1", "12"));
}

#[test]
fn sampling_shuffles_a_public_dataset_and_refuses_a_fixed_schedule() {
    let server = capturing_mock();
    let dir = artifact_dir("sampling-sharegpt");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--public-dataset",
            "sharegpt",
            "--dataset-path",
            fixture().to_str().unwrap(),
            "--dataset-sampling-strategy",
            "shuffle",
            "--request-count",
            "6",
            "--concurrency",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let prompts: Vec<String> = sent(&server).into_iter().map(|(p, _)| p).collect();
    let file_order: Vec<&str> = (0..6).map(|i| KEPT[i % 3]).collect();
    assert_ne!(prompts, file_order, "shuffled, not in file order");
    for pass in prompts.chunks(3) {
        let mut sorted = pass.to_vec();
        sorted.sort();
        let mut kept: Vec<String> = KEPT.iter().map(|s| s.to_string()).collect();
        kept.sort();
        assert_eq!(sorted, kept, "{prompts:?}");
    }

    let tmp = tempfile::tempdir().unwrap();
    let file = prompts_file(tmp.path(), 3);
    let out = profile(
        &server.url(),
        &artifact_dir("sampling-fixed-schedule"),
        &[
            "--input-file",
            file.to_str().unwrap(),
            "--fixed-schedule",
            "--dataset-sampling-strategy",
            "random",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--dataset-sampling-strategy") && stderr.contains("fixed schedule"),
        "{}",
        text(&out)
    );
}

#[test]
fn custom_dataset_type_speed_bench_reads_as_public_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("qualitative.parquet");
    common::speed_bench_data::write_rows(
        &data,
        &[
            (
                "m1".into(),
                "math".into(),
                vec!["What is the sum of the first ten primes?".into()],
            ),
            (
                "c1".into(),
                "coding".into(),
                vec!["Write a function that reverses a list.".into()],
            ),
        ],
    );
    let server = capturing_mock();
    let dir = artifact_dir("custom-dataset-type-speed-bench");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--custom-dataset-type",
            "speed_bench_math",
            "--dataset-path",
            data.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["messages"][0]["content"],
        "What is the sum of the first ten primes?"
    );
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(
        export["input_config"]["public_dataset"]["variant"],
        "speed_bench_math"
    );
}

#[test]
fn a_config_file_names_the_public_dataset_and_its_sampling() {
    let tmp = tempfile::tempdir().unwrap();
    let server = capturing_mock();
    let yaml = tmp.path().join("sharegpt.yaml");
    std::fs::write(
        &yaml,
        format!(
            "schemaVersion: \"2.0\"\nbenchmark:\n  model: mock-model\n  endpoint:\n    url: {}\n  \
             dataset:\n    type: public\n    dataset: sharegpt\n    sampling: sequential\n  \
             phases:\n    - {{name: profiling, type: concurrency, concurrency: 1, requests: 4}}\n",
            server.url()
        ),
    )
    .unwrap();
    let dir = artifact_dir("public-sharegpt-yaml");
    let out = gauntlet(&[
        "profile",
        "--config",
        yaml.to_str().unwrap(),
        "--dataset-path",
        fixture().to_str().unwrap(),
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let prompts: Vec<String> = sent(&server).into_iter().map(|(p, _)| p).collect();
    assert_eq!(prompts, [KEPT[0], KEPT[1], KEPT[2], KEPT[0]]);
}
