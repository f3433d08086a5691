//! Keeps `docs/distributions.md` honest: every `json` block parses, and every quoted error
//! message is the one the code produces.

use super::{parse, SeqDist};

const DOC: &str = include_str!("../../docs/distributions.md");

/// The bodies of the fenced blocks whose info string is `lang`.
fn blocks(lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in DOC.lines() {
        match current.as_mut() {
            None if line.trim_end() == format!("```{lang}") => current = Some(String::new()),
            None => {}
            Some(body) if line.trim_end() == "```" => {
                out.push(std::mem::take(body));
                current = None;
            }
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    out
}

#[test]
fn every_json_example_parses() {
    let examples = blocks("json");
    assert!(examples.len() >= 12, "found {}", examples.len());
    for text in examples {
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => panic!("not JSON: {text} ({e})"),
        };
        if let Err(e) = parse(&value, "isl") {
            panic!("{text} fails: {e}");
        }
    }
}

#[test]
fn every_documented_error_is_exact() {
    let texts = blocks("text");
    let lines: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(lines.len() >= 30, "found {} lines", lines.len());
    for pair in lines.chunks(2) {
        let [input, expected] = pair else {
            panic!("unpaired line {pair:?}")
        };
        let Some(expected) = expected.strip_prefix("error: ") else {
            panic!("expected an error line after {input}")
        };
        let got = if let Some(json) = input.strip_prefix("input: ") {
            let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
            parse(&value, "dataset.prompts.isl")
                .map(|_| ())
                .err()
                .map(|e| e.to_string())
        } else if let Some(text) = input.strip_prefix("seq: ") {
            SeqDist::parse(text, "--seq-dist")
                .err()
                .map(|e| e.to_string())
        } else {
            panic!("unknown input line {input}")
        };
        assert_eq!(got.as_deref(), Some(expected), "for {input}");
    }
}
