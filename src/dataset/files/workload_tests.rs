//! Whole-pipeline tests: files → `Workload`, exact token counts on the real mooncake trace,
//! session layout, synthesis and determinism across thread counts.

use std::path::{Path, PathBuf};

use super::hash_text::HashText;
use super::test_support::file;
use super::*;
use crate::config::SynthesisPlan;
use crate::dataset::TurnLinks;
use crate::tokenizer::test_support::{builtin, builtin_corpus};

const TRACE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/shared/traces/mooncake_synthetic_trace.jsonl"
);

fn plan(path: &Path, format: InputFormat) -> InputFilePlan {
    InputFilePlan {
        path: path.to_path_buf(),
        format,
        block_size: 512,
        pool_entries: 10,
        synthesis: None,
        window_ms: None,
        endpoint: crate::config::EndpointType::Chat,
    }
}

fn build_with(plan: &InputFilePlan, seed: u64) -> Result<Workload, FilesError> {
    let generator = PromptGenerator::new(builtin(), builtin_corpus());
    let root = RngRoot::new(seed);
    build(
        plan,
        PromptSource {
            tokenizer: builtin(),
            generator: &generator,
            root: &root,
        },
    )
}

fn on_threads(threads: usize, plan: &InputFilePlan, seed: u64) -> Workload {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| build_with(plan, seed).unwrap())
}

/// The first `lines` lines of the real trace in a temporary file.
fn trace_head(lines: usize) -> (tempfile::TempDir, PathBuf) {
    let text = std::fs::read_to_string(TRACE).unwrap();
    let head: Vec<&str> = text.lines().take(lines).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("head.jsonl");
    std::fs::write(&path, head.join("\n")).unwrap();
    (dir, path)
}

#[test]
fn hash_id_prompts_are_exact_on_the_real_trace() {
    let (_dir, path) = trace_head(200);
    let workload = build_with(&plan(&path, InputFormat::MooncakeTrace), 0).unwrap();
    assert_eq!(workload.entries.len(), 200);
    assert!(!workload.is_multi_turn());
    let rows = mooncake::read(&path, 512).unwrap();
    let counts: Vec<u32> = {
        use rayon::prelude::*;
        workload
            .entries
            .par_iter()
            .map(|e| builtin().count(&e.prompt).unwrap())
            .collect()
    };
    for ((entry, row), count) in workload.entries.iter().zip(&rows).zip(counts) {
        let mooncake::RowInput::Length { input_length, .. } = row.input else {
            panic!("length rows only")
        };
        assert_eq!(
            (entry.input_tokens, count),
            (input_length, input_length),
            "line {}",
            row.line
        );
        assert_eq!(
            entry.timestamp_ms,
            row.timestamp_ms.map(|t| t.round() as u64)
        );
    }
    // Two rows whose ids share a prefix then differ: their prompts share exactly those blocks.
    let ids = |i: usize| match &rows[i].input {
        mooncake::RowInput::Length { hash_ids, .. } => hash_ids.clone(),
        mooncake::RowInput::Text(_) => Vec::new(),
    };
    let (i, j, shared) = (0..rows.len())
        .flat_map(|i| (i + 1..rows.len()).map(move |j| (i, j)))
        .find_map(|(i, j)| {
            let (a, b) = (ids(i), ids(j));
            let c = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
            (c > 0 && c < a.len().min(b.len())).then(|| (i, j, a[..c].to_vec()))
        })
        .expect("the trace's first rows share prefixes");
    let blocks: String = {
        let text = HashText::build(shared.iter().copied(), 512, source_for_test()).unwrap();
        assert!(text.seam_safe());
        shared.iter().map(|id| text.block(*id).unwrap()).collect()
    };
    let (a, b) = (&workload.entries[i].prompt, &workload.entries[j].prompt);
    assert!(
        a.starts_with(&blocks) && b.starts_with(&blocks),
        "rows {i} and {j}"
    );
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    assert!(
        common < blocks.len() + 64,
        "rows {i} and {j} share more than their common ids"
    );
}

fn source_for_test() -> PromptSource<'static> {
    use std::sync::OnceLock;
    static GENERATOR: OnceLock<PromptGenerator<'static>> = OnceLock::new();
    static ROOT: OnceLock<RngRoot> = OnceLock::new();
    PromptSource {
        tokenizer: builtin(),
        generator: GENERATOR.get_or_init(|| PromptGenerator::new(builtin(), builtin_corpus())),
        root: ROOT.get_or_init(|| RngRoot::new(0)),
    }
}

#[test]
fn small_blocks_are_corrected_by_whole_counts() {
    let source = source_for_test();
    let text = HashText::build(0..40u64, 4, source).unwrap();
    assert!(!text.seam_safe());
    for len in [1u32, 5, 37, 77, 160] {
        let ids: Vec<u64> = (0..len.div_ceil(4) as u64).collect();
        let prompt = text.prompt(&ids, len, builtin()).unwrap();
        assert_eq!(builtin().count(&prompt).unwrap(), len, "{prompt:?}");
    }
}

#[test]
fn too_few_hash_ids_is_an_error_naming_the_line() {
    let f = file("{\"input_length\": 3}\n{\"input_length\": 2000, \"hash_ids\": [1, 2, 3]}\n");
    let err = build_with(&plan(f.path(), InputFormat::MooncakeTrace), 0)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}:2: hash_ids: ", f.path().display())),
        "{err}"
    );
    assert!(err.contains("1536 tokens < input_length 2000"), "{err}");
}

#[test]
fn multi_turn_files_become_linear_sessions_with_history() {
    let f = file(concat!(
        "{\"session_id\": \"chat-a\", \"turns\": [{\"text\": \"Hello there\"}, {\"text\": \"Go on\", \"delay\": 1500}, {\"text\": \"Thanks\", \"output_length\": 9}]}\n",
        "{\"turns\": [{\"text\": \"Alone\"}]}\n",
    ));
    let w = build_with(&plan(f.path(), InputFormat::MultiTurn), 0).unwrap();
    assert!(w.is_multi_turn());
    assert_eq!(w.sessions.len(), 2);
    let a = w.session(0);
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|e| e.session_id == "chat-a"));
    assert_eq!(a[0].turn, TurnLinks::default());
    assert_eq!(
        a[1].turn,
        TurnLinks {
            parents: vec![0],
            history: Some(0),
            delay_ms: 1500
        }
    );
    assert_eq!(
        a[2].turn,
        TurnLinks {
            parents: vec![1],
            history: Some(1),
            delay_ms: 0
        }
    );
    assert_eq!((a[2].prompt.as_str(), a[2].max_tokens), ("Thanks", Some(9)));
    assert_eq!(a[0].input_tokens, builtin().count("Hello there").unwrap());
    assert_eq!(w.session(1)[0].session_id, "session_000001");
}

#[test]
fn single_turn_sessions_are_ordered_without_history() {
    let f = file("{\"text\": \"a\", \"session_id\": \"s\"}\n{\"text\": \"b\"}\n{\"text\": \"c\", \"session_id\": \"s\", \"delay\": 40}\n");
    let w = build_with(&plan(f.path(), InputFormat::SingleTurn), 0).unwrap();
    assert_eq!(w.sessions.len(), 2);
    let s = w.session(0);
    assert_eq!((s[0].prompt.as_str(), s[1].prompt.as_str()), ("a", "c"));
    assert_eq!(
        s[1].turn,
        TurnLinks {
            parents: vec![0],
            history: None,
            delay_ms: 40
        }
    );

    let plain = file("{\"text\": \"x\", \"timestamp\": 5}\n{\"text\": \"y\"}\n");
    let w = build_with(&plan(plain.path(), InputFormat::SingleTurn), 0).unwrap();
    assert!(!w.is_multi_turn());
    assert_eq!(w.entries[1].session_id, "session_000001");
    assert_eq!(w.entries[0].timestamp_ms, Some(5));
}

#[test]
fn mooncake_sessions_and_synthesis() {
    let f = file(concat!(
        "{\"session_id\": \"u1\", \"timestamp\": 1000, \"input_length\": 700, \"output_length\": 5, \"hash_ids\": [7, 8]}\n",
        "{\"session_id\": \"u2\", \"timestamp\": 1200, \"input_length\": 40, \"output_length\": 5}\n",
        "{\"session_id\": \"u1\", \"timestamp\": 3000, \"input_length\": 300, \"output_length\": 6, \"hash_ids\": [9]}\n",
    ));
    let replay = build_with(&plan(f.path(), InputFormat::MooncakeTrace), 0).unwrap();
    let u1 = replay.session(0);
    assert_eq!(u1.len(), 2);
    assert_eq!(u1[1].turn.history, Some(0));
    assert_eq!((u1[0].input_tokens, u1[1].input_tokens), (700, 300));
    assert_eq!(u1[1].timestamp_ms, Some(3000));

    let mut fast = plan(f.path(), InputFormat::MooncakeTrace);
    fast.synthesis = Some(SynthesisPlan {
        speedup_ratio: 2.0,
        prefix_len_multiplier: 1.0,
        prefix_root_multiplier: 1,
        prompt_len_multiplier: 1.0,
        max_isl: Some(600),
    });
    let synthesized = build_with(&fast, 0).unwrap();
    let times: Vec<Option<u64>> = synthesized.entries.iter().map(|e| e.timestamp_ms).collect();
    assert_eq!(times, vec![Some(500), Some(1500), Some(600)]);
    for e in &synthesized.entries {
        assert!(e.input_tokens <= 600);
        assert_eq!(builtin().count(&e.prompt).unwrap(), e.input_tokens);
    }
}

#[test]
fn csv_rows_get_synthetic_prompts_of_their_length() {
    let f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        f.path(),
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,120,10\n0.25,33,4\n",
    )
    .unwrap();
    let w = build_with(&plan(f.path(), InputFormat::CsvTrace), 0).unwrap();
    let got: Vec<_> = w
        .entries
        .iter()
        .map(|e| (e.input_tokens, e.max_tokens, e.timestamp_ms))
        .collect();
    assert_eq!(
        got,
        vec![(120, Some(10), Some(0)), (33, Some(4), Some(250))]
    );
    for e in &w.entries {
        assert_eq!(builtin().count(&e.prompt).unwrap(), e.input_tokens);
    }
}

#[test]
fn same_seed_and_file_give_the_same_workload_on_any_thread_count() {
    let (_dir, path) = trace_head(30);
    let mut trace = plan(&path, InputFormat::MooncakeTrace);
    let one = on_threads(1, &trace, 3);
    assert_eq!(one, on_threads(2, &trace, 3));
    assert_ne!(one, on_threads(2, &trace, 4));
    trace.synthesis = Some(SynthesisPlan {
        speedup_ratio: 1.5,
        prefix_len_multiplier: 2.0,
        prefix_root_multiplier: 2,
        prompt_len_multiplier: 0.5,
        max_isl: None,
    });
    assert_eq!(on_threads(1, &trace, 3), on_threads(2, &trace, 3));

    let pool = file("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"}\n");
    let pool_plan = plan(pool.path(), InputFormat::RandomPool);
    let drawn = on_threads(1, &pool_plan, 9);
    assert_eq!(drawn.entries.len(), 10);
    assert_eq!(drawn, on_threads(2, &pool_plan, 9));
}

#[test]
fn a_replay_window_keeps_only_its_sessions_before_prompts_are_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let rows: Vec<String> = (0..10)
        .map(|i| {
            format!(
                "{{\"timestamp\": {}, \"input_length\": 5, \"output_length\": 2}}",
                i * 100
            )
        })
        .collect();
    std::fs::write(&path, rows.join("\n")).unwrap();
    let mut windowed = plan(&path, InputFormat::MooncakeTrace);
    windowed.window_ms = Some((250, 600));
    let workload = build_with(&windowed, 0).unwrap();
    let stamps: Vec<Option<u64>> = workload.entries.iter().map(|e| e.timestamp_ms).collect();
    assert_eq!(stamps, vec![Some(300), Some(400), Some(500), Some(600)]);
}

/// Prompts made later, a chunk at a time in any order with blocks dropped between chunks,
/// are the whole build's prompts, on one thread or four.
#[test]
fn deferred_prompts_equal_the_whole_build_in_any_chunk_order() {
    let (_dir, path) = trace_head(160);
    let plan = plan(&path, InputFormat::MooncakeTrace);
    let whole = on_threads(4, &plan, 11);
    for threads in [1, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let generator = PromptGenerator::new(builtin(), builtin_corpus());
            let root = RngRoot::new(11);
            let source = PromptSource {
                tokenizer: builtin(),
                generator: &generator,
                root: &root,
            };
            let Built::Deferred(workload, mut prompts) =
                build_streamable(&plan, source, Some(0)).unwrap()
            else {
                panic!("a threshold of 0 defers every single-turn file");
            };
            assert_eq!(workload.entries.len(), whole.entries.len());
            for (e, w) in workload.entries.iter().zip(&whole.entries) {
                assert!(e.prompt.is_empty());
                assert_eq!(
                    (&e.session_id, e.input_tokens, e.max_tokens, e.timestamp_ms),
                    (&w.session_id, w.input_tokens, w.max_tokens, w.timestamp_ms)
                );
            }
            // A backwards pass in chunks of 7, then entries again after their blocks were
            // dropped: the text is the same every time.
            let order: Vec<usize> = (0..whole.entries.len())
                .rev()
                .chain([3, 0, 150, 3])
                .collect();
            for chunk in order.chunks(7) {
                let made = prompts.prompts(chunk, source).unwrap();
                for (&i, prompt) in chunk.iter().zip(&made) {
                    assert_eq!(
                        prompt, &whole.entries[i].prompt,
                        "entry {i}, {threads} threads"
                    );
                }
            }
            assert!(prompts.peak_blocks() > 0);
        });
    }
}

/// Blocks are held only while recent chunks use them: a long pass keeps far fewer than the
/// trace's distinct blocks.
#[test]
fn the_deferred_block_cache_stays_bounded_on_a_long_pass() {
    let (_dir, path) = trace_head(200);
    let plan = plan(&path, InputFormat::MooncakeTrace);
    let generator = PromptGenerator::new(builtin(), builtin_corpus());
    let root = RngRoot::new(5);
    let source = PromptSource {
        tokenizer: builtin(),
        generator: &generator,
        root: &root,
    };
    let Built::Deferred(workload, mut prompts) = build_streamable(&plan, source, Some(0)).unwrap()
    else {
        panic!("deferred");
    };
    let n = workload.entries.len();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut distinct = std::collections::HashSet::new();
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        for id in row["hash_ids"].as_array().unwrap() {
            distinct.insert(id.as_u64().unwrap());
        }
    }
    // Twice around the trace, as a wrapped replay would go.
    let order: Vec<usize> = (0..2 * n).map(|i| i % n).collect();
    for chunk in order.chunks(4) {
        prompts.prompts(chunk, source).unwrap();
    }
    assert!(
        prompts.peak_blocks() * 4 < distinct.len(),
        "held {} of {} distinct blocks",
        prompts.peak_blocks(),
        distinct.len()
    );
}
