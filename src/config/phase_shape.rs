//! A YAML phase's load-shape keys (AIPerf's YAML v2 names): `concurrency_ramp`, `rate_ramp`,
//! `prefill_concurrency` and `prefill_ramp`. A ramp is seconds, or `{duration, strategy}`.

use std::time::Duration;

use super::walk::{Section, Walker};
use super::yaml::NodeKind;
use super::LoadShape;

/// Keys of a ramp written as a mapping (AIPerf's `RampConfig`).
pub const RAMP_KEYS: &[&str] = &["duration", "strategy"];

/// Reads the shape keys of the phase in `sec`; `rate_phase` says whether it has a rate.
pub fn read<'a>(w: &mut Walker<'a>, sec: &Section<'a>, rate_phase: bool) -> LoadShape {
    let concurrency_ramp = ramp(w, sec, "concurrency_ramp");
    let rate_ramp = ramp(w, sec, "rate_ramp");
    let prefill_ramp = ramp(w, sec, "prefill_ramp");
    let prefill_concurrency = sec.get("prefill_concurrency").and_then(|v| {
        let path = sec.path_of("prefill_concurrency");
        let n = w.whole(v, &path, 1)?;
        u32::try_from(n).ok().or_else(|| {
            w.err(v.line, &path, "too large; at most 4294967295");
            None
        })
    });
    let line = |key: &str| sec.get(key).map_or(0, |v| v.line);
    if let (Some(_), false) = (sec.get("rate_ramp"), rate_phase) {
        w.err(
            line("rate_ramp"),
            &sec.path_of("rate_ramp"),
            "applies to rate phases (poisson, constant, gamma); a concurrency phase ramps with concurrency_ramp",
        );
    }
    if let (Some(_), None) = (sec.get("concurrency_ramp"), sec.get("concurrency")) {
        w.err(
            line("concurrency_ramp"),
            &sec.path_of("concurrency_ramp"),
            "needs 'concurrency', the value it ramps to from 1",
        );
    }
    if let (Some(_), None) = (sec.get("prefill_ramp"), sec.get("prefill_concurrency")) {
        w.err(
            line("prefill_ramp"),
            &sec.path_of("prefill_ramp"),
            "needs 'prefill_concurrency', the value it ramps to from 1",
        );
    }
    let concurrency = sec.get("concurrency").and_then(|v| match v.node.kind {
        NodeKind::Int(n) => Some(n),
        _ => None,
    });
    if let (Some(p), Some(c)) = (prefill_concurrency, concurrency) {
        if i64::from(p) > c {
            w.err(
                line("prefill_concurrency"),
                &sec.path_of("prefill_concurrency"),
                format!("{p} is above the phase's concurrency {c}; it must be at most that"),
            );
        }
    }
    LoadShape {
        concurrency_ramp,
        rate_ramp,
        prefill_concurrency,
        prefill_ramp,
    }
}

/// A ramp: seconds, or `{duration: seconds, strategy: linear}`.
fn ramp<'a>(w: &mut Walker<'a>, sec: &Section<'a>, key: &str) -> Option<Duration> {
    let v = sec.get(key)?;
    let path = sec.path_of(key);
    let (duration, at) = match &v.node.kind {
        NodeKind::Map(_) => {
            let ramp = w.section(v, &path, RAMP_KEYS)?;
            if let Some(s) = ramp.get("strategy") {
                let strategy = w.string(s, &ramp.path_of("strategy"))?;
                if strategy != "linear" {
                    w.err(
                        s.line,
                        &ramp.path_of("strategy"),
                        format!("'{strategy}' ramps are not built; gauntlet ramps linearly (strategy: linear)"),
                    );
                    return None;
                }
            }
            let Some(d) = ramp.get("duration") else {
                w.err(v.line, &path, "needs 'duration' (seconds)");
                return None;
            };
            (d, ramp.path_of("duration"))
        }
        _ => (v, path),
    };
    let secs = w.positive(duration, &at)?;
    match super::ramp_secs(secs) {
        Ok(d) => Some(d),
        Err(e) => {
            w.err(duration.line, &at, e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::{ConfigFile, LoadShape, Phase};

    fn phases(phase: &str) -> Result<Vec<Phase>, String> {
        let text =
            format!("schemaVersion: \"2.0\"\nbenchmark:\n  model: m\n  phases:\n    - {phase}\n");
        ConfigFile::parse(&text, "w.yaml")
            .unwrap()
            .resolve()
            .map(|s| s.phases.unwrap())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn ramps_are_seconds_or_a_linear_mapping() {
        let got = phases(
            "{type: poisson, rate: 10, concurrency: 4, requests: 9, concurrency_ramp: 2, rate_ramp: {duration: 3, strategy: linear}, prefill_concurrency: 2, prefill_ramp: {duration: 1.5}}",
        )
        .unwrap();
        assert_eq!(
            got[0].shape,
            LoadShape {
                concurrency_ramp: Some(Duration::from_secs(2)),
                rate_ramp: Some(Duration::from_secs(3)),
                prefill_concurrency: Some(2),
                prefill_ramp: Some(Duration::from_millis(1500)),
            }
        );
    }

    #[test]
    fn misplaced_or_unbuilt_ramps_are_refused_naming_the_key() {
        for (phase, says) in [
            (
                "{type: concurrency, concurrency: 2, requests: 3, rate_ramp: 2}",
                "w.yaml:5: benchmark.phases[0].rate_ramp: applies to rate phases",
            ),
            (
                "{type: poisson, rate: 2, requests: 3, concurrency_ramp: 2}",
                "benchmark.phases[0].concurrency_ramp: needs 'concurrency'",
            ),
            (
                "{type: concurrency, concurrency: 2, requests: 3, prefill_ramp: 2}",
                "benchmark.phases[0].prefill_ramp: needs 'prefill_concurrency'",
            ),
            (
                "{type: concurrency, concurrency: 2, requests: 3, prefill_concurrency: 3}",
                "benchmark.phases[0].prefill_concurrency: 3 is above the phase's concurrency 2",
            ),
            (
                "{type: concurrency, concurrency: 2, requests: 3, concurrency_ramp: {duration: 2, strategy: exponential}}",
                "benchmark.phases[0].concurrency_ramp.strategy: 'exponential' ramps are not built",
            ),
            (
                "{type: concurrency, concurrency: 2, requests: 3, concurrency_ramp: 0}",
                "benchmark.phases[0].concurrency_ramp",
            ),
        ] {
            let err = phases(phase).unwrap_err();
            assert!(err.contains(says), "{phase}: {err}");
        }
    }
}
