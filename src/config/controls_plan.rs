//! AIPerf's run controls on requests: `--request-cancellation-rate` / `-delay` (cancel a
//! share of requests on purpose, to see how a server copes with clients that go away) and
//! `--failed-request-threshold` (stop a run that is failing). The CLI and the config file
//! both validate through here, so both paths accept and refuse the same values.

use std::time::Duration;

/// A phase's request controls (AIPerf's phase `cancellation` and `failed_request_threshold`);
/// the CLI flags set them on every measured phase. Warmup phases have none.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct RequestControls {
    /// Requests cancelled on purpose; `None` = none.
    pub cancellation: Option<RequestCancellation>,
    /// Stop the run once this phase's requests fail this much; `None` = never.
    pub failed_request_threshold: Option<FailureThreshold>,
}

/// Requests cancelled on purpose: AIPerf's `--request-cancellation-rate` and
/// `--request-cancellation-delay`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RequestCancellation {
    /// Share of the measured requests to cancel, in percent (above 0, at most 100). Which
    /// requests follows from the seed and the request index alone.
    pub rate_pct: f64,
    /// How long after a request is sent it is cancelled (its connection dropped), unless its
    /// response has finished by then.
    #[serde(serialize_with = "secs")]
    pub delay: Duration,
}

/// When a failing run stops: `--failed-request-threshold`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum FailureThreshold {
    /// AIPerf's form: stop when failed / finished requests exceeds this fraction (0 ≤ f < 1),
    /// once [`FailureThreshold::min_sample`] requests have finished.
    Ratio(f64),
    /// Stop when this many requests have failed (at least 1).
    Count(u64),
}

/// Requests that must have finished before a [`FailureThreshold::Ratio`] is checked, when
/// the concurrency is lower (AIPerf's floor: max(concurrency, 10)), so one early failure
/// cannot stop a run.
pub const FAILURE_RATIO_MIN_SAMPLE: u64 = 10;

impl FailureThreshold {
    /// Reads the flag's (or key's) number: a fraction below 1 is AIPerf's ratio, a whole
    /// number from 1 up a count of failed requests.
    pub fn from_number(value: f64) -> Result<Self, String> {
        if !value.is_finite() || value < 0.0 {
            return Err(format!(
                "must be a fraction below 1 (0.1 = stop once more than 10% of requests failed) or a whole count of failed requests, got {value}"
            ));
        }
        if value < 1.0 {
            return Ok(FailureThreshold::Ratio(value));
        }
        if value.fract() != 0.0 || value > u64::MAX as f64 {
            return Err(format!(
                "{value} is neither a fraction below 1 nor a whole count of failed requests; write e.g. 0.1 (10%) or 5 (five failures)"
            ));
        }
        Ok(FailureThreshold::Count(value as u64))
    }

    /// Requests that must have finished before a ratio is checked, for a run whose measured
    /// phases keep at most `concurrency` requests in flight.
    pub fn min_sample(concurrency: u64) -> u64 {
        concurrency.max(FAILURE_RATIO_MIN_SAMPLE)
    }

    /// Whether `failed` of `finished` requests reach the threshold (`min_sample` as above).
    pub fn reached(self, failed: u64, finished: u64, min_sample: u64) -> bool {
        match self {
            FailureThreshold::Count(n) => failed >= n,
            FailureThreshold::Ratio(f) => {
                finished >= min_sample && finished > 0 && failed as f64 > f * finished as f64
            }
        }
    }
}

impl std::fmt::Display for FailureThreshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FailureThreshold::Ratio(r) => write!(f, "{r}"),
            FailureThreshold::Count(n) => write!(f, "{n}"),
        }
    }
}

/// Validates a cancellation rate (percent) and delay (seconds); `Ok(None)` for a rate of 0
/// (cancellation off). A delay without a rate is refused, as AIPerf does: it would be
/// silently ignored. Errors name no flag: the caller adds the flag or key.
pub fn request_cancellation(
    rate_pct: Option<f64>,
    delay_secs: Option<f64>,
) -> Result<Option<RequestCancellation>, (CancellationField, String)> {
    let delay = match delay_secs {
        None => Duration::ZERO,
        Some(s) => Duration::try_from_secs_f64(s).map_err(|_| {
            (
                CancellationField::Delay,
                format!("must be zero or a positive number of seconds, got {s}"),
            )
        })?,
    };
    let Some(rate) = rate_pct else {
        return match delay_secs {
            Some(_) => Err((
                CancellationField::Delay,
                "needs a cancellation rate (--request-cancellation-rate); without one no request is cancelled".into(),
            )),
            None => Ok(None),
        };
    };
    if !(0.0..=100.0).contains(&rate) {
        return Err((
            CancellationField::Rate,
            format!(
                "must be a percentage between 0 and 100 (20 = cancel 20% of requests), got {rate}"
            ),
        ));
    }
    Ok((rate > 0.0).then_some(RequestCancellation {
        rate_pct: rate,
        delay,
    }))
}

/// Which of the two cancellation settings an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationField {
    /// The rate.
    Rate,
    /// The delay.
    Delay,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fraction_is_a_ratio_and_a_whole_number_a_count() {
        assert_eq!(
            FailureThreshold::from_number(0.1),
            Ok(FailureThreshold::Ratio(0.1))
        );
        assert_eq!(
            FailureThreshold::from_number(0.0),
            Ok(FailureThreshold::Ratio(0.0))
        );
        assert_eq!(
            FailureThreshold::from_number(1.0),
            Ok(FailureThreshold::Count(1))
        );
        assert_eq!(
            FailureThreshold::from_number(25.0),
            Ok(FailureThreshold::Count(25))
        );
        for bad in [-0.5, 2.5, f64::NAN, f64::INFINITY, 1e30] {
            assert!(FailureThreshold::from_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ratio_waits_for_its_sample_and_must_be_exceeded() {
        let t = FailureThreshold::Ratio(0.25);
        let min = FailureThreshold::min_sample(4);
        assert_eq!(min, 10);
        assert!(!t.reached(5, 9, min), "below the sample");
        assert!(!t.reached(3, 12, min), "3/12 = 0.25 is not above 0.25");
        assert!(t.reached(4, 12, min));
        assert_eq!(FailureThreshold::min_sample(64), 64);
        assert!(FailureThreshold::Count(3).reached(3, 3, min));
        assert!(!FailureThreshold::Count(3).reached(2, 100, min));
    }

    #[test]
    fn cancellation_settings_are_checked_together() {
        assert_eq!(request_cancellation(None, None), Ok(None));
        assert_eq!(request_cancellation(Some(0.0), Some(1.0)), Ok(None));
        assert_eq!(
            request_cancellation(Some(20.0), Some(0.5)),
            Ok(Some(RequestCancellation {
                rate_pct: 20.0,
                delay: Duration::from_millis(500)
            }))
        );
        assert_eq!(
            request_cancellation(None, Some(0.5)).unwrap_err().0,
            CancellationField::Delay
        );
        assert_eq!(
            request_cancellation(Some(101.0), None).unwrap_err().0,
            CancellationField::Rate
        );
        assert_eq!(
            request_cancellation(Some(10.0), Some(-1.0)).unwrap_err().0,
            CancellationField::Delay
        );
    }
}
