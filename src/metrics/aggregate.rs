//! Per-request metrics → run statistics: one [`Accumulator`] per metric, run totals, and the
//! error summary. Memory stays flat: accumulators fold into histograms past their cap, and the
//! error summary keeps at most [`MAX_DISTINCT_ERRORS`] distinct messages.

use std::collections::HashMap;

use super::catalog::{AggregateMetric, RecordMetric, RECORD_METRIC_COUNT};
use super::derive::{ErrorInfo, RequestMetrics, RequestStatus};
use super::stats::{Accumulator, DEFAULT_EXACT_CAP};
use super::summary::{AggregateValue, ErrorCount, MetricSummary};
use crate::engine::record::RequestRecord;

#[path = "aggregate_snapshot.rs"]
mod snapshot;
pub use snapshot::{AggregatorSnapshot, ErrorEntry, MetricState};

/// Distinct errors tracked; further distinct messages are counted under one "other" entry, so
/// a server that puts request ids in its errors cannot grow memory without bound.
pub const MAX_DISTINCT_ERRORS: usize = 1_000;

/// Per-request token counts summed into a run-level total.
const SUMS: [(RecordMetric, AggregateMetric); 8] = [
    (
        RecordMetric::UsagePromptTokens,
        AggregateMetric::TotalUsagePromptTokens,
    ),
    (
        RecordMetric::UsageCompletionTokens,
        AggregateMetric::TotalUsageCompletionTokens,
    ),
    (
        RecordMetric::UsageTotalTokens,
        AggregateMetric::TotalUsageTotalTokens,
    ),
    (
        RecordMetric::ReasoningTokenCount,
        AggregateMetric::TotalReasoningTokens,
    ),
    (
        RecordMetric::UsageReasoningTokens,
        AggregateMetric::TotalUsageReasoningTokens,
    ),
    (
        RecordMetric::UsagePromptCacheReadTokens,
        AggregateMetric::TotalUsagePromptCacheReadTokens,
    ),
    (
        RecordMetric::UsagePromptAudioTokens,
        AggregateMetric::TotalUsagePromptAudioTokens,
    ),
    (
        RecordMetric::UsageCompletionAudioTokens,
        AggregateMetric::TotalUsageCompletionAudioTokens,
    ),
];

/// Collects the profiling-phase requests of a run.
#[derive(Debug)]
pub struct Aggregator {
    accumulators: Vec<Accumulator>,
    produces_tokens: bool,
    succeeded: u64,
    failed: u64,
    first_sent_ns: u64,
    last_done_ns: u64,
    total_isl: f64,
    /// A successful request had no input length (image retrieval sends no text): the input
    /// token aggregates are then left out, not shown as zero.
    isl_absent: bool,
    total_osl: f64,
    /// Sums of the token counts in [`SUMS`], `None` until one request has the count.
    usage: [Option<f64>; SUMS.len()],
    /// Successful requests whose output length was compared with `max_tokens`, and those
    /// that missed it.
    osl_checked: u64,
    osl_mismatched: u64,
    /// Images in the successful replies of an image-generation run; `None` for other types.
    images: Option<f64>,
    errors: HashMap<ErrorInfo, u64>,
    other_errors: u64,
    /// Good requests under `--goodput`; `None` when the run has no objectives.
    good: Option<u64>,
    /// Cancelled requests (on purpose or by the run ending).
    cancelled: u64,
    /// Sum of every sent request's time in flight (send → done), any outcome.
    busy_ns: u128,
}

impl Aggregator {
    /// An aggregator for a run whose endpoint does (`produces_tokens`) or does not produce
    /// output tokens (token aggregates are left out for embeddings).
    pub fn new(produces_tokens: bool) -> Self {
        Self::with_exact_cap(produces_tokens, DEFAULT_EXACT_CAP)
    }

    /// Like [`Aggregator::new`] with a chosen number of exact values kept per metric.
    pub fn with_exact_cap(produces_tokens: bool, cap: usize) -> Self {
        Self {
            accumulators: (0..RECORD_METRIC_COUNT)
                .map(|_| Accumulator::with_cap(cap))
                .collect(),
            produces_tokens,
            succeeded: 0,
            failed: 0,
            first_sent_ns: u64::MAX,
            last_done_ns: 0,
            total_isl: 0.0,
            isl_absent: false,
            total_osl: 0.0,
            usage: [None; SUMS.len()],
            osl_checked: 0,
            osl_mismatched: 0,
            images: None,
            errors: HashMap::new(),
            other_errors: 0,
            good: None,
            cancelled: 0,
            busy_ns: 0,
        }
    }

    /// Reports the goodput aggregates (zero good requests until [`Aggregator::add_good`]).
    pub fn enable_goodput(&mut self) {
        self.good.get_or_insert(0);
    }

    /// Counts one good request (after [`Aggregator::add`] of the same request).
    pub fn add_good(&mut self) {
        *self.good.get_or_insert(0) += 1;
    }

    /// Adds one request: successes feed the statistics, failures the error summary, and every
    /// sent request widens the benchmark window.
    pub fn add(&mut self, record: &RequestRecord, metrics: &RequestMetrics) {
        if record.sent_ns > 0 {
            self.first_sent_ns = self.first_sent_ns.min(record.sent_ns);
            self.last_done_ns = self.last_done_ns.max(record.done_ns);
            self.busy_ns += u128::from(record.done_ns.saturating_sub(record.sent_ns));
        }
        match metrics.status() {
            RequestStatus::Cancelled => self.cancelled += 1,
            RequestStatus::Failed => {
                self.failed += 1;
                if let Some(error) = metrics.error() {
                    self.count_error(error);
                }
            }
            RequestStatus::Success => {
                self.succeeded += 1;
                self.add_success(metrics);
            }
        }
    }

    fn add_success(&mut self, metrics: &RequestMetrics) {
        for metric in RecordMetric::ALL {
            if let Some(v) = metrics.get(metric) {
                self.accumulators[metric as usize].record(v);
            }
        }
        let chunks = &mut self.accumulators[RecordMetric::InterChunkLatency as usize];
        for &gap in metrics.inter_chunk_ns() {
            chunks.record(gap as f64);
        }
        match metrics.get(RecordMetric::InputSequenceLength) {
            Some(isl) => self.total_isl += isl,
            None => self.isl_absent = true,
        }
        self.total_osl += metrics
            .get(RecordMetric::OutputSequenceLength)
            .unwrap_or(0.0);
        for (total, (metric, _)) in self.usage.iter_mut().zip(SUMS) {
            if let Some(v) = metrics.get(metric) {
                *total = Some(total.unwrap_or(0.0) + v);
            }
        }
        if let Some(missed) = metrics.osl_mismatched() {
            self.osl_checked += 1;
            self.osl_mismatched += u64::from(missed);
        }
        if let Some(n) = metrics.get(RecordMetric::NumOutputImages) {
            self.images = Some(self.images.unwrap_or(0.0) + n);
        }
    }

    fn count_error(&mut self, error: &ErrorInfo) {
        if let Some(count) = self.errors.get_mut(error) {
            *count += 1;
        } else if self.errors.len() < MAX_DISTINCT_ERRORS {
            self.errors.insert(error.clone(), 1);
        } else {
            self.other_errors += 1;
        }
    }

    /// Counts `count` failures with `error` (a merged worker's), under the same cap.
    fn count_errors(&mut self, error: ErrorInfo, count: u64) {
        if let Some(total) = self.errors.get_mut(&error) {
            *total += count;
        } else if self.errors.len() < MAX_DISTINCT_ERRORS {
            self.errors.insert(error, count);
        } else {
            self.other_errors += count;
        }
    }

    /// Successful requests so far.
    pub fn succeeded(&self) -> u64 {
        self.succeeded
    }

    /// Failed requests so far.
    pub fn failed(&self) -> u64 {
        self.failed
    }

    /// Per-request statistics in exported units (metrics without values are left out).
    pub fn metric_summaries(&mut self) -> Vec<MetricSummary> {
        let mut out = Vec::new();
        for metric in RecordMetric::ALL {
            if let Some(stats) = self.accumulators[metric as usize].stats() {
                out.push(MetricSummary {
                    metric,
                    stats: stats.scaled(metric.spec().scale),
                });
            }
        }
        out
    }

    /// Run-level values in exported units.
    pub fn aggregates(&self) -> Vec<AggregateValue> {
        let duration_ns = self.last_done_ns.saturating_sub(self.first_sent_ns);
        let duration_ns = if self.first_sent_ns == u64::MAX {
            0
        } else {
            duration_ns
        };
        self.aggregates_over(duration_ns, self.busy_ns)
    }

    /// [`Aggregator::aggregates`] over a window of `duration_ns` in which requests were in
    /// flight for `busy_ns` in all (a time slice: its width, and the part of every request's
    /// flight inside it).
    pub fn aggregates_over(&self, duration_ns: u64, busy_ns: u128) -> Vec<AggregateValue> {
        use AggregateMetric as A;
        let secs = duration_ns as f64 / 1e9;
        let per_sec = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
        let completed = self.succeeded + self.failed;
        let error_rate = if completed > 0 {
            self.failed as f64 * 100.0 / completed as f64
        } else {
            0.0
        };
        let mut out = Vec::new();
        let mut push = |metric, value| out.push(AggregateValue { metric, value });
        if self.produces_tokens {
            push(A::OutputTokenThroughput, per_sec(self.total_osl));
        }
        if !self.isl_absent {
            push(A::InputTokenThroughput, per_sec(self.total_isl));
        }
        if self.produces_tokens {
            push(
                A::TotalTokenThroughput,
                per_sec(self.total_isl + self.total_osl),
            );
        }
        push(A::RequestThroughput, per_sec(self.succeeded as f64));
        push(A::CompletedRequestCount, completed as f64);
        push(A::RequestErrorRate, error_rate);
        push(A::RequestCount, self.succeeded as f64);
        push(A::ErrorRequestCount, self.failed as f64);
        push(
            A::BenchmarkDuration,
            duration_ns as f64 / A::BenchmarkDuration.spec().scale,
        );
        if !self.isl_absent {
            push(A::TotalIsl, self.total_isl);
        }
        if self.produces_tokens {
            push(A::TotalOsl, self.total_osl);
            push(A::TotalOutputTokens, self.total_osl);
        }
        for (total, (_, metric)) in self.usage.iter().zip(SUMS) {
            if let Some(v) = total {
                push(metric, *v);
            }
        }
        if self.osl_checked > 0 {
            push(A::OslMismatchCount, self.osl_mismatched as f64);
        }
        if let Some(images) = self.images {
            push(A::TotalOutputImages, images);
            push(A::OutputImageThroughput, per_sec(images));
        }
        if let Some(good) = self.good {
            push(A::GoodRequestCount, good as f64);
            push(A::Goodput, per_sec(good as f64));
            let fraction = if completed > 0 {
                good as f64 / completed as f64
            } else {
                0.0
            };
            push(A::GoodRequestFraction, fraction);
        }
        if duration_ns > 0 {
            push(A::EffectiveConcurrency, busy_ns as f64 / duration_ns as f64);
        }
        push(A::CancelledRequestCount, self.cancelled as f64);
        out.sort_by_key(|a| a.metric);
        out
    }

    /// Failed requests grouped by error, most frequent first (ties by message, for stable
    /// reports).
    pub fn error_summary(&self) -> Vec<ErrorCount> {
        let mut out: Vec<ErrorCount> = self
            .errors
            .iter()
            .map(|(error, &count)| ErrorCount {
                error: error.clone(),
                count,
            })
            .collect();
        if self.other_errors > 0 {
            out.push(ErrorCount {
                error: ErrorInfo {
                    code: None,
                    kind: "Other".into(),
                    message: format!(
                        "{} requests failed with messages beyond the first {MAX_DISTINCT_ERRORS} distinct ones",
                        self.other_errors
                    ),
                },
                count: self.other_errors,
            });
        }
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.error.cmp(&b.error)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EndpointType;
    use crate::engine::record::Outcome;
    use crate::metrics::derive::DeriveContext;

    fn record(i: u64, latency_ms: u64, outcome: Outcome, error: Option<&str>) -> RequestRecord {
        let sent = 1_000_000_000 + i * 10_000_000;
        let mut r = RequestRecord {
            scheduled_ns: sent,
            sent_ns: sent,
            first_byte_ns: sent + 1_000,
            done_ns: sent + latency_ms * 1_000_000,
            status: if outcome == Outcome::HttpError {
                500
            } else {
                200
            },
            outcome,
            error: error.map(str::to_owned),
            ..RequestRecord::default()
        };
        r.body.extend_from_slice(
            br#"{"choices":[{"message":{"content":"a b"}}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14}}"#,
        );
        r
    }

    fn add_all(agg: &mut Aggregator, records: &[RequestRecord]) {
        let count = |s: &str| s.split_whitespace().count() as u32;
        let ctx = DeriveContext {
            endpoint: EndpointType::Chat,
            streaming: false,
            count_tokens: &count,
            redactor: &crate::metrics::redact::NO_SECRETS,
            reply_field: None,
        };
        let mut m = RequestMetrics::new();
        for r in records {
            m.derive(r, 10, &ctx);
            agg.add(r, &m);
        }
    }

    #[test]
    fn totals_throughputs_and_errors() {
        let mut agg = Aggregator::new(true);
        let records = [
            record(0, 100, Outcome::Success, None),
            record(1, 100, Outcome::Success, None),
            record(2, 50, Outcome::HttpError, Some("boom")),
            record(3, 50, Outcome::Transport, Some("reset")),
            record(4, 90, Outcome::HttpError, Some("boom")),
            record(5, 5, Outcome::Cancelled, None),
        ];
        add_all(&mut agg, &records);
        let a = agg.aggregates();
        let get = |m| a.iter().find(|v| v.metric == m).map(|v| v.value).unwrap();
        // From the first send (t=1.00 s) to the last done (t=1.04 + 0.09 s).
        assert!((get(AggregateMetric::BenchmarkDuration) - 0.13).abs() < 1e-9);
        assert_eq!(get(AggregateMetric::RequestCount), 2.0);
        assert_eq!(get(AggregateMetric::CompletedRequestCount), 5.0);
        assert_eq!(get(AggregateMetric::ErrorRequestCount), 3.0);
        assert!((get(AggregateMetric::RequestErrorRate) - 60.0).abs() < 1e-9);
        assert!((get(AggregateMetric::RequestThroughput) - 2.0 / 0.13).abs() < 1e-6);
        assert_eq!(get(AggregateMetric::TotalOsl), 8.0);
        assert_eq!(get(AggregateMetric::TotalUsageTotalTokens), 28.0);
        // In flight 100 + 100 + 50 + 50 + 90 + 5 ms over the 130 ms window.
        assert!((get(AggregateMetric::EffectiveConcurrency) - 395.0 / 130.0).abs() < 1e-9);
        assert_eq!(get(AggregateMetric::CancelledRequestCount), 1.0);
        let errors = agg.error_summary();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].count, 2);
        assert_eq!(errors[0].error.message, "boom");
        assert_eq!(errors[0].error.code, Some(500));
        let stats = agg.metric_summaries();
        let latency = stats
            .iter()
            .find(|s| s.metric == RecordMetric::RequestLatency)
            .unwrap();
        assert_eq!(latency.stats.count, 2);
        assert!((latency.stats.avg - 100.0).abs() < 1e-9, "ms, not ns");
    }

    proptest::proptest! {
        #[test]
        fn latency_stats_match_a_sort_reference(latencies in proptest::collection::vec(1u64..5_000, 1..200)) {
            let mut agg = Aggregator::new(true);
            let records: Vec<_> = latencies
                .iter()
                .enumerate()
                .map(|(i, &ms)| record(i as u64, ms, Outcome::Success, None))
                .collect();
            add_all(&mut agg, &records);
            let stats = agg.metric_summaries();
            let got = &stats.iter().find(|s| s.metric == RecordMetric::RequestLatency).unwrap().stats;
            let mut sorted: Vec<f64> = latencies.iter().map(|&ms| ms as f64).collect();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len() as f64;
            let avg = sorted.iter().sum::<f64>() / n;
            let std = (sorted.iter().map(|v| (v - avg).powi(2)).sum::<f64>() / n).sqrt();
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
            proptest::prop_assert_eq!(got.count, latencies.len() as u64);
            proptest::prop_assert!(close(got.avg, avg));
            proptest::prop_assert!(close(got.std, std) || (got.std - std).abs() < 1e-6);
            proptest::prop_assert!(close(got.min, sorted[0]));
            proptest::prop_assert!(close(got.max, sorted[sorted.len() - 1]));
            for (i, p) in crate::metrics::stats::PERCENTILES.iter().enumerate() {
                let want = crate::metrics::numpy_reference_tests::numpy_percentile(&sorted, *p);
                proptest::prop_assert!(close(got.percentiles[i], want), "p{}: {} vs {}", p, got.percentiles[i], want);
            }
        }
    }

    #[test]
    fn token_details_are_summed_and_osl_mismatches_counted() {
        let mut agg = Aggregator::new(true);
        let count = |s: &str| s.split_whitespace().count() as u32;
        let ctx = DeriveContext {
            endpoint: EndpointType::Chat,
            streaming: false,
            count_tokens: &count,
            redactor: &crate::metrics::redact::NO_SECRETS,
            reply_field: None,
        };
        let mut m = RequestMetrics::new();
        // Each reply has 4 completion tokens, 2 of them reasoning, 8 prompt tokens cached.
        for (i, requested) in [Some(4), Some(10), None].into_iter().enumerate() {
            let mut r = record(i as u64, 10, Outcome::Success, None);
            r.body.clear();
            r.body.extend_from_slice(
                br#"{"choices":[{"message":{"content":"a b"}}],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":2}}}"#,
            );
            m.derive(&r, 10, &ctx);
            m.compare_osl(requested);
            agg.add(&r, &m);
        }
        let a = agg.aggregates();
        let get = |m| a.iter().find(|v| v.metric == m).map(|v| v.value);
        assert_eq!(get(AggregateMetric::TotalUsageReasoningTokens), Some(6.0));
        assert_eq!(get(AggregateMetric::TotalReasoningTokens), Some(6.0));
        assert_eq!(
            get(AggregateMetric::TotalUsagePromptCacheReadTokens),
            Some(24.0)
        );
        assert_eq!(get(AggregateMetric::TotalUsagePromptAudioTokens), None);
        // 4 of 4 matches; 4 of 10 misses; the third asked for nothing.
        assert_eq!(get(AggregateMetric::OslMismatchCount), Some(1.0));
        let stats = agg.metric_summaries();
        let diff = stats
            .iter()
            .find(|s| s.metric == RecordMetric::OslMismatchDiffPct)
            .unwrap();
        assert_eq!(diff.stats.count, 2);
        assert!((diff.stats.min + 60.0).abs() < 1e-9);
    }

    #[test]
    fn snapshots_absorbed_equal_one_aggregator_of_every_request() {
        let records: Vec<_> = (0..40)
            .map(|i| match i % 7 {
                3 => record(i, 20, Outcome::HttpError, Some("boom")),
                5 => record(i, 5, Outcome::Cancelled, None),
                _ => record(i, 1 + (i * 37) % 90, Outcome::Success, None),
            })
            .collect();
        let mut one = Aggregator::new(true);
        add_all(&mut one, &records);
        let mut merged = Aggregator::new(true);
        for part in records.chunks(15) {
            let mut worker = Aggregator::new(true);
            add_all(&mut worker, part);
            let snapshot = worker.snapshot(|t| t);
            let text = serde_json::to_string(&snapshot).unwrap();
            // Through JSON as the file goes (serde_json may parse a float 1 ulp off).
            let back: AggregatorSnapshot = serde_json::from_str(&text).unwrap();
            assert_eq!(back.metrics.len(), snapshot.metrics.len());
            merged.absorb(&back).unwrap();
        }
        assert_eq!(merged.error_summary(), one.error_summary());
        let (a, b) = (merged.aggregates(), one.aggregates());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.metric, y.metric);
            assert!(
                (x.value - y.value).abs() <= 1e-9 * y.value.abs(),
                "{x:?} {y:?}"
            );
        }
        let (m, o) = (merged.metric_summaries(), one.metric_summaries());
        let latency = |s: &[MetricSummary]| {
            s.iter()
                .find(|s| s.metric == RecordMetric::RequestLatency)
                .unwrap()
                .stats
        };
        let (m, o) = (latency(&m), latency(&o));
        assert_eq!((m.count, m.min, m.max), (o.count, o.min, o.max));
        assert!((m.std - o.std).abs() < 1e-9 && (m.avg - o.avg).abs() < 1e-9);
        for (g, w) in m.percentiles.iter().zip(o.percentiles) {
            assert!((g - w).abs() <= 1e-3 * w + 1e-9, "{g} vs {w}");
        }
        let mut wrong = one.snapshot(|t| t);
        wrong.metrics.insert(
            "no_such_metric".into(),
            wrong.metrics["request_latency"].clone(),
        );
        let error = merged.absorb(&wrong).unwrap_err();
        assert!(error.contains("metrics.no_such_metric"), "{error}");
    }

    #[test]
    fn distinct_errors_are_capped() {
        let mut agg = Aggregator::new(true);
        let records: Vec<_> = (0..MAX_DISTINCT_ERRORS as u64 + 5)
            .map(|i| record(i, 1, Outcome::Transport, Some(&format!("id {i}"))))
            .collect();
        add_all(&mut agg, &records);
        let errors = agg.error_summary();
        assert_eq!(errors.len(), MAX_DISTINCT_ERRORS + 1);
        assert_eq!(errors[0].count, 5);
        assert_eq!(errors[0].error.kind, "Other");
    }

    #[test]
    fn memory_stays_bounded_past_the_cap() {
        let mut agg = Aggregator::with_exact_cap(true, 64);
        let records: Vec<_> = (0..500)
            .map(|i| record(i, 1 + i % 97, Outcome::Success, None))
            .collect();
        add_all(&mut agg, &records);
        assert!(agg.accumulators[RecordMetric::RequestLatency as usize].is_approximate());
        let stats = agg.metric_summaries();
        let latency = &stats
            .iter()
            .find(|s| s.metric == RecordMetric::RequestLatency)
            .unwrap()
            .stats;
        assert_eq!(latency.count, 500);
        assert!(latency.percentiles[4] >= 40.0 && latency.percentiles[4] <= 60.0);
    }
}
