//! `benchmark.dataset`: synthetic prompt lengths, entries and seed, plus the keys of features
//! still to come (multi-turn, media, rankings), which are checked now and refused by
//! `profile` with a line naming the key rather than being ignored.

use super::walk::{Section, Val, Walker};
use crate::dist::{DistSpec, SeqDist};
use crate::rng::RngRoot;

/// Keys of `benchmark.dataset`.
pub const DATASET_KEYS: &[&str] = &[
    "type",
    "entries",
    "prompts",
    "isl",
    "osl",
    "sequence_distribution",
    "random_seed",
    "turns",
    "turn_delay",
    "images",
    "audio",
    "rankings",
];
const PROMPT_KEYS: &[&str] = &["isl", "osl", "sequence_distribution"];
const IMAGE_KEYS: &[&str] = &["width", "height"];
const AUDIO_KEYS: &[&str] = &["length"];
const RANKING_KEYS: &[&str] = &["passages", "passage_tokens", "query_tokens"];

/// Dataset types AIPerf knows that gauntlet does not build yet.
const LATER_TYPES: &[&str] = &[
    "file",
    "single_turn",
    "multi_turn",
    "random_pool",
    "mooncake_trace",
    "public",
];

/// What `benchmark.dataset` sets; `None` where the file is silent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DatasetSettings {
    /// Distinct prompts.
    pub entries: Option<u32>,
    /// Input length distribution.
    pub isl: Option<DistSpec>,
    /// Output length distribution.
    pub osl: Option<DistSpec>,
    /// Paired ISL/OSL mixture (the legacy string), instead of `isl`/`osl`.
    pub seq_dist: Option<SeqDist>,
    /// `dataset.random_seed`.
    pub random_seed: Option<u64>,
}

/// Reads `benchmark.dataset`.
pub fn read<'a>(w: &mut Walker<'a>, val: Val<'a>, path: &str) -> DatasetSettings {
    let mut out = DatasetSettings::default();
    let Some(sec) = w.section(val, path, DATASET_KEYS) else {
        return out;
    };
    if let Some(v) = sec.get("type") {
        let p = sec.path_of("type");
        if let Some(kind) = w.string(v, &p) {
            if LATER_TYPES.contains(&kind.as_str()) {
                w.unsupported(
                    v.line,
                    &p,
                    format!("dataset type '{kind}' is not supported yet; only 'synthetic' is"),
                );
            } else if kind != "synthetic" {
                w.err(
                    v.line,
                    &p,
                    format!("unknown dataset type '{kind}'; expected synthetic"),
                );
            }
        }
    }
    if let Some(v) = sec.get("entries") {
        let p = sec.path_of("entries");
        out.entries = w
            .whole(v, &p, 1)
            .and_then(|n| u32::try_from(n).ok().or_else(|| too_big(w, v, &p)));
    }
    if let Some(v) = sec.get("random_seed") {
        out.random_seed = w.whole(v, &sec.path_of("random_seed"), 0);
    }
    let prompts = sec
        .get("prompts")
        .and_then(|v| w.section(v, &sec.path_of("prompts"), PROMPT_KEYS));
    for key in ["isl", "osl", "sequence_distribution"] {
        let (short, long) = (sec.get(key), prompts.as_ref().and_then(|p| p.get(key)));
        let (val, owner) = match (short, long, &prompts) {
            (Some(a), Some(b), Some(p)) => {
                w.err(
                    a.line.max(b.line),
                    &p.path_of(key),
                    format!("also set as {}; write it once", sec.path_of(key)),
                );
                continue;
            }
            (Some(a), _, _) => (a, &sec),
            (None, Some(b), Some(p)) => (b, p),
            _ => continue,
        };
        let p = owner.path_of(key);
        match key {
            "isl" => out.isl = w.dist(val, &p),
            "osl" => out.osl = w.dist(val, &p),
            _ => out.seq_dist = seq_dist(w, val, &p),
        }
    }
    if out.seq_dist.is_some() && (out.isl.is_some() || out.osl.is_some()) {
        w.err(
            sec.line,
            path,
            "sequence_distribution pairs ISL with OSL and replaces isl/osl; write one or the other",
        );
    }
    future_features(w, &sec);
    out
}

fn too_big<T>(w: &mut Walker<'_>, v: Val<'_>, path: &str) -> Option<T> {
    w.err(v.line, path, "too large; at most 4294967295");
    None
}

fn seq_dist<'a>(w: &mut Walker<'a>, v: Val<'a>, path: &str) -> Option<SeqDist> {
    let text = w.string(v, path)?;
    match SeqDist::parse(&text, path) {
        Ok(seq) => Some(seq),
        Err(e) => {
            w.full(v.line, path, e.to_string());
            None
        }
    }
}

/// Multi-turn, media and rankings keys: parsed and checked like the rest, and listed as
/// unsupported when they ask for something other than the single-turn text default.
fn future_features<'a>(w: &mut Walker<'a>, sec: &Section<'a>) {
    let turns_trivial = match sec.get("turns") {
        Some(v) => {
            let p = sec.path_of("turns");
            let trivial = w.dist(v, &p).map_or(true, |d| is_constant(&d, 1.0));
            if !trivial {
                w.unsupported(
                    v.line,
                    &p,
                    "multi-turn sessions are not supported yet (issue #5); remove the key or set it to 1",
                );
            }
            trivial
        }
        None => true,
    };
    if let Some(v) = sec.get("turn_delay") {
        let p = sec.path_of("turn_delay");
        let delay = w.dist(v, &p);
        if turns_trivial && delay.is_some_and(|d| !is_constant(&d, 0.0)) {
            w.unsupported(
                v.line,
                &p,
                "delays between turns are not supported yet (multi-turn is issue #5); remove the key",
            );
        }
    }
    let media = [
        ("images", IMAGE_KEYS, "image inputs (issue #6)"),
        ("audio", AUDIO_KEYS, "audio inputs (issue #6)"),
        ("rankings", RANKING_KEYS, "rankings requests"),
    ];
    for (key, keys, what) in media {
        let Some(v) = sec.get(key) else { continue };
        let p = sec.path_of(key);
        let Some(inner) = w.section(v, &p, keys) else {
            continue;
        };
        let mut asks = false;
        for sub in keys {
            if let Some(sv) = inner.get(sub) {
                let d = w.dist(sv, &inner.path_of(sub));
                asks |= d.is_some_and(|d| !is_constant(&d, 0.0));
            }
        }
        if asks {
            w.unsupported(
                v.line,
                &p,
                format!("{what} are not supported yet; remove the key"),
            );
        }
    }
}

/// Whether every draw of `d` is `value` (a deterministic spec draws the same at any index).
fn is_constant(d: &DistSpec, value: f64) -> bool {
    d.is_deterministic() && d.sample_at(&RngRoot::new(0), "config", 0) == value
}
