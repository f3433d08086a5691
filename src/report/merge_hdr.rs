//! `gauntlet merge` without every worker's per-request JSONL: each worker's
//! `worker_histograms.json` (its aggregator's counts, sums and per-metric HDR histograms) is
//! absorbed into one aggregator. Counts, sums, throughputs, min, max, avg and std stay exact;
//! percentiles come from the merged histograms, within their stated error.

use std::path::{Path, PathBuf};

use super::workers::{WorkerFile, WORKER_HISTOGRAMS};
use crate::metrics::{Aggregator, AggregatorSnapshot};

/// Absorbs every worker's histograms into `aggregator` (made for epoch-ns stamps, goodput
/// enabled when the run had objectives). `without_jsonl` names the JSONL files that made
/// the fallback necessary, for the error when a worker has no histograms either. The error is
/// the file and what is wrong with it.
pub(super) fn from_histograms(
    workers: &[(PathBuf, WorkerFile)],
    without_jsonl: &[PathBuf],
    aggregator: &mut Aggregator,
) -> Result<(), (PathBuf, String)> {
    for (dir, _) in workers {
        let path = dir.join(WORKER_HISTOGRAMS);
        let snapshot = read(&path, without_jsonl)?;
        aggregator
            .absorb(&snapshot)
            .map_err(|message| (path.clone(), message))?;
    }
    Ok(())
}

fn read(path: &Path, without_jsonl: &[PathBuf]) -> Result<AggregatorSnapshot, (PathBuf, String)> {
    let text = std::fs::read(path).map_err(|e| {
        let jsonl = without_jsonl
            .first()
            .map_or_else(String::new, |p| p.display().to_string());
        (
            path.to_path_buf(),
            format!(
                "{e}: with {jsonl} missing the merge needs every worker's {WORKER_HISTOGRAMS} \
                 (written by gauntlet profile --worker-count); nothing merged"
            ),
        )
    })?;
    serde_json::from_slice(&text).map_err(|e| {
        (
            path.to_path_buf(),
            format!("not a {WORKER_HISTOGRAMS}: {e}"),
        )
    })
}
