//! End-to-end: `--goodput` and `--slice-duration` against the built-in mock server, each
//! figure checked against what the test recomputes from `profile_export.jsonl`.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// The mock with a normal TTFT (mean 20 ms, sd 8 ms), 1 ms per token, every 9th request
/// failing: some requests meet a 20 ms TTFT objective, some miss it, some fail.
fn jittery_mock() -> MockServer {
    MockServer::start(MockConfig {
        ttft: LatencyModel::from_ms(20.0, 8.0),
        itl: LatencyModel::from_ms(1.0, 0.0),
        fail_every: Some(9),
        ..MockConfig::default()
    })
    .expect("mock server starts")
}

fn value(line: &Value, tag: &str) -> Option<f64> {
    line["metrics"][tag]["value"].as_f64()
}

/// What the test, not gauntlet, says about one JSONL line: good or not, and what it missed.
fn recomputed(line: &Value, ttft_ms: f64, latency_ms: f64) -> (bool, Vec<&'static str>) {
    if !line["error"].is_null() {
        return (false, vec![]);
    }
    let mut missed = vec![];
    if value(line, "time_to_first_token").is_none_or(|v| v > ttft_ms) {
        missed.push("time_to_first_token");
    }
    if value(line, "request_latency").is_none_or(|v| v > latency_ms) {
        missed.push("request_latency");
    }
    (missed.is_empty(), missed)
}

fn run_goodput(server: &MockServer, dir: &Path, extra: &[&str]) {
    let mut flags = vec![
        "--streaming",
        "--isl",
        "8",
        "--osl",
        "4",
        "--request-count",
        "60",
        "--concurrency",
        "4",
        "--tolerated-error-rate",
        "100",
        "--goodput",
        "time_to_first_token:20 request_latency:26",
    ];
    flags.extend_from_slice(extra);
    let out = profile(&server.url(), dir, &flags);
    assert!(out.status.success(), "{}", text(&out));
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(console.contains("Goodput (requests/sec)"), "{console}");
    assert!(console.contains("Good Request Count"), "{console}");
}

#[test]
fn good_count_equals_the_count_recomputed_from_the_jsonl() {
    let server = jittery_mock();
    let dir = artifact_dir("goodput-normal-ttft");
    run_goodput(&server, &dir, &[]);
    let export = json(&dir, "profile_export_aiperf.json");
    let lines = jsonl(&dir);
    assert_eq!(lines.len(), 60);
    let mut good = 0;
    let mut failed = 0;
    for line in &lines {
        let (is_good, missed) = recomputed(line, 20.0, 26.0);
        assert_eq!(line["goodput"]["good"], is_good, "{line}");
        assert_eq!(
            line["goodput"]["missed"],
            serde_json::json!(missed),
            "{line}"
        );
        good += u64::from(is_good);
        failed += u64::from(!line["error"].is_null());
    }
    // The objective splits the run: neither all good nor none, and failures are never good.
    assert!(
        good > 5 && good + failed < 55,
        "good {good}, failed {failed}"
    );
    assert!(failed >= 6, "failed {failed}");
    assert_eq!(stat(&export, "good_request_count", "avg"), good as f64);
    let duration = stat(&export, "benchmark_duration", "avg");
    let goodput = stat(&export, "goodput", "avg");
    assert!((goodput - good as f64 / duration).abs() < 1e-6 * goodput.max(1.0));
    let fraction = stat(&export, "good_request_fraction", "avg");
    assert!((fraction - good as f64 / 60.0).abs() < 1e-9, "{fraction}");
    let csv = std::fs::read_to_string(dir.join("profile_export_aiperf.csv")).unwrap();
    assert!(
        csv.contains(&format!("Good Request Count,{good}.00")),
        "{csv}"
    );
    assert!(csv.contains("Goodput (requests/sec),"), "{csv}");
}

#[test]
fn goodput_reaches_the_repeat_aggregate_and_each_session_turn() {
    let server = jittery_mock();
    let dir = artifact_dir("goodput-repeats-sessions");
    run_goodput(
        &server,
        &dir,
        &["--num-profile-runs", "2", "--conversation-turn-mean", "3"],
    );
    let mut per_run = vec![];
    for run in ["run_0001", "run_0002"] {
        let run_dir = dir.join("profile_runs").join(run);
        let export = json(&run_dir, "profile_export_aiperf.json");
        let lines = jsonl(&run_dir);
        assert!(lines.iter().any(|l| l["metadata"]["turn_index"] == 2));
        let good = lines.iter().filter(|l| recomputed(l, 20.0, 26.0).0).count();
        assert_eq!(stat(&export, "good_request_count", "avg"), good as f64);
        per_run.push(good as f64);
    }
    let aggregate = json(
        &dir.join("aggregate"),
        "profile_export_aiperf_aggregate.json",
    );
    let values = &aggregate["metrics"]["good_request_count"]["value"]["values"];
    assert_eq!(
        values,
        &serde_json::json!(per_run),
        "{}",
        aggregate["metrics"]
    );
    assert!(aggregate["metrics"]["goodput"]["value"]["mean"].is_number());
}

#[test]
fn bad_goodput_pieces_are_refused_in_one_line() {
    let server = mock(0, 0);
    let dir = artifact_dir("goodput-bad");
    for (goodput, piece) in [
        ("ttft:100", "'ttft' is not a per-request metric tag"),
        ("time_to_first_token:fast", "'time_to_first_token:fast'"),
        (
            "time_to_first_token",
            "'time_to_first_token' is not tag:value",
        ),
    ] {
        let out = profile(&server.url(), &dir, &["--goodput", goodput]);
        assert!(!out.status.success(), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr.lines().find(|l| l.contains(piece));
        assert!(
            line.is_some_and(|l| l.contains("--goodput")),
            "{goodput}: {}",
            text(&out)
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(server.stats().snapshot().chat_requests, 0);
}

fn slice_value(slice: &Value, tag: &str) -> f64 {
    slice[tag]["avg"]
        .as_f64()
        .unwrap_or_else(|| panic!("{tag} missing in slice {}", slice["timeslice_index"]))
}

#[test]
fn time_slices_add_up_to_the_runs_counts() {
    let server = jittery_mock();
    let dir = artifact_dir("timeslices");
    let flags = [
        "--streaming",
        "--isl",
        "8",
        "--osl",
        "4",
        "--benchmark-duration",
        "1.2",
        "--concurrency",
        "3",
        "--tolerated-error-rate",
        "100",
        "--slice-duration",
        "0.25",
        "--goodput",
        "time_to_first_token:20",
    ];
    let out = profile(&server.url(), &dir, &flags);
    assert!(out.status.success(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    let doc = json(&dir, "profile_export_aiperf_timeslices.json");
    let slices = doc["timeslices"].as_array().unwrap();
    // 1.2 s of starts in 0.25 s slices: 5, and a sixth when the last request ends past 1.25 s.
    assert!((5..=6).contains(&slices.len()), "{} slices", slices.len());
    for (i, slice) in slices.iter().enumerate() {
        assert_eq!(slice["timeslice_index"], i);
        assert!(slice_value(slice, "request_count") > 0.0 || i == 5);
    }
    for tag in [
        "request_count",
        "error_request_count",
        "total_osl",
        "good_request_count",
        "cancelled_request_count",
    ] {
        let sum: f64 = slices.iter().map(|s| slice_value(s, tag)).sum();
        assert_eq!(sum, stat(&export, tag, "avg"), "{tag}");
    }
    // Per-request statistics: the slices' counts add up to the run's.
    let counted: f64 = slices
        .iter()
        .filter_map(|s| s["time_to_first_token"]["count"].as_f64())
        .sum();
    assert_eq!(counted, stat(&export, "time_to_first_token", "count"));
    // Requests in flight × slice width, summed, is every request's time in flight.
    let busy: f64 = slices
        .iter()
        .map(|s| {
            let width = s["end_s"].as_f64().unwrap() - s["start_s"].as_f64().unwrap();
            slice_value(s, "effective_concurrency") * width
        })
        .sum();
    let lines = jsonl(&dir);
    let flight: f64 = lines
        .iter()
        .map(|l| {
            let m = &l["metadata"];
            (m["request_end_ns"].as_u64().unwrap() - m["request_start_ns"].as_u64().unwrap()) as f64
                / 1e9
        })
        .sum();
    assert!((busy - flight).abs() < 1e-6, "{busy} vs {flight}");
    let mean_in_flight = stat(&export, "effective_concurrency", "avg");
    assert!(
        mean_in_flight > 2.0 && mean_in_flight <= 3.0,
        "{mean_in_flight}"
    );
    // The CSV holds the JSON's numbers, tidy.
    let csv = std::fs::read_to_string(dir.join("profile_export_aiperf_timeslices.csv")).unwrap();
    assert!(csv.starts_with("Timeslice,Metric,Unit,Stat,Value\r\n"));
    let row = format!(
        "1,Request Count,requests,avg,{:.2}\r\n",
        slice_value(&slices[1], "request_count")
    );
    assert!(csv.contains(&row), "{row} not in\n{csv}");
    assert!(csv.contains("0,Time to First Token,ms,p99,"), "{csv}");
}

#[test]
fn a_bad_slice_duration_is_refused_in_one_line() {
    let server = mock(0, 0);
    let dir = artifact_dir("timeslices-bad");
    let out = profile(&server.url(), &dir, &["--slice-duration", "0"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("--slice-duration") && l.contains("positive")),
        "{stderr}"
    );
}

#[test]
fn cancelled_requests_are_an_aggregate_and_in_flight_time_is_effective_concurrency() {
    let server = mock(5, 2);
    let dir = artifact_dir("cancelled-aggregate");
    let flags = [
        "--streaming",
        "--isl",
        "8",
        "--osl",
        "30",
        "--request-count",
        "40",
        "--concurrency",
        "4",
        "--request-cancellation-rate",
        "25",
        "--request-cancellation-delay",
        "0.02",
        "--tolerated-error-rate",
        "100",
    ];
    let out = profile(&server.url(), &dir, &flags);
    assert!(out.status.code().is_some(), "{}", text(&out));
    let export = json(&dir, "profile_export_aiperf.json");
    let lines = jsonl(&dir);
    let cancelled = lines
        .iter()
        .filter(|l| l["metadata"]["was_cancelled"] == true)
        .count();
    assert!(cancelled > 0, "{}", text(&out));
    assert_eq!(
        stat(&export, "cancelled_request_count", "avg"),
        cancelled as f64
    );
    let ns = |l: &Value, k: &str| l["metadata"][k].as_u64().unwrap() as f64;
    let flight: f64 = lines
        .iter()
        .map(|l| ns(l, "request_end_ns") - ns(l, "request_start_ns"))
        .sum();
    let first = lines
        .iter()
        .map(|l| ns(l, "request_start_ns"))
        .fold(f64::MAX, f64::min);
    let last = lines
        .iter()
        .map(|l| ns(l, "request_end_ns"))
        .fold(0.0, f64::max);
    let want = flight / (last - first);
    let got = stat(&export, "effective_concurrency", "avg");
    // The JSONL's epoch stamps come through one anchor: the same differences, to rounding.
    assert!((got - want).abs() < 1e-3 * want, "{got} vs {want}");
    assert!(got > 3.0 && got <= 4.0, "{got}");
}

#[test]
fn prefill_throughput_and_osl_comparison_per_request() {
    let server = mock(8, 1);
    let dir = artifact_dir("prefill-osl");
    let flags = [
        "--streaming",
        "--isl",
        "64",
        "--osl",
        "12",
        "--request-count",
        "12",
        "--concurrency",
        "2",
    ];
    let out = profile(&server.url(), &dir, &flags);
    assert!(out.status.success(), "{}", text(&out));
    // The mock honours max_tokens: every request compared, none missed, no warning.
    assert!(
        !text(&out).contains("max_tokens by more than"),
        "{}",
        text(&out)
    );
    let export = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&export, "osl_mismatch_count", "avg"), 0.0);
    assert_eq!(stat(&export, "osl_mismatch_diff_pct", "count"), 12.0);
    for line in jsonl(&dir) {
        let isl = value(&line, "input_sequence_length").unwrap();
        let ttft_ms = value(&line, "time_to_first_token").unwrap();
        let prefill = value(&line, "prefill_throughput_per_user").unwrap();
        assert!(
            (prefill - isl / (ttft_ms / 1e3)).abs() < 1e-6 * prefill,
            "{line}"
        );
        assert_eq!(value(&line, "osl_mismatch_diff_pct"), Some(0.0), "{line}");
    }
}

#[test]
fn a_sweep_reports_goodput_per_variation() {
    let server = jittery_mock();
    let dir = artifact_dir("goodput-sweep");
    let flags = [
        "--streaming",
        "--osl",
        "4",
        "--request-count",
        "24",
        "--concurrency",
        "1,3",
        "--tolerated-error-rate",
        "100",
        "--goodput",
        "time_to_first_token:20",
    ];
    let out = profile(&server.url(), &dir, &flags);
    assert!(out.status.success(), "{}", text(&out));
    let csv = std::fs::read_to_string(dir.join("sweep_summary.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|h| *h == "Goodput (requests/sec)")
        .unwrap_or_else(|| panic!("{csv}"));
    let mut rows = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.join("profile_export_aiperf.json").exists() {
            continue;
        }
        let export = json(&path, "profile_export_aiperf.json");
        let good = jsonl(&path)
            .iter()
            .filter(|l| l["goodput"]["good"] == true)
            .count();
        assert_eq!(stat(&export, "good_request_count", "avg"), good as f64);
        let goodput = stat(&export, "goodput", "avg");
        assert!(
            csv.lines()
                .any(|l| l.split(',').nth(column) == Some(&format!("{goodput:.4}"))),
            "{goodput:.4} not in\n{csv}"
        );
        rows += 1;
    }
    assert_eq!(rows, 2, "{csv}");
}
