//! End-to-end: the public traces (`--custom-dataset-type burst_gpt_trace|bailian_trace`) and
//! a vision set (`--public-dataset mmstar`) through the real CLI against the mock server.

mod common;

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use common::*;
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inputs")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// (input length, max_tokens) of every request the run recorded and the server received.
fn sent(server: &MockServer, dir: &Path) -> (Vec<u64>, Vec<u64>) {
    let mut isl: Vec<u64> = jsonl(dir)
        .iter()
        .map(|l| {
            l["metrics"]["input_sequence_length"]["value"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let mut max_tokens: Vec<u64> = captured_bodies(server)
        .iter()
        .map(|b| b["max_tokens"].as_u64().expect("max_tokens"))
        .collect();
    isl.sort_unstable();
    max_tokens.sort_unstable();
    (isl, max_tokens)
}

#[test]
fn a_burst_gpt_trace_replays_each_answered_row_at_its_time() {
    let server = capturing_mock();
    let dir = artifact_dir("burst-gpt-fixed-schedule");
    let trace = fixture("burst_gpt_excerpt.csv");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--input-file",
            &trace,
            "--custom-dataset-type",
            "burst_gpt_trace",
            "--fixed-schedule",
            "--fixed-schedule-speedup",
            "100",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 row with Response tokens 0 (failed requests in the log) left out"),
        "{}",
        text(&out)
    );
    // Every row but the failed one (293 tokens) was sent once, at its exact length.
    let (isl, max_tokens) = sent(&server, &dir);
    assert_eq!(isl, [77, 208, 472, 611, 845, 1016, 1329]);
    assert_eq!(max_tokens, [11, 18, 37, 61, 95, 152, 204]);
    // Timestamps are seconds: the 26 s row leaves 260 ms after the 0 s one at 100×.
    let lines = jsonl(&dir);
    let credit = |isl: u64| {
        lines
            .iter()
            .find(|l| l["metrics"]["input_sequence_length"]["value"].as_u64() == Some(isl))
            .unwrap()["metadata"]["credit_issued_ns"]
            .as_u64()
            .unwrap()
    };
    let gap = credit(845) - credit(472);
    assert!(gap.abs_diff(210_000_000) < 1_000_000, "gap {gap} ns");
}

#[test]
fn a_bailian_trace_is_detected_and_sends_its_chains_as_sessions() {
    let server = capturing_mock();
    let dir = artifact_dir("bailian-trace");
    let trace = fixture("bailian_excerpt.jsonl");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--input-file",
            &trace,
            "--fixed-schedule",
            "--fixed-schedule-speedup",
            "100",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (isl, max_tokens) = sent(&server, &dir);
    assert_eq!(isl, [38, 95, 521, 640]);
    assert_eq!(max_tokens, [7, 8, 13, 21]);
    // The follow-up (chat 160) is sent alone: its row already counts the history.
    let bodies = captured_bodies(&server);
    assert!(bodies
        .iter()
        .all(|b| b["messages"].as_array().unwrap().len() == 1));
    let sessions: std::collections::BTreeSet<String> = jsonl(&dir)
        .iter()
        .map(|l| {
            l["metadata"]["conversation_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
}

#[test]
fn a_bad_burst_gpt_row_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("burst.csv");
    std::fs::write(
        &trace,
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
         5,ChatGPT,472,18,490,Conversation log\n\
         6,ChatGPT,many,95,1111,Conversation log\n",
    )
    .unwrap();
    let out = gauntlet(&[
        "profile",
        "--model",
        "m",
        "--url",
        "http://127.0.0.1:1",
        "--input-file",
        trace.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let want = format!(
        "{}:3: Request tokens: expected a whole number >= 1, got \"many\"",
        trace.display()
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&want),
        "{}",
        text(&out)
    );
}

const MMSTAR: &str = "message schema {
  OPTIONAL BYTE_ARRAY question (UTF8);
  OPTIONAL group image {
    OPTIONAL BYTE_ARRAY bytes;
    OPTIONAL BYTE_ARRAY path (UTF8);
  }
  OPTIONAL BYTE_ARRAY answer (UTF8);
}";

/// MMStar's columns (question, image struct, answer) with two rows and their PNGs.
fn mmstar(path: &Path) -> Vec<(String, Vec<u8>)> {
    let rows: Vec<(String, Vec<u8>)> = [
        ([200u8, 10, 10], "Which colour is the square?"),
        ([10, 10, 200], "Is the square blue?"),
    ]
    .into_iter()
    .map(|(rgb, q)| {
        let image = image::RgbImage::from_pixel(3, 2, image::Rgb(rgb));
        let mut png = std::io::Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).unwrap();
        (q.to_string(), png.into_inner())
    })
    .collect();
    let schema = Arc::new(parse_message_type(MMSTAR).unwrap());
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer =
        SerializedFileWriter::new(std::fs::File::create(path).unwrap(), schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        let (values, def): (Vec<ByteArray>, i16) = match column {
            0 => (
                rows.iter().map(|r| ByteArray::from(r.0.as_str())).collect(),
                1,
            ),
            1 => (
                rows.iter().map(|r| ByteArray::from(r.1.clone())).collect(),
                2,
            ),
            2 => (rows.iter().map(|_| ByteArray::from("x.png")).collect(), 2),
            _ => (rows.iter().map(|_| ByteArray::from("A")).collect(), 1),
        };
        col.typed::<ByteArrayType>()
            .write_batch(&values, Some(&vec![def; rows.len()]), None)
            .unwrap();
        col.close().unwrap();
        column += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
    rows
}

#[test]
fn mmstar_requests_carry_the_rows_image_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("mmstar.parquet");
    let rows = mmstar(&data);
    let server = capturing_mock();
    let dir = artifact_dir("public-mmstar");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--public-dataset",
            "mmstar",
            "--dataset-path",
            data.to_str().unwrap(),
            "--request-count",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut got: Vec<(String, Vec<u8>)> = captured_bodies(&server)
        .iter()
        .map(|b| {
            let parts = b["messages"][0]["content"]
                .as_array()
                .expect("content parts");
            assert_eq!(parts.len(), 2, "{b}");
            let url = parts[1]["image_url"]["url"].as_str().unwrap();
            let png = base64::engine::general_purpose::STANDARD
                .decode(
                    url.strip_prefix("data:image/png;base64,")
                        .expect("a PNG data URI"),
                )
                .unwrap();
            (parts[0]["text"].as_str().unwrap().to_string(), png)
        })
        .collect();
    got.sort();
    let mut want = rows;
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_vision_set_on_an_endpoint_without_images_is_one_line() {
    let out = gauntlet(&[
        "profile",
        "--model",
        "m",
        "--url",
        "http://127.0.0.1:1",
        "--endpoint-type",
        "completions",
        "--public-dataset",
        "mmstar",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("mmstar sends each question with its image; use --endpoint-type chat"),
        "{}",
        text(&out)
    );
}
