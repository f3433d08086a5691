//! `gauntlet merge`: one run's exports from the folders of its workers.
//!
//! The statistics are not averaged from the workers' summaries: every worker's
//! `profile_export.jsonl` line is read back into the metrics it was written from and fed to
//! one [`Aggregator`], as a single process's record processor would have been. Counts, sums
//! and percentiles are therefore exact (every value is kept, no histogram), and throughputs
//! are over the union's wall-clock span, first send to last end across the workers (the
//! JSONL's stamps are epoch ns through each worker's own clock anchor). The request
//! accounting is the sum of the workers'.
//!
//! When a worker's JSONL is missing, every worker's `worker_histograms.json` is merged instead
//! (`merge_hdr`): the same counts, sums and throughputs, percentiles within the histograms'
//! stated error. The telemetry JSONL files are merged on the wall clock (`merge_telemetry`).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::merge_error::read_err;
pub use super::merge_error::MergeError;
pub use super::merge_telemetry::MergedTelemetry;
use super::workers::{self, WorkerFile};
use super::{files, RunInfo};
use crate::engine::record::RequestRecord;
use crate::metrics::stats::{HDR_RELATIVE_ERROR, HDR_SCALE, HDR_SIGNIFICANT_DIGITS};
use crate::metrics::timeslice::TimeSlices;
use crate::metrics::{
    Accounting, AggregateMetric, AggregateValue, Aggregator, ErrorInfo, RecordMetric,
    RequestMetrics, RequestStatus, Summary,
};

/// What a merge wrote.
#[derive(Debug)]
pub struct Merged {
    /// Workers merged.
    pub workers: usize,
    /// Per-request lines in the merged `profile_export.jsonl` (`None`: not written, the
    /// percentiles came from histograms).
    pub lines: Option<u64>,
    /// The merged results.
    pub summary: Summary,
    /// The console table (also written as `profile_export_console.txt`).
    pub console: String,
    /// Where the percentiles came from.
    pub percentiles: Percentiles,
    /// The telemetry lines merged on the wall clock.
    pub telemetry: MergedTelemetry,
}

/// Where a merge's percentiles came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Percentiles {
    /// Every worker's per-request JSONL: every value, exact.
    Exact,
    /// The workers' merged HDR histograms (`worker_histograms.json`), because these JSONL
    /// files were missing: each percentile within `relative_error` of the exact one, plus
    /// 1/[`HDR_SCALE`] of the metric's raw unit (ns for times).
    Histograms {
        /// The JSONL files not found.
        without_jsonl: Vec<PathBuf>,
        /// Relative error bound of a percentile.
        relative_error: f64,
    },
}

impl Percentiles {
    /// The `merge` note of the merged `profile_export_aiperf.json`.
    fn note(&self, workers: usize) -> Value {
        match self {
            Percentiles::Exact => serde_json::json!({
                "workers": workers,
                "percentiles": "exact",
                "source": files::JSONL,
            }),
            Percentiles::Histograms {
                without_jsonl,
                relative_error,
            } => serde_json::json!({
                "workers": workers,
                "percentiles": "hdr_histograms",
                "source": super::workers::WORKER_HISTOGRAMS,
                "hdr_significant_digits": HDR_SIGNIFICANT_DIGITS,
                "percentile_relative_error": relative_error,
                "percentile_absolute_error_raw_units": 1.0 / HDR_SCALE,
                "exact": ["count", "sum", "avg", "min", "max", "std"],
                "missing": without_jsonl.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            }),
        }
    }

    /// One line for stderr saying how exact the percentiles are.
    pub fn line(&self) -> String {
        match self {
            Percentiles::Exact => "percentiles exact (every worker's per-request JSONL)".into(),
            Percentiles::Histograms {
                without_jsonl,
                relative_error,
            } => format!(
                "percentiles from merged HDR histograms ({HDR_SIGNIFICANT_DIGITS} significant \
                 digits; {} missing): each within {}% of the exact value (+{} of the raw unit, \
                 ns for times); counts, sums, avg, min, max, std exact; no per-request JSONL or \
                 time slices written",
                without_jsonl
                    .first()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
                    + &match without_jsonl.len() {
                        0 | 1 => String::new(),
                        n => format!(" and {} more", n - 1),
                    },
                relative_error * 100.0,
                1.0 / HDR_SCALE
            ),
        }
    }
}

/// One worker's JSONL line, kept for the merged file.
struct Line {
    start_ns: u64,
    request_index: u64,
    text: String,
}

/// Merges the worker folders named by `paths` (each a worker's folder or a parent of
/// `worker-*` folders) into `output`: `profile_export_aiperf.json` / `.csv`,
/// `profile_export_console.txt` and `profile_export.jsonl` (every line, in send-time order).
pub fn merge_workers(paths: &[PathBuf], output: &Path) -> Result<Merged, MergeError> {
    let dirs = workers::expand(paths)?;
    let workers = workers::check(&dirs)?;
    let mut exports = Vec::with_capacity(workers.len());
    for (dir, _) in &workers {
        let path = dir.join(files::JSON);
        let text = std::fs::read(&path)
            .map_err(|e| read_err(&path, format!("{e} (did the worker finish?)")))?;
        let doc: Value =
            serde_json::from_slice(&text).map_err(|e| read_err(&path, format!("not JSON: {e}")))?;
        exports.push(doc);
    }
    let first = &exports[0];
    let produces_tokens = first.get("output_token_throughput").is_some();
    let results = first.get("input_config").and_then(|c| c.get("results"));
    let goodput = results
        .and_then(|r| r.get("goodput")?.as_array())
        .is_some_and(|objectives| !objectives.is_empty());
    let mut aggregator = Aggregator::with_exact_cap(produces_tokens, usize::MAX);
    if goodput {
        aggregator.enable_goodput();
    }
    let mut slices = results
        .and_then(|r| r.get("slice_duration")?.as_f64())
        .filter(|s| *s > 0.0)
        .map(|width_s| {
            let origin = profiling_origin(&workers);
            let mut slices = TimeSlices::new(
                (width_s * 1e9) as u64,
                Arc::new(origin.into()),
                produces_tokens,
            );
            if goodput {
                slices.enable_goodput();
            }
            slices
        });
    let without_jsonl: Vec<PathBuf> = (workers.iter())
        .map(|(dir, _)| dir.join(files::JSONL))
        .filter(|path| !path.is_file())
        .collect();
    let (mut lines, percentiles) = if without_jsonl.is_empty() {
        let lines = from_jsonl(&workers, &mut aggregator, slices.as_mut())?;
        (Some(lines), Percentiles::Exact)
    } else {
        super::merge_hdr::from_histograms(&workers, &without_jsonl, &mut aggregator)
            .map_err(|(path, message)| read_err(&path, message))?;
        // Time slices need every request's stamps; the histograms hold the run's only.
        slices = None;
        (
            None,
            Percentiles::Histograms {
                without_jsonl,
                relative_error: HDR_RELATIVE_ERROR,
            },
        )
    };
    if let Some(lines) = &mut lines {
        lines.sort_by_key(|l| (l.start_ns, l.request_index));
    }
    let summary = Summary {
        metrics: aggregator.metric_summaries(),
        aggregates: with_summed(aggregator.aggregates(), &exports),
        errors: aggregator.error_summary(),
        accounting: summed_accounting(&exports),
        was_cancelled: exports.iter().any(|d| flag(d, "was_cancelled")),
        time_slices: slices.map(TimeSlices::finish).unwrap_or_default(),
    };
    let mut info = run_info(&exports, &summary);
    info.merge = Some(percentiles.note(workers.len()));
    let console = super::render_console(&summary);
    write_outputs(output, &summary, first, &info, &console, lines.as_deref())?;
    let telemetry = super::merge_telemetry::merge_telemetry(&workers, output)?;
    Ok(Merged {
        workers: workers.len(),
        lines: lines.as_ref().map(|l| l.len() as u64),
        summary,
        console,
        percentiles,
        telemetry,
    })
}

/// Feeds every worker's JSONL line to `aggregator` (and `slices`); returns the lines.
fn from_jsonl(
    workers: &[(PathBuf, WorkerFile)],
    aggregator: &mut Aggregator,
    mut slices: Option<&mut TimeSlices>,
) -> Result<Vec<Line>, MergeError> {
    let tags: HashMap<&'static str, RecordMetric> = RecordMetric::ALL
        .iter()
        .map(|&m| (m.spec().tag, m))
        .collect();
    let mut lines = Vec::new();
    for (dir, worker) in workers {
        let path = dir.join(files::JSONL);
        let file = std::fs::File::open(&path).map_err(|e| {
            read_err(
                &path,
                format!(
                    "{e}: every worker's per-request JSONL is needed, percentiles are not \
                     available without it (nothing merged)"
                ),
            )
        })?;
        for (number, text) in BufReader::new(file).lines().enumerate() {
            let at = || format!("{}:{}", path.display(), number + 1);
            let text = text.map_err(|e| MergeError::Read {
                path: at(),
                message: e.to_string(),
            })?;
            if text.trim().is_empty() {
                continue;
            }
            let line: Value = serde_json::from_str(&text).map_err(|e| MergeError::Read {
                path: at(),
                message: format!("not a JSON line: {e}"),
            })?;
            let read = restore(&line, worker, &tags).map_err(|message| MergeError::Read {
                path: at(),
                message,
            })?;
            if let Some((record, metrics, good)) = read.profiling {
                aggregator.add(&record, &metrics);
                if good {
                    aggregator.add_good();
                }
                if let Some(slices) = slices.as_deref_mut() {
                    slices.add(&record, &metrics, good);
                }
            }
            lines.push(Line {
                start_ns: read.start_ns,
                request_index: read.request_index,
                text,
            });
        }
    }
    Ok(lines)
}

/// One JSONL line read back.
struct Restored {
    start_ns: u64,
    request_index: u64,
    /// For a profiling-phase request: the stamps, the metrics, and its goodput verdict.
    profiling: Option<(RequestRecord, RequestMetrics, bool)>,
}

/// A line's metrics back in raw units. The line holds `raw / scale`; a raw value that was a
/// whole number of ns (every latency is) comes back exactly.
fn restore(
    line: &Value,
    worker: &WorkerFile,
    tags: &HashMap<&'static str, RecordMetric>,
) -> Result<Restored, String> {
    let meta = line.get("metadata").ok_or("no \"metadata\"")?;
    let stamp = |key: &str| {
        meta.get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("metadata.{key} is not a time in ns"))
    };
    let start_ns = stamp("request_start_ns")?;
    let request_index = meta.get("session_num").and_then(Value::as_u64).unwrap_or(0);
    let profiling = meta.get("benchmark_phase").and_then(Value::as_str) == Some("profiling");
    if !profiling {
        return Ok(Restored {
            start_ns,
            request_index,
            profiling: None,
        });
    }
    // A request never sent was stamped at monotonic 0.
    let unsent = worker.anchor_epoch_ns.saturating_sub(worker.anchor_mono_ns);
    let mut record = RequestRecord::with_capacity(0, 0);
    record.sent_ns = if start_ns == unsent { 0 } else { start_ns };
    record.done_ns = stamp("request_end_ns")?;
    record.scheduled_ns = stamp("credit_issued_ns")?;
    let empty = serde_json::Map::new();
    let metrics = line
        .get("metrics")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut values = Vec::with_capacity(metrics.len());
    let mut gaps = Vec::new();
    for (tag, metric) in metrics {
        let Some(&which) = tags.get(tag.as_str()) else {
            continue;
        };
        let scale = which.spec().scale;
        match metric.get("value") {
            Some(Value::Array(items)) if which == RecordMetric::InterChunkLatency => {
                gaps.extend(
                    (items.iter().filter_map(Value::as_f64)).map(|v| (v * scale).round() as u64),
                );
            }
            Some(value) => {
                let v = value
                    .as_f64()
                    .ok_or_else(|| format!("metrics.{tag}.value is not a number"))?;
                values.push((which, raw(v, scale)));
            }
            None => return Err(format!("metrics.{tag} has no value")),
        }
    }
    let error = line.get("error").map(|e| ErrorInfo {
        code: e.get("code").and_then(Value::as_u64).map(|c| c as u16),
        kind: e
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        message: e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    });
    let status = if meta.get("was_cancelled").and_then(Value::as_bool) == Some(true) {
        RequestStatus::Cancelled
    } else if error.is_some() {
        RequestStatus::Failed
    } else {
        RequestStatus::Success
    };
    let good = line
        .get("goodput")
        .and_then(|g| g.get("good"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let metrics = RequestMetrics::restored(values, gaps, status, error);
    Ok(Restored {
        start_ns,
        request_index,
        profiling: Some((record, metrics, good)),
    })
}

/// Where merged time slices count from: the earliest profiling start of any worker (its
/// first profiling phase's origin), so every worker's requests fall in wall-clock slices.
/// 0 (the first request seen) when no worker recorded one.
fn profiling_origin(workers: &[(PathBuf, WorkerFile)]) -> u64 {
    workers
        .iter()
        .filter_map(|(_, w)| w.profiling_origin_ns())
        .min()
        .unwrap_or(0)
}

/// `display * scale`, snapped to the whole number it was when it is one within rounding.
fn raw(display: f64, scale: f64) -> f64 {
    let v = display * scale;
    let whole = v.round();
    if (v - whole).abs() <= v.abs() * 1e-12 + 1e-9 {
        whole
    } else {
        v
    }
}

fn flag(doc: &Value, key: &str) -> bool {
    doc.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// The sum over the workers of `request_accounting.{key}`.
fn summed_accounting(exports: &[Value]) -> Accounting {
    let sum = |key: &str| -> u64 {
        exports
            .iter()
            .filter_map(|d| d.get("request_accounting")?.get(key)?.as_u64())
            .sum()
    };
    Accounting {
        scheduled: sum("scheduled"),
        completed: sum("completed"),
        failed: sum("failed"),
        cancelled: sum("cancelled"),
        not_sent: sum("not_sent"),
        malformed_events: sum("malformed_events"),
    }
}

/// The aggregates from the lines, plus the counts the lines do not carry (the output-length
/// mismatches), summed from the workers' exports.
fn with_summed(mut aggregates: Vec<AggregateValue>, exports: &[Value]) -> Vec<AggregateValue> {
    let metric = AggregateMetric::OslMismatchCount;
    let values: Vec<f64> = exports
        .iter()
        .filter_map(|d| d.get(metric.spec().tag)?.get("avg")?.as_f64())
        .collect();
    if !values.is_empty() && aggregates.iter().all(|a| a.metric != metric) {
        aggregates.push(AggregateValue {
            metric,
            value: values.iter().sum(),
        });
        aggregates.sort_by_key(|a| a.metric);
    }
    aggregates
}

fn run_info(exports: &[Value], summary: &Summary) -> RunInfo {
    let text = |doc: &Value, key: &str| doc.get(key).and_then(Value::as_str).map(str::to_string);
    let first = &exports[0];
    let run = first.get("run_info");
    RunInfo {
        benchmark_id: text(first, "benchmark_id").unwrap_or_default(),
        // ISO-8601 strings of one format order as their instants.
        start_time: exports
            .iter()
            .filter_map(|d| text(d, "start_time"))
            .min()
            .unwrap_or_default(),
        end_time: exports
            .iter()
            .filter_map(|d| text(d, "end_time"))
            .max()
            .unwrap_or_default(),
        was_cancelled: summary.was_cancelled,
        is_complete: exports.iter().all(|d| flag(d, "is_complete")),
        random_seed: run
            .and_then(|r| r.get("random_seed"))
            .and_then(Value::as_u64)
            .unwrap_or(0),
        cli_command: format!(
            "gauntlet merge ({} workers of: {})",
            exports.len(),
            run.and_then(|r| text(r, "cli_command")).unwrap_or_default()
        ),
        telemetry_data: None,
        merge: None,
    }
}

fn write_outputs(
    dir: &Path,
    summary: &Summary,
    first: &Value,
    info: &RunInfo,
    console: &str,
    lines: Option<&[Line]>,
) -> Result<(), MergeError> {
    use crate::atomic_file as atomic;
    let write_err = |path: PathBuf| move |error| MergeError::Write { path, error };
    std::fs::create_dir_all(dir).map_err(write_err(dir.to_path_buf()))?;
    let config = first.get("input_config").cloned().unwrap_or(Value::Null);
    let json = super::json::render_with_config(summary, &config, info)
        .map_err(|e| std::io::Error::other(e.to_string()))
        .map_err(write_err(dir.join(files::JSON)))?;
    atomic::write_bytes(&dir.join(files::JSON), &json).map_err(write_err(dir.join(files::JSON)))?;
    let csv = super::csv::render(summary);
    atomic::write_bytes(&dir.join(files::CSV), csv.as_bytes())
        .map_err(write_err(dir.join(files::CSV)))?;
    atomic::write_bytes(&dir.join(files::CONSOLE), console.as_bytes())
        .map_err(write_err(dir.join(files::CONSOLE)))?;
    if !summary.time_slices.is_empty() {
        let path = dir.join(files::TIMESLICES_JSON);
        let doc = super::timeslices::render_json_with_config(summary, &config)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .map_err(write_err(path.clone()))?;
        atomic::write_bytes(&path, &doc).map_err(write_err(path))?;
        let path = dir.join(files::TIMESLICES_CSV);
        let csv = super::timeslices::render_csv(summary);
        atomic::write_bytes(&path, csv.as_bytes()).map_err(write_err(path))?;
    }
    let jsonl = dir.join(files::JSONL);
    let Some(lines) = lines else {
        // An earlier merge's lines would read as this one's.
        return match std::fs::remove_file(&jsonl) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(write_err(jsonl)(e)),
            _ => Ok(()),
        };
    };
    atomic::write_with(&jsonl, |out| {
        for line in lines {
            out.write_all(line.text.as_bytes())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
    .map_err(write_err(jsonl))
}

#[cfg(test)]
mod tests {
    use super::raw;

    #[test]
    fn whole_ns_come_back_whole_and_fractions_stay() {
        for ns in [1u64, 999, 12_345_678, 1_234_567_891_234] {
            let display = ns as f64 / 1e6;
            assert_eq!(raw(display, 1e6), ns as f64);
        }
        assert_eq!(raw(12.5, 1.0), 12.5);
        let v = raw(0.000_123_456_7, 1e6);
        assert!((v - 123.4567).abs() < 1e-6 && v.fract() != 0.0);
    }
}
