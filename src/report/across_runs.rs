//! Reports of repeated runs (`--num-profile-runs`): each metric's mean over runs with its
//! confidence interval, as a console table and as `profile_export_aiperf_aggregate.{json,csv}`.

use std::fmt::Write;

use super::console::titled_table;
use super::format::{csv_label, thousands};
use crate::metrics::confidence::AcrossRuns;

const COLUMNS: [&str; 8] = [
    "Metric", "stat", "mean", "std", "CV %", "CI low", "CI high", "runs",
];

/// The console table; `confidence` is the interval's level (0.95).
pub fn render_console(rows: &[AcrossRuns], runs: usize, confidence: f64) -> String {
    let title = format!(
        "gauntlet | {runs} runs | mean and {:.0} % confidence interval",
        confidence * 100.0
    );
    let cells: Vec<[String; 8]> = rows
        .iter()
        .filter(|r| r.spec.console && matches!(r.stat, "avg" | "p99" | "value"))
        .map(|r| {
            [
                r.spec.label(),
                r.stat.to_owned(),
                thousands(r.mean),
                thousands(r.std),
                format!("{:.2}", r.cv * 100.0),
                thousands(r.ci_low),
                thousands(r.ci_high),
                r.values.len().to_string(),
            ]
        })
        .collect();
    titled_table(&title, &COLUMNS, &cells)
}

/// `profile_export_aiperf_aggregate.json`: per metric tag, per statistic.
pub fn render_json(
    rows: &[AcrossRuns],
    runs: usize,
    confidence: f64,
) -> serde_json::Result<Vec<u8>> {
    let mut metrics = serde_json::Map::new();
    for r in rows {
        let entry = metrics
            .entry(r.spec.tag)
            .or_insert_with(|| serde_json::json!({ "unit": r.spec.unit }));
        entry[r.stat] = serde_json::json!({
            "mean": r.mean,
            "std": r.std,
            "cv": r.cv,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "values": r.values,
        });
    }
    serde_json::to_vec_pretty(&serde_json::json!({
        "schema_version": super::SCHEMA_VERSION,
        "gauntlet_version": crate::VERSION,
        "num_runs": runs,
        "confidence_level": confidence,
        "metrics": metrics,
    }))
}

/// `profile_export_aiperf_aggregate.csv`: one line per (metric, statistic).
pub fn render_csv(rows: &[AcrossRuns]) -> String {
    let mut out = String::from("Metric,Stat,Mean,Std,CV,CI Low,CI High,Runs\r\n");
    for r in rows {
        let _ = write!(
            out,
            "{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{}\r\n",
            csv_label(r.spec),
            r.stat,
            r.mean,
            r.std,
            r.cv,
            r.ci_low,
            r.ci_high,
            r.values.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::catalog::{AggregateMetric, RecordMetric};

    fn rows() -> Vec<AcrossRuns> {
        vec![
            AcrossRuns {
                spec: RecordMetric::TimeToFirstToken.spec(),
                stat: "avg",
                values: vec![10.0, 12.0],
                mean: 11.0,
                std: 1.414,
                cv: 0.1286,
                ci_low: -1.7,
                ci_high: 23.7,
            },
            AcrossRuns {
                spec: AggregateMetric::RequestThroughput.spec(),
                stat: "value",
                values: vec![100.0, 110.0],
                mean: 105.0,
                std: 7.07,
                cv: 0.0673,
                ci_low: 41.5,
                ci_high: 168.5,
            },
        ]
    }

    #[test]
    fn console_shows_mean_interval_and_run_count() {
        let text = render_console(&rows(), 2, 0.95);
        assert!(
            text.contains("2 runs | mean and 95 % confidence interval"),
            "{text}"
        );
        assert!(text.contains("Time to First Token (ms)"), "{text}");
        assert!(text.contains("23.70") && text.contains("168.50"), "{text}");
    }

    #[test]
    fn json_groups_statistics_under_each_tag() {
        let doc: serde_json::Value =
            serde_json::from_slice(&render_json(&rows(), 2, 0.95).unwrap()).unwrap();
        assert_eq!(doc["num_runs"], 2);
        assert_eq!(doc["metrics"]["time_to_first_token"]["unit"], "ms");
        assert_eq!(doc["metrics"]["time_to_first_token"]["avg"]["mean"], 11.0);
        assert_eq!(
            doc["metrics"]["request_throughput"]["value"]["values"][1],
            110.0
        );
    }

    #[test]
    fn csv_has_one_line_per_statistic() {
        let csv = render_csv(&rows());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], "Metric,Stat,Mean,Std,CV,CI Low,CI High,Runs");
        assert!(
            lines[1].starts_with("Time to First Token (ms),avg,11.0000"),
            "{}",
            lines[1]
        );
    }
}
