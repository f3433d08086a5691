//! End-to-end: server metrics scraped from the mock's `/metrics` on the run's clock, deltas
//! over the profiling phase only, failures counted, and the run's own results untouched.

mod common;

use common::*;
use serde_json::Value;

const FLAGS: [&str; 12] = [
    "--streaming",
    "--isl",
    "32",
    "--osl",
    "8",
    "--request-count",
    "24",
    "--warmup-request-count",
    "5",
    "--concurrency",
    "3",
    "--server-metrics-interval",
];

/// Sum of a counter's totals over its series (optionally those with one label value).
fn counter_total(export: &Value, name: &str, label: Option<(&str, &str)>) -> f64 {
    export["metrics"][name]["series"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} missing"))
        .iter()
        .filter(|s| label.is_none_or(|(k, v)| s["labels"][k] == v))
        .map(|s| s["stats"]["total"].as_f64().expect("counter total"))
        .sum()
}

#[test]
fn counter_deltas_cover_the_profiling_phase_only() {
    let server = mock(2, 1);
    let dir = artifact_dir("telemetry-deltas");
    let mut flags = FLAGS.to_vec();
    flags.push("0.05");
    let out = profile(&server.url(), &dir, &flags);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let export = json(&dir, "server_metrics_export.json");
    // 5 warmup + 24 profiling requests reached the mock; only the 24 are in the window.
    assert_eq!(server.stats().snapshot().successful_requests, 29);
    assert_eq!(
        counter_total(&export, "vllm:request_success_total", None),
        24.0
    );
    assert_eq!(
        counter_total(
            &export,
            "gauntlet_mock_requests_total",
            Some(("endpoint", "/v1/chat/completions"))
        ),
        24.0
    );
    let osl = stat(
        &json(&dir, "profile_export_aiperf.json"),
        "total_output_tokens",
        "avg",
    );
    assert_eq!(
        counter_total(&export, "vllm:generation_tokens_total", None),
        osl
    );
    let hist = &export["metrics"]["vllm:e2e_request_latency_seconds"];
    assert_eq!(hist["type"], "histogram");
    assert_eq!(hist["series"][0]["stats"]["count"], 24.0);
    assert!(hist["series"][0]["stats"]["p50_estimate"].as_f64().unwrap() > 0.0);
    assert_eq!(export["summary"]["scrape_failures"], 0);
    let url = format!("{}/metrics", server.url());
    assert_eq!(export["summary"]["endpoints_successful"][0], url.as_str());

    // The time series has every scrape (warmup included) on the records' clock.
    let lines = std::fs::read_to_string(dir.join("server_metrics_export.jsonl")).unwrap();
    let scrapes: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(scrapes.len() >= 3, "{}", scrapes.len());
    let records = jsonl(&dir);
    let first_request_ns = records
        .iter()
        .filter_map(|r| r["metadata"]["request_start_ns"].as_u64())
        .min()
        .expect("request_start_ns in records");
    let first_scrape_ns = scrapes[0]["timestamp_ns"].as_u64().unwrap();
    assert!(
        first_scrape_ns <= first_request_ns,
        "{first_scrape_ns} > {first_request_ns}"
    );
    let csv = std::fs::read_to_string(dir.join("server_metrics_export.csv")).unwrap();
    assert!(
        csv.starts_with("Endpoint,Metric,Type,Labels,total,rate,"),
        "{csv}"
    );
    assert!(
        text(&out).contains("vllm:request_success_total"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_closed_endpoint_is_counted_and_the_results_are_unaffected() {
    let server = mock(2, 1);
    let closed = format!("127.0.0.1:{}", closed_port());
    let dir = artifact_dir("telemetry-closed");
    let mut flags = FLAGS.to_vec();
    flags.push("0.05");
    let closed_url = format!("http://{closed}/metrics");
    flags.extend(["--server-metrics", &closed_url]);
    let out = profile(&server.url(), &dir, &flags);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let export = json(&dir, "server_metrics_export.json");
    let failures = export["summary"]["scrape_failures"].as_u64().unwrap();
    assert!(failures >= 2, "{failures}");
    let info = &export["summary"]["endpoint_info"][closed_url.as_str()];
    assert_eq!(info["failed_fetches"], info["total_fetches"]);
    assert!(export["summary"]["last_error"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("refused"));
    let console = String::from_utf8_lossy(&out.stdout);
    assert!(
        console.contains(&format!("{failures} scrapes failed (last error: ")),
        "{console}"
    );
    let results = json(&dir, "profile_export_aiperf.json");
    assert_eq!(stat(&results, "request_count", "avg"), 24.0);
    assert_eq!(
        counter_total(&export, "vllm:request_success_total", None),
        24.0
    );
}

#[test]
fn no_server_metrics_scrapes_nothing_and_nvml_off_is_said_once() {
    let server = mock(0, 0);
    let dir = artifact_dir("telemetry-off");
    let out = profile(
        &server.url(),
        &dir,
        &["--request-count", "5", "--no-server-metrics"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.stats().snapshot().metrics_requests, 0);
    assert!(!dir.join("server_metrics_export.json").exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr
        .lines()
        .filter(|l| l.starts_with("GPU telemetry off: NVML not available ("))
        .count();
    // Without a driver (this machine) NVML is off, said once; on a GPU host it samples.
    assert!(said <= 1, "{stderr}");
    assert_eq!(dir.join("gpu_telemetry_export.jsonl").exists(), said == 0);
}

#[test]
fn the_mock_dcgm_series_flow_into_gpu_telemetry() {
    let server = MockServer::start(MockConfig {
        gpu_metrics: true,
        ..MockConfig::default()
    })
    .expect("mock server starts");
    let dir = artifact_dir("telemetry-mock-dcgm");
    let dcgm_url = format!("{}/metrics", server.url());
    let out = profile(
        &server.url(),
        &dir,
        &[
            "--streaming",
            "--isl",
            "16",
            "--osl",
            "8",
            "--request-count",
            "12",
            "--concurrency",
            "2",
            "--no-gpu-telemetry",
            "--gpu-telemetry",
            &dcgm_url,
            "--gpu-telemetry-interval",
            "0.05",
            "--no-server-metrics",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = std::fs::read_to_string(dir.join("gpu_telemetry_export.jsonl")).unwrap();
    let samples: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(samples.len() >= 2, "{lines}");
    let gib = |mib: f64| mib * 1_048_576.0 / 1e9;
    for s in &samples {
        assert_eq!(s["source"], dcgm_url.as_str());
        assert_eq!(s["gpu_index"], 0);
        assert_eq!(s["gpu_uuid"], "GPU-00000000-mock-0000-0000-000000000000");
        assert_eq!(s["gpu_model_name"], "gauntlet mock GPU");
        let d = &s["telemetry_data"];
        // FB_USED (MiB) → GB; the total is the exported FB_TOTAL.
        let total = d["total_gpu_memory"].as_f64().unwrap();
        assert!((total - gib(81_559.0)).abs() < 1e-9, "{d}");
        let used = d["gpu_memory_used"].as_f64().unwrap();
        assert!(used >= gib(1_023.0) && used <= gib(1_024.0 + 33.0), "{d}");
        let util = d["gpu_utilization"].as_f64().unwrap();
        assert!((0.0..=20.0).contains(&util), "{d}");
        assert!(d["gpu_power_usage"].as_f64().unwrap() >= 100.0, "{d}");
        assert_eq!(d["sm_clock_frequency"], 1980.0);
        assert_eq!(d["memory_clock_frequency"], 2619.0);
        assert!(d["gpu_temperature"].as_f64().unwrap() >= 30.0, "{d}");
        assert!(d["energy_consumption"].as_f64().is_some(), "{d}");
    }
    // The energy counter rises 1 J per generated token, so the window's energy per output
    // token is exactly 1 J.
    let summary = json(&dir, "gpu_telemetry_export.json");
    let energy = &summary["summary"]["energy"];
    assert_eq!(energy["output_tokens"], 96.0, "{summary}");
    let per_token = energy["energy_per_output_token_j"].as_f64().unwrap();
    assert!((per_token - 1.0).abs() < 1e-9, "{summary}");
    // The same summary in AIPerf's shape inside profile_export_aiperf.json.
    let export = json(&dir, "profile_export_aiperf.json");
    let t = &export["telemetry_data"];
    assert_eq!(
        t["summary"]["endpoints_configured"][0],
        dcgm_url.as_str(),
        "{t}"
    );
    assert_eq!(
        t["summary"]["endpoints_successful"][0],
        dcgm_url.as_str(),
        "{t}"
    );
    assert!(
        t["summary"]["start_time"].as_str().unwrap() <= t["summary"]["end_time"].as_str().unwrap()
    );
    let host = dcgm_url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics");
    let gpu0 = &t["endpoints"][host]["gpus"]["gpu_0"];
    assert_eq!(
        gpu0["gpu_uuid"], "GPU-00000000-mock-0000-0000-000000000000",
        "{t}"
    );
    assert_eq!(gpu0["metrics"]["sm_clock_frequency"]["avg"], 1980.0, "{t}");
    assert_eq!(gpu0["metrics"]["sm_clock_frequency"]["unit"], "MHz", "{t}");
    assert_eq!(gpu0["metrics"]["gpu_power_usage"]["unit"], "W", "{t}");
    assert!((t["energy"]["energy_per_output_token_j"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(
        text(&out).contains("GPU telemetry: 1 GPUs"),
        "{}",
        text(&out)
    );
}
