//! `gauntlet kube run` (issue #22) without a cluster: a fake `kubectl` first on the PATH
//! records every call and answers as a cluster would (or refuses, fails, never finishes), so
//! the commands and the messages are checked.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// The fake: logs its arguments (one call a line) and stdin, and answers per $FAKE_JOB.
const FAKE_KUBECTL: &str = r#"#!/usr/bin/env bash
set -u
dir="$FAKE_KUBECTL_DIR"
printf '%s\n' "$*" >> "$dir/calls.log"
args=("$@")
# Drop the global flags gauntlet passes first.
while [ ${#args[@]} -gt 0 ]; do
  case "${args[0]}" in
    --kubeconfig|-n) args=("${args[@]:2}") ;;
    *) break ;;
  esac
done
case "${args[0]}" in
  apply)
    if [ "$FAKE_JOB" = refuse ]; then
      echo 'Error from server (Forbidden): jobs.batch is forbidden: User "u" cannot create resource "jobs"' >&2
      exit 1
    fi
    n=$(ls "$dir" | grep -c '^applied-' || true)
    cat > "$dir/applied-$n.json"
    if [ "$FAKE_JOB" = pods ]; then
      python3 "$dir/bin/run_pods.py" "$dir/applied-$n.json" || exit 1
    fi
    echo "applied" ;;
  get)
    state="$FAKE_JOB"
    [ "$state" = pods ] && state=$(cat "$dir/job-state")
    case "$state" in
      complete) echo '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"status":{"succeeded":2,"conditions":[{"type":"SuccessCriteriaMet","status":"True"},{"type":"Complete","status":"True"}]}}' ;;
      failed) echo '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"status":{"succeeded":1,"failed":1,"failedIndexes":"1","conditions":[{"type":"Failed","status":"True","reason":"FailedIndexes","message":"Job has failed indexes"}]}}' ;;
      *) echo '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"status":{"active":2}}' ;;
    esac ;;
  wait) echo "pod/x condition met" ;;
  cp)
    dest="${args[${#args[@]}-1]}"
    if [ "$FAKE_JOB" = pods ]; then
      from="${args[${#args[@]}-2]}"
      cp -r "$dir/claim${from#*:/artifacts}" "$dest"
      exit 0
    fi
    mkdir -p "$dest"
    for k in $(seq 0 $((FAKE_WORKERS - 1))); do
      mkdir -p "$dest/worker-$k"
      echo '{}' > "$dest/worker-$k/profile_export_aiperf.json"
    done ;;
  delete) echo "pod deleted" ;;
  *) echo "fake kubectl: unexpected ${args[*]}" >&2; exit 1 ;;
esac
"#;

/// For `FAKE_JOB=pods`: runs the applied Job's pods here, as the Job controller would, one
/// process per index with `JOB_COMPLETION_INDEX` set, the ConfigMap's files and the claim as
/// local folders.
const RUN_PODS: &str = r#"
import json, os, subprocess, sys
d = os.environ["FAKE_KUBECTL_DIR"]
doc = json.load(open(sys.argv[1]))
items = doc.get("items", [doc])
job = next((i for i in items if i["kind"] == "Job"), None)
if job is None:
    sys.exit(0)
plan, claim = os.path.join(d, "plan"), os.path.join(d, "claim")
os.makedirs(plan, exist_ok=True)
for i in items:
    if i["kind"] == "ConfigMap":
        for key, text in i["data"].items():
            open(os.path.join(plan, key), "w").write(text)
def local(a):
    return a.replace("/artifacts", claim).replace("/etc/gauntlet", plan)
spec = job["spec"]
container = spec["template"]["spec"]["containers"][0]
argv = [local(a) for a in container["command"] + container["args"]]
procs = []
for k in range(spec["completions"]):
    log = open(os.path.join(d, "worker-%d.log" % k), "w")
    env = dict(os.environ, JOB_COMPLETION_INDEX=str(k))
    procs.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT))
codes = [p.wait() for p in procs]
open(os.path.join(d, "job-state"), "w").write("complete" if not any(codes) else "failed")
"#;

/// A folder holding the fake `kubectl`, and where it logs.
fn fake(name: &str) -> PathBuf {
    let dir = artifact_dir(name);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("kubectl");
    std::fs::write(&path, FAKE_KUBECTL).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(bin.join("run_pods.py"), RUN_PODS).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_gauntlet"), bin.join("gauntlet")).unwrap();
    dir
}

fn calls(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn kube_run(dir: &Path, job: &str, extra: &[&str]) -> std::process::Output {
    let output = dir.join("out");
    let mut args = vec![
        "kube",
        "run",
        "--workers",
        "2",
        "--image",
        "g:1",
        "--pvc",
        "results",
        "--namespace",
        "bench",
        "--name",
        "run-1",
        "--kubeconfig",
        "/tmp/kubeconfig-for-test",
        "--output",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-m", "m", "-u", "http://vllm:8000", "--request-count", "20"]);
    let path = format!("{}:/usr/bin:/bin", dir.join("bin").display());
    gauntlet_with_env(
        &args,
        &[
            ("PATH", path.as_str()),
            ("FAKE_KUBECTL_DIR", dir.to_str().unwrap()),
            ("FAKE_JOB", job),
            ("FAKE_WORKERS", "2"),
        ],
    )
}

#[test]
fn a_run_applies_waits_collects_and_hands_the_folders_to_merge() {
    let dir = fake("kube-run-complete");
    let before = jiff::Timestamp::now();
    let out = kube_run(&dir, "complete", &[]);
    let log = calls(&dir);
    let prefix = "--kubeconfig /tmp/kubeconfig-for-test -n bench ";
    let expected = [
        "apply -f -".to_string(),
        "get job/run-1 -o json".to_string(),
        "apply -f -".to_string(),
        "wait --for=condition=Ready pod/run-1-collect --timeout=300s".to_string(),
        format!(
            "cp -c collect run-1-collect:/artifacts/run-1 {}",
            dir.join("out/workers").display()
        ),
        "delete pod run-1-collect --wait=false --ignore-not-found".to_string(),
    ];
    assert_eq!(
        log,
        expected.map(|c| format!("{prefix}{c}")),
        "{}",
        text(&out)
    );

    // What was applied: the ConfigMap and the Job, starting one lead time (60 s) from now.
    let applied: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("applied-0.json")).unwrap())
            .unwrap();
    let items = applied["items"].as_array().unwrap();
    assert_eq!(items[0]["kind"], "ConfigMap");
    assert_eq!(items[1]["kind"], "Job");
    assert_eq!(items[1]["spec"]["activeDeadlineSeconds"], 3600);
    let args: Vec<&str> = items[1]["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let at = args[args.iter().position(|a| *a == "--start-at").unwrap() + 1];
    let ahead = at
        .parse::<jiff::Timestamp>()
        .unwrap()
        .duration_since(before)
        .as_secs_f64();
    assert!((59.0..=61.5).contains(&ahead), "{at}: {ahead}");
    let collector: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("applied-1.json")).unwrap())
            .unwrap();
    assert_eq!(collector["kind"], "Pod");
    assert_eq!(
        collector["spec"]["volumes"][0]["persistentVolumeClaim"],
        serde_json::json!({"claimName": "results", "readOnly": true})
    );
    for k in 0..2 {
        assert!(dir.join(format!("out/workers/worker-{k}")).is_dir());
    }

    // The merge ran on the collected folders: the fake's folders are not a worker's output, so
    // it refuses them in one line naming one.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out));
    let last = stderr.lines().last().unwrap();
    assert!(last.contains("`gauntlet merge` failed"), "{last}");
    assert!(last.contains("out/workers/worker-"), "{last}");
}

#[test]
fn a_refused_apply_is_one_line_and_nothing_more_is_done() {
    let dir = fake("kube-run-refused");
    let out = kube_run(&dir, "refuse", &["--start-delay", "5"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(calls(&dir).len(), 1, "{:?}", calls(&dir));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with(
            "error: `kubectl -n bench apply -f -` failed: Error from server (Forbidden)"
        ),
        "{last}"
    );
    assert!(last.contains("kubectl auth can-i"), "{last}");
}

#[test]
fn a_failed_job_is_reported_and_its_folders_still_collected() {
    let dir = fake("kube-run-failed");
    let out = kube_run(&dir, "failed", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Job run-1 failed (FailedIndexes, workers 1: Job has failed indexes)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("kubectl logs -n bench -l job-name=run-1"),
        "{stderr}"
    );
    assert!(dir.join("out/workers/worker-1").is_dir());
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_job_that_never_finishes_times_out_naming_the_cleanup() {
    let dir = fake("kube-run-timeout");
    let started = std::time::Instant::now();
    let out = kube_run(&dir, "running", &["--timeout", "1"]);
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains("Job run-1 did not finish within --timeout 1 s")
            && last.contains("kubectl delete job -n bench run-1"),
        "{last}"
    );
    assert!(
        stderr.contains("2 running, 0 done, 0 failed of 2"),
        "{stderr}"
    );
    assert!(calls(&dir).iter().all(|c| !c.contains(" cp ")));
}

#[test]
fn no_kubectl_is_one_line_with_the_fix() {
    let dir = artifact_dir("kube-run-no-kubectl");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = gauntlet_with_env(
        &[
            "kube",
            "run",
            "--workers",
            "2",
            "--image",
            "g:1",
            "--pvc",
            "c",
            "--output",
            dir.join("out").to_str().unwrap(),
            "-m",
            "m",
        ],
        &[("PATH", empty.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: kubectl not found on PATH"),
        "{last}"
    );
    assert!(last.contains("gauntlet kube render"), "{last}");
}

#[test]
fn the_pods_commands_run_as_workers_and_merge_into_one_run() {
    // The Job's own commands, run here by the fake cluster against the mock: what the
    // manifests ask of worker mode and merge is what they do. Needs both (branch `workers`).
    let server = mock(0, 0);
    let dir = fake("kube-run-pods");
    let output = dir.join("out");
    let url = server.url();
    let args = [
        "kube",
        "run",
        "--workers",
        "3",
        "--image",
        "g:1",
        "--pvc",
        "results",
        "--name",
        "pods-1",
        "--start-delay",
        "3",
        "--output",
        output.to_str().unwrap(),
        "-m",
        "m",
        "-u",
        &url,
        "--isl",
        "16",
        "--osl",
        "4",
        "--request-count",
        "30",
        "--concurrency",
        "3",
    ];
    let path = format!("{}:/usr/bin:/bin", dir.join("bin").display());
    let out = gauntlet_with_env(
        &args,
        &[
            ("PATH", path.as_str()),
            ("FAKE_KUBECTL_DIR", dir.to_str().unwrap()),
            ("FAKE_JOB", "pods"),
        ],
    );
    let logs: String = (0..3)
        .map(|k| std::fs::read_to_string(dir.join(format!("worker-{k}.log"))).unwrap_or_default())
        .collect();
    assert!(out.status.success(), "{}\n{logs}", text(&out));
    for k in 0..3 {
        assert!(
            output.join(format!("workers/worker-{k}")).is_dir(),
            "{logs}"
        );
    }
    let merged = json(&output, "profile_export_aiperf.json");
    assert_eq!(merged["request_accounting"]["completed"], 30, "{merged}");
}
