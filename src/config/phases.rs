//! `benchmark.phases`: the ordered list of load phases, each validated into a [`Phase`].

use std::time::Duration;

use super::defaults::DEFAULT_GRACE_SECS;
use super::walk::{Val, Walker};
use super::yaml::NodeKind;
use super::{
    request_cancellation, Arrival, ArrivalPattern, CancellationField, FailureThreshold, Phase,
    PhaseKind, RequestControls, StopRule,
};

/// Keys of one phase.
pub const PHASE_KEYS: &[&str] = &[
    "name",
    "type",
    "concurrency",
    "rate",
    "smoothness",
    "requests",
    "sessions",
    "duration",
    "grace_period",
    "exclude_from_results",
    "cancellation",
    "failed_request_threshold",
    "concurrency_ramp",
    "rate_ramp",
    "prefill_concurrency",
    "prefill_ramp",
];

/// Keys of a phase's `cancellation` (AIPerf's `CancellationConfig`).
pub const CANCELLATION_KEYS: &[&str] = &["rate", "delay"];

/// Reads `benchmark.phases`; `None` when it has errors (they are recorded in `w`).
pub fn read<'a>(w: &mut Walker<'a>, val: Val<'a>, path: &str) -> Option<Vec<Phase>> {
    let NodeKind::Seq(items) = &val.node.kind else {
        let got = val.node.describe();
        w.err(
            val.line,
            path,
            format!("expected a list of phases (- name: …, type: …), got {got}"),
        );
        return None;
    };
    if items.is_empty() {
        w.err(val.line, path, "empty; write at least one phase");
        return None;
    }
    let before = w.errors.len();
    let mut phases = Vec::with_capacity(items.len());
    for (i, node) in items.iter().enumerate() {
        let item = Val {
            node,
            line: node.line,
        };
        if let Some(phase) = read_phase(w, item, &format!("{path}[{i}]")) {
            if let Some(first) = phases.iter().position(|p: &Phase| p.name == phase.name) {
                w.err(
                    node.line,
                    &format!("{path}[{i}].name"),
                    format!(
                        "'{}' is also the name of {path}[{first}]; give each phase its own name",
                        phase.name
                    ),
                );
            }
            phases.push(phase);
        }
    }
    if w.errors.len() > before {
        return None;
    }
    if phases.iter().all(Phase::excluded_from_results) {
        w.err(
            val.line,
            path,
            "every phase has exclude_from_results: true; at least one phase must be measured",
        );
        return None;
    }
    Some(phases)
}

fn read_phase<'a>(w: &mut Walker<'a>, item: Val<'a>, path: &str) -> Option<Phase> {
    let sec = w.section(item, path, PHASE_KEYS)?;
    let before = w.errors.len();
    let line = item.line;
    let excluded = sec
        .get("exclude_from_results")
        .and_then(|v| w.boolean(v, &sec.path_of("exclude_from_results")))
        .unwrap_or(false);
    let name = match sec.get("name") {
        Some(v) => w.string(v, &sec.path_of("name")),
        None if excluded => Some("warmup".to_string()),
        None => Some("profiling".to_string()),
    };
    let concurrency = sec.get("concurrency").and_then(|v| {
        let p = sec.path_of("concurrency");
        w.whole(v, &p, 1)
            .and_then(|n| u32::try_from(n).ok().or_else(|| too_big(w, v, &p)))
    });
    let rate = sec.get("rate").and_then(|v| {
        let rate = w.positive(v, &sec.path_of("rate"))?;
        match super::defaults::check_request_rate(rate) {
            Ok(rate) => Some(rate),
            Err(e) => {
                w.err(v.line, &sec.path_of("rate"), e);
                None
            }
        }
    });
    let smoothness = sec
        .get("smoothness")
        .and_then(|v| w.positive(v, &sec.path_of("smoothness")));
    let kind = sec
        .get("type")
        .and_then(|v| w.string(v, &sec.path_of("type")));
    let kind = match (kind, sec.get("type")) {
        (Some(k), _) => k,
        (None, Some(_)) => return None,
        (None, None) => {
            w.err(
                line,
                path,
                "missing 'type'; a phase is one of: concurrency, poisson, constant, gamma",
            );
            return None;
        }
    };
    let pattern = match kind.as_str() {
        "concurrency" => None,
        "poisson" => Some(ArrivalPattern::Poisson),
        "constant" => Some(ArrivalPattern::Constant),
        "gamma" => Some(ArrivalPattern::Gamma {
            smoothness: smoothness.unwrap_or(1.0),
        }),
        other => {
            let at = sec.get("type").map_or(line, |v| v.line);
            w.err(
                at,
                &sec.path_of("type"),
                format!("unknown phase type '{other}'; expected one of: concurrency, poisson, constant, gamma"),
            );
            return None;
        }
    };
    if let (Some(v), false) = (sec.get("smoothness"), kind == "gamma") {
        w.err(
            v.line,
            &sec.path_of("smoothness"),
            format!("applies to gamma phases only; this phase is {kind}"),
        );
    }
    match pattern {
        None if sec.get("concurrency").is_none() => w.err(
            line,
            path,
            "a concurrency phase needs 'concurrency' (requests in flight, at least 1)",
        ),
        None if sec.get("rate").is_some() => w.err(
            sec.get("rate").map_or(line, |v| v.line),
            &sec.path_of("rate"),
            "a concurrency phase has no rate; for an open loop use type: poisson, constant or gamma (concurrency then caps it)",
        ),
        Some(_) if sec.get("rate").is_none() => w.err(
            line,
            path,
            format!("a {kind} phase needs 'rate' (requests per second)"),
        ),
        _ => {}
    }
    let stop = stop_rule(w, &sec, line, path);
    let controls = controls(w, &sec, excluded);
    let shape = super::phase_shape::read(w, &sec, pattern.is_some());
    if w.errors.len() > before {
        return None;
    }
    Some(Phase {
        name: name?,
        kind: if excluded {
            PhaseKind::Warmup
        } else {
            PhaseKind::Profiling
        },
        arrival: Arrival {
            concurrency,
            request_rate: if pattern.is_some() { rate } else { None },
            pattern: pattern.unwrap_or(ArrivalPattern::Poisson),
        },
        stop: stop?,
        controls,
        shape,
    })
}

/// `cancellation: {rate, delay}` and `failed_request_threshold`, validated as the flags
/// are; a warmup phase takes neither (its requests are never cancelled nor counted).
fn controls<'a>(
    w: &mut Walker<'a>,
    sec: &super::walk::Section<'a>,
    excluded: bool,
) -> RequestControls {
    let mut controls = RequestControls::default();
    if excluded {
        for key in ["cancellation", "failed_request_threshold"] {
            if let Some(v) = sec.get(key) {
                w.err(
                    v.line,
                    &sec.path_of(key),
                    "applies to measured phases only; warmup requests are never cancelled nor counted toward the threshold",
                );
            }
        }
        return controls;
    }
    if let Some(v) = sec.get("failed_request_threshold") {
        let path = sec.path_of("failed_request_threshold");
        if let Some(n) = w.number(v, &path) {
            match FailureThreshold::from_number(n) {
                Ok(t) => controls.failed_request_threshold = Some(t),
                Err(e) => w.err(v.line, &path, e),
            }
        }
    }
    let Some(v) = sec.get("cancellation") else {
        return controls;
    };
    let Some(c) = w.section(v, &sec.path_of("cancellation"), CANCELLATION_KEYS) else {
        return controls;
    };
    let before = w.errors.len();
    let rate = c.get("rate").and_then(|v| w.number(v, &c.path_of("rate")));
    let delay = c
        .get("delay")
        .and_then(|v| w.number(v, &c.path_of("delay")));
    if w.errors.len() > before {
        return controls;
    }
    match request_cancellation(rate, delay) {
        Ok(cancellation) => controls.cancellation = cancellation,
        Err((field, e)) => {
            let key = match field {
                CancellationField::Rate => "rate",
                CancellationField::Delay => "delay",
            };
            let line = c.get(key).map_or(v.line, |k| k.line);
            w.err(
                line,
                &c.path_of(key),
                e.replace("--request-cancellation-rate", "'rate'"),
            );
        }
    }
    controls
}

fn stop_rule<'a>(
    w: &mut Walker<'a>,
    sec: &super::walk::Section<'a>,
    line: usize,
    path: &str,
) -> Option<StopRule> {
    let given: Vec<&str> = ["requests", "sessions", "duration"]
        .into_iter()
        .filter(|k| sec.get(k).is_some())
        .collect();
    if let [first, second, ..] = given[..] {
        let at = sec.get(second).map_or(line, |v| v.line);
        w.err(
            at,
            path,
            format!("has both '{first}' and '{second}'; a phase stops on exactly one of them"),
        );
        return None;
    }
    let count = |w: &mut Walker<'a>, key: &str| {
        let value = sec.get(key).and_then(|v| w.whole(v, &sec.path_of(key), 1));
        if let Some(g) = sec.get("grace_period") {
            w.err(
                g.line,
                &sec.path_of("grace_period"),
                format!("applies to duration phases only; a {key} phase waits for every request"),
            );
        }
        value
    };
    match given.first().copied() {
        None => {
            w.err(
                line,
                path,
                "needs 'requests' (a count), 'sessions' (whole multi-turn sessions) or 'duration' (seconds) to say when it stops",
            );
            None
        }
        Some("requests") => Some(StopRule::Count {
            requests: count(w, "requests")?,
        }),
        Some("sessions") => Some(StopRule::Sessions {
            sessions: count(w, "sessions")?,
        }),
        Some(_) => {
            let d = sec.get("duration")?;
            let duration = w.positive(d, &sec.path_of("duration"));
            let grace = sec
                .get("grace_period")
                .and_then(|v| w.non_negative(v, &sec.path_of("grace_period")));
            let secs = |s: f64| Duration::try_from_secs_f64(s).ok();
            let duration = secs(duration?);
            let grace = secs(grace.unwrap_or(DEFAULT_GRACE_SECS));
            if duration.is_none() || grace.is_none() {
                w.err(d.line, path, "duration or grace_period is too large");
            }
            Some(StopRule::Duration {
                duration: duration?,
                grace: grace?,
            })
        }
    }
}

fn too_big<T>(w: &mut Walker<'_>, v: Val<'_>, path: &str) -> Option<T> {
    w.err(v.line, path, "too large; at most 4294967295");
    None
}
