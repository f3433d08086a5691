//! End-to-end: failing servers give counted, grouped errors, never a panic or a hang.

mod common;

use common::*;

#[test]
fn http_errors_are_counted_grouped_and_set_the_exit_code() {
    let server = MockServer::start(MockConfig {
        fail_every: Some(2),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("http-errors");
    let flags = [
        "--streaming",
        "--isl",
        "16",
        "--osl",
        "4",
        "--request-count",
        "20",
        "--concurrency",
        "2",
    ];
    let out = profile(&server.url(), &dir, &flags);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "request_count", "avg"), 10.0);
    assert_eq!(stat(&export, "error_request_count", "avg"), 10.0);
    let summary = export["error_summary"].as_array().unwrap();
    assert_eq!(summary.len(), 1, "one group: {summary:?}");
    assert_eq!(summary[0]["count"], 10);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("20 scheduled = 10 succeeded + 10 failed + 0 cancelled + 0 not sent"),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("500"), "{}", text(&out));

    let tolerant = artifact_dir("http-errors-tolerated");
    let mut args = flags.to_vec();
    args.extend_from_slice(&["--tolerated-error-rate", "60"]);
    let out = profile(&server.url(), &tolerant, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn refused_connections_fail_fast_with_a_clear_message() {
    // Bind then drop a listener: the port is free and nothing answers on it.
    let port = closed_port();
    let dir = artifact_dir("refused");
    let url = format!("http://127.0.0.1:{port}");
    let out = profile(
        &url,
        &dir,
        &["--isl", "8", "--osl", "2", "--request-count", "5"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "error_request_count", "avg"), 5.0);
    let message = export["error_summary"][0]["error_details"]["message"]
        .as_str()
        .unwrap_or("");
    assert!(message.contains("connect"), "{message}");
}

#[test]
fn dropped_streams_and_error_events_are_errors() {
    let server = MockServer::start(MockConfig {
        drop_every: Some(3),
        error_event_every: Some(4),
        ..MockConfig::default()
    })
    .unwrap();
    let dir = artifact_dir("drops");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "4",
            "--request-count",
            "12",
            "--tolerated-error-rate",
            "100",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    // Requests 3, 6, 9, 12 are dropped; 4 and 8 get an error event (12 was dropped first).
    let errors = stat(&export, "error_request_count", "avg");
    assert!(
        errors >= 5.0,
        "errors {errors}: {}",
        export["error_summary"]
    );
    assert_eq!(stat(&export, "request_count", "avg") + errors, 12.0);
}

#[test]
fn secrets_never_reach_artifacts_or_output() {
    let server = mock(0, 0);
    let dir = artifact_dir("secrets");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-count",
            "3",
            "--api-key",
            "sk-TOPSECRET-1",
            "--header",
            "X-Auth: hunter2-SECRET",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        !all.contains("TOPSECRET") && !all.contains("hunter2"),
        "{all}"
    );
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let content = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !content.contains("TOPSECRET") && !content.contains("hunter2"),
            "secret in {}",
            path.display()
        );
    }
}

#[test]
fn bad_flags_give_one_line_errors_naming_the_flag() {
    let out = gauntlet(&["profile", "--model", "m", "--concurrency", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--concurrency"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let out = gauntlet(&[
        "profile",
        "--model",
        "m",
        "--tokenizer",
        "/no/such/tokenizer.json",
        "--request-count",
        "1",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("/no/such/tokenizer.json"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn interrupt_writes_partial_artifacts_with_full_accounting() {
    use std::process::{Command, Stdio};
    let server = mock(20, 50);
    let dir = artifact_dir("interrupt");
    let child = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args([
            "profile",
            "--model",
            "mock-model",
            "--url",
            &server.url(),
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "40",
            "--request-count",
            "200",
            "--concurrency",
            "4",
            "--output-artifact-dir",
            dir.to_str().unwrap(),
        ])
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until requests are flowing, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while server.stats().snapshot().chat_requests < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(export["was_cancelled"], true);
    assert_eq!(export["is_complete"], false);
    let acc = &export["request_accounting"];
    let sum = ["completed", "failed", "cancelled", "not_sent"]
        .iter()
        .map(|k| acc[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(acc["scheduled"].as_u64().unwrap(), 200);
    assert_eq!(sum, 200, "{acc}");
    assert!(acc["cancelled"].as_u64().unwrap() >= 1, "{acc}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("PARTIAL"),
        "{}",
        text(&out)
    );
}

#[test]
fn slow_servers_time_out_into_counted_errors() {
    let server = mock(3_000, 0);
    let dir = artifact_dir("timeout");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "2",
            "--request-count",
            "2",
            "--concurrency",
            "2",
            "--request-timeout-seconds",
            "0.3",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "error_request_count", "avg"), 2.0);
    let message = export["error_summary"][0]["error_details"]["message"]
        .as_str()
        .unwrap_or("");
    assert!(message.contains("timed out"), "{message}");
}

#[test]
fn duration_runs_cancel_what_outlives_the_grace_period() {
    // Each request takes ~2 s; the run lasts 0.3 s with 0.2 s of grace, so the requests in
    // flight are cancelled and accounted for, and the run is still complete (not interrupted).
    let server = mock(0, 100);
    let dir = artifact_dir("grace");
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "20",
            "--concurrency",
            "3",
            "--benchmark-duration",
            "0.3",
            "--benchmark-grace-period",
            "0.2",
            "--tolerated-error-rate",
            "100",
        ],
    );
    let export = json(&dir, "profile_export_aiperf.json");
    let acc = &export["request_accounting"];
    assert_eq!(acc["cancelled"].as_u64(), Some(3), "{acc} {}", text(&out));
    assert_eq!(acc["scheduled"].as_u64(), Some(3), "{acc}");
    assert_eq!(jsonl(&dir).len(), 3);
}

#[test]
fn the_open_file_limit_is_raised_so_high_concurrency_does_not_run_out_of_sockets() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    // Start the binary with a soft limit of 256 (many systems give 1,024), as a shell would.
    let mut child = Command::new("bash")
        .args([
            "-c",
            r#"ulimit -Sn 256 && exec "$0" mock-server --port 0"#,
            env!("CARGO_BIN_EXE_gauntlet"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("listening on"), "{line:?}");
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    // "Max open files  SOFT  HARD  files"
    let (soft, hard) = (open_files[3], open_files[4]);
    match hard {
        "256" => {} // Nothing to raise to on this machine.
        // Raised to the kernel's per-process cap.
        "unlimited" => assert_ne!(soft, "256", "{limits}"),
        _ => assert_eq!(soft, hard, "{limits}"),
    }
}
