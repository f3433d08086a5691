//! Why `gauntlet kube` refused or stopped, each in one line that says how to go on.

use std::path::PathBuf;

/// A refusal or failure of `kube render` / `kube run`.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// A kube flag's value is not what Kubernetes accepts.
    #[error("{flag} {value:?}: {why}")]
    BadFlag {
        /// The flag.
        flag: &'static str,
        /// Its value as given.
        value: String,
        /// What is expected.
        why: String,
    },
    /// A profile flag that kube sets itself, or that would put a secret into the manifests.
    #[error("{flag} among the profile flags: {why}")]
    ProfileFlagRefused {
        /// The flag as typed.
        flag: String,
        /// Why, and what to use instead.
        why: &'static str,
    },
    /// The profile flags do not parse as `gauntlet profile`'s.
    #[error("profile flags: {0}")]
    ProfileFlags(String),
    /// The profile flags or config file do not resolve into a plan (the message is profile's).
    #[error(transparent)]
    Plan(#[from] crate::cli::profile::ProfileError),
    /// The config file has a problem (every one, with file, line and key).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigErrors),
    /// A config file key that would put a secret into the ConfigMap.
    #[error("{file}: {key} would be printed into the ConfigMap; remove it and give --api-key-secret NAME/KEY (headers with secrets are not supported by kube)")]
    SecretInConfig {
        /// The config file.
        file: PathBuf,
        /// The key.
        key: &'static str,
    },
    /// `kubectl` is not on the PATH.
    #[error("kubectl not found on PATH: install it (https://kubernetes.io/docs/tasks/tools/) or print the manifests with `gauntlet kube render` and apply them yourself")]
    NoKubectl,
    /// A kubectl call failed.
    #[error("`kubectl {command}` failed: {message}{hint}")]
    Kubectl {
        /// The kubectl subcommand and its arguments (no secret is ever among them).
        command: String,
        /// kubectl's own last line.
        message: String,
        /// What to do about it, starting with "; ".
        hint: String,
    },
    /// The Job did not finish in time.
    #[error("Job {job} did not finish within --timeout {secs} s; its pods are still there: `kubectl logs{ns} -l job-name={job}`, then `kubectl delete job{ns} {job}`")]
    Timeout {
        /// The Job's name.
        job: String,
        /// `--timeout`.
        secs: u64,
        /// ` -n NS` or empty.
        ns: String,
    },
    /// A worker's folder was not among the collected files.
    #[error("worker {index}'s folder is missing from {dir} (did its pod fail? `kubectl logs{ns} -l job-name={job}`)")]
    MissingWorker {
        /// The worker index.
        index: u32,
        /// Where the folders were collected to.
        dir: PathBuf,
        /// The Job's name.
        job: String,
        /// ` -n NS` or empty.
        ns: String,
    },
    /// `gauntlet merge` failed.
    #[error("`gauntlet merge` failed: {0}")]
    Merge(String),
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
