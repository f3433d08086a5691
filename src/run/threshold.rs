//! `--failed-request-threshold`: the record processor counts the measured requests that
//! failed and, once the threshold is reached, stops the run through the same [`Stopper`] a
//! signal uses (requests stop, those in flight are cancelled, every artifact is written,
//! marked partial) and says why in one line. It runs off the request loop: the engine only
//! sees the stop flag turn, as on Ctrl-C.

use super::signals::{Interrupt, Stopper};
use crate::config::{FailureThreshold, Plan};
use crate::metrics::RequestStatus;

/// Counts failures of the measured phases and stops the run at the threshold.
pub(super) struct FailureWatch {
    threshold: FailureThreshold,
    min_sample: u64,
    /// Per phase index: whether its requests count (measured phases; warmup does not).
    measured: Box<[bool]>,
    failed: u64,
    finished: u64,
    stopper: Stopper,
    tripped: bool,
}

impl FailureWatch {
    /// The watch for `plan`, or `None` when it sets no threshold.
    pub fn new(plan: &Plan, stopper: Stopper) -> Option<Self> {
        let threshold = plan.failed_request_threshold?;
        let concurrency = (plan.phases.iter())
            .filter(|p| !p.excluded_from_results())
            .filter_map(|p| p.arrival.concurrency)
            .max()
            .unwrap_or(1);
        Some(Self {
            threshold,
            min_sample: FailureThreshold::min_sample(u64::from(concurrency)),
            measured: plan
                .phases
                .iter()
                .map(|p| !p.excluded_from_results())
                .collect(),
            failed: 0,
            finished: 0,
            stopper,
            tripped: false,
        })
    }

    /// Counts one finished request. Cancelled requests (by a stop or by
    /// `--request-cancellation-rate`) neither failed nor finished: they are left out.
    pub fn observe(&mut self, phase_index: u8, status: RequestStatus) {
        let measured = (self.measured.get(usize::from(phase_index)))
            .copied()
            .unwrap_or(false);
        if self.tripped || !measured || status == RequestStatus::Cancelled {
            return;
        }
        self.finished += 1;
        if status == RequestStatus::Failed {
            self.failed += 1;
        }
        if self
            .threshold
            .reached(self.failed, self.finished, self.min_sample)
        {
            self.tripped = true;
            if self.stopper.stop(Interrupt::FailureThreshold) {
                eprintln!("\n{}", self.message());
            }
        }
    }

    /// The one line that says why the run stops.
    fn message(&self) -> String {
        let share = self.failed as f64 * 100.0 / self.finished.max(1) as f64;
        let reached = match self.threshold {
            FailureThreshold::Ratio(r) => {
                format!("above --failed-request-threshold {r} ({:.1}%)", r * 100.0)
            }
            FailureThreshold::Count(n) => format!("--failed-request-threshold {n} reached"),
        };
        format!(
            "stopping: {} of {} finished requests failed ({share:.1}%), {reached}; writing partial artifacts",
            self.failed, self.finished
        )
    }
}
