//! Scrapes of one endpoint kept in memory, compactly and within a bound.
//!
//! Each distinct sample line (name + labels) becomes a series id once; a scrape is then only
//! its timestamp and one `f64` per series. When the log reaches its cap, every other unpinned
//! scrape is dropped, so a long run keeps its whole span at a coarser step instead of growing
//! without limit or losing its start. Scrapes taken at phase boundaries are pinned: the window
//! deltas depend on them.

use std::collections::HashMap;

use super::expo::{Exposition, MetricKind};

/// Which part of a family a series is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Part {
    /// A counter, gauge or untyped value.
    Value,
    /// A histogram bucket with its upper bound (`le`).
    Bucket(f64),
    /// A summary quantile.
    Quantile(f64),
    /// A histogram's or summary's `_sum`.
    Sum,
    /// A histogram's or summary's `_count`.
    Count,
}

/// What one series id stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesKey {
    /// The family name.
    pub family: String,
    /// Labels without `le`/`quantile`, sorted by name.
    pub labels: Vec<(String, String)>,
    /// The part of the family.
    pub part: Part,
}

/// One scrape: when, and every series' value (NaN where the series was absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Scrape {
    /// Monotonic ns when the GET was issued.
    pub ts_ns: u64,
    /// Taken at a phase boundary; never dropped by thinning.
    pub pinned: bool,
    /// Indexed by series id.
    pub values: Vec<f64>,
}

/// Everything kept about one endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointLog {
    /// The URL scraped.
    pub url: String,
    /// Series ids → keys.
    pub series: Vec<SeriesKey>,
    index: HashMap<(String, Vec<(String, String)>), usize>,
    /// Family → (type, help).
    pub families: HashMap<String, (MetricKind, String)>,
    /// Kept scrapes, oldest first.
    pub scrapes: Vec<Scrape>,
    /// Scrapes kept at most (thinned beyond).
    pub cap: usize,
    /// GETs attempted.
    pub fetches: u64,
    /// GETs that failed (connection, timeout, status, parse).
    pub failures: u64,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// Sum of successful fetch latencies.
    pub fetch_ns_total: u64,
}

impl EndpointLog {
    /// An empty log for `url` holding at most `cap` scrapes (at least 16).
    pub fn new(url: &str, cap: usize) -> Self {
        Self {
            url: url.to_owned(),
            cap: cap.max(16),
            ..Self::default()
        }
    }

    /// Adds one parsed scrape taken at `ts_ns`.
    pub fn ingest(&mut self, ts_ns: u64, expo: &Exposition, pinned: bool) {
        for (name, family) in &expo.families {
            self.families
                .insert(name.clone(), (family.kind, family.help.clone()));
        }
        let mut values = vec![f64::NAN; self.series.len()];
        for sample in &expo.samples {
            let raw_key = (sample.name.clone(), sample.labels.clone());
            let id = match self.index.get(&raw_key) {
                Some(&id) => id,
                None => {
                    let kind = expo
                        .families
                        .get(&sample.family)
                        .map_or(MetricKind::Untyped, |f| f.kind);
                    let key = series_key(&sample.family, &sample.name, &sample.labels, kind);
                    self.series.push(key);
                    values.push(f64::NAN);
                    self.index.insert(raw_key, self.series.len() - 1);
                    self.series.len() - 1
                }
            };
            values[id] = sample.value;
        }
        self.scrapes.push(Scrape {
            ts_ns,
            pinned,
            values,
        });
        if self.scrapes.len() >= self.cap {
            self.thin();
        }
    }

    /// Drops every other unpinned scrape (the newest is always kept).
    fn thin(&mut self) {
        let last = self.scrapes.len() - 1;
        let mut odd = false;
        let mut i = 0;
        self.scrapes.retain(|s| {
            let keep = s.pinned || i == 0 || i == last || !odd;
            odd = !odd;
            i += 1;
            keep
        });
    }

    /// A series' value in a scrape (NaN when absent then).
    pub fn value(&self, scrape: &Scrape, id: usize) -> f64 {
        scrape.values.get(id).copied().unwrap_or(f64::NAN)
    }

    /// The gauges of the newest scrape, `family{label="value",…}` and value, at most `limit`
    /// of them in series order: what a live view shows (running and waiting requests, KV-cache
    /// usage, GPU power and utilisation).
    pub fn latest_gauges(&self, limit: usize) -> Vec<(String, f64)> {
        let Some(last) = self.scrapes.last() else {
            return Vec::new();
        };
        let gauge =
            |family: &str| matches!(self.families.get(family), Some((MetricKind::Gauge, _)));
        self.series
            .iter()
            .enumerate()
            .filter(|(_, key)| key.part == Part::Value && gauge(&key.family))
            .filter_map(|(id, key)| {
                let value = self.value(last, id);
                value.is_finite().then(|| (series_label(key), value))
            })
            .take(limit)
            .collect()
    }
}

/// `family` or `family{a="x",b="y"}`, without the labels that only say which machine (DCGM's
/// host name, UUID, device and PCI bus), so a line fits a terminal.
fn series_label(key: &SeriesKey) -> String {
    const MACHINE: [&str; 5] = ["Hostname", "UUID", "device", "pci_bus_id", "modelName"];
    let labels: Vec<String> = (key.labels.iter())
        .filter(|(k, _)| !MACHINE.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    if labels.is_empty() {
        return key.family.clone();
    }
    format!("{}{{{}}}", key.family, labels.join(","))
}

fn series_key(
    family: &str,
    name: &str,
    labels: &[(String, String)],
    kind: MetricKind,
) -> SeriesKey {
    let find = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| super::expo::parse_value(v))
    };
    let part = match kind {
        MetricKind::Histogram | MetricKind::Summary => {
            if name.ends_with("_bucket") {
                find("le").map_or(Part::Value, Part::Bucket)
            } else if name.ends_with("_sum") && name != family {
                Part::Sum
            } else if name.ends_with("_count") && name != family {
                Part::Count
            } else {
                find("quantile").map_or(Part::Value, Part::Quantile)
            }
        }
        _ => Part::Value,
    };
    let mut base: Vec<(String, String)> = labels
        .iter()
        .filter(|(k, _)| match part {
            Part::Bucket(_) => k != "le",
            Part::Quantile(_) => k != "quantile",
            _ => true,
        })
        .cloned()
        .collect();
    base.sort();
    SeriesKey {
        family: family.to_owned(),
        labels: base,
        part,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::expo::parse;

    #[test]
    fn series_get_ids_once_and_parts_resolve() {
        let text =
            "# TYPE h histogram\nh_bucket{le=\"1\",a=\"x\"} 1\nh_bucket{a=\"x\",le=\"+Inf\"} 2\n\
                    h_sum{a=\"x\"} 3\nh_count{a=\"x\"} 2\n# TYPE c counter\nc_total 5\n";
        let mut log = EndpointLog::new("u", 100);
        log.ingest(10, &parse(text).unwrap(), false);
        log.ingest(20, &parse(text).unwrap(), false);
        assert_eq!(log.series.len(), 5);
        assert_eq!(log.series[0].part, Part::Bucket(1.0));
        assert_eq!(log.series[1].part, Part::Bucket(f64::INFINITY));
        assert_eq!(log.series[0].labels, vec![("a".into(), "x".into())]);
        assert_eq!(log.series[2].part, Part::Sum);
        assert_eq!(log.series[3].part, Part::Count);
        assert_eq!(log.series[4].family, "c");
        assert_eq!(log.scrapes[1].values, vec![1.0, 2.0, 3.0, 2.0, 5.0]);
    }

    #[test]
    fn latest_gauges_come_from_the_newest_scrape() {
        let first = "# TYPE running gauge\nrunning{model=\"m\",UUID=\"GPU-1\"} 3\n\
                     # TYPE done counter\ndone 9\n";
        let second = "# TYPE running gauge\nrunning{model=\"m\",UUID=\"GPU-1\"} 5\n\
                      # TYPE kv gauge\nkv 0.25\n\
                      # TYPE done counter\ndone 12\n";
        let mut log = EndpointLog::new("u", 100);
        assert!(log.latest_gauges(8).is_empty());
        log.ingest(10, &parse(first).unwrap(), false);
        log.ingest(20, &parse(second).unwrap(), false);
        assert_eq!(
            log.latest_gauges(8),
            vec![
                ("running{model=\"m\"}".to_owned(), 5.0),
                ("kv".to_owned(), 0.25)
            ]
        );
        assert_eq!(log.latest_gauges(1).len(), 1);
    }

    #[test]
    fn thinning_keeps_the_span_and_pinned_scrapes() {
        let expo = parse("g 1\n").unwrap();
        let mut log = EndpointLog::new("u", 16);
        for t in 0..100u64 {
            log.ingest(t, &expo, t == 3);
        }
        assert!(log.scrapes.len() < 16, "{}", log.scrapes.len());
        assert_eq!(log.scrapes[0].ts_ns, 0);
        assert_eq!(log.scrapes.last().unwrap().ts_ns, 99);
        assert!(log.scrapes.iter().any(|s| s.ts_ns == 3));
        assert!(log.scrapes.windows(2).all(|w| w[0].ts_ns < w[1].ts_ns));
    }
}
