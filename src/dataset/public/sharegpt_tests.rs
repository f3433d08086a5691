use std::path::PathBuf;

use super::*;
use crate::config::{PublicDataset, PublicDatasetPlan};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sharegpt/ShareGPT_V3_unfiltered_cleaned_split.json")
}

fn tok() -> &'static Tokenizer {
    crate::tokenizer::test_support::builtin()
}

fn plan(multi_turn: bool, max_tokens: Option<u32>) -> PublicDatasetPlan {
    PublicDatasetPlan {
        variant: PublicDataset::ShareGpt,
        dataset_path: Some(fixture()),
        multi_turn,
        max_tokens,
        reply_lengths: max_tokens.is_none(),
    }
}

fn built(plan: &PublicDatasetPlan) -> (Workload, ShareGptReport) {
    let conversations = read(&fixture()).unwrap();
    build(plan, &fixture(), conversations, tok()).unwrap()
}

#[test]
fn single_turn_sends_first_pairs_within_the_filters_with_reply_lengths() {
    let (workload, report) = built(&plan(false, None));
    assert_eq!(report, ShareGptReport { rows: 7, kept: 3 });
    assert!(!workload.is_multi_turn());
    let prompts: Vec<&str> = workload.entries.iter().map(|e| e.prompt.as_str()).collect();
    assert_eq!(
        prompts,
        [
            "Explain what a mutex is in two short sentences, please.",
            "Write a haiku about the sea at night, with the moon in it.",
            "Give me a Rust struct for a point in the plane with two float fields.",
        ]
    );
    let replies = [
        "A mutex is a lock that lets only one thread at a time touch the data it guards. The other threads wait until the holder releases it.",
        "Dark waves fold and turn, the moon lays a silver road, the tide hums to sleep.",
        "Here it is: pub struct Point { pub x: f64, pub y: f64 } and you can derive Debug, Clone and Copy on it.",
    ];
    for (entry, reply) in workload.entries.iter().zip(replies) {
        assert_eq!(entry.max_tokens, Some(tok().count(reply).unwrap()));
        assert_eq!(
            entry.input_tokens as usize,
            tok().encode(&entry.prompt).unwrap().len()
        );
    }
    let ids: Vec<&str> = workload
        .entries
        .iter()
        .map(|e| e.session_id.as_str())
        .collect();
    assert_eq!(ids, ["session_000001", "session_000002", "session_000003"]);
    assert!(report
        .line()
        .starts_with("sharegpt: 3 of 7 conversations kept"));
}

#[test]
fn a_fixed_output_length_drops_the_reply_check_and_sets_max_tokens() {
    let (workload, report) = built(&plan(false, Some(100)));
    assert_eq!(report.kept, 4, "the one-word reply is kept");
    assert!(workload.entries.iter().all(|e| e.max_tokens == Some(100)));
    assert!(workload
        .entries
        .iter()
        .any(|e| e.prompt.starts_with("Is ninety-one a prime")));
}

#[test]
fn multi_turn_sends_every_pair_as_a_session() {
    let (workload, _) = built(&plan(true, None));
    assert_eq!(workload.entries.len(), 4);
    assert_eq!(workload.sessions.len(), 3);
    let first = workload.session(0);
    assert_eq!(first.len(), 2);
    assert_eq!(
        first[1].prompt,
        "And how does a read-write lock differ from that?"
    );
    assert_eq!(first[1].turn.parents, vec![0]);
    assert_eq!(first[1].turn.history, Some(0));
    assert_eq!(first[0].session_id, first[1].session_id);
}

#[test]
fn length_bounds_are_aiperfs() {
    let words = |n: usize| "word ".repeat(n);
    let conversation = |row: usize, prompt: String, reply: String| Conversation {
        row,
        id: format!("c{row}"),
        pairs: vec![(prompt, reply)],
    };
    let at = |n: usize| tok().count(&words(n)).unwrap();
    // Find word counts that land on and just past the bounds with this tokenizer.
    let (mut lo, mut hi) = (1usize, 4096usize);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if at(mid) > MAX_PROMPT_LEN {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let prompt_words = lo;
    assert!(at(prompt_words - 1) <= MAX_PROMPT_LEN && at(prompt_words) > MAX_PROMPT_LEN);
    let conversations = vec![
        conversation(1, words(prompt_words - 1), words(8)),
        conversation(2, words(prompt_words), words(8)),
        conversation(3, words(600), words(2000)),
    ];
    let (workload, report) = build(&plan(false, None), &fixture(), conversations, tok()).unwrap();
    assert_eq!(report.kept, 1, "{report:?}");
    assert!(workload.entries[0].input_tokens <= MAX_PROMPT_LEN);
}

#[test]
fn rows_without_roles_pair_their_first_two_values_and_jsonl_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("mine.jsonl");
    std::fs::write(
        &path,
        "{\"conversations\": [{\"value\": \"Summarise the plot of Hamlet in a line.\"}, {\"value\": \"A prince avenges his father and nearly everyone dies.\"}]}\n\n\
         {\"id\": \"x\", \"conversations\": [{\"from\": \"system\", \"value\": \"Be brief.\"}, {\"from\": \"human\", \"value\": \"Name the largest planet of the solar system.\"}, {\"from\": \"gpt\", \"value\": \"Jupiter is the largest planet by far.\"}]}\n",
    )
    .unwrap();
    let rows = read(&path).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].row, 1);
    assert_eq!(rows[0].id, "row_1");
    assert_eq!(
        rows[0].pairs[0].0,
        "Summarise the plot of Hamlet in a line."
    );
    assert_eq!(rows[1].row, 3);
    assert_eq!(
        rows[1].pairs,
        [(
            "Name the largest planet of the solar system.".to_string(),
            "Jupiter is the largest planet by far.".to_string()
        )]
    );
}

#[test]
fn malformed_files_name_the_file_and_place() {
    let tmp = tempfile::tempdir().unwrap();
    let array = tmp.path().join("bad.json");
    std::fs::write(&array, "[{\"conversations\": [}]").unwrap();
    let err = read(&array).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: not readable as JSON: ", array.display())),
        "{err}"
    );
    assert!(err.contains("line 1 column"), "{err}");
    let lines = tmp.path().join("bad.jsonl");
    std::fs::write(&lines, "{\"conversations\": []}\n{oops\n").unwrap();
    let err = read(&lines).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: row 2: not a ShareGPT row", lines.display())),
        "{err}"
    );
}

#[test]
fn the_whole_loader_finds_the_file_in_a_folder_and_says_how_to_fetch_it() {
    let folder = fixture().parent().unwrap().to_path_buf();
    let plan = PublicDatasetPlan {
        dataset_path: Some(folder),
        ..plan(false, None)
    };
    let (workload, report) =
        crate::dataset::public::build(&plan, tok(), &crate::dataset::public::HubEnv::default())
            .unwrap();
    assert_eq!(workload.entries.len(), 3);
    let note = report.placeholder_line("sharegpt").unwrap();
    assert!(note.starts_with("sharegpt: 3 of 7"), "{note}");

    let cache = tempfile::tempdir().unwrap();
    let env = crate::dataset::public::HubEnv {
        cache_dir: Some(cache.path().to_path_buf()),
        offline: true,
        ..Default::default()
    };
    let offline = PublicDatasetPlan {
        dataset_path: None,
        ..plan
    };
    let err = crate::dataset::public::build(&offline, tok(), &env)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--public-dataset sharegpt: "), "{err}");
    assert!(
        err.contains("huggingface-cli download anon8231489123/ShareGPT_Vicuna_unfiltered"),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
}

#[test]
fn the_workload_is_the_same_on_one_and_four_threads() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let multi = built(&plan(true, None)).0;
            let single = built(&plan(false, None)).0;
            serde_json::to_vec(&(multi, single)).unwrap()
        })
    };
    assert_eq!(run(1), run(4));
}
