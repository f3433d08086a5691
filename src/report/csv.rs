//! `profile_export_aiperf.csv`: AIPerf's two sections — per-request statistics, a blank line,
//! then run-level values — rows sorted by tag, numbers with two decimals, CRLF line ends (what
//! Python's csv module writes, so spreadsheets and AIPerf's tools read both alike).

use std::fmt::Write;

use super::format::csv_label;
use crate::metrics::stats::Stats;
use crate::metrics::{MetricSpec, Summary};

/// The per-request section's header line, identical to AIPerf's.
pub const STATS_HEADER: &str = "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std";

/// Renders the CSV document.
pub fn render(summary: &Summary) -> String {
    let mut per_request: Vec<(&'static MetricSpec, &Stats)> = summary
        .metrics
        .iter()
        .map(|m| (m.metric.spec(), &m.stats))
        .collect();
    per_request.sort_by_key(|(spec, _)| spec.tag);
    let mut aggregates: Vec<(&'static MetricSpec, f64)> = summary
        .aggregates
        .iter()
        .map(|a| (a.metric.spec(), a.value))
        .collect();
    aggregates.sort_by_key(|(spec, _)| spec.tag);

    let mut out = String::new();
    out.push_str(STATS_HEADER);
    out.push_str("\r\n");
    for (spec, s) in per_request {
        push_field(&mut out, &csv_label(spec));
        for v in [s.avg, s.min, s.max, s.sum] {
            let _ = write!(out, ",{v:.2}");
        }
        for v in s.percentiles {
            let _ = write!(out, ",{v:.2}");
        }
        let _ = write!(out, ",{:.2}\r\n", s.std);
    }
    out.push_str("\r\nMetric,Value\r\n");
    for (spec, value) in aggregates {
        push_field(&mut out, &csv_label(spec));
        let _ = write!(out, ",{value:.2}\r\n");
    }
    out
}

/// Quotes a field when it holds a comma, quote or line break (RFC 4180).
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}
