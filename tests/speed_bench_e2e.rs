//! End-to-end: `--public-dataset speed_bench_*` from a parquet file in SPEED-Bench's schema
//! through the real CLI against the in-process mock server, then `speed-bench-report`.

mod common;

use std::path::Path;

use common::speed_bench_data::{write_rows, Row};
use common::*;
use gauntlet::report::speed_bench::{build_matrix, Metric};

const PLACEHOLDER: &str =
    "FULL BENCHMARK DATA SHOULD BE FETCHED FROM THE SOURCE USING SPECDEC_BENCH";

/// Six qualitative rows: three coding (one of them two turns), one coding placeholder, two math.
fn write_fixture(path: &Path) {
    let rows: [(&str, &str, &[&str]); 6] = [
        ("c1", "coding", &["Write a function that reverses a list."]),
        (
            "c2",
            "coding",
            &[
                "Write a Rust struct for a point.",
                "Now add a distance method.",
            ],
        ),
        ("c3", "coding", &[PLACEHOLDER]),
        ("c4", "coding", &["Explain what a mutex is, briefly."]),
        ("m1", "math", &["What is the sum of the first ten primes?"]),
        ("m2", "math", &["Is 91 a prime number?"]),
    ];
    let rows: Vec<Row> = rows
        .iter()
        .map(|(id, category, turns)| {
            (
                id.to_string(),
                category.to_string(),
                turns.iter().map(|t| t.to_string()).collect(),
            )
        })
        .collect();
    write_rows(path, &rows);
}

fn sent_bodies(server: &MockServer) -> Vec<serde_json::Value> {
    server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| serde_json::from_slice(b).expect("JSON body"))
        .collect()
}

#[test]
fn a_category_is_sent_once_without_its_placeholder() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("qualitative.parquet");
    write_fixture(&data);
    let server = capturing_mock();
    let dir = artifact_dir("speed-bench-coding");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--public-dataset",
            "speed_bench_coding",
            "--dataset-path",
            data.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("speed_bench_coding: 1 of 4 rows are placeholders"),
        "{}",
        text(&out)
    );
    let mut prompts: Vec<String> = sent_bodies(&server)
        .iter()
        .map(|b| {
            assert_eq!(b["max_tokens"], 4096, "{b}");
            assert_eq!(b["messages"].as_array().unwrap().len(), 1, "{b}");
            b["messages"][0]["content"].as_str().unwrap().to_string()
        })
        .collect();
    prompts.sort();
    assert_eq!(
        prompts,
        [
            "Explain what a mutex is, briefly.",
            "Write a Rust struct for a point.",
            "Write a function that reverses a list.",
        ]
    );
    // The run's config names the variant, so the report files it under "coding".
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(
        export["input_config"]["public_dataset"]["variant"],
        "speed_bench_coding"
    );
    let report_dir = tmp.path().join("report");
    std::fs::create_dir_all(&report_dir).unwrap();
    let out = gauntlet(&[
        "speed-bench-report",
        dir.to_str().unwrap(),
        "--metric",
        "throughput",
        "--format",
        "both",
        "--output-dir",
        report_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let csv = std::fs::read_to_string(report_dir.join("speed_bench_report.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("model,coding,Overall"));
    assert!(lines.next().unwrap().starts_with("mock-model,"), "{csv}");
    // Without server metrics the acceptance matrix names the file it needs.
    let out = gauntlet(&[
        "speed-bench-report",
        dir.to_str().unwrap(),
        "--format",
        "console",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("server_metrics_export.json"),
        "{}",
        text(&out)
    );
}

#[test]
fn multi_turn_rows_send_their_history() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("qualitative.parquet");
    write_fixture(&data);
    let server = capturing_mock();
    let dir = artifact_dir("speed-bench-coding-multi-turn");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--public-dataset",
            "speed_bench_coding",
            "--dataset-path",
            data.to_str().unwrap(),
            "--public-dataset-multi-turn",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bodies = sent_bodies(&server);
    assert_eq!(bodies.len(), 4);
    let follow_up = bodies
        .iter()
        .find(|b| b["messages"].as_array().unwrap().len() == 3)
        .expect("the second turn carries its history");
    assert_eq!(
        follow_up["messages"][0]["content"],
        "Write a Rust struct for a point."
    );
    assert_eq!(follow_up["messages"][1]["role"], "assistant");
    assert_eq!(
        follow_up["messages"][2]["content"],
        "Now add a distance method."
    );
}

#[test]
fn offline_without_the_data_is_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let server = capturing_mock();
    let dir = artifact_dir("speed-bench-offline");
    let out = profile_with_env(
        &server.url(),
        &dir,
        &["--public-dataset", "speed_bench_math"],
        &[("HF_HUB_CACHE", tmp.path().to_str().unwrap())],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("speed_bench_math"))
        .unwrap_or_else(|| panic!("{}", text(&out)));
    assert!(
        line.contains("huggingface-cli download nvidia/SPEED-Bench --repo-type dataset"),
        "{line}"
    );
    assert!(line.contains("--dataset-path"), "{line}");
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}

/// The 11 categories with the acceptance rate the mock is configured to give each: whole
/// multiples of 1/4 (k = 4 draft tokens), so every step accepts a whole number of tokens.
const CATEGORY_RATES: [(&str, f64); 11] = [
    ("coding", 0.75),
    ("humanities", 0.25),
    ("math", 1.0),
    ("multilingual", 0.0),
    ("qa", 0.5),
    ("rag", 0.75),
    ("reasoning", 0.5),
    ("roleplay", 0.25),
    ("stem", 1.0),
    ("summarization", 0.5),
    ("writing", 0.25),
];

/// Two rows per category, each prompt carrying the category's marker word for the mock.
fn write_all_categories(path: &Path) {
    let rows: Vec<Row> = CATEGORY_RATES
        .iter()
        .flat_map(|(category, _)| {
            (1..=2).map(move |i| {
                (
                    format!("{category}{i}"),
                    category.to_string(),
                    vec![format!("Question {i} of the {category}-marker set.")],
                )
            })
        })
        .collect();
    write_rows(path, &rows);
}

/// A mock whose acceptance depends on the category marker in the prompt.
fn spec_mock() -> MockServer {
    MockServer::start(MockConfig {
        capture_requests: true,
        spec_decode: Some(gauntlet::mock::SpecDecodeConfig {
            draft_tokens: 4,
            default_acceptance: 0.5,
            by_keyword: CATEGORY_RATES
                .iter()
                .map(|(c, rate)| (format!("{c}-marker"), *rate))
                .collect(),
        }),
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

/// The matrix's one row as (column, value) pairs, read with the report's own code.
fn matrix_row(dirs: &[std::path::PathBuf], metric: Metric) -> Vec<(String, f64)> {
    let m = build_matrix(dirs, metric).expect("matrix");
    assert_eq!(m.rows.len(), 1);
    let (model, cells, overall) = &m.rows[0];
    assert_eq!(model, "mock-model");
    let mut out: Vec<(String, f64)> = m
        .columns
        .iter()
        .zip(cells)
        .map(|(c, v)| (c.clone(), v.expect("every category has a cell")))
        .collect();
    out.push(("Overall".into(), *overall));
    out
}

#[test]
fn one_command_runs_every_category_and_the_matrix_matches_the_mock() {
    // Kept under the target dir, so the docs' example can be re-run with this file.
    let fixture = artifact_dir("speed-bench-fixture");
    std::fs::create_dir_all(&fixture).unwrap();
    let data = fixture.join("qualitative.parquet");
    write_all_categories(&data);
    let server = spec_mock();
    let base = artifact_dir("speed-bench-all");
    let out = gauntlet(&[
        "speed-bench",
        "-m",
        "mock-model",
        "-u",
        &server.url(),
        "--streaming",
        "--concurrency",
        "2",
        "--dataset-path",
        data.to_str().unwrap(),
        // 60 tokens: a whole number of steps at every configured acceptance (1 to 5 per step).
        "--public-dataset-max-tokens",
        "60",
        "--server-metrics-interval",
        "0.05",
        "--output-artifact-dir",
        base.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Eleven runs in one process: a machine without NVML is told so once, not per category.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.matches("GPU telemetry off").count() <= 1, "{stderr}");

    // Every request had SPEED-Bench's defaults: temperature 0, our cap, no ignore_eos.
    let bodies = sent_bodies(&server);
    assert_eq!(bodies.len(), 22);
    for b in &bodies {
        assert_eq!(b["temperature"], 0, "{b}");
        assert_eq!(b["max_tokens"], 60, "{b}");
        assert!(b.get("ignore_eos").is_none(), "{b}");
    }

    let dirs: Vec<_> = CATEGORY_RATES.iter().map(|(c, _)| base.join(c)).collect();
    let overall_rate = CATEGORY_RATES.iter().map(|(_, r)| r).sum::<f64>() / 11.0;
    let mut expected_rate: Vec<(String, f64)> = CATEGORY_RATES
        .iter()
        .map(|(c, r)| (c.to_string(), *r))
        .collect();
    expected_rate.push(("Overall".into(), overall_rate));
    let expected_length: Vec<(String, f64)> = expected_rate
        .iter()
        .map(|(c, r)| (c.clone(), 1.0 + 4.0 * r))
        .collect();
    let close = |got: &[(String, f64)], want: &[(String, f64)]| {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((gc, gv), (wc, wv)) in got.iter().zip(want) {
            assert_eq!(gc, wc);
            assert!((gv - wv).abs() < 1e-12, "{gc}: {gv} != {wv}");
        }
    };
    close(&matrix_row(&dirs, Metric::AcceptLength), &expected_length);
    close(&matrix_row(&dirs, Metric::AcceptRate), &expected_rate);

    // The command printed and wrote the accept_length matrix.
    let csv = std::fs::read_to_string(base.join("speed_bench_report.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "model,coding,humanities,math,multilingual,qa,rag,reasoning,roleplay,stem,\
             summarization,writing,Overall"
        )
    );
    assert_eq!(
        lines.next(),
        Some(
            "mock-model,4.0000,2.0000,5.0000,1.0000,3.0000,4.0000,3.0000,2.0000,5.0000,\
             3.0000,2.0000,3.0909"
        ),
        "{csv}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("SPEED-Bench accept_length by category"),
        "{stdout}"
    );
    // Each folder is a complete run of its category only.
    let export = json(&base.join("math"), "profile_export_aiperf.json");
    assert_eq!(
        export["input_config"]["public_dataset"]["variant"],
        "speed_bench_math"
    );
    assert_eq!(stat(&export, "request_count", "avg"), 2.0);
}

#[test]
fn a_chosen_list_runs_only_those_categories() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("qualitative.parquet");
    write_all_categories(&data);
    let server = spec_mock();
    let base = artifact_dir("speed-bench-list");
    let out = gauntlet(&[
        "speed-bench",
        "-m",
        "mock-model",
        "-u",
        &server.url(),
        "--categories",
        "math,coding",
        "--metric",
        "accept-rate",
        "--dataset-path",
        data.to_str().unwrap(),
        "--public-dataset-max-tokens",
        "60",
        "--extra-inputs",
        "temperature:0.5",
        "--no-gpu-telemetry",
        "--output-artifact-dir",
        base.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(base.join("math").is_dir() && base.join("coding").is_dir());
    assert!(!base.join("qa").exists());
    let bodies = sent_bodies(&server);
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(|b| b["temperature"] == 0.5));
    let csv = std::fs::read_to_string(base.join("speed_bench_report.csv")).unwrap();
    assert_eq!(
        csv,
        "model,coding,math,Overall\nmock-model,0.7500,1.0000,0.8750\n"
    );
}
