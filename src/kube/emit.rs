//! Kubernetes objects printed as YAML documents or one JSON `List`. The YAML is written from
//! the objects' own JSON by the small block-style writer below: yaml-rust2's emitter (the
//! config loader's library) writes a literal block that reads back wrong when its first line
//! starts with a space or it ends in several newlines, and a config file's text can do both.

use std::fmt::Write as _;

use serde_json::Value;

/// The objects as YAML documents, each after a `---` line.
pub fn yaml(objects: &[Value]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        node(&mut out, object, 0);
    }
    out
}

/// The objects as one pretty-printed `v1` `List`, what `kubectl get -o json` prints and
/// `kubectl apply -f` takes.
pub fn json(objects: &[Value]) -> String {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects,
    });
    let mut text = serde_json::to_string_pretty(&list).expect("JSON values serialize");
    text.push('\n');
    text
}

/// Writes `value` as a block node whose lines start at `indent`, each line ending in `\n`.
fn node(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                pad(out, indent);
                out.push_str(&scalar_text(key));
                out.push(':');
                after_key(out, v, indent + 2);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                // The item is written one level in, then its first line's indentation becomes
                // the dash: `- key: v` with the item's other keys under `key`.
                let mut inner = String::new();
                match item {
                    Value::Object(m) if !m.is_empty() => node(&mut inner, item, indent + 2),
                    Value::Array(a) if !a.is_empty() => node(&mut inner, item, indent + 2),
                    _ => {
                        pad(&mut inner, indent + 2);
                        scalar(&mut inner, item, indent + 2);
                        inner.push('\n');
                    }
                }
                pad(out, indent);
                out.push_str("- ");
                out.push_str(&inner[indent + 2..]);
            }
        }
        other => {
            pad(out, indent);
            scalar(out, other, indent);
            out.push('\n');
        }
    }
}

/// What follows `key:`: a nested block on the next lines, or ` scalar`.
fn after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            node(out, value, indent);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            node(out, value, indent);
        }
        _ => {
            out.push(' ');
            scalar(out, value, indent);
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar (or an empty collection) in flow position; a multi-line string becomes a literal
/// block whose lines start at `indent`.
fn scalar(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) if literal_block_reads_back(s) => literal_block(out, s, indent),
        Value::String(s) => out.push_str(&scalar_text(s)),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

/// `text` plain when no YAML reader (1.1 or 1.2) can take it for anything but this string,
/// else double-quoted (a JSON string is a valid YAML double-quoted scalar).
fn scalar_text(text: &str) -> String {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
    ];
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !WORDS.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("strings serialize")
    }
}

/// Whether `text` can be a literal block that reads back as itself: several lines, the first
/// with text not starting with a space (its indentation sets the block's), no characters a
/// YAML reader would take for line breaks or reject.
fn literal_block_reads_back(text: &str) -> bool {
    text.contains('\n')
        && text
            .lines()
            .find(|l| !l.is_empty())
            .is_some_and(|first| !first.starts_with([' ', '\t']))
        && !text.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
        })
}

/// `|`, `|-` or `|+` (one, none or several final newlines kept), then each line at `indent`.
fn literal_block(out: &mut String, text: &str, indent: usize) {
    let trailing = text.len() - text.trim_end_matches('\n').len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust2::{Yaml, YamlLoader};

    fn from_yaml(y: &Yaml) -> Value {
        match y {
            Yaml::Null => Value::Null,
            Yaml::Boolean(b) => Value::Bool(*b),
            Yaml::Integer(i) => Value::from(*i),
            Yaml::Real(r) => Value::from(r.parse::<f64>().unwrap()),
            Yaml::String(s) => Value::String(s.clone()),
            Yaml::Array(a) => Value::Array(a.iter().map(from_yaml).collect()),
            Yaml::Hash(h) => Value::Object(
                h.iter()
                    .map(|(k, v)| (k.as_str().unwrap().to_string(), from_yaml(v)))
                    .collect(),
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn yaml_reads_back_as_the_same_values() {
        let tricky = [
            "true",
            "no",
            "1",
            "0755",
            "1e3",
            "",
            " lead",
            "trail ",
            "a: b",
            "- x",
            "#c",
            "500m",
            "2Gi",
            "null",
            "~",
            "'q'",
            "\"dq\"",
            "tab\there",
            "ünï",
            "x\ny\n",
            "x\n\ny",
            "  indented\nline\n",
            "\tx\ny",
            " ",
            "\n",
            "\n\n",
            "a\r\nb",
            "-",
            "key:",
            "2026-01-01",
            "0x1F",
            "1_000",
            "Yes",
            "NULL",
            "=",
            "!tag",
            "&a",
            "*a",
            "%x",
            "@x",
            "`x",
            "x #y",
            "x: y",
            "---",
            "a\n---\nb",
            "\nlead\n",
            "a\u{2028}b",
            "app.kubernetes.io/name",
            "/artifacts/x",
            "ends\n\n",
            "key: 1\nlist:\n  - {a: 2}\n",
        ];
        let object = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "data": tricky.iter().enumerate().map(|(i, s)| (format!("k{i}"), Value::from(*s)))
                .collect::<serde_json::Map<_, _>>(),
            "n": [1, -2, 2.5, false, null, [], {}, [[1, "a\nb"], []]],
            "nested": [{"a": {"b": [{"c": 1, "d": "x\ny"}]}}],
            "e": {"empty": {}, "list": [], "s": ""},
        });
        let text = yaml(&[object.clone(), object.clone()]);
        let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(docs.len(), 2, "{text}");
        for doc in &docs {
            assert_eq!(from_yaml(doc), object, "{text}");
        }
    }

    #[test]
    fn json_is_a_list_of_the_objects() {
        let text = json(&[serde_json::json!({"kind": "Job"})]);
        let list: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"][0]["kind"], "Job");
    }
}
