//! Reading one finished run's artifact folder: model, SPEED-Bench category, output token
//! throughput (`profile_export_aiperf.json`) and the speculative-decoding numbers of the
//! profiling window (`server_metrics_export.json`).
//!
//! `server_metrics_export.json` is read in AIPerf's shape (the one gauntlet writes too):
//!
//! ```json
//! {"metrics": {"vllm:spec_decode_num_drafts": {"type": "counter",
//!     "series": [{"labels": {...}, "stats": {"total": 120.0, "rate": 4.0}}]}}}
//! ```
//!
//! A counter's `stats.total` is its delta over the profiling window (`stats.delta` is taken
//! when `total` is absent); the series of all endpoints and label sets are summed. A gauge's
//! `stats.avg` is its average over the window; the series are averaged. Names are matched
//! with or without the `_total` suffix Prometheus puts on counters.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Metric, ReportError};
use crate::dataset::public::SpeedBenchVariant;

const PROFILE_EXPORT: &str = "profile_export_aiperf.json";
const SERVER_METRICS_EXPORT: &str = "server_metrics_export.json";

/// The counters each engine family exposes: drafts, draft tokens, accepted tokens.
const COUNTER_FAMILIES: [(&str, [&str; 3]); 2] = [
    (
        "vllm",
        [
            "vllm:spec_decode_num_drafts",
            "vllm:spec_decode_num_draft_tokens",
            "vllm:spec_decode_num_accepted_tokens",
        ],
    ),
    (
        "llama.cpp",
        [
            "llamacpp:spec_decode_num_drafts",
            "llamacpp:spec_decode_num_draft_tokens",
            "llamacpp:spec_decode_num_accepted_tokens",
        ],
    ),
];
const SGLANG_ACCEPT_LENGTH: &str = "sglang:spec_accept_length";
const SGLANG_ACCEPT_RATE: &str = "sglang:spec_accept_rate";

/// One run's cell of the matrix, plus what the Overall column pools.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCell {
    /// The artifact folder.
    pub dir: PathBuf,
    /// The model the run targeted.
    pub model: String,
    /// The column: a category (`coding`) or another variant's label (`throughput_1k`).
    pub category: String,
    /// The metric's value for this run.
    pub value: f64,
}

/// Reads `dir` for `metric`. Errors name the folder, the file and the missing key or counter.
pub fn read_run(dir: &Path, metric: Metric) -> Result<RunCell, ReportError> {
    let profile = read_json(&dir.join(PROFILE_EXPORT))?;
    let config = profile.get("input_config").unwrap_or(&Value::Null);
    let model = model_name(config).ok_or_else(|| ReportError::Missing {
        file: dir.join(PROFILE_EXPORT),
        what: "the model name (input_config.model or input_config.models.items[0].name)".into(),
    })?;
    let category = category(config, dir).ok_or_else(|| ReportError::NoCategory {
        dir: dir.to_path_buf(),
    })?;
    let value = match metric {
        Metric::Throughput => profile
            .pointer("/output_token_throughput/avg")
            .and_then(Value::as_f64)
            .ok_or_else(|| ReportError::Missing {
                file: dir.join(PROFILE_EXPORT),
                what: "output_token_throughput.avg".into(),
            })?,
        Metric::AcceptLength | Metric::AcceptRate => {
            let path = dir.join(SERVER_METRICS_EXPORT);
            acceptance(&read_json(&path)?, &path, metric)?
        }
    };
    Ok(RunCell {
        dir: dir.to_path_buf(),
        model,
        category,
        value,
    })
}

fn read_json(path: &Path) -> Result<Value, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ReportError::Io {
        path: path.to_path_buf(),
        reason: format!("not valid JSON: {e}"),
    })
}

/// gauntlet writes the plan (`model`); AIPerf writes `models.items[].name` (0.13) or
/// `endpoint.model_names` (older).
fn model_name(config: &Value) -> Option<String> {
    [
        "/model",
        "/models/items/0/name",
        "/endpoint/model_names/0",
        "/model_names/0",
    ]
    .iter()
    .find_map(|p| config.pointer(p).and_then(Value::as_str))
    .map(str::to_string)
}

/// The first `speed_bench_*` name anywhere in the run's config (gauntlet's
/// `public_dataset.variant`, AIPerf's public dataset name), else the folder's name when it
/// names a variant or a category (the folders AIPerf's per-category loop makes).
fn category(config: &Value, dir: &Path) -> Option<String> {
    if let Some(variant) = find_variant(config) {
        return Some(variant.label());
    }
    let name = dir.file_name()?.to_str()?.to_ascii_lowercase();
    SpeedBenchVariant::parse(&name)
        .or_else(|| SpeedBenchVariant::parse(&format!("speed_bench_{name}")))
        .map(|v| v.label())
}

fn find_variant(value: &Value) -> Option<SpeedBenchVariant> {
    match value {
        Value::String(s) => SpeedBenchVariant::parse(s),
        Value::Array(items) => items.iter().find_map(find_variant),
        Value::Object(map) => map.values().find_map(find_variant),
        _ => None,
    }
}

/// The acceptance length or rate of the window, from whichever engine's metrics are there.
fn acceptance(doc: &Value, path: &Path, metric: Metric) -> Result<f64, ReportError> {
    let metrics = doc
        .get("metrics")
        .and_then(Value::as_object)
        .ok_or_else(|| ReportError::Missing {
            file: path.to_path_buf(),
            what: "the `metrics` object".into(),
        })?;
    let lookup = |name: &str| {
        metrics
            .get(name)
            .or_else(|| metrics.get(&format!("{name}_total")))
    };
    let missing = |what: &str| ReportError::Missing {
        file: path.to_path_buf(),
        what: what.to_string(),
    };
    for (_, [drafts, draft_tokens, accepted]) in COUNTER_FAMILIES {
        if lookup(drafts).is_none() && lookup(accepted).is_none() {
            continue;
        }
        let delta = |name: &str| {
            lookup(name)
                .and_then(counter_delta)
                .ok_or_else(|| missing(&format!("counter {name} (stats.total)")))
        };
        let accepted_delta = delta(accepted)?;
        return match metric {
            Metric::AcceptRate => {
                let tokens = delta(draft_tokens)?;
                ratio(accepted_delta, tokens, path, draft_tokens)
            }
            _ => Ok(1.0 + ratio(accepted_delta, delta(drafts)?, path, drafts)?),
        };
    }
    let gauge = match metric {
        Metric::AcceptRate => SGLANG_ACCEPT_RATE,
        _ => SGLANG_ACCEPT_LENGTH,
    };
    if lookup(SGLANG_ACCEPT_LENGTH).is_some() || lookup(SGLANG_ACCEPT_RATE).is_some() {
        return lookup(gauge)
            .and_then(gauge_avg)
            .ok_or_else(|| missing(&format!("gauge {gauge} (stats.avg)")));
    }
    Err(missing(
        "speculative-decoding metrics: counter vllm:spec_decode_num_drafts \
         (or llamacpp:spec_decode_num_drafts, or gauge sglang:spec_accept_length); \
         was the server started with a draft model, and were server metrics scraped?",
    ))
}

fn ratio(numerator: f64, denominator: f64, path: &Path, counter: &str) -> Result<f64, ReportError> {
    if denominator > 0.0 {
        Ok(numerator / denominator)
    } else {
        Err(ReportError::Missing {
            file: path.to_path_buf(),
            what: format!("any increase of counter {counter} in the profiling window (it stayed at 0: no speculation happened)"),
        })
    }
}

fn series_stats(metric: &Value) -> impl Iterator<Item = &Value> {
    metric
        .get("series")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("stats"))
}

fn counter_delta(metric: &Value) -> Option<f64> {
    let values: Vec<f64> = series_stats(metric)
        .filter_map(|stats| {
            stats
                .get("total")
                .or_else(|| stats.get("delta"))
                .and_then(Value::as_f64)
        })
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

fn gauge_avg(metric: &Value) -> Option<f64> {
    let values: Vec<f64> = series_stats(metric)
        .filter_map(|stats| stats.get("avg").and_then(Value::as_f64))
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}
