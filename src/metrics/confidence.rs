//! Statistics across repeated runs of one configuration (`--num-profile-runs`): for each
//! metric, the mean over runs with a Student-t confidence interval, so a user can tell a real
//! difference from run-to-run noise.
//!
//! Each run contributes one value per (metric, statistic): a run's p99 TTFT is one sample of
//! "p99 TTFT". The interval is for the mean of those samples: mean ± t(1−α/2, n−1)·s/√n, with
//! `s` the sample standard deviation (n − 1), since the runs are a sample of possible runs.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::catalog::MetricSpec;
use super::summary::Summary;

/// Which statistic of a per-request metric is compared across runs.
pub const STATS_ACROSS_RUNS: [&str; 4] = ["avg", "p50", "p90", "p99"];

/// One (metric, statistic) across runs.
#[derive(Debug, Clone, PartialEq)]
pub struct AcrossRuns {
    /// The metric.
    pub spec: &'static MetricSpec,
    /// "avg", "p50", "p90", "p99", or "value" for run-level metrics.
    pub stat: &'static str,
    /// The value from each run that had it, in run order.
    pub values: Vec<f64>,
    /// Mean over runs.
    pub mean: f64,
    /// Sample standard deviation over runs (0 with one run).
    pub std: f64,
    /// Coefficient of variation, std / |mean| (0 when the mean is 0).
    pub cv: f64,
    /// Lower end of the confidence interval (equals the mean with one run).
    pub ci_low: f64,
    /// Upper end of the confidence interval.
    pub ci_high: f64,
}

/// A confidence level outside (0, 1).
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("--confidence-level must be between 0 and 1 (e.g. 0.95), got {0}")]
pub struct BadConfidence(pub f64);

/// Every metric present in any run, compared across `runs` at `confidence` (e.g. 0.95).
pub fn across_runs(runs: &[Summary], confidence: f64) -> Result<Vec<AcrossRuns>, BadConfidence> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(BadConfidence(confidence));
    }
    let mut out = Vec::new();
    let Some(first) = runs.first() else {
        return Ok(out);
    };
    for m in &first.metrics {
        for (i, stat) in STATS_ACROSS_RUNS.iter().enumerate() {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.metric(m.metric))
                .map(|s| match i {
                    0 => s.avg,
                    1 => s.percentiles[4],
                    2 => s.percentiles[6],
                    _ => s.percentiles[8],
                })
                .collect();
            out.push(summarize(m.metric.spec(), stat, values, confidence));
        }
    }
    for a in &first.aggregates {
        let values: Vec<f64> = runs.iter().filter_map(|r| r.aggregate(a.metric)).collect();
        out.push(summarize(a.metric.spec(), "value", values, confidence));
    }
    Ok(out)
}

fn summarize(
    spec: &'static MetricSpec,
    stat: &'static str,
    values: Vec<f64>,
    confidence: f64,
) -> AcrossRuns {
    let n = values.len() as f64;
    let mean = if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / n
    };
    let std = if values.len() > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let half_width = if values.len() > 1 {
        t_quantile(confidence, n - 1.0) * std / n.sqrt()
    } else {
        0.0
    };
    AcrossRuns {
        spec,
        stat,
        values,
        mean,
        std,
        cv: if mean == 0.0 { 0.0 } else { std / mean.abs() },
        ci_low: mean - half_width,
        ci_high: mean + half_width,
    }
}

/// The two-sided Student-t critical value for `confidence` with `df` degrees of freedom.
fn t_quantile(confidence: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(0.5 + confidence / 2.0),
        // df > 0 always holds here (two or more runs); a normal quantile is the safe limit.
        Err(_) => 1.959_963_984_540_054,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::catalog::{AggregateMetric, RecordMetric};
    use crate::metrics::stats::Stats;
    use crate::metrics::summary::{AggregateValue, MetricSummary};

    fn run(ttft_avg: f64, throughput: f64) -> Summary {
        Summary {
            metrics: vec![MetricSummary {
                metric: RecordMetric::TimeToFirstToken,
                stats: Stats {
                    count: 10,
                    sum: ttft_avg * 10.0,
                    avg: ttft_avg,
                    min: ttft_avg,
                    max: ttft_avg,
                    std: 0.0,
                    percentiles: [ttft_avg; 9],
                },
            }],
            aggregates: vec![AggregateValue {
                metric: AggregateMetric::RequestThroughput,
                value: throughput,
            }],
            ..Summary::default()
        }
    }

    #[test]
    fn t_quantiles_match_tables() {
        // Standard two-sided 95 % critical values.
        assert!((t_quantile(0.95, 1.0) - 12.706).abs() < 1e-3);
        assert!((t_quantile(0.95, 4.0) - 2.776).abs() < 1e-3);
        assert!((t_quantile(0.95, 30.0) - 2.042).abs() < 1e-3);
        assert!((t_quantile(0.99, 9.0) - 3.250).abs() < 1e-3);
    }

    #[test]
    fn interval_of_five_runs() {
        let runs: Vec<Summary> = [10.0, 12.0, 11.0, 13.0, 9.0]
            .iter()
            .map(|&t| run(t, 100.0 + t))
            .collect();
        let all = across_runs(&runs, 0.95).unwrap();
        let ttft = all
            .iter()
            .find(|a| a.spec.tag == "time_to_first_token" && a.stat == "avg")
            .unwrap();
        assert_eq!(ttft.values, vec![10.0, 12.0, 11.0, 13.0, 9.0]);
        assert!((ttft.mean - 11.0).abs() < 1e-12);
        // Sample std of 9..13 is sqrt(2.5); half width = 2.776 · sqrt(2.5) / sqrt(5).
        assert!((ttft.std - 2.5f64.sqrt()).abs() < 1e-12);
        let half = 2.776_445 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!(
            (ttft.ci_high - 11.0 - half).abs() < 1e-4,
            "{}",
            ttft.ci_high
        );
        assert!((ttft.ci_low - 11.0 + half).abs() < 1e-4);
        assert!((ttft.cv - 2.5f64.sqrt() / 11.0).abs() < 1e-12);
        let thr = all.iter().find(|a| a.stat == "value").unwrap();
        assert!((thr.mean - 111.0).abs() < 1e-9);
    }

    #[test]
    fn one_run_has_a_zero_width_interval() {
        let all = across_runs(&[run(5.0, 1.0)], 0.95).unwrap();
        assert!(all
            .iter()
            .all(|a| a.ci_low == a.mean && a.ci_high == a.mean && a.std == 0.0));
    }

    #[test]
    fn confidence_must_be_a_fraction() {
        assert_eq!(across_runs(&[], 95.0).unwrap_err(), BadConfidence(95.0));
        assert!(across_runs(&[], 0.0).is_err());
    }
}
