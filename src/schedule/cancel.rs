//! Which requests `--request-cancellation-rate` cancels, decided here rather than on the
//! request loop: request `i` is cancelled when a hash of `(seed, i)` falls below the rate,
//! so the same seed cancels the same requests whatever the timing, the worker or the
//! thread count, and the engine only asks (a few multiplications, no lock, no state).
//!
//! Like AIPerf, each request is an independent draw with the rate's probability (the count
//! is binomial around the rate), and warmup requests are never cancelled.

use std::time::Duration;

use rand::Rng;

use crate::config::{PhaseKind, RequestCancellation};
use crate::rng::RngRoot;

/// The cancellation decision for every request of a run.
#[derive(Debug, Clone)]
pub struct CancelSchedule {
    /// Drawn from the seed's own `request-cancellation` stream.
    key: u64,
    /// A request is cancelled when its 53-bit draw is below this (rate × 2^53).
    below: u64,
    delay: Duration,
    /// Per phase index: whether its requests may be cancelled (measured phases only).
    phases: Box<[bool]>,
}

impl CancelSchedule {
    /// The schedule for `plan` over phases of the given kinds, in plan order.
    pub fn new(
        plan: &RequestCancellation,
        root: &RngRoot,
        phases: impl IntoIterator<Item = PhaseKind>,
    ) -> Self {
        let share = (plan.rate_pct / 100.0).clamp(0.0, 1.0);
        Self {
            key: root.stream("request-cancellation", 0).random(),
            below: (share * (1u64 << 53) as f64) as u64,
            delay: plan.delay,
            phases: phases
                .into_iter()
                .map(|kind| kind == PhaseKind::Profiling)
                .collect(),
        }
    }

    /// How long after it is sent request `request_index` of phase `phase_index` is
    /// cancelled, or `None` when it runs to its end.
    #[inline]
    pub fn delay_for(&self, phase_index: u8, request_index: u64) -> Option<Duration> {
        let measured = self
            .phases
            .get(usize::from(phase_index))
            .copied()
            .unwrap_or(false);
        (measured && draw(self.key, request_index) < self.below).then_some(self.delay)
    }
}

/// A uniform 53-bit number from `(key, index)`: splitmix64's finalizer over the pair.
#[inline]
fn draw(key: u64, index: u64) -> u64 {
    let mut z = key.wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) >> 11
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(rate_pct: f64, seed: u64) -> CancelSchedule {
        let plan = RequestCancellation {
            rate_pct,
            delay: Duration::from_millis(250),
        };
        CancelSchedule::new(
            &plan,
            &RngRoot::new(seed),
            [PhaseKind::Warmup, PhaseKind::Profiling],
        )
    }

    fn cancelled(s: &CancelSchedule, n: u64) -> Vec<u64> {
        (0..n).filter(|&i| s.delay_for(1, i).is_some()).collect()
    }

    #[test]
    fn the_share_cancelled_is_the_rate() {
        // Binomial(100_000, 0.2): standard deviation 126, so ±1,000 cannot fail by chance.
        let n = cancelled(&schedule(20.0, 3), 100_000).len();
        assert!((19_000..=21_000).contains(&n), "{n}");
        assert_eq!(cancelled(&schedule(100.0, 3), 1_000).len(), 1_000);
        assert!(cancelled(&schedule(0.0, 3), 1_000).is_empty());
    }

    #[test]
    fn the_same_seed_cancels_the_same_requests_and_another_seed_others() {
        assert_eq!(
            cancelled(&schedule(30.0, 7), 500),
            cancelled(&schedule(30.0, 7), 500)
        );
        assert_ne!(
            cancelled(&schedule(30.0, 7), 500),
            cancelled(&schedule(30.0, 8), 500)
        );
    }

    #[test]
    fn warmup_requests_are_never_cancelled_and_the_delay_is_the_plans() {
        let s = schedule(100.0, 1);
        assert_eq!(s.delay_for(0, 5), None);
        assert_eq!(s.delay_for(1, 5), Some(Duration::from_millis(250)));
        assert_eq!(s.delay_for(9, 5), None, "an unknown phase is not cancelled");
    }
}
