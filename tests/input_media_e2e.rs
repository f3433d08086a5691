//! End-to-end: AIPerf's media keys (`image`, `audios`, `video`, …) in `--input-file` lines,
//! through the real CLI against the mock, which keeps every body it receives.

mod common;

use base64::Engine as _;
use common::*;

/// A real 1×1 red PNG (69 bytes).
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
/// A WAV header with no samples: what a server's decoder would be handed as is.
const WAV: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The user message's content parts of `body`'s last message.
fn parts(body: &serde_json::Value) -> Vec<serde_json::Value> {
    let messages = body["messages"].as_array().expect("messages");
    messages.last().unwrap()["content"]
        .as_array()
        .unwrap_or_else(|| panic!("content parts in {body}"))
        .clone()
}

#[test]
fn file_images_and_audio_are_sent_as_data_uris_and_urls_as_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("img")).unwrap();
    std::fs::write(dir.path().join("img/cat.png"), PNG).unwrap();
    std::fs::write(dir.path().join("hello.wav"), WAV).unwrap();
    let input = dir.path().join("prompts.jsonl");
    std::fs::write(
        &input,
        concat!(
            "{\"text\": \"What is in the picture?\", \"image\": \"img/cat.png\"}\n",
            "{\"texts\": [\"Compare\"], \"images\": [\"https://example.com/dog.png\", \"img/cat.png\"]}\n",
            "{\"audios\": [\"hello.wav\"]}\n",
        ),
    )
    .unwrap();
    let server = capturing_mock();
    let out = artifact_dir("input-media-single-turn");
    profile_ok(
        &server,
        &out,
        &[
            "--input-file",
            input.to_str().unwrap(),
            "--concurrency",
            "1",
        ],
    );
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 3);
    let png_uri = format!("data:image/png;base64,{}", b64(PNG));
    let first = parts(&bodies[0]);
    assert_eq!(first[0]["text"], "What is in the picture?");
    assert_eq!(first[1]["type"], "image_url");
    assert_eq!(first[1]["image_url"]["url"], png_uri.as_str());
    let second = parts(&bodies[1]);
    assert_eq!(second[1]["image_url"]["url"], "https://example.com/dog.png");
    assert_eq!(second[2]["image_url"]["url"], png_uri.as_str());
    // Audio alone: an empty text part, then the clip as input_audio.
    let third = parts(&bodies[2]);
    assert_eq!(third[0]["text"], "");
    assert_eq!(third[1]["input_audio"]["format"], "wav");
    assert_eq!(third[1]["input_audio"]["data"], b64(WAV).as_str());
    let stats = server.stats().snapshot();
    assert_eq!((stats.media_image_parts, stats.media_audio_parts), (3, 1));
}

#[test]
fn multi_turn_turns_carry_their_own_media() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cat.png"), PNG).unwrap();
    let input = dir.path().join("chat.jsonl");
    std::fs::write(
        &input,
        "{\"session_id\": \"s\", \"turns\": [{\"text\": \"Hi\"}, {\"text\": \"And this?\", \"images\": [{\"name\": \"a\", \"contents\": [\"cat.png\"]}]}]}\n",
    )
    .unwrap();
    let server = capturing_mock();
    let out = artifact_dir("input-media-multi-turn");
    profile_ok(
        &server,
        &out,
        &[
            "--input-file",
            input.to_str().unwrap(),
            "--custom-dataset-type",
            "multi_turn",
        ],
    );
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["messages"][0]["content"], "Hi");
    let second = parts(&bodies[1]);
    assert_eq!(
        second[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", b64(PNG)).as_str()
    );
}

#[test]
fn bad_media_stop_the_run_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cat.png"), PNG).unwrap();
    let input = dir.path().join("prompts.jsonl");
    let input_str = input.to_str().unwrap();
    let server = capturing_mock();
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "{\"text\": \"a\"}\n{\"text\": \"b\", \"image\": \"nope.png\"}\n",
            &[],
            ":2: image: no such file: nope.png",
        ),
        (
            "{\"text\": \"a\", \"images\": [\"cat.png\", \"data:image/png;base64,!!\"]}\n",
            &[],
            ":1: images[1]: bad base64",
        ),
        (
            "{\"text\": \"a\", \"image\": \"cat.png\"}\n",
            &["--endpoint-type", "completions"],
            ":1: image: --endpoint-type completions has no place for media",
        ),
    ];
    for (i, (lines, flags, says)) in cases.into_iter().enumerate() {
        std::fs::write(&input, lines).unwrap();
        let out = artifact_dir(&format!("input-media-bad-{i}"));
        let mut args = vec!["--input-file", input_str];
        args.extend_from_slice(flags);
        let run = profile(&server.url(), &out, &args);
        assert!(!run.status.success(), "{}", text(&run));
        let stderr = String::from_utf8_lossy(&run.stderr);
        let expected = format!("{input_str}{says}");
        assert!(stderr.contains(&expected), "{expected:?} not in {stderr}");
    }
    assert!(captured_bodies(&server).is_empty(), "nothing is sent");
}

#[test]
fn a_config_files_file_dataset_runs_like_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cat.png"), PNG).unwrap();
    let input = dir.path().join("prompts.jsonl");
    std::fs::write(&input, "{\"text\": \"Look\", \"image\": \"cat.png\"}\n").unwrap();
    let server = capturing_mock();
    let config = dir.path().join("bench.yaml");
    std::fs::write(
        &config,
        format!(
            "schemaVersion: \"2.0\"\nbenchmark:\n  model: mock-model\n  endpoint:\n    url: {}\n  dataset:\n    type: file\n    path: {}\n    format: single_turn\n",
            server.url(),
            input.display()
        ),
    )
    .unwrap();
    let out = artifact_dir("input-media-config-file");
    let run = gauntlet(&[
        "profile",
        "-f",
        config.to_str().unwrap(),
        "--output-artifact-dir",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run));
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        parts(&bodies[0])[1]["image_url"]["url"],
        format!("data:image/png;base64,{}", b64(PNG)).as_str()
    );
}
