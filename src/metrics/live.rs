//! Live figures of a run in progress for the progress line and `--ui dashboard`: kept on the
//! record processor thread from each request's derived metrics, and turned into a
//! [`LiveSnapshot`] a few times a second. The request loop never sees any of it; the only
//! thing read from the engine is its existing count of requests sent (one relaxed load per
//! snapshot).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::catalog::RecordMetric;
use super::derive::{RequestMetrics, RequestStatus};

/// Seconds of per-second history kept for the throughput chart.
pub const HISTORY_SECONDS: usize = 300;
/// The window the "achieved" rates are measured over.
const RATE_WINDOW: Duration = Duration::from_secs(2);
/// Latencies are kept in µs from 1 µs to an hour, three significant digits.
const MAX_US: u64 = 3_600_000_000;

/// p50, p90 and p99 of one latency, in ms; `None` before the first value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// What the progress line and the dashboard show, as of one moment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveSnapshot {
    /// Seconds since the processor started.
    pub elapsed_s: f64,
    /// Requests that started sending (the engine's count).
    pub sent: u64,
    /// Requests whose records were processed.
    pub finished: u64,
    /// Sent and not yet processed.
    pub in_flight: u64,
    /// Failed requests.
    pub failed: u64,
    /// Requests cancelled (by the run ending or `--request-cancellation-rate`).
    pub cancelled: u64,
    /// Requests finished per second over the last two seconds.
    pub request_rate: f64,
    /// Output tokens per second over the last two seconds.
    pub token_rate: f64,
    /// Time to first token of the successful requests so far; `None` before the first.
    pub ttft_ms: Option<Percentiles>,
    /// Inter-token latency (per request) so far.
    pub itl_ms: Option<Percentiles>,
    /// Request latency so far.
    pub latency_ms: Option<Percentiles>,
    /// Failed requests by error kind, most frequent first.
    pub errors: Vec<(String, u64)>,
    /// Requests finished in each whole second of the run, oldest first (at most
    /// [`HISTORY_SECONDS`]).
    pub requests_per_second: Vec<u64>,
    /// Output tokens received in each whole second, aligned with `requests_per_second`.
    pub tokens_per_second: Vec<u64>,
    /// Server metrics and GPU telemetry, (label, value) as they should read.
    pub telemetry: Vec<(String, String)>,
}

/// Where the processor thread leaves the latest snapshot for a reader on another thread.
pub type LiveFeed = Arc<Mutex<Option<LiveSnapshot>>>;

/// The running figures; owned by the record processor thread.
#[derive(Debug)]
pub struct LiveStats {
    started: Instant,
    sent: Arc<AtomicU64>,
    finished: u64,
    failed: u64,
    cancelled: u64,
    output_tokens: u64,
    ttft: Histogram<u64>,
    itl: Histogram<u64>,
    latency: Histogram<u64>,
    errors: Vec<(String, u64)>,
    /// Whole seconds since `started` whose counts are in `history`'s last entry.
    second: u64,
    history: VecDeque<(u64, u64)>,
    /// (when, finished, output tokens) at each snapshot within the rate window.
    marks: VecDeque<(Instant, u64, u64)>,
}

impl LiveStats {
    /// Figures starting at `now`; `sent` is the engine's count of requests sent.
    pub fn new(sent: Arc<AtomicU64>, now: Instant) -> Self {
        let histogram =
            || Histogram::new_with_bounds(1, MAX_US, 3).expect("1 µs .. 1 h at 3 digits is valid");
        let mut history = VecDeque::with_capacity(HISTORY_SECONDS + 1);
        history.push_back((0, 0));
        // The start is the first mark, so the first two seconds' rates are since the start.
        let mut marks = VecDeque::with_capacity(16);
        marks.push_back((now, 0, 0));
        Self {
            started: now,
            sent,
            finished: 0,
            failed: 0,
            cancelled: 0,
            output_tokens: 0,
            ttft: histogram(),
            itl: histogram(),
            latency: histogram(),
            errors: Vec::new(),
            second: 0,
            history,
            marks,
        }
    }

    /// Counts one processed request (its metrics just derived) finished at `now`.
    pub fn observe(&mut self, metrics: &RequestMetrics, now: Instant) {
        self.advance_to(now);
        self.finished += 1;
        match metrics.status() {
            RequestStatus::Success => {
                let us = |m| metrics.get(m).map(|ns| (ns / 1_000.0) as u64);
                if let Some(v) = us(RecordMetric::TimeToFirstToken) {
                    self.ttft.saturating_record(v.clamp(1, MAX_US));
                }
                if let Some(v) = us(RecordMetric::InterTokenLatency) {
                    self.itl.saturating_record(v.clamp(1, MAX_US));
                }
                if let Some(v) = us(RecordMetric::RequestLatency) {
                    self.latency.saturating_record(v.clamp(1, MAX_US));
                }
                let tokens = metrics
                    .get(RecordMetric::OutputSequenceLength)
                    .map_or(0, |t| t as u64);
                self.output_tokens += tokens;
                if let Some(last) = self.history.back_mut() {
                    last.1 += tokens;
                }
            }
            RequestStatus::Failed => {
                self.failed += 1;
                let kind = metrics.error().map_or("error", |e| e.kind.as_str());
                match self.errors.iter_mut().find(|(k, _)| k == kind) {
                    Some((_, n)) => *n += 1,
                    None => self.errors.push((kind.to_owned(), 1)),
                }
            }
            RequestStatus::Cancelled => self.cancelled += 1,
        }
        if let Some(last) = self.history.back_mut() {
            last.0 += 1;
        }
    }

    /// Starts a history entry for each whole second passed since the last request.
    fn advance_to(&mut self, now: Instant) {
        let second = now.saturating_duration_since(self.started).as_secs();
        while self.second < second {
            self.second += 1;
            if self.history.len() == HISTORY_SECONDS {
                self.history.pop_front();
            }
            self.history.push_back((0, 0));
        }
    }

    /// The figures as of `now`.
    pub fn snapshot(&mut self, now: Instant) -> LiveSnapshot {
        self.advance_to(now);
        self.marks
            .push_back((now, self.finished, self.output_tokens));
        while self
            .marks
            .front()
            .is_some_and(|(t, ..)| now.saturating_duration_since(*t) > RATE_WINDOW)
        {
            self.marks.pop_front();
        }
        let (request_rate, token_rate) = match self.marks.front() {
            Some(&(t, finished, tokens)) if now > t => {
                let dt = now.duration_since(t).as_secs_f64();
                (
                    (self.finished - finished) as f64 / dt,
                    (self.output_tokens - tokens) as f64 / dt,
                )
            }
            _ => (0.0, 0.0),
        };
        let sent = self.sent.load(Ordering::Relaxed);
        let mut errors = self.errors.clone();
        errors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // The current second is still filling: the chart shows whole seconds only.
        let whole = self.history.len().saturating_sub(1);
        LiveSnapshot {
            elapsed_s: now.saturating_duration_since(self.started).as_secs_f64(),
            sent,
            finished: self.finished,
            in_flight: sent.saturating_sub(self.finished),
            failed: self.failed,
            cancelled: self.cancelled,
            request_rate,
            token_rate,
            ttft_ms: percentiles(&self.ttft),
            itl_ms: percentiles(&self.itl),
            latency_ms: percentiles(&self.latency),
            errors,
            requests_per_second: self.history.iter().take(whole).map(|h| h.0).collect(),
            tokens_per_second: self.history.iter().take(whole).map(|h| h.1).collect(),
            telemetry: Vec::new(),
        }
    }
}

fn percentiles(h: &Histogram<u64>) -> Option<Percentiles> {
    (!h.is_empty()).then(|| {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1_000.0;
        Percentiles {
            p50: ms(0.5),
            p90: ms(0.9),
            p99: ms(0.99),
        }
    })
}

impl LiveSnapshot {
    /// The progress line's figures: "812.3 req/s · 64 in flight · 0 errors · p50 TTFT 12.1 ms".
    pub fn progress_message(&self) -> String {
        let ttft = self.ttft_ms.map_or("p50 TTFT –".to_owned(), |p| {
            format!("p50 TTFT {:.1} ms", p.p50)
        });
        format!(
            "{:.1} req/s · {} in flight · {} errors · {ttft}",
            self.request_rate, self.in_flight, self.failed
        )
    }
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
