//! Sweeps: variations of a plan (from `sweep:` in YAML or comma lists on the command line)
//! run one after another, each into its own folder, then summarised side by side.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{run, RunError, RunOutcome};
use crate::config::Plan;
use crate::report;

/// One variation: a label such as `concurrency=16` and its resolved plan.
#[derive(Debug, Clone)]
pub struct Variation {
    /// Shown in the summary table; also names the folder.
    pub label: String,
    /// The plan to run.
    pub plan: Plan,
}

/// What a sweep left behind.
#[derive(Debug)]
pub struct SweepOutcome {
    /// One outcome per variation that ran, in order.
    pub runs: Vec<(String, RunOutcome)>,
    /// Where `sweep_summary.csv` is.
    pub summary_dir: PathBuf,
    /// The worst exit code of the variations (130 when one was interrupted).
    pub exit_code: u8,
}

/// A variation that could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Running one variation failed before it could send.
    #[error("variation {label}: {source}")]
    Run {
        /// The variation.
        label: String,
        /// Why.
        source: RunError,
    },
    /// The summary could not be written.
    #[error("cannot write {path}: {error}")]
    Artifacts {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

/// A folder name for a variation label: `concurrency=16,rate=2.5` → `concurrency_16-rate_2.5`.
pub fn folder_name(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| match c {
            '=' => '_',
            ',' | ' ' | '/' | '\\' => '-',
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') => c,
            _ => '_',
        })
        .collect();
    if name.is_empty() {
        "variation".into()
    } else {
        name
    }
}

/// Runs every variation in order; an interrupted variation ends the sweep. The summary table
/// goes to stdout and `sweep_summary.csv` into `summary_dir`.
pub fn run_sweep(variations: &[Variation], summary_dir: &Path) -> Result<SweepOutcome, SweepError> {
    let mut runs = Vec::with_capacity(variations.len());
    for (i, v) in variations.iter().enumerate() {
        let _ = writeln!(
            std::io::stdout(),
            "== variation {} of {}: {} ==",
            i + 1,
            variations.len(),
            v.label
        );
        let outcome = run(&v.plan).map_err(|source| SweepError::Run {
            label: v.label.clone(),
            source,
        })?;
        let interrupted = outcome.exit_code == 130;
        runs.push((v.label.clone(), outcome));
        if interrupted {
            break;
        }
    }
    let table_rows: Vec<_> = runs
        .iter()
        .map(|(label, o)| (label.clone(), o.summary.clone()))
        .collect();
    let table = report::write_sweep_summary(summary_dir, &table_rows).map_err(|error| {
        SweepError::Artifacts {
            path: summary_dir.to_path_buf(),
            error,
        }
    })?;
    let _ = writeln!(std::io::stdout(), "\n{table}");
    let exit_code = runs.iter().map(|(_, o)| o.exit_code).max().unwrap_or(0);
    Ok(SweepOutcome {
        runs,
        summary_dir: summary_dir.to_path_buf(),
        exit_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_are_filesystem_safe() {
        assert_eq!(folder_name("concurrency=16"), "concurrency_16");
        assert_eq!(
            folder_name("concurrency=16, rate=2.5"),
            "concurrency_16--rate_2.5"
        );
        assert_eq!(folder_name("isl={mean: 5}"), "isl__mean_-5_");
        assert_eq!(folder_name(""), "variation");
    }
}
