//! The summary across the variations of a sweep: one row per variation with the figures
//! people compare (throughput, TTFT, ITL, latency, errors), on the console and as
//! `sweep_summary.csv`.

use std::fmt::Write;

use super::console::titled_table;
use super::format::thousands;
use crate::metrics::catalog::{AggregateMetric, RecordMetric};
use crate::metrics::Summary;

const COLUMNS: [&str; 8] = [
    "Variation",
    "req/s",
    "output tok/s",
    "TTFT avg (ms)",
    "TTFT p99 (ms)",
    "ITL avg (ms)",
    "latency p99 (ms)",
    "errors %",
];

fn cells(label: &str, s: &Summary) -> [String; 8] {
    let agg = |m| s.aggregate(m).map_or_else(|| "N/A".to_owned(), thousands);
    let stat = |m, pick: fn(&crate::metrics::Stats) -> f64| {
        s.metric(m)
            .map_or_else(|| "N/A".to_owned(), |st| thousands(pick(st)))
    };
    [
        label.to_owned(),
        agg(AggregateMetric::RequestThroughput),
        agg(AggregateMetric::OutputTokenThroughput),
        stat(RecordMetric::TimeToFirstToken, |st| st.avg),
        stat(RecordMetric::TimeToFirstToken, |st| st.percentiles[8]),
        stat(RecordMetric::InterTokenLatency, |st| st.avg),
        stat(RecordMetric::RequestLatency, |st| st.percentiles[8]),
        agg(AggregateMetric::RequestErrorRate),
    ]
}

/// The console table of a sweep, variations in run order.
pub fn render_console(variations: &[(String, Summary)]) -> String {
    let rows: Vec<[String; 8]> = variations.iter().map(|(l, s)| cells(l, s)).collect();
    titled_table(
        &format!("gauntlet | sweep of {} variations", variations.len()),
        &COLUMNS,
        &rows,
    )
}

/// `sweep_summary.csv`: the same columns, unformatted numbers, empty when absent.
pub fn render_csv(variations: &[(String, Summary)]) -> String {
    let mut out = String::from(
        "Variation,Request Throughput (requests/sec),Output Token Throughput (tokens/sec),\
         TTFT avg (ms),TTFT p99 (ms),ITL avg (ms),Request Latency p99 (ms),Request Error Rate (%)\r\n",
    );
    for (label, s) in variations {
        let num = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
        let _ = write!(
            out,
            "\"{}\",{},{},{},{},{},{},{}\r\n",
            label.replace('"', "\"\""),
            num(s.aggregate(AggregateMetric::RequestThroughput)),
            num(s.aggregate(AggregateMetric::OutputTokenThroughput)),
            num(s.metric(RecordMetric::TimeToFirstToken).map(|st| st.avg)),
            num(s
                .metric(RecordMetric::TimeToFirstToken)
                .map(|st| st.percentiles[8])),
            num(s.metric(RecordMetric::InterTokenLatency).map(|st| st.avg)),
            num(s
                .metric(RecordMetric::RequestLatency)
                .map(|st| st.percentiles[8])),
            num(s.aggregate(AggregateMetric::RequestErrorRate)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::summary::{AggregateValue, MetricSummary};
    use crate::metrics::Stats;

    fn summary(rps: f64, ttft: f64) -> Summary {
        Summary {
            metrics: vec![MetricSummary {
                metric: RecordMetric::TimeToFirstToken,
                stats: Stats {
                    count: 1,
                    sum: ttft,
                    avg: ttft,
                    min: ttft,
                    max: ttft,
                    std: 0.0,
                    percentiles: [ttft; 9],
                },
            }],
            aggregates: vec![AggregateValue {
                metric: AggregateMetric::RequestThroughput,
                value: rps,
            }],
            ..Summary::default()
        }
    }

    #[test]
    fn one_row_per_variation_with_missing_values_marked() {
        let v = vec![
            ("concurrency=8".to_owned(), summary(100.0, 12.5)),
            ("concurrency=16".to_owned(), summary(180.0, 20.0)),
        ];
        let text = render_console(&v);
        assert!(text.contains("sweep of 2 variations"), "{text}");
        let row = text.lines().find(|l| l.contains("concurrency=16")).unwrap();
        assert!(
            row.contains("180.00") && row.contains("20.00") && row.contains("N/A"),
            "{row}"
        );
        let csv = render_csv(&v);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1], "\"concurrency=8\",100.0000,,12.5000,12.5000,,,");
    }
}
