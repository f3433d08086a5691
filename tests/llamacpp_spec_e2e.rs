//! SPEED-Bench acceptance against a real llama.cpp server with a draft model.
//!
//! Two tests. The first always runs: it reads a run recorded against a real `llama-server`
//! (tests/fixtures/llamacpp/speed-bench, see its README) and checks the report against the
//! server's own `/metrics` counters taken before and after each category. The second drives
//! a live `llama-server` end to end when `GAUNTLET_LLAMA_SERVER` (the binary),
//! `GAUNTLET_LLAMA_MODEL` and `GAUNTLET_LLAMA_DRAFT` (GGUF files) are set;
//! `scripts/llamacpp-spec-e2e.sh` builds all three and runs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::speed_bench_data::{write_rows, Row, CATEGORIES};
use common::*;
use gauntlet::report::speed_bench::{build_matrix, Metric};

/// `llamacpp:spec_decode_*` counters from exposition text, read with a plain line split (not
/// with gauntlet's parser, so the test does not check the code with itself).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct SpecCounters {
    drafts: f64,
    draft_tokens: f64,
    accepted: f64,
}

fn spec_counters(text: &str) -> SpecCounters {
    let mut c = SpecCounters::default();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(' ') else {
            continue;
        };
        let value: f64 = value.trim().parse().unwrap_or(f64::NAN);
        match name {
            "llamacpp:spec_decode_num_drafts_total" => c.drafts = value,
            "llamacpp:spec_decode_num_draft_tokens_total" => c.draft_tokens = value,
            "llamacpp:spec_decode_num_accepted_tokens_total" => c.accepted = value,
            _ => {}
        }
    }
    c
}

/// (accept length, accept rate) from the counters' rise between two scrapes.
fn acceptance(before: SpecCounters, after: SpecCounters) -> (f64, f64) {
    let drafts = after.drafts - before.drafts;
    let tokens = after.draft_tokens - before.draft_tokens;
    let accepted = after.accepted - before.accepted;
    assert!(drafts > 0.0 && tokens > 0.0, "{before:?} → {after:?}");
    (1.0 + accepted / drafts, accepted / tokens)
}

/// The report's one row, checked against the expected per-category values and their mean.
fn check_matrix(dirs: &[PathBuf], metric: Metric, expected: &[f64], model: &str) {
    let m = build_matrix(dirs, metric).expect("matrix");
    assert_eq!(m.columns, CATEGORIES, "{:?}", m.columns);
    assert_eq!(m.rows.len(), 1);
    let (got_model, cells, overall) = &m.rows[0];
    assert_eq!(got_model, model);
    for ((category, got), want) in CATEGORIES.iter().zip(cells).zip(expected) {
        let got = got.expect("every category has a cell");
        assert!((got - want).abs() < 1e-12, "{category}: {got} != {want}");
    }
    let mean = expected.iter().sum::<f64>() / expected.len() as f64;
    assert!(
        (overall - mean).abs() < 1e-12,
        "Overall {overall} != {mean}"
    );
}

#[test]
fn a_recorded_llama_cpp_run_reports_the_servers_own_counters() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llamacpp/speed-bench");
    let dirs: Vec<PathBuf> = CATEGORIES.iter().map(|c| root.join(c)).collect();
    let (mut lengths, mut rates) = (Vec::new(), Vec::new());
    for dir in &dirs {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let (length, rate) = acceptance(
            spec_counters(&read("metrics_before.txt")),
            spec_counters(&read("metrics_after.txt")),
        );
        lengths.push(length);
        rates.push(rate);
    }
    check_matrix(&dirs, Metric::AcceptLength, &lengths, "tiny-random-qwen2");
    check_matrix(&dirs, Metric::AcceptRate, &rates, "tiny-random-qwen2");
}

/// A `llama-server` child process, killed on drop.
struct LlamaServer {
    child: Child,
    url: String,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_llama_server(binary: &str, model: &str, draft: &str, log: &Path) -> LlamaServer {
    // A port nothing listens on yet, for llama-server to take.
    let port = closed_port();
    let log = std::fs::File::create(log).unwrap();
    let child = Command::new(binary)
        .args(["-m", model, "-md", draft, "--spec-type", "draft-simple"])
        .args([
            "--metrics",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["-c", "4096", "-np", "2"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("llama-server starts");
    let server = LlamaServer {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !get(&format!("{}/health", server.url)).is_some_and(|b| b.contains("ok")) {
        assert!(
            Instant::now() < deadline,
            "llama-server never became healthy"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

/// The body of a 2xx answer to a GET on `url`, or `None` (the server is not up yet).
fn get(url: &str) -> Option<String> {
    let target = gauntlet::telemetry::http_get::HttpTarget::parse(url).ok()?;
    gauntlet::telemetry::http_get::get(&target, Duration::from_secs(10)).ok()
}

#[test]
fn a_live_llama_cpp_server_with_a_draft_model() {
    let var = |name: &str| std::env::var(name).ok();
    let (Some(binary), Some(model), Some(draft)) = (
        var("GAUNTLET_LLAMA_SERVER"),
        var("GAUNTLET_LLAMA_MODEL"),
        var("GAUNTLET_LLAMA_DRAFT"),
    ) else {
        eprintln!(
            "skipped: set GAUNTLET_LLAMA_SERVER, GAUNTLET_LLAMA_MODEL and GAUNTLET_LLAMA_DRAFT \
             (scripts/llamacpp-spec-e2e.sh does)"
        );
        return;
    };
    let base = artifact_dir("llamacpp-live");
    std::fs::create_dir_all(&base).unwrap();
    let server = start_llama_server(&binary, &model, &draft, &base.join("llama-server.log"));
    let data = base.join("questions.parquet");
    let rows: Vec<Row> = CATEGORIES
        .iter()
        .flat_map(|c| {
            (1..=2).map(move |i| {
                (
                    format!("{c}{i}"),
                    c.to_string(),
                    vec![format!(
                        "Question {i} about {c}: explain it in a few sentences."
                    )],
                )
            })
        })
        .collect();
    write_rows(&data, &rows);
    let before = spec_counters(&get(&format!("{}/metrics", server.url)).unwrap());
    let out = gauntlet(&[
        "speed-bench",
        "-m",
        "tiny",
        "-u",
        &server.url,
        "--streaming",
        "--concurrency",
        "2",
        "--dataset-path",
        data.to_str().unwrap(),
        "--public-dataset-max-tokens",
        "32",
        "--server-metrics-interval",
        "0.1",
        "--no-gpu-telemetry",
        "--output-artifact-dir",
        base.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = spec_counters(&get(&format!("{}/metrics", server.url)).unwrap());
    let dirs: Vec<PathBuf> = CATEGORIES.iter().map(|c| base.join(c)).collect();
    // Each category's window holds only its own requests: the windows' deltas add up to the
    // server's whole rise, and every cell is a real acceptance (1 ≤ length, 0 ≤ rate ≤ 1).
    let m = build_matrix(&dirs, Metric::AcceptLength).expect("matrix");
    assert_eq!(m.columns, CATEGORIES);
    for cell in &m.rows[0].1 {
        let v = cell.expect("every category has a cell");
        assert!(v >= 1.0, "{v}");
    }
    let rates = build_matrix(&dirs, Metric::AcceptRate).expect("matrix");
    for cell in &rates.rows[0].1 {
        let v = cell.unwrap();
        assert!((0.0..=1.0).contains(&v), "{v}");
    }
    let drafts_in_windows: f64 = dirs
        .iter()
        .map(|d| {
            let export = json(d, "server_metrics_export.json");
            export["metrics"]["llamacpp:spec_decode_num_drafts_total"]["series"][0]["stats"]
                ["total"]
                .as_f64()
                .unwrap_or_else(|| panic!("{}", export["metrics"]))
        })
        .sum();
    assert_eq!(drafts_in_windows, after.drafts - before.drafts);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("SPEED-Bench accept_length by category"),
        "{stdout}"
    );
}
