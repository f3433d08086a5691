//! AIPerf's request controls on the real binary against the mock: `--request-cancellation-rate`
//! / `-delay` cancel a seed-determined share of requests at their deadline, counted apart from
//! errors and left out of the latencies; `--failed-request-threshold` stops a failing run like
//! Ctrl-C (partial artifacts, one line saying why, exit 4).

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

/// Each request streams 30 tokens 10 ms apart (~300 ms), far longer than the 50 ms delay.
fn cancelling_run(server: &MockServer, dir: &Path, seed: &str) -> Output {
    profile(
        &server.url(),
        dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "30",
            "--request-count",
            "40",
            "--concurrency",
            "8",
            "--random-seed",
            seed,
            "--request-cancellation-rate",
            "25",
            "--request-cancellation-delay",
            "0.05",
        ],
    )
}

fn accounting(dir: &Path) -> [u64; 5] {
    let export = json(dir, "profile_export_aiperf.json");
    let acc = &export["request_accounting"];
    let n = |k: &str| acc[k].as_u64().unwrap_or_else(|| panic!("{k} in {acc}"));
    [
        n("scheduled"),
        n("completed"),
        n("failed"),
        n("cancelled"),
        n("not_sent"),
    ]
}

fn cancelled_requests(dir: &Path) -> Vec<u64> {
    jsonl(dir)
        .iter()
        .filter(|l| l["metadata"]["was_cancelled"] == true)
        .map(|l| l["metadata"]["session_num"].as_u64().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn a_seeded_share_of_requests_is_cancelled_at_its_deadline_and_counted_apart() {
    let server = mock(0, 10);
    let dir = artifact_dir("cancel-rate");
    let out = cancelling_run(&server, &dir, "5");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let [scheduled, completed, failed, cancelled, not_sent] = accounting(&dir);
    assert_eq!(scheduled, 40);
    assert_eq!(failed, 0, "cancelled requests are not errors");
    assert_eq!(not_sent, 0);
    assert_eq!(completed + cancelled, 40, "the identity holds");
    // Binomial(40, 0.25): mean 10; the seed fixes the draw, these bounds only catch a
    // rate read as a fraction (0.25%) or as all.
    assert!((3..=20).contains(&cancelled), "cancelled {cancelled}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = format!(
        "40 scheduled = {completed} succeeded + 0 failed + {cancelled} cancelled + 0 not sent"
    );
    assert!(stdout.contains(&line), "{}", text(&out));

    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(export["was_cancelled"], false, "the run itself is complete");
    assert_eq!(export["is_complete"], true);
    assert_eq!(stat(&export, "request_count", "avg"), completed as f64);
    // Cancelled requests end ~50 ms after they were sent; the completed ones take ~300 ms.
    // The statistics cover only the completed ones.
    let min_latency = stat(&export, "request_latency", "min");
    assert!(min_latency > 200.0, "request_latency min {min_latency} ms");

    let lines = jsonl(&dir);
    let cancelled_lines: Vec<_> = lines
        .iter()
        .filter(|l| l["metadata"]["was_cancelled"] == true)
        .collect();
    assert_eq!(cancelled_lines.len() as u64, cancelled);
    for line in cancelled_lines {
        let m = &line["metadata"];
        let lasted_ms = (m["request_end_ns"].as_u64().unwrap()
            - m["request_start_ns"].as_u64().unwrap()) as f64
            / 1e6;
        assert!(
            (45.0..250.0).contains(&lasted_ms),
            "a cancelled request lasted {lasted_ms} ms: {line}"
        );
        assert!(line.get("error").is_none(), "not an error: {line}");
    }

    // The same seed cancels the same requests; the choice does not depend on timing.
    let again = artifact_dir("cancel-rate-again");
    let out = cancelling_run(&server, &again, "5");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(accounting(&again)[3], cancelled);
    assert_eq!(cancelled_requests(&again), cancelled_requests(&dir));
}

#[test]
fn a_delay_without_a_rate_and_a_bad_threshold_are_refused_in_one_line() {
    let dir = artifact_dir("controls-refused");
    for (flags, named) in [
        (
            &["--request-cancellation-delay", "1"][..],
            "--request-cancellation-delay",
        ),
        (
            &["--request-cancellation-rate", "150"][..],
            "--request-cancellation-rate",
        ),
        (
            &["--failed-request-threshold", "2.5"][..],
            "--failed-request-threshold",
        ),
    ] {
        let out = profile("http://127.0.0.1:9", &dir, flags);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{}", text(&out));
        assert!(stderr.contains(named), "{}", text(&out));
    }
}

/// Every second request answers HTTP 500 at once; the others stream 20 tokens 5 ms apart.
fn failing_run(dir: &Path, threshold: &str, requests: &str) -> Output {
    let server = MockServer::start(MockConfig {
        fail_every: Some(2),
        itl: LatencyModel::Fixed(std::time::Duration::from_millis(5)),
        ..MockConfig::default()
    })
    .unwrap();
    profile(
        &server.url(),
        dir,
        &[
            "--streaming",
            "--isl",
            "8",
            "--osl",
            "20",
            "--request-count",
            requests,
            "--concurrency",
            "4",
            "--failed-request-threshold",
            threshold,
        ],
    )
}

fn assert_stopped_by_threshold(dir: &Path, out: &Output, threshold: &str) -> [u64; 5] {
    assert_eq!(out.status.code(), Some(4), "{}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("stopping:"))
        .collect();
    assert_eq!(why.len(), 1, "{}", text(out));
    assert!(
        why[0].contains(&format!("--failed-request-threshold {threshold}")),
        "{}",
        text(out)
    );
    let export = json(dir, "profile_export_aiperf.json");
    assert_eq!(export["was_cancelled"], true, "{}", text(out));
    assert_eq!(export["is_complete"], false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("PARTIAL RUN"));
    let acc = accounting(dir);
    let [scheduled, completed, failed, cancelled, not_sent] = acc;
    assert_eq!(completed + failed + cancelled + not_sent, scheduled);
    assert_eq!(scheduled, 400);
    assert!(not_sent > 300, "the run stopped early: {acc:?}");
    assert_eq!(jsonl(dir).len() as u64, completed + failed + cancelled);
    acc
}

#[test]
fn a_failure_ratio_above_the_threshold_stops_the_run_with_partial_artifacts() {
    let dir = artifact_dir("threshold-ratio");
    let out = failing_run(&dir, "0.2", "400");
    let [_, completed, failed, _, _] = assert_stopped_by_threshold(&dir, &out, "0.2");
    // Checked once max(concurrency 4, 10) = 10 requests have finished.
    assert!(completed + failed >= 10, "{}", text(&out));
}

#[test]
fn a_failure_count_stops_the_run_and_a_threshold_not_reached_changes_nothing() {
    let dir = artifact_dir("threshold-count");
    let out = failing_run(&dir, "3", "400");
    let [_, _, failed, _, _] = assert_stopped_by_threshold(&dir, &out, "3");
    assert!(failed >= 3, "{}", text(&out));

    // Half the requests fail, under a 0.9 threshold: the run goes to its end and exits 1
    // (failures above --tolerated-error-rate), complete.
    let dir = artifact_dir("threshold-not-reached");
    let out = failing_run(&dir, "0.9", "20");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("stopping:"));
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(export["is_complete"], true);
    assert_eq!(accounting(&dir), [20, 10, 10, 0, 0]);
}

/// A server that reads nothing for 300 ms, through a 4 KiB receive buffer, then everything
/// until the client hangs up; returns the bytes it got.
fn slow_reading_server() -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let size: libc::c_int = 4096;
    // SAFETY: setsockopt on a socket this test owns, with a c_int option of its own size;
    // accepted sockets inherit the buffer size.
    unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let mut got = Vec::new();
        let _ = conn.read_to_end(&mut got);
        got
    });
    (port, server)
}

#[test]
fn a_cancellation_delay_counts_from_the_whole_request_written() {
    // A ~15 MB request (a 60 s stereo WAV clip, base64; above the kernel's 4 MiB most for a
    // socket's send buffer) cannot be written at once into a server that is not reading: with
    // a delay of 0 the server must still get all of it before the disconnect (AIPerf's
    // timer starts once the request is fully sent).
    let (port, server) = slow_reading_server();
    let dir = artifact_dir("cancel-after-write");
    let url = format!("http://127.0.0.1:{port}");
    let out = profile(
        &url,
        &dir,
        &[
            "--isl",
            "16",
            "--audio-length-mean",
            "60",
            "--audio-sample-rates",
            "48",
            "--audio-depths",
            "16",
            "--audio-num-channels",
            "2",
            "--audio-format",
            "wav",
            "--osl",
            "1",
            "--request-count",
            "1",
            "--num-dataset-entries",
            "1",
            "--request-cancellation-rate",
            "100",
            "--request-cancellation-delay",
            "0",
            "--request-timeout-seconds",
            "20",
            // The server takes one connection: no /metrics scrapes.
            "--no-server-metrics",
            "--no-gpu-telemetry",
        ],
    );
    let got = server.join().unwrap();
    assert_eq!(accounting(&dir), [1, 0, 0, 1, 0], "{}", text(&out));
    let head_end = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a request head")
        + 4;
    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("Content-Length")
        .trim()
        .parse()
        .unwrap();
    assert!(
        length > 200_000,
        "a request too small to test with: {length} bytes"
    );
    assert_eq!(got.len() - head_end, length, "the whole body arrived");
}
