//! `kubectl`, run as a child process with the user's kubeconfig and namespace: the cluster
//! client every Kubernetes user already has configured (credentials plugins included), at no
//! cost to gauntlet's build.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::error::KubeError;

/// How kubectl is called for one run.
#[derive(Debug, Clone)]
pub struct Kubectl {
    kubeconfig: Option<PathBuf>,
    namespace: Option<String>,
}

impl Kubectl {
    /// kubectl with `--kubeconfig` and `-n` when given.
    pub fn new(kubeconfig: Option<PathBuf>, namespace: Option<String>) -> Self {
        Self {
            kubeconfig,
            namespace,
        }
    }

    /// ` -n NS`, or nothing, for the commands a message suggests.
    pub fn ns_hint(&self) -> String {
        self.namespace
            .as_ref()
            .map(|ns| format!(" -n {ns}"))
            .unwrap_or_default()
    }

    /// Runs `kubectl ARGS` (with `stdin` fed to it) and returns its stdout; a failure is one
    /// line with kubectl's last line of stderr and `hint`.
    pub fn run(&self, args: &[&str], stdin: Option<&str>, hint: &str) -> Result<String, KubeError> {
        let mut command = Command::new("kubectl");
        if let Some(path) = &self.kubeconfig {
            command.arg(OsString::from("--kubeconfig")).arg(path);
        }
        if let Some(ns) = &self.namespace {
            command.args(["-n", ns.as_str()]);
        }
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KubeError::NoKubectl,
            _ => self.failed(args, &e.to_string(), hint),
        })?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A kubectl that exits early closes the pipe; its own message says why.
            let _ = pipe.write_all(text.as_bytes());
        }
        let output = child
            .wait_with_output()
            .map_err(|e| self.failed(args, &e.to_string(), hint))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(String::from)
                .unwrap_or_else(|| format!("exited with {}", output.status));
            return Err(self.failed(args, &last, hint));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn failed(&self, args: &[&str], message: &str, hint: &str) -> KubeError {
        let mut command = String::new();
        if self.namespace.is_some() {
            command.push_str(self.ns_hint().trim_start());
            command.push(' ');
        }
        command.push_str(&args.join(" "));
        KubeError::Kubectl {
            command,
            message: crate::printable::printable(message).into_owned(),
            hint: if hint.is_empty() {
                String::new()
            } else {
                format!("; {hint}")
            },
        }
    }
}
