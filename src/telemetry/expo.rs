//! A parser for the Prometheus text exposition format (0.0.4, and the OpenMetrics subset that
//! servers put on `/metrics`).
//!
//! Written here rather than taken from `prometheus-parse`: that crate's name pattern (`\w+`)
//! rejects the colons in vLLM's and SGLang's names (`vllm:num_requests_running`) and its label
//! pattern stops at the first `}` even inside a quoted value.

use std::collections::HashMap;

/// What `# TYPE` says a family is; `Untyped` when it says nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Only goes up (resets to 0 when the server restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Cumulative `_bucket{le=…}` counts plus `_sum` and `_count`.
    Histogram,
    /// Client-side quantiles plus `_sum` and `_count`.
    Summary,
    /// No `# TYPE` line (treated as a gauge in summaries).
    Untyped,
}

impl MetricKind {
    fn parse(word: &str) -> Self {
        match word {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "histogram" | "gaugehistogram" => Self::Histogram,
            "summary" => Self::Summary,
            _ => Self::Untyped,
        }
    }
}

/// One sample line, with its family resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpoSample {
    /// The family (`vllm:e2e_request_latency_seconds` for its `_bucket` lines).
    pub family: String,
    /// The name as written (`…_bucket`, `…_sum`, `…_count`, `…_total` or the family).
    pub name: String,
    /// Labels in the order written, `le`/`quantile` included.
    pub labels: Vec<(String, String)>,
    /// The value (NaN and ±Inf allowed).
    pub value: f64,
}

/// Family metadata from `# TYPE` and `# HELP`.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The declared type.
    pub kind: MetricKind,
    /// The HELP text, unescaped.
    pub help: String,
}

/// One parsed scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    /// Families by name.
    pub families: HashMap<String, Family>,
    /// Samples in the order written.
    pub samples: Vec<ExpoSample>,
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}: `{text}`")]
pub struct ExpoError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: &'static str,
    /// The line (cut to 120 characters).
    pub text: String,
}

/// Parses a whole exposition. A malformed sample line fails the scrape, so a server that
/// serves something else on `/metrics` (JSON, HTML) is reported instead of read as empty.
pub fn parse(text: &str) -> Result<Exposition, ExpoError> {
    let mut out = Exposition::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let err = |message| ExpoError {
            line: i + 1,
            message,
            text: line.chars().take(120).collect(),
        };
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, char::is_whitespace);
            match (words.next(), words.next(), words.next()) {
                (Some("TYPE"), Some(name), Some(kind)) => {
                    let entry = out.families.entry(name.to_owned()).or_insert(Family {
                        kind: MetricKind::Untyped,
                        help: String::new(),
                    });
                    entry.kind = MetricKind::parse(kind.trim());
                }
                (Some("HELP"), Some(name), help) => {
                    let help = unescape_help(help.unwrap_or("").trim());
                    out.families
                        .entry(name.to_owned())
                        .or_insert(Family {
                            kind: MetricKind::Untyped,
                            help: String::new(),
                        })
                        .help = help;
                }
                _ => {}
            }
            continue;
        }
        let (name, labels, rest) = split_sample(line).map_err(err)?;
        let value_text = rest.split_whitespace().next().ok_or(err("missing value"))?;
        let value = parse_value(value_text).ok_or(err("value is not a number"))?;
        let family = family_of(&out.families, name);
        out.samples.push(ExpoSample {
            family,
            name: name.to_owned(),
            labels,
            value,
        });
    }
    Ok(out)
}

type Labels = Vec<(String, String)>;

/// Splits `name{labels} rest` into its parts, unescaping label values.
fn split_sample(line: &str) -> Result<(&str, Labels, &str), &'static str> {
    let end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or("missing value")?;
    let name = &line[..end];
    if name.is_empty() || !name.chars().all(is_name_char) {
        return Err("bad metric name");
    }
    let after = &line[end..];
    if let Some(body) = after.strip_prefix('{') {
        let (labels, used) = parse_labels(body)?;
        Ok((name, labels, &body[used..]))
    } else {
        Ok((name, Vec::new(), after))
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Reads `a="x",b="y"}` and returns the labels and the bytes used (closing brace included).
fn parse_labels(body: &str) -> Result<(Labels, usize), &'static str> {
    let bytes = body.as_bytes();
    let mut labels = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b',') {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err("unclosed label set"),
            Some(b'}') => return Ok((labels, i + 1)),
            _ => {}
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' {
            i += 1;
        }
        let key = body[start..i].trim();
        if key.is_empty() || !key.chars().all(is_name_char) {
            return Err("bad label name");
        }
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        if bytes.get(i) != Some(&b'"') {
            return Err("label value must be quoted");
        }
        i += 1;
        let mut value = String::new();
        loop {
            match bytes.get(i) {
                None => return Err("unterminated label value"),
                Some(b'"') => break,
                Some(b'\\') => {
                    match bytes.get(i + 1) {
                        Some(b'n') => value.push('\n'),
                        Some(b'\\') => value.push('\\'),
                        Some(b'"') => value.push('"'),
                        _ => return Err("bad escape in label value"),
                    }
                    i += 2;
                }
                Some(_) => {
                    // Copy one whole UTF-8 character.
                    let ch = body[i..].chars().next().ok_or("bad label value")?;
                    value.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        i += 1;
        labels.push((key.to_owned(), value));
    }
}

fn unescape_help(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Go's float spellings: `NaN`, `+Inf`, `-Inf`, plus what Rust parses.
pub fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" | "nan" => Some(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok(),
    }
}

/// The family a sample belongs to: histogram and summary parts map to their base name, and
/// an OpenMetrics counter `x_total` to `x` when only `x` was typed.
fn family_of(families: &HashMap<String, Family>, name: &str) -> String {
    if families.contains_key(name) {
        return name.to_owned();
    }
    for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if families.contains_key(base) {
                return base.to_owned();
            }
        }
    }
    name.to_owned()
}

#[cfg(test)]
#[path = "expo_tests.rs"]
mod tests;
