//! Worker mode (`--worker-count`): this process sends its share of one run's schedule (the
//! engine keeps ticket `n` when `n % count == index`) into `<artifact dir>/worker-<index>/`,
//! beside a `worker.json` that lets `gauntlet merge` check the workers belong together; and
//! `--start-at`, the wall-clock instant every worker begins its first phase.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::{iso_utc, now_ns, WallAnchor};
use crate::config::{Plan, StartAt};

use crate::metrics::AggregatorSnapshot;
use crate::report::workers::WorkerFile;
pub use crate::report::workers::{WORKER_HISTOGRAMS, WORKER_JSON};

/// Where this process's artifacts go: `worker-<index>/` under the artifact folder in worker
/// mode, the folder itself otherwise.
pub(super) fn artifact_dir(plan: &Plan) -> PathBuf {
    match plan.scale_out.worker {
        Some(worker) => plan.artifact_dir.join(format!("worker-{}", worker.index)),
        None => plan.artifact_dir.clone(),
    }
}

/// How the common start went.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StartReport {
    /// Seconds after `--start-at` this process was ready and began (0 when it waited).
    pub late_s: f64,
    /// The instant waited for, monotonic ns (`None` when there was none, or it had passed):
    /// the first phase's schedule counts from it.
    pub due_ns: Option<u64>,
}

/// Waits (blocking, before the first phase) until `start_at`; a stop signal ends the wait.
/// A process ready after the instant says so on stderr and starts at once.
pub(super) fn wait_for_start(
    start_at: Option<StartAt>,
    stop: &watch::Receiver<bool>,
) -> StartReport {
    let Some(start_at) = start_at else {
        return StartReport::default();
    };
    let anchor = WallAnchor::now();
    if anchor.epoch_ns >= start_at.epoch_ns {
        let late_s = (anchor.epoch_ns - start_at.epoch_ns) as f64 / 1e9;
        eprintln!(
            "warning: ready {late_s:.3} s after --start-at ({} UTC); starting now",
            iso_utc(start_at.epoch_ns)
        );
        return StartReport {
            late_s,
            due_ns: None,
        };
    }
    // The wall clock is read once; the wait itself runs on the monotonic clock.
    let due = anchor.mono_ns + (start_at.epoch_ns - anchor.epoch_ns);
    eprintln!(
        "waiting {:.3} s for --start-at ({} UTC)",
        (due - anchor.mono_ns) as f64 / 1e9,
        iso_utc(start_at.epoch_ns)
    );
    loop {
        let now = now_ns();
        if now >= due || *stop.borrow() {
            break;
        }
        let left = due - now;
        if left > 2_000_000 {
            // Coarse steps, so Ctrl-C is seen within 50 ms; the last 1-2 ms are spun through.
            std::thread::sleep(Duration::from_nanos((left - 1_000_000).min(50_000_000)));
        } else {
            std::hint::spin_loop();
        }
    }
    StartReport {
        late_s: 0.0,
        due_ns: Some(due),
    }
}

/// Hash of the plan every worker of one run resolves alike: the resolved config's JSON less
/// the command line (`--worker-index` differs) and the artifact folder.
pub fn plan_hash(plan: &Plan) -> String {
    let mut value = serde_json::to_value(plan).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("cli_command");
        map.remove("artifact_dir");
    }
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    blake3::hash(&bytes).to_hex().to_string()
}

/// Writes `worker.json` into `dir` in worker mode (nothing otherwise).
pub(super) fn write_worker_json(
    dir: &Path,
    plan: &Plan,
    anchor: &WallAnchor,
    start: StartReport,
    phases: &[crate::engine::PhaseCounts],
) -> std::io::Result<()> {
    let Some(worker) = plan.scale_out.worker else {
        return Ok(());
    };
    let start_at_ns = plan.scale_out.start_at.map(|s| s.epoch_ns);
    let file = WorkerFile {
        index: worker.index,
        count: worker.count,
        start_at_ns,
        start_at: start_at_ns.map(iso_utc),
        late_s: start.late_s,
        random_seed: plan.random_seed,
        plan_hash: plan_hash(plan),
        anchor_epoch_ns: anchor.epoch_ns,
        anchor_mono_ns: anchor.mono_ns,
        phase_origins_ns: phases
            .iter()
            .map(|p| match p.origin_ns {
                0 => 0,
                at => anchor.to_epoch_ns(at),
            })
            .collect(),
        profiling_phases: (plan.phases.iter())
            .map(|p| !p.excluded_from_results())
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let path = dir.join(WORKER_JSON);
    crate::atomic_file::write_bytes(&path, &json)
        .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))
}

/// Writes `worker_histograms.json` into `dir`: the merge's fallback when the JSONL is gone.
pub(super) fn write_histograms(dir: &Path, snapshot: &AggregatorSnapshot) -> std::io::Result<()> {
    let json = serde_json::to_vec(snapshot).map_err(std::io::Error::other)?;
    let path = dir.join(WORKER_HISTOGRAMS);
    crate::atomic_file::write_bytes(&path, &json)
        .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkerShare;

    fn plan() -> Plan {
        use crate::config::settings::{flag, Settings};
        Settings {
            model: flag("--model", Some(vec!["m".to_string()])),
            ..Settings::default()
        }
        .resolve("gauntlet profile --worker-index 1".into())
        .unwrap()
        .plan
    }

    #[test]
    fn workers_of_one_plan_hash_alike_and_write_into_their_own_folder() {
        let mut a = plan();
        a.scale_out.worker = Some(WorkerShare { count: 3, index: 1 });
        let mut b = a.clone();
        b.cli_command = "gauntlet profile --worker-index 2".into();
        b.scale_out.worker = Some(WorkerShare { count: 3, index: 2 });
        assert_eq!(plan_hash(&a), plan_hash(&b));
        assert!(artifact_dir(&b).ends_with("worker-2"));
        b.random_seed += 1;
        assert_ne!(plan_hash(&a), plan_hash(&b));
    }

    #[test]
    fn a_start_in_the_past_is_late_and_one_ahead_is_waited_for() {
        let (_tx, rx) = watch::channel(false);
        let now = WallAnchor::now().epoch_ns;
        let late = wait_for_start(
            Some(StartAt {
                epoch_ns: now - 2_000_000_000,
            }),
            &rx,
        );
        assert!(late.late_s >= 2.0, "{late:?}");
        let before = now_ns();
        let on_time = wait_for_start(
            Some(StartAt {
                epoch_ns: now + 30_000_000,
            }),
            &rx,
        );
        assert_eq!(on_time.late_s, 0.0);
        assert!(on_time.due_ns.is_some() && late.due_ns.is_none());
        assert!(now_ns() - before >= 25_000_000);
    }
}
