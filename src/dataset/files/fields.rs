//! Typed access to one JSON object of an input line, with errors that name file, line and key.

use std::path::Path;

use serde_json::{Map, Value};

use super::FilesError;

/// AIPerf's media keys: read by `single_turn`, `multi_turn` turns and `random_pool` lines
/// (see `media.rs`), refused with a pointer to those formats elsewhere.
pub(crate) const MEDIA_KEYS: [&str; 7] = [
    "image",
    "images",
    "image_uuids",
    "audio",
    "audios",
    "video",
    "videos",
];

/// One JSON object (a line, or a turn inside a line) and where it came from.
pub(crate) struct Fields<'a> {
    path: &'a Path,
    line: usize,
    /// Prepended to keys in errors (`turns[2].`), empty at the top level.
    prefix: String,
    object: &'a Map<String, Value>,
}

/// Parses a line as a JSON object.
pub(crate) fn parse_object(
    path: &Path,
    line: usize,
    text: &str,
    example: &str,
) -> Result<Map<String, Value>, FilesError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(FilesError::field(
            path,
            line,
            "<line>",
            format!("expected a JSON object like {example}"),
        )),
        Err(e) => Err(FilesError::field(
            path,
            line,
            "<line>",
            format!("invalid JSON ({e}); expected an object like {example}"),
        )),
    }
}

impl<'a> Fields<'a> {
    /// Fields of `object`, found at `path:line`.
    pub(crate) fn new(path: &'a Path, line: usize, object: &'a Map<String, Value>) -> Self {
        Fields {
            path,
            line,
            prefix: String::new(),
            object,
        }
    }

    /// Fields of a nested object; its keys are reported as `{prefix}{key}`.
    pub(crate) fn nested(&self, prefix: String, object: &'a Map<String, Value>) -> Fields<'a> {
        Fields {
            path: self.path,
            line: self.line,
            prefix,
            object,
        }
    }

    /// The 1-based line number.
    pub(crate) fn line(&self) -> usize {
        self.line
    }

    /// An error about `key`.
    pub(crate) fn err(&self, key: &str, message: impl Into<String>) -> FilesError {
        FilesError::field(
            self.path,
            self.line,
            format!("{}{key}", self.prefix),
            message,
        )
    }

    /// Refuses keys the format does not know, so nothing in the file is silently ignored.
    pub(crate) fn check_keys(&self, known: &[&str], format: &str) -> Result<(), FilesError> {
        for key in self.object.keys() {
            if MEDIA_KEYS.contains(&key.as_str()) && !known.contains(&key.as_str()) {
                return Err(self.err(
                    key,
                    format!(
                        "{format} lines carry no media; media keys belong to single_turn lines, \
                         multi_turn turns and random_pool lines"
                    ),
                ));
            }
            if !known.contains(&key.as_str()) {
                return Err(self.err(
                    key,
                    format!(
                        "unknown or unsupported key for {format}; expected one of: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn value(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// The value of `key` when present and not null.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.value(key)
    }

    /// Whether `key` is present and not null.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    /// An optional string.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, FilesError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.err(key, format!("expected a string, got {other}"))),
        }
    }

    /// An optional whole number >= `min` that fits in u32.
    pub(crate) fn opt_u32(&self, key: &str, min: u32) -> Result<Option<u32>, FilesError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        match value.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= min => Ok(Some(n)),
            _ => Err(self.err(
                key,
                format!("expected a whole number >= {min}, got {value}"),
            )),
        }
    }

    /// An optional number of milliseconds (finite, >= 0; fractions allowed).
    pub(crate) fn opt_ms(&self, key: &str) -> Result<Option<f64>, FilesError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        match value.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(Some(ms)),
            _ => Err(self.err(
                key,
                format!("expected milliseconds as a number >= 0, got {value}"),
            )),
        }
    }

    /// An optional list of whole numbers.
    pub(crate) fn opt_ids(&self, key: &str) -> Result<Option<Vec<u64>>, FilesError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        let bad = || {
            self.err(
                key,
                format!("expected a list of whole numbers >= 0, got {value}"),
            )
        };
        let Value::Array(items) = value else {
            return Err(bad());
        };
        items
            .iter()
            .map(|v| v.as_u64().ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The prompt text from `text` (a string) or `texts` (strings, or AIPerf's
    /// `{"name", "contents": [..]}` objects), several pieces joined by newlines.
    pub(crate) fn text(&self) -> Result<Option<String>, FilesError> {
        let text = self.opt_str("text")?;
        let Some(texts) = self.value("texts") else {
            return Ok(text.map(str::to_string));
        };
        if text.is_some() {
            return Err(self.err("texts", "text and texts cannot be set together"));
        }
        let bad = || {
            self.err(
                "texts",
                "expected a list of strings or of {\"name\": ..., \"contents\": [strings]}",
            )
        };
        let Value::Array(items) = texts else {
            return Err(bad());
        };
        let mut pieces: Vec<&str> = Vec::new();
        for item in items {
            match item {
                Value::String(s) => pieces.push(s),
                Value::Object(o) => match o.get("contents") {
                    Some(Value::Array(contents)) => {
                        for c in contents {
                            pieces.push(c.as_str().ok_or_else(bad)?);
                        }
                    }
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            }
        }
        Ok(Some(pieces.join("\n")))
    }

    /// Rejects roles other than `user`: gauntlet sends every file turn as the user's message.
    pub(crate) fn check_role(&self) -> Result<(), FilesError> {
        match self.opt_str("role")? {
            None | Some("user") => Ok(()),
            Some(other) => Err(self.err(
                "role",
                format!("only \"user\" turns are supported, got {other:?}"),
            )),
        }
    }
}

/// Milliseconds as whole milliseconds (AIPerf schedules at millisecond accuracy).
pub(crate) fn whole_ms(ms: f64) -> u64 {
    ms.round() as u64
}
