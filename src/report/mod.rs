//! Console tables and AIPerf-compatible exports, rendered from a [`Summary`].
//!
//! Files written (all atomically, temp + rename, so readers never see half a file):
//! `profile_export_aiperf.json`, `profile_export_aiperf.csv`, `profile_export_console.txt`
//! and `inputs.json`. The per-request `profile_export.jsonl` is streamed during the run by
//! [`crate::metrics::RecordProcessor`].

mod across_runs;
pub mod calibrate;
pub mod compare;
pub mod dashboard;
use crate::atomic_file as atomic;
mod console;
mod csv;
mod format;
mod hints;
mod inputs;
mod json;
pub mod media_codecs;
mod merge;
mod merge_error;
mod merge_hdr;
mod merge_telemetry;
pub mod plot;
pub mod speed_bench;
mod sweep;
mod telemetry;
mod timeslices;
pub mod trace_analysis;
pub mod workers;

use std::io;
use std::path::Path;

use crate::config::Plan;
use crate::metrics::Summary;

pub use csv::STATS_HEADER as CSV_STATS_HEADER;
pub use format::thousands;
pub use json::SCHEMA_VERSION;
pub use merge::{merge_workers, MergeError, Merged, Percentiles};
pub use telemetry::{
    files as telemetry_files, finish_telemetry, render_telemetry, write_telemetry, TelemetryOutcome,
};

/// File names, as AIPerf names them.
pub mod files {
    /// Aggregated statistics and configuration.
    pub const JSON: &str = "profile_export_aiperf.json";
    /// Aggregated statistics as CSV.
    pub const CSV: &str = "profile_export_aiperf.csv";
    /// A copy of the console report.
    pub const CONSOLE: &str = "profile_export_console.txt";
    /// Every request body sent.
    pub const INPUTS: &str = "inputs.json";
    /// One line per request.
    pub const JSONL: &str = "profile_export.jsonl";
    /// Statistics across repeated runs.
    pub const AGGREGATE_JSON: &str = "profile_export_aiperf_aggregate.json";
    /// Statistics across repeated runs, as CSV.
    pub const AGGREGATE_CSV: &str = "profile_export_aiperf_aggregate.csv";
    /// One row per variation of a sweep.
    pub const SWEEP_CSV: &str = "sweep_summary.csv";
    /// Every metric per time slice (`--slice-duration`).
    pub const TIMESLICES_JSON: &str = "profile_export_aiperf_timeslices.json";
    /// Every metric per time slice, as tidy CSV.
    pub const TIMESLICES_CSV: &str = "profile_export_aiperf_timeslices.csv";
}

/// Facts about the run that are not metrics, for `run_info` and the top-level fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunInfo {
    /// Identifies the run in every artifact.
    pub benchmark_id: String,
    /// Start, ISO-8601 local time without zone (`2026-11-23T10:26:44.368878`), like AIPerf.
    pub start_time: String,
    /// End, same format.
    pub end_time: String,
    /// Whether the run was stopped early.
    pub was_cancelled: bool,
    /// Whether every scheduled request was accounted for by a finished run.
    pub is_complete: bool,
    /// The run's root seed.
    pub random_seed: u64,
    /// The command line, secrets redacted.
    pub cli_command: String,
    /// AIPerf's `telemetry_data` (the GPU summary), when a GPU source ran.
    pub telemetry_data: Option<serde_json::Value>,
    /// `gauntlet merge`'s note: workers merged and how the percentiles were made (exact, or
    /// from merged histograms with their error bound); `None` for a run of one process.
    pub merge: Option<serde_json::Value>,
}

/// Writes the JSON, CSV and console-text exports into `dir` (created when missing). Each is
/// written even when another could not be; the errors returned (none when all were written)
/// each name their file.
pub fn write_artifacts(
    dir: &Path,
    summary: &Summary,
    plan: &Plan,
    info: &RunInfo,
) -> Vec<io::Error> {
    if let Err(e) = std::fs::create_dir_all(dir) {
        return vec![io::Error::new(
            e.kind(),
            format!("creating {}: {e}", dir.display()),
        )];
    }
    let json = json::render(summary, plan, info)
        .map_err(|e| io::Error::other(format!("serializing {}: {e}", files::JSON)))
        .and_then(|doc| atomic::write_bytes(&dir.join(files::JSON), &doc));
    let csv = atomic::write_bytes(&dir.join(files::CSV), csv::render(summary).as_bytes());
    let console = atomic::write_bytes(
        &dir.join(files::CONSOLE),
        render_console(summary).as_bytes(),
    );
    let mut errors: Vec<io::Error> = [json, csv, console]
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if !summary.time_slices.is_empty() {
        let json = timeslices::render_json(summary, plan)
            .map_err(|e| io::Error::other(format!("serializing {}: {e}", files::TIMESLICES_JSON)))
            .and_then(|doc| atomic::write_bytes(&dir.join(files::TIMESLICES_JSON), &doc));
        let csv = atomic::write_bytes(
            &dir.join(files::TIMESLICES_CSV),
            timeslices::render_csv(summary).as_bytes(),
        );
        errors.extend([json, csv].into_iter().filter_map(Result::err));
    }
    errors
}

/// Writes the across-runs exports into `dir` and returns the console table.
pub fn write_across_runs(
    dir: &Path,
    rows: &[crate::metrics::confidence::AcrossRuns],
    runs: usize,
    confidence: f64,
) -> io::Result<String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    let doc = across_runs::render_json(rows, runs, confidence)
        .map_err(|e| io::Error::other(format!("serializing {}: {e}", files::AGGREGATE_JSON)))?;
    atomic::write_bytes(&dir.join(files::AGGREGATE_JSON), &doc)?;
    atomic::write_bytes(
        &dir.join(files::AGGREGATE_CSV),
        across_runs::render_csv(rows).as_bytes(),
    )?;
    Ok(across_runs::render_console(rows, runs, confidence))
}

/// Writes `sweep_summary.csv` into `dir` and returns the console table of the sweep.
pub fn write_sweep_summary(dir: &Path, variations: &[(String, Summary)]) -> io::Result<String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    atomic::write_bytes(
        &dir.join(files::SWEEP_CSV),
        sweep::render_csv(variations).as_bytes(),
    )?;
    Ok(sweep::render_console(variations))
}

/// The report printed at the end of a run.
pub fn render_console(summary: &Summary) -> String {
    console::render(summary)
}

pub use console::osl_mismatch_warning;

/// Writes `inputs.json` into `dir` from `(session_id, request body)` pairs.
pub fn write_inputs_json(
    dir: &Path,
    entries: &mut dyn Iterator<Item = (&str, &[u8])>,
) -> io::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    atomic::write_with(&dir.join(files::INPUTS), |out| inputs::write(out, entries))
}

/// Writes `inputs.json` into `dir` from `(session_id, request body)` pairs that arrive while
/// the run goes on (a streamed workload's bodies as they are rendered); the file appears,
/// whole, when `entries` ends.
pub fn write_inputs_json_streamed(
    dir: &Path,
    entries: impl Iterator<Item = (std::sync::Arc<str>, bytes::Bytes)>,
) -> io::Result<()> {
    atomic::write_with(&dir.join(files::INPUTS), |out| {
        let mut doc = inputs::InputsDoc::start(out)?;
        for (session_id, body) in entries {
            doc.push(&session_id, &body)?;
        }
        doc.end()
    })
}

#[cfg(test)]
mod tests;
