//! Multi-turn sessions: AIPerf's `--conversation-*` flags over the file's
//! `turns`/`turn_delay`/`session_graph`.

use super::{Given, Opt, SettingError};
use crate::config::{
    LengthPlan, PromptPlan, SessionGraphSpec, SessionPlan, SpecKeys, SyntheticPlan,
    DEFAULT_DELAY_RATIO, DEFAULT_TURNS,
};
use crate::dist::{DistSpec, Shape};

const TURN_MEAN: &str = "--conversation-turn-mean";
const DELAY_MEAN: &str = "--conversation-turn-delay-mean";

/// Session settings; each flag given beats the file (see docs/sessions.md).
#[derive(Debug, Clone, Default)]
pub struct SessionSettings {
    /// `--conversation-num`.
    pub conversation_num: Opt<u32>,
    /// `--conversation-turn-mean`.
    pub turn_mean: Opt<f64>,
    /// `--conversation-turn-stddev`.
    pub turn_stddev: Opt<f64>,
    /// `--conversation-turn-delay-mean`.
    pub delay_mean: Opt<f64>,
    /// `--conversation-turn-delay-stddev`.
    pub delay_stddev: Opt<f64>,
    /// `--conversation-turn-delay-ratio`.
    pub delay_ratio: Opt<f64>,
    /// The file's `turns`.
    pub turns: Opt<DistSpec>,
    /// The file's `turn_delay`.
    pub turn_delay: Opt<DistSpec>,
    /// The file's `session_graph`.
    pub session_graph: Opt<SessionGraphSpec>,
}

impl SessionSettings {
    /// These settings (the flags) over the file's.
    pub fn over(self, file: SessionSettings) -> SessionSettings {
        SessionSettings {
            conversation_num: self.conversation_num.or(file.conversation_num),
            turn_mean: self.turn_mean.or(file.turn_mean),
            turn_stddev: self.turn_stddev.or(file.turn_stddev),
            delay_mean: self.delay_mean.or(file.delay_mean),
            delay_stddev: self.delay_stddev.or(file.delay_stddev),
            delay_ratio: self.delay_ratio.or(file.delay_ratio),
            turns: self.turns.or(file.turns),
            turn_delay: self.turn_delay.or(file.turn_delay),
            session_graph: self.session_graph.or(file.session_graph),
        }
    }

    /// The synthetic plan from the resolved `lengths` and `entries`, with sessions from the
    /// flags over the file's: turn flags replace the file's `turns` (a missing mean comes from
    /// the file, then 1) and its `session_graph`; delay flags replace its `turn_delay`.
    pub fn synthetic(
        &self,
        lengths: LengthPlan,
        entries: u32,
        prompt: PromptPlan,
    ) -> Result<SyntheticPlan, SettingError> {
        let entries = match &self.conversation_num {
            Some(Given { value: 0, from }) => {
                return Err(SettingError::new(from, "must be at least 1"))
            }
            Some(n) => n.value,
            None => entries,
        };
        let delay_ratio = match &self.delay_ratio {
            Some(Given { value: r, from }) if !(r.is_finite() && *r >= 0.0) => {
                return Err(SettingError::new(
                    from,
                    format!("must be a number >= 0, got {r}"),
                ))
            }
            r => r.as_ref().map_or(DEFAULT_DELAY_RATIO, |r| r.value),
        };
        let file_turns = self.turns.as_ref().map(|t| &t.value);
        let file_delay = self.turn_delay.as_ref().map(|t| &t.value);
        let turns = normal(
            TURN_MEAN,
            value(&self.turn_mean),
            value(&self.turn_stddev),
            file_turns,
            DEFAULT_TURNS,
        )?;
        let delay = normal(
            DELAY_MEAN,
            value(&self.delay_mean),
            value(&self.delay_stddev),
            file_delay,
            0.0,
        )?;
        let graph = match (turns, delay) {
            (None, None) => match file_turns {
                Some(t) => Some(SessionGraphSpec::chat(t.clone(), file_delay.cloned())),
                None => self.session_graph.as_ref().map(|g| g.value.clone()),
            },
            (turns, delay) => {
                let turns = match turns.or(file_turns.cloned()) {
                    Some(t) => t,
                    None => fixed(TURN_MEAN, DEFAULT_TURNS)?,
                };
                let spec = SessionGraphSpec::chat(turns, delay.or(file_delay.cloned()));
                let keys = SpecKeys {
                    count: TURN_MEAN,
                    width: TURN_MEAN,
                    fan_in: TURN_MEAN,
                    wait: DELAY_MEAN,
                };
                spec.check(keys).map_err(|e| {
                    let flag = if e.key == DELAY_MEAN {
                        DELAY_MEAN
                    } else {
                        TURN_MEAN
                    };
                    SettingError::flag(flag, e.message)
                })?;
                Some(spec)
            }
        };
        let sessions = graph
            .filter(|g| !g.is_single_turn())
            .map(|graph| SessionPlan { graph, delay_ratio });
        Ok(SyntheticPlan {
            lengths,
            entries,
            sessions,
            prompt,
        })
    }
}

fn value<T: Copy>(given: &Opt<T>) -> Option<T> {
    given.as_ref().map(|g| g.value)
}

/// A normal distribution from a mean/stddev flag pair, if either was given: a missing mean
/// comes from the file's fixed or normal `file` spec, then `default`.
fn normal(
    flag: &'static str,
    mean: Option<f64>,
    stddev: Option<f64>,
    file: Option<&DistSpec>,
    default: f64,
) -> Result<Option<DistSpec>, SettingError> {
    if mean.is_none() && stddev.is_none() {
        return Ok(None);
    }
    let file_mean = file.and_then(|d| match d.shape() {
        Shape::Fixed { value } => Some(*value),
        Shape::Normal { mean, .. } => Some(*mean),
        _ => None,
    });
    let mean = mean.or(file_mean).unwrap_or(default);
    let stddev = stddev.unwrap_or(0.0);
    if !(mean.is_finite() && mean >= 0.0 && stddev.is_finite() && stddev >= 0.0) {
        return Err(SettingError::flag(
            flag,
            format!("mean and stddev must be numbers >= 0, got {mean} and {stddev}"),
        ));
    }
    if stddev == 0.0 {
        return fixed(flag, mean).map(Some);
    }
    DistSpec::new(Shape::Normal { mean, stddev }, None, None, flag)
        .map(Some)
        .map_err(|e| SettingError::flag(flag, e.to_string()))
}

fn fixed(flag: &'static str, value: f64) -> Result<DistSpec, SettingError> {
    DistSpec::fixed(value, flag).map_err(|e| SettingError::flag(flag, e.to_string()))
}
