//! End-to-end: model discovery (`--model` left out), several models with
//! `--model-selection-strategy`, the readiness wait, `--custom-endpoint`, and the 404 hint.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

const SMALL: [&str; 6] = [
    "--isl",
    "8",
    "--osl",
    "2",
    "--no-server-metrics",
    "--no-gpu-telemetry",
];

/// The `model` of every request body the mock captured, in arrival order.
fn models_sent(server: &MockServer) -> Vec<String> {
    server
        .stats()
        .captured_requests()
        .iter()
        .map(|body| {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            v["model"].as_str().unwrap().to_string()
        })
        .collect()
}

fn capturing(config: MockConfig) -> MockServer {
    MockServer::start(MockConfig {
        capture_requests: true,
        ..config
    })
    .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `gauntlet ARGS…` run in `cwd` (for the default artifact folder, which is relative).
fn gauntlet_in(cwd: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .current_dir(cwd)
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the gauntlet binary runs")
}

#[test]
fn without_model_the_servers_first_listed_model_is_used_and_named() {
    let server = capturing(MockConfig {
        model: "served-one".into(),
        more_models: vec!["served-two".into()],
        ..MockConfig::default()
    });
    let cwd = artifact_dir("discovery-cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let url = server.url();
    let mut args = vec!["profile", "--url", &url, "--request-count", "3"];
    args.extend_from_slice(&SMALL);
    let out = gauntlet_in(&cwd, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("model: served-one (from {url}/v1/models)")),
        "{}",
        text(&out)
    );
    assert_eq!(models_sent(&server), ["served-one"; 3]);
    // The default artifact folder is named after the discovered model.
    let folder = cwd.join("artifacts/served-one-openai-chat-concurrency1");
    assert!(
        folder.join("profile_export_aiperf.json").is_file(),
        "{}",
        text(&out)
    );
}

#[test]
fn discovery_against_a_server_without_a_model_list_fails_in_one_line() {
    let (addr, server) = serve_once(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    let dir = artifact_dir("discovery-404");
    let url = format!("http://{addr}");
    let out = gauntlet(&[
        "profile",
        "--url",
        &url,
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ]);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{}", text(&out));
    assert_eq!(
        err.trim_end(),
        format!(
            "error: --model not given and {url}/v1/models answered HTTP 404; pass --model NAME"
        )
    );
    assert!(!dir.exists(), "nothing was run");

    let closed = format!("http://127.0.0.1:{}", closed_port());
    let out = gauntlet(&["profile", "--url", &closed]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{}", text(&out));
    assert!(err.contains("could not be read"), "{err}");
    assert!(err.contains("pass --model NAME"), "{err}");
}

#[test]
fn repeated_model_flags_add_models_taken_in_turn() {
    let server = capturing(MockConfig::default());
    let dir = artifact_dir("round-robin");
    let mut args = vec!["--model", "a,b", "--request-count", "10"];
    args.extend_from_slice(&SMALL);
    let out = profile(&server.url(), &dir, &args[..]);
    // profile() passes --model mock-model first; the later --model values are appended.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sent = models_sent(&server);
    assert_eq!(sent.len(), 10);
    let count = |m: &str| sent.iter().filter(|s| *s == m).count();
    assert_eq!(
        (count("mock-model"), count("a"), count("b")),
        (4, 3, 3),
        "{sent:?}"
    );
    // Request n names model n mod 3, in the order given.
    for (n, model) in sent.iter().enumerate() {
        assert_eq!(
            model,
            ["mock-model", "a", "b"][n % 3],
            "request {n}: {sent:?}"
        );
    }
}

#[test]
fn round_robin_over_two_models_splits_the_requests_in_half() {
    let server = capturing(MockConfig::default());
    let url = server.url();
    let mut args = vec![
        "profile",
        "-m",
        "a",
        "-m",
        "b",
        "--url",
        &url,
        "--request-count",
        "10",
    ];
    args.extend_from_slice(&SMALL);
    let dir = artifact_dir("round-robin-two");
    args.extend_from_slice(&["--output-artifact-dir", dir.to_str().unwrap()]);
    let out = gauntlet(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let sent = models_sent(&server);
    assert_eq!(sent.iter().filter(|s| *s == "a").count(), 5, "{sent:?}");
    assert_eq!(sent.iter().filter(|s| *s == "b").count(), 5, "{sent:?}");
}

#[test]
fn random_selection_is_the_same_for_the_same_seed() {
    let run = |seed: &str| {
        let server = capturing(MockConfig::default());
        let dir = artifact_dir(&format!("random-models-{seed}"));
        let mut args = vec![
            "--model",
            "a,b",
            "--model-selection-strategy",
            "random",
            "--random-seed",
            seed,
            "--request-count",
            "24",
        ];
        args.extend_from_slice(&SMALL);
        let url = server.url();
        // Only the given models: no profile() default model.
        let mut full = vec!["profile", "--url", &url];
        full.extend_from_slice(&args);
        full.extend_from_slice(&["--output-artifact-dir", dir.to_str().unwrap()]);
        let out = gauntlet(&full);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        models_sent(&server)
    };
    let first = run("7");
    assert_eq!(first.len(), 24);
    assert!(
        first.iter().any(|m| m == "a") && first.iter().any(|m| m == "b"),
        "{first:?}"
    );
    assert_eq!(run("7"), first, "same seed, same models");
    assert_ne!(run("8"), first, "another seed, another draw");
}

#[test]
fn the_wait_ends_once_the_server_is_ready() {
    let server = MockServer::start(MockConfig {
        ready_after: Some(Duration::from_millis(1000)),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("wait-ready");
    let mut args = vec![
        "--request-count",
        "3",
        "--wait-for-model-timeout",
        "20",
        "--wait-for-model-interval",
        "0.2",
        "--wait-for-model-mode",
        "both",
    ];
    args.extend_from_slice(&SMALL);
    let started = Instant::now();
    let out = profile(&server.url(), &dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(started.elapsed() >= Duration::from_millis(900));
    let err = stderr(&out);
    assert!(err.contains("GET /v1/models: HTTP 503"), "{}", text(&out));
    assert!(
        err.contains(&format!("model mock-model ready on {}", server.url())),
        "{}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("3 scheduled = 3 succeeded"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_wait_gives_up_after_its_timeout_in_one_line() {
    let server = MockServer::start(MockConfig {
        ready_after: Some(Duration::from_secs(3600)),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("wait-timeout");
    let mut args = vec![
        "--wait-for-model-timeout",
        "1",
        "--wait-for-model-interval",
        "0.25",
    ];
    args.extend_from_slice(&SMALL);
    let started = Instant::now();
    let out = profile(&server.url(), &dir, &args);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", text(&out));
    let want = format!(
        "error: --wait-for-model-timeout: {} did not serve mock-model within 1 s (inference check,",
        server.url()
    );
    assert!(errors[0].starts_with(&want), "{}", errors[0]);
    assert!(
        errors[0].ends_with("last seen: POST /v1/chat/completions: HTTP 503"),
        "{}",
        errors[0]
    );
    assert!(!dir.join("profile_export_aiperf.json").exists());
}

/// A server that answers `GET /v1/models` with one model (`listed`) and every other request
/// with one non-streaming chat completion, and records each request line (with ` +auth` when
/// it carried `Authorization: Bearer sk-test`).
fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&lines);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let seen = Arc::clone(&seen);
            std::thread::spawn(move || loop {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                if conn.read_exact(&mut body).is_err() {
                    return;
                }
                let line = head.lines().next().unwrap_or("").to_string();
                let auth = head
                    .to_ascii_lowercase()
                    .contains("\r\nauthorization: bearer sk-test\r\n");
                seen.lock()
                    .unwrap()
                    .push(format!("{line}{}", if auth { " +auth" } else { "" }));
                if line.starts_with("GET /v1/models ") {
                    let list = br#"{"object":"list","data":[{"id":"listed","object":"model"}]}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        list.len()
                    );
                    if conn.write_all(answer.as_bytes()).is_err() || conn.write_all(list).is_err() {
                        return;
                    }
                    continue;
                }
                let json = br#"{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10}}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    json.len()
                );
                if conn.write_all(answer.as_bytes()).is_err() || conn.write_all(json).is_err() {
                    return;
                }
            });
        }
    });
    (url, lines)
}

#[test]
fn custom_endpoint_sends_every_request_to_the_given_path() {
    let (url, lines) = recording_server();
    let dir = artifact_dir("custom-endpoint");
    let base = format!("{url}/proxy?v=1");
    let mut args = vec!["--endpoint", "/my/generate", "--request-count", "3"];
    args.extend_from_slice(&SMALL);
    let out = profile(&base, &dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines, ["POST /proxy/my/generate?v=1 HTTP/1.1"; 3]);

    // The mock answers a path it knows, given explicitly.
    let server = capturing(MockConfig::default());
    let dir = artifact_dir("custom-endpoint-mock");
    let mut args = vec![
        "--endpoint-type",
        "completions",
        "--custom-endpoint",
        "/v1/completions",
        "--request-count",
        "2",
    ];
    args.extend_from_slice(&SMALL);
    let out = profile(&server.url(), &dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(models_sent(&server).len(), 2);

    let out = profile(&server.url(), &dir, &["--custom-endpoint", "v1/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        stderr(&out).starts_with("error: --custom-endpoint: 'v1/x' must start with '/'"),
        "{}",
        text(&out)
    );
}

#[test]
fn not_found_failures_come_with_one_hint() {
    let server = MockServer::start(MockConfig::default()).unwrap();
    let dir = artifact_dir("not-found-hint");
    let mut args = vec!["--custom-endpoint", "/v1/nope", "--request-count", "4"];
    args.extend_from_slice(&SMALL);
    let out = profile(&server.url(), &dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let hints: Vec<&str> = stdout.lines().filter(|l| l.starts_with("hint:")).collect();
    let every_type = gauntlet::config::ENDPOINT_TYPE_NAMES.join(", ");
    assert!(every_type.starts_with("chat, completions, embeddings, "));
    assert_eq!(
        hints,
        [format!("hint: HTTP 404 means the server has no such path: try another --endpoint-type ({every_type}) or give the server's own path with --custom-endpoint PATH")],
        "{}",
        text(&out)
    );

    // Other failures get no such hint.
    let failing = MockServer::start(MockConfig {
        fail_every: Some(1),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("not-found-hint-500");
    let out = profile(&failing.url(), &dir, &args[2..]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("hint:"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_multi_turn_session_keeps_one_model_for_all_its_turns() {
    let server = capturing(MockConfig::default());
    let dir = artifact_dir("session-models");
    let url = server.url();
    let mut args = vec![
        "profile",
        "--url",
        &url,
        "--model",
        "a,b",
        "--conversation-num",
        "4",
        "--conversation-turn-mean",
        "3",
        "--output-artifact-dir",
    ];
    args.push(dir.to_str().unwrap());
    args.extend_from_slice(&SMALL);
    let out = gauntlet(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A session is known by its first user message, which every one of its turns carries.
    let mut sessions: Vec<(String, Vec<String>)> = Vec::new();
    for body in server.stats().captured_requests() {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let first = v["messages"][0]["content"].to_string();
        let model = v["model"].as_str().unwrap().to_string();
        match sessions.iter_mut().find(|(f, _)| *f == first) {
            Some((_, models)) => models.push(model),
            None => sessions.push((first, vec![model])),
        }
    }
    assert_eq!(sessions.len(), 4, "{sessions:?}");
    for (_, models) in &sessions {
        assert_eq!(models.len(), 3, "{sessions:?}");
        assert!(models.iter().all(|m| *m == models[0]), "{sessions:?}");
    }
    let firsts: Vec<&str> = sessions.iter().map(|(_, m)| m[0].as_str()).collect();
    assert_eq!(
        firsts.iter().filter(|m| **m == "a").count(),
        2,
        "{firsts:?}"
    );
}

#[test]
fn the_wait_checks_every_url() {
    let ready = MockServer::start(MockConfig::default()).unwrap();
    let late = MockServer::start(MockConfig {
        ready_after: Some(Duration::from_millis(800)),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("wait-every-url");
    let late_url = late.url();
    let mut args = vec![
        "--url",
        &late_url,
        "--request-count",
        "4",
        "--wait-for-model-timeout",
        "20",
        "--wait-for-model-interval",
        "0.2",
        "--wait-for-model-mode",
        "models",
    ];
    args.extend_from_slice(&SMALL);
    let started = Instant::now();
    let out = profile(&ready.url(), &dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(started.elapsed() >= Duration::from_millis(700));
    let err = stderr(&out);
    for url in [ready.url(), late.url()] {
        assert!(
            err.contains(&format!("model mock-model ready on {url}")),
            "{}",
            text(&out)
        );
    }
    assert!(
        err.contains(&format!(
            "waiting for mock-model on {late_url}: GET /v1/models: HTTP 503"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn with_a_wait_discovery_asks_again_until_the_server_lists_a_model() {
    let server = MockServer::start(MockConfig {
        ready_after: Some(Duration::from_millis(800)),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("discovery-wait");
    let url = server.url();
    let mut args = vec![
        "profile",
        "--url",
        &url,
        "--request-count",
        "2",
        "--wait-for-model-timeout",
        "20",
        "--wait-for-model-interval",
        "0.2",
        "--output-artifact-dir",
    ];
    args.push(dir.to_str().unwrap());
    args.extend_from_slice(&SMALL);
    let out = gauntlet(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("waiting for a model on {url}: answered HTTP 503")),
        "{}",
        text(&out)
    );
    assert!(
        err.contains(&format!("model: mock-model (from {url}/v1/models)")),
        "{}",
        text(&out)
    );

    let never = MockServer::start(MockConfig {
        ready_after: Some(Duration::from_secs(3600)),
        ..MockConfig::default()
    })
    .unwrap();
    let url = never.url();
    let out = gauntlet(&[
        "profile",
        "--url",
        &url,
        "--wait-for-model-timeout",
        "0.6",
        "--wait-for-model-interval",
        "0.2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = stderr(&out);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", text(&out));
    assert!(
        errors[0].starts_with(&format!(
            "error: --model not given and {url}/v1/models answered HTTP 503 (still, after "
        )),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with("; pass --model NAME"), "{}", errors[0]);
}

#[test]
fn discovery_and_the_wait_carry_the_api_key_and_never_print_it() {
    let (url, lines) = recording_server();
    let dir = artifact_dir("discovery-auth");
    let mut args = vec![
        "profile",
        "--url",
        &url,
        "--api-key",
        "sk-test",
        "--request-count",
        "1",
        "--wait-for-model-timeout",
        "5",
        "--wait-for-model-mode",
        "both",
        "--output-artifact-dir",
    ];
    args.push(dir.to_str().unwrap());
    args.extend_from_slice(&SMALL);
    let out = gauntlet(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("sk-test"), "{}", text(&out));
    assert!(
        stderr(&out).contains("model: listed (from"),
        "{}",
        text(&out)
    );
    let lines = lines.lock().unwrap().clone();
    assert_eq!(
        lines,
        [
            "GET /v1/models HTTP/1.1 +auth",
            "GET /v1/models HTTP/1.1 +auth",
            "POST /v1/chat/completions HTTP/1.1 +auth",
            "POST /v1/chat/completions HTTP/1.1 +auth",
        ]
    );
}
