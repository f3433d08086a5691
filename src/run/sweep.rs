//! Sweeps: variations of a plan (from `sweep:` in YAML or comma lists on the command line)
//! run one after another, each into its own folder, then summarised side by side.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::repeat::{mean_summary, run_repeated, Repeat, RepeatError};
use super::{run, RunError, RunOutcome};
use crate::config::Plan;
use crate::metrics::Summary;
use crate::report;

/// One variation: a label such as `concurrency=16` and its resolved plan.
#[derive(Debug, Clone)]
pub struct Variation {
    /// Shown in the summary table; also names the folder.
    pub label: String,
    /// The plan to run.
    pub plan: Plan,
}

/// The variations of a sweep in run order, each pointed at its own artifact folder: one place
/// builds them for comma lists, config-file sweeps and `speed-bench`, so every sweep names and
/// lays out its folders the same way.
#[derive(Debug)]
pub struct Variations {
    /// Where the folders and the summary go; set from the first plan when not given.
    summary_dir: Option<PathBuf>,
    /// Names `artifacts/<model>-<default_suffix>` when no folder was given.
    default_suffix: &'static str,
    list: Vec<Variation>,
    folders: Vec<String>,
}

impl Variations {
    /// An empty sweep writing into `dir` (`--output-artifact-dir`), else into
    /// `artifacts/<model>-<default_suffix>`, the model taken from the first plan pushed.
    pub fn new(dir: Option<PathBuf>, default_suffix: &'static str) -> Self {
        Self {
            summary_dir: dir,
            default_suffix,
            list: Vec::new(),
            folders: Vec::new(),
        }
    }

    /// Adds the next variation: its plan writes into `<sweep folder>/<folder_name(label)>`; a
    /// folder name already taken gets the variation's 1-based position appended
    /// (`concurrency_8-3`), so no variation overwrites another's artifacts.
    pub fn push(&mut self, label: String, mut plan: Plan) {
        let suffix = self.default_suffix;
        let dir = self
            .summary_dir
            .get_or_insert_with(|| {
                let model = plan.model.replace(['/', '\\', ' '], "_");
                PathBuf::from("artifacts").join(format!("{model}-{suffix}"))
            })
            .clone();
        let mut folder = folder_name(&label);
        if self.folders.contains(&folder) {
            folder = format!("{folder}-{}", self.list.len() + 1);
        }
        plan.artifact_dir = dir.join(&folder);
        self.folders.push(folder);
        self.list.push(Variation { label, plan });
    }

    /// The variations in run order, and the sweep folder (empty when nothing was pushed and
    /// no folder was given).
    pub fn finish(self) -> (Vec<Variation>, PathBuf) {
        (self.list, self.summary_dir.unwrap_or_default())
    }
}

/// What a sweep left behind.
#[derive(Debug)]
pub struct SweepOutcome {
    /// Every run, in order, with its variation's label (a label appears once per repeat).
    pub runs: Vec<(String, RunOutcome)>,
    /// The summary table's rows: one per variation that ran (the mean over its runs when
    /// repeated).
    pub rows: Vec<(String, Summary)>,
    /// Where `sweep_summary.csv` is.
    pub summary_dir: PathBuf,
    /// The worst exit code of the variations (129, 130 or 143 when a signal stopped one).
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
        source: Box<RunError>,
    },
    /// Repeating one variation failed.
    #[error("variation {label}: {source}")]
    Repeat {
        /// The variation.
        label: String,
        /// Why.
        source: Box<RepeatError>,
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

/// Folder names longer than this are cut (file systems stop at 255 bytes).
const MAX_FOLDER_LEN: usize = 120;

/// A folder name for a variation label, one path component whatever the values hold:
/// `concurrency=16, rate=2.5` → `concurrency_16-rate_2.5`,
/// `isl={mean: 512, stddev: 64}` → `isl_mean512-stddev64`.
pub fn folder_name(label: &str) -> String {
    let mut name = String::with_capacity(label.len());
    for c in label.chars() {
        let mapped = match c {
            '=' => '_',
            ',' | '/' | '\\' => '-',
            ' ' | ':' | '{' | '}' | '[' | ']' | '"' | '\'' => continue,
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') => c,
            _ => '_',
        };
        if !(mapped == '-' && name.ends_with('-')) {
            name.push(mapped);
        }
    }
    name.truncate(MAX_FOLDER_LEN);
    // No hidden folders, and never `.` or `..`.
    let name = name.trim_matches(|c| c == '.' || c == '-');
    if name.is_empty() {
        "variation".into()
    } else {
        name.to_string()
    }
}

/// Runs every variation in order; an interrupted variation ends the sweep. The summary table
/// goes to stdout and `sweep_summary.csv` into `summary_dir`. With `repeat`, each variation
/// runs `repeat.runs` times (its runs and their comparison in its folder, as
/// `--num-profile-runs` lays them out) and its summary row holds the mean over its runs.
pub fn run_sweep(
    variations: &[Variation],
    summary_dir: &Path,
    repeat: Option<Repeat>,
) -> Result<SweepOutcome, SweepError> {
    let mut runs = Vec::with_capacity(variations.len());
    let mut rows = Vec::with_capacity(variations.len());
    for (i, v) in variations.iter().enumerate() {
        let _ = writeln!(
            std::io::stdout(),
            "== variation {} of {}: {} ==",
            i + 1,
            variations.len(),
            v.label
        );
        let interrupted = match repeat {
            None => {
                let outcome = run(&v.plan).map_err(|source| SweepError::Run {
                    label: v.label.clone(),
                    source: Box::new(source),
                })?;
                let interrupted = outcome.interrupted();
                rows.push((v.label.clone(), outcome.summary.clone()));
                runs.push((v.label.clone(), outcome));
                interrupted
            }
            Some(r) => {
                let outcome = run_repeated(&v.plan, r).map_err(|source| SweepError::Repeat {
                    label: v.label.clone(),
                    source: Box::new(source),
                })?;
                let summaries: Vec<Summary> =
                    outcome.runs.iter().map(|o| o.summary.clone()).collect();
                rows.push((v.label.clone(), mean_summary(&summaries)));
                let interrupted = outcome.runs.iter().any(|o| o.interrupted());
                runs.extend(outcome.runs.into_iter().map(|o| (v.label.clone(), o)));
                interrupted
            }
        };
        if interrupted {
            break;
        }
    }
    let table =
        report::write_sweep_summary(summary_dir, &rows).map_err(|error| SweepError::Artifacts {
            path: summary_dir.to_path_buf(),
            error,
        })?;
    let _ = writeln!(std::io::stdout(), "\n{table}");
    let mut exit_code = runs.iter().map(|(_, o)| o.exit_code).max().unwrap_or(0);
    if variations.first().is_some_and(|v| v.plan.auto_plot) {
        if let Err(e) = super::finish::auto_plot(summary_dir) {
            eprintln!("error: artifact not written: {e}");
            exit_code = exit_code.max(super::exit::ARTIFACTS_NOT_WRITTEN);
        }
    }
    Ok(SweepOutcome {
        runs,
        rows,
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
            "concurrency_16-rate_2.5"
        );
        assert_eq!(
            folder_name("concurrency=8, isl={mean: 512, stddev: 64}"),
            "concurrency_8-isl_mean512-stddev64"
        );
        assert_eq!(folder_name("model=\"a/b c\""), "model_a-bc");
        assert_eq!(folder_name(""), "variation");
        assert_eq!(folder_name(".."), "variation");
        assert_eq!(folder_name("x=é"), "x__");
        assert!(folder_name(&"a=1, ".repeat(100)).len() <= MAX_FOLDER_LEN);
    }
}
