//! Reading finished runs back for `gauntlet compare`: a run folder's
//! `profile_export_aiperf.json`, or for a run made with `--num-profile-runs` each repeat's
//! export under `profile_runs/run_NNNN/` and the level of `aggregate/`'s intervals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::CompareError;
use crate::report::files;

/// The statistics of a per-request metric that are compared, as the export names them.
pub const REQUEST_STATS: [&str; 4] = ["avg", "p50", "p90", "p99"];

/// One metric of one export: its unit and the compared statistics present (a run-level
/// metric has only `avg`, its value).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricValues {
    /// The unit the export names.
    pub unit: String,
    /// Whether the metric has per-request statistics (percentiles).
    pub per_request: bool,
    /// (statistic, value), in [`REQUEST_STATS`] order.
    pub stats: Vec<(&'static str, f64)>,
}

/// One `profile_export_aiperf.json`: metric tag → values.
pub type Export = BTreeMap<String, MetricValues>;

/// A run folder as compare reads it.
#[derive(Debug, Clone)]
pub struct RunSet {
    /// The folder as given.
    pub dir: PathBuf,
    /// AIPerf's name of the run's endpoint type (`input_config.endpoint`), when recorded.
    pub endpoint: Option<String>,
    /// One export per repeat, in run order (one for a run without repeats).
    pub repeats: Vec<Export>,
    /// The confidence level of the run's across-runs export, when it has one.
    pub confidence: Option<f64>,
}

/// Reads the run folder `dir`.
pub fn read_run(dir: &Path) -> Result<RunSet, CompareError> {
    if !dir.is_dir() {
        return Err(CompareError::Missing(dir.to_owned()));
    }
    let single = dir.join(files::JSON);
    let mut paths = Vec::new();
    if single.is_file() {
        paths.push(single);
    } else {
        paths = repeat_exports(&dir.join("profile_runs"));
    }
    if paths.is_empty() {
        return Err(CompareError::NotARun(dir.to_owned()));
    }
    let mut repeats = Vec::with_capacity(paths.len());
    let mut endpoint = None;
    for path in &paths {
        let doc = read_json(path)?;
        if endpoint.is_none() {
            endpoint = doc["input_config"]["endpoint"].as_str().map(str::to_owned);
        }
        repeats.push(export_of(&doc));
    }
    let aggregate = dir.join("aggregate").join(files::AGGREGATE_JSON);
    let confidence = if paths.len() > 1 && aggregate.is_file() {
        read_json(&aggregate)?["confidence_level"].as_f64()
    } else {
        None
    };
    Ok(RunSet {
        dir: dir.to_owned(),
        endpoint,
        repeats,
        confidence,
    })
}

/// `profile_runs/run_*/profile_export_aiperf.json`, in run order.
fn repeat_exports(runs: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(runs) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("run_"))
        .map(|e| e.path().join(files::JSON))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
}

fn read_json(path: &Path) -> Result<serde_json::Value, CompareError> {
    let text = std::fs::read(path).map_err(|error| CompareError::Read {
        path: path.to_owned(),
        error,
    })?;
    serde_json::from_slice(&text).map_err(|error| CompareError::Parse {
        path: path.to_owned(),
        error,
    })
}

/// Every top-level entry shaped like a metric (`{"unit": …, "avg": number, …}`).
fn export_of(doc: &serde_json::Value) -> Export {
    let mut out = Export::new();
    let Some(map) = doc.as_object() else {
        return out;
    };
    for (tag, value) in map {
        let (Some(unit), Some(_)) = (value["unit"].as_str(), value["avg"].as_f64()) else {
            continue;
        };
        let stats: Vec<(&'static str, f64)> = REQUEST_STATS
            .iter()
            .filter_map(|&s| value[s].as_f64().map(|v| (s, v)))
            .collect();
        out.insert(
            tag.clone(),
            MetricValues {
                unit: unit.to_owned(),
                per_request: value.get("p50").is_some(),
                stats,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_metric_shaped_entries_only() {
        let doc = serde_json::json!({
            "schema_version": "1.4",
            "time_to_first_token": {"unit": "ms", "avg": 12.0, "p50": 11.0, "p90": 15.0,
                                    "p99": 20.0, "min": 1.0},
            "request_throughput": {"unit": "requests/sec", "avg": 100.0},
            "input_config": {"endpoint": "chat"},
            "error_summary": [],
        });
        let export = export_of(&doc);
        assert_eq!(export.len(), 2);
        let ttft = &export["time_to_first_token"];
        assert!(ttft.per_request);
        assert_eq!(
            ttft.stats,
            vec![("avg", 12.0), ("p50", 11.0), ("p90", 15.0), ("p99", 20.0)]
        );
        let rps = &export["request_throughput"];
        assert!(!rps.per_request);
        assert_eq!(rps.stats, vec![("avg", 100.0)]);
    }
}
