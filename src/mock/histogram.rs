//! A lock-free latency histogram for the mock's `/metrics`, with vLLM's bucket bounds, so
//! the telemetry scraper has a real histogram to read.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// vLLM's `e2e_request_latency_seconds` bucket bounds (seconds).
const BOUNDS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Counts per bucket (not cumulative), plus sum and count.
#[derive(Debug, Default)]
pub(crate) struct LatencyHistogram {
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

impl LatencyHistogram {
    pub(crate) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BOUNDS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BOUNDS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(d.as_nanos() as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// Observations so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// Appends the family in the text exposition format; `labels` is `k="v"` (escaped).
    pub(crate) fn render(&self, out: &mut String, name: &str, help: &str, labels: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let le = BOUNDS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let sum = self.sum_ns.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_cumulative_buckets_that_the_parser_reads_back() {
        let h = LatencyHistogram::default();
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(200));
        h.observe(Duration::from_secs(100));
        let mut text = String::new();
        h.render(&mut text, "x_seconds", "Latency.", "model_name=\"m\"");
        assert!(
            text.contains("x_seconds_bucket{model_name=\"m\",le=\"0.01\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("x_seconds_bucket{model_name=\"m\",le=\"0.25\"} 2\n"));
        assert!(text.contains("x_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 3\n"));
        assert!(text.contains("x_seconds_count{model_name=\"m\"} 3\n"));
        let expo = crate::telemetry::expo::parse(&text).unwrap();
        assert_eq!(expo.samples.len(), 15);
        assert!(expo.samples.iter().all(|s| s.family == "x_seconds"));
    }
}
