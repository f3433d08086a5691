//! `--endpoint-type raw`: each line of `--input-file` is a complete request body, sent as it
//! is (AIPerf's `raw_payload` dataset). A file makes one single-turn request per line; a
//! folder makes one multi-turn session per `.jsonl` file in it (in name order), whose lines
//! are its turns, each sent as it is once the one before has been answered (the bodies carry
//! their own conversation). The bodies are checked here, before the clock: a line that is not
//! one JSON object is refused naming `file:line`. The input sequence length is the body's
//! text (`messages[].content`, `prompt`, `input`, `inputs`, `text`, `query`) counted with the
//! run's tokenizer.

use std::path::Path;

use serde_json::Value;

use super::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::tokenizer::Tokenizer;

/// The bodies of a raw run and the workload they make (entry `i` is body `i`).
#[derive(Debug)]
pub struct RawPayloads {
    /// One single-turn entry per body: its text and exact input tokens.
    pub workload: Workload,
    /// The lines, byte for byte (without their line break).
    pub bodies: Vec<Vec<u8>>,
}

/// Most turns one session file may hold (turn links are 16-bit).
const MAX_TURNS: usize = u16::MAX as usize;

/// Reads `path`, a file or a folder of session files. `streaming` is the run's `--streaming`:
/// the reply is read as SSE exactly when it is set, so a body's own `"stream": true` must
/// agree with it. Errors are one line naming the file (and the line where there is one).
pub fn load(path: &Path, tokenizer: &Tokenizer, streaming: bool) -> Result<RawPayloads, String> {
    if path.is_dir() {
        return load_sessions(path, tokenizer, streaming);
    }
    let mut entries = Vec::new();
    let mut bodies = Vec::new();
    read_file(path, tokenizer, streaming, &mut entries, &mut bodies)?;
    if bodies.is_empty() {
        return Err(format!(
            "--input-file {}: no payloads (one JSON request body per line)",
            path.display()
        ));
    }
    Ok(RawPayloads {
        workload: Workload::single_turn(entries),
        bodies,
    })
}

/// A folder: one session per `.jsonl` file, its lines the turns in order.
fn load_sessions(
    dir: &Path,
    tokenizer: &Tokenizer,
    streaming: bool,
) -> Result<RawPayloads, String> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "--input-file {}: cannot list the folder ({e})",
            dir.display()
        )
    })?;
    let mut files: Vec<std::path::PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut entries = Vec::new();
    let mut bodies = Vec::new();
    let mut sessions = Vec::new();
    for file in &files {
        let first = entries.len();
        read_file(file, tokenizer, streaming, &mut entries, &mut bodies)?;
        let turns = entries.len() - first;
        if turns == 0 {
            continue;
        }
        if turns > MAX_TURNS {
            return Err(format!(
                "--input-file {}: {turns} turns in one session; at most {MAX_TURNS}",
                file.display()
            ));
        }
        let id = format!("session_{:06}", sessions.len());
        for (k, entry) in entries[first..].iter_mut().enumerate() {
            entry.session_id.clone_from(&id);
            // Each turn waits for the one before; its body already holds the conversation.
            entry.turn = TurnLinks {
                parents: if k == 0 {
                    Vec::new()
                } else {
                    vec![(k - 1) as u16]
                },
                history: None,
                delay_ms: 0,
            };
        }
        sessions.push(SessionSpan {
            first: first as u32,
            turns: turns as u32,
        });
    }
    if sessions.is_empty() {
        return Err(format!(
            "--input-file {}: no payloads (a folder of .jsonl files, one session each, a JSON request body per line)",
            dir.display()
        ));
    }
    Ok(RawPayloads {
        workload: Workload { entries, sessions },
        bodies,
    })
}

/// Appends the bodies of one file and their entries (single-turn, numbered on).
fn read_file(
    path: &Path,
    tokenizer: &Tokenizer,
    streaming: bool,
    entries: &mut Vec<WorkloadEntry>,
    bodies: &mut Vec<Vec<u8>>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--input-file {}: cannot read it ({e})", path.display()))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), n + 1);
        let value: Value = serde_json::from_str(line)
            .map_err(|e| format!("{}: not a JSON request body ({e})", at()))?;
        if !value.is_object() {
            return Err(format!(
                "{}: a raw payload must be one JSON object (a whole request body) per line",
                at()
            ));
        }
        let streams = value
            .get("stream")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if streams != streaming {
            return Err(if streams {
                format!("{}: the body asks for \"stream\": true; pass --streaming (the replies are read as SSE only with it)", at())
            } else {
                format!("{}: --streaming is given but the body does not ask for \"stream\": true; add it to every payload or drop --streaming", at())
            });
        }
        let prompt = body_text(&value);
        let tokens = tokenizer
            .count(&prompt)
            .map_err(|e| format!("{}: cannot count its tokens ({e})", at()))?;
        let max_tokens = ["max_tokens", "max_completion_tokens", "max_output_tokens"]
            .iter()
            .find_map(|k| value.get(k).and_then(Value::as_u64))
            .map(|n| n.min(u64::from(u32::MAX)) as u32);
        let id = format!("session_{:06}", entries.len());
        entries.push(WorkloadEntry::single(id, prompt, tokens, max_tokens));
        bodies.push(line.as_bytes().to_vec());
    }
    Ok(())
}

/// The prompt text of a body, for its input sequence length.
fn body_text(body: &Value) -> String {
    let mut out = String::new();
    let mut push = |s: &str| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    };
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for content in messages.iter().filter_map(|m| m.get("content")) {
            match content {
                Value::String(s) => push(s),
                Value::Array(parts) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .for_each(&mut push),
                _ => {}
            }
        }
    }
    for key in ["prompt", "input", "inputs", "text", "query"] {
        match body.get(key) {
            Some(Value::String(s)) => push(s),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut push),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_text_reads_the_usual_fields() {
        let v: Value = serde_json::from_str(
            r#"{"messages":[{"role":"system","content":"a"},{"role":"user","content":[{"type":"text","text":"b"}]}]}"#,
        )
        .unwrap();
        assert_eq!(body_text(&v), "a\nb");
        let v: Value = serde_json::from_str(r#"{"prompt":"p","input":["x","y"]}"#).unwrap();
        assert_eq!(body_text(&v), "p\nx\ny");
        assert_eq!(body_text(&serde_json::json!({"other": 1})), "");
    }

    #[test]
    fn lines_are_kept_verbatim_and_bad_lines_are_named() {
        let tokenizer = Tokenizer::load(&crate::config::TokenizerSpec::Builtin).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.jsonl");
        let first = r#"{"model": "keep-me",  "prompt": "hello there", "max_tokens": 9}"#;
        std::fs::write(&file, format!("{first}\r\n\n{{\"messages\":[]}}\n")).unwrap();
        let raw = load(&file, &tokenizer, false).unwrap();
        assert_eq!(raw.bodies.len(), 2);
        assert_eq!(raw.bodies[0], first.as_bytes());
        let e = &raw.workload.entries[0];
        assert_eq!(e.prompt, "hello there");
        assert_eq!(e.input_tokens, tokenizer.count("hello there").unwrap());
        assert_eq!(e.max_tokens, Some(9));
        std::fs::write(&file, "{\"a\":1}\n\n{\"a\": oops}\n").unwrap();
        let err = load(&file, &tokenizer, false).unwrap_err();
        assert!(
            err.starts_with(&format!("{}:3: not a JSON request body", file.display())),
            "{err}"
        );
        std::fs::write(&file, "[1, 2]\n").unwrap();
        let err = load(&file, &tokenizer, false).unwrap_err();
        assert!(
            err.contains(":1: a raw payload must be one JSON object"),
            "{err}"
        );
        std::fs::write(&file, "{\"a\":1}\n{\"stream\":true}\n").unwrap();
        let err = load(&file, &tokenizer, false).unwrap_err();
        assert!(
            err.contains(":2: the body asks for \"stream\": true; pass --streaming"),
            "{err}"
        );
        let err = load(&file, &tokenizer, true).unwrap_err();
        assert!(err.contains(":1: --streaming is given but"), "{err}");
        std::fs::write(&file, "\n").unwrap();
        assert!(load(&file, &tokenizer, false)
            .unwrap_err()
            .contains("no payloads"));
    }

    #[test]
    fn a_folder_is_one_session_per_file_in_name_order() {
        let tokenizer = Tokenizer::load(&crate::config::TokenizerSpec::Builtin).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.jsonl"), "{\"prompt\":\"b1\"}\n").unwrap();
        std::fs::write(
            dir.path().join("a.jsonl"),
            "{\"prompt\":\"a1\"}\n\n{\"prompt\":\"a2\"}\n{\"prompt\":\"a3\"}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a session").unwrap();
        std::fs::write(dir.path().join("empty.jsonl"), "\n").unwrap();
        let raw = load(dir.path(), &tokenizer, false).unwrap();
        let prompts: Vec<&str> = raw
            .workload
            .entries
            .iter()
            .map(|e| e.prompt.as_str())
            .collect();
        assert_eq!(prompts, ["a1", "a2", "a3", "b1"]);
        assert_eq!(
            raw.workload.sessions,
            [
                SessionSpan { first: 0, turns: 3 },
                SessionSpan { first: 3, turns: 1 }
            ]
        );
        let links: Vec<(Vec<u16>, Option<u16>)> = raw
            .workload
            .entries
            .iter()
            .map(|e| (e.turn.parents.clone(), e.turn.history))
            .collect();
        assert_eq!(
            links,
            [
                (vec![], None),
                (vec![0], None),
                (vec![1], None),
                (vec![], None)
            ]
        );
        assert_eq!(raw.workload.entries[2].session_id, "session_000000");
        assert_eq!(raw.workload.entries[3].session_id, "session_000001");
        std::fs::write(dir.path().join("c.jsonl"), "{\"a\":1}\n{oops}\n").unwrap();
        let err = load(dir.path(), &tokenizer, false).unwrap_err();
        assert!(err.contains("c.jsonl:2: not a JSON request body"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert!(load(empty.path(), &tokenizer, false)
            .unwrap_err()
            .contains("no payloads (a folder of .jsonl files"));
    }
}
