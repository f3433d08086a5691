//! Scrape logs over the profiling window → `server_metrics_export.json`'s shape (AIPerf's:
//! metrics keyed by name, one series per endpoint + label set, stats per metric type).

use std::collections::BTreeMap;

use super::expo::MetricKind;
use super::store::{EndpointLog, Part};
use super::window::{bracket, bucket_quantile, counter_delta, distribution, Distribution, Window};

/// The whole export.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServerMetricsExport {
    /// Version of this layout.
    pub schema_version: &'static str,
    /// Collection facts.
    pub summary: CollectionSummary,
    /// Metric name → its series.
    pub metrics: BTreeMap<String, MetricExport>,
}

/// Which endpoints answered, and how often they did not.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CollectionSummary {
    /// Every endpoint scraped.
    pub endpoints_configured: Vec<String>,
    /// Endpoints that answered at least once.
    pub endpoints_successful: Vec<String>,
    /// The profiling window (monotonic ns, the clock of `profile_export.jsonl`).
    pub window: Window,
    /// Failed scrapes over all endpoints (connection, timeout, HTTP status, not Prometheus).
    pub scrape_failures: u64,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// Per-endpoint facts.
    pub endpoint_info: BTreeMap<String, EndpointInfo>,
}

/// One endpoint's collection facts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EndpointInfo {
    /// GETs attempted.
    pub total_fetches: u64,
    /// GETs that failed.
    pub failed_fetches: u64,
    /// Mean latency of the successful GETs, ms.
    pub avg_fetch_latency_ms: f64,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// One metric family.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetricExport {
    /// `counter`, `gauge`, `histogram`, `summary` or `untyped`.
    #[serde(rename = "type")]
    pub kind: MetricKind,
    /// The HELP text.
    pub description: String,
    /// Unit guessed from the name's suffix.
    pub unit: Option<&'static str>,
    /// One per endpoint + label set.
    pub series: Vec<SeriesExport>,
}

/// One series' statistics.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeriesExport {
    /// The endpoint scraped.
    pub endpoint_url: String,
    /// Labels (without `le`/`quantile`).
    pub labels: BTreeMap<String, String>,
    /// Statistics by type.
    pub stats: SeriesStats,
    /// Histogram bucket bound → observations in the window (not cumulative).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "bound_order"
    )]
    pub buckets: Option<Vec<(String, f64)>>,
}

/// Statistics, by metric type (serialized flat, as AIPerf does).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum SeriesStats {
    /// Counters: the rise over the window.
    Counter {
        /// Increase over the window (resets handled).
        total: f64,
        /// `total` per second of window.
        rate: f64,
        /// Slowest rate between consecutive scrapes.
        rate_min: Option<f64>,
        /// Fastest rate between consecutive scrapes.
        rate_max: Option<f64>,
    },
    /// Gauges and untyped values: their samples inside the window.
    Gauge(Distribution),
    /// Histograms and summaries: observations in the window.
    Histogram {
        /// Observations.
        count: f64,
        /// Their sum.
        sum: f64,
        /// `sum / count`.
        avg: Option<f64>,
        /// Observations per second.
        count_rate: f64,
        /// Sum per second.
        sum_rate: f64,
        /// Median estimated from bucket deltas.
        p50_estimate: Option<f64>,
        /// 90th percentile estimate.
        p90_estimate: Option<f64>,
        /// 95th percentile estimate.
        p95_estimate: Option<f64>,
        /// 99th percentile estimate.
        p99_estimate: Option<f64>,
    },
    /// A series with no sample in the window.
    Empty {},
}

/// A family and its labels (without `le`/`quantile`): one exported series.
type GroupKey = (String, Vec<(String, String)>);

/// Summarizes every endpoint's log over `window`.
pub fn summarize_server(logs: &[EndpointLog], window: Window) -> ServerMetricsExport {
    let mut metrics: BTreeMap<String, MetricExport> = BTreeMap::new();
    let mut endpoint_info = BTreeMap::new();
    for log in logs {
        endpoint_info.insert(
            log.url.clone(),
            EndpointInfo {
                total_fetches: log.fetches,
                failed_fetches: log.failures,
                avg_fetch_latency_ms: log.fetch_ns_total as f64
                    / 1e6
                    / (log.fetches - log.failures).max(1) as f64,
                last_error: log.last_error.clone(),
            },
        );
        let ts: Vec<u64> = log.scrapes.iter().map(|s| s.ts_ns).collect();
        let Some((first, last)) = bracket(&ts, window) else {
            continue;
        };
        // Group series ids by family + labels.
        let mut groups: BTreeMap<GroupKey, Vec<(Part, usize)>> = BTreeMap::new();
        for (id, key) in log.series.iter().enumerate() {
            groups
                .entry((key.family.clone(), key.labels.clone()))
                .or_default()
                .push((key.part, id));
        }
        for ((family, labels), parts) in groups {
            let (kind, help) = log
                .families
                .get(&family)
                .cloned()
                .unwrap_or((MetricKind::Untyped, String::new()));
            let series = |id: usize| -> Vec<(u64, f64)> {
                log.scrapes[first..=last]
                    .iter()
                    .map(|s| (s.ts_ns, log.value(s, id)))
                    .collect()
            };
            let (stats, buckets) = match kind {
                MetricKind::Counter => (counter_stats(&series(parts[0].1), window), None),
                MetricKind::Histogram | MetricKind::Summary => {
                    histogram_stats(&parts, &series, window)
                }
                MetricKind::Gauge | MetricKind::Untyped => {
                    let inside: Vec<f64> = series(parts[0].1)
                        .into_iter()
                        .filter(|(t, _)| window.contains(*t))
                        .map(|(_, v)| v)
                        .collect();
                    let d = distribution(inside)
                        .or_else(|| distribution([log.value(&log.scrapes[last], parts[0].1)]));
                    (d.map_or(SeriesStats::Empty {}, SeriesStats::Gauge), None)
                }
            };
            let entry = metrics
                .entry(family.clone())
                .or_insert_with(|| MetricExport {
                    kind,
                    description: help,
                    unit: unit_of(&family),
                    series: Vec::new(),
                });
            entry.series.push(SeriesExport {
                endpoint_url: log.url.clone(),
                labels: labels.into_iter().collect(),
                stats,
                buckets,
            });
        }
    }
    let scrape_failures = logs.iter().map(|l| l.failures).sum();
    let last_error = logs.iter().rev().find_map(|l| l.last_error.clone());
    ServerMetricsExport {
        schema_version: "1.0",
        summary: CollectionSummary {
            endpoints_configured: logs.iter().map(|l| l.url.clone()).collect(),
            endpoints_successful: logs
                .iter()
                .filter(|l| !l.scrapes.is_empty())
                .map(|l| l.url.clone())
                .collect(),
            window,
            scrape_failures,
            last_error,
            endpoint_info,
        },
        metrics,
    }
}

/// Buckets as a JSON object in bound order (a sorted map would put "10" before "2.5").
fn bound_order<S: serde::Serializer>(
    buckets: &Option<Vec<(String, f64)>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let list = buckets.as_deref().unwrap_or_default();
    let mut map = s.serialize_map(Some(list.len()))?;
    for (bound, count) in list {
        map.serialize_entry(bound, count)?;
    }
    map.end()
}

fn counter_stats(points: &[(u64, f64)], window: Window) -> SeriesStats {
    let total = counter_delta(points.iter().map(|p| p.1));
    let rates: Vec<f64> = points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0 && w[0].1.is_finite() && w[1].1.is_finite())
        .map(|w| counter_delta([w[0].1, w[1].1]) / ((w[1].0 - w[0].0) as f64 / 1e9))
        .collect();
    SeriesStats::Counter {
        total,
        rate: total / window.seconds(),
        rate_min: rates.iter().copied().reduce(f64::min),
        rate_max: rates.iter().copied().reduce(f64::max),
    }
}

type SeriesFn<'a> = dyn Fn(usize) -> Vec<(u64, f64)> + 'a;

fn histogram_stats(
    parts: &[(Part, usize)],
    series: &SeriesFn<'_>,
    window: Window,
) -> (SeriesStats, Option<Vec<(String, f64)>>) {
    let delta = |id: usize| counter_delta(series(id).into_iter().map(|p| p.1));
    let find = |want: Part| {
        parts
            .iter()
            .find(|(p, _)| *p == want)
            .map(|&(_, id)| delta(id))
    };
    let count = find(Part::Count).unwrap_or(0.0);
    let sum = find(Part::Sum).unwrap_or(0.0);
    let mut cumulative: Vec<(f64, f64)> = parts
        .iter()
        .filter_map(|&(p, id)| match p {
            Part::Bucket(le) => Some((le, delta(id))),
            _ => None,
        })
        .collect();
    cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
    let q = |q: f64| bucket_quantile(&cumulative, q);
    let buckets = (!cumulative.is_empty()).then(|| {
        let mut prev = 0.0;
        cumulative
            .iter()
            .map(|&(le, c)| {
                let own = (c - prev).max(0.0);
                prev = c;
                let name = if le.is_infinite() {
                    "+Inf".to_owned()
                } else {
                    le.to_string()
                };
                (name, own)
            })
            .collect()
    });
    let secs = window.seconds();
    let stats = SeriesStats::Histogram {
        count,
        sum,
        avg: (count > 0.0).then(|| sum / count),
        count_rate: count / secs,
        sum_rate: sum / secs,
        p50_estimate: q(0.5),
        p90_estimate: q(0.9),
        p95_estimate: q(0.95),
        p99_estimate: q(0.99),
    };
    (stats, buckets)
}

/// The unit a metric's name announces (Prometheus naming conventions).
fn unit_of(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix("_total").unwrap_or(name);
    [
        ("_seconds", "seconds"),
        ("_bytes", "bytes"),
        ("_tokens", "tokens"),
        ("_perc", "ratio"),
        ("_ratio", "ratio"),
        ("_requests", "requests"),
    ]
    .iter()
    .find(|(suffix, _)| name.ends_with(suffix))
    .map(|&(_, unit)| unit)
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
