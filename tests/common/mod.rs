//! Helpers for end-to-end tests: an in-process mock server and the real CLI binary.

#![allow(dead_code, unused_imports)]

pub mod speed_bench_data;
#[path = "../../src/test_support.rs"]
mod test_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use gauntlet::mock::{LatencyModel, MockConfig, MockServer, SseMode};
/// One-shot fake servers and closed ports: the library's test support, shared by path.
pub use test_support::{closed_port, serve_once};

/// A fresh artifact directory under the target dir, removed at the start of each test.
pub fn artifact_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("e2e")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Shared corpus cache, so only the first test tokenizes the corpus.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-cache")
}

/// Runs `gauntlet ARGS…` and returns its output.
pub fn gauntlet(args: &[&str]) -> Output {
    gauntlet_with_env(args, &[])
}

/// The longest one command of a test may run: far above what any test needs, so a hung
/// binary fails its test, naming the command, instead of holding the suite until CI's limit.
const COMMAND_LIMIT: Duration = Duration::from_secs(300);

/// Runs `gauntlet ARGS…` with extra environment variables (like `Command::output`, but
/// killed and failed after [`COMMAND_LIMIT`]).
pub fn gauntlet_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gauntlet"))
        .args(args)
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .env("HF_HUB_OFFLINE", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gauntlet binary runs");
    // Both pipes are drained while the command runs, so a chatty one never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + COMMAND_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for gauntlet") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "gauntlet {args:?} did not end within {} s; killed",
                COMMAND_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// `gauntlet profile` against `url` with a small streaming workload plus `extra` flags.
pub fn profile(url: &str, dir: &Path, extra: &[&str]) -> Output {
    profile_with_env(url, dir, extra, &[])
}

/// [`profile`] with extra environment variables.
pub fn profile_with_env(url: &str, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = dir.to_str().expect("utf-8 path");
    let mut args = vec![
        "profile",
        "--model",
        "mock-model",
        "--url",
        url,
        "--output-artifact-dir",
        dir,
    ];
    args.extend_from_slice(extra);
    gauntlet_with_env(&args, env)
}

/// Reads an artifact as JSON.
pub fn json(dir: &Path, file: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Reads the per-request JSONL export.
pub fn jsonl(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("profile_export.jsonl"))
        .expect("profile_export.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSONL line"))
        .collect()
}

/// stdout + stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A metric's statistic from profile_export_aiperf.json.
pub fn stat(export: &serde_json::Value, tag: &str, stat: &str) -> f64 {
    export[tag][stat]
        .as_f64()
        .unwrap_or_else(|| panic!("{tag}.{stat} missing in {}", export[tag]))
}

/// A mock server with fixed TTFT and ITL in milliseconds.
pub fn mock(ttft_ms: u64, itl_ms: u64) -> MockServer {
    MockServer::start(MockConfig {
        ttft: LatencyModel::Fixed(std::time::Duration::from_millis(ttft_ms)),
        itl: LatencyModel::Fixed(std::time::Duration::from_millis(itl_ms)),
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

/// A mock server (no latency) that keeps every request body it receives.
pub fn capturing_mock() -> MockServer {
    MockServer::start(MockConfig {
        capture_requests: true,
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

/// The JSON bodies a [`capturing_mock`] received, in arrival order.
pub fn captured_bodies(server: &MockServer) -> Vec<serde_json::Value> {
    server
        .stats()
        .captured_requests()
        .iter()
        .map(|b| serde_json::from_slice(b).expect("a JSON body"))
        .collect()
}

/// Runs `profile` against `server` and fails with the whole output when it does not succeed.
pub fn profile_ok(server: &MockServer, dir: &Path, extra: &[&str]) {
    let out = profile(&server.url(), dir, extra);
    assert!(out.status.success(), "{}", text(&out));
}

/// The `Plan` that `gauntlet profile ARGS…` would run (without the leading `gauntlet profile`).
pub fn plan_from_args(args: &[&str]) -> gauntlet::config::Plan {
    use clap::Parser;
    let mut full = vec!["gauntlet", "profile"];
    full.extend_from_slice(args);
    let cli = gauntlet::cli::Cli::try_parse_from(full).expect("valid flags");
    let gauntlet::cli::Command::Profile(profile) = cli.command else {
        panic!("profile expected")
    };
    profile.into_plan(String::new()).expect("a valid plan")
}
