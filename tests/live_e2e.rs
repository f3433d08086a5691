//! End-to-end: what a run shows while it runs (`--ui-type`). The views need a terminal, so
//! the runs that check them are started under `script` (util-linux), which gives them one;
//! where `script` is missing those checks say so and stop.

mod common;

use std::process::Command;

use common::*;

/// Runs `gauntlet ARGS…` with a terminal as stdin, stdout and stderr; returns what the
/// terminal received, or `None` when `script` is not installed.
fn in_a_terminal(args: &[&str]) -> Option<(bool, String)> {
    // A new pseudo-terminal has no size; give it one before the run draws on it.
    let line = std::iter::once(env!("CARGO_BIN_EXE_gauntlet"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let line = format!("stty cols 160 rows 40 && {line}");
    let out = Command::new("script")
        .args(["-qefc", &line, "/dev/null"])
        .env("GAUNTLET_CACHE_DIR", cache_dir())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

fn run_args<'a>(url: &'a str, dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "profile",
        "--model",
        "mock-model",
        "--url",
        url,
        "--streaming",
        "--isl",
        "16",
        "--osl",
        "8",
        "--concurrency",
        "4",
        "--request-count",
        "400",
        "--output-artifact-dir",
        dir,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn the_progress_line_shows_rate_in_flight_errors_and_p50_ttft() {
    let server = mock(3, 1);
    let dir = artifact_dir("live-progress");
    let url = server.url();
    let Some((ok, screen)) = in_a_terminal(&run_args(&url, dir.to_str().unwrap(), &[])) else {
        eprintln!("`script` is not installed: the terminal checks are skipped");
        return;
    };
    assert!(ok, "{screen}");
    for want in ["req/s · ", " in flight · ", " errors · p50 TTFT ", " ms"] {
        assert!(screen.contains(want), "{want:?} not in:\n{screen}");
    }
}

#[test]
fn the_dashboard_takes_the_screen_and_gives_it_back() {
    let server = mock(3, 1);
    let dir = artifact_dir("live-dashboard");
    let url = server.url();
    let args = run_args(&url, dir.to_str().unwrap(), &["--ui", "dashboard"]);
    let Some((ok, screen)) = in_a_terminal(&args) else {
        eprintln!("`script` is not installed: the terminal checks are skipped");
        return;
    };
    assert!(ok, "{screen}");
    // Enter the alternate screen, draw, leave it, then print the report on the normal one.
    let enter = screen
        .find("\x1b[?1049h")
        .expect("entered the alternate screen");
    let leave = screen
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    assert!(enter < leave);
    let drawn = &screen[enter..leave];
    // ratatui moves the cursor over blanks, so words are checked one by one.
    for want in [
        "gauntlet",
        "Latency",
        "TTFT",
        "Errors",
        "Requests/s,",
        "0/400 requests",
        "in flight",
        "Ctrl-C stops the run",
        // A gauge of the mock's /metrics, scraped by default, shown live.
        "vllm:num_requests_running",
    ] {
        assert!(drawn.contains(want), "{want:?} not drawn:\n{drawn}");
    }
    let after = &screen[leave..];
    assert!(after.contains("LLM Metrics"), "{after}");
    let (hidden, shown) = (screen.rfind("\x1b[?25l"), screen.rfind("\x1b[?25h"));
    assert!(shown > hidden, "the cursor is shown again");
    // Stderr written while the dashboard showed comes out after it.
    assert!(!drawn.contains("GPU telemetry off") || after.contains("GPU telemetry off"));
}

#[test]
fn without_a_terminal_the_dashboard_falls_back_with_a_note() {
    let server = mock(0, 0);
    let dir = artifact_dir("live-no-terminal");
    let out = profile(
        &server.url(),
        &dir,
        &["--request-count", "5", "--ui-type", "dashboard"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--ui-type dashboard: stderr is not a terminal; showing plain output instead"),
        "{err}"
    );
    assert!(!err.contains("\x1b[?1049h"), "{err}");
    let out = profile(
        &server.url(),
        &dir,
        &["--request-count", "5", "--ui", "fancy"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dashboard, simple, none"));
}
