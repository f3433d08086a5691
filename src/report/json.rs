//! `profile_export_aiperf.json`: AIPerf's schema-1.4 layout, keys in a fixed order.
//!
//! Written through hand-ordered `Serialize` impls rather than a `serde_json::Map`, whose key
//! order depends on a crate feature another dependency may switch on.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::RunInfo;
use crate::config::Plan;
use crate::metrics::stats::PERCENTILE_KEYS;
use crate::metrics::{ErrorCount, MetricSpec, Stats, Summary};

/// AIPerf's export schema version that this layout follows.
pub const SCHEMA_VERSION: &str = "1.4";

/// Renders the whole document, pretty-printed with two-space indents like AIPerf's.
pub fn render(summary: &Summary, plan: &Plan, info: &RunInfo) -> serde_json::Result<Vec<u8>> {
    render_with_config(summary, plan, info)
}

/// [`render`] with any `input_config` (a merge of workers copies theirs, read back as JSON).
pub fn render_with_config<C: Serialize + ?Sized>(
    summary: &Summary,
    config: &C,
    info: &RunInfo,
) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&Export {
        summary,
        plan: config,
        info,
    })
}

struct Export<'a, C: ?Sized> {
    summary: &'a Summary,
    plan: &'a C,
    info: &'a RunInfo,
}

/// One metric as AIPerf writes it: `unit`, `avg`, and for per-request metrics the
/// percentiles, `min`, `max`, `std`, `count`, `sum` (shared with the time-slice export).
pub(super) struct MetricJson<'a> {
    pub(super) spec: &'static MetricSpec,
    pub(super) stats: Option<&'a Stats>,
    pub(super) value: f64,
}

struct RunInfoJson<'a>(&'a RunInfo);
struct Errors<'a>(&'a [ErrorCount]);
struct ErrorJson<'a>(&'a ErrorCount);
struct Details<'a>(&'a ErrorCount);

impl<C: Serialize + ?Sized> Serialize for Export<'_, C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("schema_version", SCHEMA_VERSION)?;
        map.serialize_entry("gauntlet_version", crate::VERSION)?;
        map.serialize_entry("benchmark_id", &self.info.benchmark_id)?;
        for (spec, stats, value) in self.summary.rows() {
            map.serialize_entry(spec.tag, &MetricJson { spec, stats, value })?;
        }
        map.serialize_entry("input_config", self.plan)?;
        map.serialize_entry("run_info", &RunInfoJson(self.info))?;
        map.serialize_entry("was_cancelled", &self.info.was_cancelled)?;
        map.serialize_entry("is_complete", &self.info.is_complete)?;
        map.serialize_entry("error_summary", &Errors(&self.summary.errors))?;
        if let Some(telemetry) = &self.info.telemetry_data {
            map.serialize_entry("telemetry_data", telemetry)?;
        }
        if let Some(merge) = &self.info.merge {
            map.serialize_entry("merge", merge)?;
        }
        map.serialize_entry("start_time", &self.info.start_time)?;
        map.serialize_entry("end_time", &self.info.end_time)?;
        map.serialize_entry("request_accounting", &Accounting(self.summary))?;
        map.end()
    }
}

impl Serialize for MetricJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("unit", self.spec.unit)?;
        map.serialize_entry("avg", &self.value)?;
        if let Some(stats) = self.stats {
            for (key, value) in PERCENTILE_KEYS.iter().zip(stats.percentiles) {
                map.serialize_entry(key, &value)?;
            }
            map.serialize_entry("min", &stats.min)?;
            map.serialize_entry("max", &stats.max)?;
            map.serialize_entry("std", &stats.std)?;
            map.serialize_entry("count", &stats.count)?;
            map.serialize_entry("sum", &stats.sum)?;
        }
        map.end()
    }
}

impl Serialize for RunInfoJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("benchmark_id", &self.0.benchmark_id)?;
        map.serialize_entry("random_seed", &self.0.random_seed)?;
        map.serialize_entry("trial", &0)?;
        map.serialize_entry("cli_command", &self.0.cli_command)?;
        map.end()
    }
}

impl Serialize for Errors<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for error in self.0 {
            seq.serialize_element(&ErrorJson(error))?;
        }
        seq.end()
    }
}

impl Serialize for ErrorJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("error_details", &Details(self.0))?;
        map.serialize_entry("count", &self.0.count)?;
        map.end()
    }
}

impl Serialize for Details<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = &self.0.error;
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("code", &e.code)?;
        map.serialize_entry("type", &e.kind)?;
        map.serialize_entry("message", &e.message)?;
        map.end()
    }
}

struct Accounting<'a>(&'a Summary);

impl Serialize for Accounting<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = &self.0.accounting;
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("scheduled", &a.scheduled)?;
        map.serialize_entry("completed", &a.completed)?;
        map.serialize_entry("failed", &a.failed)?;
        map.serialize_entry("cancelled", &a.cancelled)?;
        map.serialize_entry("not_sent", &a.not_sent)?;
        map.serialize_entry("malformed_events", &a.malformed_events)?;
        map.end()
    }
}
