//! `--failed-request-threshold` (a measured phase's `failed_request_threshold`): the record
//! processor counts the phase's requests that failed and, once the threshold is reached,
//! stops the run through the same [`Stopper`] a signal uses (requests stop, those in flight
//! are cancelled, every artifact is written, marked partial) and says why in one line. It
//! runs off the request loop: the engine only sees the stop flag turn, as on Ctrl-C.

use super::signals::{Interrupt, Stopper};
use crate::config::{FailureThreshold, Plan};
use crate::metrics::RequestStatus;

/// Counts failures per measured phase and stops the run at the phase's threshold.
pub(super) struct FailureWatch {
    /// Per phase index: its threshold and the requests a ratio waits for (measured phases
    /// with a threshold; warmup never counts).
    phases: Box<[Option<(FailureThreshold, u64)>]>,
    /// Per phase index: `(failed, finished)`.
    counts: Box<[(u64, u64)]>,
    stopper: Stopper,
    tripped: bool,
}

impl FailureWatch {
    /// The watch for `plan`, or `None` when none of its phases sets a threshold.
    pub fn new(plan: &Plan, stopper: Stopper) -> Option<Self> {
        let phases: Box<[_]> = (plan.phases.iter())
            .map(|p| {
                let concurrency = u64::from(p.arrival.concurrency.unwrap_or(1));
                (p.controls.failed_request_threshold)
                    .filter(|_| !p.excluded_from_results())
                    .map(|t| (t, FailureThreshold::min_sample(concurrency)))
            })
            .collect();
        phases.iter().any(Option::is_some).then(|| Self {
            counts: vec![(0, 0); phases.len()].into(),
            phases,
            stopper,
            tripped: false,
        })
    }

    /// Counts one finished request. Cancelled requests (by a stop or by
    /// `--request-cancellation-rate`) neither failed nor finished: they are left out.
    pub fn observe(&mut self, phase_index: u8, status: RequestStatus) {
        let phase = usize::from(phase_index);
        let Some(&Some((threshold, min_sample))) = self.phases.get(phase) else {
            return;
        };
        if self.tripped || status == RequestStatus::Cancelled {
            return;
        }
        let (failed, finished) = &mut self.counts[phase];
        *finished += 1;
        if status == RequestStatus::Failed {
            *failed += 1;
        }
        let (failed, finished) = (*failed, *finished);
        if threshold.reached(failed, finished, min_sample) {
            self.tripped = true;
            if self.stopper.stop(Interrupt::FailureThreshold) {
                eprintln!("\n{}", message(threshold, failed, finished));
            }
        }
    }
}

/// The one line that says why the run stops.
fn message(threshold: FailureThreshold, failed: u64, finished: u64) -> String {
    let share = failed as f64 * 100.0 / finished.max(1) as f64;
    let reached = match threshold {
        FailureThreshold::Ratio(r) => {
            format!("above --failed-request-threshold {r} ({:.1}%)", r * 100.0)
        }
        FailureThreshold::Count(n) => format!("--failed-request-threshold {n} reached"),
    };
    format!(
        "stopping: {failed} of {finished} finished requests failed ({share:.1}%), {reached}; writing partial artifacts"
    )
}
