//! The config file's model keys: `benchmark.model` (a name or a list of names),
//! `benchmark.model_selection_strategy`, and `benchmark.endpoint`'s `custom_endpoint` and
//! `wait_for_model_timeout` / `_mode` / `_interval` (the flags' names, snake_case).

use super::walk::{Section, Val, Walker};
use super::yaml::NodeKind;
use super::{ModelSelection, WaitMode};

/// `benchmark.model`: a string, or a list of strings (joined by commas, as `--model a,b`).
pub(super) fn read_model<'a>(w: &mut Walker<'a>, v: Val<'a>, path: &str) -> Option<String> {
    let NodeKind::Seq(items) = &v.node.kind else {
        return w.string(v, path);
    };
    if items.is_empty() {
        w.err(v.line, path, "empty list; write at least one model name");
        return None;
    }
    let mut names = Vec::with_capacity(items.len());
    for node in items {
        let item = Val {
            node,
            line: node.line.max(v.line),
        };
        names.push(w.string(item, path)?);
    }
    Some(names.join(","))
}

/// `benchmark.model_selection_strategy`.
pub(super) fn read_selection<'a>(
    w: &mut Walker<'a>,
    v: Val<'a>,
    path: &str,
) -> Option<ModelSelection> {
    match w.string(v, path)?.as_str() {
        "round_robin" | "round-robin" => Some(ModelSelection::RoundRobin),
        "random" => Some(ModelSelection::Random),
        other => {
            w.err(
                v.line,
                path,
                format!("unknown strategy '{other}'; expected round_robin or random"),
            );
            None
        }
    }
}

/// The model keys of `benchmark.endpoint`, as written (`None` where absent or invalid).
#[derive(Debug, Default)]
pub(super) struct EndpointModelKeys {
    /// `custom_endpoint`.
    pub custom_endpoint: Option<String>,
    /// `wait_for_model_timeout` (≥ 0).
    pub wait_for_model_timeout: Option<f64>,
    /// `wait_for_model_mode`.
    pub wait_for_model_mode: Option<WaitMode>,
    /// `wait_for_model_interval` (> 0).
    pub wait_for_model_interval: Option<f64>,
}

/// The model keys of `benchmark.endpoint`.
pub(super) fn read_endpoint_keys<'a>(w: &mut Walker<'a>, sec: &Section<'a>) -> EndpointModelKeys {
    let mut out = EndpointModelKeys::default();
    if let Some(v) = sec.get("custom_endpoint") {
        let p = sec.path_of("custom_endpoint");
        if let Some(path) = w.string(v, &p) {
            match super::check_custom_endpoint(&path) {
                Ok(path) => out.custom_endpoint = Some(path),
                Err(message) => w.err(v.line, &p, message),
            }
        }
    }
    if let Some(v) = sec.get("wait_for_model_timeout") {
        out.wait_for_model_timeout = w.non_negative(v, &sec.path_of("wait_for_model_timeout"));
    }
    if let Some(v) = sec.get("wait_for_model_interval") {
        out.wait_for_model_interval = w.positive(v, &sec.path_of("wait_for_model_interval"));
    }
    if let Some(v) = sec.get("wait_for_model_mode") {
        let p = sec.path_of("wait_for_model_mode");
        out.wait_for_model_mode = match w.string(v, &p).as_deref() {
            Some("models") => Some(WaitMode::Models),
            Some("inference") => Some(WaitMode::Inference),
            Some("both") => Some(WaitMode::Both),
            Some(other) => {
                w.err(
                    v.line,
                    &p,
                    format!("unknown mode '{other}'; expected models, inference or both"),
                );
                None
            }
            None => None,
        };
    }
    out
}
