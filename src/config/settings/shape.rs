//! The load-shape flags laid over the resolved phases: ramps and the prefill cap of the
//! measured phases (AIPerf's Load Generator group), and the warmup phase's own stop rule,
//! arrival and shape (AIPerf's Warmup group). Flags only: a config file gives the same per
//! phase (`concurrency_ramp`, `rate_ramp`, `prefill_concurrency`, `prefill_ramp`).

use std::time::Duration;

use super::resolve::{non_negative_secs, value};
use super::{Opt, Origin, PatternChoice, SettingError, Settings};
use crate::config::{
    check_request_rate, ramp_secs, Arrival, ArrivalPattern, Phase, PhaseKind, StopRule,
    DEFAULT_SMOOTHNESS,
};

/// How long a duration-bound warmup waits for its replies when no `--warmup-grace-period`
/// is given: AIPerf waits for every one (each still ends at `--request-timeout-seconds`).
pub const WARMUP_WAITS_FOR_EVERY_REPLY: Duration = Duration::from_secs(365 * 86_400);

/// Ramps and the prefill cap of the measured phases, and the warmup's shape.
#[derive(Debug, Clone, Default)]
pub struct ShapeSettings {
    /// `--concurrency-ramp-duration`, seconds.
    pub concurrency_ramp: Opt<f64>,
    /// `--request-rate-ramp-duration`, seconds.
    pub rate_ramp: Opt<f64>,
    /// `--prefill-concurrency`.
    pub prefill_concurrency: Opt<u32>,
    /// `--prefill-concurrency-ramp-duration`, seconds.
    pub prefill_ramp: Opt<f64>,
    /// The warmup phase's flags.
    pub warmup: WarmupSettings,
}

/// AIPerf's `--warmup-*` flags beside `--warmup-request-count` (which `Settings` holds).
#[derive(Debug, Clone, Default)]
pub struct WarmupSettings {
    /// `--warmup-duration`, seconds.
    pub duration: Opt<f64>,
    /// `--num-warmup-sessions`.
    pub sessions: Opt<u64>,
    /// `--warmup-grace-period`, seconds.
    pub grace_period: Opt<f64>,
    /// `--warmup-concurrency`.
    pub concurrency: Opt<u32>,
    /// `--warmup-request-rate`.
    pub request_rate: Opt<f64>,
    /// `--warmup-arrival-pattern`.
    pub arrival_pattern: Opt<PatternChoice>,
    /// `--warmup-prefill-concurrency`.
    pub prefill_concurrency: Opt<u32>,
    /// `--warmup-concurrency-ramp-duration`, seconds.
    pub concurrency_ramp: Opt<f64>,
    /// `--warmup-request-rate-ramp-duration`, seconds.
    pub rate_ramp: Opt<f64>,
    /// `--warmup-prefill-concurrency-ramp-duration`, seconds.
    pub prefill_ramp: Opt<f64>,
}

impl WarmupSettings {
    /// The first shape flag given (they need a warmup phase to shape).
    fn first_shape_flag(&self) -> Option<&Origin> {
        [
            self.concurrency.as_ref().map(|g| &g.from),
            self.request_rate.as_ref().map(|g| &g.from),
            self.arrival_pattern.as_ref().map(|g| &g.from),
            self.prefill_concurrency.as_ref().map(|g| &g.from),
            self.concurrency_ramp.as_ref().map(|g| &g.from),
            self.rate_ramp.as_ref().map(|g| &g.from),
            self.prefill_ramp.as_ref().map(|g| &g.from),
            self.grace_period.as_ref().map(|g| &g.from),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

/// A ramp flag's seconds as a duration, refused with the flag's name.
fn ramp(given: &Opt<f64>) -> Result<Option<Duration>, SettingError> {
    given
        .as_ref()
        .map(|g| ramp_secs(g.value).map_err(|e| SettingError::new(&g.from, e)))
        .transpose()
}

fn at_least_one<T: Copy + PartialEq + From<u8>>(given: &Opt<T>) -> Result<Option<T>, SettingError> {
    match given {
        Some(g) if g.value == T::from(0) => Err(SettingError::new(&g.from, "must be at least 1")),
        other => Ok(value(other)),
    }
}

impl Settings {
    /// Lays the shape flags over `phases` and puts the warmup phase the flags ask for first.
    pub(super) fn shape_phases(&self, mut phases: Vec<Phase>) -> Result<Vec<Phase>, SettingError> {
        let s = &self.shape;
        let concurrency_ramp = ramp(&s.concurrency_ramp)?;
        let rate_ramp = ramp(&s.rate_ramp)?;
        let prefill_ramp = ramp(&s.prefill_ramp)?;
        let prefill = at_least_one(&s.prefill_concurrency)?;
        if let (Some(g), None) = (&s.prefill_ramp, prefill) {
            return Err(SettingError::new(
                &g.from,
                "needs --prefill-concurrency, the cap it ramps to from 1",
            ));
        }
        let measured = |p: &&mut Phase| p.kind == PhaseKind::Profiling;
        if let (Some(g), Some(_)) = (&s.rate_ramp, rate_ramp) {
            if !phases
                .iter_mut()
                .filter(measured)
                .any(|p| p.arrival.request_rate.is_some())
            {
                return Err(SettingError::new(
                    &g.from,
                    "needs --request-rate (the rate it ramps to); a closed loop ramps with --concurrency-ramp-duration",
                ));
            }
        }
        for phase in phases.iter_mut().filter(measured) {
            let shape = &mut phase.shape;
            if concurrency_ramp.is_some() && phase.arrival.concurrency.is_some() {
                shape.concurrency_ramp = concurrency_ramp;
            }
            if rate_ramp.is_some() && phase.arrival.request_rate.is_some() {
                shape.rate_ramp = rate_ramp;
            }
            if prefill.is_some() {
                shape.prefill_concurrency = prefill;
                shape.prefill_ramp = prefill_ramp;
            }
        }
        if let (Some(g), false) = (
            &s.concurrency_ramp,
            phases.iter().any(|p| p.shape.concurrency_ramp.is_some()),
        ) {
            return Err(SettingError::new(
                &g.from,
                "needs --concurrency, the value it ramps to from 1",
            ));
        }
        let phases = self.warmup_phases(phases)?;
        self.check_shapes(&phases)?;
        Ok(phases)
    }

    /// The warmup phase of `--warmup-request-count`, `--warmup-duration` or
    /// `--num-warmup-sessions` (replacing the file's), or the file's warmups reshaped.
    fn warmup_phases(&self, mut phases: Vec<Phase>) -> Result<Vec<Phase>, SettingError> {
        let w = &self.shape.warmup;
        let count = self
            .warmup_request_count
            .as_ref()
            .filter(|g| g.value > 0)
            .map(|g| (StopRule::Count { requests: g.value }, &g.from));
        let duration = match &w.duration {
            Some(g) => {
                let duration = ramp_secs(g.value).map_err(|e| SettingError::new(&g.from, e))?;
                let grace = match &w.grace_period {
                    Some(grace) => non_negative_secs(&grace.from, grace.value)?,
                    None => WARMUP_WAITS_FOR_EVERY_REPLY,
                };
                Some((StopRule::Duration { duration, grace }, &g.from))
            }
            None => None,
        };
        if let (Some(g), None) = (&w.grace_period, &w.duration) {
            return Err(SettingError::new(
                &g.from,
                "needs --warmup-duration; a count-bound warmup waits for every reply",
            ));
        }
        let sessions = at_least_one(&w.sessions)?.map(|n| {
            let from = &w.sessions.as_ref().expect("given").from;
            (StopRule::Sessions { sessions: n }, from)
        });
        let rules: Vec<_> = [count, duration, sessions].into_iter().flatten().collect();
        if let [(_, first), (_, second), ..] = rules[..] {
            return Err(SettingError::new(
                second,
                format!(
                    "cannot be combined with {}; the warmup phase stops on one rule",
                    first.name()
                ),
            ));
        }
        if self
            .warmup_request_count
            .as_ref()
            .is_some_and(|g| g.value == 0)
        {
            // `--warmup-request-count 0` removes the file's warmups.
            phases.retain(|p| p.kind == PhaseKind::Profiling);
        }
        let template = phases
            .iter()
            .find(|p| p.kind == PhaseKind::Profiling)
            .cloned();
        match (rules.first(), template) {
            (Some(&(stop, _)), Some(template)) => {
                phases.retain(|p| p.kind == PhaseKind::Profiling);
                let mut warmup = Phase {
                    name: "warmup".into(),
                    kind: PhaseKind::Warmup,
                    stop,
                    controls: Default::default(),
                    ..template
                };
                self.reshape_warmup(&mut warmup)?;
                phases.insert(0, warmup);
            }
            (Some(_), None) => {}
            (None, _) => {
                let mut any = false;
                for warmup in phases.iter_mut().filter(|p| p.kind == PhaseKind::Warmup) {
                    any = true;
                    self.reshape_warmup(warmup)?;
                }
                if let (Some(flag), false) = (w.first_shape_flag(), any) {
                    return Err(SettingError::new(
                        flag,
                        "shapes the warmup phase, which needs --warmup-request-count, --warmup-duration or --num-warmup-sessions",
                    ));
                }
            }
        }
        Ok(phases)
    }

    /// The `--warmup-*` arrival and shape flags over `warmup`, each falling back to the
    /// measured phase's value as AIPerf's do.
    fn reshape_warmup(&self, warmup: &mut Phase) -> Result<(), SettingError> {
        let w = &self.shape.warmup;
        let concurrency = at_least_one(&w.concurrency)?;
        if let Some(r) = &w.request_rate {
            check_request_rate(r.value).map_err(|e| SettingError::new(&r.from, e))?;
            if self.schedule.fixed_schedule {
                return Err(SettingError::new(
                    &r.from,
                    "cannot be combined with --fixed-schedule, which sends at the trace's timestamps",
                ));
            }
        }
        let arrival = &mut warmup.arrival;
        if let Some(rate) = value(&w.request_rate) {
            // A closed-loop measured phase's concurrency of 1 is a default, not a cap the
            // warmup's rate should keep.
            if arrival.request_rate.is_none() && self.concurrency.is_none() {
                arrival.concurrency = None;
            }
            arrival.request_rate = Some(rate);
        }
        if let Some(c) = concurrency {
            arrival.concurrency = Some(c);
        }
        if let Some(choice) = value(&w.arrival_pattern) {
            arrival.pattern = warmup_pattern(choice, arrival, value(&self.arrival_smoothness));
        }
        let shape = &mut warmup.shape;
        if let Some(d) = ramp(&w.concurrency_ramp)? {
            shape.concurrency_ramp = Some(d);
        }
        match (ramp(&w.rate_ramp)?, warmup.arrival.request_rate) {
            (Some(_), None) => {
                let from = &w.rate_ramp.as_ref().expect("given").from;
                return Err(SettingError::new(
                    from,
                    "needs a warmup request rate (--warmup-request-rate or --request-rate)",
                ));
            }
            (Some(d), Some(_)) => shape.rate_ramp = Some(d),
            (None, None) => shape.rate_ramp = None,
            (None, Some(_)) => {}
        }
        if warmup.arrival.concurrency.is_none() {
            shape.concurrency_ramp = None;
        }
        if let Some(p) = at_least_one(&w.prefill_concurrency)? {
            shape.prefill_concurrency = Some(p);
        }
        if let Some(d) = ramp(&w.prefill_ramp)? {
            if shape.prefill_concurrency.is_none() {
                let from = &w.prefill_ramp.as_ref().expect("given").from;
                return Err(SettingError::new(
                    from,
                    "needs a prefill cap (--warmup-prefill-concurrency or --prefill-concurrency)",
                ));
            }
            shape.prefill_ramp = Some(d);
        }
        Ok(())
    }

    /// AIPerf's rules across the resolved phases: the prefill cap at most the concurrency,
    /// and only on a streamed reply (the first token is the first SSE event).
    fn check_shapes(&self, phases: &[Phase]) -> Result<(), SettingError> {
        let s = &self.shape;
        for phase in phases {
            let Some(prefill) = phase.shape.prefill_concurrency else {
                continue;
            };
            let warmup = phase.kind == PhaseKind::Warmup;
            let from = match (
                warmup,
                &s.warmup.prefill_concurrency,
                &s.prefill_concurrency,
            ) {
                (true, Some(g), _) | (_, _, Some(g)) => g.from.clone(),
                _ => self
                    .phases
                    .as_ref()
                    .map_or(Origin::Flag("--prefill-concurrency"), |g| g.from.clone()),
            };
            if !value(&self.streaming).unwrap_or(false) {
                return Err(SettingError::new(
                    &from,
                    "needs --streaming: a request holds its prefill slot until the first event of its streamed reply",
                ));
            }
            if let Some(c) = phase.arrival.concurrency.filter(|&c| prefill > c) {
                return Err(SettingError::new(
                    &from,
                    format!(
                        "{prefill} is above the {} phase's concurrency {c}; it must be at most that",
                        phase.name
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn warmup_pattern(
    choice: PatternChoice,
    arrival: &Arrival,
    smoothness: Option<f64>,
) -> ArrivalPattern {
    match choice {
        PatternChoice::Poisson => ArrivalPattern::Poisson,
        PatternChoice::Constant => ArrivalPattern::Constant,
        PatternChoice::Gamma => ArrivalPattern::Gamma {
            smoothness: match arrival.pattern {
                ArrivalPattern::Gamma { smoothness } => smoothness,
                _ => smoothness.unwrap_or(DEFAULT_SMOOTHNESS),
            },
        },
    }
}
