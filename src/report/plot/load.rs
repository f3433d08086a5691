//! Reading a run directory's exported files (and nothing else) into what the charts draw:
//! the per-request JSONL, the aggregate JSON, the server-metrics and GPU-telemetry scrapes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::PlotError;
use crate::report::files;
use crate::report::telemetry_files;

/// One profiling request from `profile_export.jsonl`; times in seconds from the run's first
/// request start, latencies in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Sent, seconds after the run's first request was sent.
    pub start_s: f64,
    /// Finished, same clock.
    pub end_s: f64,
    /// Time to first token (streaming runs).
    pub ttft_ms: Option<f64>,
    /// Mean inter-token latency of this request (streaming runs).
    pub itl_ms: Option<f64>,
    /// End-to-end request latency.
    pub latency_ms: Option<f64>,
    /// Input sequence length in tokens.
    pub isl: Option<f64>,
    /// Output sequence length in tokens.
    pub osl: Option<f64>,
    /// Send lag: credit issued → request sent.
    pub send_lag_ms: Option<f64>,
    /// The conversation the request belongs to.
    pub session: String,
    /// Its turn in the conversation.
    pub turn: u32,
    /// Whether the request failed (an `error` object on its line).
    pub failed: bool,
}

/// A time series: `(seconds from the run's first request, value)`.
pub type Series = Vec<(f64, f64)>;

/// Everything one run directory exported, as the charts need it.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Short name: the directory's last component.
    pub name: String,
    /// Where it was read from.
    pub dir: PathBuf,
    /// Profiling requests, in file order.
    pub requests: Vec<Request>,
    /// `profile_export_aiperf.json`, when present.
    pub aggregate: Option<Value>,
    /// Server metrics by family name (label sets summed) from `server_metrics_export.jsonl`;
    /// a merged run's as `name (worker K)`.
    pub server: BTreeMap<String, Series>,
    /// GPU telemetry by `gpu{index} {metric}` (`worker{K} gpu{index} {metric}` merged) from
    /// `gpu_telemetry_export.jsonl`.
    pub gpu: BTreeMap<String, Series>,
    /// GPUs counted in `gpu_telemetry_export.json` (0 when absent).
    pub gpu_count: usize,
}

impl Run {
    /// The aggregate figure `metric.stat` (`output_token_throughput`, `avg`).
    pub fn stat(&self, metric: &str, stat: &str) -> Option<f64> {
        self.aggregate.as_ref()?.get(metric)?.get(stat)?.as_f64()
    }

    /// The last profiling phase's concurrency or request rate, from the resolved config.
    pub fn arrival(&self, key: &str) -> Option<f64> {
        let phases = self.aggregate.as_ref()?.pointer("/input_config/phases")?;
        phases
            .as_array()?
            .iter()
            .rev()
            .find(|p| p.get("kind").and_then(Value::as_str) == Some("profiling"))?
            .pointer(&format!("/arrival/{key}"))?
            .as_f64()
    }

    /// Whether any request belongs to a conversation of more than one turn.
    pub fn is_multi_turn(&self) -> bool {
        self.requests.iter().any(|r| r.turn > 0)
    }
}

/// What one `RUN_DIR` argument is: a single run, or a sweep (`sweep_summary.csv`) whose
/// variations each have their own folder.
#[derive(Debug)]
pub enum Source {
    /// One run's artifact folder.
    Run(Run),
    /// A sweep: its folder and its variations in sweep order.
    Sweep(PathBuf, Vec<Run>),
}

/// Reads `dir`: a run folder (it has `profile_export.jsonl` or `profile_export_aiperf.json`)
/// or a sweep folder (it has `sweep_summary.csv`); anything else is a one-line error.
pub fn source(dir: &Path) -> Result<Source, PlotError> {
    if !dir.is_dir() {
        return Err(PlotError::NotARun(dir.to_path_buf(), "not a directory"));
    }
    if dir.join(files::SWEEP_CSV).is_file() {
        let mut runs = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| PlotError::read(dir, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.join(files::JSON).is_file() || path.join(files::JSONL).is_file() {
                runs.push(run(&path)?);
            }
        }
        if runs.is_empty() {
            return Err(PlotError::NotARun(
                dir.to_path_buf(),
                "sweep_summary.csv but no variation folders",
            ));
        }
        sort_variations(&mut runs);
        return Ok(Source::Sweep(dir.to_path_buf(), runs));
    }
    if dir.join(files::JSONL).is_file() || dir.join(files::JSON).is_file() {
        return Ok(Source::Run(run(dir)?));
    }
    // A `--num-profile-runs` folder: its first repeat stands for it, under the folder's name.
    if let Some(first) = first_repeat(dir) {
        let mut repeat = run(&first)?;
        repeat.name = run_name(dir);
        return Ok(Source::Run(repeat));
    }
    Err(PlotError::NotARun(
        dir.to_path_buf(),
        "no profile_export.jsonl, profile_export_aiperf.json, sweep_summary.csv or profile_runs/run_*/",
    ))
}

/// `dir/profile_runs/run_*` with exports, the first in run order.
fn first_repeat(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir.join("profile_runs")).ok()?;
    let mut repeats: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("run_"))
        })
        .filter(|p| p.join(files::JSONL).is_file() || p.join(files::JSON).is_file())
        .collect();
    repeats.sort();
    repeats.into_iter().next()
}

fn run_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// Orders a sweep's variations by concurrency, then request rate, then name.
fn sort_variations(runs: &mut [Run]) {
    let key = |r: &Run| {
        (
            r.arrival("concurrency").unwrap_or(f64::MAX),
            r.arrival("request_rate").unwrap_or(f64::MAX),
        )
    };
    runs.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// Reads one run folder.
pub fn run(dir: &Path) -> Result<Run, PlotError> {
    let name = run_name(dir);
    let aggregate = match std::fs::read(dir.join(files::JSON)) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .map_err(|e| PlotError::parse(&dir.join(files::JSON), 0, e))?,
        ),
        Err(_) => None,
    };
    let (requests, t0_ns) = requests(&dir.join(files::JSONL))?;
    let (server_path, gpu_path) = (
        dir.join(telemetry_files::SERVER_JSONL),
        dir.join(telemetry_files::GPU_JSONL),
    );
    // Without request lines (a merge from histograms) time counts from the first sample.
    let t0_ns = match t0_ns {
        0 => earliest_stamp(&server_path)?
            .into_iter()
            .chain(earliest_stamp(&gpu_path)?)
            .min()
            .unwrap_or(0),
        t0 => t0,
    };
    let server = scrapes(&server_path, t0_ns)?;
    let gpu = gpu_samples(&gpu_path, t0_ns)?;
    let gpu_count = std::fs::read(dir.join(telemetry_files::GPU_JSON))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v.pointer("/summary/gpus")?.as_array().map(Vec::len))
        .unwrap_or(0);
    Ok(Run {
        name,
        dir: dir.to_path_buf(),
        requests,
        aggregate,
        server,
        gpu,
        gpu_count,
    })
}

/// Each line of `path` parsed as JSON, with its 1-based line number; an absent file is empty.
fn json_lines(path: &Path, mut each: impl FnMut(Value)) -> Result<bool, PlotError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(PlotError::read(path, e)),
    };
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| PlotError::read(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        each(serde_json::from_str(&line).map_err(|e| PlotError::parse(path, i + 1, e))?);
    }
    Ok(true)
}

/// The profiling requests and the epoch ns of the first one's start (time zero).
fn requests(path: &Path) -> Result<(Vec<Request>, u64), PlotError> {
    let mut raw: Vec<(u64, u64, Value)> = Vec::new();
    json_lines(path, |line| {
        let meta = &line["metadata"];
        if meta["benchmark_phase"].as_str() == Some("warmup") {
            return;
        }
        let start = meta["request_start_ns"].as_u64().unwrap_or(0);
        let end = meta["request_end_ns"].as_u64().unwrap_or(start);
        raw.push((start, end, line));
    })?;
    let t0 = raw.iter().map(|r| r.0).min().unwrap_or(0);
    let secs = |ns: u64| ns.saturating_sub(t0) as f64 / 1e9;
    let requests = raw
        .into_iter()
        .map(|(start, end, line)| {
            let metric = |name: &str| line["metrics"][name]["value"].as_f64();
            let meta = &line["metadata"];
            Request {
                start_s: secs(start),
                end_s: secs(end),
                ttft_ms: metric("time_to_first_token"),
                itl_ms: metric("inter_token_latency"),
                latency_ms: metric("request_latency"),
                isl: metric("input_sequence_length"),
                osl: metric("output_sequence_length"),
                send_lag_ms: metric("credit_to_start_latency"),
                session: meta["conversation_id"].as_str().unwrap_or("").to_owned(),
                turn: meta["turn_index"].as_u64().unwrap_or(0) as u32,
                failed: line.get("error").is_some_and(|e| !e.is_null()),
            }
        })
        .collect();
    Ok((requests, t0))
}

/// Seconds from `t0_ns` (epoch) to `ts_ns` (epoch), negative before it.
fn rel_s(ts_ns: u64, t0_ns: u64) -> f64 {
    (ts_ns as f64 - t0_ns as f64) / 1e9
}

/// The earliest `timestamp_ns` of a telemetry JSONL, when it has one.
fn earliest_stamp(path: &Path) -> Result<Option<u64>, PlotError> {
    let mut earliest: Option<u64> = None;
    json_lines(path, |line| {
        if let Some(ts) = line["timestamp_ns"].as_u64() {
            earliest = Some(earliest.map_or(ts, |e| e.min(ts)));
        }
    })?;
    Ok(earliest)
}

/// What a merged run's telemetry line adds to its series' names: its worker (`gauntlet
/// merge` keeps each worker's scrapes apart, on one time axis); nothing for one process.
fn worker_suffix(line: &Value) -> String {
    line["worker"]
        .as_u64()
        .map_or_else(String::new, |k| format!("{WORKER_MARK}{k})"))
}

/// Where a series name's worker label starts.
pub const WORKER_MARK: &str = " (worker ";

/// Server-metric families (label sets summed) per scrape, over time; a merged run's per worker.
fn scrapes(path: &Path, t0_ns: u64) -> Result<BTreeMap<String, Series>, PlotError> {
    let mut out: BTreeMap<String, Series> = BTreeMap::new();
    json_lines(path, |line| {
        let t = rel_s(line["timestamp_ns"].as_u64().unwrap_or(0), t0_ns);
        let worker = worker_suffix(&line);
        let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
        for s in line["samples"].as_array().into_iter().flatten() {
            if let (Some(name), Some(v)) = (s["name"].as_str(), s["value"].as_f64()) {
                *sums.entry(name).or_default() += v;
            }
        }
        for (name, v) in sums {
            out.entry(format!("{name}{worker}"))
                .or_default()
                .push((t, v));
        }
    })?;
    Ok(out)
}

/// GPU samples by `gpu{index} {metric}`, over time.
fn gpu_samples(path: &Path, t0_ns: u64) -> Result<BTreeMap<String, Series>, PlotError> {
    let mut out: BTreeMap<String, Series> = BTreeMap::new();
    json_lines(path, |line| {
        let t = rel_s(line["timestamp_ns"].as_u64().unwrap_or(0), t0_ns);
        let gpu = line["gpu_index"].as_u64().unwrap_or(0);
        let worker = line["worker"]
            .as_u64()
            .map_or_else(String::new, |k| format!("worker{k} "));
        if let Some(data) = line["telemetry_data"].as_object() {
            for (metric, v) in data {
                if let Some(v) = v.as_f64() {
                    out.entry(format!("{worker}gpu{gpu} {metric}"))
                        .or_default()
                        .push((t, v));
                }
            }
        }
    })?;
    Ok(out)
}
