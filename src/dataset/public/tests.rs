use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::*;
use crate::config::DEFAULT_MAX_TOKENS;

/// SPEED-Bench's schema as pyarrow writes it (`turns` is a 3-level list of strings).
const SCHEMA: &str = "message schema {
  OPTIONAL BYTE_ARRAY question_id (UTF8);
  OPTIONAL BYTE_ARRAY category (UTF8);
  OPTIONAL BYTE_ARRAY sub_category (UTF8);
  OPTIONAL group turns (LIST) {
    REPEATED group list {
      OPTIONAL BYTE_ARRAY element (UTF8);
    }
  }
  OPTIONAL BYTE_ARRAY source (UTF8);
  OPTIONAL BYTE_ARRAY src_id (UTF8);
  OPTIONAL BYTE_ARRAY difficulty (UTF8);
  OPTIONAL BOOLEAN multiturn;
}";

const PLACEHOLDER: &str =
    "FULL BENCHMARK DATA SHOULD BE FETCHED FROM THE SOURCE USING SPECDEC_BENCH";

/// A fixture row: question_id, category, turns.
type FixtureRow<'a> = (&'a str, &'a str, Vec<&'a str>);

/// Writes `rows` (question_id, category, turns) as a snappy parquet file in the real schema.
fn write_fixture(path: &Path, rows: &[FixtureRow]) {
    let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let strings = |f: &dyn Fn(&FixtureRow) -> String| -> Vec<ByteArray> {
        rows.iter()
            .map(|r| ByteArray::from(f(r).as_str()))
            .collect()
    };
    let ones = vec![1i16; rows.len()];
    let mut column = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        if column == 7 {
            let multi: Vec<bool> = rows.iter().map(|r| r.2.len() > 1).collect();
            col.typed::<BoolType>()
                .write_batch(&multi, Some(&ones), None)
                .unwrap();
        } else {
            let w = col.typed::<ByteArrayType>();
            match column {
                0 => w.write_batch(&strings(&|r| r.0.into()), Some(&ones), None),
                1 => w.write_batch(&strings(&|r| r.1.into()), Some(&ones), None),
                2 => w.write_batch(&strings(&|_| "general".into()), Some(&ones), None),
                3 => {
                    let mut values = Vec::new();
                    let mut def = Vec::new();
                    let mut rep = Vec::new();
                    for (_, _, turns) in rows {
                        for (i, t) in turns.iter().enumerate() {
                            values.push(ByteArray::from(*t));
                            def.push(3);
                            rep.push(i16::from(i > 0));
                        }
                    }
                    w.write_batch(&values, Some(&def), Some(&rep))
                }
                4 => w.write_batch(&strings(&|_| "fixture".into()), Some(&ones), None),
                5 => w.write_batch(&strings(&|r| format!("src-{}", r.0)), Some(&ones), None),
                _ => w.write_batch(&strings(&|_| "easy".into()), Some(&ones), None),
            }
            .unwrap();
        }
        col.close().unwrap();
        column += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
}

/// 12 qualitative rows over 3 categories: one multi-turn coding row, one placeholder.
fn qualitative_fixture(dir: &Path) -> PathBuf {
    let path = dir.join("qualitative.parquet");
    let mut rows = vec![
        (
            "q1",
            "coding",
            vec!["Write a function that reverses a list."],
        ),
        (
            "q2",
            "coding",
            vec![
                "Write a Rust struct for a point.",
                "Now add a distance method.",
            ],
        ),
        ("q3", "coding", vec![PLACEHOLDER]),
        ("q4", "coding", vec!["Explain what a mutex is, briefly."]),
    ];
    for i in 0..4 {
        rows.push((
            "m",
            "math",
            vec!["What is the sum of the first ten primes?"],
        ));
        rows.push(("w", "writing", vec!["Write a haiku about the sea."]));
        let _ = i;
    }
    write_fixture(&path, &rows);
    path
}

fn plan(name: &str, path: &Path, multi_turn: bool) -> PublicDatasetPlan {
    PublicDatasetPlan {
        variant: crate::config::PublicDataset::SpeedBench(SpeedBenchVariant::parse(name).unwrap()),
        dataset_path: Some(path.to_path_buf()),
        multi_turn,
        max_tokens: Some(DEFAULT_MAX_TOKENS),
        reply_lengths: false,
    }
}

fn tok() -> &'static Tokenizer {
    crate::tokenizer::test_support::builtin()
}

#[test]
fn qualitative_reads_every_row_but_the_placeholder() {
    let tmp = tempfile::tempdir().unwrap();
    let path = qualitative_fixture(tmp.path());
    let (workload, report) = build(
        &plan("speed_bench_qualitative", &path, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    assert_eq!(workload.entries.len(), 11);
    assert!(!workload.is_multi_turn());
    assert_eq!(report.matched_rows, 12);
    assert_eq!(report.placeholder_rows, 1);
    assert!(workload.entries.iter().all(|e| !is_placeholder(&e.prompt)));
    assert!(workload.entries.iter().all(|e| e.max_tokens == Some(4_096)));
}

#[test]
fn a_category_variant_filters_and_labels_its_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let path = qualitative_fixture(tmp.path());
    let (workload, report) = build(
        &plan("speed_bench_coding", &path, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    let ids: Vec<&str> = workload
        .entries
        .iter()
        .map(|e| e.session_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "coding/session_000001",
            "coding/session_000002",
            "coding/session_000003"
        ]
    );
    // Multi-turn off: the second row sends only its first turn.
    assert_eq!(
        workload.entries[1].prompt,
        "Write a Rust struct for a point."
    );
    assert_eq!(report.categories, ["coding", "coding", "coding"]);
    let line = report.placeholder_line("speed_bench_coding").unwrap();
    assert!(line.contains("1 of 4 rows"), "{line}");
    assert!(!line.contains('\n'));

    let (math, report) = build(
        &plan("speed_bench_math", &path, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    assert_eq!(math.entries.len(), 4);
    assert_eq!(report.placeholder_line("speed_bench_math"), None);
}

#[test]
fn multi_turn_rows_become_linear_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let path = qualitative_fixture(tmp.path());
    let (workload, _) = build(
        &plan("speed_bench_coding", &path, true),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    assert_eq!(workload.entries.len(), 4);
    assert_eq!(workload.sessions.len(), 3);
    let session = workload.session(1);
    assert_eq!(session.len(), 2);
    assert_eq!(session[1].prompt, "Now add a distance method.");
    assert_eq!(session[1].turn.parents, vec![0]);
    assert_eq!(session[1].turn.history, Some(0));
    assert!(session[0].turn.parents.is_empty());
    assert_eq!(session[0].session_id, session[1].session_id);
}

#[test]
fn input_lengths_are_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let path = qualitative_fixture(tmp.path());
    let (workload, _) = build(
        &plan("speed_bench_qualitative", &path, true),
        tok(),
        &HubEnv::default(),
    )
    .unwrap();
    for entry in &workload.entries {
        let ids = tok().encode(&entry.prompt).unwrap();
        assert_eq!(entry.input_tokens as usize, ids.len(), "{}", entry.prompt);
        assert!(entry.input_tokens > 3);
    }
}

#[test]
fn entropy_tiers_accept_both_spellings_of_mixed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("throughput_1k");
    std::fs::create_dir_all(&dir).unwrap();
    write_fixture(
        &dir.join("test-00000-of-00001.parquet"),
        &[
            ("t1", "low_entropy", vec!["Sort these numbers: 3 1 2."]),
            ("t2", "mixed_entropy", vec!["Find the needle in this text."]),
            ("t3", "mixed", vec!["Answer the exam question."]),
            ("t4", "high_entropy", vec!["Write a surreal story."]),
        ],
    );
    let build_tier = |name: &str| {
        build(&plan(name, tmp.path(), false), tok(), &HubEnv::default())
            .unwrap()
            .0
            .entries
            .len()
    };
    assert_eq!(build_tier("speed_bench_throughput_1k"), 4);
    assert_eq!(build_tier("speed_bench_throughput_1k_mixed"), 2);
    assert_eq!(build_tier("speed_bench_throughput_1k_mixed_entropy"), 2);
    assert_eq!(build_tier("speed_bench_throughput_1k_low_entropy"), 1);
    // The 2k config is not in the folder: the loose-file fallback does not apply to it.
    let err = build(
        &plan("speed_bench_throughput_2k", tmp.path(), false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("no .parquet files for config 'throughput_2k'"),
        "{err}"
    );
}

#[test]
fn nothing_to_send_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.parquet");
    write_fixture(&path, &[("p1", "rag", vec![PLACEHOLDER])]);
    let err = build(
        &plan("speed_bench_rag", &path, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("all 1 matching rows are placeholders"),
        "{err}"
    );
    let err = build(
        &plan("speed_bench_stem", &path, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("none with a category this variant keeps"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_parquet_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.parquet");
    std::fs::write(&path, b"not parquet at all").unwrap();
    let err = build(
        &plan("speed_bench_rag", &path, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&format!("{}: not readable as parquet", path.display())),
        "{err}"
    );
}

#[test]
fn offline_with_no_cache_says_how_to_fetch() {
    let tmp = tempfile::tempdir().unwrap();
    let env = HubEnv {
        cache_dir: Some(tmp.path().to_path_buf()),
        offline: true,
        ..HubEnv::default()
    };
    let plan = PublicDatasetPlan {
        dataset_path: None,
        ..plan("speed_bench_coding", tmp.path(), false)
    };
    let err = build(&plan, tok(), &env).unwrap_err().to_string();
    assert!(
        err.starts_with("--public-dataset speed_bench_coding: "),
        "{err}"
    );
    assert!(err.contains("huggingface-cli download nvidia/SPEED-Bench --repo-type dataset"));
    assert!(!err.contains('\n'));
}
