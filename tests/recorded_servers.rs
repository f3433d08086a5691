//! End-to-end against replayed real-server streams (captured from llama.cpp's llama-server,
//! see docs/real-servers.md), served the way that server serves them: one HTTP chunk per
//! SSE event, a keep-alive header, and the connection closed after every streamed response.
//! A `.json` fixture is a non-streaming body, sent with its Content-Length.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use common::*;

/// A tiny HTTP/1.1 server that answers every request with one recorded SSE stream.
struct ReplayServer {
    url: String,
    served: Arc<AtomicU64>,
    /// The request line of the last POST (method, path, version).
    request_line: Arc<Mutex<String>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ReplayServer {
    fn start(fixture: &str, first_content_delay: Duration) -> Self {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/llamacpp")
            .join(fixture);
        let stream = std::fs::read_to_string(&path).unwrap();
        let events: Vec<String> = if fixture.ends_with(".json") {
            vec![stream]
        } else {
            stream
                .split("\n\n")
                .filter(|e| !e.trim().is_empty())
                .map(|e| format!("{e}\n\n"))
                .collect()
        };
        let json_body = fixture.ends_with(".json");
        let request_line = Arc::new(Mutex::new(String::new()));
        let line2 = request_line.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let served = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (served2, stop2) = (served.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        conn.set_nonblocking(false).unwrap();
                        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                        let (events, served) = (events.clone(), served2.clone());
                        let line = line2.clone();
                        std::thread::spawn(move || {
                            let reply = Reply {
                                events: &events,
                                json_body,
                                delay: first_content_delay,
                            };
                            serve_one(conn, &reply, &served, &line)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Self {
            url,
            served,
            request_line,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a replay server answers.
struct Reply<'a> {
    events: &'a [String],
    /// A plain JSON body instead of an SSE stream.
    json_body: bool,
    delay: Duration,
}

/// Reads one request, streams the recorded events, then closes like llama-server does.
fn serve_one(conn: TcpStream, reply: &Reply, served: &AtomicU64, last_line: &Mutex<String>) {
    let (events, delay) = (reply.events, reply.delay);
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut content_length = 0usize;
    let mut request_line = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if request_line.is_empty() {
            request_line = line.clone();
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut conn = conn;
    if !request_line.starts_with("POST") {
        // Like llama.cpp started without --metrics: the harness's /metrics scrape gets a 501.
        let _ = conn.write_all(
            b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    if let Ok(mut last) = last_line.lock() {
        *last = request_line.trim_end().to_string();
    }
    if reply.json_body {
        let body = &events[0];
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nKeep-Alive: timeout=5, max=100\r\n\r\n{body}",
            body.len()
        );
        if conn.write_all(head.as_bytes()).is_ok() {
            served.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5, max=100\r\n\r\n";
    if conn.write_all(head.as_bytes()).is_err() {
        return;
    }
    for (i, event) in events.iter().enumerate() {
        if i == 1 {
            std::thread::sleep(delay);
        }
        let chunk = format!("{:x}\r\n{event}\r\n", event.len());
        if conn.write_all(chunk.as_bytes()).is_err() {
            return;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n");
    served.fetch_add(1, Ordering::Relaxed);
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

#[test]
fn llamacpp_chat_stream_with_usage_and_closing_connections() {
    let server = ReplayServer::start("chat_stream_usage.sse", Duration::from_millis(20));
    let dir = artifact_dir("llamacpp-chat");
    let out = profile(
        &server.url,
        &dir,
        &[
            "--streaming",
            "--isl",
            "32",
            "--osl",
            "16",
            "--request-count",
            "12",
        ],
    );
    // Every request succeeds although the server closes each connection after streaming.
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(server.served.load(Ordering::Relaxed), 12);
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 12.0);
    // 16 tokens from usage although only 15 content chunks arrived; the role chunk with
    // `content: null` is not the first token, so TTFT includes the 20 ms pause after it.
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    assert_eq!(stat(&export, "usage_prompt_tokens", "avg"), 38.0);
    assert_eq!(stat(&export, "inter_chunk_latency", "count"), 12.0 * 14.0);
    assert!(stat(&export, "time_to_first_token", "min") >= 20.0);
}

#[test]
fn llamacpp_completions_stream_with_usage_beside_text() {
    let server = ReplayServer::start("completions_stream_usage.sse", Duration::ZERO);
    let dir = artifact_dir("llamacpp-completions");
    let out = profile(
        &server.url,
        &dir,
        &[
            "--endpoint-type",
            "completions",
            "--streaming",
            "--isl",
            "32",
            "--osl",
            "16",
            "--request-count",
            "6",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
}

#[test]
fn llamacpp_chat_stream_without_usage_uses_the_servers_timings() {
    let server = ReplayServer::start("chat_stream_no_usage.sse", Duration::ZERO);
    let dir = artifact_dir("llamacpp-no-usage");
    let out = profile(
        &server.url,
        &dir,
        &[
            "--streaming",
            "--isl",
            "32",
            "--osl",
            "16",
            "--request-count",
            "4",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    // No usage object: the finish chunk's `timings.predicted_n` (16) is the server's own
    // count, preferred over re-tokenizing text whose tokens are not all whole characters.
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    assert!(export["usage_completion_tokens"].is_null());
}

/// Runs `--endpoint-type TYPE` against a replayed fixture: 4 requests, every one a success,
/// sent to `path`; returns the aggregate export and the per-request records.
fn replay_type(
    fixture: &str,
    endpoint_type: &str,
    streaming: bool,
    path: &str,
) -> (serde_json::Value, Vec<serde_json::Value>) {
    let server = ReplayServer::start(fixture, Duration::from_millis(20));
    let dir = artifact_dir(&format!("llamacpp-{}", fixture.replace('.', "-")));
    let mut args = vec![
        "--endpoint-type",
        endpoint_type,
        "--isl",
        "32",
        "--osl",
        "16",
    ];
    args.extend(["--request-count", "4"]);
    if streaming {
        args.push("--streaming");
    }
    let out = profile(&server.url, &dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(server.served.load(Ordering::Relaxed), 4);
    let line = server.request_line.lock().unwrap().clone();
    assert_eq!(line, format!("POST {path} HTTP/1.1"));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 4.0);
    (export, jsonl(&dir))
}

#[test]
fn llamacpp_responses_stream_counts_the_deltas_not_the_repeated_text() {
    let (export, records) = replay_type("responses_stream.sse", "responses", true, "/v1/responses");
    // response.completed: usage {input_tokens 38, output_tokens 16, total_tokens 54}; its
    // output repeats the 16 deltas' text, which must not count again.
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    assert_eq!(stat(&export, "usage_prompt_tokens", "avg"), 38.0);
    assert_eq!(stat(&export, "usage_total_tokens", "avg"), 54.0);
    // 16 output_text.delta events: 15 gaps each; the 20 ms pause after response.created
    // (no text) is inside TTFT.
    assert_eq!(stat(&export, "inter_chunk_latency", "count"), 4.0 * 15.0);
    assert!(stat(&export, "time_to_first_token", "min") >= 20.0);
    assert_eq!(records.len(), 4);
}

#[test]
fn llamacpp_responses_body() {
    let (export, records) = replay_type(
        "responses_nonstream.json",
        "responses",
        false,
        "/v1/responses",
    );
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    assert_eq!(stat(&export, "usage_prompt_tokens", "avg"), 38.0);
    assert!(export["time_to_first_token"].is_null(), "{export}");
    assert!(records[0]["metrics"].get("time_to_first_token").is_none());
}

#[test]
fn llamacpp_messages_stream_reads_usage_from_start_and_delta() {
    let (export, _) = replay_type("messages_stream.sse", "messages", true, "/v1/messages");
    // message_start: input_tokens 1 + cache_read_input_tokens 37; message_delta:
    // output_tokens 16. content_block_start's "" is no token: the 20 ms pause after
    // message_start is inside TTFT. 15 text deltas (the server held back one token that
    // ended inside a UTF-8 character and sent it with the next) give 14 gaps.
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    assert_eq!(stat(&export, "usage_prompt_tokens", "avg"), 38.0);
    assert_eq!(stat(&export, "inter_chunk_latency", "count"), 4.0 * 14.0);
    assert!(stat(&export, "time_to_first_token", "min") >= 20.0);
}

#[test]
fn llamacpp_messages_body() {
    let (export, _) = replay_type("messages_nonstream.json", "messages", false, "/v1/messages");
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 16.0);
    assert_eq!(stat(&export, "usage_prompt_tokens", "avg"), 38.0);
    assert!(export["time_to_first_token"].is_null(), "{export}");
}
