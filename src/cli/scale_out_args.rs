//! `--worker-count`, `--worker-index` and `--start-at`: one run's schedule shared by several
//! processes (docs/scale-out.md).

use clap::Args;

use super::flag_error::{flag_err, FlagError};
use crate::config::{ScaleOut, StartAt, WorkerShare};

/// The environment variable Kubernetes sets in each pod of an Indexed Job.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// Worker mode and the common start.
#[derive(Debug, Clone, Default, Args)]
pub struct ScaleOutArgs {
    /// Worker mode: this process is one of N that share one run's schedule (ticket i is
    /// worker i % N's; sessions are never split). Artifacts go to <artifact dir>/worker-<K>/;
    /// `gauntlet merge` makes one run of them (docs/scale-out.md).
    #[arg(long, value_name = "N", help_heading = "Scale-out")]
    pub worker_count: Option<u32>,

    /// This worker, 0 ≤ K < N [default: $JOB_COMPLETION_INDEX, set by Kubernetes Indexed Jobs].
    #[arg(long, value_name = "K", help_heading = "Scale-out")]
    pub worker_index: Option<u32>,

    /// Wall-clock instant the first phase begins, after preparation: Unix seconds
    /// (1767225600.5) or RFC 3339 (2026-12-07T01:00:00Z). A process ready later starts at once
    /// and says how late.
    #[arg(long, value_name = "TIME", help_heading = "Scale-out")]
    pub start_at: Option<String>,
}

impl ScaleOutArgs {
    /// Resolves the flags; `env_index` is `$JOB_COMPLETION_INDEX` when set.
    pub fn resolve(&self, env_index: Option<String>) -> Result<ScaleOut, FlagError> {
        let start_at = match &self.start_at {
            Some(text) => Some(StartAt::parse(text).map_err(|e| flag_err("--start-at", e))?),
            None => None,
        };
        let worker = match (self.worker_count, self.worker_index) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(flag_err(
                    "--worker-index",
                    "needs --worker-count N (the number of workers)",
                ))
            }
            (Some(0), _) => return Err(flag_err("--worker-count", "must be at least 1")),
            (Some(count), given) => {
                let (index, origin) = match given {
                    Some(index) => (index, "--worker-index"),
                    None => {
                        let text = env_index.ok_or_else(|| {
                            flag_err(
                                "--worker-count",
                                format!(
                                    "worker mode needs this worker's index: give --worker-index K \
                                     or set ${JOB_COMPLETION_INDEX}"
                                ),
                            )
                        })?;
                        let index = text.trim().parse::<u32>().map_err(|_| {
                            flag_err(
                                "--worker-index",
                                format!("${JOB_COMPLETION_INDEX} is {text:?}, not a worker index"),
                            )
                        })?;
                        (index, "$JOB_COMPLETION_INDEX")
                    }
                };
                if index >= count {
                    return Err(flag_err(
                        "--worker-index",
                        format!(
                            "{origin} is {index}; with --worker-count {count} it must be 0 to {}",
                            count - 1
                        ),
                    ));
                }
                Some(WorkerShare { count, index })
            }
        };
        Ok(ScaleOut { worker, start_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(count: Option<u32>, index: Option<u32>) -> ScaleOutArgs {
        ScaleOutArgs {
            worker_count: count,
            worker_index: index,
            start_at: None,
        }
    }

    #[test]
    fn the_index_comes_from_the_flag_or_the_job_index() {
        let share =
            |a: ScaleOutArgs, env: Option<&str>| a.resolve(env.map(String::from)).map(|s| s.worker);
        let w = |count, index| Some(WorkerShare { count, index });
        assert_eq!(share(args(Some(3), Some(1)), Some("2")).unwrap(), w(3, 1));
        assert_eq!(share(args(Some(3), None), Some("2")).unwrap(), w(3, 2));
        assert_eq!(share(args(None, None), Some("2")).unwrap(), None);
        let message = |a: ScaleOutArgs, env: Option<&str>| share(a, env).unwrap_err().to_string();
        let both = message(args(Some(3), None), None);
        assert!(
            both.contains("--worker-index") && both.contains("JOB_COMPLETION_INDEX"),
            "{both}"
        );
        assert!(message(args(None, Some(1)), None).contains("--worker-count"));
        assert!(message(args(Some(3), Some(3)), None).contains("0 to 2"));
        assert!(message(args(Some(3), None), Some("x")).contains("\"x\""));
        assert!(message(args(Some(0), None), Some("0")).contains("at least 1"));
    }

    #[test]
    fn a_bad_start_names_the_flag() {
        let a = ScaleOutArgs {
            start_at: Some("tomorrow".into()),
            ..ScaleOutArgs::default()
        };
        assert!(a
            .resolve(None)
            .unwrap_err()
            .to_string()
            .contains("--start-at"));
    }
}
