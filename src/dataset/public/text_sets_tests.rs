use std::path::Path;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::*;
use crate::config::{PublicDataset, PublicDatasetPlan};
use crate::dataset::public::HubEnv;

fn tok() -> &'static Tokenizer {
    crate::tokenizer::test_support::builtin()
}

/// Writes `rows` as a snappy parquet file of optional UTF-8 string columns, as pyarrow writes
/// the hub's string-only datasets.
fn write_parquet(path: &Path, columns: &[&str], rows: &[Vec<&str>]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let fields: String = columns
        .iter()
        .map(|c| format!("  OPTIONAL BYTE_ARRAY {c} (UTF8);\n"))
        .collect();
    let schema = Arc::new(parse_message_type(&format!("message schema {{\n{fields}}}")).unwrap());
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let ones = vec![1i16; rows.len()];
    let mut column = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        let values: Vec<ByteArray> = rows.iter().map(|r| ByteArray::from(r[column])).collect();
        col.typed::<ByteArrayType>()
            .write_batch(&values, Some(&ones), None)
            .unwrap();
        col.close().unwrap();
        column += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
}

fn set(name: &str) -> &'static TextSet {
    match PublicDataset::parse(name).unwrap() {
        PublicDataset::Text(set) => set,
        other => panic!("{other:?}"),
    }
}

fn plan(name: &str, path: &Path, multi_turn: bool) -> PublicDatasetPlan {
    PublicDatasetPlan {
        variant: PublicDataset::parse(name).unwrap(),
        dataset_path: Some(path.to_path_buf()),
        multi_turn,
        max_tokens: None,
        reply_lengths: false,
    }
}

fn prompts(workload: &Workload) -> Vec<&str> {
    workload.entries.iter().map(|e| e.prompt.as_str()).collect()
}

fn run(name: &str, path: &Path, multi_turn: bool) -> Workload {
    crate::dataset::public::build(&plan(name, path, multi_turn), tok(), &HubEnv::default())
        .unwrap()
        .0
}

#[test]
fn aimo_reads_the_problem_column_of_the_train_split() {
    let tmp = tempfile::tempdir().unwrap();
    // NuminaMath-TIR's hub layout: data/{train,test}-00000-of-00001.parquet.
    let columns = ["problem", "solution", "messages"];
    write_parquet(
        &tmp.path().join("data/train-00000-of-00001.parquet"),
        &columns,
        &[
            vec!["What is 7 times 8, minus 6?", "50", "[]"],
            vec!["", "skipped: empty problem", "[]"],
            vec!["Find all primes below 20 and add them.", "77", "[]"],
        ],
    );
    write_parquet(
        &tmp.path().join("data/test-00000-of-00001.parquet"),
        &columns,
        &[vec!["A test-split problem that is not read.", "0", "[]"]],
    );
    let (workload, report) =
        crate::dataset::public::build(&plan("aimo", tmp.path(), false), tok(), &HubEnv::default())
            .unwrap();
    assert_eq!(
        prompts(&workload),
        [
            "What is 7 times 8, minus 6?",
            "Find all primes below 20 and add them."
        ]
    );
    assert!(workload.entries.iter().all(|e| e.max_tokens.is_none()));
    for e in &workload.entries {
        assert_eq!(
            e.input_tokens as usize,
            tok().encode(&e.prompt).unwrap().len()
        );
    }
    assert_eq!(
        report.placeholder_line("aimo").unwrap(),
        "aimo: 2 of 3 rows sent (the others have an empty prompt)"
    );
}

#[test]
fn blazedit_fills_vllms_template_from_code_and_change_request() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("data/train-00000-of-00001.parquet");
    write_parquet(
        &file,
        &["code", "change_request", "char_edit_distance", "new_code"],
        &[vec![
            "def add(a, b):\n    return a + b",
            "Rename add to plus.",
            "8",
            "def plus(a, b):\n    return a + b",
        ]],
    );
    let workload = run("blazedit_5k", &file, false);
    assert_eq!(
        workload.entries[0].prompt,
        "Given a code file, please apply the change requests and generate the new file.\n\n\
         Original file:\n```python\ndef add(a, b):\n    return a + b\n```\n\n\
         Change request:\nRename add to plus.\n\n\
         Please generate the new code file in the \"New file\" section below."
    );
    assert_eq!(run("blazedit_10k", &file, false).entries.len(), 1);
}

#[test]
fn instruct_coder_reads_json_rows_and_names_a_missing_column() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("train.json");
    std::fs::write(
        &file,
        r#"[{"id": "1", "instruction": "Add type hints to this function.", "input": "def f(x): return x", "output": "def f(x: int) -> int: return x"},
            {"id": "2", "instruction": "Replace the loop with a list comprehension.", "input": "", "output": ""}]"#,
    )
    .unwrap();
    let workload = run("instruct_coder", tmp.path(), false);
    assert_eq!(
        prompts(&workload),
        [
            "Add type hints to this function.",
            "Replace the loop with a list comprehension."
        ]
    );
    let wrong = tmp.path().join("other.jsonl");
    std::fs::write(&wrong, "{\"text\": \"no instruction here\"}\n").unwrap();
    let err = crate::dataset::public::build(
        &plan("instruct_coder", &wrong, false),
        tok(),
        &HubEnv::default(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        format!(
            "{}: row 1: no `instruction` field (is this instruct_coder?)",
            wrong.display()
        )
    );
}

#[test]
fn spec_bench_sends_first_turns_or_whole_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("question.jsonl");
    std::fs::write(
        &file,
        "{\"question_id\": 81, \"category\": \"writing\", \"turns\": [\"Compose a travel blog post about Hawaii.\", \"Rewrite it starting every sentence with A.\"]}\n\
         {\"question_id\": 82, \"category\": \"translation\", \"turns\": [\"Translate 'good morning' into French.\"]}\n",
    )
    .unwrap();
    let single = run("spec_bench", &file, false);
    assert_eq!(
        prompts(&single),
        [
            "Compose a travel blog post about Hawaii.",
            "Translate 'good morning' into French."
        ]
    );
    assert!(!single.is_multi_turn());
    let multi = run("spec_bench", tmp.path(), true);
    assert_eq!(multi.sessions.len(), 2);
    let first = multi.session(0);
    assert_eq!(
        first[1].prompt,
        "Rewrite it starting every sentence with A."
    );
    assert_eq!(first[1].turn.history, Some(0));
}

#[test]
fn spec_bench_without_a_path_says_where_it_lives() {
    let plan = PublicDatasetPlan {
        dataset_path: None,
        ..plan("spec_bench", Path::new("x"), false)
    };
    let err = crate::dataset::public::build(&plan, tok(), &HubEnv::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("--public-dataset spec_bench: it is not on the Hugging Face hub"),
        "{err}"
    );
    assert!(
        err.contains(
            "curl -L -o question.jsonl https://raw.githubusercontent.com/hemingkx/Spec-Bench/"
        ),
        "{err}"
    );
}

#[test]
fn hub_sets_offline_name_their_repo() {
    let cache = tempfile::tempdir().unwrap();
    let env = HubEnv {
        cache_dir: Some(cache.path().to_path_buf()),
        offline: true,
        ..HubEnv::default()
    };
    let plan = PublicDatasetPlan {
        dataset_path: None,
        ..plan("aimo_aime", Path::new("x"), false)
    };
    let err = crate::dataset::public::build(&plan, tok(), &env)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("huggingface-cli download AI-MO/aimo-validation-aime --repo-type dataset"),
        "{err}"
    );
    assert!(!err.contains('\n'));
    // The hub cache layout is found without a path.
    let snapshot = cache
        .path()
        .join("datasets--AI-MO--aimo-validation-aime/snapshots/abc/data");
    write_parquet(
        &snapshot.join("train-00000-of-00001.parquet"),
        &["id", "problem", "solution", "answer", "url"],
        &[vec![
            "0",
            "Find the remainder when 2^100 is divided by 7.",
            "",
            "2",
            "",
        ]],
    );
    let (workload, _) = crate::dataset::public::build(&plan, tok(), &env).unwrap();
    assert_eq!(workload.entries.len(), 1);
    let _ = set("aimo");
}

#[test]
fn split_files_pick_the_split_and_fall_back_to_all() {
    assert!(of_split(
        Path::new("data/train-00000-of-00001.parquet"),
        "train"
    ));
    assert!(of_split(Path::new("train.jsonl"), "train"));
    assert!(of_split(Path::new("train/part.json"), "train"));
    assert!(!of_split(
        Path::new("data/test-00000-of-00001.parquet"),
        "train"
    ));
    assert!(!of_split(Path::new("trainer.json"), "train"));
}
