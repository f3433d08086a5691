//! A worker's `worker.json` (written by `run::worker_mode`), and the checks `gauntlet merge`
//! makes before it merges: every folder a worker of one plan, each index once, none missing.

use std::path::{Path, PathBuf};

/// The file beside a worker's artifacts.
pub const WORKER_JSON: &str = "worker.json";

/// A worker's aggregate state with its metrics' HDR histograms: what `gauntlet merge` uses
/// when a worker's per-request JSONL is not there.
pub const WORKER_HISTOGRAMS: &str = "worker_histograms.json";

/// What `worker.json` holds: enough for `gauntlet merge` to refuse workers of different runs
/// and to read their per-request stamps.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorkerFile {
    /// This worker.
    pub index: u32,
    /// Workers in the run.
    pub count: u32,
    /// `--start-at` as Unix ns (`None`: each worker started when ready).
    pub start_at_ns: Option<u64>,
    /// The same, readable (UTC).
    pub start_at: Option<String>,
    /// Seconds after `start_at` this worker was ready and began (0 when it waited).
    pub late_s: f64,
    /// The plan's seed.
    pub random_seed: u64,
    /// BLAKE3 of the resolved plan without the fields that differ between workers.
    pub plan_hash: String,
    /// The run's clock anchor, wall-clock side: the JSONL's stamps are epoch ns through it.
    pub anchor_epoch_ns: u64,
    /// The anchor's monotonic side (a stamp of `anchor_epoch_ns - anchor_mono_ns` is a
    /// monotonic 0: a request never sent).
    pub anchor_mono_ns: u64,
    /// Per phase, the epoch ns its schedule counted from (an open loop's instant 0; 0 for a
    /// phase that never ran): a request's intended send offset is its `credit_issued_ns`
    /// less its phase's origin, the same in every worker as in one process.
    pub phase_origins_ns: Vec<u64>,
    /// Which phases count in the results (not warmup), in plan order.
    pub profiling_phases: Vec<bool>,
}

impl WorkerFile {
    /// The origin of this worker's first profiling phase, when it ran.
    pub fn profiling_origin_ns(&self) -> Option<u64> {
        (self.phase_origins_ns.iter().zip(&self.profiling_phases))
            .find(|(_, &profiling)| profiling)
            .map(|(&origin, _)| origin)
            .filter(|&origin| origin > 0)
    }
}

/// Why the folders given to `gauntlet merge` are not one run's workers. Each names a folder.
#[derive(Debug, thiserror::Error)]
pub enum WorkersError {
    /// A folder could not be read, or has no readable `worker.json`.
    #[error("{path}: {message}")]
    Unreadable {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The folders do not make up one run.
    #[error("{path}: {message}")]
    Mismatch {
        /// The folder that does not fit.
        path: PathBuf,
        /// How it does not.
        message: String,
    },
}

fn unreadable(path: &Path, message: impl Into<String>) -> WorkersError {
    WorkersError::Unreadable {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn mismatch(path: &Path, message: impl Into<String>) -> WorkersError {
    WorkersError::Mismatch {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The worker folders named by `paths`: each a worker's folder (it holds `worker.json`), or
/// a parent whose `worker-*` folders are taken, in name order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, WorkersError> {
    let mut dirs = Vec::new();
    for path in paths {
        if path.join(WORKER_JSON).is_file() {
            dirs.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| unreadable(path, e.to_string()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("worker-"))
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        if found.is_empty() {
            return Err(unreadable(
                path,
                format!(
                    "neither a worker's folder ({WORKER_JSON}) nor a folder of worker-* folders"
                ),
            ));
        }
        found.sort();
        dirs.extend(found);
    }
    Ok(dirs)
}

/// Reads every folder's `worker.json` and checks they are the workers `0..count` of one plan,
/// each once. Returns them in index order with their folders.
pub fn check(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, WorkerFile)>, WorkersError> {
    let mut workers: Vec<(PathBuf, WorkerFile)> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let path = dir.join(WORKER_JSON);
        let text = std::fs::read(&path).map_err(|e| {
            unreadable(
                dir,
                format!("no readable {WORKER_JSON} ({e}): not a folder of `gauntlet profile --worker-count`"),
            )
        })?;
        let file: WorkerFile = serde_json::from_slice(&text)
            .map_err(|e| unreadable(&path, format!("not a worker file: {e}")))?;
        workers.push((dir.clone(), file));
    }
    let Some((first_dir, first)) = workers.first().cloned() else {
        return Err(unreadable(Path::new("."), "no worker folders given"));
    };
    for (dir, w) in &workers[1..] {
        let differs = |what: &str, theirs: String, ours: String| {
            mismatch(
                dir,
                format!(
                    "{what} {ours} differs from {}'s {theirs}: not a worker of the same run",
                    first_dir.display()
                ),
            )
        };
        if w.plan_hash != first.plan_hash {
            return Err(differs(
                "plan",
                first.plan_hash.clone(),
                w.plan_hash.clone(),
            ));
        }
        if w.count != first.count {
            return Err(differs(
                "--worker-count",
                first.count.to_string(),
                w.count.to_string(),
            ));
        }
        if w.start_at_ns != first.start_at_ns {
            let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "(none)".into());
            return Err(differs(
                "--start-at",
                show(&first.start_at),
                show(&w.start_at),
            ));
        }
    }
    workers.sort_by_key(|(_, w)| w.index);
    for pair in workers.windows(2) {
        if pair[0].1.index == pair[1].1.index {
            return Err(mismatch(
                &pair[1].0,
                format!(
                    "worker index {} again (also {}); give each worker once",
                    pair[1].1.index,
                    pair[0].0.display()
                ),
            ));
        }
    }
    if let Some(w) = workers.iter().find(|(_, w)| w.index >= first.count) {
        return Err(mismatch(
            &w.0,
            format!(
                "worker index {} of a run of {} workers",
                w.1.index, first.count
            ),
        ));
    }
    if workers.len() < first.count as usize {
        let missing = (0..first.count)
            .find(|k| !workers.iter().any(|(_, w)| w.index == *k))
            .unwrap_or(0);
        let parent = first_dir.parent().unwrap_or(&first_dir);
        return Err(mismatch(
            parent,
            format!(
                "worker {missing} of {} is missing ({} of {} worker folders given)",
                first.count,
                workers.len(),
                first.count
            ),
        ));
    }
    Ok(workers)
}
