//! End-to-end: hostile server text (issue #18, findings 7 and 8). A server that echoes every
//! request header into a 401 body or an error event must not put a configured secret into any
//! artifact or onto the terminal; a server reply full of ANSI escapes and newlines must reach
//! the terminal escaped, on one line, and the JSONL raw.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use base64::Engine as _;
use common::*;

const API_KEY: &str = "sk-SECRET-KEY-1234";
const HEADER_VALUE: &str = "hdr-secret-5678";
const PASSWORD: &str = "pw-SECRET-9";

/// A server on 127.0.0.1 answering every request with `reply(request head)`, one request per
/// connection (`Connection: close`). Runs until the test process ends.
fn hostile(reply: fn(&str) -> Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = conn.read_exact(&mut body);
                let _ = conn.write_all(&reply(&head));
            });
        }
    });
    format!("http://{addr}")
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// The `Authorization` header's value as the server received it.
fn authorization(head: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

/// 401 with every request header echoed in a plain-text body.
fn echo_401(head: &str) -> Vec<u8> {
    response(
        "401 Unauthorized",
        "text/plain",
        format!("unauthorized; you sent:\n{head}").as_bytes(),
    )
}

/// An error object echoing the headers, with the `Authorization` value as its type.
fn error_object(head: &str) -> String {
    serde_json::json!({"error": {
        "message": format!("bad auth: {head}"),
        "type": authorization(head),
        "code": 401,
    }})
    .to_string()
}

/// 200 with an SSE error event (streaming) that echoes the headers.
fn echo_sse_error(head: &str) -> Vec<u8> {
    let body = format!("data: {}\n\ndata: [DONE]\n\n", error_object(head));
    response("200 OK", "text/event-stream", body.as_bytes())
}

/// 200 with a JSON error body (not streaming) that echoes the headers.
fn echo_json_error(head: &str) -> Vec<u8> {
    response("200 OK", "application/json", error_object(head).as_bytes())
}

/// 500 with ANSI colour escapes, a carriage return and a multi-line HTML body.
fn ansi_500(_: &str) -> Vec<u8> {
    response(
        "500 Internal Server Error",
        "text/html",
        b"\x1b[31mred\x1b[0m\r\n<html>\n<body>oops\x07</body>\n</html>\n",
    )
}

fn secrets() -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("user:{PASSWORD}"));
    vec![API_KEY.into(), HEADER_VALUE.into(), PASSWORD.into(), basic]
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the artifact folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_no_secret(dir: &Path, out: &std::process::Output) {
    let mut places: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), out.stdout.clone()),
        ("stderr".into(), out.stderr.clone()),
    ];
    for file in files(dir) {
        let bytes = std::fs::read(&file).expect("an artifact");
        places.push((file.display().to_string(), bytes));
    }
    for (place, bytes) in &places {
        for secret in secrets() {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{secret} leaked into {place}\n{}", text(out));
        }
    }
    assert!(
        places
            .iter()
            .any(|(p, _)| p.ends_with("profile_export.jsonl")),
        "the JSONL was written: {places:?}"
    );
}

/// Runs `reply`'s server twice (with `--api-key` and with `user:password@`), both with a
/// custom header, `--streaming` or not; checks every error was counted and nothing leaked.
fn run_hostile(name: &str, reply: fn(&str) -> Vec<u8>, streaming: bool) {
    let url = hostile(reply);
    let with_userinfo = url.replace("http://", &format!("http://user:{PASSWORD}@"));
    let header = format!("X-Custom: {HEADER_VALUE}");
    for (tag, url, key) in [
        ("key", &url, Some(API_KEY)),
        ("userinfo", &with_userinfo, None),
    ] {
        let dir = artifact_dir(&format!("hostile-secrets-{name}-{tag}"));
        let mut flags = vec![
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-count",
            "3",
            "--concurrency",
            "1",
            "-H",
            &header,
        ];
        if streaming {
            flags.push("--streaming");
        }
        if let Some(key) = key {
            flags.extend_from_slice(&["--api-key", key]);
        }
        let out = profile(url, &dir, &flags);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("3 failed"), "{}", text(&out));
        assert!(stdout.contains("***"), "redaction shows: {}", text(&out));
        let lines = jsonl(&dir);
        assert_eq!(lines.len(), 3);
        let message = lines[0]["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("***"), "{message}");
        assert_no_secret(&dir, &out);
    }
}

#[test]
fn headers_echoed_into_a_401_body_are_redacted() {
    run_hostile("401-stream", echo_401, true);
    run_hostile("401", echo_401, false);
}

#[test]
fn headers_echoed_into_an_error_event_are_redacted() {
    run_hostile("sse-error", echo_sse_error, true);
    run_hostile("json-error", echo_json_error, false);
}

#[test]
fn server_text_reaches_the_terminal_escaped_on_one_line() {
    let url = hostile(ansi_500);
    for streaming in [true, false] {
        let dir = artifact_dir(&format!("hostile-ansi-{streaming}"));
        let mut flags = vec!["--isl", "8", "--osl", "2", "--request-count", "2"];
        if streaming {
            flags.push("--streaming");
        }
        let out = profile(&url, &dir, &flags);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(!bytes.contains(&0x1b), "ESC on {stream}: {}", text(&out));
            assert!(!bytes.contains(&b'\r'), "CR on {stream}: {}", text(&out));
            assert!(!bytes.contains(&0x07), "BEL on {stream}: {}", text(&out));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let error_line: Vec<&str> = stdout.lines().filter(|l| l.contains("oops")).collect();
        assert_eq!(error_line.len(), 1, "{}", text(&out));
        assert!(
            error_line[0].contains(r"\x1b[31mred\x1b[0m\r\n<html>\n<body>oops\x07</body>"),
            "{}",
            error_line[0]
        );
        // The JSONL keeps the raw bytes.
        let message = jsonl(&dir)[0]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.contains("\x1b[31mred\x1b[0m\r\n<html>\n"),
            "{message:?}"
        );
    }
}
