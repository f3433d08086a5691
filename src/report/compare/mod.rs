//! `gauntlet compare`: finished runs side by side, the first as the baseline — each metric's
//! value, its relative change, and with `--num-profile-runs` repeats on both sides whether the
//! change is beyond the run-to-run noise (Welch's t-test on the per-repeat values).

mod load;
mod render;
mod welch;

use std::path::{Path, PathBuf};

pub use load::{read_run, RunSet};
pub use render::{render_console, render_csv, render_markdown};
pub use welch::{welch, Welch};

use crate::config::EndpointType;
use crate::metrics::catalog::{MetricSpec, AGGREGATE_METRICS, RECORD_METRICS};

/// Why a comparison cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The folder does not exist.
    #[error("{}: no such directory", .0.display())]
    Missing(PathBuf),
    /// The folder holds no run's export.
    #[error(
        "{}: not a run directory (no profile_export_aiperf.json, nor \
         profile_runs/run_*/profile_export_aiperf.json from --num-profile-runs)",
        .0.display()
    )]
    NotARun(PathBuf),
    /// An export could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// An export is not JSON.
    #[error("{}: not a valid profile export: {error}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        error: serde_json::Error,
    },
    /// One run measured tokens and another did not: their metrics do not line up.
    #[error(
        "cannot compare {} ({a_type}) with {} ({b_type}): one endpoint type produces tokens and \
         the other does not, so their metrics differ",
        a.display(),
        b.display()
    )]
    MixedEndpoints {
        /// The baseline folder.
        a: PathBuf,
        /// Its endpoint type.
        a_type: String,
        /// The other folder.
        b: PathBuf,
        /// Its endpoint type.
        b_type: String,
    },
    /// A confidence level outside (0, 1).
    #[error("--confidence-level must be between 0 and 1 (e.g. 0.95), got {0}")]
    BadConfidence(f64),
}

/// How a run's value compares with the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Better by the metric's direction (and beyond the noise, when tested).
    Better,
    /// Worse by the metric's direction (and beyond the noise, when tested).
    Worse,
    /// Larger, for a metric with no better direction.
    Higher,
    /// Smaller, for a metric with no better direction.
    Lower,
    /// The same value.
    Same,
    /// Different, but within the run-to-run noise (the test found no significant difference).
    Noise,
}

impl Verdict {
    /// The word printed in the tables.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Higher => "higher",
            Verdict::Lower => "lower",
            Verdict::Same => "same",
            Verdict::Noise => "noise",
        }
    }
}

/// One run's value of one (metric, statistic), and how it compares with the baseline's.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The value (the mean over repeats when the run has several).
    pub mean: f64,
    /// The value from each repeat.
    pub values: Vec<f64>,
    /// Against the baseline; `None` for the baseline itself or when the baseline lacks it.
    pub change: Option<Change>,
}

/// A difference from the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// (value − baseline) / |baseline| × 100; `None` when the baseline is 0.
    pub percent: Option<f64>,
    /// Welch's test, when both runs have two or more repeats.
    pub test: Option<Welch>,
    /// Better, worse, same or noise.
    pub verdict: Verdict,
}

/// One (metric, statistic) across the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The export's tag.
    pub tag: String,
    /// "Header (unit)", as the console report labels it.
    pub label: String,
    /// "avg", "p50", "p90", "p99", or "value" for a run-level metric.
    pub stat: &'static str,
    /// Whether the console and markdown tables show the row.
    pub console: bool,
    /// One cell per run (`None` where the run lacks the metric).
    pub cells: Vec<Option<Cell>>,
}

/// Runs compared with the first.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The run folders, baseline first.
    pub runs: Vec<RunSet>,
    /// The short names the tables head their columns with, in run order.
    pub names: Vec<String>,
    /// Significance level of the test: 1 − confidence.
    pub alpha: f64,
    /// Every (metric, statistic) of any run, in the console report's metric order.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Whether any two runs were tested against each other (both had repeats).
    pub fn tested(&self) -> bool {
        self.rows
            .iter()
            .flat_map(|r| r.cells.iter().flatten())
            .any(|c| c.change.is_some_and(|ch| ch.test.is_some()))
    }
}

/// Compares `runs` (baseline first) at `confidence` (e.g. 0.95: a difference is significant
/// when Welch's p < 0.05). Refuses runs whose endpoint types differ in whether they produce
/// tokens.
pub fn compare(runs: Vec<RunSet>, confidence: f64) -> Result<Comparison, CompareError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(CompareError::BadConfidence(confidence));
    }
    check_endpoints(&runs)?;
    let names = short_names(&runs);
    let mut rows = Vec::new();
    for (tag, spec, per_request) in metric_order(&runs) {
        let stats: &[&'static str] = if per_request {
            &load::REQUEST_STATS
        } else {
            &["avg"]
        };
        for &stat in stats {
            let cells: Vec<Option<(Vec<f64>, f64)>> = runs
                .iter()
                .map(|run| {
                    let values: Vec<f64> = (run.repeats.iter())
                        .filter_map(|e| e.get(&tag))
                        .filter_map(|m| m.stats.iter().find(|(s, _)| *s == stat).map(|p| p.1))
                        .collect();
                    let mean = values.iter().sum::<f64>() / values.len() as f64;
                    (!values.is_empty()).then_some((values, mean))
                })
                .collect();
            if cells.iter().all(Option::is_none) {
                continue;
            }
            let base = cells[0].clone();
            let cells = (cells.into_iter().enumerate())
                .map(|(i, cell)| {
                    cell.map(|(values, mean)| {
                        let change = match &base {
                            Some((base_values, base_mean)) if i > 0 => Some(change_of(
                                (base_values, *base_mean),
                                (&values, mean),
                                spec.map(larger_is_better),
                                1.0 - confidence,
                            )),
                            _ => None,
                        };
                        Cell {
                            mean,
                            values,
                            change,
                        }
                    })
                })
                .collect();
            let unit = (runs.iter().flat_map(|r| r.repeats.iter()))
                .find_map(|e| e.get(&tag))
                .map_or("", |m| m.unit.as_str());
            rows.push(Row {
                label: spec.map_or_else(|| format!("{tag} ({unit})"), MetricSpec::label),
                tag: tag.clone(),
                stat: if per_request { stat } else { "value" },
                console: spec.is_none_or(|s| s.console) && stat != "p90",
                cells,
            });
        }
    }
    Ok(Comparison {
        runs,
        names,
        alpha: 1.0 - confidence,
        rows,
    })
}

/// Whether a larger value is better. AIPerf's registry marks `goodput` and
/// `good_request_count` only as goodput metrics, without a direction; more requests meeting
/// their SLOs is better, so a comparison says so.
fn larger_is_better(spec: &MetricSpec) -> bool {
    spec.larger_is_better || matches!(spec.tag, "goodput" | "good_request_count")
}

fn change_of(
    (base_values, base): (&[f64], f64),
    (values, mean): (&[f64], f64),
    larger_is_better: Option<bool>,
    alpha: f64,
) -> Change {
    let percent = (base != 0.0).then(|| (mean - base) / base.abs() * 100.0);
    let test = welch(base_values, values);
    let verdict = if mean == base {
        Verdict::Same
    } else if test.is_some_and(|t| t.p.is_nan() || t.p >= alpha) {
        Verdict::Noise
    } else {
        match (larger_is_better, mean > base) {
            (Some(true), true) | (Some(false), false) => Verdict::Better,
            (Some(_), _) => Verdict::Worse,
            (None, true) => Verdict::Higher,
            (None, false) => Verdict::Lower,
        }
    };
    Change {
        percent,
        test,
        verdict,
    }
}

/// The metrics of every run: the catalog's per-request metrics, then its run-level ones, then
/// tags the catalog does not know (newer exports), by name.
fn metric_order(runs: &[RunSet]) -> Vec<(String, Option<&'static MetricSpec>, bool)> {
    let mut present: std::collections::BTreeMap<&str, bool> = Default::default();
    for export in runs.iter().flat_map(|r| r.repeats.iter()) {
        for (tag, m) in export {
            *present.entry(tag).or_default() |= m.per_request;
        }
    }
    let mut out = Vec::new();
    for spec in RECORD_METRICS.iter().chain(AGGREGATE_METRICS.iter()) {
        if let Some(per_request) = present.remove(spec.tag) {
            out.push((spec.tag.to_owned(), Some(spec), per_request));
        }
    }
    out.extend(present.into_iter().map(|(t, p)| (t.to_owned(), None, p)));
    out
}

fn check_endpoints(runs: &[RunSet]) -> Result<(), CompareError> {
    let tokens = |run: &RunSet| {
        (run.endpoint.as_deref())
            .and_then(EndpointType::from_name)
            .map(EndpointType::produces_tokens)
    };
    let Some(base) = runs.first() else {
        return Ok(());
    };
    for run in &runs[1..] {
        if let (Some(a), Some(b)) = (tokens(base), tokens(run)) {
            if a != b {
                return Err(CompareError::MixedEndpoints {
                    a: base.dir.clone(),
                    a_type: base.endpoint.clone().unwrap_or_default(),
                    b: run.dir.clone(),
                    b_type: run.endpoint.clone().unwrap_or_default(),
                });
            }
        }
    }
    Ok(())
}

/// Each run's folder name, or its whole path where two folders share a name.
fn short_names(runs: &[RunSet]) -> Vec<String> {
    let name = |dir: &Path| {
        dir.file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into())
    };
    let names: Vec<String> = runs.iter().map(|r| name(&r.dir)).collect();
    names
        .iter()
        .zip(runs)
        .map(|(n, run)| {
            if names.iter().filter(|m| *m == n).count() > 1 {
                run.dir.display().to_string()
            } else {
                n.clone()
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
