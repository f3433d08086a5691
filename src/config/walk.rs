//! Walking the YAML tree against the schema: opening mappings with their allowed keys,
//! reading typed values, and collecting every error (with its line) instead of stopping at the
//! first one.

use super::error::ConfigError;
use super::yaml::{Entry, Node, NodeKind};
use crate::dist::{self, DistSpec};

/// `randomSeed` → `random_seed`; snake_case stays as it is. Schema keys are compared in this
/// form, so both spellings work everywhere the schema owns the keys.
pub fn normalize(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `parent.key`, or `key` alone at the top.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// A value found in the tree, with the path and line errors about it should name.
#[derive(Clone, Copy)]
pub struct Val<'a> {
    /// The node.
    pub node: &'a Node,
    /// Its key line (for mapping values) or its own line (for list items).
    pub line: usize,
}

/// A mapping whose keys passed the allowed-key check, looked up by normalised name.
pub struct Section<'a> {
    /// Dotted path of the mapping.
    pub path: String,
    /// Line of the mapping itself.
    pub line: usize,
    entries: Vec<(String, &'a Entry)>,
}

impl<'a> Section<'a> {
    /// The value under `key` (normalised spelling), if written.
    pub fn get(&self, key: &str) -> Option<Val<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, e)| Val {
                node: &e.value,
                line: e.key_line,
            })
    }

    /// The dotted path of `key` in this mapping.
    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }
}

/// The walk's state: the file, the whole tree (to find lines for paths) and what went wrong.
pub struct Walker<'a> {
    file: &'a str,
    root: &'a Node,
    /// Problems that make the file invalid.
    pub errors: Vec<ConfigError>,
    /// Keys asking for features that are not implemented yet (valid, but `profile` refuses).
    pub unsupported: Vec<ConfigError>,
}

impl<'a> Walker<'a> {
    /// A walker over `root`, read from `file`.
    pub fn new(file: &'a str, root: &'a Node) -> Self {
        Self {
            file,
            root,
            errors: Vec::new(),
            unsupported: Vec::new(),
        }
    }

    /// Records an error at `path`.
    pub fn err(&mut self, line: usize, path: &str, message: impl std::fmt::Display) {
        self.errors
            .push(ConfigError::at(self.file, line, path, message));
    }

    /// Records an error whose message already starts with its key path (from `dist`).
    pub fn full(&mut self, line: usize, path: &str, text: String) {
        let mut error = ConfigError::at(self.file, line, path, "");
        error.text = text;
        self.errors.push(error);
    }

    /// Records a key that asks for a feature gauntlet does not have yet.
    pub fn unsupported(&mut self, line: usize, path: &str, message: impl std::fmt::Display) {
        self.unsupported
            .push(ConfigError::at(self.file, line, path, message));
    }

    /// Opens the mapping `val` at `path`, reporting keys outside `allowed` (normalised
    /// spellings) and keys written twice (`randomSeed` and `random_seed` are the same key).
    pub fn section(&mut self, val: Val<'a>, path: &str, allowed: &[&str]) -> Option<Section<'a>> {
        let NodeKind::Map(entries) = &val.node.kind else {
            let got = val.node.describe();
            self.err(val.line, path, format!("expected a mapping, got {got}"));
            return None;
        };
        let mut seen: Vec<(String, &'a Entry)> = Vec::with_capacity(entries.len());
        for entry in entries {
            let key = normalize(&entry.key);
            let key_path = join(path, &key);
            if !allowed.contains(&key.as_str()) {
                let owner = if path.is_empty() {
                    "the top level"
                } else {
                    path
                };
                self.err(
                    entry.key_line,
                    &key_path,
                    format!(
                        "unknown key '{}'; {owner} takes: {} (camelCase or snake_case)",
                        entry.key,
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                let first_line = first.key_line;
                self.err(
                    entry.key_line,
                    &key_path,
                    format!(
                        "set twice (also on line {first_line}); camelCase and snake_case spellings are the same key"
                    ),
                );
                continue;
            }
            seen.push((key, entry));
        }
        Some(Section {
            path: path.to_string(),
            line: val.node.line,
            entries: seen,
        })
    }

    /// A string value.
    pub fn string(&mut self, val: Val<'a>, path: &str) -> Option<String> {
        match &val.node.kind {
            NodeKind::Str(s) => Some(s.clone()),
            _ => {
                let got = val.node.describe();
                self.err(val.line, path, format!("expected a string, got {got}"));
                None
            }
        }
    }

    /// A `true`/`false` value.
    pub fn boolean(&mut self, val: Val<'a>, path: &str) -> Option<bool> {
        match &val.node.kind {
            NodeKind::Bool(b) => Some(*b),
            _ => {
                let got = val.node.describe();
                self.err(val.line, path, format!("expected true or false, got {got}"));
                None
            }
        }
    }

    /// A finite number.
    pub fn number(&mut self, val: Val<'a>, path: &str) -> Option<f64> {
        let got = val.node.describe();
        match &val.node.kind {
            NodeKind::Int(i) => Some(*i as f64),
            NodeKind::Float(f) if f.is_finite() => Some(*f),
            NodeKind::Float(_) => {
                self.err(val.line, path, format!("{got} is not a finite number"));
                None
            }
            NodeKind::Str(s) if s.trim().parse::<f64>().is_ok() => {
                self.err(
                    val.line,
                    path,
                    format!("expected a number, not a quoted string (drop the quotes), got {got}"),
                );
                None
            }
            _ => {
                self.err(val.line, path, format!("expected a number, got {got}"));
                None
            }
        }
    }

    /// A number > 0.
    pub fn positive(&mut self, val: Val<'a>, path: &str) -> Option<f64> {
        let n = self.number(val, path)?;
        if n > 0.0 {
            Some(n)
        } else {
            self.err(
                val.line,
                path,
                format!("{n} is not > 0; expected a positive number"),
            );
            None
        }
    }

    /// A number ≥ 0.
    pub fn non_negative(&mut self, val: Val<'a>, path: &str) -> Option<f64> {
        let n = self.number(val, path)?;
        if n >= 0.0 {
            Some(n)
        } else {
            self.err(
                val.line,
                path,
                format!("{n} is negative; expected a number >= 0"),
            );
            None
        }
    }

    /// A whole number ≥ `min`.
    pub fn whole(&mut self, val: Val<'a>, path: &str, min: u64) -> Option<u64> {
        let n = self.number(val, path)?;
        if n.fract() != 0.0 || n < 0.0 {
            self.err(val.line, path, format!("expected a whole number, got {n}"));
            return None;
        }
        // YAML integers are i64; a larger one arrives as a rounded float. Refuse it rather
        // than clamp it to u64::MAX (`requests: 18446744073709551616` is not a count).
        if n >= i64::MAX as f64 {
            self.err(
                val.line,
                path,
                format!("{n:e} is too large; expected at most {}", i64::MAX),
            );
            return None;
        }
        let n = n as u64;
        if n < min {
            self.err(
                val.line,
                path,
                format!("{n} is less than {min}; expected at least {min}"),
            );
            return None;
        }
        Some(n)
    }

    /// A distribution, parsed by `dist::parse` from the node's JSON form; an error is placed
    /// on the line of the deepest key its path names.
    pub fn dist(&mut self, val: Val<'a>, path: &str) -> Option<DistSpec> {
        let json = val.node.to_json(&normalize);
        match dist::parse(&json, path) {
            Ok(spec) => Some(spec),
            Err(e) => {
                let line = self.line_of(e.key_path()).unwrap_or(val.line);
                self.full(line, e.key_path(), e.to_string());
                None
            }
        }
    }

    /// The line of the deepest node that `path` (`a.b[2].c`) reaches.
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut node = self.root;
        let mut line = None;
        for segment in path_segments(path) {
            let next = match (&node.kind, segment) {
                (NodeKind::Map(entries), Segment::Key(key)) => entries
                    .iter()
                    .find(|e| normalize(&e.key) == normalize(key))
                    .map(|e| (&e.value, e.key_line)),
                (NodeKind::Seq(items), Segment::Index(i)) => items.get(i).map(|n| (n, n.line)),
                _ => None,
            };
            match next {
                Some((child, at)) => {
                    node = child;
                    line = Some(at).filter(|l| *l > 0).or(line);
                }
                None => break,
            }
        }
        line
    }
}

/// One step of a dotted path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Segment<'p> {
    /// A mapping key.
    Key(&'p str),
    /// A list index.
    Index(usize),
}

/// `a.b[2].c` → `a`, `b`, `[2]`, `c`. A bad index is kept as a key, which then matches
/// nothing.
pub fn path_segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Segment::Key(&rest[..open]));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    out.push(Segment::Key(rest));
                    break;
                };
                match stripped[..close].parse() {
                    Ok(i) => out.push(Segment::Index(i)),
                    Err(_) => out.push(Segment::Key(&stripped[..close])),
                }
                rest = &stripped[close + 1..];
            }
        } else {
            out.push(Segment::Key(rest));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_becomes_snake_case() {
        assert_eq!(normalize("schemaVersion"), "schema_version");
        assert_eq!(normalize("excludeFromResults"), "exclude_from_results");
        assert_eq!(normalize("random_seed"), "random_seed");
        assert_eq!(normalize("isl"), "isl");
    }

    #[test]
    fn paths_split_into_keys_and_indexes() {
        assert_eq!(
            path_segments("a.peaks[1].weight"),
            vec![
                Segment::Key("a"),
                Segment::Key("peaks"),
                Segment::Index(1),
                Segment::Key("weight")
            ]
        );
        assert_eq!(path_segments("phases[0][2]").len(), 3);
    }

    #[test]
    fn lines_are_found_for_nested_paths() {
        let root = super::super::yaml::parse("a:\n  b:\n    - x: 1\n    - y: 2\n")
            .unwrap()
            .unwrap();
        let w = Walker::new("f", &root);
        assert_eq!(w.line_of("a.b[1].y"), Some(4));
        assert_eq!(w.line_of("a.b[1].nope"), Some(4));
        assert_eq!(w.line_of("a"), Some(1));
    }
}
