//! The summary across the variations of a sweep: one row per variation with the figures
//! people compare (throughput, TTFT, ITL, latency, errors), on the console and as
//! `sweep_summary.csv`.
//!
//! Labels are `name=value` pairs joined by commas (`concurrency=8, isl={mean: 512}`); values
//! are YAML flow, so a comma inside brackets, braces or quotes belongs to the value. When every
//! label has the same names, the CSV gets one column per swept parameter; the console's
//! Variation column already shows them.

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

/// `sweep_summary.csv`: the label, one column per swept parameter (when the labels agree
/// on them), then the same figures as the console, unformatted, empty when absent.
pub fn render_csv(variations: &[(String, Summary)]) -> String {
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let parsed: Vec<Option<Vec<(&str, &str)>>> =
        variations.iter().map(|(l, _)| label_columns(l)).collect();
    let names: Vec<&str> = match parsed.first() {
        Some(Some(first)) => first.iter().map(|(n, _)| *n).collect(),
        _ => Vec::new(),
    };
    let same_names = parsed.iter().all(|p| {
        p.as_ref()
            .is_some_and(|cols| cols.iter().map(|(n, _)| *n).eq(names.iter().copied()))
    });
    let mut out = String::from("Variation,");
    if same_names {
        for name in &names {
            let _ = write!(out, "{},", quote(name));
        }
    }
    out.push_str(
        "Request Throughput (requests/sec),Output Token Throughput (tokens/sec),\
         TTFT avg (ms),TTFT p99 (ms),ITL avg (ms),Request Latency p99 (ms),Request Error Rate (%)",
    );
    // `--goodput` runs: the good figures too, so the variation that keeps the SLOs stands out.
    let goodput = variations
        .iter()
        .any(|(_, s)| s.aggregate(AggregateMetric::Goodput).is_some());
    if goodput {
        out.push_str(",Goodput (requests/sec),Good Request Fraction (ratio)");
    }
    out.push_str("\r\n");
    for ((label, s), cols) in variations.iter().zip(&parsed) {
        let num = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
        let _ = write!(out, "{},", quote(label));
        if let (true, Some(cols)) = (same_names, cols) {
            for (_, value) in cols {
                let _ = write!(out, "{},", quote(value));
            }
        }
        let _ = write!(
            out,
            "{},{},{},{},{},{},{}",
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
        if goodput {
            let _ = write!(
                out,
                ",{},{}",
                num(s.aggregate(AggregateMetric::Goodput)),
                num(s.aggregate(AggregateMetric::GoodRequestFraction)),
            );
        }
        out.push_str("\r\n");
    }
    out
}

/// `concurrency=8, isl={mean: 5, stddev: 1}` → `[("concurrency", "8"), ("isl", "{mean: 5,
/// stddev: 1}")]`; `None` when a part has no `name=`.
fn label_columns(label: &str) -> Option<Vec<(&str, &str)>> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in label.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&label[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&label[start..]);
    parts
        .into_iter()
        .map(|part| {
            let (name, value) = part.trim().split_once('=')?;
            (!name.is_empty()).then_some((name, value))
        })
        .collect()
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
        assert_eq!(
            lines[0].split(',').take(2).collect::<Vec<_>>(),
            ["Variation", "\"concurrency\""]
        );
        assert_eq!(
            lines[1],
            "\"concurrency=8\",\"8\",100.0000,,12.5000,12.5000,,,"
        );
    }

    #[test]
    fn goodput_columns_appear_when_a_variation_has_goodput() {
        let mut good = summary(100.0, 12.5);
        good.aggregates.push(AggregateValue {
            metric: AggregateMetric::Goodput,
            value: 80.0,
        });
        good.aggregates.push(AggregateValue {
            metric: AggregateMetric::GoodRequestFraction,
            value: 0.8,
        });
        let v = vec![
            ("concurrency=8".to_owned(), good),
            ("concurrency=16".to_owned(), summary(180.0, 20.0)),
        ];
        let csv = render_csv(&v);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].ends_with(",Goodput (requests/sec),Good Request Fraction (ratio)"),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with(",80.0000,0.8000"), "{}", lines[1]);
        assert!(lines[2].ends_with(",,"), "{}", lines[2]);
        let plain = render_csv(&[("concurrency=8".to_owned(), summary(1.0, 1.0))]);
        assert!(!plain.contains("Goodput"));
    }

    #[test]
    fn swept_parameters_become_csv_columns_when_every_label_names_them() {
        let v = vec![
            (
                "concurrency=1, isl={mean: 5, stddev: 1}".to_owned(),
                summary(1.0, 1.0),
            ),
            ("concurrency=2, isl=\"a,b\"".to_owned(), summary(2.0, 2.0)),
        ];
        let csv = render_csv(&v);
        let lines: Vec<&str> = csv.lines().collect();
        assert!(
            lines[0].starts_with("Variation,\"concurrency\",\"isl\",Request"),
            "{csv}"
        );
        assert!(
            lines[1].starts_with("\"concurrency=1, isl={mean: 5, stddev: 1}\",\"1\",\"{mean: 5, stddev: 1}\",1.0000,"),
            "{csv}"
        );
        assert!(lines[2].contains(",\"2\",\"\"\"a,b\"\"\",2.0000,"), "{csv}");
        // Labels that disagree on their names get no parameter columns.
        let v = vec![
            ("concurrency=1".to_owned(), summary(1.0, 1.0)),
            ("rate=2".to_owned(), summary(2.0, 2.0)),
            ("plain".to_owned(), summary(3.0, 3.0)),
        ];
        let csv = render_csv(&v);
        assert!(csv.starts_with("Variation,Request"), "{csv}");
        assert_eq!(label_columns("plain"), None);
    }
}
