//! A phase's load shape beside its arrival: AIPerf's ramps (`--concurrency-ramp-duration`,
//! `--request-rate-ramp-duration`, `--prefill-concurrency-ramp-duration`; a YAML phase's
//! `concurrency_ramp`, `rate_ramp`, `prefill_ramp`) and the prefill cap
//! (`--prefill-concurrency`, `prefill_concurrency`).

use std::time::Duration;

/// How a phase reaches its load, and how many requests may wait for their first token.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct LoadShape {
    /// Concurrency rises from 1 to the phase's `concurrency`, one step at a time, evenly
    /// over this long (AIPerf's linear concurrency ramp).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_secs")]
    pub concurrency_ramp: Option<Duration>,
    /// The request rate rises on a line from `rate × 0.1 s / duration` (AIPerf's start) to
    /// the phase's rate over this long.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_secs")]
    pub rate_ramp: Option<Duration>,
    /// At most this many requests sent and still waiting for the first event of their
    /// streamed reply; the others wait to be sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefill_concurrency: Option<u32>,
    /// The prefill cap rises from 1 to `prefill_concurrency` over this long.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_secs")]
    pub prefill_ramp: Option<Duration>,
}

impl LoadShape {
    /// How long after the phase starts its last ramp ends (zero without ramps): the requests
    /// released before then are marked as sent during the ramp.
    pub fn ramp_length(&self) -> Duration {
        [self.concurrency_ramp, self.rate_ramp, self.prefill_ramp]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or_default()
    }
}

/// The start rate of a rate ramp: AIPerf's `target × update_interval / duration` with its
/// 0.1 s update interval, so a target below 1 request/s still starts below the target.
pub fn ramp_start_rate(target: f64, duration: Duration) -> f64 {
    let secs = duration.as_secs_f64();
    if secs <= RATE_RAMP_STEP_SECS {
        return target;
    }
    target * RATE_RAMP_STEP_SECS / secs
}

/// AIPerf's `RATE_RAMP_UPDATE_INTERVAL`: the rate ramp's first step.
pub const RATE_RAMP_STEP_SECS: f64 = 0.1;

/// A ramp's duration as the YAML and flags read it: positive, finite seconds.
pub fn ramp_secs(secs: f64) -> Result<Duration, String> {
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if secs > 0.0 => Ok(d),
        _ => Err(format!("must be a positive number of seconds, got {secs}")),
    }
}

fn opt_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_rate_follows_aiperf() {
        // AIPerf's tutorial: 100 QPS over 60 s starts at ~0.17 QPS.
        let start = ramp_start_rate(100.0, Duration::from_secs(60));
        assert!((start - 100.0 / 600.0).abs() < 1e-12, "{start}");
        assert_eq!(ramp_start_rate(5.0, Duration::from_millis(50)), 5.0);
    }

    #[test]
    fn ramp_length_is_the_longest_ramp() {
        let shape = LoadShape {
            concurrency_ramp: Some(Duration::from_secs(2)),
            rate_ramp: Some(Duration::from_secs(5)),
            ..LoadShape::default()
        };
        assert_eq!(shape.ramp_length(), Duration::from_secs(5));
        assert_eq!(LoadShape::default().ramp_length(), Duration::ZERO);
        assert!(ramp_secs(0.0).is_err() && ramp_secs(f64::NAN).is_err());
    }
}
