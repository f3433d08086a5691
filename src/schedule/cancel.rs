//! Which requests `--request-cancellation-rate` cancels, decided here rather than on the
//! request loop: request `i` is cancelled when a hash of `(seed, i)` falls below the rate,
//! so the same seed cancels the same requests whatever the timing, the worker or the
//! thread count, and the engine only asks (a few multiplications, no lock, no state).
//!
//! Like AIPerf, each request is an independent draw with the rate's probability (the count
//! is binomial around the rate), and warmup requests are never cancelled.

use std::time::Duration;

use rand::Rng;

use crate::config::{Phase, PhaseKind, RequestCancellation};
use crate::rng::RngRoot;

/// The cancellation decision for every request of a run.
#[derive(Debug, Clone)]
pub struct CancelSchedule {
    /// Drawn from the seed's own `request-cancellation` stream.
    key: u64,
    /// Per phase index: `(below, delay)` when its requests may be cancelled (measured phases
    /// with a cancellation rate); a request is cancelled when its 53-bit draw is below
    /// `below` (rate × 2^53).
    phases: Box<[Option<(u64, Duration)>]>,
}

impl CancelSchedule {
    /// The schedule for a run's phases (in plan order), or `None` when none of its measured
    /// phases cancels requests.
    pub fn new<'a>(root: &RngRoot, phases: impl IntoIterator<Item = &'a Phase>) -> Option<Self> {
        let phases: Box<[_]> = phases
            .into_iter()
            .map(|p| match (p.kind, p.controls.cancellation) {
                (PhaseKind::Profiling, Some(c)) => Some(threshold(&c)),
                _ => None,
            })
            .collect();
        phases.iter().any(Option::is_some).then(|| Self {
            key: root.stream("request-cancellation", 0).random(),
            phases,
        })
    }

    /// How long after it is sent request `request_index` of phase `phase_index` is
    /// cancelled, or `None` when it runs to its end.
    #[inline]
    pub fn delay_for(&self, phase_index: u8, request_index: u64) -> Option<Duration> {
        let (below, delay) = (*self.phases.get(usize::from(phase_index))?)?;
        (draw(self.key, request_index) < below).then_some(delay)
    }
}

fn threshold(c: &RequestCancellation) -> (u64, Duration) {
    let share = (c.rate_pct / 100.0).clamp(0.0, 1.0);
    ((share * (1u64 << 53) as f64) as u64, c.delay)
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

    fn phase(kind: PhaseKind, rate_pct: f64) -> Phase {
        Phase {
            name: format!("{kind:?}"),
            kind,
            arrival: crate::config::Arrival {
                concurrency: Some(1),
                request_rate: None,
                pattern: crate::config::ArrivalPattern::Poisson,
            },
            stop: crate::config::StopRule::Count { requests: 1 },
            controls: crate::config::RequestControls {
                cancellation: Some(RequestCancellation {
                    rate_pct,
                    delay: Duration::from_millis(250),
                }),
                failed_request_threshold: None,
            },
            shape: Default::default(),
        }
    }

    fn schedule(rate_pct: f64, seed: u64) -> CancelSchedule {
        let phases = [
            phase(PhaseKind::Warmup, rate_pct),
            phase(PhaseKind::Profiling, rate_pct),
        ];
        CancelSchedule::new(&RngRoot::new(seed), &phases).expect("a measured phase cancels")
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
        let mut plain = phase(PhaseKind::Profiling, 50.0);
        plain.controls.cancellation = None;
        assert!(CancelSchedule::new(&RngRoot::new(1), &[plain]).is_none());
    }
}
