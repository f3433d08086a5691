//! `profile_export_aiperf_timeslices.json` and `.csv` (`--slice-duration`): every metric per
//! time slice, in AIPerf's layouts — the JSON a `timeslices` array of objects keyed by tag, the
//! CSV "tidy" (`Timeslice,Metric,Unit,Stat,Value`, one row per statistic).

use std::fmt::Write;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::json::MetricJson;
use crate::config::Plan;
use crate::metrics::stats::PERCENTILE_KEYS;
use crate::metrics::summary::TimeSlice;
use crate::metrics::Summary;

/// The CSV's header line, AIPerf's.
pub const CSV_HEADER: &str = "Timeslice,Metric,Unit,Stat,Value";

/// Renders the JSON document: `{"timeslices": [...], "input_config": plan}`.
pub fn render_json(summary: &Summary, plan: &Plan) -> serde_json::Result<Vec<u8>> {
    render_json_with_config(summary, plan)
}

/// [`render_json`] with any `input_config` (a merge of workers copies theirs).
pub fn render_json_with_config<C: Serialize + ?Sized>(
    summary: &Summary,
    plan: &C,
) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec_pretty(&Export { summary, plan })
}

struct Export<'a, C: ?Sized> {
    summary: &'a Summary,
    plan: &'a C,
}

struct Slices<'a>(&'a [TimeSlice]);
struct SliceJson<'a>(&'a TimeSlice);

impl<C: Serialize + ?Sized> Serialize for Export<'_, C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("timeslices", &Slices(&self.summary.time_slices))?;
        map.serialize_entry("input_config", self.plan)?;
        map.end()
    }
}

impl Serialize for Slices<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for slice in self.0 {
            seq.serialize_element(&SliceJson(slice))?;
        }
        seq.end()
    }
}

impl Serialize for SliceJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("timeslice_index", &t.index)?;
        map.serialize_entry("start_s", &t.start_s)?;
        map.serialize_entry("end_s", &t.end_s)?;
        for m in &t.metrics {
            let spec = m.metric.spec();
            let value = m.stats.avg;
            let stats = Some(&m.stats);
            map.serialize_entry(spec.tag, &MetricJson { spec, stats, value })?;
        }
        for a in &t.aggregates {
            let spec = a.metric.spec();
            let json = MetricJson {
                spec,
                stats: None,
                value: a.value,
            };
            map.serialize_entry(spec.tag, &json)?;
        }
        map.end()
    }
}

/// Renders the tidy CSV: per slice, every per-request metric's avg, min, max, percentiles and
/// std, then every run-level value (Stat `avg`, as the JSON names it); CRLF line ends.
pub fn render_csv(summary: &Summary) -> String {
    let mut out = String::new();
    out.push_str(CSV_HEADER);
    out.push_str("\r\n");
    for t in &summary.time_slices {
        for m in &t.metrics {
            let spec = m.metric.spec();
            let s = &m.stats;
            let mut row = |stat: &str, v: f64| {
                let _ = write!(
                    out,
                    "{},{},{},{stat},{v:.2}\r\n",
                    t.index, spec.header, spec.unit
                );
            };
            row("avg", s.avg);
            row("min", s.min);
            row("max", s.max);
            for (key, v) in PERCENTILE_KEYS.iter().zip(s.percentiles) {
                row(key, v);
            }
            row("std", s.std);
        }
        for a in &t.aggregates {
            let spec = a.metric.spec();
            let _ = write!(
                out,
                "{},{},{},avg,{:.2}\r\n",
                t.index, spec.header, spec.unit, a.value
            );
        }
    }
    out
}
