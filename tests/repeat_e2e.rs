//! End-to-end: repeated runs of one plan, each in its own folder, compared across runs.

mod common;

use common::*;
use gauntlet::run::{run_repeated, Repeat};

#[test]
fn three_runs_give_per_run_folders_and_an_interval_that_matches_them() {
    let server = mock(10, 1);
    let dir = artifact_dir("repeat");
    std::env::set_var("GAUNTLET_CACHE_DIR", cache_dir());
    let plan = plan_from_args(&[
        "--model",
        "mock-model",
        "--url",
        &server.url(),
        "--streaming",
        "--isl",
        "16",
        "--osl",
        "4",
        "--request-count",
        "8",
        "--concurrency",
        "2",
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let outcome = run_repeated(
        &plan,
        Repeat {
            runs: 3,
            confidence: 0.95,
            cooldown: std::time::Duration::ZERO,
        },
    )
    .unwrap();
    assert_eq!(outcome.exit_code, 0);
    assert_eq!(outcome.runs.len(), 3);
    assert_eq!(server.stats().snapshot().chat_requests, 24);
    // Each run's own export holds the value the comparison used for it.
    let per_run: Vec<f64> = (1..=3)
        .map(|i| {
            let run_dir = dir.join("profile_runs").join(format!("run_{i:04}"));
            stat(
                &json(&run_dir, "profile_export_aiperf.json"),
                "time_to_first_token",
                "avg",
            )
        })
        .collect();
    let aggregate = json(
        &dir.join("aggregate"),
        "profile_export_aiperf_aggregate.json",
    );
    assert_eq!(aggregate["num_runs"], 3);
    let ttft = &aggregate["metrics"]["time_to_first_token"]["avg"];
    let values: Vec<f64> = ttft["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (a, b) in values.iter().zip(&per_run) {
        assert!((a - b).abs() < 1e-6, "{values:?} vs {per_run:?}");
    }
    let mean = ttft["mean"].as_f64().unwrap();
    assert!((mean - per_run.iter().sum::<f64>() / 3.0).abs() < 1e-6);
    assert!(ttft["ci_low"].as_f64().unwrap() <= mean && mean <= ttft["ci_high"].as_f64().unwrap());
    assert!(mean >= 10.0, "TTFT mean {mean}");
    assert!(dir
        .join("aggregate")
        .join("profile_export_aiperf_aggregate.csv")
        .exists());
}

#[test]
fn a_sweep_runs_each_variation_into_its_folder_and_summarises() {
    use gauntlet::run::{folder_name, run_sweep, Variation};
    let server = mock(0, 0);
    let dir = artifact_dir("sweep");
    std::env::set_var("GAUNTLET_CACHE_DIR", cache_dir());
    let base = plan_from_args(&[
        "--model",
        "mock-model",
        "--url",
        &server.url(),
        "--streaming",
        "--isl",
        "16",
        "--osl",
        "4",
        "--request-count",
        "6",
    ]);
    let variations: Vec<Variation> = [1u32, 3]
        .iter()
        .map(|&c| {
            let label = format!("concurrency={c}");
            let mut plan = base.clone();
            for phase in &mut plan.phases {
                phase.arrival.concurrency = Some(c);
            }
            plan.artifact_dir = dir.join(folder_name(&label));
            Variation { label, plan }
        })
        .collect();
    let outcome = run_sweep(&variations, &dir, None).unwrap();
    assert_eq!(outcome.exit_code, 0);
    assert_eq!(outcome.runs.len(), 2);
    assert_eq!(server.stats().snapshot().chat_requests, 12);
    for label in ["concurrency_1", "concurrency_3"] {
        let export = json(&dir.join(label), "profile_export_aiperf.json");
        assert_eq!(stat(&export, "request_count", "avg"), 6.0);
    }
    let csv = std::fs::read_to_string(dir.join("sweep_summary.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with("\"concurrency=1\",") && rows[2].starts_with("\"concurrency=3\","));
}

#[test]
fn cli_comma_lists_sweep_and_num_profile_runs_repeat() {
    let server = mock(0, 0);
    let dir = artifact_dir("cli-sweep");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-count",
            "4",
            "--concurrency",
            "1,2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir
        .join("concurrency_1")
        .join("profile_export_aiperf.json")
        .exists());
    assert!(dir
        .join("concurrency_2")
        .join("profile_export_aiperf.json")
        .exists());
    let csv = std::fs::read_to_string(dir.join("sweep_summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");

    let dir = artifact_dir("cli-repeat");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-count",
            "4",
            "--num-profile-runs",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let aggregate = json(
        &dir.join("aggregate"),
        "profile_export_aiperf_aggregate.json",
    );
    assert_eq!(aggregate["num_runs"], 2);
    assert_eq!(server.stats().snapshot().chat_requests, 16);

    let out = profile(&server.url(), &dir, &["--num-profile-runs", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--num-profile-runs"));
}

#[test]
fn analyze_trace_cli_reads_the_shared_mooncake_trace() {
    let trace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/shared/traces/mooncake_synthetic_trace.jsonl");
    if !trace.exists() {
        eprintln!("skipped: {} not present", trace.display());
        return;
    }
    let dir = artifact_dir("analyze-trace");
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.json");
    let out = gauntlet(&[
        "analyze-trace",
        trace.to_str().unwrap(),
        "--output-file",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(stats["total_requests"], 3993);
}

/// A sweep resolves one plan per variation; a flag's warning is said once, not per variation.
#[test]
fn a_sweep_says_each_warning_once() {
    let server = mock(0, 0);
    let dir = artifact_dir("sweep-warns-once");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--endpoint-type",
            "embeddings",
            "--streaming",
            "--concurrency",
            "1,2,3",
            "--request-count",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("--streaming"), "{stderr}");
}
