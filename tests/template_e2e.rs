//! End to end: `--endpoint-type template` and `raw` (issue #19) from the real CLI: the bodies
//! the server receives (rendered from an inline or file template, or the raw file's lines),
//! the path they go to, and what the exports hold (request count, output tokens equal to what
//! the server generated), against the mock and against a server written here that speaks a
//! shape no other type covers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{artifact_dir, captured_bodies, capturing_mock, json, jsonl, profile, stat, text};
use gauntlet::config::TokenizerSpec;
use gauntlet::tokenizer::Tokenizer;
use serde_json::{json, Value};

const COMPLETIONS_TEMPLATE: &str =
    r#"{"model": {{ model|tojson }}, "prompt": {{ text|tojson }}, "max_tokens": {{ max_tokens }}}"#;

/// Every request of the export produced exactly `osl` output tokens, and there were `n`.
fn check_exports(dir: &Path, n: f64, osl: f64) {
    let export = json(dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), n);
    assert_eq!(stat(&export, "output_sequence_length", "avg"), osl);
    assert_eq!(stat(&export, "output_sequence_length", "min"), osl);
    let records = jsonl(dir);
    assert_eq!(records.len() as f64, n);
    for r in &records {
        assert_eq!(r["metrics"]["output_sequence_length"]["value"], osl, "{r}");
    }
}

#[test]
fn an_inline_template_renders_every_body_and_its_replies_are_read() {
    let server = capturing_mock();
    let dir = artifact_dir("template_inline");
    let url = format!("{}/v1/completions", server.url());
    let template = format!("payload_template:{COMPLETIONS_TEMPLATE}");
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "template",
            "--extra-inputs",
            &template,
            "--extra-inputs",
            "response_field:choices[0].text",
            "--extra-inputs",
            "temperature:0.25",
            "--request-count",
            "6",
            "--concurrency",
            "2",
            "--isl",
            "16",
            "--osl",
            "8",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 6);
    for body in &bodies {
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            ["max_tokens", "model", "prompt", "temperature"],
            "{body}"
        );
        assert_eq!(body["model"], "mock-model");
        assert_eq!(body["max_tokens"], 8);
        assert_eq!(body["temperature"], 0.25);
        assert!(!body["prompt"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        server.stats().snapshot().completions_requests,
        6,
        "all to /v1/completions"
    );
    check_exports(&dir, 6.0, 8.0);
    let export = json(&dir, "profile_export_aiperf.json");
    assert!(export.get("time_to_first_token").is_none(), "not streaming");
}

#[test]
fn a_file_template_streams_and_is_auto_detected() {
    let server = capturing_mock();
    let dir = artifact_dir("template_file_stream");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.with_extension("template.json");
    std::fs::write(
        &file,
        "{\n  \"model\": {{ model|tojson }},\n  \"prompt\": {{ text|tojson }},\n  \"max_tokens\": {{ max_tokens|tojson }},\n  \"stream\": {{ stream|lower }}\n}\n",
    )
    .unwrap();
    let template = format!("payload_template:{}", file.display());
    let url = format!("{}/v1/completions", server.url());
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "template",
            "--extra-inputs",
            &template,
            "--streaming",
            "--request-count",
            "5",
            "--isl",
            "16",
            "--osl",
            "12",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 5);
    assert!(bodies
        .iter()
        .all(|b| b["stream"] == true && b["max_tokens"] == 12));
    // No usage asked for: the streamed text (choices[0].text, auto-detected) is counted.
    check_exports(&dir, 5.0, 12.0);
    let export = json(&dir, "profile_export_aiperf.json");
    assert!(stat(&export, "time_to_first_token", "avg") > 0.0);
    assert!(stat(&export, "inter_token_latency", "avg") >= 0.0);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn an_unknown_placeholder_is_refused_naming_file_and_line() {
    let dir = artifact_dir("template_unknown");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("bad.json");
    std::fs::write(
        &file,
        "{\n  \"prompt\": {{ text|tojson }},\n  \"n\": {{ max_token }}\n}\n",
    )
    .unwrap();
    let template = format!("payload_template:{}", file.display());
    let out = profile(
        "http://127.0.0.1:9/x",
        &dir,
        &["--endpoint-type", "template", "--extra-inputs", &template],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let want = format!("{}:3: unknown placeholder 'max_token'", file.display());
    assert!(stderr.contains(&want), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

/// A server for a shape no endpoint type knows: `POST /custom/generate` with
/// `{"inputs": [...], "params": {"n": N}}`, answering `{"result": {"generated": TEXT}}`
/// over keep-alive. Records each request's path and body.
/// The (path, body) of every request a test server received.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

fn custom_server(reply_text: &'static str) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let record = record.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut conn = conn;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap();
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    record.lock().unwrap().push((path, value));
                    let reply = json!({"result": {"generated": reply_text}, "id": 1}).to_string();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        reply.len()
                    );
                    if conn.write_all(head.as_bytes()).is_err()
                        || conn.write_all(reply.as_bytes()).is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/custom/generate"), seen)
}

#[test]
fn a_custom_shape_is_posted_to_the_urls_path_and_read_by_response_field() {
    const REPLY: &str = "one two three four five";
    let (url, seen) = custom_server(REPLY);
    let dir = artifact_dir("template_custom");
    let common_flags = [
        "--endpoint-type",
        "template",
        "--extra-inputs",
        r#"payload_template:{"inputs": {{ texts|tojson }}, "params": {"n": {{ max_tokens }}}}"#,
        "--request-count",
        "4",
        "--isl",
        "8",
        "--osl",
        "5",
        "--no-server-metrics",
    ];
    let mut flags = common_flags.to_vec();
    flags.extend(["--extra-inputs", "response_field:result.generated"]);
    let out = profile(&url, &dir, &flags);
    assert!(out.status.success(), "{}", text(&out));
    let seen_now = seen.lock().unwrap().clone();
    assert_eq!(seen_now.len(), 4);
    for (path, body) in &seen_now {
        assert_eq!(path, "/custom/generate");
        assert_eq!(body["params"], json!({"n": 5}), "{body}");
        assert_eq!(body["inputs"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    }
    // No usage in the reply: the text at response_field is counted with the run's tokenizer.
    let tokens = Tokenizer::load(&TokenizerSpec::Builtin)
        .unwrap()
        .count(REPLY)
        .unwrap();
    check_exports(&dir, 4.0, f64::from(tokens));

    // Auto-detection knows no `result.generated` (its `result` is not text): every reply is
    // unusable, which proves the field is what read them.
    let dir = artifact_dir("template_custom_auto");
    let out = profile(&url, &dir, &common_flags);
    let console = std::fs::read_to_string(dir.join("profile_export_console.txt")).unwrap();
    assert!(
        console.contains("4 × [200 MissingOutput]"),
        "{}\n{console}",
        text(&out)
    );
}

#[test]
fn raw_payloads_are_sent_as_they_are() {
    let server = capturing_mock();
    let dir = artifact_dir("raw_payloads");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.with_extension("payloads.jsonl");
    let lines = [
        r#"{"model": "their-model", "messages": [{"role": "user", "content": "hello there"}], "max_tokens": 3}"#,
        r#"{"model":"mock-model","messages":[{"role":"user","content":"a b c"}],"max_tokens":9,"temperature":0}"#,
        r#"{"messages":[{"role":"user","content":"x"}],"max_tokens":5}"#,
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let url = format!("{}/v1/chat/completions", server.url());
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "raw",
            "--input-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let got: Vec<Vec<u8>> = server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| b.to_vec())
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want: Vec<Vec<u8>> = lines.iter().map(|l| l.as_bytes().to_vec()).collect();
    want.sort();
    assert_eq!(got_sorted, want, "each line byte for byte, once");
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 3.0);
    let mut osl: Vec<f64> = jsonl(&dir)
        .iter()
        .map(|r| {
            r["metrics"]["output_sequence_length"]["value"]
                .as_f64()
                .unwrap()
        })
        .collect();
    osl.sort_by(f64::total_cmp);
    assert_eq!(
        osl,
        [3.0, 5.0, 9.0],
        "the mock generates each body's max_tokens"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_bad_raw_line_is_refused_naming_file_and_line() {
    let dir = artifact_dir("raw_bad");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("p.jsonl");
    std::fs::write(&file, "{\"prompt\": \"ok\"}\n{\"prompt\": oops}\n").unwrap();
    let out = profile(
        "http://127.0.0.1:9/v1/completions",
        &dir,
        &[
            "--endpoint-type",
            "raw",
            "--input-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: not a JSON request body", file.display())),
        "{stderr}"
    );
}

/// A chat body built by a template from AIPerf's media variables: the server receives the
/// workload's image and audio clip as chat content parts, and counts them.
#[test]
fn a_template_places_the_workloads_images_and_audio() {
    let server = capturing_mock();
    let dir = artifact_dir("template_media");
    let url = format!("{}/v1/chat/completions", server.url());
    let template = r#"payload_template:{"model": {{ model|tojson }}, "messages": [{"role": {{ turn.role|tojson }}, "content": [
        {"type": "text", "text": {{ text|tojson }}},
        {"type": "image_url", "image_url": {"url": {{ images_by_name.image[0]|tojson }}}},
        {"type": "input_audio", "input_audio": {"format": {{ audio.split(",")[0]|tojson }}, "data": {{ audio.split(",")[1]|tojson }}}}
    ]}], "max_tokens": 4}"#;
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "template",
            "--extra-inputs",
            template,
            "--request-count",
            "3",
            "--image-width-mean",
            "16",
            "--image-height-mean",
            "16",
            "--audio-length-mean",
            "0.2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let bodies = captured_bodies(&server);
    assert_eq!(bodies.len(), 3);
    for body in &bodies {
        let content = &body["messages"][0]["content"];
        let image = content[1]["image_url"]["url"].as_str().unwrap();
        assert!(image.starts_with("data:image/"), "{image}");
        assert_eq!(content[2]["input_audio"]["format"], "wav", "{body}");
        assert!(content[2]["input_audio"]["data"].as_str().unwrap().len() > 100);
    }
    let snapshot = server.stats().snapshot();
    assert_eq!(
        (snapshot.media_image_parts, snapshot.media_audio_parts),
        (3, 3)
    );
}

/// AIPerf's raw folder mode: each `.jsonl` file is one session whose lines are its turns,
/// sent as they are, each after the one before was answered.
#[test]
fn a_raw_folder_sends_each_file_as_a_session_in_turn_order() {
    let server = capturing_mock();
    let dir = artifact_dir("raw_folder");
    let sessions = dir.with_extension("sessions");
    let _ = std::fs::remove_dir_all(&sessions);
    std::fs::create_dir_all(&sessions).unwrap();
    let a = [
        r#"{"model":"m","messages":[{"role":"user","content":"first question"}],"max_tokens":4}"#,
        r#"{"model":"m","messages":[{"role":"user","content":"first question"},{"role":"assistant","content":"ok"},{"role":"user","content":"second"}],"max_tokens":6}"#,
        r#"{"model":"m","messages":[{"role":"user","content":"third"}],"max_tokens":2}"#,
    ];
    let b = [r#"{"model":"m","messages":[{"role":"user","content":"solo"}],"max_tokens":3}"#];
    std::fs::write(sessions.join("a.jsonl"), a.join("\n") + "\n").unwrap();
    std::fs::write(sessions.join("b.jsonl"), b.join("\n") + "\n").unwrap();
    let url = format!("{}/v1/chat/completions", server.url());
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "raw",
            "--input-file",
            sessions.to_str().unwrap(),
            "--concurrency",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let got: Vec<Vec<u8>> = server
        .stats()
        .captured_requests()
        .iter()
        .map(|bytes| bytes.to_vec())
        .collect();
    assert_eq!(got.len(), 4, "every line once");
    // Session a's turns arrive in file order, whatever b does meanwhile.
    let a_order: Vec<&[u8]> = got
        .iter()
        .map(Vec::as_slice)
        .filter(|body| !body.windows(4).any(|w| w == b"solo"))
        .collect();
    let want: Vec<&[u8]> = a.iter().map(|l| l.as_bytes()).collect();
    assert_eq!(a_order, want, "byte for byte, in turn order");
    let records = jsonl(&dir);
    let mut turns: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["metadata"]["conversation_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                r["metadata"]["turn_index"].as_u64().unwrap(),
            )
        })
        .collect();
    turns.sort();
    assert_eq!(
        turns,
        [
            ("session_000000".to_owned(), 0),
            ("session_000000".to_owned(), 1),
            ("session_000000".to_owned(), 2),
            ("session_000001".to_owned(), 0)
        ]
    );
    let _ = std::fs::remove_dir_all(&sessions);
}

/// `raw` reads its replies at `--extra-inputs response_field:…` as `template` does.
#[test]
fn raw_replies_are_read_at_response_field() {
    const REPLY: &str = "alpha beta gamma";
    let (url, seen) = custom_server(REPLY);
    let dir = artifact_dir("raw_response_field");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.with_extension("custom.jsonl");
    std::fs::write(&file, "{\"inputs\": [\"a\"]}\n{\"inputs\": [\"b c\"]}\n").unwrap();
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "raw",
            "--input-file",
            file.to_str().unwrap(),
            "--extra-inputs",
            "response_field:result.generated",
            "--no-server-metrics",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(seen.lock().unwrap().len(), 2);
    let tokens = Tokenizer::load(&TokenizerSpec::Builtin)
        .unwrap()
        .count(REPLY)
        .unwrap();
    check_exports(&dir, 2.0, f64::from(tokens));
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "raw",
            "--input-file",
            file.to_str().unwrap(),
            "--extra-inputs",
            "response_field:result[",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("'response_field' 'result[' is not a JMESPath query"),
        "{stderr}"
    );
    // Any other extra input would be silently lost: refused.
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "raw",
            "--input-file",
            file.to_str().unwrap(),
            "--extra-inputs",
            "temperature:0",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: --extra-inputs: raw sends each body as it is, so 'temperature' would be ignored; put it in the payload file (only response_field is read with raw)"
    );
    let _ = std::fs::remove_file(&file);
}
