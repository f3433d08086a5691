//! The load phases: built from the load settings, or the file's phases with the load flags
//! given applied to every measured phase; `shape` then adds ramps, the prefill cap and the
//! warmup phase the flags ask for.

use std::time::Duration;

use super::resolve::{non_negative_secs, origin, positive_secs, value};
use super::{PatternChoice, SettingError, Settings};
use crate::config::{
    check_request_rate, request_cancellation, Arrival, ArrivalPattern, CancellationField,
    FailureThreshold, Phase, PhaseKind, RequestCancellation, RequestControls, StopRule,
    DEFAULT_GRACE_SECS, DEFAULT_REQUESTS, DEFAULT_SMOOTHNESS,
};

impl Settings {
    pub(super) fn resolve_phases(&self) -> Result<Vec<Phase>, SettingError> {
        let concurrency = value(&self.concurrency);
        let request_rate = value(&self.request_rate);
        if let Some(c) = self.concurrency.as_ref().filter(|c| c.value == 0) {
            return Err(SettingError::new(&c.from, "must be at least 1"));
        }
        if let Some(r) = self.request_rate.as_ref() {
            if self.schedule.fixed_schedule {
                return Err(SettingError::new(
                    &r.from,
                    "cannot be combined with --fixed-schedule, which sends at the trace's timestamps",
                ));
            }
            check_request_rate(r.value).map_err(|e| SettingError::new(&r.from, e))?;
        }
        if let Some(s) = &self.arrival_smoothness {
            if !(s.value.is_finite() && s.value > 0.0) {
                return Err(SettingError::new(&s.from, "must be a positive number"));
            }
        }
        if let Some(c) = self.request_count.as_ref().filter(|c| c.value == 0) {
            return Err(SettingError::new(&c.from, "must be at least 1"));
        }
        let duration = self
            .benchmark_duration
            .as_ref()
            .map(|s| positive_secs(&s.from, s.value))
            .transpose()?;
        let grace = self
            .grace_period
            .as_ref()
            .map(|s| non_negative_secs(&s.from, s.value))
            .transpose()?;
        let request_count = value(&self.request_count);
        let pattern_arg = value(&self.arrival_pattern);
        let smoothness_arg = value(&self.arrival_smoothness);
        let (cancellation, failed_request_threshold) = self.request_controls()?;
        let Some(file) = &self.phases else {
            let arrival = Arrival {
                concurrency: match (concurrency, request_rate) {
                    // A replayed trace opens as many connections as its timing needs.
                    (None, None) if self.schedule.fixed_schedule => None,
                    (None, None) => Some(1),
                    (c, _) => c,
                },
                request_rate,
                pattern: pattern(pattern_arg, smoothness_arg.unwrap_or(DEFAULT_SMOOTHNESS)),
            };
            let profiling = Phase {
                name: "profiling".into(),
                kind: PhaseKind::Profiling,
                arrival,
                stop: stop_rule(request_count, duration, grace),
                controls: RequestControls {
                    cancellation: cancellation.flatten(),
                    failed_request_threshold,
                },
                shape: Default::default(),
            };
            return self.shape_phases(vec![profiling]);
        };
        let mut phases = file.value.clone();
        for phase in phases.iter_mut().filter(|p| p.kind == PhaseKind::Profiling) {
            if let Some(c) = cancellation {
                phase.controls.cancellation = c;
            }
            if failed_request_threshold.is_some() {
                phase.controls.failed_request_threshold = failed_request_threshold;
            }
            let arrival = &mut phase.arrival;
            if let Some(c) = concurrency {
                arrival.concurrency = Some(c);
            }
            if let Some(r) = request_rate {
                arrival.request_rate = Some(r);
            }
            let file_smoothness = match arrival.pattern {
                ArrivalPattern::Gamma { smoothness } => Some(smoothness),
                _ => None,
            };
            let smoothness = smoothness_arg
                .or(file_smoothness)
                .unwrap_or(DEFAULT_SMOOTHNESS);
            match pattern_arg {
                Some(p) => arrival.pattern = pattern(Some(p), smoothness),
                None if file_smoothness.is_some() => {
                    arrival.pattern = ArrivalPattern::Gamma { smoothness }
                }
                None => {}
            }
            let file_grace = match phase.stop {
                StopRule::Duration { grace, .. } => Some(grace),
                StopRule::Count { .. } | StopRule::Sessions { .. } => None,
            };
            phase.stop = match (request_count, duration, &phase.stop) {
                (Some(_), _, _) | (None, Some(_), _) => {
                    stop_rule(request_count, duration, grace.or(file_grace))
                }
                (None, None, StopRule::Duration { duration, .. }) => StopRule::Duration {
                    duration: *duration,
                    grace: grace.or(file_grace).unwrap_or_default(),
                },
                (None, None, count) => *count,
            };
        }
        self.shape_phases(phases)
    }
}

/// The cancellation (`Some(None)`: given, cancellation off) and failed-request threshold
/// settings, for the measured phases.
type Controls = (
    Option<Option<RequestCancellation>>,
    Option<FailureThreshold>,
);

impl Settings {
    fn request_controls(&self) -> Result<Controls, SettingError> {
        let (rate, delay) = (&self.cancellation_rate, &self.cancellation_delay);
        let given = rate.is_some() || delay.is_some();
        let cancellation =
            request_cancellation(value(rate), value(delay)).map_err(|(field, e)| match field {
                CancellationField::Rate => {
                    SettingError::new(&origin(rate, "--request-cancellation-rate"), e)
                }
                CancellationField::Delay => {
                    SettingError::new(&origin(delay, "--request-cancellation-delay"), e)
                }
            })?;
        let threshold = self
            .failed_request_threshold
            .as_ref()
            .map(|t| {
                FailureThreshold::from_number(t.value).map_err(|e| SettingError::new(&t.from, e))
            })
            .transpose()?;
        Ok((given.then_some(cancellation), threshold))
    }
}

fn pattern(choice: Option<PatternChoice>, smoothness: f64) -> ArrivalPattern {
    match choice {
        None | Some(PatternChoice::Poisson) => ArrivalPattern::Poisson,
        Some(PatternChoice::Constant) => ArrivalPattern::Constant,
        Some(PatternChoice::Gamma) => ArrivalPattern::Gamma { smoothness },
    }
}

fn stop_rule(count: Option<u64>, duration: Option<Duration>, grace: Option<Duration>) -> StopRule {
    match (count, duration) {
        (Some(requests), _) => StopRule::Count { requests },
        (None, Some(duration)) => StopRule::Duration {
            duration,
            grace: grace.unwrap_or(Duration::from_secs_f64(DEFAULT_GRACE_SECS)),
        },
        (None, None) => StopRule::Count {
            requests: DEFAULT_REQUESTS,
        },
    }
}
