//! `benchmark.dataset`: synthetic prompt lengths, entries and seed, multi-turn sessions
//! (AIPerf's `turns`/`turn_delay`, Veeksha's `session_graph`), image sizes and audio lengths
//! (docs/media.md), and the query and passages of rankings requests (docs/endpoints.md).

use super::file_dataset::{
    read_file_keys, read_prefix, read_video, FileKeys, PrefixKeys, VideoKeys,
};
use super::session_plan::{SessionGraphSpec, SpecKeys, WaitSpec};
use super::walk::{Section, Val, Walker};
use crate::dist::{DistSpec, SeqDist};

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
    "session_graph",
    "images",
    "audio",
    "rankings",
    "dataset",
    "sampling",
    "path",
    "format",
    "block_size",
    "synthesis",
    "prefix_prompts",
    "video",
];
const PROMPT_KEYS: &[&str] = &["isl", "osl", "sequence_distribution"];
const IMAGE_KEYS: &[&str] = &["width", "height"];
const AUDIO_KEYS: &[&str] = &["length"];
const RANKING_KEYS: &[&str] = &["passages", "passage_tokens", "query_tokens"];

/// Dataset types AIPerf knows that gauntlet does not build yet.
const LATER_TYPES: &[&str] = &["single_turn", "multi_turn", "random_pool", "mooncake_trace"];

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
    /// Turns per session (AIPerf); with `turn_delay`, a linear chat session.
    pub turns: Option<DistSpec>,
    /// Think time in ms before each turn after the first (AIPerf).
    pub turn_delay: Option<DistSpec>,
    /// Veeksha's `session_graph` (`None` also for its `single_request` type).
    pub session_graph: Option<SessionGraphSpec>,
    /// `images.width`: synthetic image width in pixels.
    pub image_width: Option<DistSpec>,
    /// `images.height`: synthetic image height in pixels.
    pub image_height: Option<DistSpec>,
    /// `audio.length`: synthetic audio clip length in seconds.
    pub audio_length: Option<DistSpec>,
    /// `rankings.passages`: passages per rankings request.
    pub rankings_passages: Option<DistSpec>,
    /// `rankings.passage_tokens`: tokens of each passage.
    pub rankings_passage_tokens: Option<DistSpec>,
    /// `rankings.query_tokens`: tokens of each query.
    pub rankings_query_tokens: Option<DistSpec>,
    /// `type: public` with `dataset: NAME`: the `--public-dataset` name (checked when read).
    pub public_dataset: Option<String>,
    /// `sampling`: the `--dataset-sampling-strategy`.
    pub sampling: Option<super::SamplingStrategy>,
    /// A `type: file` dataset's `path`, `format`, `block_size` and `synthesis`.
    pub file: FileKeys,
    /// `prefix_prompts.pool_size` and `.length`.
    pub prefix: PrefixKeys,
    /// `video`.
    pub video: VideoKeys,
}

/// Reads `benchmark.dataset`.
pub fn read<'a>(w: &mut Walker<'a>, val: Val<'a>, path: &str) -> DatasetSettings {
    let mut out = DatasetSettings::default();
    let Some(sec) = w.section(val, path, DATASET_KEYS) else {
        return out;
    };
    let mut is_file = false;
    if let Some(v) = sec.get("type") {
        let p = sec.path_of("type");
        if let Some(kind) = w.string(v, &p) {
            if kind == "file" {
                is_file = true;
            } else if LATER_TYPES.contains(&kind.as_str()) {
                w.unsupported(
                    v.line,
                    &p,
                    format!("dataset type '{kind}' is not supported yet; only 'synthetic' and 'file' are"),
                );
            } else if kind == "public" {
                out.public_dataset = read_public(w, &sec, v.line, &p);
            } else if kind != "synthetic" {
                w.err(
                    v.line,
                    &p,
                    format!("unknown dataset type '{kind}'; expected synthetic or file"),
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
    read_sessions(w, &sec, &mut out);
    read_media(w, &sec, &mut out);
    read_rankings(w, &sec, &mut out);
    read_sampling(w, &sec, &mut out);
    out.file = read_file_keys(w, &sec, is_file);
    out.prefix = read_prefix(w, &sec);
    out.video = read_video(w, &sec);
    out
}

/// `type: public`'s `dataset: NAME` (AIPerf v2), one of `--public-dataset`'s names.
fn read_public<'a>(
    w: &mut Walker<'a>,
    sec: &Section<'a>,
    type_line: usize,
    type_path: &str,
) -> Option<String> {
    let Some(v) = sec.get("dataset") else {
        w.err(
            type_line,
            type_path,
            "type 'public' needs `dataset: NAME` (e.g. sharegpt)",
        );
        return None;
    };
    let p = sec.path_of("dataset");
    let name = w.string(v, &p)?;
    if super::PublicDataset::parse(&name).is_none() {
        w.err(
            v.line,
            &p,
            format!(
                "unknown public dataset '{name}'; expected one of: {}",
                super::PublicDataset::all_names().join(", ")
            ),
        );
        return None;
    }
    Some(name)
}

/// `sampling: sequential|random|shuffle`, and `dataset:` only beside `type: public`.
fn read_sampling<'a>(w: &mut Walker<'a>, sec: &Section<'a>, out: &mut DatasetSettings) {
    if let Some(v) = sec.get("sampling") {
        let p = sec.path_of("sampling");
        if let Some(name) = w.string(v, &p) {
            out.sampling = super::SamplingStrategy::parse(&name);
            if out.sampling.is_none() {
                w.err(
                    v.line,
                    &p,
                    format!("unknown sampling '{name}'; expected sequential, random or shuffle"),
                );
            }
        }
    }
    let public = sec
        .get("type")
        .is_some_and(|t| matches!(&t.node.kind, super::yaml::NodeKind::Str(s) if s == "public"));
    if let (Some(v), false) = (sec.get("dataset"), public) {
        w.err(
            v.line,
            &sec.path_of("dataset"),
            "names a public dataset; add `type: public` beside it",
        );
    }
}

/// `images: {width, height}` and `audio: {length}`, each a distribution.
fn read_media<'a>(w: &mut Walker<'a>, sec: &Section<'a>, out: &mut DatasetSettings) {
    if let Some(v) = sec.get("images") {
        if let Some(inner) = w.section(v, &sec.path_of("images"), IMAGE_KEYS) {
            if let Some(d) = inner.get("width") {
                out.image_width = w.dist(d, &inner.path_of("width"));
            }
            if let Some(d) = inner.get("height") {
                out.image_height = w.dist(d, &inner.path_of("height"));
            }
        }
    }
    if let Some(v) = sec.get("audio") {
        if let Some(inner) = w.section(v, &sec.path_of("audio"), AUDIO_KEYS) {
            if let Some(d) = inner.get("length") {
                out.audio_length = w.dist(d, &inner.path_of("length"));
            }
        }
    }
}

/// Keys of `session_graph`, all types together; [`graph_keys`] says which type takes which.
const GRAPH_KEYS: &[&str] = &[
    "type",
    "num_request_generator",
    "request_wait_generator",
    "inherit_history",
    "num_layers_generator",
    "layer_width_generator",
    "fan_out_generator",
    "fan_in_generator",
    "connection_dist_generator",
    "single_root",
];
const WAIT_KEYS: &[&str] = &["type", "arrival_rate", "cv", "interval"];

/// `turns`/`turn_delay` (AIPerf) or `session_graph` (Veeksha), checked as a session plan.
fn read_sessions<'a>(w: &mut Walker<'a>, sec: &Section<'a>, out: &mut DatasetSettings) {
    if let Some(v) = sec.get("turns") {
        out.turns = w.dist(v, &sec.path_of("turns"));
    }
    if let Some(v) = sec.get("turn_delay") {
        out.turn_delay = w.dist(v, &sec.path_of("turn_delay"));
    }
    if let Some(turns) = &out.turns {
        let (turns_key, delay_key) = (sec.path_of("turns"), sec.path_of("turn_delay"));
        let spec = SessionGraphSpec::chat(turns.clone(), out.turn_delay.clone());
        let keys = SpecKeys {
            count: &turns_key,
            width: &turns_key,
            fan_in: &turns_key,
            wait: &delay_key,
        };
        check(w, &spec, keys, sec.line);
    }
    let Some(v) = sec.get("session_graph") else {
        return;
    };
    let p = sec.path_of("session_graph");
    if let Some(turns) = sec.get("turns") {
        w.err(
            v.line.max(turns.line),
            &p,
            format!(
                "also set as {}; write one or the other",
                sec.path_of("turns")
            ),
        );
        return;
    }
    out.session_graph = session_graph(w, v, &p);
}

fn check(w: &mut Walker<'_>, spec: &SessionGraphSpec, keys: SpecKeys<'_>, line: usize) {
    if let Err(e) = spec.check(keys) {
        let at = w.line_of(&e.key).unwrap_or(line);
        w.err(at, &e.key, e.message);
    }
}

/// Which `session_graph` keys a type takes besides `type`.
fn graph_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "linear" => &GRAPH_KEYS[1..4],
        "branching" => &GRAPH_KEYS[2..],
        _ => &[],
    }
}

/// Veeksha's `session_graph: {type: linear | branching | single_request, …}`, its defaults
/// included; `None` for `single_request` or when something is wrong (and reported).
fn session_graph<'a>(w: &mut Walker<'a>, v: Val<'a>, path: &str) -> Option<SessionGraphSpec> {
    let sec = w.section(v, path, GRAPH_KEYS)?;
    let type_path = sec.path_of("type");
    let Some(kind) = sec.get("type").and_then(|t| w.string(t, &type_path)) else {
        w.err(
            v.line,
            &type_path,
            "missing; expected linear, branching or single_request",
        );
        return None;
    };
    if !["linear", "branching", "single_request"].contains(&kind.as_str()) {
        let line = sec.get("type").map_or(v.line, |t| t.line);
        w.err(
            line,
            &type_path,
            format!(
                "unknown session graph type '{kind}'; expected linear, branching or single_request"
            ),
        );
        return None;
    }
    let allowed = graph_keys(&kind);
    let mut ok = true;
    for key in &GRAPH_KEYS[1..] {
        if let (Some(val), false) = (sec.get(key), allowed.contains(key)) {
            w.err(
                val.line,
                &sec.path_of(key),
                format!(
                    "not a key of a {kind} session graph; it takes {}",
                    allowed.join(", ")
                ),
            );
            ok = false;
        }
    }
    let dist = |w: &mut Walker<'a>, key: &str, default: DistSpec| match sec.get(key) {
        Some(val) => w.dist(val, &sec.path_of(key)),
        None => Some(default),
    };
    let uniform = |min: f64, max: f64| {
        DistSpec::new(crate::dist::Shape::Uniform { min, max }, None, None, path).ok()
    };
    let fixed = |value: f64| DistSpec::fixed(value, path).ok();
    let flag = |w: &mut Walker<'a>, key: &str| match sec.get(key) {
        Some(val) => w.boolean(val, &sec.path_of(key)),
        None => Some(true),
    };
    let wait = match sec.get("request_wait_generator") {
        Some(val) => wait(w, val, &sec.path_of("request_wait_generator")),
        None => Some(WaitSpec::Poisson { mean_ms: 1000.0 }),
    };
    let inherit_history = flag(w, "inherit_history");
    let spec = match kind.as_str() {
        "linear" => SessionGraphSpec::Linear {
            turns: dist(w, "num_request_generator", uniform(6.0, 12.0)?)?,
            wait: wait?,
            inherit_history: inherit_history?,
        },
        "branching" => SessionGraphSpec::Branching {
            layers: dist(w, "num_layers_generator", uniform(2.0, 5.0)?)?,
            width: dist(w, "layer_width_generator", uniform(1.0, 3.0)?)?,
            fan_out: dist(w, "fan_out_generator", uniform(1.0, 2.0)?)?,
            fan_in: dist(w, "fan_in_generator", uniform(1.0, 2.0)?)?,
            connection_dist: dist(w, "connection_dist_generator", fixed(1.0)?)?,
            wait: wait?,
            inherit_history: inherit_history?,
            single_root: flag(w, "single_root")?,
        },
        _ => return None,
    };
    let key = |k: &str| sec.path_of(k);
    let count = key(if kind == "linear" {
        "num_request_generator"
    } else {
        "num_layers_generator"
    });
    let (width, fan_in, wait_key) = (
        key("layer_width_generator"),
        key("fan_in_generator"),
        key("request_wait_generator"),
    );
    let keys = SpecKeys {
        count: &count,
        width: &width,
        fan_in: &fan_in,
        wait: &wait_key,
    };
    let before = w.errors.len();
    check(w, &spec, keys, v.line);
    (ok && w.errors.len() == before).then_some(spec)
}

/// Veeksha's wait generators, in its units (seconds, arrivals per second), kept in ms:
/// `{type: poisson, arrival_rate}`, `{type: gamma, arrival_rate, cv}`, `{type: fixed,
/// interval}`; without `type`, the keys written choose.
fn wait<'a>(w: &mut Walker<'a>, v: Val<'a>, path: &str) -> Option<WaitSpec> {
    let sec = w.section(v, path, WAIT_KEYS)?;
    let kind = match sec.get("type") {
        Some(t) => w.string(t, &sec.path_of("type"))?,
        None if sec.get("interval").is_some() => "fixed".into(),
        None if sec.get("cv").is_some() => "gamma".into(),
        None => "poisson".into(),
    };
    let allowed: &[&str] = match kind.as_str() {
        "poisson" => &["arrival_rate"],
        "gamma" => &["arrival_rate", "cv"],
        "fixed" => &["interval"],
        other => {
            let line = sec.get("type").map_or(v.line, |t| t.line);
            w.err(
                line,
                &sec.path_of("type"),
                format!("unknown wait type '{other}'; expected poisson, gamma or fixed"),
            );
            return None;
        }
    };
    for key in &WAIT_KEYS[1..] {
        if let (Some(val), false) = (sec.get(key), allowed.contains(key)) {
            w.err(
                val.line,
                &sec.path_of(key),
                format!(
                    "not a key of a {kind} wait; it takes {}",
                    allowed.join(", ")
                ),
            );
            return None;
        }
    }
    let read = |w: &mut Walker<'a>, key: &str, default: f64, zero_ok: bool| match sec.get(key) {
        Some(val) if zero_ok => w.non_negative(val, &sec.path_of(key)),
        Some(val) => w.positive(val, &sec.path_of(key)),
        None => Some(default),
    };
    Some(match kind.as_str() {
        "fixed" => WaitSpec::Fixed {
            ms: read(w, "interval", 1.0, true)? * 1000.0,
        },
        "gamma" => WaitSpec::Gamma {
            mean_ms: 1000.0 / read(w, "arrival_rate", 1.0, false)?,
            cv: read(w, "cv", 0.5, false)?,
        },
        _ => WaitSpec::Poisson {
            mean_ms: 1000.0 / read(w, "arrival_rate", 1.0, false)?,
        },
    })
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

/// `rankings: {passages, passage_tokens, query_tokens}`, each a distribution (the rankings
/// endpoint types; AIPerf's `--rankings-*` flags win over them).
fn read_rankings<'a>(w: &mut Walker<'a>, sec: &Section<'a>, out: &mut DatasetSettings) {
    let Some(v) = sec.get("rankings") else {
        return;
    };
    let Some(inner) = w.section(v, &sec.path_of("rankings"), RANKING_KEYS) else {
        return;
    };
    if let Some(d) = inner.get("passages") {
        out.rankings_passages = w.dist(d, &inner.path_of("passages"));
    }
    if let Some(d) = inner.get("passage_tokens") {
        out.rankings_passage_tokens = w.dist(d, &inner.path_of("passage_tokens"));
    }
    if let Some(d) = inner.get("query_tokens") {
        out.rankings_query_tokens = w.dist(d, &inner.path_of("query_tokens"));
    }
}
