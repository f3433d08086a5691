//! `gauntlet merge`'s telemetry: every worker's `server_metrics_export.jsonl` and
//! `gpu_telemetry_export.jsonl` line in one file each, on the wall clock. Each line's
//! `timestamp_ns` is its `monotonic_ns` through its worker's clock anchor (`worker.json`), so
//! scrapes of different hosts share one time axis, and each line says which `worker` it came
//! from. The window summaries (`server_metrics_export.json`/`.csv`, `gpu_telemetry_export.json`)
//! are reductions over each worker's own scrapes and are not merged.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::merge_error::{read_err, MergeError};
use super::telemetry_files as files;
use super::workers::WorkerFile;

/// Lines written per merged file (`None`: no worker had the file, none written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergedTelemetry {
    /// Scrapes in the merged `server_metrics_export.jsonl`.
    pub server_scrapes: Option<usize>,
    /// Samples in the merged `gpu_telemetry_export.jsonl`.
    pub gpu_samples: Option<usize>,
}

/// Merges both telemetry JSONL files of `workers` into `output`.
pub(super) fn merge_telemetry(
    workers: &[(PathBuf, WorkerFile)],
    output: &Path,
) -> Result<MergedTelemetry, MergeError> {
    Ok(MergedTelemetry {
        server_scrapes: merge_file(workers, output, files::SERVER_JSONL)?,
        gpu_samples: merge_file(workers, output, files::GPU_JSONL)?,
    })
}

fn merge_file(
    workers: &[(PathBuf, WorkerFile)],
    output: &Path,
    name: &str,
) -> Result<Option<usize>, MergeError> {
    let mut lines: Vec<(u64, u32, String)> = Vec::new();
    let mut found = false;
    for (dir, worker) in workers {
        let path = dir.join(name);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(read_err(&path, e.to_string())),
        };
        found = true;
        for (number, text) in BufReader::new(file).lines().enumerate() {
            let at = || format!("{}:{}", path.display(), number + 1);
            let text = text.map_err(|e| read_err(Path::new(&at()), e.to_string()))?;
            if text.trim().is_empty() {
                continue;
            }
            let mut line: Value = serde_json::from_str(&text)
                .map_err(|e| read_err(Path::new(&at()), format!("not a JSON line: {e}")))?;
            let ts = on_wall_clock(&line, worker)
                .ok_or_else(|| read_err(Path::new(&at()), "no monotonic_ns or timestamp_ns"))?;
            if let Some(map) = line.as_object_mut() {
                map.insert("timestamp_ns".into(), ts.into());
                map.insert("worker".into(), worker.index.into());
            }
            lines.push((ts, worker.index, line.to_string()));
        }
    }
    let path = output.join(name);
    if !found {
        // An earlier merge's file would read as this one's.
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(MergeError::Write { path, error: e })
            }
            _ => Ok(None),
        };
    }
    lines.sort_by_key(|(ts, worker, _)| (*ts, *worker));
    crate::atomic_file::write_with(&path, |out| {
        for (_, _, text) in &lines {
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
    .map_err(|error| MergeError::Write { path, error })?;
    Ok(Some(lines.len()))
}

/// A line's instant in epoch ns: its `monotonic_ns` through the worker's anchor, or its
/// `timestamp_ns` when it has no monotonic stamp.
fn on_wall_clock(line: &Value, worker: &WorkerFile) -> Option<u64> {
    match line.get("monotonic_ns").and_then(Value::as_u64) {
        Some(mono) => Some(
            (i128::from(worker.anchor_epoch_ns) + i128::from(mono)
                - i128::from(worker.anchor_mono_ns))
            .max(0) as u64,
        ),
        None => line.get("timestamp_ns").and_then(Value::as_u64),
    }
}
