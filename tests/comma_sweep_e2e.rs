//! Comma lists on the load flags AIPerf sweeps, combined by `--sweep-type grid|zip`, run
//! against the mock: one folder per variation, each holding what that variation sent.

mod common;

use std::path::Path;

use common::{artifact_dir, capturing_mock, jsonl, profile, text};

fn sweep(name: &str, extra: &[&str]) -> (std::path::PathBuf, common::MockServer) {
    let server = capturing_mock();
    let dir = artifact_dir(name);
    let mut args = vec!["--no-server-metrics"];
    args.extend_from_slice(extra);
    let out = profile(&server.url(), &dir, &args);
    assert!(out.status.success(), "{name}: {}", text(&out));
    (dir, server)
}

/// The `max_tokens` and prompt lengths (in words, a stand-in for tokens) of one variation.
fn requests(dir: &Path) -> Vec<serde_json::Value> {
    let lines = jsonl(dir);
    assert!(!lines.is_empty(), "{}", dir.display());
    lines
}

#[test]
fn zip_pairs_isl_and_osl_value_by_value() {
    let (dir, server) = sweep(
        "sweep-zip",
        &[
            "--isl",
            "16,64",
            "--osl",
            "4,8",
            "--sweep-type",
            "zip",
            "--request-count",
            "3",
        ],
    );
    for (folder, isl, osl) in [("isl_16-osl_4", 16, 4), ("isl_64-osl_8", 64, 8)] {
        let lines = requests(&dir.join(folder));
        assert_eq!(lines.len(), 3, "{folder}");
        for l in &lines {
            let metric = |k: &str| l["metrics"][k]["value"].as_f64().unwrap();
            assert_eq!(metric("input_sequence_length"), f64::from(isl), "{folder}");
            assert_eq!(metric("output_sequence_length"), f64::from(osl), "{folder}");
        }
    }
    assert!(!dir.join("isl_16-osl_8").exists());
    assert_eq!(server.stats().snapshot().chat_requests, 6);
    let summary = std::fs::read_to_string(dir.join("sweep_summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 3, "{summary}");
}

#[test]
fn grid_runs_every_combination_of_request_count_and_concurrency() {
    let (dir, server) = sweep(
        "sweep-grid",
        &[
            "--request-count",
            "2,5",
            "--concurrency",
            "1,2",
            "--isl",
            "8",
        ],
    );
    // --concurrency comes before --request-count in the order lists combine.
    for (folder, count) in [
        ("concurrency_1-request_count_2", 2),
        ("concurrency_1-request_count_5", 5),
        ("concurrency_2-request_count_2", 2),
        ("concurrency_2-request_count_5", 5),
    ] {
        assert_eq!(requests(&dir.join(folder)).len(), count, "{folder}");
    }
    assert_eq!(server.stats().snapshot().chat_requests, 14);
}

#[test]
fn zip_lists_of_different_lengths_are_refused_in_one_line() {
    let server = capturing_mock();
    let dir = artifact_dir("sweep-zip-mismatch");
    let out = profile(
        &server.url(),
        &dir,
        &["--isl", "16,32,64", "--osl", "4,8", "--sweep-type", "zip"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--sweep-type: zip pairs the lists value by value, so they need the same length: --isl has 3 values, --osl has 2"),
        "{err}"
    );
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}
