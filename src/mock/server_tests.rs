//! In-process tests: a real `MockServer` on 127.0.0.1 and HTTP/1.1 written by hand.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;
use crate::mock::test_client_tests::{call, parse_reply, send};
use crate::mock::{LatencyModel, SseMode};

fn chat_body(max_tokens: u32, stream: bool) -> String {
    format!(
        r#"{{"model":"some-model","messages":[{{"role":"user","content":"one two three four five"}}],
            "max_tokens":{max_tokens},"stream":{stream},"stream_options":{{"include_usage":true}}}}"#
    )
}

fn server(config: MockConfig) -> MockServer {
    MockServer::start(config).unwrap()
}

#[test]
fn streaming_chat_chunked_packs_tokens_and_reports_usage() {
    let s = server(MockConfig {
        tokens_per_chunk: 4,
        ..MockConfig::default()
    });
    let r = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(16, true),
    );
    assert_eq!(r.status, 200);
    assert!(r.complete);
    assert_eq!(
        r.header("content-type").unwrap(),
        "text/event-stream; charset=utf-8"
    );
    assert!(
        r.header("transfer-encoding").is_some(),
        "chunked mode streams"
    );
    let (text, events) = r.content();
    assert_eq!(events, 4);
    assert_eq!(text.split_whitespace().count(), 16);
    assert_eq!(r.events().last().unwrap(), "[DONE]");
    let usage = r.usage();
    assert_eq!(
        (
            usage["prompt_tokens"].as_u64(),
            usage["completion_tokens"].as_u64()
        ),
        (Some(5), Some(16))
    );
    let first: Value = serde_json::from_str(&r.events()[0]).unwrap();
    assert_eq!(
        first["model"], "some-model",
        "the request's model is echoed"
    );

    let stats = s.stats().snapshot();
    assert_eq!(stats.chat_requests, 1);
    assert_eq!(stats.streaming_requests, 1);
    assert_eq!((stats.generation_tokens, stats.prompt_tokens), (16, 5));
    assert_eq!((stats.max_tokens_last, stats.max_tokens_count), (16, 1));
}

#[test]
fn streaming_chat_one_body_has_the_same_events_in_one_write() {
    let s = server(MockConfig {
        sse_mode: SseMode::OneBody,
        ..MockConfig::default()
    });
    let r = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(7, true),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length").unwrap(),
        r.body.len().to_string()
    );
    let (text, events) = r.content();
    assert_eq!((events, text.split_whitespace().count()), (7, 7));
    assert_eq!(r.usage()["total_tokens"], 12);
    let finals: Vec<Value> = r.events()[1..8]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(finals[6]["choices"][0]["finish_reason"], "length");
    assert!(finals[5]["choices"][0]["finish_reason"].is_null());
}

#[test]
fn non_streaming_chat_and_completions_include_usage() {
    let s = server(MockConfig::default());
    let chat = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(9, false),
    )
    .json();
    assert_eq!(chat["object"], "chat.completion");
    assert_eq!(chat["usage"]["completion_tokens"], 9);
    let content = chat["choices"][0]["message"]["content"].as_str().unwrap();
    assert_eq!(content.split_whitespace().count(), 9);

    let body = r#"{"model":"m","prompt":"a b c d","max_completion_tokens":3}"#;
    let cmpl = call(s.addr(), "POST", "/v1/completions", body).json();
    assert_eq!(cmpl["object"], "text_completion");
    assert_eq!(cmpl["usage"]["prompt_tokens"], 4);
    assert_eq!(cmpl["usage"]["completion_tokens"], 3);
    assert_eq!(cmpl["choices"][0]["finish_reason"], "length");

    let default_len = call(s.addr(), "POST", "/v1/completions", r#"{"prompt":"x"}"#).json();
    assert_eq!(default_len["usage"]["completion_tokens"], 16);
    assert_eq!(default_len["choices"][0]["finish_reason"], "stop");
    assert_eq!(s.stats().snapshot().completions_requests, 2);
}

#[test]
fn streaming_completions_send_text_events() {
    let s = server(MockConfig {
        tokens_per_chunk: 2,
        ..MockConfig::default()
    });
    let body = r#"{"prompt":"hi there","max_tokens":5,"stream":true,"stream_options":{"include_usage":true}}"#;
    let r = call(s.addr(), "POST", "/v1/completions", body);
    let (text, events) = r.content();
    assert_eq!((events, text.split_whitespace().count()), (3, 5));
    assert_eq!(r.usage()["completion_tokens"], 5);
    let first: Value = serde_json::from_str(&r.events()[0]).unwrap();
    assert_eq!(first["object"], "text_completion");
}

#[test]
fn fail_every_answers_500_on_every_nth_request() {
    let s = server(MockConfig {
        fail_every: Some(2),
        ..MockConfig::default()
    });
    let statuses: Vec<u16> = (0..4)
        .map(|_| {
            call(
                s.addr(),
                "POST",
                "/v1/chat/completions",
                &chat_body(2, true),
            )
            .status
        })
        .collect();
    assert_eq!(statuses, [200, 500, 200, 500]);
    let r = call(s.addr(), "POST", "/v1/completions", r#"{"prompt":"x"}"#);
    assert_eq!(r.status, 200);
    let r = call(s.addr(), "POST", "/v1/completions", r#"{"prompt":"x"}"#);
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["code"], 500);
    assert_eq!(s.stats().snapshot().faults_failed, 3);
}

#[test]
fn drop_every_cuts_the_stream_after_the_first_content_event() {
    let s = server(MockConfig {
        drop_every: Some(2),
        ..MockConfig::default()
    });
    let ok = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(4, true),
    );
    assert!(ok.complete);
    let cut = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(4, true),
    );
    assert_eq!(cut.status, 200);
    assert!(!cut.complete, "the chunked body must not be terminated");
    assert_eq!(cut.content().1, 1);
    assert!(!cut.events().iter().any(|e| e == "[DONE]"));
    let stats = s.stats().snapshot();
    assert_eq!(stats.faults_dropped, 1);
    assert_eq!(stats.generation_tokens, 5);
}

#[test]
fn error_event_every_sends_an_error_event_then_done() {
    let s = server(MockConfig {
        error_event_every: Some(1),
        ..MockConfig::default()
    });
    let r = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(4, true),
    );
    assert!(r.complete);
    let events = r.events();
    assert_eq!(events.len(), 4, "{events:?}");
    let err: Value = serde_json::from_str(&events[2]).unwrap();
    assert_eq!(err["error"]["message"], "mock error event");
    assert_eq!(events[3], "[DONE]");
    assert_eq!(s.stats().snapshot().faults_error_events, 1);
}

#[test]
fn garbage_bodies_get_400_and_unknown_paths_404() {
    let s = server(MockConfig::default());
    for body in ["not json", "", r#"{"max_tokens":"x"}"#] {
        let r = call(s.addr(), "POST", "/v1/chat/completions", body);
        assert_eq!(r.status, 400, "body {body:?}");
        let v = r.json();
        assert_eq!(v["error"]["type"], "BadRequestError");
        assert_eq!(v["error"]["code"], 400);
        assert!(v["error"]["message"].is_string());
    }
    let r = call(s.addr(), "POST", "/v1/embeddings", "[oops");
    assert_eq!(r.status, 400);
    let r = call(s.addr(), "GET", "/v2/nothing", "");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], 404);
    assert_eq!(
        call(s.addr(), "GET", "/v1/chat/completions", "").status,
        405
    );
    let stats = s.stats().snapshot();
    assert_eq!((stats.bad_requests, stats.not_found_requests), (4, 2));
}

#[test]
fn health_models_embeddings_and_metrics() {
    let s = server(MockConfig {
        model: "served".to_owned(),
        ..MockConfig::default()
    });
    assert_eq!(call(s.addr(), "GET", "/health", "").status, 200);
    let models = call(s.addr(), "GET", "/v1/models", "").json();
    assert_eq!(models["data"][0]["id"], "served");
    let emb = call(
        s.addr(),
        "POST",
        "/v1/embeddings",
        r#"{"input":["a b","c"]}"#,
    )
    .json();
    assert_eq!(emb["data"].as_array().unwrap().len(), 2);
    assert_eq!(emb["usage"]["prompt_tokens"], 3);
    for _ in 0..3 {
        call(
            s.addr(),
            "POST",
            "/v1/chat/completions",
            &chat_body(10, true),
        );
    }
    let r = call(s.addr(), "GET", "/metrics", "");
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    assert!(
        text.contains("vllm:generation_tokens_total{model_name=\"served\"} 30\n"),
        "{text}"
    );
    assert!(
        text.contains("vllm:prompt_tokens_total{model_name=\"served\"} 18\n"),
        "{text}"
    );
    assert!(text.contains(
        "vllm:request_success_total{finished_reason=\"length\",model_name=\"served\"} 3\n"
    ));
    assert!(text.contains("gauntlet_mock_requests_total{endpoint=\"/v1/chat/completions\"} 3\n"));
    assert!(text.contains("# TYPE vllm:num_requests_running gauge\n"));
}

#[test]
fn ttft_delays_the_first_content_in_chunked_mode() {
    let ttft = Duration::from_millis(50);
    let s = server(MockConfig {
        ttft: LatencyModel::Fixed(ttft),
        ..MockConfig::default()
    });
    let (mut stream, sent) = send(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(3, true),
    );
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(13).any(|w| w == b"{\"content\":\" ") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "stream ended before any content");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(
        sent.elapsed() >= ttft,
        "first content after {:?}",
        sent.elapsed()
    );
}

#[test]
fn one_body_waits_ttft_plus_itls() {
    let s = server(MockConfig {
        sse_mode: SseMode::OneBody,
        ttft: LatencyModel::Fixed(Duration::from_millis(20)),
        itl: LatencyModel::Fixed(Duration::from_millis(10)),
        ..MockConfig::default()
    });
    let (mut stream, sent) = send(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(4, true),
    );
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    assert!(
        sent.elapsed() >= Duration::from_millis(50),
        "took {:?}",
        sent.elapsed()
    );
    assert_eq!(parse_reply(&raw).content().1, 4);
}

#[test]
fn normal_latency_serves_complete_streams() {
    let s = server(MockConfig {
        ttft: LatencyModel::Normal {
            mean: Duration::from_millis(2),
            stddev: Duration::from_millis(1),
        },
        itl: LatencyModel::Normal {
            mean: Duration::from_micros(200),
            stddev: Duration::from_micros(100),
        },
        ..MockConfig::default()
    });
    let r = call(
        s.addr(),
        "POST",
        "/v1/chat/completions",
        &chat_body(5, true),
    );
    assert!(r.complete);
    assert_eq!(r.content().1, 5);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let s = server(MockConfig {
        sse_mode: SseMode::OneBody,
        ..MockConfig::default()
    });
    let mut stream = TcpStream::connect(s.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = chat_body(2, true);
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for _ in 0..3 {
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 8192];
        while !raw.ends_with(b"data: [DONE]\n\n") {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "connection closed early");
            raw.extend_from_slice(&buf[..n]);
        }
        assert_eq!(parse_reply(&raw).status, 200);
    }
    assert_eq!(s.stats().snapshot().chat_requests, 3);
}

#[test]
fn shutdown_returns_with_idle_connections_open() {
    let s = server(MockConfig::default());
    let _idle = TcpStream::connect(s.addr()).unwrap();
    let r = call(s.addr(), "GET", "/health", "");
    assert_eq!(r.status, 200);
    let started = Instant::now();
    s.shutdown();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn running_gauge_returns_to_zero() {
    let s = server(MockConfig::default());
    for _ in 0..3 {
        call(
            s.addr(),
            "POST",
            "/v1/chat/completions",
            &chat_body(3, true),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while s.stats().snapshot().running != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(s.stats().snapshot().running, 0);
    assert_eq!(s.stats().snapshot().successful_requests, 3);
}
