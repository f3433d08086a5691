//! Arrival-time generation for every load mode.
//!
//! A [`RateSchedule`] yields the gaps between request releases of an open-loop phase; closed
//! loop phases need no schedule (a free concurrency slot is the release). Gaps come from a
//! dedicated random stream, so the schedule is the same whatever else the run draws.

mod cancel;
mod ramp;

pub use cancel::CancelSchedule;
pub use ramp::{LimitRamp, RateRamp};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma};

use crate::config::ArrivalPattern;
use crate::rng::RngRoot;

/// Inter-arrival gaps for a target request rate.
#[derive(Debug, Clone)]
pub struct RateSchedule {
    gaps: GapDist,
    rng: ChaCha8Rng,
    /// The rate's ramp over the phase's first seconds, when it has one.
    ramp: Option<RateRamp>,
    rate: f64,
}

#[derive(Debug, Clone)]
enum GapDist {
    Constant(f64),
    Exponential(Exp<f64>),
    Gamma(Gamma<f64>),
}

/// A rate or pattern that cannot drive a schedule.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScheduleError {
    /// The rate is not a positive finite number.
    #[error("--request-rate must be a positive number of requests per second, got {0}")]
    BadRate(f64),
    /// The gamma shape is not a positive finite number.
    #[error("--arrival-smoothness must be a positive number, got {0}")]
    BadSmoothness(f64),
}

impl RateSchedule {
    /// A schedule of `rate` requests/s for phase `phase_index`.
    pub fn new(
        rate: f64,
        pattern: ArrivalPattern,
        root: &RngRoot,
        phase_index: u64,
    ) -> Result<Self, ScheduleError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ScheduleError::BadRate(rate));
        }
        let mean_gap_ns = 1e9 / rate;
        let gaps = match pattern {
            ArrivalPattern::Constant => GapDist::Constant(mean_gap_ns),
            ArrivalPattern::Poisson => GapDist::Exponential(
                Exp::new(1.0 / mean_gap_ns).map_err(|_| ScheduleError::BadRate(rate))?,
            ),
            ArrivalPattern::Gamma { smoothness } => {
                if !(smoothness.is_finite() && smoothness > 0.0) {
                    return Err(ScheduleError::BadSmoothness(smoothness));
                }
                GapDist::Gamma(
                    Gamma::new(smoothness, mean_gap_ns / smoothness)
                        .map_err(|_| ScheduleError::BadSmoothness(smoothness))?,
                )
            }
        };
        Ok(Self {
            gaps,
            rng: root.stream("arrival", phase_index),
            ramp: None,
            rate,
        })
    }

    /// The same schedule with its rate ramped from AIPerf's start rate over `duration`.
    pub fn with_ramp(mut self, duration: Option<std::time::Duration>) -> Self {
        self.ramp = duration.map(|d| RateRamp::new(self.rate, d));
        self
    }

    /// The gap after a release `elapsed_ns` into the phase: drawn at the target rate, and
    /// stretched to the ramp's rate at that instant while the ramp lasts.
    #[inline]
    pub fn next_gap_after_ns(&mut self, elapsed_ns: f64) -> f64 {
        let gap = self.next_gap_ns();
        match &self.ramp {
            Some(ramp) => gap * ramp.stretch_at(elapsed_ns),
            None => gap,
        }
    }

    /// The next gap in nanoseconds.
    pub fn next_gap_ns(&mut self) -> f64 {
        match &self.gaps {
            GapDist::Constant(gap) => *gap,
            GapDist::Exponential(exp) => exp.sample(&mut self.rng),
            GapDist::Gamma(gamma) => gamma.sample(&mut self.rng),
        }
    }

    /// A uniform draw in [0, 1) from the schedule's stream (used for jittered starts).
    pub fn unit(&mut self) -> f64 {
        self.rng.random()
    }
}

/// Release times (ns offsets from the phase start) for the first `n` requests.
pub fn offsets_ns(schedule: &mut RateSchedule, n: usize) -> Vec<u64> {
    let mut t = 0.0f64;
    (0..n)
        .map(|i| {
            if i > 0 {
                t += schedule.next_gap_ns();
            }
            t as u64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_gap(pattern: ArrivalPattern, rate: f64) -> (f64, f64) {
        let mut s = RateSchedule::new(rate, pattern, &RngRoot::new(1), 0).unwrap();
        let n = 100_000;
        let gaps: Vec<f64> = (0..n).map(|_| s.next_gap_ns()).collect();
        let mean = gaps.iter().sum::<f64>() / n as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n as f64;
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn constant_gaps_are_exact() {
        let (mean, cv) = mean_gap(ArrivalPattern::Constant, 1000.0);
        assert_eq!(mean, 1e6);
        assert_eq!(cv, 0.0);
    }

    #[test]
    fn poisson_mean_and_spread_match_rate() {
        // Exponential gaps: mean 1/rate and coefficient of variation 1. With 1e5 draws the
        // standard error of the mean is 0.3 %, so 2 % bounds cannot fail by chance.
        let (mean, cv) = mean_gap(ArrivalPattern::Poisson, 500.0);
        assert!((mean / 2e6 - 1.0).abs() < 0.02, "mean {mean}");
        assert!((cv - 1.0).abs() < 0.03, "cv {cv}");
    }

    #[test]
    fn gamma_smoothness_narrows_the_spread() {
        // Gamma(k) gaps have coefficient of variation 1/sqrt(k).
        let (mean, cv) = mean_gap(ArrivalPattern::Gamma { smoothness: 4.0 }, 100.0);
        assert!((mean / 1e7 - 1.0).abs() < 0.02, "mean {mean}");
        assert!((cv - 0.5).abs() < 0.02, "cv {cv}");
    }

    #[test]
    fn same_seed_same_schedule() {
        let root = RngRoot::new(9);
        let mut a = RateSchedule::new(50.0, ArrivalPattern::Poisson, &root, 0).unwrap();
        let mut b = RateSchedule::new(50.0, ArrivalPattern::Poisson, &root, 0).unwrap();
        assert_eq!(offsets_ns(&mut a, 100), offsets_ns(&mut b, 100));
    }

    #[test]
    fn a_ramped_constant_schedule_follows_the_line() {
        let root = RngRoot::new(3);
        let ramp = std::time::Duration::from_secs(2);
        let mut s = RateSchedule::new(50.0, ArrivalPattern::Constant, &root, 0)
            .unwrap()
            .with_ramp(Some(ramp));
        let line = RateRamp::new(50.0, ramp);
        let mut t = 0.0;
        let mut gaps = Vec::new();
        while t < 3e9 {
            let gap = s.next_gap_after_ns(t);
            assert!(
                (gap - 1e9 / line.rate_at(t)).abs() < 1e-3,
                "gap {gap} at {t}"
            );
            gaps.push(gap);
            t += gap;
        }
        // Gaps shrink while the ramp lasts, then hold at the target's 20 ms.
        assert!(gaps.windows(2).all(|w| w[1] <= w[0]));
        assert_eq!(*gaps.last().unwrap(), 2e7);
        // AIPerf's start rate: 50 × 0.1 s / 2 s = 2.5 requests/s.
        assert!((gaps[0] - 4e8).abs() < 1.0, "first gap {}", gaps[0]);
    }

    #[test]
    fn bad_rates_are_rejected() {
        let root = RngRoot::new(0);
        assert_eq!(
            RateSchedule::new(0.0, ArrivalPattern::Poisson, &root, 0).unwrap_err(),
            ScheduleError::BadRate(0.0)
        );
        assert!(
            RateSchedule::new(1.0, ArrivalPattern::Gamma { smoothness: -1.0 }, &root, 0).is_err()
        );
    }
}
