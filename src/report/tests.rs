use super::*;
use crate::config::{
    Arrival, ArrivalPattern, EndpointType, LengthPlan, Phase, PhaseKind, ServerUrl, StopRule,
    SyntheticPlan, TokenizerSpec,
};
use crate::dist::DistSpec;
use crate::metrics::{
    Accounting, AggregateMetric as A, AggregateValue, ErrorCount, ErrorInfo, MetricSummary,
    RecordMetric as M, Stats,
};
use std::time::Duration;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/shared/aiperf-reference"
);

fn stats(count: u64, avg: f64, min: f64, max: f64, std: f64, pcts: [f64; 9]) -> Stats {
    Stats {
        count,
        sum: avg * count as f64,
        avg,
        min,
        max,
        std,
        percentiles: pcts,
    }
}

fn summary() -> Summary {
    let m = |metric, stats| MetricSummary { metric, stats };
    let a = |metric, value| AggregateValue { metric, value };
    Summary {
        metrics: vec![
            m(
                M::TimeToFirstToken,
                stats(
                    10,
                    12.345,
                    10.0,
                    20.5,
                    3.21,
                    [10.1, 10.5, 11.0, 11.5, 12.0, 13.0, 15.25, 17.5, 20.1],
                ),
            ),
            m(
                M::RequestLatency,
                stats(
                    10,
                    1234.5678,
                    1000.0,
                    2500.0,
                    400.0,
                    [
                        1001.0, 1005.0, 1010.0, 1100.0, 1200.0, 1300.0, 1900.0, 2200.0, 2450.0,
                    ],
                ),
            ),
            m(
                M::InterTokenLatency,
                stats(
                    10,
                    5.0,
                    4.0,
                    6.0,
                    0.5,
                    [4.0, 4.1, 4.2, 4.5, 5.0, 5.5, 5.8, 5.9, 6.0],
                ),
            ),
            m(
                M::OutputSequenceLength,
                stats(10, 16.0, 16.0, 16.0, 0.0, [16.0; 9]),
            ),
            m(
                M::CreditToStartLatency,
                stats(
                    10,
                    0.05,
                    0.01,
                    0.2,
                    0.04,
                    [0.01, 0.01, 0.02, 0.03, 0.04, 0.06, 0.1, 0.15, 0.19],
                ),
            ),
            m(M::HttpDataSent, stats(10, 0.62, 0.57, 0.68, 0.03, [0.6; 9])),
            m(
                M::HttpChunksReceived,
                stats(10, 1.5, 1.0, 2.0, 0.5, [1.5; 9]),
            ),
        ],
        aggregates: vec![
            a(A::OutputTokenThroughput, 2720.085),
            a(A::RequestThroughput, 170.005),
            a(A::CompletedRequestCount, 12.0),
            a(A::RequestErrorRate, 16.666_666),
            a(A::RequestCount, 10.0),
            a(A::ErrorRequestCount, 2.0),
            a(A::BenchmarkDuration, 0.0548),
            a(A::TotalOsl, 160.0),
        ],
        errors: vec![ErrorCount {
            error: ErrorInfo {
                code: Some(500),
                kind: "Internal Server Error".into(),
                message: "boom".into(),
            },
            count: 2,
        }],
        accounting: Accounting {
            scheduled: 13,
            completed: 10,
            failed: 2,
            cancelled: 1,
            not_sent: 0,
            malformed_events: 0,
        },
        was_cancelled: false,
        time_slices: Vec::new(),
    }
}

fn plan() -> Plan {
    Plan {
        model: "mock-model".into(),
        urls: vec![ServerUrl {
            tls: false,
            original: "http://127.0.0.1:8123".into(),
            host: "127.0.0.1".into(),
            port: 8123,
            base_path: String::new(),
            query: String::new(),
            basic_auth: None,
        }],
        endpoint: EndpointType::Chat,
        streaming: true,
        phases: vec![Phase {
            name: "profiling".into(),
            kind: PhaseKind::Profiling,
            arrival: Arrival {
                concurrency: Some(1),
                request_rate: None,
                pattern: ArrivalPattern::Poisson,
            },
            stop: StopRule::Count { requests: 10 },
            controls: Default::default(),
            shape: Default::default(),
        }],
        synthetic: SyntheticPlan {
            lengths: LengthPlan::Independent {
                isl: DistSpec::fixed(100.0, "isl").unwrap(),
                osl: Some(DistSpec::fixed(16.0, "osl").unwrap()),
            },
            entries: 10,
            sessions: None,
            prompt: Default::default(),
        },
        tokenizer: TokenizerSpec::Builtin,
        corpus: None,
        random_seed: 1,
        send_dataset_once: false,
        calibrate: false,
        fixed_schedule: None,
        session_routing: Default::default(),
        connection: Default::default(),
        user_centric: None,
        extra_inputs: vec![],
        template: None,
        raw_response_field: None,
        raw_payloads: None,
        headers: vec![("X-Secret".into(), "hunter2".into())],
        api_key: Some("sk-secret".into()),
        request_timeout: Duration::from_secs(600),
        max_response_bytes: crate::config::DEFAULT_MAX_RESPONSE_BYTES,
        tls: Default::default(),
        video_job: None,
        artifact_dir: "artifacts".into(),
        tolerated_error_rate_pct: 0.0,
        cli_command: "gauntlet profile --model mock-model".into(),
        client_threads: 2,
        input: None,
        output_length: Default::default(),
        public_dataset: None,
        vision_dataset: None,
        telemetry: Default::default(),
        media: Default::default(),
        video: None,
        models: crate::config::ModelPlan::single("mock-model"),
        custom_endpoint: None,
        wait_for_model: None,
        rankings: None,
        auto_plot: false,
        export_inputs: Default::default(),
        results: Default::default(),
        dataset_sampling: None,
        scale_out: Default::default(),
    }
}

fn info() -> RunInfo {
    RunInfo {
        benchmark_id: "bench-1".into(),
        start_time: "2026-11-23T10:26:44.368878".into(),
        end_time: "2026-11-23T10:26:44.427699".into(),
        was_cancelled: false,
        is_complete: true,
        random_seed: 1,
        cli_command: "gauntlet profile --model mock-model".into(),
        telemetry_data: None,
        merge: None,
    }
}

#[test]
fn console_snapshot() {
    let got = render_console(&summary());
    let expected = concat!(
        "                                                    gauntlet | LLM Metrics\n",
        "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━┓\n",
        "┃                                          Metric ┃      avg ┃      min ┃      max ┃      p99 ┃      p90 ┃      p50 ┃    std ┃\n",
        "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━┩\n",
        "│                        Time to First Token (ms) │    12.35 │    10.00 │    20.50 │    20.10 │    15.25 │    12.00 │   3.21 │\n",
        "│                            Request Latency (ms) │ 1,234.57 │ 1,000.00 │ 2,500.00 │ 2,450.00 │ 1,900.00 │ 1,200.00 │ 400.00 │\n",
        "│                        Inter Token Latency (ms) │     5.00 │     4.00 │     6.00 │     6.00 │     5.80 │     5.00 │   0.50 │\n",
        "│                 Output Sequence Length (tokens) │    16.00 │    16.00 │    16.00 │    16.00 │    16.00 │    16.00 │   0.00 │\n",
        "│                    Credit-to-Start Latency (ms) │     0.05 │     0.01 │     0.20 │     0.19 │     0.10 │     0.04 │   0.04 │\n",
        "│            Output Token Throughput (tokens/sec) │ 2,720.09 │      N/A │      N/A │      N/A │      N/A │      N/A │    N/A │\n",
        "│               Request Throughput (requests/sec) │   170.00 │      N/A │      N/A │      N/A │      N/A │      N/A │    N/A │\n",
        "│ Completed Requests (Success + Error) (requests) │    12.00 │      N/A │      N/A │      N/A │      N/A │      N/A │    N/A │\n",
        "│                          Request Error Rate (%) │    16.67 │      N/A │      N/A │      N/A │      N/A │      N/A │    N/A │\n",
        "│                        Request Count (requests) │    10.00 │      N/A │      N/A │      N/A │      N/A │      N/A │    N/A │\n",
        "│                        Benchmark Duration (sec) │     0.05 │      N/A │      N/A │      N/A │      N/A │      N/A │    N/A │\n",
        "└─────────────────────────────────────────────────┴──────────┴──────────┴──────────┴──────────┴──────────┴──────────┴────────┘\n",
        "\n",
        "Requests: 13 scheduled = 10 succeeded + 2 failed + 1 cancelled + 0 not sent\n",
        "\n",
        "Errors (2 failed requests, most frequent first):\n",
        "       2 × [500 Internal Server Error] boom\n",
    );
    assert_eq!(got, expected, "\n{got}");
}

#[test]
fn partial_run_gets_a_banner_and_unbalanced_accounting_says_so() {
    let mut s = summary();
    s.was_cancelled = true;
    s.accounting.not_sent = 4;
    let got = render_console(&s);
    assert!(got.starts_with("*** PARTIAL RUN"));
    assert!(got.contains("(UNBALANCED: outcomes add up to 17, not 13)"));
    assert!(!render_console(&summary()).contains("PARTIAL RUN"));
}

fn reference_json() -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{REFERENCE}/profile_export_aiperf.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn json_export_matches_the_reference_layout() {
    let dir = tempfile::tempdir().unwrap();
    assert!(write_artifacts(dir.path(), &summary(), &plan(), &info()).is_empty());
    let text = std::fs::read_to_string(dir.path().join(files::JSON)).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("sk-secret"),
        "secrets leaked"
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let reference = reference_json();
    assert_eq!(doc["schema_version"], reference["schema_version"]);
    assert_eq!(doc["gauntlet_version"], crate::VERSION);
    for key in [
        "benchmark_id",
        "input_config",
        "run_info",
        "was_cancelled",
        "is_complete",
        "error_summary",
        "start_time",
        "end_time",
    ] {
        assert!(doc.get(key).is_some(), "missing {key}");
    }
    // Every metric we produce that AIPerf also produces has its unit and its stat keys.
    let mut shared = 0;
    for (tag, ours) in doc.as_object().unwrap() {
        let Some(theirs) = reference.get(tag).filter(|v| v.get("unit").is_some()) else {
            continue;
        };
        assert_eq!(ours["unit"], theirs["unit"], "unit of {tag}");
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        assert_eq!(keys(ours), keys(theirs), "stat keys of {tag}");
        shared += 1;
    }
    assert_eq!(shared, 14);
    assert_eq!(doc["request_latency"]["p99"], 2450.0);
    assert_eq!(doc["request_latency"]["count"], 10);
    assert_eq!(
        doc["request_accounting"],
        serde_json::json!({"scheduled": 13, "completed": 10, "failed": 2, "cancelled": 1, "not_sent": 0, "malformed_events": 0})
    );
    assert_eq!(
        doc["error_summary"],
        serde_json::json!([{"error_details": {"code": 500, "type": "Internal Server Error", "message": "boom"}, "count": 2}])
    );
    assert_eq!(
        doc["run_info"]["cli_command"],
        "gauntlet profile --model mock-model"
    );
    assert_eq!(doc["input_config"]["model"], "mock-model");
}

#[test]
fn csv_export_follows_the_reference_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(write_artifacts(dir.path(), &summary(), &plan(), &info()).is_empty());
    let ours = std::fs::read_to_string(dir.path().join(files::CSV)).unwrap();
    let theirs = std::fs::read_to_string(format!("{REFERENCE}/profile_export_aiperf.csv")).unwrap();
    assert_eq!(ours.lines().next(), theirs.lines().next());
    let expected = concat!(
        "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std\r\n",
        "Credit-to-Start Latency (ms),0.05,0.01,0.20,0.50,0.01,0.01,0.02,0.03,0.04,0.06,0.10,0.15,0.19,0.04\r\n",
        "HTTP Chunks Received,1.50,1.00,2.00,15.00,1.50,1.50,1.50,1.50,1.50,1.50,1.50,1.50,1.50,0.50\r\n",
        "HTTP Data Sent (KB),0.62,0.57,0.68,6.20,0.60,0.60,0.60,0.60,0.60,0.60,0.60,0.60,0.60,0.03\r\n",
        "Inter Token Latency (ms),5.00,4.00,6.00,50.00,4.00,4.10,4.20,4.50,5.00,5.50,5.80,5.90,6.00,0.50\r\n",
        "Output Sequence Length (tokens),16.00,16.00,16.00,160.00,16.00,16.00,16.00,16.00,16.00,16.00,16.00,16.00,16.00,0.00\r\n",
        "Request Latency (ms),1234.57,1000.00,2500.00,12345.68,1001.00,1005.00,1010.00,1100.00,1200.00,1300.00,1900.00,2200.00,2450.00,400.00\r\n",
        "Time to First Token (ms),12.35,10.00,20.50,123.45,10.10,10.50,11.00,11.50,12.00,13.00,15.25,17.50,20.10,3.21\r\n",
        "\r\n",
        "Metric,Value\r\n",
        "Benchmark Duration (sec),0.05\r\n",
        "Completed Requests (Success + Error),12.00\r\n",
        "Error Request Count,2.00\r\n",
        "Output Token Throughput (tokens/sec),2720.09\r\n",
        "Request Count,10.00\r\n",
        "Request Error Rate (%),16.67\r\n",
        "Request Throughput (requests/sec),170.00\r\n",
        "Total Output Sequence Length (tokens),160.00\r\n",
    );
    for (i, (a, b)) in ours
        .split_inclusive('\n')
        .zip(expected.split_inclusive('\n'))
        .enumerate()
    {
        assert_eq!(a, b, "line {}", i + 1);
    }
    assert_eq!(ours, expected);
    // Labels of metrics AIPerf also writes are spelled as in its CSV.
    for line in ours.lines().filter(|l| l.contains(',')) {
        let label = line.split(',').next().unwrap();
        if theirs.lines().any(|l| l.starts_with(&format!("{label},"))) {
            continue;
        }
        assert!(
            label == "Error Request Count" || label == "Metric",
            "label {label} not in the reference"
        );
    }
    let console = std::fs::read_to_string(dir.path().join(files::CONSOLE)).unwrap();
    assert_eq!(console, render_console(&summary()));
}

#[test]
fn inputs_json_is_written_atomically_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let bodies = [("session_000000", &br#"{"model":"m"}"#[..])];
    write_inputs_json(dir.path(), &mut bodies.iter().copied()).unwrap();
    let text = std::fs::read_to_string(dir.path().join(files::INPUTS)).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["data"][0]["payloads"][0]["model"], "m");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn most_requests_missing_their_output_length_get_a_warning_line() {
    let with = |missed: f64| {
        let mut s = summary();
        s.metrics.push(MetricSummary {
            metric: M::OslMismatchDiffPct,
            stats: stats(10, -20.0, -50.0, 0.0, 10.0, [-20.0; 9]),
        });
        s.aggregates.push(AggregateValue {
            metric: A::OslMismatchCount,
            value: missed,
        });
        s
    };
    let warning = osl_mismatch_warning(&with(6.0)).expect("6 of 10 is most");
    assert!(
        warning.starts_with("warning: 6 of 10 requests"),
        "{warning}"
    );
    assert!(!warning.contains('\n'));
    assert!(render_console(&with(6.0)).contains(&warning));
    assert_eq!(osl_mismatch_warning(&with(5.0)), None);
    assert!(!render_console(&with(5.0)).contains("max_tokens"));
    assert_eq!(osl_mismatch_warning(&summary()), None);
}
