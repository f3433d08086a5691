//! Terminating signals on the real binary: SIGTERM, SIGHUP and a double SIGINT each stop the
//! run with its artifacts written and marked partial, and the shell's exit code for the
//! signal; a SIGKILL still leaves the JSONL lines of what finished more than a second before.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const REQUESTS: u64 = 400;

/// Starts `gauntlet profile` against `server` (each request ~0.2 s, 4 at a time, so the run
/// would last ~20 s) and returns once at least 4 requests have finished.
fn start_profile(server: &MockServer, dir: &Path) -> Child {
    let count = REQUESTS.to_string();
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
            "20",
            "--request-count",
            &count,
            "--concurrency",
            "4",
            "--output-artifact-dir",
            dir.to_str().unwrap(),
        ])
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .env("HF_HUB_OFFLINE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gauntlet binary starts");
    // Closed loop at concurrency 4: the 8th request starts only after 4 have finished.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.stats().snapshot().chat_requests < 8 {
        assert!(Instant::now() < deadline, "no requests within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn kill(child: &Child, signal: libc::c_int) {
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
}

/// Waits for `child` at most 60 s (killing it past that) and returns its output.
fn wait_bounded(mut child: Child) -> std::process::Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("gauntlet did not exit within 60 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A run stopped by a signal: the exit code, partial artifacts, JSONL lines, the identity.
fn assert_partial(dir: &Path, out: &std::process::Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    let export = json(dir, "profile_export_aiperf.json");
    assert_eq!(export["was_cancelled"], true, "{}", text(out));
    assert_eq!(export["is_complete"], false);
    let acc = &export["request_accounting"];
    let completed = acc["completed"].as_u64().unwrap();
    let sum = ["completed", "failed", "cancelled", "not_sent"]
        .iter()
        .map(|k| acc[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(acc["scheduled"].as_u64().unwrap(), REQUESTS, "{acc}");
    assert_eq!(sum, REQUESTS, "{acc}");
    assert!(completed >= 4, "{acc}");
    let lines = jsonl(dir);
    assert!(
        lines.len() as u64 >= completed,
        "{} lines, {acc}",
        lines.len()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("PARTIAL"), "{}", text(out));
    let line = format!("Requests: {REQUESTS} scheduled = {completed} succeeded + ");
    assert!(stdout.contains(&line), "{}", text(out));
    assert!(!stdout.contains("UNBALANCED"), "{}", text(out));
    for file in [
        "profile_export_aiperf.csv",
        "profile_export_console.txt",
        "inputs.json",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing: {}", text(out));
    }
}

/// Files an earlier, complete run left in the folder.
fn plant_stale_files(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("profile_export_aiperf.json"),
        r#"{"was_cancelled":false,"is_complete":true}"#,
    )
    .unwrap();
    std::fs::write(dir.join("gpu_telemetry_export.json"), "{}").unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
}

#[test]
fn sigterm_writes_partial_artifacts_and_exits_143() {
    let server = mock(10, 10);
    let dir = artifact_dir("signal-term");
    plant_stale_files(&dir);
    let child = start_profile(&server, &dir);
    kill(&child, libc::SIGTERM);
    let out = wait_bounded(child);
    assert_partial(&dir, &out, 143);
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted (SIGTERM)"));
    // The earlier run's files are gone (this run samples no GPU); the user's file stays.
    assert!(!dir.join("gpu_telemetry_export.json").exists());
    assert!(dir.join("notes.txt").exists());
}

#[test]
fn sighup_writes_partial_artifacts_and_exits_129() {
    let server = mock(10, 10);
    let dir = artifact_dir("signal-hup");
    let child = start_profile(&server, &dir);
    kill(&child, libc::SIGHUP);
    let out = wait_bounded(child);
    assert_partial(&dir, &out, 129);
}

#[test]
fn two_sigints_50_ms_apart_still_write_partial_artifacts() {
    let server = mock(10, 10);
    let dir = artifact_dir("signal-int-twice");
    let child = start_profile(&server, &dir);
    kill(&child, libc::SIGINT);
    std::thread::sleep(Duration::from_millis(50));
    kill(&child, libc::SIGINT);
    let out = wait_bounded(child);
    assert_partial(&dir, &out, 130);
}

#[test]
fn sigkill_leaves_the_jsonl_of_what_finished_over_a_second_before() {
    let server = mock(10, 10);
    let dir = artifact_dir("signal-kill");
    plant_stale_files(&dir);
    let mut child = start_profile(&server, &dir);
    // The JSONL is flushed at least once a second; its 1 MiB buffer alone would hold
    // thousands of these lines.
    std::thread::sleep(Duration::from_millis(1_500));
    child.kill().unwrap();
    let _ = child.wait();
    let lines = jsonl(&dir);
    assert!(lines.len() >= 4, "{} lines", lines.len());
    // No earlier run's results sit beside the killed run's lines.
    assert!(!dir.join("profile_export_aiperf.json").exists());
}
