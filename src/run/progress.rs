//! A run's request counts while it runs, for a program that embeds gauntlet (`ffi/`'s
//! progress call): read from any thread, at any time, without a lock. The engine's existing
//! count of requests sent is shared as it is (the request loop does nothing new); the finished
//! counts are kept by the record processor thread, one relaxed add per record.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::metrics::RequestStatus;

/// `planned` when the phases run for a duration: the total is not known in advance.
const UNKNOWN: u64 = u64::MAX;

/// A live view of one run's requests ([`super::run_observed`]). Clones share the counts;
/// a run resets them when its phases start.
#[derive(Debug, Clone)]
pub struct Progress {
    counts: Arc<Counts>,
    /// The engine's count of requests that started sending.
    sent: Arc<AtomicU64>,
}

#[derive(Debug)]
struct Counts {
    planned: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    cancelled: AtomicU64,
}

/// The counts at one moment. `completed + failed + cancelled + in_flight == sent`, except for
/// the instant between a record's counting and the next `sent` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgressCounts {
    /// Requests the run's phases will schedule in all (the final accounting's `scheduled`);
    /// `None` while a phase runs for a duration.
    pub scheduled: Option<u64>,
    /// Requests that started sending.
    pub sent: u64,
    /// Requests that succeeded (the accounting's `completed`).
    pub completed: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests cancelled (by a cancel, or `--request-cancellation-rate`).
    pub cancelled: u64,
    /// Requests sent whose records are not processed yet.
    pub in_flight: u64,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            counts: Arc::new(Counts {
                planned: AtomicU64::new(UNKNOWN),
                completed: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                cancelled: AtomicU64::new(0),
            }),
            sent: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Progress {
    /// Counts at zero, nothing scheduled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The counts now.
    pub fn counts(&self) -> ProgressCounts {
        let c = &self.counts;
        let completed = c.completed.load(Ordering::Relaxed);
        let failed = c.failed.load(Ordering::Relaxed);
        let cancelled = c.cancelled.load(Ordering::Relaxed);
        // Read after the finished counts: a request is sent before it finishes, so the
        // difference is never below zero but for a request cancelled before its send.
        let sent = self.sent.load(Ordering::Relaxed);
        let planned = c.planned.load(Ordering::Relaxed);
        ProgressCounts {
            scheduled: (planned != UNKNOWN).then_some(planned),
            sent,
            completed,
            failed,
            cancelled,
            in_flight: sent.saturating_sub(completed + failed + cancelled),
        }
    }

    /// Zeroes the counts for a run that will schedule `planned` requests (`None`: unknown)
    /// and hands back the counter the engine adds each sent request to.
    pub(super) fn start(&self, planned: Option<u64>) -> Arc<AtomicU64> {
        let c = &self.counts;
        for n in [&c.completed, &c.failed, &c.cancelled, &*self.sent] {
            n.store(0, Ordering::Relaxed);
        }
        let planned = planned.map_or(UNKNOWN, |n| n.min(UNKNOWN - 1));
        c.planned.store(planned, Ordering::Relaxed);
        self.sent.clone()
    }

    /// Counts one processed request (on the record processor thread).
    pub(super) fn observe(&self, status: RequestStatus) {
        let n = match status {
            RequestStatus::Success => &self.counts.completed,
            RequestStatus::Failed => &self.counts.failed,
            RequestStatus::Cancelled => &self.counts.cancelled,
        };
        n.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_engine_and_the_processor() {
        let progress = Progress::new();
        assert_eq!(progress.counts().scheduled, None);
        let sent = progress.start(Some(10));
        sent.fetch_add(4, Ordering::Relaxed);
        progress.observe(RequestStatus::Success);
        progress.observe(RequestStatus::Success);
        progress.observe(RequestStatus::Failed);
        let counts = progress.clone().counts();
        assert_eq!(
            counts,
            ProgressCounts {
                scheduled: Some(10),
                sent: 4,
                completed: 2,
                failed: 1,
                cancelled: 0,
                in_flight: 1,
            }
        );
        // A second run starts from zero.
        progress.start(None);
        assert_eq!(progress.counts(), ProgressCounts::default());
    }
}
