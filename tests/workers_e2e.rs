//! Scale-out without a cluster (issue #22): three `gauntlet profile` worker processes, each
//! told its index through `JOB_COMPLETION_INDEX` as a Kubernetes Indexed Job would, share one
//! plan and start at one `--start-at`; `gauntlet merge` makes one run of them, which must
//! match one process running the same plan.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::Value;

const WORKERS: u32 = 3;

/// `--start-at` a few seconds ahead, as Unix seconds with a fraction.
fn start_at(ahead_s: f64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{:.3}", now.as_secs_f64() + ahead_s)
}

/// Runs the three workers at once (each its own process) into `dir/worker-K/`.
fn run_workers(url: &str, dir: &Path, flags: &[&str]) {
    let start = start_at(2.5);
    let handles: Vec<_> = (0..WORKERS)
        .map(|k| {
            let (url, dir, start) = (url.to_string(), dir.to_path_buf(), start.clone());
            let mut flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
            flags.extend(["--worker-count".into(), WORKERS.to_string()]);
            flags.extend(["--start-at".into(), start]);
            std::thread::spawn(move || {
                let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
                let index = k.to_string();
                let out = profile_with_env(
                    &url,
                    &dir,
                    &flags,
                    &[("JOB_COMPLETION_INDEX", index.as_str())],
                );
                assert!(out.status.success(), "worker {k}: {}", text(&out));
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a worker thread");
    }
}

fn merge(inputs: &[&Path], output: &Path) -> std::process::Output {
    let mut args = vec!["merge".to_string()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--output".into(), output.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    gauntlet(&args)
}

fn merged(dir: &Path) -> PathBuf {
    let out_dir = dir.join("merged");
    let out = merge(&[dir], &out_dir);
    assert!(out.status.success(), "{}", text(&out));
    out_dir
}

/// The numpy-linear percentile, computed here from the lines, independently of the crate.
fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (values.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (rank - lo as f64)
}

fn metric(line: &Value, tag: &str) -> Option<f64> {
    line["metrics"][tag]["value"].as_f64()
}

fn profiling(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["metadata"]["benchmark_phase"] == "profiling")
        .collect()
}

/// Each line's (request index, conversation, turn, input length): which requests were sent.
fn request_set(lines: &[Value]) -> BTreeSet<(u64, String, u64, u64)> {
    lines
        .iter()
        .map(|l| {
            let m = &l["metadata"];
            (
                m["session_num"].as_u64().unwrap(),
                m["conversation_id"].as_str().unwrap().to_string(),
                m["turn_index"].as_u64().unwrap(),
                metric(l, "input_sequence_length").unwrap_or(0.0) as u64,
            )
        })
        .collect()
}

fn sorted_bodies(server: &MockServer) -> Vec<String> {
    let mut bodies: Vec<String> = captured_bodies(server)
        .iter()
        .map(Value::to_string)
        .collect();
    bodies.sort();
    bodies
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The merged export against one process's, and against its own merged JSONL.
fn check_merge(single: &Path, out: &Path) -> Vec<Value> {
    let one = json(single, "profile_export_aiperf.json");
    let all = json(out, "profile_export_aiperf.json");
    for tag in [
        "request_count",
        "total_isl",
        "total_osl",
        "error_request_count",
    ] {
        assert_eq!(all[tag]["avg"], one[tag]["avg"], "{tag}");
    }
    let (a, o) = (&all["request_accounting"], &one["request_accounting"]);
    assert_eq!(a, o, "the accounting adds up as one process's");
    let lines = jsonl(out);
    let profiled = profiling(&lines);
    for tag in [
        "time_to_first_token",
        "request_latency",
        "inter_token_latency",
    ] {
        let values: Vec<f64> = profiled.iter().filter_map(|l| metric(l, tag)).collect();
        if values.is_empty() {
            assert!(all[tag].is_null(), "{tag} without values in the lines");
            continue;
        }
        assert_eq!(
            all[tag]["count"].as_u64(),
            Some(values.len() as u64),
            "{tag}"
        );
        for (key, p) in [
            ("p50", 50.0),
            ("p90", 90.0),
            ("p99", 99.0),
            ("min", 0.0),
            ("max", 100.0),
        ] {
            let want = percentile(values.clone(), p);
            let got = all[tag][key].as_f64().unwrap();
            assert!(
                close(got, want),
                "{tag} {key}: merged {got}, from the JSONL {want}"
            );
        }
    }
    // Throughput over the union's wall-clock span: first send to last end, any worker.
    let first = profiled
        .iter()
        .map(|l| l["metadata"]["request_start_ns"].as_u64().unwrap())
        .min()
        .unwrap();
    let last = profiled
        .iter()
        .map(|l| l["metadata"]["request_end_ns"].as_u64().unwrap())
        .max()
        .unwrap();
    let span_s = (last - first) as f64 / 1e9;
    assert!(close(stat(&all, "benchmark_duration", "avg"), span_s));
    let count = stat(&all, "request_count", "avg");
    assert!(close(
        stat(&all, "request_throughput", "avg"),
        count / span_s
    ));
    // Lines in send-time order.
    let starts: Vec<u64> = lines
        .iter()
        .map(|l| l["metadata"]["request_start_ns"].as_u64().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
    lines
}

#[test]
fn three_workers_merged_equal_one_process_closed_loop() {
    let flags = [
        "--streaming",
        "--isl",
        "24",
        "--osl",
        "6",
        "--concurrency",
        "4",
        "--warmup-request-count",
        "4",
        "--request-count",
        "31",
        "--num-dataset-entries",
        "40",
    ];
    let single_server = capturing_mock();
    let single = artifact_dir("workers-closed-single");
    profile_ok(&single_server, &single, &flags);

    let workers_server = capturing_mock();
    let dir = artifact_dir("workers-closed");
    run_workers(&workers_server.url(), &dir, &flags);
    // Each worker kept its share: the phase's ticket n on worker n % 3 (the 4 warmup
    // requests are 0-3, the profiling phase's tickets start at 4).
    for k in 0..WORKERS {
        let wdir = dir.join(format!("worker-{k}"));
        let info = json(&wdir, "worker.json");
        assert_eq!(
            (info["index"].as_u64(), info["count"].as_u64()),
            (Some(k as u64), Some(3))
        );
        for line in jsonl(&wdir) {
            let index = line["metadata"]["session_num"].as_u64().unwrap();
            let n = if line["metadata"]["phase_index"] == 0 {
                index
            } else {
                index - 4
            };
            assert_eq!(n % 3, k as u64, "worker {k} sent request {index}");
        }
    }
    // The same bodies, all of them, whichever process sent them.
    assert_eq!(
        sorted_bodies(&workers_server),
        sorted_bodies(&single_server)
    );

    let out = merged(&dir);
    let lines = check_merge(&single, &out);
    check_telemetry(&dir, &out);
    assert_eq!(lines.len(), 35);
    assert_eq!(request_set(&lines), request_set(&jsonl(&single)));
    let all = json(&out, "profile_export_aiperf.json");
    assert_eq!(all["request_accounting"]["scheduled"], 35);
    assert_eq!(all["request_count"]["avg"], 31.0);
    assert!(
        std::fs::read_to_string(out.join("profile_export_console.txt"))
            .unwrap()
            .contains("Time to First Token")
    );
    assert!(out.join("profile_export_aiperf.csv").is_file());

    // Mismatched sets are refused in one line naming the folder.
    let w = |k: u32| dir.join(format!("worker-{k}"));
    let scratch = dir.join("scratch");
    let refused = |inputs: &[&Path], needle: &str| {
        let out = merge(inputs, &scratch);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(needle), "{needle} not in {stderr}");
    };
    refused(&[&w(0), &w(1)], "worker 2 of 3 is missing");
    refused(&[&w(0), &w(1), &w(1)], "worker index 1 again");
    refused(&[&single], "worker.json");
    let other = dir.join("other-run");
    copy_dir(&w(2), &other);
    let info = std::fs::read_to_string(other.join("worker.json")).unwrap();
    let mut info: Value = serde_json::from_str(&info).unwrap();
    info["plan_hash"] = "0000".into();
    std::fs::write(other.join("worker.json"), info.to_string()).unwrap();
    refused(&[&w(0), &w(1), &other], "other-run");
}

/// The merged `server_metrics_export.jsonl`: every worker's scrape once, labelled with its
/// worker, on the wall clock through the worker's `worker.json` anchor, in time order.
fn check_telemetry(dir: &Path, out: &Path) {
    let name = "server_metrics_export.jsonl";
    let read = |dir: &Path| -> Vec<Value> {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let merged = read(out);
    let mut expected = 0;
    for k in 0..WORKERS {
        let wdir = dir.join(format!("worker-{k}"));
        let info = json(&wdir, "worker.json");
        let (epoch, mono) = (
            info["anchor_epoch_ns"].as_u64().unwrap(),
            info["anchor_mono_ns"].as_u64().unwrap(),
        );
        let own = read(&wdir);
        assert!(!own.is_empty(), "worker {k} scraped nothing");
        expected += own.len();
        let mine: Vec<&Value> = (merged.iter())
            .filter(|l| l["worker"].as_u64() == Some(k as u64))
            .collect();
        assert_eq!(mine.len(), own.len(), "worker {k}'s scrapes");
        for (m, o) in mine.iter().zip(&own) {
            let through_anchor = o["monotonic_ns"].as_u64().unwrap() + epoch - mono;
            assert_eq!(m["timestamp_ns"].as_u64(), Some(through_anchor));
            assert_eq!(m["samples"], o["samples"]);
        }
    }
    assert_eq!(merged.len(), expected);
    let stamps: Vec<u64> = (merged.iter())
        .map(|l| l["timestamp_ns"].as_u64().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    // The three workers started at one --start-at: their scrapes overlap in time.
    let span = |k: u64| {
        let s: Vec<u64> = (merged.iter())
            .filter(|l| l["worker"].as_u64() == Some(k))
            .map(|l| l["timestamp_ns"].as_u64().unwrap())
            .collect();
        (s[0], s[s.len() - 1])
    };
    let (a, b) = (span(0), span(2));
    assert!(a.0 <= b.1 && b.0 <= a.1, "{a:?} {b:?}");
}

/// `gauntlet plot` over a merged folder draws each worker's server metrics on one time axis.
fn plot_shows_workers(out: &Path) {
    let plot = gauntlet(&["plot", out.to_str().unwrap(), "--format", "svg"]);
    assert!(plot.status.success(), "{}", text(&plot));
    let stdout = String::from_utf8_lossy(&plot.stdout);
    let line = (stdout.lines())
        .find(|l| l.starts_with("wrote ") && l.contains("telemetry_over_time"))
        .unwrap_or_else(|| panic!("no telemetry chart: {stdout}"));
    let path = line["wrote ".len()..].rsplit_once(" (").unwrap().0;
    let svg = std::fs::read_to_string(path).unwrap();
    for k in 0..WORKERS {
        assert!(
            svg.contains(&format!("num_requests_running (worker {k})")),
            "worker {k} missing from {path}"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

#[test]
fn sessions_are_never_split_between_workers() {
    let flags = [
        "--streaming",
        "--isl",
        "16",
        "--osl",
        "4",
        "--concurrency",
        "3",
        "--conversation-num",
        "7",
        "--conversation-turn-mean",
        "3",
        "--conversation-turn-stddev",
        "1",
    ];
    let server = mock(0, 0);
    let single = artifact_dir("workers-sessions-single");
    profile_ok(&server, &single, &flags);
    let dir = artifact_dir("workers-sessions");
    run_workers(&server.url(), &dir, &flags);
    let mut owner: BTreeMap<String, u32> = BTreeMap::new();
    for k in 0..WORKERS {
        for line in jsonl(&dir.join(format!("worker-{k}"))) {
            let session = line["metadata"]["conversation_id"]
                .as_str()
                .unwrap()
                .to_string();
            let first = *owner.entry(session.clone()).or_insert(k);
            assert_eq!(first, k, "session {session} on workers {first} and {k}");
        }
    }
    let out = merged(&dir);
    let lines = check_merge(&single, &out);
    // The same turns of the same sessions (turn request indexes are numbered as they go).
    let turns = |lines: &[Value]| -> BTreeSet<(String, u64, u64)> {
        request_set(lines)
            .into_iter()
            .map(|(_, session, turn, isl)| (session, turn, isl))
            .collect()
    };
    assert_eq!(turns(&lines), turns(&jsonl(&single)));
    assert_eq!(owner.len(), 7);
    // Each worker numbers its turns in its own residue class: no index twice.
    let indexes: BTreeSet<u64> = (lines.iter())
        .map(|l| l["metadata"]["session_num"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes.len(), lines.len());
}

#[test]
fn open_loop_workers_keep_the_single_schedule_instants() {
    let flags = [
        "--isl",
        "16",
        "--osl",
        "4",
        "--request-rate",
        "80",
        "--request-count",
        "40",
        "--slice-duration",
        "0.1",
    ];
    let server = mock(0, 0);
    let single = artifact_dir("workers-rate-single");
    profile_ok(&server, &single, &flags);
    let dir = artifact_dir("workers-rate");
    run_workers(&server.url(), &dir, &flags);
    // Intended send offsets: each request's credit less its phase's origin.
    let one = jsonl(&single);
    let origin = one
        .iter()
        .find(|l| l["metadata"]["session_num"] == 0)
        .map(|l| l["metadata"]["credit_issued_ns"].as_u64().unwrap())
        .unwrap();
    let want: BTreeMap<u64, i64> = one
        .iter()
        .map(|l| {
            let m = &l["metadata"];
            let credit = m["credit_issued_ns"].as_u64().unwrap();
            (m["session_num"].as_u64().unwrap(), (credit - origin) as i64)
        })
        .collect();
    let mut got: BTreeMap<u64, i64> = BTreeMap::new();
    for k in 0..WORKERS {
        let wdir = dir.join(format!("worker-{k}"));
        let info = json(&wdir, "worker.json");
        // A worker ready in time counts its schedule from --start-at itself (up to the drift
        // between its monotonic and wall clocks during the wait), so every worker's instants
        // fall on one wall-clock axis.
        if info["late_s"] == 0.0 {
            let origin = info["phase_origins_ns"][0].as_u64().unwrap() as i64;
            let start_at = info["start_at_ns"].as_u64().unwrap() as i64;
            assert!((origin - start_at).abs() < 2_000_000, "worker {k}: {info}");
        }
        let origins: Vec<u64> = info["phase_origins_ns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        for line in jsonl(&wdir) {
            let m = &line["metadata"];
            let phase = m["phase_index"].as_u64().unwrap() as usize;
            let credit = m["credit_issued_ns"].as_u64().unwrap() as i64;
            let index = m["session_num"].as_u64().unwrap();
            assert!(got.insert(index, credit - origins[phase] as i64).is_none());
        }
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (index, offset) in &want {
        // The same gaps, summed in f64 from a different start: within a few ns.
        let diff = (got[index] - offset).abs();
        assert!(
            diff < 1_000,
            "request {index}: offset {} vs {offset}",
            got[index]
        );
    }
    let out = merged(&dir);
    let lines = check_merge(&single, &out);
    // Time slices on the wall clock, from the earliest worker's profiling start: each
    // request in the slice its send falls in.
    let origin = (0..WORKERS)
        .map(|k| {
            json(&dir.join(format!("worker-{k}")), "worker.json")["phase_origins_ns"][0]
                .as_u64()
                .unwrap()
        })
        .min()
        .unwrap();
    let mut per_slice: BTreeMap<u64, u64> = BTreeMap::new();
    for line in &lines {
        let start = line["metadata"]["request_start_ns"].as_u64().unwrap();
        *per_slice.entry((start - origin) / 100_000_000).or_default() += 1;
    }
    let slices = json(&out, "profile_export_aiperf_timeslices.json");
    let slices = slices["timeslices"].as_array().unwrap();
    assert!(slices.len() >= 3, "{} slices", slices.len());
    for slice in slices {
        let index = slice["timeslice_index"].as_u64().unwrap();
        let count = slice["request_count"]["avg"].as_f64().unwrap_or(0.0) as u64;
        assert_eq!(
            count,
            per_slice.get(&index).copied().unwrap_or(0),
            "slice {index}"
        );
    }
    assert!(out.join("profile_export_aiperf_timeslices.csv").is_file());
}

#[test]
fn worker_flags_are_checked() {
    let dir = artifact_dir("workers-flags");
    let server = mock(0, 0);
    let cases: [(&[&str], &str); 3] = [
        (&["--worker-index", "1"], "--worker-count"),
        (&["--worker-count", "3"], "JOB_COMPLETION_INDEX"),
        (&["--worker-count", "2", "--start-at", "noon"], "--start-at"),
    ];
    for (flags, needle) in cases {
        let out = profile(&server.url(), &dir, flags);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{needle} not in {stderr}");
    }
}

#[test]
fn a_trace_replay_is_shared_row_by_row_at_the_trace_times() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inputs/mooncake_excerpt.jsonl")
        .display()
        .to_string();
    let flags = [
        "--streaming",
        "--input-file",
        &trace,
        "--fixed-schedule",
        "--fixed-schedule-speedup",
        "20",
    ];
    let server = mock(0, 0);
    let single = artifact_dir("workers-trace-single");
    profile_ok(&server, &single, &flags);
    let dir = artifact_dir("workers-trace");
    run_workers(&server.url(), &dir, &flags);
    // Input lengths are unique in the excerpt: each names its row. Offsets from the first
    // release, per row, in one process and across the workers.
    let offsets = |pairs: Vec<(u64, i64)>| -> BTreeMap<u64, i64> {
        let first = pairs.iter().map(|p| p.1).min().unwrap();
        pairs
            .into_iter()
            .map(|(isl, at)| (isl, at - first))
            .collect()
    };
    let isl = |l: &Value| metric(l, "input_sequence_length").unwrap() as u64;
    let credit = |l: &Value| l["metadata"]["credit_issued_ns"].as_u64().unwrap() as i64;
    let want = offsets(jsonl(&single).iter().map(|l| (isl(l), credit(l))).collect());
    let mut pairs = Vec::new();
    for k in 0..WORKERS {
        let wdir = dir.join(format!("worker-{k}"));
        let origin = json(&wdir, "worker.json")["phase_origins_ns"][0]
            .as_u64()
            .unwrap() as i64;
        pairs.extend(jsonl(&wdir).iter().map(|l| (isl(l), credit(l) - origin)));
    }
    assert_eq!(pairs.len(), 8);
    let got = offsets(pairs);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (row, offset) in &want {
        assert!(
            (got[row] - offset).abs() < 1_000,
            "row {row}: {} vs {offset}",
            got[row]
        );
    }
    let out = merged(&dir);
    check_merge(&single, &out);
}

/// Without the per-request JSONL (#22), the merge falls back to the workers' HDR histograms:
/// everything but the percentiles equals the JSONL merge of the same workers, and each
/// percentile is within the error bound the merge states.
#[test]
fn without_the_jsonl_the_merge_uses_histograms_within_the_stated_bound() {
    let flags = [
        "--streaming",
        "--isl",
        "20",
        "--osl",
        "8",
        "--concurrency",
        "4",
        "--request-count",
        "90",
        "--num-dataset-entries",
        "30",
    ];
    let server = mock(0, 0);
    let dir = artifact_dir("workers-histograms");
    run_workers(&server.url(), &dir, &flags);
    let exact_out = merged(&dir);
    let copies = dir.join("no-jsonl");
    for k in 0..WORKERS {
        let to = copies.join(format!("worker-{k}"));
        copy_dir(&dir.join(format!("worker-{k}")), &to);
        std::fs::remove_file(to.join("profile_export.jsonl")).unwrap();
    }
    let hdr_out = dir.join("merged-hdr");
    // A JSONL left by an earlier merge into the folder must not stay beside this one.
    std::fs::create_dir_all(&hdr_out).unwrap();
    std::fs::write(hdr_out.join("profile_export.jsonl"), "{}\n").unwrap();
    let out = merge(&[&copies], &hdr_out);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said: Vec<&str> = (stderr.lines())
        .filter(|l| l.contains("merged HDR histograms"))
        .collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(said[0].contains("within 0.1%"), "{stderr}");
    assert!(!hdr_out.join("profile_export.jsonl").exists());
    check_telemetry(&copies, &hdr_out);
    plot_shows_workers(&hdr_out);

    let exact = json(&exact_out, "profile_export_aiperf.json");
    let hdr = json(&hdr_out, "profile_export_aiperf.json");
    assert_eq!(exact["merge"]["percentiles"], "exact");
    let note = &hdr["merge"];
    assert_eq!(note["percentiles"], "hdr_histograms", "{note}");
    assert_eq!(note["missing"].as_array().unwrap().len(), 3);
    let relative = note["percentile_relative_error"].as_f64().unwrap();
    let absolute_raw = note["percentile_absolute_error_raw_units"]
        .as_f64()
        .unwrap();
    assert_eq!((relative, absolute_raw), (1e-3, 1e-3));
    assert_eq!(hdr["request_accounting"], exact["request_accounting"]);
    assert_eq!(exact["request_count"]["avg"], 90.0);

    let scales = json(&copies.join("worker-0"), "worker_histograms.json");
    let exact_fields = ["count", "sum", "avg", "min", "max"];
    let mut percentiles_checked = 0;
    for (tag, want) in exact.as_object().unwrap() {
        let Some(want_avg) = want.get("avg").and_then(Value::as_f64) else {
            continue;
        };
        let got = &hdr[tag];
        assert!(got.is_object(), "{tag} missing from the histogram merge");
        if want.get("p50").is_none() {
            // A run-level value: counts, totals, throughputs over the union's span.
            let g = got["avg"].as_f64().unwrap();
            assert!(close(g, want_avg), "{tag}: {g} vs exact {want_avg}");
            continue;
        }
        for key in exact_fields {
            let (g, w) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            assert!(close(g, w), "{tag}.{key}: {g} vs exact {w}");
        }
        let (g, w) = (got["std"].as_f64().unwrap(), want["std"].as_f64().unwrap());
        assert!(
            (g - w).abs() <= 1e-6 * w.abs().max(1e-9),
            "{tag}.std: {g} vs exact {w}"
        );
        let unit_scale = scales["metrics"][tag]["unit_scale"].as_f64().unwrap_or(1.0);
        for key in ["p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99"] {
            let (g, w) = (got[key].as_f64().unwrap(), want[key].as_f64().unwrap());
            let bound = relative * w.abs() + absolute_raw / unit_scale + 1e-9 * w.abs();
            assert!(
                (g - w).abs() <= bound,
                "{tag}.{key}: histograms {g}, exact {w}, bound {bound}"
            );
            percentiles_checked += 1;
        }
    }
    assert!(percentiles_checked >= 9 * 5, "{percentiles_checked}");

    // A worker with neither file is refused in one line naming what is missing.
    std::fs::remove_file(copies.join("worker-1").join("worker_histograms.json")).unwrap();
    let out = merge(&[&copies], &dir.join("scratch-hdr"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("worker_histograms.json"), "{stderr}");
}
