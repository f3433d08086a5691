use super::*;
use crate::telemetry::expo::parse;

fn scrape(tokens: u64, running: u64, fast: u64, slow: u64) -> String {
    format!(
        "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n\
         # TYPE vllm:prompt_tokens_total counter\n\
         vllm:prompt_tokens_total{{model_name=\"m\"}} {tokens}\n\
         # TYPE vllm:num_requests_running gauge\n\
         vllm:num_requests_running{{model_name=\"m\"}} {running}\n\
         # TYPE vllm:time_to_first_token_seconds histogram\n\
         vllm:time_to_first_token_seconds_bucket{{le=\"0.1\",model_name=\"m\"}} {fast}\n\
         vllm:time_to_first_token_seconds_bucket{{le=\"1.0\",model_name=\"m\"}} {}\n\
         vllm:time_to_first_token_seconds_bucket{{le=\"+Inf\",model_name=\"m\"}} {}\n\
         vllm:time_to_first_token_seconds_sum{{model_name=\"m\"}} {}\n\
         vllm:time_to_first_token_seconds_count{{model_name=\"m\"}} {}\n",
        fast + slow,
        fast + slow,
        fast as f64 * 0.05 + slow as f64 * 0.5,
        fast + slow,
    )
}

const S: u64 = 1_000_000_000;

/// Warmup (t=0..1 s) adds 100 tokens and 1 fast request; the window (1..3 s) adds 250 tokens,
/// 8 fast and 2 slow requests. Only the window may count.
fn log() -> EndpointLog {
    let mut log = EndpointLog::new("http://s/metrics", 100);
    let points = [
        (0, scrape(0, 0, 0, 0)),
        (S / 2, scrape(100, 1, 1, 0)),
        (S, scrape(100, 0, 1, 0)),
        (2 * S, scrape(200, 4, 5, 1)),
        (3 * S, scrape(350, 2, 9, 2)),
        (4 * S, scrape(999, 9, 50, 50)),
    ];
    for (ts, text) in points {
        log.ingest(ts, &parse(&text).unwrap(), false);
    }
    log
}

fn window() -> Window {
    Window {
        start_ns: S,
        end_ns: 3 * S,
    }
}

#[test]
fn counters_are_deltas_over_the_window_only() {
    let out = summarize_server(&[log()], window());
    let m = &out.metrics["vllm:prompt_tokens_total"];
    assert_eq!(m.kind, MetricKind::Counter);
    assert_eq!(m.description, "Number of prefill tokens processed.");
    assert_eq!(m.unit, Some("tokens"));
    assert_eq!(m.series[0].labels["model_name"], "m");
    match m.series[0].stats {
        SeriesStats::Counter {
            total,
            rate,
            rate_min,
            rate_max,
        } => {
            assert_eq!(total, 250.0);
            assert_eq!(rate, 125.0);
            assert_eq!((rate_min, rate_max), (Some(100.0), Some(150.0)));
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn gauges_use_samples_inside_the_window() {
    let out = summarize_server(&[log()], window());
    match out.metrics["vllm:num_requests_running"].series[0].stats {
        SeriesStats::Gauge(d) => {
            assert_eq!((d.count, d.min, d.max), (3, 0.0, 4.0));
            assert_eq!(d.avg, 2.0);
        }
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn histograms_report_interval_percentiles_from_bucket_deltas() {
    let out = summarize_server(&[log()], window());
    let s = &out.metrics["vllm:time_to_first_token_seconds"].series[0];
    match s.stats {
        SeriesStats::Histogram {
            count,
            sum,
            avg,
            p50_estimate,
            p99_estimate,
            ..
        } => {
            assert_eq!(count, 10.0);
            assert!((sum - (8.0 * 0.05 + 2.0 * 0.5)).abs() < 1e-9);
            assert!((avg.unwrap() - 0.14).abs() < 1e-9);
            // 8 of 10 in (0, 0.1]: the median is 5/8 of the way to 0.1.
            assert!((p50_estimate.unwrap() - 0.0625).abs() < 1e-9);
            assert!((p99_estimate.unwrap() - 0.955).abs() < 1e-9);
        }
        ref other => panic!("{other:?}"),
    }
    let buckets = s.buckets.as_ref().unwrap();
    let expected = [("0.1", 8.0), ("1", 2.0), ("+Inf", 0.0)];
    let got: Vec<(&str, f64)> = buckets.iter().map(|(b, c)| (b.as_str(), *c)).collect();
    assert_eq!(got, expected);
    let json = serde_json::to_string(s).unwrap();
    assert!(
        json.contains(r#""buckets":{"0.1":8.0,"1":2.0,"+Inf":0.0}"#),
        "{json}"
    );
}

#[test]
fn failures_are_summed_and_the_last_error_kept() {
    let mut bad = EndpointLog::new("http://closed/metrics", 16);
    bad.fetches = 5;
    bad.failures = 5;
    bad.last_error = Some("connection refused".into());
    let out = summarize_server(&[log(), bad], window());
    assert_eq!(out.summary.scrape_failures, 5);
    assert_eq!(
        out.summary.last_error.as_deref(),
        Some("connection refused")
    );
    assert_eq!(out.summary.endpoints_configured.len(), 2);
    assert_eq!(out.summary.endpoints_successful, vec!["http://s/metrics"]);
}

#[test]
fn a_counter_reset_inside_the_window_is_not_a_negative_delta() {
    let mut log = EndpointLog::new("u", 100);
    for (ts, v) in [(0, 50), (S, 80), (2 * S, 5), (3 * S, 25)] {
        let text = format!("# TYPE c counter\nc {v}\n");
        log.ingest(ts, &parse(&text).unwrap(), false);
    }
    let out = summarize_server(
        &[log],
        Window {
            start_ns: 0,
            end_ns: 3 * S,
        },
    );
    match out.metrics["c"].series[0].stats {
        SeriesStats::Counter { total, .. } => assert_eq!(total, 30.0 + 5.0 + 20.0),
        ref other => panic!("{other:?}"),
    }
}
