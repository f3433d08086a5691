//! `--num-profile-runs N`: the same plan run N times, each into its own folder, then every
//! metric compared across the runs with a confidence interval.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::{run, RunError, RunOutcome};
use crate::config::Plan;
use crate::metrics::confidence::{across_runs, AcrossRuns};
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
    /// The worst exit code of the runs (130 when one was interrupted).
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
        let interrupted = outcome.exit_code == 130;
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
