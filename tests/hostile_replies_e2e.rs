//! End-to-end: servers that answer HTTP 200 with a reply that is too large or carries nothing
//! usable (issue #18, findings 4 and 5). One in-process server per misbehaviour, each run
//! streaming and not; every run must balance its accounting, group the failures under their
//! kind, exit 1 (errors above the default tolerance of 0) and write its artifacts, within a
//! bounded time.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

/// Requests per run.
const REQUESTS: u64 = 4;
/// A run that takes longer than this is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(90);

/// What a hostile server answers to every request.
#[derive(Clone, Copy)]
enum Reply {
    /// These bytes, then the server closes the connection.
    Bytes(&'static [u8]),
    /// The first bytes to a request that asked for a stream, the second to one that did not.
    ByMode(&'static [u8], &'static [u8]),
    /// A chunked SSE stream of valid chat chunks that never ends.
    EndlessStream,
    /// `Content-Length: 200000000` of bytes without a single newline.
    HugeLine,
}

/// Starts a server on 127.0.0.1 that answers every request on every connection with `reply`;
/// it lives as long as the test process.
fn hostile(reply: Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("the bound address").port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || serve(conn, reply));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn serve(mut conn: TcpStream, reply: Reply) {
    while let Some(streamed) = read_request(&mut conn) {
        let kept_open = match reply {
            Reply::Bytes(bytes) => {
                let _ = conn.write_all(bytes);
                false
            }
            Reply::ByMode(streaming, plain) => {
                let _ = conn.write_all(if streamed { streaming } else { plain });
                false
            }
            Reply::EndlessStream => {
                let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                             Transfer-Encoding: chunked\r\n\r\n";
                let event = b"data: {\"choices\":[{\"delta\":{\"content\":\"again \"}}]}\n\n";
                let chunk = [format!("{:x}\r\n", event.len()).as_bytes(), event, b"\r\n"].concat();
                let many = chunk.repeat(256);
                let _ = conn.write_all(head);
                while conn.write_all(&many).is_ok() {}
                false
            }
            Reply::HugeLine => {
                let total = 200_000_000usize;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                     Content-Length: {total}\r\n\r\n"
                );
                let piece = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                let mut ok = conn.write_all(head.as_bytes()).is_ok();
                while ok && sent < total {
                    let n = piece.len().min(total - sent);
                    ok = conn.write_all(&piece[..n]).is_ok();
                    sent += n;
                }
                ok
            }
        };
        if !kept_open {
            return;
        }
    }
}

/// Reads one request (head and `Content-Length` body): whether it asked for a stream, or
/// `None` when the client went away.
fn read_request(conn: &mut TcpStream) -> Option<bool> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).ok()?;
    let body = String::from_utf8_lossy(&body).replace(' ', "");
    Some(body.contains("\"stream\":true"))
}

/// `gauntlet profile` against `url`, killed (and the test failed) past [`RUN_LIMIT`].
fn run(url: &str, name: &str, streaming: bool, extra: &[&str]) -> (Output, PathBuf) {
    let dir = artifact_dir(&format!("hostile-{name}-{}", mode(streaming)));
    let count = REQUESTS.to_string();
    let mut args = vec![
        "profile",
        "--model",
        "mock-model",
        "--url",
        url,
        "--isl",
        "8",
        "--osl",
        "4",
        "--request-count",
        &count,
        "--concurrency",
        "2",
        "--request-timeout-seconds",
        "30",
        "--no-server-metrics",
        "--no-gpu-telemetry",
        "--output-artifact-dir",
        dir.to_str().expect("utf-8 path"),
    ];
    if streaming {
        args.push("--streaming");
    }
    args.extend_from_slice(extra);
    let child = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(&args)
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .env("HF_HUB_OFFLINE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gauntlet binary runs");
    let pid = child.id();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = done.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::Relaxed) {
                if start.elapsed() > RUN_LIMIT {
                    // SAFETY: kill(2) on our own child, which has not been waited for yet.
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                    return true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            false
        })
    };
    let out = child.wait_with_output().expect("the run ends");
    done.store(true, Ordering::Relaxed);
    let killed = watchdog.join().expect("the watchdog ends");
    assert!(!killed, "the run outlived {RUN_LIMIT:?}: {}", text(&out));
    (out, dir)
}

fn mode(streaming: bool) -> &'static str {
    if streaming {
        "streaming"
    } else {
        "plain"
    }
}

/// Every request failed with `kind`: the identity holds, the exit code is 1, and the
/// artifacts are written. Returns the error summary's first message.
fn assert_all_failed(out: &Output, dir: &Path, kind: &str) -> String {
    let all = text(out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    let export = json(dir, "profile_export_aiperf.json");
    let acc = &export["request_accounting"];
    let count = |key: &str| acc[key].as_u64().unwrap_or_else(|| panic!("{key}: {acc}"));
    assert_eq!(count("scheduled"), REQUESTS, "{acc}");
    assert_eq!(count("not_sent"), 0, "{acc}");
    assert_eq!(
        count("completed") + count("failed") + count("cancelled"),
        REQUESTS,
        "sent = completed + failed + cancelled: {acc}"
    );
    assert_eq!(count("failed"), REQUESTS, "{acc}\n{all}");
    let summary = export["error_summary"].as_array().expect("error_summary");
    assert!(!summary.is_empty(), "{all}");
    for group in summary {
        assert_eq!(group["error_details"]["type"], kind, "{summary:?}");
    }
    assert_eq!(jsonl(dir).len() as u64, REQUESTS);
    assert!(dir.join("profile_export_aiperf.csv").is_file());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("0 succeeded + {REQUESTS} failed")),
        "{all}"
    );
    assert!(stdout.contains(kind), "{all}");
    summary[0]["error_details"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_endless_stream_fails_at_the_response_cap() {
    let url = hostile(Reply::EndlessStream);
    for streaming in [true, false] {
        let (out, dir) = run(
            &url,
            "endless",
            streaming,
            &["--max-response-bytes", "2000000"],
        );
        let message = assert_all_failed(&out, &dir, "ResponseTooLarge");
        assert!(
            message.contains("--max-response-bytes (2000000 bytes)"),
            "{message}"
        );
    }
}

#[test]
fn two_hundred_megabytes_without_a_newline_is_not_a_success() {
    let url = hostile(Reply::HugeLine);
    for streaming in [true, false] {
        let (out, dir) = run(&url, "huge-line", streaming, &[]);
        let message = assert_all_failed(&out, &dir, "ResponseTooLarge");
        assert!(message.contains("(67108864 bytes)"), "{message}");
    }
    // Two requests in flight, each holding at most the 64 MiB cap: the runs stayed far
    // below the 200 MB per request (and 2 GB+ per run) that unbounded buffering took.
    let peak = peak_child_rss_bytes();
    assert!(peak < 512 << 20, "peak RSS of a run: {} MiB", peak >> 20);
}

/// The largest peak RSS of any child process waited for so far (this test binary's runs).
fn peak_child_rss_bytes() -> u64 {
    // SAFETY: getrusage(2) fills the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    // Linux reports ru_maxrss in KiB.
    u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024
}

#[test]
fn a_zero_response_cap_is_refused_in_one_line() {
    let out = gauntlet(&[
        "profile",
        "--model",
        "m",
        "--url",
        "http://127.0.0.1:9",
        "--max-response-bytes",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--max-response-bytes"), "{stderr}");
}

/// Runs `reply`'s server streaming and not; every request must fail with the given kind.
fn every_request_fails(name: &str, reply: Reply, streaming_kind: &str, plain_kind: &str) {
    let url = hostile(reply);
    for (streaming, kind) in [(true, streaming_kind), (false, plain_kind)] {
        let (out, dir) = run(&url, name, streaming, &[]);
        assert_all_failed(&out, &dir, kind);
    }
}

#[test]
fn an_empty_body_is_an_error() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
    );
    every_request_fails("empty", reply, "EmptyResponse", "EmptyResponse");
}

#[test]
fn no_content_is_an_error() {
    let reply = Reply::Bytes(b"HTTP/1.1 204 No Content\r\n\r\n");
    every_request_fails("204", reply, "EmptyResponse", "EmptyResponse");
}

#[test]
fn a_compressed_reply_is_an_error_that_names_its_coding() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n\
          Content-Length: 10\r\n\r\n\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
    );
    let url = hostile(reply);
    for streaming in [true, false] {
        let (out, dir) = run(&url, "gzip", streaming, &[]);
        let message = assert_all_failed(&out, &dir, "EncodedResponse");
        assert!(message.contains("Content-Encoding: gzip"), "{message}");
    }
}

#[test]
fn sse_lines_without_data_are_an_error() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
          id: 1\nevent: message\n\n: keep-alive\n\nretry: 10\n\n",
    );
    every_request_fails("no-data", reply, "NoSseData", "InvalidJson");
}

#[test]
fn every_event_invalid_json_is_an_error() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
          data: not json\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"a\"}}\n\ndata: [DONE]\n\n",
    );
    every_request_fails("invalid-events", reply, "InvalidJson", "InvalidJson");
}

#[test]
fn a_body_that_is_not_json_is_an_error() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 37\r\n\r\n\
          <html><body>Bad gateway</body></html>",
    );
    every_request_fails("not-json", reply, "InvalidJson", "InvalidJson");
}

#[test]
fn json_without_choices_is_an_error() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 39\r\n\r\n\
          {\"id\":\"x\",\"object\":\"chat.completion\"}  ",
    );
    every_request_fails("no-choices", reply, "MissingChoices", "MissingChoices");
}

#[test]
fn json_cut_short_by_its_content_length_is_an_error() {
    let reply = Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n\
          {\"choices\":[{\"message\":{\"content\":\"hello\"}}],\"usage\":{}}",
    );
    every_request_fails("truncated", reply, "InvalidJson", "InvalidJson");
}

/// The SSE specification lets a lone CR end a line: such a stream is read event by event.
#[test]
fn cr_only_line_endings_are_read_as_the_sse_specification_says() {
    let url = hostile(Reply::Bytes(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
          data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\r\r\
          data: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\r\r\
          data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2}}\r\r\
          data: [DONE]\r\r",
    ));
    let (out, dir) = run(&url, "cr-only", true, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    let acc = &export["request_accounting"];
    assert_eq!(acc["completed"], REQUESTS, "{acc}");
    assert_eq!(acc["malformed_events"], 0, "{acc}");
    assert_eq!(stat(&export, "output_sequence_length", "avg"), 2.0);
    // Two content events: TTFT and one inter-chunk gap per request.
    assert!(stat(&export, "time_to_first_token", "avg") > 0.0);
}

#[test]
fn single_malformed_events_are_counted_and_the_requests_succeed() {
    let url = hostile(Reply::ByMode(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n\
          data: {\"choices\":[{\"delta\":{\"content\":\"one \"}}]}\n\n\
          data: {\"choices\":[{\"delta\":{\"cont\n\n\
          data: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\n\n\
          data: {\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2}}\n\n\
          data: [DONE]\n\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n\
          {\"choices\":[{\"message\":{\"content\":\"one two\"}}],\
          \"usage\":{\"prompt_tokens\":8,\"completion_tokens\":2}}",
    ));
    for (streaming, malformed) in [(true, REQUESTS), (false, 0)] {
        let (out, dir) = run(&url, "one-malformed", streaming, &[]);
        let all = text(&out);
        assert_eq!(out.status.code(), Some(0), "{all}");
        let export = json(&dir, "profile_export_aiperf.json");
        let acc = &export["request_accounting"];
        assert_eq!(acc["completed"], REQUESTS, "{acc}");
        assert_eq!(acc["malformed_events"], malformed, "{acc}");
        assert_eq!(stat(&export, "output_sequence_length", "avg"), 2.0);
        let line = format!("Malformed events: {malformed} ");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).contains(&line),
            malformed > 0,
            "{all}"
        );
    }
}
