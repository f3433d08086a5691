//! A YAML document as a tree whose every node remembers its line, so that config errors can
//! point at `file:line`. Built from `yaml-rust2`'s event parser (its own `Yaml` tree drops
//! positions). Subtrees convert to `serde_json::Value` for the parsers that take JSON
//! (`dist::parse`, request `extra_inputs`).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::Yaml;

/// One node and where it starts (1-based line; 0 when it did not come from the file, e.g. a
/// value set by a sweep).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// 1-based line of the node's first character, or 0 when set programmatically.
    pub line: usize,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A plain integer.
    Int(i64),
    /// A plain float, including `.nan` and `.inf`.
    Float(f64),
    /// A string: quoted, or plain text that is not another scalar.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in file order, keys as written.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as written.
    pub key: String,
    /// 1-based line of the key (0 when set programmatically).
    pub key_line: usize,
    /// The value.
    pub value: Node,
}

/// A document that is not well-formed YAML (or not one document).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub col: usize,
    /// What the parser reported.
    pub message: String,
}

impl Node {
    /// A node that did not come from a file.
    pub fn detached(kind: NodeKind) -> Self {
        Self { kind, line: 0 }
    }

    /// What kind of value this is, for "expected X, got Y" messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Null => "null (an empty value)".to_string(),
            NodeKind::Bool(b) => format!("the boolean {b}"),
            NodeKind::Int(i) => format!("the number {i}"),
            NodeKind::Float(f) => format!("the number {f}"),
            NodeKind::Str(s) => format!("the string {s:?}"),
            NodeKind::Seq(_) => "a list".to_string(),
            NodeKind::Map(_) => "a mapping".to_string(),
        }
    }

    /// The JSON form; mapping keys are passed through `key` (to normalise spellings where the
    /// schema owns the keys, or left alone where the user does, as in request fields). NaN and
    /// infinities, which JSON cannot hold, become the strings `.nan`, `.inf`, `-.inf`.
    pub fn to_json(&self, key: &dyn Fn(&str) -> String) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None if f.is_nan() => Value::from(".nan"),
                None if *f > 0.0 => Value::from(".inf"),
                None => Value::from("-.inf"),
            },
            NodeKind::Str(s) => Value::from(s.as_str()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(|n| n.to_json(key)).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (key(&e.key), e.value.to_json(key)))
                    .collect(),
            ),
        }
    }
}

/// Parses one YAML document. An empty document is `Ok(None)`.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| SyntaxError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    match builder.error {
        Some(err) => Err(err),
        None => Ok(builder.root),
    }
}

enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<Entry>,
        key: Option<(String, usize)>,
    },
}

/// The most nodes a config file may expand to, aliases counted at their full size: a config
/// is a few hundred nodes, and a 400-byte "billion laughs" of nested aliases would otherwise
/// expand to gigabytes.
pub const MAX_YAML_NODES: usize = 1_000_000;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes and how many nodes each holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes built so far, aliases expanded.
    nodes: usize,
    documents: usize,
    error: Option<SyntaxError>,
}

/// Nodes in `node`, itself included.
fn node_count(node: &Node) -> usize {
    1 + match &node.kind {
        NodeKind::Seq(items) => items.iter().map(node_count).sum(),
        NodeKind::Map(entries) => entries.iter().map(|e| 1 + node_count(&e.value)).sum(),
        _ => 0,
    }
}

impl Builder {
    fn fail(&mut self, line: usize, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SyntaxError {
                line,
                col: 0,
                message: message.into(),
            });
        }
    }

    /// Counts `more` nodes; false (and the error set) past [`MAX_YAML_NODES`].
    fn count(&mut self, more: usize, line: usize) -> bool {
        self.nodes = self.nodes.saturating_add(more);
        if self.nodes > MAX_YAML_NODES {
            self.fail(
                line,
                format!("the file expands to more than {MAX_YAML_NODES} values (aliases counted at their full size)"),
            );
            return false;
        }
        true
    }

    fn add(&mut self, node: Node, anchor: usize) {
        if self.error.is_some() {
            return;
        }
        if anchor > 0 {
            let size = node_count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some((key, key_line)) => entries.push(Entry {
                    key,
                    key_line,
                    value: node,
                }),
                None => {
                    let text = match node.kind {
                        NodeKind::Str(s) => s,
                        NodeKind::Int(i) => i.to_string(),
                        NodeKind::Float(f) => f.to_string(),
                        NodeKind::Bool(b) => b.to_string(),
                        NodeKind::Null => "null".to_string(),
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            let line = node.line;
                            self.fail(
                                line,
                                "a list or mapping used as a key; keys must be plain names",
                            );
                            return;
                        }
                    };
                    *key = Some((text, node.line));
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line();
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(
                        line,
                        "a second YAML document ('---'); a config file holds one",
                    );
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if !self.count(1, line) {
                    return;
                }
                let kind = scalar(text, style, tag.as_ref());
                self.add(Node { kind, line }, anchor);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if !self.count(1, line) => {}
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq {
                line,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map {
                line,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        line,
                        anchor,
                        items,
                    }) => (
                        Node {
                            kind: NodeKind::Seq(items),
                            line,
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        line,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            kind: NodeKind::Map(entries),
                            line,
                        },
                        anchor,
                    ),
                    None => return,
                };
                self.add(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).map(|(_, size)| *size) {
                Some(size) if self.count(size, line) => {
                    if let Some((node, _)) = self.anchors.get(&id).cloned() {
                        self.add(node, 0);
                    }
                }
                Some(_) => {}
                None => self.fail(line, "an alias to an unknown anchor"),
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// Resolves a scalar's type the way YAML 1.2's core schema does: quoted text is a string;
/// plain text may be null, a boolean, an integer or a float.
fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> NodeKind {
    let explicit_str = tag.is_some_and(|t| t.suffix == "str");
    if style != TScalarStyle::Plain || explicit_str {
        return NodeKind::Str(text);
    }
    match Yaml::from_str(&text) {
        Yaml::Null => NodeKind::Null,
        Yaml::Boolean(b) => NodeKind::Bool(b),
        Yaml::Integer(i) => NodeKind::Int(i),
        Yaml::Real(r) => match parse_float(&r) {
            Some(f) => NodeKind::Float(f),
            None => NodeKind::Str(text),
        },
        _ => NodeKind::Str(text),
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[Entry] {
        match &node.kind {
            NodeKind::Map(e) => e,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn nodes_keep_their_lines_and_types() {
        let text = "a: 1\nb:\n  c: [1.5, x, \"2\"]\n  d: ~\ne: true\n";
        let root = parse(text).unwrap().unwrap();
        let top = map(&root);
        assert_eq!((top[0].key.as_str(), top[0].key_line), ("a", 1));
        assert_eq!(top[0].value.kind, NodeKind::Int(1));
        let b = map(&top[1].value);
        assert_eq!(b[0].key_line, 3);
        let NodeKind::Seq(items) = &b[0].value.kind else {
            panic!()
        };
        assert_eq!(items[0].kind, NodeKind::Float(1.5));
        assert_eq!(items[1].kind, NodeKind::Str("x".into()));
        assert_eq!(items[2].kind, NodeKind::Str("2".into()));
        assert_eq!(b[1].value.kind, NodeKind::Null);
        assert_eq!(
            (top[2].key_line, &top[2].value.kind),
            (5, &NodeKind::Bool(true))
        );
    }

    #[test]
    fn json_form_spells_non_finite_floats_as_strings() {
        let root = parse("x: {mean: .nan, sd: 2, l: [1, .inf]}")
            .unwrap()
            .unwrap();
        let json = root.to_json(&|k| k.to_uppercase());
        assert_eq!(
            json,
            serde_json::json!({"X": {"MEAN": ".nan", "SD": 2, "L": [1, ".inf"]}})
        );
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.line, 2, "{err:?}");
        assert!(parse("").unwrap().is_none());
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_expands() {
        // Nine levels of ten aliases each: 10^9 values from a few hundred bytes.
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let p = level - 1;
            let refs = vec![format!("*a{p}"); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        assert!(text.len() < 600, "{}", text.len());
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("more than 1000000 values"), "{err:?}");
        assert!(err.line >= 5, "{err:?}");
        // Below the cap, aliases still expand.
        let fine = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n";
        assert!(parse(fine).is_ok());
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let root = parse("a: &x {mean: 5}\nb: *x\n").unwrap().unwrap();
        let top = map(&root);
        assert_eq!(top[0].value, top[1].value);
    }
}
