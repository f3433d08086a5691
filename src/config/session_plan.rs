//! What a multi-turn workload looks like, as resolved into the plan: the shape of every
//! session (AIPerf's chain of turns, or Veeksha's linear and branching session graphs) and the
//! think time before each turn. `dataset::graph` turns it into each session's `TurnLinks`.
//!
//! Waits are in milliseconds everywhere here; the config reader converts Veeksha's seconds.

use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma};

use crate::dist::{DistSpec, Shape};
use crate::rng::RngRoot;

/// Most turns one session may hold: `TurnLinks` indexes turns with `u16`.
pub const MAX_TURNS: u32 = u16::MAX as u32;

/// The sessions of a multi-turn synthetic workload; the plan's `entries` is the number of
/// sessions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SessionPlan {
    /// The shape of each session.
    pub graph: SessionGraphSpec,
    /// Multiplies every wait (AIPerf's `--conversation-turn-delay-ratio`; 1 leaves them).
    pub delay_ratio: f64,
}

/// How the turns of one session depend on each other.
// One spec per plan, read once per session: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum SessionGraphSpec {
    /// A chain: turn `k` waits for turn `k-1` (AIPerf's multi-turn, Veeksha's `linear`).
    Linear {
        /// Turns per session (at least 1 is always drawn).
        turns: DistSpec,
        /// Think time before every turn after the first.
        wait: WaitSpec,
        /// Whether turn `k` resends the conversation so far (a chat) or starts afresh.
        inherit_history: bool,
    },
    /// Veeksha's layered DAG: fan-out edges forward (optionally skipping layers), then a
    /// fan-in pass so every node has parents in the layer before it.
    Branching {
        /// Number of layers.
        layers: DistSpec,
        /// Width of each layer (layer 0 is 1 wide with `single_root`).
        width: DistSpec,
        /// Children each node asks for.
        fan_out: DistSpec,
        /// Least parents each non-root node has, capped by the previous layer's width.
        fan_in: DistSpec,
        /// How many layers ahead a fan-out edge lands (1 = the next one), capped at the last.
        connection_dist: DistSpec,
        /// Think time after a node's last parent finishes.
        wait: WaitSpec,
        /// Whether each node resends one randomly chosen parent's conversation.
        inherit_history: bool,
        /// Whether layer 0 is one node (a chat that then branches).
        single_root: bool,
    },
}

/// Think time before a turn, in milliseconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum WaitSpec {
    /// Any distribution, in ms (AIPerf's `turn_delay`); negative draws become 0.
    Dist {
        /// The distribution of the delay.
        ms: DistSpec,
    },
    /// Always `ms` (Veeksha's `fixed`).
    Fixed {
        /// The wait.
        ms: f64,
    },
    /// Exponential waits (Veeksha's `poisson`).
    Poisson {
        /// Mean wait, > 0.
        mean_ms: f64,
    },
    /// Gamma waits with coefficient of variation `cv` (Veeksha's `gamma`).
    Gamma {
        /// Mean wait, > 0.
        mean_ms: f64,
        /// Standard deviation / mean, > 0.
        cv: f64,
    },
}

impl WaitSpec {
    /// No think time at all (AIPerf's default delay).
    pub fn none() -> Self {
        WaitSpec::Fixed { ms: 0.0 }
    }

    /// Wait `index` of a session, drawn from that session's wait stream, times `ratio`,
    /// as whole milliseconds.
    pub fn sample_ms<R: Rng + ?Sized>(&self, rng: &mut R, index: u64, ratio: f64) -> u64 {
        let ms = match self {
            WaitSpec::Dist { ms } => ms.sample(rng, index),
            WaitSpec::Fixed { ms } => *ms,
            WaitSpec::Poisson { mean_ms } => match Exp::new(1.0 / mean_ms) {
                Ok(exp) => exp.sample(rng),
                Err(_) => *mean_ms,
            },
            WaitSpec::Gamma { mean_ms, cv } => {
                let shape = 1.0 / (cv * cv);
                match Gamma::new(shape, mean_ms / shape) {
                    Ok(gamma) => gamma.sample(rng),
                    Err(_) => *mean_ms,
                }
            }
        };
        let scaled = (ms * ratio).round();
        if scaled.is_nan() || scaled <= 0.0 {
            0
        } else if scaled >= u64::MAX as f64 {
            u64::MAX
        } else {
            scaled as u64
        }
    }

    /// Why this wait cannot be used, if it cannot.
    fn problem(&self) -> Option<String> {
        match self {
            WaitSpec::Dist { ms } => (ms.max().is_some_and(|m| m < 0.0)
                || constant(ms).is_some_and(|v| v < 0.0))
            .then(|| "every delay would be negative; expected delays >= 0 ms".into()),
            WaitSpec::Fixed { ms } => {
                (!(ms.is_finite() && *ms >= 0.0)).then(|| format!("{ms} is not a wait >= 0"))
            }
            WaitSpec::Poisson { mean_ms } => positive(*mean_ms, "the mean wait"),
            WaitSpec::Gamma { mean_ms, cv } => {
                positive(*mean_ms, "the mean wait").or_else(|| positive(*cv, "cv"))
            }
        }
    }
}

fn positive(value: f64, what: &str) -> Option<String> {
    (!(value.is_finite() && value > 0.0)).then(|| format!("{what} must be > 0, got {value}"))
}

/// A problem with a session plan, naming the key (flag or config path) it comes from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SessionPlanError {
    /// The key as the user wrote it, e.g. `benchmark.dataset.session_graph.fan_in_generator`.
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The keys a spec's parts were written under, so errors name what the user wrote.
#[derive(Debug, Clone, Copy)]
pub struct SpecKeys<'a> {
    /// Turns (linear) or layers (branching).
    pub count: &'a str,
    /// Layer width (branching only).
    pub width: &'a str,
    /// Fan-in (branching only).
    pub fan_in: &'a str,
    /// The wait.
    pub wait: &'a str,
}

impl SessionGraphSpec {
    /// AIPerf's multi-turn: a chat of `turns` turns whose every turn resends the
    /// conversation so far, `delay` ms (none when `None`) after the previous reply.
    pub fn chat(turns: DistSpec, delay: Option<DistSpec>) -> Self {
        SessionGraphSpec::Linear {
            turns,
            wait: delay.map_or_else(WaitSpec::none, |ms| WaitSpec::Dist { ms }),
            inherit_history: true,
        }
    }

    /// Whether every session would be one lone turn, so the workload is single-turn (and
    /// built exactly as one).
    pub fn is_single_turn(&self) -> bool {
        match self {
            SessionGraphSpec::Linear { turns, .. } => {
                turns.is_deterministic()
                    && turns.sample_u32_at(&RngRoot::new(0), "config", 0, 1) == 1
            }
            SessionGraphSpec::Branching { .. } => false,
        }
    }

    /// Checks what can be known before drawing: counts that can never be ≥ 1, waits that are
    /// never ≥ 0, sessions that would always exceed [`MAX_TURNS`], and a fan-in that no
    /// layer could ever satisfy.
    pub fn check(&self, keys: SpecKeys<'_>) -> Result<(), SessionPlanError> {
        let err = |key: &str, message: String| SessionPlanError {
            key: key.to_string(),
            message,
        };
        let (count, wait) = match self {
            SessionGraphSpec::Linear { turns, wait, .. } => (turns, wait),
            SessionGraphSpec::Branching { layers, wait, .. } => (layers, wait),
        };
        at_least_one(count).map_err(|m| err(keys.count, m))?;
        if let Some(problem) = wait.problem() {
            return Err(err(keys.wait, problem));
        }
        if let SessionGraphSpec::Branching {
            layers,
            width,
            fan_in,
            single_root,
            ..
        } = self
        {
            at_least_one(width).map_err(|m| err(keys.width, m))?;
            if let (Some(n), Some(w)) = (least(layers), least(width)) {
                let nodes = if *single_root {
                    1.0 + (n - 1.0) * w
                } else {
                    n * w
                };
                if nodes > f64::from(MAX_TURNS) {
                    return Err(err(
                        keys.width,
                        format!("{n} layers {w} wide make {nodes} nodes; expected at most {MAX_TURNS} per session"),
                    ));
                }
            }
            if let (Some(f), Some(w)) = (least(fan_in), most(width)) {
                if f > w {
                    return Err(err(
                        keys.fan_in,
                        format!("a fan-in of {f} can never be met: layers are at most {w} wide; expected at most {w}"),
                    ));
                }
            }
        } else if least(count).is_some_and(|n| n > f64::from(MAX_TURNS)) {
            return Err(err(
                keys.count,
                format!("more than {MAX_TURNS} turns per session; expected at most {MAX_TURNS}"),
            ));
        }
        Ok(())
    }
}

/// Refuses counts whose every draw would be below 1 (they would silently become 1).
fn at_least_one(d: &DistSpec) -> Result<(), String> {
    match most(d) {
        Some(top) if top < 0.5 => Err(format!(
            "every draw would be {top}; expected counts of at least 1"
        )),
        _ => Ok(()),
    }
}

/// The value of a deterministic spec.
fn constant(d: &DistSpec) -> Option<f64> {
    d.is_deterministic()
        .then(|| d.sample_at(&RngRoot::new(0), "config", 0))
}

/// The least value a spec can draw, when it is known.
fn least(d: &DistSpec) -> Option<f64> {
    constant(d).or(d.min()).or(match d.shape() {
        Shape::Uniform { min, .. } => Some(*min),
        Shape::Zipf { min, .. } => Some(*min as f64),
        _ => None,
    })
}

/// The greatest value a spec can draw, when it is known.
fn most(d: &DistSpec) -> Option<f64> {
    constant(d).or(d.max()).or(match d.shape() {
        Shape::Uniform { max, .. } => Some(*max),
        Shape::Zipf { max, .. } => Some(*max as f64),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const KEYS: SpecKeys<'static> = SpecKeys {
        count: "turns",
        width: "width",
        fan_in: "fan_in",
        wait: "wait",
    };

    fn fixed(v: f64) -> DistSpec {
        DistSpec::fixed(v, "t").unwrap()
    }

    fn branching(width: f64, fan_in: f64) -> SessionGraphSpec {
        SessionGraphSpec::Branching {
            layers: fixed(3.0),
            width: fixed(width),
            fan_out: fixed(1.0),
            fan_in: fixed(fan_in),
            connection_dist: fixed(1.0),
            wait: WaitSpec::none(),
            inherit_history: true,
            single_root: true,
        }
    }

    fn linear(turns: DistSpec, wait: WaitSpec) -> SessionGraphSpec {
        SessionGraphSpec::Linear {
            turns,
            wait,
            inherit_history: true,
        }
    }

    #[test]
    fn checks_name_the_key_at_fault() {
        let zero = linear(fixed(0.0), WaitSpec::none())
            .check(KEYS)
            .unwrap_err();
        assert_eq!(zero.key, "turns");
        let huge = linear(fixed(70_000.0), WaitSpec::none()).check(KEYS);
        assert_eq!(huge.unwrap_err().key, "turns");
        let negative = WaitSpec::Dist { ms: fixed(-5.0) };
        assert_eq!(
            linear(fixed(3.0), negative).check(KEYS).unwrap_err().key,
            "wait"
        );
        let gamma = WaitSpec::Gamma {
            mean_ms: 10.0,
            cv: 0.0,
        };
        assert!(linear(fixed(3.0), gamma).check(KEYS).is_err());
        let fan_in = branching(2.0, 3.0).check(KEYS).unwrap_err();
        assert_eq!(fan_in.key, "fan_in");
        assert!(fan_in.message.contains("at most 2"), "{fan_in}");
        assert!(branching(3.0, 3.0).check(KEYS).is_ok());
        assert!(linear(fixed(3.0), WaitSpec::none()).check(KEYS).is_ok());
    }

    #[test]
    fn waits_follow_their_mean_and_ratio() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mean = |spec: &WaitSpec, ratio: f64, rng: &mut rand_chacha::ChaCha8Rng| {
            let n = 20_000;
            (0..n)
                .map(|i| spec.sample_ms(rng, i, ratio) as f64)
                .sum::<f64>()
                / n as f64
        };
        let poisson = WaitSpec::Poisson { mean_ms: 400.0 };
        let got = mean(&poisson, 1.0, &mut rng);
        assert!((got - 400.0).abs() < 15.0, "{got}");
        let gamma = WaitSpec::Gamma {
            mean_ms: 200.0,
            cv: 0.5,
        };
        let got = mean(&gamma, 2.0, &mut rng);
        assert!((got - 400.0).abs() < 10.0, "{got}");
        assert_eq!(WaitSpec::Fixed { ms: 12.4 }.sample_ms(&mut rng, 0, 1.0), 12);
        let negative = WaitSpec::Dist { ms: fixed(-3.0) };
        assert_eq!(negative.sample_ms(&mut rng, 0, 1.0), 0);
    }
}
