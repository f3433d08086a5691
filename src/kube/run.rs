//! `kube run`: apply the objects with kubectl, wait for the Job, copy the workers' folders out
//! of the claim through a short-lived pod, and merge them with `gauntlet merge` (run as a child
//! of this very executable, so this module needs nothing of merge's code).

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::batch::v1::Job;

use super::error::KubeError;
use super::kubectl::Kubectl;
use super::objects::{self, JobShape};
use super::{emit, start, RunArgs};

/// `kube run`'s default lead time: long enough for pods to be scheduled, pull the image and
/// build the workload before the common start.
const DEFAULT_START_DELAY_S: f64 = 60.0;
/// Between two looks at the Job's status.
const POLL: Duration = Duration::from_secs(2);
/// How long the collector pod may take to start.
const COLLECTOR_READY_S: u32 = 300;

/// Runs the benchmark on the cluster; returns the exit code.
pub fn run(args: &RunArgs) -> Result<u8, KubeError> {
    let name = args.job.name.clone().unwrap_or_else(default_name);
    let (mut shape, profile) = super::checked(&args.job, name, None, Some(args.timeout))?;
    let workers_dir = args.output.join("workers");
    if workers_dir.exists() {
        return Err(KubeError::BadFlag {
            flag: "--output",
            value: args.output.display().to_string(),
            why: "already holds a workers/ folder from another run; give a new folder".into(),
        });
    }
    let kubectl = Kubectl::new(args.kubeconfig.clone(), args.job.namespace.clone());
    // The start is fixed at apply time, so the lead time is what the pods get.
    let delay = match (&args.job.start_at, args.job.start_delay) {
        (Some(_), _) => None,
        (None, given) => Some(given.unwrap_or(DEFAULT_START_DELAY_S)),
    };
    shape.start_at = start::start_at(args.job.start_at.as_deref(), delay)?;
    let built = objects::build(&shape, &profile).map_err(KubeError::ProfileFlags)?;
    eprintln!(
        "kube run: applying ConfigMap {} and Job {} ({} workers, starting at {})",
        shape.config_map_name(),
        shape.name,
        shape.workers,
        shape.start_at.as_deref().unwrap_or("once ready"),
    );
    kubectl.run(
        &["apply", "-f", "-"],
        Some(&emit::json(&built.values())),
        "check the kubeconfig context and that the namespace exists (`kubectl auth can-i create jobs`)",
    )?;
    let failure = wait(&kubectl, &shape, args.timeout)?;
    if let Some(why) = &failure {
        eprintln!(
            "kube run: Job {} failed ({why}); collecting what the workers wrote (logs: `kubectl logs{} -l job-name={}`)",
            shape.name,
            kubectl.ns_hint(),
            shape.name
        );
    }
    let image = args.collect_image.as_deref().unwrap_or(&shape.image);
    collect(&kubectl, &shape, image, &workers_dir)?;
    let merged = merge(&workers_dir, &args.output)?;
    Ok(match failure {
        Some(_) => merged.max(crate::run::exit::ERRORS_ABOVE_TOLERANCE),
        None => merged,
    })
}

fn default_name() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("gauntlet-{secs}")
}

/// Waits until the Job is Complete (`None`) or Failed (`Some(why)`), at most the Job's own
/// deadline and a grace period in which the Job controller reports it.
fn wait(kubectl: &Kubectl, shape: &JobShape, timeout_s: u64) -> Result<Option<String>, KubeError> {
    let grace = timeout_s.min(30);
    let deadline = Instant::now() + Duration::from_secs(timeout_s + grace);
    let job_ref = format!("job/{}", shape.name);
    let mut last_counts = None;
    loop {
        let text = kubectl.run(&["get", &job_ref, "-o", "json"], None, "")?;
        let job: Job = serde_json::from_str(&text).map_err(|e| KubeError::Kubectl {
            command: format!("get {job_ref} -o json"),
            message: format!("not a Job: {e}"),
            hint: String::new(),
        })?;
        let status = job.status.unwrap_or_default();
        for condition in status.conditions.iter().flatten() {
            if condition.status != "True" {
                continue;
            }
            match condition.type_.as_str() {
                "Complete" => return Ok(None),
                "Failed" => {
                    let mut why = condition.reason.clone().unwrap_or_else(|| "Failed".into());
                    if let Some(indexes) = status.failed_indexes.as_deref() {
                        why.push_str(&format!(", workers {indexes}"));
                    }
                    if let Some(message) = &condition.message {
                        why.push_str(&format!(": {message}"));
                    }
                    return Ok(Some(crate::printable::printable(&why).into_owned()));
                }
                _ => {}
            }
        }
        let counts = (
            status.active.unwrap_or(0),
            status.succeeded.unwrap_or(0),
            status.failed.unwrap_or(0),
        );
        if last_counts != Some(counts) {
            eprintln!(
                "kube run: Job {}: {} running, {} done, {} failed of {}",
                shape.name, counts.0, counts.1, counts.2, shape.workers
            );
            last_counts = Some(counts);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(KubeError::Timeout {
                job: shape.name.clone(),
                secs: timeout_s,
                ns: kubectl.ns_hint(),
            });
        }
        std::thread::sleep(POLL.min(deadline - now));
    }
}

/// Copies `/artifacts/<name>/` out of the claim into `into` through a pod that mounts it, then
/// deletes the pod; checks that every worker's folder came.
fn collect(kubectl: &Kubectl, shape: &JobShape, image: &str, into: &Path) -> Result<(), KubeError> {
    let pod = objects::collector(shape, image);
    let pod_json = serde_json::to_string(&pod).expect("a Pod serializes");
    let pod_name = shape.collector_name();
    kubectl.run(&["apply", "-f", "-"], Some(&pod_json), "")?;
    let copied = copy_out(kubectl, shape, &pod_name, into);
    // The pod goes whether or not the copy worked (and ends by itself within the hour).
    let deleted = kubectl.run(
        &[
            "delete",
            "pod",
            &pod_name,
            "--wait=false",
            "--ignore-not-found",
        ],
        None,
        "",
    );
    copied?;
    if let Err(e) = deleted {
        eprintln!("kube run: {e}");
    }
    for index in 0..shape.workers {
        if !into.join(format!("worker-{index}")).is_dir() {
            return Err(KubeError::MissingWorker {
                index,
                dir: into.to_path_buf(),
                job: shape.name.clone(),
                ns: kubectl.ns_hint(),
            });
        }
    }
    Ok(())
}

fn copy_out(kubectl: &Kubectl, shape: &JobShape, pod: &str, into: &Path) -> Result<(), KubeError> {
    let ready_timeout = format!("--timeout={COLLECTOR_READY_S}s");
    kubectl.run(
        &[
            "wait",
            "--for=condition=Ready",
            &format!("pod/{pod}"),
            &ready_timeout,
        ],
        None,
        "the collector pod needs --collect-image (or --image) to have `sleep` and `tar`",
    )?;
    if let Some(parent) = into.parent() {
        std::fs::create_dir_all(parent).map_err(|source| KubeError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let from = format!("{pod}:{}", shape.run_dir());
    let into_text = into.to_string_lossy();
    kubectl.run(
        &["cp", "-c", "collect", &from, &into_text],
        None,
        "the collector image needs `tar`",
    )?;
    eprintln!(
        "kube run: collected the workers' folders into {}",
        into.display()
    );
    Ok(())
}

/// The collected folders merged into one run by `gauntlet merge`'s own code: the merged table on
/// stdout, the export files in `output`.
fn merge(workers: &Path, output: &Path) -> Result<u8, KubeError> {
    let merged = crate::report::merge_workers(&[workers.to_path_buf()], output)
        .map_err(|e| KubeError::Merge(e.to_string()))?;
    print!("{}", merged.console);
    eprintln!(
        "kube run: merged {} workers into {}; {}",
        merged.workers,
        output.display(),
        merged.percentiles.line()
    );
    Ok(0)
}
