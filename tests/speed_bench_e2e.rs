//! End-to-end: `--public-dataset speed_bench_*` from a parquet file in SPEED-Bench's schema
//! through the real CLI against the in-process mock server, then `speed-bench-report`.

mod common;

use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{BoolType, ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use common::*;

const SCHEMA: &str = "message schema {
  OPTIONAL BYTE_ARRAY question_id (UTF8);
  OPTIONAL BYTE_ARRAY category (UTF8);
  OPTIONAL group turns (LIST) {
    REPEATED group list {
      OPTIONAL BYTE_ARRAY element (UTF8);
    }
  }
  OPTIONAL BOOLEAN multiturn;
}";

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
    let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
    let file = std::fs::File::create(path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let ones = vec![1i16; rows.len()];
    let mut column = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        match column {
            0 | 1 => {
                let values: Vec<ByteArray> = rows
                    .iter()
                    .map(|r| ByteArray::from(if column == 0 { r.0 } else { r.1 }))
                    .collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&ones), None)
                    .unwrap();
            }
            2 => {
                let (mut values, mut def, mut rep) = (Vec::new(), Vec::new(), Vec::new());
                for (_, _, turns) in &rows {
                    for (i, t) in turns.iter().enumerate() {
                        values.push(ByteArray::from(*t));
                        def.push(3);
                        rep.push(i16::from(i > 0));
                    }
                }
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&def), Some(&rep))
                    .unwrap();
            }
            _ => {
                let multi: Vec<bool> = rows.iter().map(|r| r.2.len() > 1).collect();
                col.typed::<BoolType>()
                    .write_batch(&multi, Some(&ones), None)
                    .unwrap();
            }
        }
        col.close().unwrap();
        column += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
}

fn capturing_mock() -> MockServer {
    MockServer::start(MockConfig {
        capture_requests: true,
        ..MockConfig::default()
    })
    .expect("mock server starts")
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
