//! Ramps: a limit that steps from 1 to its target, and a rate that rises on a line, over a
//! phase's first seconds (AIPerf's `--concurrency-ramp-duration`,
//! `--prefill-concurrency-ramp-duration` and `--request-rate-ramp-duration`).
//!
//! A limit ramp steps by one at evenly spaced instants: the limit is `k + 1` from
//! `duration × k / (target − 1)` on, so it is 1 at the start and the target at the end, as
//! AIPerf's linear ramper steps it. A rate ramp is a line from AIPerf's start rate
//! (`config::ramp_start_rate`) to the target; each gap is drawn at the target rate and
//! stretched by `target / rate(t)` at the instant `t` it starts from, so a Poisson or gamma
//! schedule keeps its shape while its mean follows the line.

use std::time::Duration;

/// A limit stepping from 1 to `target` over `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitRamp {
    target: u32,
    duration_ns: u64,
}

impl LimitRamp {
    /// A ramp to `target` (at least 1) over `duration`; `None` duration = no ramp.
    pub fn new(target: u32, duration: Option<Duration>) -> Self {
        Self {
            target: target.max(1),
            duration_ns: duration.map_or(0, |d| d.as_nanos().min(u128::from(u64::MAX)) as u64),
        }
    }

    /// Nanoseconds after the start at which the limit becomes `k + 1` (`k` < target).
    pub fn step_ns(&self, k: u32) -> u64 {
        if self.target <= 1 || self.duration_ns == 0 {
            return 0;
        }
        let k = u128::from(k.min(self.target - 1));
        (u128::from(self.duration_ns) * k / u128::from(self.target - 1)) as u64
    }

    /// The limit `elapsed_ns` after the start.
    pub fn at(&self, elapsed_ns: u64) -> u32 {
        if self.duration_ns == 0 || elapsed_ns >= self.duration_ns {
            return self.target;
        }
        let steps =
            u128::from(elapsed_ns) * u128::from(self.target - 1) / u128::from(self.duration_ns);
        1 + steps as u32
    }
}

/// A rate rising on a line from `start` to `target` requests/s over `duration_ns`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRamp {
    start: f64,
    target: f64,
    duration_ns: f64,
}

impl RateRamp {
    /// A ramp to `target` requests/s over `duration`, from AIPerf's start rate.
    pub fn new(target: f64, duration: Duration) -> Self {
        Self {
            start: crate::config::ramp_start_rate(target, duration),
            target,
            duration_ns: duration.as_nanos() as f64,
        }
    }

    /// The rate `elapsed_ns` after the start.
    pub fn rate_at(&self, elapsed_ns: f64) -> f64 {
        if elapsed_ns >= self.duration_ns {
            return self.target;
        }
        self.start + (self.target - self.start) * elapsed_ns.max(0.0) / self.duration_ns
    }

    /// How much longer a gap starting `elapsed_ns` after the start is than at the target.
    pub fn stretch_at(&self, elapsed_ns: f64) -> f64 {
        self.target / self.rate_at(elapsed_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_steps_evenly_from_one_to_the_target() {
        let ramp = LimitRamp::new(5, Some(Duration::from_secs(4)));
        let s = 1_000_000_000;
        assert_eq!(
            (0..5).map(|k| ramp.step_ns(k)).collect::<Vec<_>>(),
            vec![0, s, 2 * s, 3 * s, 4 * s]
        );
        assert_eq!(ramp.at(0), 1);
        assert_eq!(ramp.at(s - 1), 1);
        assert_eq!(ramp.at(s), 2);
        assert_eq!(ramp.at(3 * s + 1), 4);
        assert_eq!(ramp.at(4 * s), 5);
        assert_eq!(ramp.at(u64::MAX), 5);
        // Each step's instant gives exactly its limit.
        for k in 0..5 {
            assert_eq!(ramp.at(ramp.step_ns(k)), k + 1);
        }
    }

    #[test]
    fn no_ramp_is_the_target_at_once() {
        let none = LimitRamp::new(8, None);
        assert_eq!((none.at(0), none.step_ns(7)), (8, 0));
        let one = LimitRamp::new(1, Some(Duration::from_secs(3)));
        assert_eq!((one.at(0), one.step_ns(0)), (1, 0));
    }

    #[test]
    fn a_rate_rises_on_a_line_then_holds() {
        let ramp = RateRamp::new(100.0, Duration::from_secs(10));
        // AIPerf's start: 100 × 0.1 / 10 = 1 request/s.
        assert!((ramp.rate_at(0.0) - 1.0).abs() < 1e-9);
        assert!((ramp.rate_at(5e9) - 50.5).abs() < 1e-9);
        assert_eq!(ramp.rate_at(10e9), 100.0);
        assert_eq!(ramp.rate_at(1e12), 100.0);
        assert!((ramp.stretch_at(0.0) - 100.0).abs() < 1e-9);
        assert_eq!(ramp.stretch_at(20e9), 1.0);
    }
}
