//! A closed stdout is not an error: `gauntlet COMMAND | head -n 1` exits 0, without a panic
//! message, for every subcommand. Each command runs with its stdout a pipe whose reader goes
//! away before the command writes, or after its first line (what `head -n 1` does).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use common::speed_bench_data::write_rows;
use common::*;

const TRACE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/shared/traces/mooncake_synthetic_trace.jsonl"
);
const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/examples/single-turn.yaml"
);

/// When the reader of the command's stdout goes away.
#[derive(Debug, Clone, Copy)]
enum Close {
    /// Before the command writes anything.
    AtOnce,
    /// After the first line, as `head -n 1` does.
    AfterFirstLine,
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gauntlet binary runs")
}

/// Runs `gauntlet ARGS…` with its stdout closed as `close` says; asserts exit 0 and no panic.
fn closed_stdout_is_fine(args: &[&str], close: Close) {
    let mut child = spawn(args);
    let stdout = child.stdout.take().expect("piped stdout");
    match close {
        Close::AtOnce => drop(stdout),
        Close::AfterFirstLine => {
            let mut line = String::new();
            BufReader::new(stdout)
                .read_line(&mut line)
                .expect("reading the first line");
        }
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .expect("reading stderr");
    let status = child.wait().expect("the command ends");
    assert_eq!(
        status.code(),
        Some(0),
        "gauntlet {args:?}, stdout closed {close:?}: {status}\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked"),
        "gauntlet {args:?}, stdout closed {close:?}:\n{stderr}"
    );
}

fn both_ways(args: &[&str]) {
    closed_stdout_is_fine(args, Close::AtOnce);
    closed_stdout_is_fine(args, Close::AfterFirstLine);
}

#[test]
fn help_and_version() {
    both_ways(&["--help"]);
    both_ways(&["--version"]);
    both_ways(&["profile", "--help"]);
}

#[test]
fn config_validate() {
    both_ways(&["config", "validate", CONFIG]);
}

#[test]
fn analyze_trace_and_synthesize() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let synth = tmp.path().join("synth.jsonl");
    let report = report.to_str().unwrap();
    both_ways(&["analyze-trace", TRACE, "--output-file", report]);
    both_ways(&[
        "synthesize",
        TRACE,
        "--output-file",
        synth.to_str().unwrap(),
    ]);
}

#[test]
fn calibrate() {
    let args = [
        "calibrate",
        "--rates",
        "200",
        "--step-seconds",
        "0.1",
        "--client-threads",
        "1",
    ];
    closed_stdout_is_fine(&args, Close::AtOnce);
}

#[test]
fn media_codecs() {
    both_ways(&["media", "codecs"]);
}

#[test]
fn profile_then_speed_bench_report() {
    let server = mock(0, 0);
    // Named after a category, so the report files the run under it.
    let dir = artifact_dir("pipes").join("coding");
    let url = server.url();
    let args = [
        "profile",
        "--model",
        "mock-model",
        "--url",
        &url,
        "--streaming",
        "--isl",
        "16",
        "--osl",
        "4",
        "--request-count",
        "4",
        "--no-gpu-telemetry",
        "--output-artifact-dir",
        dir.to_str().unwrap(),
    ];
    both_ways(&args);
    let report = [
        "speed-bench-report",
        dir.to_str().unwrap(),
        "--metric",
        "throughput",
        "--format",
        "console",
    ];
    both_ways(&report);
}

#[test]
fn speed_bench() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("qualitative.parquet");
    let rows: Vec<_> = (1..=2)
        .map(|i| {
            (
                format!("c{i}"),
                "coding".to_string(),
                vec![format!("Question {i}.")],
            )
        })
        .collect();
    write_rows(&data, &rows);
    let server = mock(0, 0);
    let url = server.url();
    let base = artifact_dir("pipes-speed-bench");
    let args = [
        "speed-bench",
        "-m",
        "mock-model",
        "-u",
        &url,
        "--categories",
        "coding",
        "--metric",
        "throughput",
        "--dataset-path",
        data.to_str().unwrap(),
        "--public-dataset-max-tokens",
        "8",
        "--no-gpu-telemetry",
        "--output-artifact-dir",
        base.to_str().unwrap(),
    ];
    closed_stdout_is_fine(&args, Close::AtOnce);
}

#[test]
fn mock_server_keeps_serving_and_stops_cleanly() {
    let mut child = spawn(&["mock-server", "--port", "0"]);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    // The reader is gone; the server goes on serving. An answer also shows it has accepted a
    // connection, so its stop signal is armed (it is polled before every accept).
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.write_all(b"GET /v1/models HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1];
    conn.read_exact(&mut first).unwrap();
    // SAFETY: kill only sends a signal to the child we started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
