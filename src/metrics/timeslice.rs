//! `--slice-duration`: the profiling phases cut into slices of equal width, each request in
//! the slice where it started, every metric aggregated per slice (AIPerf's time slicing).
//!
//! Slices count from the moment the first profiling phase started (the engine sets the shared
//! origin before it sends that phase's first request, so every profiling record sees it).
//! Each slice keeps its own [`Aggregator`]: the per-request statistics of the requests that
//! started in it, its throughputs over the slice's width, and the requests in flight in it,
//! time-weighted, from the part of every request's flight inside the slice (a request that
//! spans slices adds to each). Counts add up: the slices' request counts sum to the run's.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::aggregate::Aggregator;
use super::derive::RequestMetrics;
use super::summary::TimeSlice;
use crate::engine::record::RequestRecord;

#[derive(Debug)]
struct Slice {
    aggregator: Aggregator,
    /// Time requests spent in flight inside the slice.
    busy_ns: u128,
}

/// Collects the profiling requests into slices; owned by the record processor.
#[derive(Debug)]
pub struct TimeSlices {
    width_ns: u64,
    /// Monotonic ns of the profiling start, set by the engine side; 0 until then.
    origin: Arc<AtomicU64>,
    produces_tokens: bool,
    goodput: bool,
    slices: BTreeMap<u64, Slice>,
    /// The last response, ns after the origin.
    end_ns: u64,
}

impl TimeSlices {
    /// Slices `width_ns` wide from the instant `origin` holds when the first profiling record
    /// arrives.
    pub fn new(width_ns: u64, origin: Arc<AtomicU64>, produces_tokens: bool) -> Self {
        Self {
            width_ns: width_ns.max(1),
            origin,
            produces_tokens,
            goodput: false,
            slices: BTreeMap::new(),
            end_ns: 0,
        }
    }

    /// Reports the goodput aggregates per slice.
    pub fn enable_goodput(&mut self) {
        self.goodput = true;
    }

    fn slice(&mut self, index: u64) -> &mut Slice {
        let (produces_tokens, goodput) = (self.produces_tokens, self.goodput);
        self.slices.entry(index).or_insert_with(|| {
            let mut aggregator = Aggregator::new(produces_tokens);
            if goodput {
                aggregator.enable_goodput();
            }
            Slice {
                aggregator,
                busy_ns: 0,
            }
        })
    }

    /// Adds one profiling request (and whether it was good, under `--goodput`).
    pub fn add(&mut self, record: &RequestRecord, metrics: &RequestMetrics, good: bool) {
        let start = if record.sent_ns > 0 {
            record.sent_ns
        } else {
            record.scheduled_ns
        };
        let mut origin = self.origin.load(Ordering::Acquire);
        if origin == 0 {
            // Nobody set it (a caller without an engine): the first request seen starts it.
            origin = start;
            self.origin.store(origin, Ordering::Release);
        }
        let width = self.width_ns;
        let from = start.saturating_sub(origin);
        let slice = self.slice(from / width);
        slice.aggregator.add(record, metrics);
        if good {
            slice.aggregator.add_good();
        }
        if record.sent_ns == 0 {
            return;
        }
        let to = record.done_ns.saturating_sub(origin).max(from);
        self.end_ns = self.end_ns.max(to);
        let mut k = from / width;
        while k * width < to {
            let lo = from.max(k * width);
            let hi = to.min((k + 1) * width);
            self.slice(k).busy_ns += u128::from(hi - lo);
            k += 1;
        }
    }

    /// Every slice from 0 to the last one with a request start or a request in flight, empty
    /// ones included (a stall shows as a slice without requests).
    pub fn finish(mut self) -> Vec<TimeSlice> {
        let Some(&last) = self.slices.keys().next_back() else {
            return Vec::new();
        };
        let width = self.width_ns;
        let end_ns = self.end_ns;
        (0..=last)
            .map(|k| {
                let slice = self.slice(k);
                let start = k * width;
                let end = ((k + 1) * width).min(end_ns.max(start + 1));
                let end = if k == last { end } else { (k + 1) * width };
                let metrics = slice.aggregator.metric_summaries();
                let aggregates = slice.aggregator.aggregates_over(end - start, slice.busy_ns);
                TimeSlice {
                    index: k,
                    start_s: start as f64 / 1e9,
                    end_s: end as f64 / 1e9,
                    metrics,
                    aggregates,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EndpointType;
    use crate::engine::record::Outcome;
    use crate::metrics::catalog::{AggregateMetric, RecordMetric};
    use crate::metrics::derive::DeriveContext;

    const MS: u64 = 1_000_000;
    const ORIGIN: u64 = 5_000 * MS;

    fn record(sent_ms: u64, latency_ms: u64, outcome: Outcome) -> RequestRecord {
        let sent = ORIGIN + sent_ms * MS;
        let mut r = RequestRecord {
            scheduled_ns: sent,
            sent_ns: sent,
            first_byte_ns: sent + MS,
            done_ns: sent + latency_ms * MS,
            status: if outcome == Outcome::HttpError {
                500
            } else {
                200
            },
            outcome,
            ..RequestRecord::default()
        };
        r.body.extend_from_slice(
            br#"{"choices":[{"message":{"content":"a b"}}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14}}"#,
        );
        r
    }

    fn slices(records: &[RequestRecord], width_ms: u64) -> Vec<TimeSlice> {
        let count = |s: &str| s.split_whitespace().count() as u32;
        let ctx = DeriveContext {
            endpoint: EndpointType::Chat,
            streaming: false,
            count_tokens: &count,
            redactor: &crate::metrics::redact::NO_SECRETS,
            reply_field: None,
        };
        let mut t = TimeSlices::new(width_ms * MS, Arc::new(AtomicU64::new(ORIGIN)), true);
        let mut m = RequestMetrics::new();
        for r in records {
            m.derive(r, 10, &ctx);
            t.add(r, &m, false);
        }
        t.finish()
    }

    fn get(slice: &TimeSlice, metric: AggregateMetric) -> f64 {
        slice
            .aggregates
            .iter()
            .find(|a| a.metric == metric)
            .map(|a| a.value)
            .unwrap()
    }

    #[test]
    fn requests_go_to_the_slice_they_started_in() {
        // 100 ms slices: starts at 0, 50, 120 (failed), 150 and 380 ms; 200-300 is empty.
        let records = [
            record(0, 20, Outcome::Success),
            record(50, 100, Outcome::Success),
            record(120, 10, Outcome::HttpError),
            record(150, 30, Outcome::Success),
            record(380, 40, Outcome::Success),
        ];
        let s = slices(&records, 100);
        assert_eq!(s.len(), 5);
        let counts: Vec<f64> = s
            .iter()
            .map(|x| get(x, AggregateMetric::RequestCount))
            .collect();
        assert_eq!(counts, [2.0, 1.0, 0.0, 1.0, 0.0]);
        let errors: Vec<f64> = s
            .iter()
            .map(|x| get(x, AggregateMetric::ErrorRequestCount))
            .collect();
        assert_eq!(errors, [0.0, 1.0, 0.0, 0.0, 0.0]);
        // Slice 0: latencies 20 and 100 ms; requests/sec over its 100 ms width.
        let latency = s[0]
            .metrics
            .iter()
            .find(|m| m.metric == RecordMetric::RequestLatency)
            .unwrap();
        assert_eq!(latency.stats.count, 2);
        assert!((latency.stats.avg - 60.0).abs() < 1e-9);
        assert!((get(&s[0], AggregateMetric::RequestThroughput) - 20.0).abs() < 1e-9);
        // In flight: slice 0 has 20 + 50 ms (the 50 → 150 request's first half) of 100 ms;
        // slice 1 has 50 + 10 + 30 ms; slice 3 has 20 ms (380 → 400) and slice 4 the rest.
        assert!((get(&s[0], AggregateMetric::EffectiveConcurrency) - 0.7).abs() < 1e-9);
        assert!((get(&s[1], AggregateMetric::EffectiveConcurrency) - 0.9).abs() < 1e-9);
        assert!((get(&s[3], AggregateMetric::EffectiveConcurrency) - 0.2).abs() < 1e-9);
        // The last slice ends with the last response (420 ms), so its 20 ms are all busy.
        assert!((s[4].end_s - 0.42).abs() < 1e-12);
        assert!((get(&s[4], AggregateMetric::EffectiveConcurrency) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn slices_add_up_to_the_whole_run() {
        let records: Vec<_> = (0..200)
            .map(|i| {
                let outcome = if i % 7 == 0 {
                    Outcome::Transport
                } else {
                    Outcome::Success
                };
                record(i * 13 % 997, 5 + i % 50, outcome)
            })
            .collect();
        let s = slices(&records, 70);
        let sum = |m| s.iter().map(|x| get(x, m)).sum::<f64>();
        assert_eq!(sum(AggregateMetric::RequestCount), 171.0);
        assert_eq!(sum(AggregateMetric::ErrorRequestCount), 29.0);
        assert_eq!(sum(AggregateMetric::TotalOsl), 171.0 * 4.0);
        let busy: f64 = s
            .iter()
            .map(|x| get(x, AggregateMetric::EffectiveConcurrency) * (x.end_s - x.start_s))
            .sum();
        let want: f64 = records
            .iter()
            .map(|r| (r.done_ns - r.sent_ns) as f64 / 1e9)
            .sum();
        assert!((busy - want).abs() < 1e-9, "{busy} vs {want}");
    }
}
