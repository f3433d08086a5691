//! Load-time errors for distributions and `--seq-dist` strings.
//!
//! Every message starts with the key path the value came from and, where a mapping was
//! involved, the keys that were seen, so a user can find and fix the line without reading code.

use serde_json::Value;

/// Why a distribution (or a legacy `--seq-dist` string) was rejected at load time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    /// A shape was recognised but one of its required keys is absent.
    #[error("{path}: {shown} has no '{missing}' (keys seen: {seen}); {needs}")]
    MissingKey {
        /// Where the mapping sits, e.g. `dataset.prompts.isl`.
        path: String,
        /// The mapping, rendered compactly.
        shown: String,
        /// The absent key.
        missing: &'static str,
        /// The keys present, comma-separated.
        seen: String,
        /// The shape the keys pointed to and what it requires, as a sentence.
        needs: &'static str,
    },
    /// Keys of two different shapes were written together without a `type:` to choose.
    #[error("{path}: {shown} mixes {mix}; write one shape, or add 'type:' to say which")]
    Ambiguous {
        /// Where the mapping sits.
        path: String,
        /// The mapping, rendered compactly.
        shown: String,
        /// The two shapes implied and the keys implying each:
        /// `fixed keys (value) and normal keys (mean)`.
        mix: String,
    },
    /// A key that the chosen shape (or no shape at all) takes.
    #[error("{path}: unknown key '{key}' for {shape} (keys seen: {seen}); it takes: {allowed}")]
    UnknownKey {
        /// Where the mapping sits.
        path: String,
        /// The offending key.
        key: String,
        /// "a normal distribution", or "a distribution" when no shape was chosen yet.
        shape: String,
        /// The keys present, comma-separated.
        seen: String,
        /// The keys that would have been accepted.
        allowed: String,
    },
    /// `type:` named no known shape.
    #[error("{path}.type: unknown distribution type {got}; expected one of: {expected}")]
    UnknownType {
        /// Where the mapping sits.
        path: String,
        /// The value given, rendered compactly.
        got: String,
        /// The accepted type names.
        expected: &'static str,
    },
    /// A mapping whose keys name no shape (for example only `min:`).
    #[error("{path}: {shown} names no distribution (keys seen: {seen}); write a number, or a mapping such as {{mean: 512, stddev: 50}} (see docs/distributions.md)")]
    NoShape {
        /// Where the mapping sits.
        path: String,
        /// The mapping, rendered compactly.
        shown: String,
        /// The keys present, comma-separated.
        seen: String,
    },
    /// The legacy paired ISL/OSL string where a single distribution was expected.
    #[error("{path}: got the string {got:?}; paired ISL/OSL mixtures go in --seq-dist / sequence_distribution")]
    LegacyString {
        /// Where the string sits.
        path: String,
        /// The string given.
        got: String,
    },
    /// A value of the wrong JSON kind (a list where a number belongs, …).
    #[error("{path}: expected {expected}, got {got}")]
    WrongType {
        /// Where the value sits.
        path: String,
        /// What belongs there.
        expected: &'static str,
        /// What was found, rendered compactly.
        got: String,
    },
    /// A parameter outside its domain: negative stddev, median > mean, min > max, NaN, …
    #[error("{path}: {reason}")]
    Invalid {
        /// Where the parameter sits.
        path: String,
        /// What is wrong and what is needed.
        reason: String,
    },
    /// A malformed `--seq-dist` / `sequence_distribution` string.
    #[error("{path}: {reason} (in {text:?}; the form is ISL,OSL:PERCENT;… e.g. \"128,64:50;512,128:50\")")]
    SeqDist {
        /// The flag or key the string came from.
        path: String,
        /// The whole string given.
        text: String,
        /// What is wrong.
        reason: String,
    },
}

impl DistError {
    /// The key path the error is about, so a YAML loader can map it to a line number.
    pub fn key_path(&self) -> &str {
        match self {
            Self::MissingKey { path, .. }
            | Self::Ambiguous { path, .. }
            | Self::UnknownKey { path, .. }
            | Self::UnknownType { path, .. }
            | Self::NoShape { path, .. }
            | Self::LegacyString { path, .. }
            | Self::WrongType { path, .. }
            | Self::Invalid { path, .. }
            | Self::SeqDist { path, .. } => path,
        }
    }
}

/// `parent.key`, or `key` alone at the root.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Longest rendering of a value in a message; past it the user has the file open anyway.
const SHOW_LIMIT: usize = 120;

/// A compact, YAML-flow-like rendering (`{stddev: 50}`) of a value, for error messages.
pub(crate) fn show(value: &Value) -> String {
    let mut out = String::new();
    render(value, &mut out);
    if out.chars().count() > SHOW_LIMIT {
        let cut: String = out.chars().take(SHOW_LIMIT).collect();
        format!("{cut}…")
    } else {
        out
    }
}

fn render(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&format!("{s:?}")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                render(item, out);
            }
            out.push('}');
        }
    }
}

/// What kind of value this is, for "expected X, got Y" messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => format!("a list {}", show(value)),
        Value::Object(_) => format!("a mapping {}", show(value)),
    }
}
