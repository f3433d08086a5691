//! The results of a run, in exported units: what every report is rendered from.

use super::catalog::{AggregateMetric, MetricSpec, RecordMetric};
use super::derive::ErrorInfo;
use super::stats::Stats;

/// Statistics of one per-request metric, already in its exported unit (ms, KB, tokens, …).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSummary {
    /// Which metric.
    pub metric: RecordMetric,
    /// Its statistics.
    pub stats: Stats,
}

/// One run-level value, in its exported unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggregateValue {
    /// Which metric.
    pub metric: AggregateMetric,
    /// Its value.
    pub value: f64,
}

/// How many failed requests share one error (AIPerf's `ErrorDetailsCount`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCount {
    /// The error.
    pub error: ErrorInfo,
    /// Requests that failed with it.
    pub count: u64,
}

/// Where every scheduled request went: `scheduled = completed + failed + cancelled + not_sent`.
///
/// Counted over every phase (warmup included), because the invariant is about the schedule,
/// not about which records the statistics use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accounting {
    /// Requests the schedule released.
    pub scheduled: u64,
    /// Requests that succeeded (AIPerf's `request_count`; the console says "succeeded", since
    /// AIPerf's "completed" means success + error).
    pub completed: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests in flight when the run stopped.
    pub cancelled: u64,
    /// Requests released but never sent (the run stopped first).
    pub not_sent: u64,
    /// Not an outcome: SSE events (or bodies) that were not one JSON object, inside requests
    /// that still succeeded because their other events carried the reply.
    pub malformed_events: u64,
}

impl Accounting {
    /// Whether the four outcomes add up to the scheduled count.
    pub fn is_balanced(&self) -> bool {
        self.completed + self.failed + self.cancelled + self.not_sent == self.scheduled
    }
}

/// One slice's results, in exported units.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSlice {
    /// 0-based, in time order.
    pub index: u64,
    /// Seconds from the profiling start to the slice's start.
    pub start_s: f64,
    /// Seconds from the profiling start to the slice's end (the last slice ends with the
    /// last response).
    pub end_s: f64,
    /// Per-request statistics of the requests that started in the slice.
    pub metrics: Vec<MetricSummary>,
    /// Run-level values over the slice: throughputs per second of the slice, counts of the
    /// requests that started in it, `effective_concurrency` = requests in flight in it.
    pub aggregates: Vec<AggregateValue>,
}

/// Everything the reports need about a finished run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    /// Per-request metrics that have at least one value, in table order.
    pub metrics: Vec<MetricSummary>,
    /// Run-level metrics, in table order.
    pub aggregates: Vec<AggregateValue>,
    /// Failed requests grouped by error, most frequent first (profiling phases only).
    pub errors: Vec<ErrorCount>,
    /// Where every scheduled request went (all phases).
    pub accounting: Accounting,
    /// Whether the run was stopped before its end (the report is partial).
    pub was_cancelled: bool,
    /// `--slice-duration`: the profiling phases per time slice (empty without it).
    pub time_slices: Vec<TimeSlice>,
}

impl Summary {
    /// Statistics of one per-request metric, when it has values.
    pub fn metric(&self, metric: RecordMetric) -> Option<&Stats> {
        self.metrics
            .iter()
            .find(|m| m.metric == metric)
            .map(|m| &m.stats)
    }

    /// One run-level value, when it applies to the run.
    pub fn aggregate(&self, metric: AggregateMetric) -> Option<f64> {
        self.aggregates
            .iter()
            .find(|a| a.metric == metric)
            .map(|a| a.value)
    }

    /// Every metric's spec with its statistics (`None` stats for aggregates), in table order:
    /// per-request metrics first.
    pub fn rows(&self) -> impl Iterator<Item = (&'static MetricSpec, Option<&Stats>, f64)> + '_ {
        let per_request = self
            .metrics
            .iter()
            .map(|m| (m.metric.spec(), Some(&m.stats), m.stats.avg));
        let aggregates = self
            .aggregates
            .iter()
            .map(|a| (a.metric.spec(), None, a.value));
        per_request.chain(aggregates)
    }
}

#[cfg(test)]
mod tests {
    use super::Accounting;

    #[test]
    fn accounting_balances_only_when_the_four_outcomes_add_up() {
        let balanced = Accounting {
            scheduled: 10,
            completed: 4,
            failed: 3,
            cancelled: 2,
            not_sent: 1,
            malformed_events: 7,
        };
        assert!(
            balanced.is_balanced(),
            "malformed events are not an outcome"
        );
        for lost in [
            Accounting {
                completed: 3,
                ..balanced
            },
            Accounting {
                failed: 2,
                ..balanced
            },
            Accounting {
                cancelled: 1,
                ..balanced
            },
            Accounting {
                not_sent: 0,
                ..balanced
            },
            Accounting {
                scheduled: 11,
                ..balanced
            },
        ] {
            assert!(!lost.is_balanced(), "{lost:?}");
        }
        assert!(Accounting::default().is_balanced());
    }
}
