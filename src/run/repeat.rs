//! `--num-profile-runs N`: the same plan run N times, each into its own folder, then every
//! metric compared across the runs with a confidence interval.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::{run, RunError, RunOutcome};
use crate::config::Plan;
use crate::metrics::confidence::{across_runs, AcrossRuns};
use crate::metrics::{Stats, Summary};
use crate::report;

/// How to repeat a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repeat {
    /// Runs in total (≥ 1).
    pub runs: u32,
    /// Confidence level of the intervals, in (0, 1).
    pub confidence: f64,
    /// Pause between runs, so a server's queues drain and its clocks settle.
    pub cooldown: Duration,
}

/// What repeated runs left behind.
#[derive(Debug)]
pub struct RepeatOutcome {
    /// One outcome per run that happened, in order.
    pub runs: Vec<RunOutcome>,
    /// Each metric across the runs.
    pub across: Vec<AcrossRuns>,
    /// Where the across-runs exports are.
    pub aggregate_dir: PathBuf,
    /// The worst exit code of the runs (129, 130 or 143 when a signal stopped one).
    pub exit_code: u8,
}

/// A repeat request that cannot be honoured.
#[derive(Debug, thiserror::Error)]
pub enum RepeatError {
    /// Zero runs, or a confidence level outside (0, 1).
    #[error("{0}")]
    Invalid(String),
    /// One run failed to happen at all.
    #[error("run {index}: {source}")]
    Run {
        /// 1-based run number.
        index: u32,
        /// Why.
        source: RunError,
    },
    /// The across-runs exports could not be written.
    #[error("cannot write {path}: {error}")]
    Artifacts {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// Runs `plan` `repeat.runs` times into `<artifact_dir>/profile_runs/run_NNNN/` and writes
/// the comparison into `<artifact_dir>/aggregate/`. An interrupted run ends the series; the
/// comparison then covers the runs that finished.
pub fn run_repeated(plan: &Plan, repeat: Repeat) -> Result<RepeatOutcome, RepeatError> {
    if repeat.runs == 0 {
        return Err(RepeatError::Invalid(
            "--num-profile-runs must be at least 1".into(),
        ));
    }
    if !(repeat.confidence > 0.0 && repeat.confidence < 1.0) {
        return Err(RepeatError::Invalid(format!(
            "--confidence-level must be between 0 and 1 (e.g. 0.95), got {}",
            repeat.confidence
        )));
    }
    let mut outcomes = Vec::with_capacity(repeat.runs as usize);
    for index in 1..=repeat.runs {
        if index > 1 && !repeat.cooldown.is_zero() {
            std::thread::sleep(repeat.cooldown);
        }
        let mut one = plan.clone();
        one.artifact_dir = plan
            .artifact_dir
            .join("profile_runs")
            .join(format!("run_{index:04}"));
        let _ = writeln!(std::io::stdout(), "== run {index} of {} ==", repeat.runs);
        let outcome = run(&one).map_err(|source| RepeatError::Run { index, source })?;
        let interrupted = outcome.interrupted();
        outcomes.push(outcome);
        if interrupted {
            break;
        }
    }
    let summaries: Vec<_> = outcomes.iter().map(|o| o.summary.clone()).collect();
    let across = across_runs(&summaries, repeat.confidence)
        .map_err(|e| RepeatError::Invalid(e.to_string()))?;
    let aggregate_dir = plan.artifact_dir.join("aggregate");
    let table =
        report::write_across_runs(&aggregate_dir, &across, outcomes.len(), repeat.confidence)
            .map_err(|error| RepeatError::Artifacts {
                path: aggregate_dir.clone(),
                error,
            })?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "\n{table}");
    let _ = writeln!(stdout, "Across-runs artifacts: {}", aggregate_dir.display());
    let exit_code = outcomes.iter().map(|o| o.exit_code).max().unwrap_or(0);
    Ok(RepeatOutcome {
        runs: outcomes,
        across,
        aggregate_dir,
        exit_code,
    })
}

/// The element-wise mean of several runs' summaries: each statistic of each metric averaged
/// over the runs that have it, so a repeated variation fills one row of a sweep's table.
/// Errors and accounting come from the runs added up.
pub(crate) fn mean_summary(runs: &[Summary]) -> Summary {
    let Some(first) = runs.first() else {
        return Summary::default();
    };
    let mut out = first.clone();
    for m in &mut out.metrics {
        let all: Vec<&Stats> = runs.iter().filter_map(|r| r.metric(m.metric)).collect();
        let n = all.len() as f64;
        let mean = |pick: &dyn Fn(&Stats) -> f64| all.iter().map(|s| pick(s)).sum::<f64>() / n;
        m.stats.avg = mean(&|s| s.avg);
        m.stats.min = mean(&|s| s.min);
        m.stats.max = mean(&|s| s.max);
        m.stats.std = mean(&|s| s.std);
        m.stats.sum = all.iter().map(|s| s.sum).sum();
        m.stats.count = all.iter().map(|s| s.count).sum();
        for (i, p) in m.stats.percentiles.iter_mut().enumerate() {
            *p = mean(&|s| s.percentiles[i]);
        }
    }
    for a in &mut out.aggregates {
        let all: Vec<f64> = runs.iter().filter_map(|r| r.aggregate(a.metric)).collect();
        a.value = all.iter().sum::<f64>() / all.len() as f64;
    }
    for r in &runs[1..] {
        out.accounting.scheduled += r.accounting.scheduled;
        out.accounting.completed += r.accounting.completed;
        out.accounting.failed += r.accounting.failed;
        out.accounting.cancelled += r.accounting.cancelled;
        out.accounting.not_sent += r.accounting.not_sent;
        out.accounting.malformed_events += r.accounting.malformed_events;
        out.was_cancelled |= r.was_cancelled;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::catalog::{AggregateMetric, RecordMetric};
    use crate::metrics::summary::{AggregateValue, MetricSummary};

    fn summary(ttft: f64, rps: f64) -> Summary {
        Summary {
            metrics: vec![MetricSummary {
                metric: RecordMetric::TimeToFirstToken,
                stats: Stats {
                    count: 2,
                    sum: 2.0 * ttft,
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
    fn mean_summary_averages_every_statistic_over_the_runs() {
        let m = mean_summary(&[summary(10.0, 100.0), summary(20.0, 300.0)]);
        let ttft = m.metric(RecordMetric::TimeToFirstToken).unwrap();
        assert_eq!((ttft.avg, ttft.percentiles[8], ttft.count), (15.0, 15.0, 4));
        assert_eq!(m.aggregate(AggregateMetric::RequestThroughput), Some(200.0));
        assert_eq!(mean_summary(&[]), Summary::default());
    }
}
