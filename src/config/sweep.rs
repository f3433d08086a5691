//! `sweep:` in a config file: which dotted paths to vary and over which values, checked
//! against the schema when the file is loaded, so a typo in a path fails before any request.

use super::dataset::DATASET_KEYS;
use super::phases::PHASE_KEYS;
use super::schema_keys::{BENCHMARK_KEYS, ENDPOINT_KEYS, REPEAT_KEYS};
use super::walk::{normalize, path_segments, Segment, Val, Walker};
use super::yaml::{Node, NodeKind};

/// Keys of `sweep`.
pub const SWEEP_KEYS: &[&str] = &["type", "parameters"];

/// More variations than this is almost certainly a mistake in a list, not a plan.
pub const MAX_VARIATIONS: usize = 10_000;

/// How the parameters' value lists combine into variations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepKind {
    /// Every combination; the first parameter varies slowest.
    Grid,
    /// The i-th values of every list together; the lists have the same length.
    Zip,
}

/// One swept path and its values, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepParameter {
    /// The dotted path as written (`benchmark.phases[1].concurrency`).
    pub path: String,
    /// A short name for labels and folders: the last key of the path, or the whole path
    /// when another parameter ends in the same key.
    pub name: String,
    /// Line of the path in the file.
    pub line: usize,
    /// The values, each a scalar or a whole mapping / list, with their file lines.
    pub values: Vec<Node>,
}

/// A validated `sweep:` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// Grid or zip.
    pub kind: SweepKind,
    /// In file order.
    pub parameters: Vec<SweepParameter>,
}

impl Sweep {
    /// The value index of every parameter, one list per variation, in run order.
    pub fn combinations(&self) -> Vec<Vec<usize>> {
        let lens: Vec<usize> = self.parameters.iter().map(|p| p.values.len()).collect();
        match self.kind {
            SweepKind::Zip => {
                let n = lens.iter().copied().min().unwrap_or(0);
                (0..n).map(|i| vec![i; lens.len()]).collect()
            }
            SweepKind::Grid => {
                let mut out: Vec<Vec<usize>> = vec![Vec::new()];
                for len in lens {
                    out = out
                        .into_iter()
                        .flat_map(|prefix| {
                            (0..len).map(move |i| {
                                let mut next = prefix.clone();
                                next.push(i);
                                next
                            })
                        })
                        .collect();
                }
                out
            }
        }
    }

    fn count(&self) -> usize {
        let lens = self.parameters.iter().map(|p| p.values.len());
        match self.kind {
            SweepKind::Zip => lens.min().unwrap_or(0),
            SweepKind::Grid => lens.fold(1usize, |acc, n| acc.saturating_mul(n)),
        }
    }
}

/// Reads `sweep:`; `None` when it has errors (recorded in `w`, with lines).
pub fn read<'a>(w: &mut Walker<'a>, val: Val<'a>) -> Option<Sweep> {
    let sec = w.section(val, "sweep", SWEEP_KEYS)?;
    let before = w.errors.len();
    let kind = match sec.get("type") {
        None => SweepKind::Grid,
        Some(v) => match w.string(v, "sweep.type").as_deref() {
            Some("grid") => SweepKind::Grid,
            Some("zip") => SweepKind::Zip,
            Some(other) => {
                w.err(
                    v.line,
                    "sweep.type",
                    format!("unknown sweep type '{other}'; expected grid (every combination) or zip (the i-th values together)"),
                );
                SweepKind::Grid
            }
            None => SweepKind::Grid,
        },
    };
    let Some(params) = sec.get("parameters") else {
        w.err(
            sec.line,
            "sweep.parameters",
            "missing; write parameters: {<dotted.path>: [value, …]}, e.g. benchmark.phases[0].concurrency: [8, 16]",
        );
        return None;
    };
    let NodeKind::Map(entries) = &params.node.kind else {
        let got = params.node.describe();
        w.err(
            params.line,
            "sweep.parameters",
            format!("expected a mapping of dotted paths to lists of values, got {got}"),
        );
        return None;
    };
    if entries.is_empty() {
        w.err(
            params.line,
            "sweep.parameters",
            "empty; name at least one dotted path with a list of values",
        );
        return None;
    }
    let mut parameters: Vec<SweepParameter> = Vec::with_capacity(entries.len());
    for entry in entries {
        let at = format!("sweep.parameters.{}", entry.key);
        if let Err(message) = check_path(&entry.key) {
            w.err(entry.key_line, &at, message);
            continue;
        }
        let canonical = canonical_path(&entry.key);
        if let Some(first) = parameters
            .iter()
            .find(|p| canonical_path(&p.path) == canonical)
        {
            let line = first.line;
            w.err(
                entry.key_line,
                &at,
                format!("swept twice (also on line {line}); give each path one list"),
            );
            continue;
        }
        let values = match &entry.value.kind {
            NodeKind::Seq(items) if !items.is_empty() => items.clone(),
            NodeKind::Seq(_) => {
                w.err(entry.key_line, &at, "empty list; give at least one value");
                continue;
            }
            _ => {
                let got = entry.value.describe();
                w.err(
                    entry.key_line,
                    &at,
                    format!(
                        "expected a list of values ([8, 16] or one '- value' per line), got {got}"
                    ),
                );
                continue;
            }
        };
        parameters.push(SweepParameter {
            path: entry.key.clone(),
            name: String::new(),
            line: entry.key_line,
            values,
        });
    }
    if w.errors.len() > before {
        return None;
    }
    name_parameters(&mut parameters);
    let sweep = Sweep { kind, parameters };
    if kind == SweepKind::Zip {
        let lens: Vec<usize> = sweep.parameters.iter().map(|p| p.values.len()).collect();
        if lens.iter().any(|&n| n != lens[0]) {
            let listed: Vec<String> = sweep
                .parameters
                .iter()
                .map(|p| format!("{} ({})", p.values.len(), p.path))
                .collect();
            w.err(
                params.line,
                "sweep.parameters",
                format!(
                    "a zip sweep needs lists of the same length; got {}",
                    listed.join(", ")
                ),
            );
            return None;
        }
    }
    let count = sweep.count();
    if count > MAX_VARIATIONS {
        w.err(
            params.line,
            "sweep.parameters",
            format!(
                "{count} variations; at most {MAX_VARIATIONS} (split the sweep into several files)"
            ),
        );
        return None;
    }
    Some(sweep)
}

/// `benchmark.phases.1.concurrency` and `benchmark.phases[1].concurrency` (either key
/// spelling) are the same path.
fn canonical_path(path: &str) -> String {
    path_segments(path)
        .iter()
        .map(|s| match s {
            Segment::Key(k) => normalize(k),
            Segment::Index(i) => i.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn name_parameters(parameters: &mut [SweepParameter]) {
    let last_key = |path: &str| {
        path_segments(path)
            .iter()
            .rev()
            .find_map(|s| match s {
                Segment::Key(k) if k.parse::<usize>().is_err() => Some(k.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| path.to_string())
    };
    let short: Vec<String> = parameters.iter().map(|p| last_key(&p.path)).collect();
    for (i, p) in parameters.iter_mut().enumerate() {
        let clash = short
            .iter()
            .enumerate()
            .any(|(j, s)| j != i && normalize(s) == normalize(&short[i]));
        p.name = if clash {
            p.path.clone()
        } else {
            short[i].clone()
        };
    }
}

/// Where in the schema a path step lands.
#[derive(Clone, Copy)]
enum Place {
    Top,
    Benchmark,
    Endpoint,
    Dataset,
    Phases,
    Phase,
    /// A single value: nothing lies below it.
    Scalar(&'static str),
    /// Below here the keys are the user's (headers, request fields) or a distribution's,
    /// which resolution checks in full.
    Open,
}

/// Checks that `path` names a key the schema has; `Err` says which step is wrong and what
/// is allowed there.
pub fn check_path(path: &str) -> Result<(), String> {
    let segments = path_segments(path);
    if segments.is_empty() {
        return Err(
            "empty path; write a dotted path such as benchmark.phases[0].concurrency".into(),
        );
    }
    let mut place = Place::Top;
    let mut at = String::new();
    for segment in segments {
        let key = match segment {
            Segment::Key(k) if k.parse::<usize>().is_err() => Some(normalize(k)),
            _ => None,
        };
        let index = match segment {
            Segment::Index(i) => Some(i),
            Segment::Key(k) => k.parse::<usize>().ok(),
        };
        let keyed = |allowed: &[&str], owner: &str| -> Result<String, String> {
            match &key {
                Some(k) if allowed.contains(&k.as_str()) => Ok(k.clone()),
                Some(k) => Err(format!(
                    "'{k}' is not a key of {owner}; it takes: {}",
                    allowed.join(", ")
                )),
                None => Err(format!(
                    "{owner} is a mapping, not a list; name one of its keys"
                )),
            }
        };
        place = match place {
            Place::Top => {
                keyed(&["benchmark"], "the top level")?;
                Place::Benchmark
            }
            Place::Benchmark => {
                let mut allowed: Vec<&str> = BENCHMARK_KEYS.to_vec();
                allowed.retain(|k| !REPEAT_KEYS.contains(k));
                if key.as_deref().is_some_and(|k| REPEAT_KEYS.contains(&k)) {
                    return Err(
                        "repeat settings apply to the whole sweep; set them under benchmark:, not in sweep:"
                            .into(),
                    );
                }
                match keyed(&allowed, "benchmark")?.as_str() {
                    "endpoint" => Place::Endpoint,
                    "dataset" => Place::Dataset,
                    "phases" => Place::Phases,
                    _ => Place::Scalar("benchmark"),
                }
            }
            Place::Endpoint => match keyed(ENDPOINT_KEYS, "benchmark.endpoint")?.as_str() {
                "headers" | "extra_inputs" | "url" => Place::Open,
                _ => Place::Scalar("benchmark.endpoint"),
            },
            Place::Dataset => {
                keyed(DATASET_KEYS, "benchmark.dataset")?;
                Place::Open
            }
            Place::Phases => match index {
                Some(_) => Place::Phase,
                None => {
                    return Err(format!(
                        "benchmark.phases is a list; address a phase by its position, e.g. benchmark.phases[0].{}",
                        key.unwrap_or_default()
                    ))
                }
            },
            Place::Phase => match keyed(PHASE_KEYS, "a phase")?.as_str() {
                // `cancellation: {rate, delay}`: resolution checks its keys.
                "cancellation" => Place::Open,
                _ => Place::Scalar("a phase"),
            },
            Place::Scalar(owner) => {
                return Err(format!(
                    "{at} takes a single value, so nothing lies below it (keys of {owner} are not mappings)"
                ))
            }
            Place::Open => Place::Open,
        };
        at = match segment {
            Segment::Key(k) if !at.is_empty() => format!("{at}.{k}"),
            Segment::Key(k) => k.to_string(),
            Segment::Index(i) => format!("{at}[{i}]"),
        };
    }
    Ok(())
}

/// A value in YAML flow style on one line (`512`, `{mean: 512, stddev: 64}`, `[1, 2]`): how
/// a variation's values appear in labels, folder names and messages.
pub fn flow(node: &Node) -> String {
    match &node.kind {
        NodeKind::Null => "null".into(),
        NodeKind::Bool(b) => b.to_string(),
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Float(f) => f.to_string(),
        NodeKind::Str(s) => {
            let plain = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
                && s.parse::<f64>().is_err()
                && !matches!(s.as_str(), "true" | "false" | "null" | "~");
            if plain {
                s.clone()
            } else {
                serde_json::Value::from(s.as_str()).to_string()
            }
        }
        NodeKind::Seq(items) => {
            let inner: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        NodeKind::Map(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", e.key, flow(&e.value)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}
