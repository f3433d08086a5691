//! AIPerf's YAML v2 config file: read once into a line-numbered tree, optionally edited by
//! dotted path (what a sweep does per variation), then resolved into [`FileSettings`]: the
//! values the file sets, validated, with every error collected.

use std::path::Path;
use std::time::Duration;

use super::dataset::{self, DatasetSettings};
use super::error::{ConfigError, ConfigErrors};
use super::phases;
use super::schema_keys::{BENCHMARK_KEYS, ENDPOINT_KEYS, TOP_KEYS};
use super::sweep::{self, Sweep};
use super::walk::{normalize, path_segments, Section, Segment, Val, Walker};
use super::yaml::{self, Entry, Node, NodeKind};
use super::{EndpointType, Phase, ServerUrl};

/// A parsed config file, not yet checked against the schema.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    name: String,
    root: Node,
}

/// What a config file sets, validated; `None` (or empty) where it is silent, so command-line
/// flags and defaults can fill in. Built only by [`ConfigFile::resolve`].
#[derive(Clone, Default)]
pub struct FileSettings {
    /// `benchmark.model` (a list is joined by commas, as `--model a,b`).
    pub model: Option<String>,
    /// `benchmark.model_selection_strategy`.
    pub model_selection: Option<super::ModelSelection>,
    /// `benchmark.endpoint.custom_endpoint`.
    pub custom_endpoint: Option<String>,
    /// `benchmark.endpoint.wait_for_model_timeout` (≥ 0).
    pub wait_for_model_timeout: Option<f64>,
    /// `benchmark.endpoint.wait_for_model_mode`.
    pub wait_for_model_mode: Option<super::WaitMode>,
    /// `benchmark.endpoint.wait_for_model_interval` (> 0).
    pub wait_for_model_interval: Option<f64>,
    /// `benchmark.endpoint.url` (a string or a list).
    pub urls: Option<Vec<ServerUrl>>,
    /// `benchmark.endpoint.type`.
    pub endpoint: Option<EndpointType>,
    /// `benchmark.endpoint.streaming`.
    pub streaming: Option<bool>,
    /// `benchmark.endpoint.api_key` (never printed, not even by `Debug`).
    pub api_key: Option<String>,
    /// `benchmark.endpoint.headers`, in file order (values never printed).
    pub headers: Vec<(String, String)>,
    /// `benchmark.endpoint.extra_inputs`, keys as written.
    pub extra_inputs: Vec<(String, serde_json::Value)>,
    /// `benchmark.endpoint.timeout`.
    pub request_timeout: Option<Duration>,
    /// `benchmark.endpoint.max_response_bytes` (≥ 1).
    pub max_response_bytes: Option<u64>,
    /// `benchmark.endpoint.ca_cert`: a PEM file of CAs trusted for `https://` URLs.
    pub ca_cert: Option<std::path::PathBuf>,
    /// `benchmark.endpoint.insecure`: skip TLS certificate verification.
    pub insecure: Option<bool>,
    /// `benchmark.endpoint.video_poll_interval`: seconds between polls of a video job.
    pub video_poll_interval: Option<f64>,
    /// `benchmark.endpoint.download_video_content`: download each completed video.
    pub download_video_content: Option<bool>,
    /// `benchmark.dataset`.
    pub dataset: DatasetSettings,
    /// `benchmark.random_seed` or `benchmark.dataset.random_seed`.
    pub random_seed: Option<u64>,
    /// `benchmark.phases`.
    pub phases: Option<Vec<Phase>>,
    /// `benchmark.num_profile_runs` (≥ 1).
    pub num_profile_runs: Option<u32>,
    /// `benchmark.confidence_level`, in (0, 1).
    pub confidence_level: Option<f64>,
    /// `benchmark.profile_run_cooldown_seconds` (≥ 0).
    pub profile_run_cooldown_seconds: Option<f64>,
    /// `sweep:`, validated. A file with a sweep is run through [`ConfigFile::variations`];
    /// these settings are then the base file's, which no variation runs as is.
    pub sweep: Option<Sweep>,
    /// Keys that ask for features not implemented yet: valid (`config validate` accepts them
    /// with a note), but `profile` refuses to run rather than ignore them.
    pub unsupported: Vec<ConfigError>,
    /// The file these settings were read from, for the lines of their keys.
    pub(crate) source: Option<ConfigFile>,
}

impl std::fmt::Debug for FileSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("FileSettings")
            .field("model", &self.model)
            .field("urls", &self.urls)
            .field("endpoint", &self.endpoint)
            .field("streaming", &self.streaming)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("headers", &header_names)
            .field("extra_inputs", &self.extra_inputs)
            .field("request_timeout", &self.request_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("ca_cert", &self.ca_cert)
            .field("insecure", &self.insecure)
            .field("video_poll_interval", &self.video_poll_interval)
            .field("download_video_content", &self.download_video_content)
            .field("dataset", &self.dataset)
            .field("random_seed", &self.random_seed)
            .field("phases", &self.phases)
            .field("num_profile_runs", &self.num_profile_runs)
            .field("confidence_level", &self.confidence_level)
            .field(
                "profile_run_cooldown_seconds",
                &self.profile_run_cooldown_seconds,
            )
            .field("sweep", &self.sweep)
            .field("unsupported", &self.unsupported)
            .finish_non_exhaustive()
    }
}

impl ConfigFile {
    /// Reads and parses `path`; errors name it as given.
    pub fn read(path: &Path) -> Result<Self, ConfigErrors> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError::at(
                &name,
                0,
                "",
                format!("cannot read: {e}"),
            )])
        })?;
        Self::parse(&text, &name)
    }

    /// Parses `text` as the file `name` (used in messages). Only YAML syntax is checked here.
    pub fn parse(text: &str, name: &str) -> Result<Self, ConfigErrors> {
        let one =
            |line, message: String| ConfigErrors(vec![ConfigError::at(name, line, "", message)]);
        match yaml::parse(text) {
            Ok(Some(root)) => Ok(Self {
                name: name.to_string(),
                root,
            }),
            Ok(None) => Err(one(
                0,
                "empty file; expected a mapping with schemaVersion: \"2.0\" and benchmark:"
                    .to_string(),
            )),
            Err(e) => Err(one(
                e.line,
                format!("YAML syntax error at column {}: {}", e.col, e.message),
            )),
        }
    }

    /// The file's name as used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parsed tree.
    pub(crate) fn root(&self) -> &Node {
        &self.root
    }

    /// Drops a top-level key (any spelling), e.g. `sweep` from a variation's copy.
    pub(crate) fn remove_top_key(&mut self, key: &str) {
        if let NodeKind::Map(entries) = &mut self.root.kind {
            entries.retain(|e| normalize(&e.key) != key);
        }
    }

    /// Sets the dotted `path` (`benchmark.phases[1].concurrency` or
    /// `benchmark.phases.1.concurrency`, either key spelling) to `value`, parsed as YAML
    /// (`16`, `{mean: 512}`), creating missing mappings on the way. Errors about a value set
    /// here carry no line.
    pub fn set(&mut self, path: &str, value: &str) -> Result<(), ConfigError> {
        let mut node = match yaml::parse(value) {
            Ok(Some(node)) => node,
            Ok(None) => Node::detached(NodeKind::Null),
            Err(e) => {
                return Err(ConfigError::at(
                    &self.name,
                    0,
                    path,
                    format!("value {value:?} is not YAML: {}", e.message),
                ))
            }
        };
        detach(&mut node);
        self.set_node(path, node)
    }

    /// [`ConfigFile::set`] with a parsed value; a sweep passes the values from its own lists,
    /// which keep their lines so errors inside them point at the sweep.
    pub(crate) fn set_node(&mut self, path: &str, node: Node) -> Result<(), ConfigError> {
        let fail = |message: String| ConfigError::at(&self.name, 0, path, message);
        let segments = path_segments(path);
        if segments.is_empty() {
            return Err(fail("empty path".to_string()));
        }
        let mut at = &mut self.root;
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            if matches!(at.kind, NodeKind::Null) {
                at.kind = NodeKind::Map(Vec::new());
            }
            let segment = match *segment {
                Segment::Key(k) if matches!(at.kind, NodeKind::Seq(_)) => {
                    k.parse().map_or(Segment::Key(k), Segment::Index)
                }
                other => other,
            };
            at = match (&mut at.kind, segment) {
                (NodeKind::Map(entries), Segment::Key(key)) => {
                    let found = entries
                        .iter()
                        .position(|e| normalize(&e.key) == normalize(key));
                    let index = match found {
                        Some(index) => index,
                        None => {
                            entries.push(Entry {
                                key: key.to_string(),
                                key_line: 0,
                                value: Node::detached(NodeKind::Null),
                            });
                            entries.len() - 1
                        }
                    };
                    if last {
                        // The value no longer comes from that line of the file.
                        entries[index].key_line = 0;
                    }
                    &mut entries[index].value
                }
                (NodeKind::Seq(items), Segment::Index(index)) => {
                    let len = items.len();
                    items.get_mut(index).ok_or_else(|| {
                        fail(format!("index {index} is past the end of a list of {len}"))
                    })?
                }
                (_, _) => return Err(fail(format!("cannot follow the path at segment {}", i + 1))),
            };
            if last {
                *at = node;
                return Ok(());
            }
        }
        Ok(())
    }

    /// Checks the whole tree against the schema and returns what it sets, or every error.
    pub fn resolve(&self) -> Result<FileSettings, ConfigErrors> {
        let mut w = Walker::new(&self.name, &self.root);
        let mut out = FileSettings::default();
        let root = Val {
            node: &self.root,
            line: self.root.line,
        };
        if let NodeKind::Map(_) = self.root.kind {
            read_top(&mut w, root, &mut out);
        } else {
            let got = self.root.describe();
            w.err(
                root.line,
                "",
                format!("expected a mapping with schemaVersion: \"2.0\" and benchmark:, got {got}"),
            );
        }
        out.unsupported = std::mem::take(&mut w.unsupported);
        out.source = Some(self.clone());
        if w.errors.is_empty() {
            Ok(out)
        } else {
            Err(ConfigErrors::sorted(w.errors))
        }
    }
}

fn detach(node: &mut Node) {
    node.line = 0;
    match &mut node.kind {
        NodeKind::Seq(items) => items.iter_mut().for_each(detach),
        NodeKind::Map(entries) => entries.iter_mut().for_each(|e| {
            e.key_line = 0;
            detach(&mut e.value);
        }),
        _ => {}
    }
}

fn read_top<'a>(w: &mut Walker<'a>, root: Val<'a>, out: &mut FileSettings) {
    let Some(top) = w.section(root, "", TOP_KEYS) else {
        return;
    };
    match top.get("schema_version") {
        None => w.err(
            1,
            "schemaVersion",
            "missing; write schemaVersion: \"2.0\" at the top (gauntlet reads AIPerf's YAML v2)",
        ),
        Some(v) => {
            let ok = match &v.node.kind {
                NodeKind::Str(s) => s == "2.0" || s == "2",
                NodeKind::Float(f) => *f == 2.0,
                NodeKind::Int(i) => *i == 2,
                _ => false,
            };
            if !ok {
                let got = v.node.describe();
                w.err(
                    v.line,
                    "schemaVersion",
                    format!("unsupported version ({got}); gauntlet reads AIPerf's YAML v2: write schemaVersion: \"2.0\""),
                );
            }
        }
    }
    if let Some(v) = top.get("sweep") {
        out.sweep = sweep::read(w, v);
    }
    match top.get("benchmark") {
        Some(v) => read_benchmark(w, v, out),
        None => w.err(
            0,
            "benchmark",
            "missing; the file needs a benchmark: section (model, endpoint, dataset, phases)",
        ),
    }
}

fn read_benchmark<'a>(w: &mut Walker<'a>, val: Val<'a>, out: &mut FileSettings) {
    let Some(sec) = w.section(val, "benchmark", BENCHMARK_KEYS) else {
        return;
    };
    if let Some(v) = sec.get("model") {
        out.model = super::file_models::read_model(w, v, "benchmark.model");
    }
    if let Some(v) = sec.get("model_selection_strategy") {
        let p = sec.path_of("model_selection_strategy");
        out.model_selection = super::file_models::read_selection(w, v, &p);
    }
    if let Some(v) = sec.get("endpoint") {
        read_endpoint(w, v, out);
    }
    if let Some(v) = sec.get("dataset") {
        out.dataset = dataset::read(w, v, "benchmark.dataset");
    }
    if let Some(v) = sec.get("phases") {
        out.phases = phases::read(w, v, "benchmark.phases");
    }
    if let Some(v) = sec.get("random_seed") {
        out.random_seed = w.whole(v, "benchmark.random_seed", 0);
        if out.dataset.random_seed.is_some() {
            w.err(
                v.line,
                "benchmark.random_seed",
                "also set as benchmark.dataset.random_seed; write it once",
            );
        }
    }
    out.random_seed = out.random_seed.or(out.dataset.random_seed);
    read_repeat(w, &sec, out);
}

fn read_repeat<'a>(w: &mut Walker<'a>, sec: &Section<'a>, out: &mut FileSettings) {
    if let Some(v) = sec.get("num_profile_runs") {
        let p = sec.path_of("num_profile_runs");
        if let Some(n) = w.whole(v, &p, 1) {
            match u32::try_from(n) {
                Ok(n) => out.num_profile_runs = Some(n),
                Err(_) => w.err(v.line, &p, format!("{n} runs is too many")),
            }
        }
    }
    if let Some(v) = sec.get("confidence_level") {
        let p = sec.path_of("confidence_level");
        match w.number(v, &p) {
            Some(c) if c > 0.0 && c < 1.0 => out.confidence_level = Some(c),
            Some(c) => w.err(
                v.line,
                &p,
                format!("{c} is not between 0 and 1; write e.g. 0.95"),
            ),
            None => {}
        }
    }
    if let Some(v) = sec.get("profile_run_cooldown_seconds") {
        out.profile_run_cooldown_seconds =
            w.non_negative(v, &sec.path_of("profile_run_cooldown_seconds"));
    }
}

fn read_endpoint<'a>(w: &mut Walker<'a>, val: Val<'a>, out: &mut FileSettings) {
    let Some(sec) = w.section(val, "benchmark.endpoint", ENDPOINT_KEYS) else {
        return;
    };
    if let Some(v) = sec.get("url") {
        out.urls = read_urls(w, v, &sec.path_of("url"));
    }
    if let Some(v) = sec.get("type") {
        let p = sec.path_of("type");
        out.endpoint = match w.string(v, &p).as_deref() {
            Some(name) => match EndpointType::from_name(name) {
                Some(e) => Some(e),
                None if super::refused_type_reason(name).is_some() => {
                    let reason = super::refused_type_reason(name).unwrap_or_default();
                    w.err(v.line, &p, reason.to_string());
                    None
                }
                None => {
                    w.err(
                        v.line,
                        &p,
                        format!(
                            "unknown endpoint type '{name}'; expected one of: {}",
                            super::ENDPOINT_TYPE_NAMES.join(", ")
                        ),
                    );
                    None
                }
            },
            None => None,
        };
    }
    if let Some(v) = sec.get("streaming") {
        out.streaming = w.boolean(v, &sec.path_of("streaming"));
    }
    if let Some(v) = sec.get("api_key") {
        // The value is a secret: the message says what it is not, never what it is.
        match &v.node.kind {
            NodeKind::Str(s) => out.api_key = Some(s.clone()),
            _ => w.err(v.line, &sec.path_of("api_key"), "expected a string"),
        }
    }
    if let Some(v) = sec.get("headers") {
        let p = sec.path_of("headers");
        match &v.node.kind {
            NodeKind::Map(entries) => {
                for e in entries {
                    match &e.value.kind {
                        NodeKind::Str(s) => out.headers.push((e.key.clone(), s.clone())),
                        _ => w.err(
                            e.key_line,
                            &format!("{p}.{}", e.key),
                            "expected a string value (quote it)",
                        ),
                    }
                }
            }
            _ => w.err(v.line, &p, "expected a mapping of header names to values"),
        }
    }
    if let Some(v) = sec.get("extra_inputs") {
        let p = sec.path_of("extra_inputs");
        match &v.node.kind {
            NodeKind::Map(entries) => {
                for e in entries {
                    out.extra_inputs
                        .push((e.key.clone(), e.value.to_json(&|k| k.to_string())));
                }
            }
            _ => {
                let got = v.node.describe();
                w.err(
                    v.line,
                    &p,
                    format!("expected a mapping of request fields, got {got}"),
                );
            }
        }
    }
    if let Some(v) = sec.get("timeout") {
        let p = sec.path_of("timeout");
        out.request_timeout = w
            .positive(v, &p)
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
    }
    if let Some(v) = sec.get("max_response_bytes") {
        let p = sec.path_of("max_response_bytes");
        out.max_response_bytes = w.whole(v, &p, 1);
    }
    let keys = super::file_models::read_endpoint_keys(w, &sec);
    out.custom_endpoint = keys.custom_endpoint;
    out.wait_for_model_timeout = keys.wait_for_model_timeout;
    out.wait_for_model_mode = keys.wait_for_model_mode;
    out.wait_for_model_interval = keys.wait_for_model_interval;
    if let Some(v) = sec.get("ca_cert") {
        out.ca_cert = w
            .string(v, &sec.path_of("ca_cert"))
            .map(std::path::PathBuf::from);
    }
    if let Some(v) = sec.get("insecure") {
        out.insecure = w.boolean(v, &sec.path_of("insecure"));
    }
    if let Some(v) = sec.get("video_poll_interval") {
        out.video_poll_interval = w.positive(v, &sec.path_of("video_poll_interval"));
    }
    if let Some(v) = sec.get("download_video_content") {
        out.download_video_content = w.boolean(v, &sec.path_of("download_video_content"));
    }
}

fn read_urls<'a>(w: &mut Walker<'a>, v: Val<'a>, path: &str) -> Option<Vec<ServerUrl>> {
    let items: Vec<Val<'a>> = match &v.node.kind {
        NodeKind::Seq(items) if !items.is_empty() => items
            .iter()
            .map(|node| Val {
                node,
                line: node.line.max(v.line),
            })
            .collect(),
        NodeKind::Seq(_) => {
            w.err(v.line, path, "empty list; write at least one URL");
            return None;
        }
        _ => vec![v],
    };
    let mut urls = Vec::with_capacity(items.len());
    for item in items {
        let raw = w.string(item, path)?;
        match ServerUrl::parse(&raw) {
            Ok(url) => urls.push(url),
            Err(message) => w.err(item.line, path, message),
        }
    }
    (urls.len() == items_len(v)).then_some(urls)
}

fn items_len(v: Val<'_>) -> usize {
    match &v.node.kind {
        NodeKind::Seq(items) => items.len(),
        _ => 1,
    }
}
