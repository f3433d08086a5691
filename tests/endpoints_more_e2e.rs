//! End to end: the non-generation endpoint types (issue #19) from the real CLI against the
//! in-process mock: the body each sends, what the exports hold (request count, ISL of a
//! rankings request = query + passages tokens, no TTFT, images and bytes), and the refusals.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{
    artifact_dir, captured_bodies, capturing_mock, json, jsonl, profile, profile_ok,
    profile_with_env, stat, text, MockConfig, MockServer,
};
use gauntlet::config::TokenizerSpec;
use gauntlet::tokenizer::Tokenizer;
use serde_json::Value;

const RANKINGS_FLAGS: &[&str] = &[
    "--request-count",
    "6",
    "--concurrency",
    "2",
    "--num-dataset-entries",
    "6",
    "--rankings-passages-mean",
    "3",
    "--rankings-passages-stddev",
    "1.5",
    "--rankings-passages-prompt-token-mean",
    "12",
    "--rankings-passages-prompt-token-stddev",
    "4",
    "--rankings-query-prompt-token-mean",
    "8",
];

/// The query and passages of a rankings body, in the type's own shape.
fn query_and_passages(kind: &str, body: &Value) -> (String, Vec<String>) {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("an array")
            .iter()
            .map(|p| p.as_str().expect("a string").to_owned())
            .collect()
    };
    match kind {
        "nim_rankings" => {
            assert_eq!(body["model"], "mock-model");
            let passages = body["passages"]
                .as_array()
                .expect("passages")
                .iter()
                .map(|p| p["text"].as_str().expect("passage text").to_owned())
                .collect();
            (body["query"]["text"].as_str().unwrap().to_owned(), passages)
        }
        "cohere_rankings" => {
            assert_eq!(body["model"], "mock-model");
            (
                body["query"].as_str().unwrap().to_owned(),
                strings(&body["documents"]),
            )
        }
        "hf_tei_rankings" => {
            assert!(
                body.get("model").is_none(),
                "TEI has no model field: {body}"
            );
            (
                body["query"].as_str().unwrap().to_owned(),
                strings(&body["texts"]),
            )
        }
        other => panic!("not a rankings type: {other}"),
    }
}

#[test]
fn each_rankings_type_sends_query_and_passages_and_isl_counts_them_all() {
    let tokenizer = Tokenizer::load(&TokenizerSpec::Builtin).expect("the built-in tokenizer");
    for kind in ["nim_rankings", "cohere_rankings", "hf_tei_rankings"] {
        let server = capturing_mock();
        let dir = artifact_dir(&format!("endpoints-more-{kind}"));
        let mut flags = vec!["--endpoint-type", kind];
        flags.extend_from_slice(RANKINGS_FLAGS);
        // Built fresh (not read from the workload cache), so the builder itself is checked.
        let out = profile_with_env(
            &server.url(),
            &dir,
            &flags,
            &[("GAUNTLET_NO_WORKLOAD_CACHE", "1")],
        );
        assert!(out.status.success(), "{}", text(&out));

        let sent = captured_bodies(&server);
        assert_eq!(sent.len(), 6, "{kind}");
        // Every query is exactly 8 tokens; ISL per session = query + every passage.
        let mut isl_by_session = HashMap::new();
        let mut passage_counts = std::collections::BTreeSet::new();
        let inputs = json(&dir, "inputs.json");
        for entry in inputs["data"].as_array().expect("inputs data") {
            let body = &entry["payloads"][0];
            let (query, passages) = query_and_passages(kind, body);
            assert_eq!(tokenizer.count(&query).unwrap(), 8, "{kind}: {query:?}");
            passage_counts.insert(passages.len());
            let tokens: u32 = passages.iter().map(|p| tokenizer.count(p).unwrap()).sum();
            isl_by_session.insert(entry["session_id"].as_str().unwrap().to_owned(), 8 + tokens);
        }
        assert!(
            passage_counts.len() > 1,
            "{kind}: counts vary: {passage_counts:?}"
        );
        for body in &sent {
            query_and_passages(kind, body);
        }
        let records = jsonl(&dir);
        assert_eq!(records.len(), 6);
        for record in &records {
            let session = record["metadata"]["conversation_id"].as_str().unwrap();
            let isl = record["metrics"]["input_sequence_length"]["value"]
                .as_u64()
                .unwrap();
            assert_eq!(isl, u64::from(isl_by_session[session]), "{kind} {session}");
            assert!(record["metrics"].get("time_to_first_token").is_none());
            assert!(record["metrics"].get("output_sequence_length").is_none());
        }
        let export = json(&dir, "profile_export_aiperf.json");
        assert_eq!(stat(&export, "request_count", "avg"), 6.0, "{kind}");
        assert!(export.get("time_to_first_token").is_none(), "{kind}");
        assert!(export.get("output_token_throughput").is_none(), "{kind}");
        let total: u32 = records
            .iter()
            .map(|r| {
                r["metrics"]["input_sequence_length"]["value"]
                    .as_u64()
                    .unwrap() as u32
            })
            .sum();
        assert_eq!(stat(&export, "total_isl", "avg"), f64::from(total));
        assert_eq!(server.stats().snapshot().rankings_requests, 6, "{kind}");
    }
}

#[test]
fn a_yaml_rankings_section_shapes_the_requests_and_flags_win() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-more-rankings-yaml");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bench.yaml");
    std::fs::write(
        &file,
        "schemaVersion: \"2.0\"\nbenchmark:\n  dataset:\n    rankings: {passages: 2, passage_tokens: 5, query_tokens: 4}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    profile_ok(
        &server,
        &dir.join("run"),
        &[
            "--config",
            file,
            "--endpoint-type",
            "cohere_rankings",
            "--request-count",
            "3",
            "--rankings-query-prompt-token-mean",
            "6",
        ],
    );
    let tokenizer = Tokenizer::load(&TokenizerSpec::Builtin).unwrap();
    let sent = captured_bodies(&server);
    assert_eq!(sent.len(), 3);
    for body in sent {
        let (query, passages) = query_and_passages("cohere_rankings", &body);
        assert_eq!(tokenizer.count(&query).unwrap(), 6, "the flag wins");
        assert_eq!(passages.len(), 2);
        assert!(passages.iter().all(|p| tokenizer.count(p).unwrap() == 5));
    }
}

#[test]
fn nim_and_chat_embeddings_bodies_and_no_token_metrics() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-more-nim-embeddings");
    profile_ok(
        &server,
        &dir,
        &[
            "--endpoint-type",
            "nim_embeddings",
            "--request-count",
            "4",
            "--isl",
            "20",
            "--extra-inputs",
            "truncate:END",
        ],
    );
    let sent = captured_bodies(&server);
    assert_eq!(sent.len(), 4);
    for body in sent {
        assert_eq!(body["input"].as_array().map(Vec::len), Some(1), "{body}");
        assert_eq!(body["input_type"], "query");
        assert_eq!(body["truncate"], "END");
    }
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 4.0);
    assert_eq!(stat(&export, "input_sequence_length", "avg"), 20.0);
    assert!(export.get("time_to_first_token").is_none());
    assert!(export.get("output_sequence_length").is_none());

    let server = capturing_mock();
    let dir = artifact_dir("endpoints-more-chat-embeddings");
    profile_ok(
        &server,
        &dir,
        &[
            "--endpoint-type",
            "chat_embeddings",
            "--request-count",
            "3",
            "--isl",
            "10",
            "--image-width-mean",
            "16",
            "--image-height-mean",
            "16",
            "--image-format",
            "png",
        ],
    );
    let sent = captured_bodies(&server);
    assert_eq!(sent.len(), 3);
    for body in &sent {
        let content = body["messages"][0]["content"].as_array().expect("parts");
        assert_eq!(content[0]["type"], "text");
        assert!(content[1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"));
        assert!(body.get("stream").is_none() && body.get("max_tokens").is_none());
    }
    let snapshot = server.stats().snapshot();
    assert_eq!(snapshot.embeddings_requests, 3);
    assert_eq!(snapshot.media_image_parts, 3);
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 3.0);
    assert!(export.get("time_to_first_token").is_none());
}

#[test]
fn image_generation_counts_images_their_throughput_and_bytes() {
    let server = capturing_mock();
    let dir = artifact_dir("endpoints-more-images");
    profile_ok(
        &server,
        &dir,
        &[
            "--endpoint-type",
            "image_generation",
            "--request-count",
            "5",
            "--concurrency",
            "2",
            "--isl",
            "12",
            "--extra-inputs",
            "n:3",
            "--extra-inputs",
            "size:256x256",
        ],
    );
    let sent = captured_bodies(&server);
    assert_eq!(sent.len(), 5);
    for body in sent {
        assert_eq!(body["n"], 3);
        assert_eq!(body["size"], "256x256");
        assert_eq!(body["response_format"], "b64_json");
        assert!(body["prompt"].is_string());
    }
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 5.0);
    assert_eq!(stat(&export, "num_output_images", "avg"), 3.0);
    assert_eq!(stat(&export, "total_output_images", "avg"), 15.0);
    let duration = stat(&export, "benchmark_duration", "avg");
    let throughput = stat(&export, "output_image_throughput", "avg");
    assert!(
        (throughput - 15.0 / duration).abs() < 1e-6 * throughput.max(1.0),
        "{throughput} vs 15 / {duration}"
    );
    // Three base64 PNGs come back with every reply.
    assert!(stat(&export, "http_req_data_received", "min") > 3.0 * 0.1);
    assert!(export.get("time_to_first_token").is_none());
    assert!(export.get("output_sequence_length").is_none());
    assert_eq!(server.stats().snapshot().images_generated, 15);
    for record in jsonl(&dir) {
        assert_eq!(record["metrics"]["num_output_images"]["value"], 3);
    }
}

#[test]
fn streaming_and_rankings_flags_are_refused_where_they_cannot_apply() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let dir = artifact_dir("endpoints-more-refusals");
    for kind in [
        "nim_rankings",
        "cohere_rankings",
        "hf_tei_rankings",
        "nim_embeddings",
        "chat_embeddings",
        "image_generation",
    ] {
        let out = profile(
            &server.url(),
            &dir,
            &[
                "--endpoint-type",
                kind,
                "--streaming",
                "--request-count",
                "1",
            ],
        );
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim(),
            format!("error: --streaming: {kind} answers in one piece and cannot stream; drop --streaming"),
        );
    }
    let out = profile(
        &server.url(),
        &dir,
        &["--rankings-passages-mean", "4", "--request-count", "1"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "--rankings-passages-mean: shapes rankings requests only, but --endpoint-type is chat"
        ),
        "{}",
        text(&out)
    );
    for (extra, flag, what) in [
        (
            ["--isl", "64"],
            "--synthetic-input-tokens-mean",
            "an input length",
        ),
        (
            ["--conversation-turn-mean", "3"],
            "--conversation-turn-mean",
            "multi-turn sessions",
        ),
    ] {
        let mut args = vec!["--endpoint-type", "hf_tei_rankings", "--request-count", "1"];
        args.extend_from_slice(&extra);
        let out = profile(&server.url(), &dir, &args);
        assert!(!out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            format!("error: {flag}: hf_tei_rankings builds each query and its passages from --rankings-* ({what} cannot shape them); drop it"),
        );
    }
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--endpoint-type",
            "nim_rankings",
            "--video-width",
            "32",
            "--video-height",
            "32",
            "--request-count",
            "1",
        ],
    );
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: --video-width: video is sent as chat content parts or template variables; use --endpoint-type chat, chat_embeddings or template (got nim_rankings)"
    );
    assert_eq!(server.stats().snapshot().rankings_requests, 0);
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with one recorded
/// JSON reply (tests/fixtures/llamacpp), a thread per connection; a connection ends when the
/// client closes it or stays silent for 5 s.
fn replay_json(fixture: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/llamacpp")
        .join(fixture);
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let body = body.clone();
            std::thread::spawn(move || answer_each(conn, &body));
        }
    });
    url
}

/// Answers the requests of one connection with `body` until the client closes it.
fn answer_each(conn: std::net::TcpStream, body: &[u8]) {
    use std::io::{BufRead, BufReader, Read, Write};
    let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let Ok(clone) = conn.try_clone() else { return };
    let mut reader = BufReader::new(clone);
    let mut writer = conn;
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut request = vec![0; length];
        if reader.read_exact(&mut request).is_err() {
            return;
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nKeep-Alive: timeout=5, max=100\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(body).is_err() {
            return;
        }
    }
}

#[test]
fn recorded_llama_server_embeddings_and_rerank_replies_are_read() {
    // llama-server --embeddings --pooling mean, answering the body nim_embeddings sends.
    let dir = artifact_dir("endpoints-more-recorded-embeddings");
    let url = replay_json("embeddings_nim.json");
    let out = profile(
        &url,
        &dir,
        &[
            "--endpoint-type",
            "nim_embeddings",
            "--isl",
            "8",
            "--request-count",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 4.0);
    assert_eq!(stat(&export, "error_request_count", "avg"), 0.0);
    assert!(export.get("time_to_first_token").is_none());

    // llama-server --reranking (/v1/rerank, Cohere's shape) read as cohere_rankings…
    let dir = artifact_dir("endpoints-more-recorded-rerank");
    let url = replay_json("rerank_v1.json");
    let flags = [
        "--no-server-metrics",
        "--request-count",
        "3",
        "--rankings-passages-mean",
        "3",
        "--rankings-passages-prompt-token-mean",
        "6",
        "--rankings-query-prompt-token-mean",
        "4",
    ];
    let mut args = vec!["--endpoint-type", "cohere_rankings"];
    args.extend_from_slice(&flags);
    let out = profile(&url, &dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 3.0);
    assert_eq!(
        stat(&export, "input_sequence_length", "avg"),
        4.0 + 3.0 * 6.0
    );

    // …and as nim_rankings it is not NIM's reply: every request fails, grouped in one line.
    let dir = artifact_dir("endpoints-more-recorded-rerank-as-nim");
    let url = replay_json("rerank_v1.json");
    let mut args = vec![
        "--endpoint-type",
        "nim_rankings",
        "--tolerated-error-rate",
        "100",
    ];
    args.extend_from_slice(&flags);
    let out = profile(&url, &dir, &args);
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(
        stat(&export, "error_request_count", "avg"),
        3.0,
        "{}",
        text(&out)
    );
    let errors = export["error_summary"].as_array().expect("error_summary");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["error_details"]["type"], "MissingRankings");
    assert_eq!(errors[0]["count"], 3);
}
