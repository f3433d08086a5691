//! End-to-end: a trace replay whose prompts are made while the run goes on (streamed
//! preparation, `run::stream`) sends exactly the bytes the whole build sends, writes the same
//! `inputs.json`, and keeps going around a trace it wraps.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A small Mooncake-style trace: rows share block prefixes the way conversations do, and
/// arrive 2 ms apart.
fn trace(dir: &Path, rows: usize) -> PathBuf {
    let mut text = String::new();
    for i in 0..rows {
        let blocks = 1 + i % 3;
        let input_length = (blocks as u32 - 1) * 512 + 40 + (i as u32 * 37) % 400;
        // Every third row starts a new conversation; the others extend the one before.
        let root = (i / 3) * 10;
        let ids: Vec<String> = (0..blocks).map(|b| (root + b).to_string()).collect();
        text.push_str(&format!(
            "{{\"timestamp\": {}, \"input_length\": {input_length}, \"output_length\": {}, \"hash_ids\": [{}]}}\n",
            i * 2,
            1 + i % 5,
            ids.join(", ")
        ));
    }
    let path = dir.join("trace.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

/// Streams every input file, 16 requests ahead at most.
const STREAMED: [(&str, &str); 2] = [
    ("GAUNTLET_STREAM_THRESHOLD_BYTES", "0"),
    ("GAUNTLET_STREAM_WINDOW_BYTES", "1"),
];

fn run(extra: &[&str], env: &[(&str, &str)], name: &str) -> (PathBuf, Vec<Vec<u8>>, String) {
    let server = capturing_mock();
    let dir = artifact_dir(name);
    let out = profile_with_env(&server.url(), &dir, extra, env);
    assert!(out.status.success(), "{}", text(&out));
    let mut bodies: Vec<Vec<u8>> = server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| b.to_vec())
        .collect();
    bodies.sort();
    (dir, bodies, text(&out))
}

#[test]
fn a_streamed_replay_sends_the_whole_builds_bytes_and_writes_the_same_inputs_json() {
    let tmp = tempfile::tempdir().unwrap();
    let path = trace(tmp.path(), 90);
    let file = path.to_str().unwrap();
    let args = [
        "--endpoint-type",
        "completions",
        "--input-file",
        file,
        "--custom-dataset-type",
        "mooncake_trace",
        "--fixed-schedule",
        "--fixed-schedule-speedup",
        "20",
    ];
    let (whole_dir, whole, whole_out) = run(&args, &[], "streamed-whole");
    let (streamed_dir, streamed, streamed_out) = run(&args, &STREAMED, "streamed-streamed");
    assert!(
        !whole_out.contains("made while the run goes on"),
        "{whole_out}"
    );
    assert!(
        streamed_out.contains("at most 16 requests ahead"),
        "{streamed_out}"
    );
    assert_eq!(whole.len(), 90);
    assert!(whole == streamed, "the streamed run sent other bytes");
    let read = |dir: &Path| std::fs::read(dir.join("inputs.json")).unwrap();
    assert!(
        read(&whole_dir) == read(&streamed_dir),
        "inputs.json differs"
    );
    let records = jsonl(&streamed_dir);
    assert_eq!(records.len(), 90);
    assert!(
        records.iter().all(|r| r["error"].is_null()),
        "a request failed"
    );
}

#[test]
fn a_streamed_workload_wraps_around_in_a_closed_loop_and_honours_export_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let path = trace(tmp.path(), 40);
    let file = path.to_str().unwrap();
    let args = |export: &'static str| {
        vec![
            "--endpoint-type",
            "completions",
            "--input-file",
            file,
            "--custom-dataset-type",
            "mooncake_trace",
            "--request-count",
            "130",
            "--concurrency",
            "8",
            "--export-inputs",
            export,
        ]
    };
    let (whole_dir, whole, _) = run(&args("full"), &[], "streamed-wrap-whole");
    let (streamed_dir, streamed, _) = run(&args("full"), &STREAMED, "streamed-wrap-streamed");
    // Three laps and a bit: every request the body of entry `index % 40`, as without streaming.
    assert_eq!(whole.len(), 130);
    assert!(whole == streamed, "the streamed run sent other bytes");
    let read = |dir: &Path| std::fs::read(dir.join("inputs.json")).unwrap();
    // Each entry once in inputs.json, as the whole build writes it.
    assert!(
        read(&whole_dir) == read(&streamed_dir),
        "inputs.json differs"
    );
    assert_eq!(jsonl(&streamed_dir).len(), 130);

    let (none_dir, _, _) = run(&args("none"), &STREAMED, "streamed-wrap-none");
    assert!(!none_dir.join("inputs.json").exists());
    let (sample_dir, _, _) = run(&args("sample"), &STREAMED, "streamed-wrap-sample");
    let sample = json(&sample_dir, "inputs.json");
    assert_eq!(sample["data"].as_array().unwrap().len(), 40);
}

/// A one-pixel PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

#[test]
fn a_streamed_single_turn_file_keeps_its_lines_media() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("cat.png"), PNG).unwrap();
    let mut lines = String::new();
    for i in 0..24 {
        if i % 3 == 0 {
            lines.push_str(&format!(
                "{{\"text\": \"picture {i}\", \"image\": \"cat.png\"}}\n"
            ));
        } else {
            lines.push_str(&format!("{{\"text\": \"question {i}\"}}\n"));
        }
    }
    let path = tmp.path().join("prompts.jsonl");
    std::fs::write(&path, lines).unwrap();
    let args = [
        "--input-file",
        path.to_str().unwrap(),
        "--custom-dataset-type",
        "single_turn",
    ];
    let (_, whole, _) = run(&args, &[], "streamed-media-whole");
    let (_, streamed, out) = run(&args, &STREAMED, "streamed-media-streamed");
    assert!(out.contains("made while the run goes on"), "{out}");
    assert_eq!(whole.len(), 24);
    assert!(whole == streamed, "the streamed run sent other bytes");
    let with_image = streamed
        .iter()
        .filter(|b| String::from_utf8_lossy(b).contains("data:image/png;base64,"))
        .count();
    assert_eq!(with_image, 8);
}

/// Synthetic images and audio made while the run goes on are the whole build's, and a second
/// run reading the workload cache (which then holds no media) makes them again identically.
#[test]
fn synthetic_media_made_during_the_run_are_the_whole_builds() {
    let args = [
        "--endpoint-type",
        "chat",
        "--request-count",
        "30",
        "--concurrency",
        "4",
        "--num-dataset-entries",
        "12",
        "--isl",
        "16",
        "--image-width-mean",
        "40",
        "--image-height-mean",
        "24",
        "--image-format",
        "png",
        "--audio-length-mean",
        "0.05",
        "--audio-sample-rates",
        "16",
        "--audio-depths",
        "16",
    ];
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let no_cache = [("GAUNTLET_NO_WORKLOAD_CACHE", "1")];
    let (_, whole, _) = run(&args, &no_cache, "streamed-synthetic-whole");
    let streamed_env = [STREAMED[0], STREAMED[1], ("GAUNTLET_CACHE_DIR", cache_dir)];
    let (_, streamed, out) = run(&args, &streamed_env, "streamed-synthetic-streamed");
    assert!(out.contains("made while the run goes on"), "{out}");
    assert_eq!(whole.len(), 30);
    assert!(whole == streamed, "the streamed run sent other bytes");
    let (_, again, out) = run(&args, &streamed_env, "streamed-synthetic-cached");
    assert!(out.contains("workload from cache"), "{out}");
    assert!(out.contains("made while the run goes on"), "{out}");
    assert!(whole == again, "the run from the cache sent other bytes");
    let images = streamed
        .iter()
        .filter(|b| String::from_utf8_lossy(b).contains("data:image/png;base64,"))
        .count();
    assert_eq!(images, 30);
}
