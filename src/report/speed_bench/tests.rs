use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::*;

fn counter(totals: &[f64]) -> Value {
    let series: Vec<Value> = totals
        .iter()
        .map(|t| json!({"labels": {}, "stats": {"total": t, "rate": 1.0}}))
        .collect();
    json!({"type": "counter", "series": series})
}

fn gauge(avgs: &[f64]) -> Value {
    let series: Vec<Value> = avgs
        .iter()
        .map(|a| json!({"labels": {}, "stats": {"avg": a, "min": 0.0, "max": 9.0}}))
        .collect();
    json!({"type": "gauge", "series": series})
}

fn run_dir(root: &Path, name: &str, config: Value, throughput: f64, metrics: Value) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let profile = json!({
        "output_token_throughput": {"unit": "tokens/sec", "avg": throughput},
        "input_config": config,
    });
    std::fs::write(dir.join("profile_export_aiperf.json"), profile.to_string()).unwrap();
    let server = json!({"summary": {}, "metrics": metrics});
    std::fs::write(dir.join("server_metrics_export.json"), server.to_string()).unwrap();
    dir
}

/// Model A (gauntlet's config, vLLM counters) on coding and math; model B (AIPerf's config,
/// SGLang gauges) on coding and (folder name only, llama.cpp counters) writing.
fn fixture(root: &Path) -> Vec<PathBuf> {
    let gauntlet = |variant: &str| json!({"model": "A", "public_dataset": {"variant": variant, "multi_turn": false}});
    vec![
        run_dir(
            root,
            "a_coding",
            gauntlet("speed_bench_coding"),
            100.0,
            json!({
                "vllm:spec_decode_num_drafts": counter(&[100.0]),
                "vllm:spec_decode_num_draft_tokens": counter(&[300.0]),
                "vllm:spec_decode_num_accepted_tokens": counter(&[150.0]),
                "vllm:num_requests_running": gauge(&[4.0]),
            }),
        ),
        run_dir(
            root,
            "a_math",
            gauntlet("speed_bench_math"),
            200.0,
            json!({
                "vllm:spec_decode_num_drafts": counter(&[120.0, 80.0]),
                "vllm:spec_decode_num_draft_tokens": counter(&[400.0, 200.0]),
                "vllm:spec_decode_num_accepted_tokens": counter(&[150.0, 50.0]),
            }),
        ),
        run_dir(
            root,
            "b_coding",
            json!({"models": {"items": [{"name": "B"}]},
                   "datasets": [{"type": "public", "name": "speed_bench_coding"}]}),
            110.0,
            json!({
                "sglang:spec_accept_length": gauge(&[3.0, 3.5]),
                "sglang:spec_accept_rate": gauge(&[0.6]),
            }),
        ),
        run_dir(
            root,
            "writing",
            json!({"models": {"items": [{"name": "B"}]}}),
            90.0,
            json!({
                "llamacpp:spec_decode_num_drafts_total": counter(&[50.0]),
                "llamacpp:spec_decode_num_draft_tokens_total": counter(&[100.0]),
                "llamacpp:spec_decode_num_accepted_tokens_total": counter(&[25.0]),
            }),
        ),
    ]
}

#[test]
fn accept_length_matrix_is_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let matrix = build_matrix(&fixture(tmp.path()), Metric::AcceptLength).unwrap();
    assert_eq!(matrix.columns, ["coding", "math", "writing"]);
    assert_eq!(
        matrix.rows,
        vec![
            ("A".to_string(), vec![Some(2.5), Some(2.0), None], 2.25),
            ("B".to_string(), vec![Some(3.25), None, Some(1.5)], 2.375),
        ]
    );
    assert_eq!(
        matrix.to_csv(),
        "model,coding,math,writing,Overall\n\
         A,2.5000,2.0000,,2.2500\n\
         B,3.2500,,1.5000,2.3750\n"
    );
}

#[test]
fn accept_rate_and_throughput_matrices_are_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs = fixture(tmp.path());
    let rate = build_matrix(&dirs, Metric::AcceptRate).unwrap();
    assert_eq!(rate.rows[0].1, vec![Some(0.5), Some(200.0 / 600.0), None]);
    assert_eq!(rate.rows[1].1, vec![Some(0.6), None, Some(0.25)]);
    assert_eq!(
        rate.to_csv(),
        "model,coding,math,writing,Overall\nA,0.5000,0.3333,,0.4167\nB,0.6000,,0.2500,0.4250\n"
    );
    let throughput = build_matrix(&dirs, Metric::Throughput).unwrap();
    assert_eq!(
        throughput.to_csv(),
        "model,coding,math,writing,Overall\nA,100.00,200.00,,150.00\nB,110.00,,90.00,100.00\n"
    );
}

#[test]
fn console_table_is_aligned_and_written_csv_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let matrix = build_matrix(&fixture(tmp.path()), Metric::AcceptLength).unwrap();
    let console = matrix.to_console();
    let lines: Vec<&str> = console.lines().collect();
    assert_eq!(lines[0], "SPEED-Bench accept_length by category");
    assert_eq!(lines[1], "model  coding    math  writing  Overall");
    assert_eq!(lines[3], "A      2.5000  2.0000        -   2.2500");
    let path = matrix.write_csv(tmp.path()).unwrap();
    assert_eq!(path, tmp.path().join("speed_bench_report.csv"));
    assert_eq!(std::fs::read_to_string(path).unwrap(), matrix.to_csv());
}

#[test]
fn a_missing_counter_names_the_folder_and_the_counter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(
        tmp.path(),
        "speed_bench_rag",
        json!({"model": "A"}),
        1.0,
        json!({
            "vllm:spec_decode_num_drafts": counter(&[10.0]),
            "vllm:spec_decode_num_draft_tokens": counter(&[30.0]),
        }),
    );
    let err = build_matrix(std::slice::from_ref(&dir), Metric::AcceptLength)
        .unwrap_err()
        .to_string();
    assert!(err.contains(&dir.display().to_string()), "{err}");
    assert!(
        err.contains("vllm:spec_decode_num_accepted_tokens"),
        "{err}"
    );
    assert!(!err.contains('\n'));
    // Throughput needs no server metrics: the same folder works.
    let ok = build_matrix(&[dir], Metric::Throughput).unwrap();
    assert_eq!(ok.columns, ["rag"]);
}

#[test]
fn no_speculation_in_the_window_is_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_dir(
        tmp.path(),
        "qa",
        json!({"model": "A"}),
        1.0,
        json!({
            "vllm:spec_decode_num_drafts": counter(&[0.0]),
            "vllm:spec_decode_num_accepted_tokens": counter(&[0.0]),
        }),
    );
    let err = build_matrix(&[dir], Metric::AcceptLength)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no speculation happened"), "{err}");
    let bare = run_dir(tmp.path(), "stem", json!({"model": "A"}), 1.0, json!({}));
    let err = build_matrix(&[bare], Metric::AcceptRate)
        .unwrap_err()
        .to_string();
    assert!(err.contains("vllm:spec_decode_num_drafts"), "{err}");
}

#[test]
fn bad_folders_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let err = build_matrix(&[tmp.path().join("nope")], Metric::Throughput)
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope/profile_export_aiperf.json"), "{err}");
    let anonymous = run_dir(tmp.path(), "run1", json!({"model": "A"}), 1.0, json!({}));
    let err = build_matrix(&[anonymous], Metric::Throughput)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot tell the SPEED-Bench category"),
        "{err}"
    );
    let dirs = fixture(tmp.path());
    let twice = [dirs[0].clone(), dirs[0].clone()];
    let err = build_matrix(&twice, Metric::Throughput)
        .unwrap_err()
        .to_string();
    assert!(err.contains("both model 'A', category 'coding'"), "{err}");
    assert!(matches!(
        build_matrix(&[], Metric::Throughput),
        Err(ReportError::NoRuns)
    ));
}
