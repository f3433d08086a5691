//! Alibaba Bailian's public trace (`--custom-dataset-type bailian_trace`,
//! github.com/alibaba-edu/qwen-bailian-usagetraces-anon): JSONL rows like
//! `{"chat_id": 159, "parent_chat_id": -1, "timestamp": 61.114, "input_length": 521,
//! "output_length": 132, "type": "text", "turn": 1, "hash_ids": [1089, 1090]}`.
//!
//! Rows chain into conversations through `parent_chat_id` (`-1` = a root); a conversation is
//! named after its root's `chat_id` and its rows go in `turn` order. Each row is a
//! self-contained request (its `input_length` and `hash_ids` already cover the history the
//! service kept), so a turn is sent alone, not after the previous turns' messages.
//! `timestamp` is seconds; `hash_ids` are 16-token blocks (the plan's default block size for
//! this format). `type` is the request kind (text, search, image, file), not sent.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::assemble::SessionSpec;
use super::fields::{parse_object, Fields};
use super::mooncake::{check_hash_ids, into_sessions, RowInput, TraceRow};
use super::{numbered_lines, read_text, FilesError, InputFilePlan};
use crate::rng::RngRoot;

const EXAMPLE: &str = r#"{"chat_id": 159, "parent_chat_id": -1, "timestamp": 61.114, "input_length": 521, "output_length": 132, "type": "text", "turn": 1, "hash_ids": [1089, 1090]}"#;
const KEYS: [&str; 8] = [
    "chat_id",
    "parent_chat_id",
    "timestamp",
    "input_length",
    "output_length",
    "type",
    "turn",
    "hash_ids",
];

/// One Bailian row as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BailianRow {
    /// The row's own id.
    pub chat_id: i64,
    /// The request this one follows; -1 for a conversation's first.
    pub parent_chat_id: i64,
    /// Position in the conversation.
    pub turn: u32,
    /// The request, timestamp in ms.
    pub row: TraceRow,
}

/// Reads a Bailian JSONL trace; `block_size` checks each row's `hash_ids` count.
pub(crate) fn read(path: &Path, block_size: u32) -> Result<Vec<BailianRow>, FilesError> {
    let text = read_text(path)?;
    let mut rows = Vec::new();
    let mut lines_of: HashMap<i64, usize> = HashMap::new();
    for (line, body) in numbered_lines(&text) {
        let object = parse_object(path, line, body, EXAMPLE)?;
        let fields = Fields::new(path, line, &object);
        fields.check_keys(&KEYS, "bailian_trace")?;
        let id = |key: &str, min: i64| -> Result<Option<i64>, FilesError> {
            match object.get(key).filter(|v| !v.is_null()) {
                None => Ok(None),
                Some(v) => v.as_i64().filter(|&n| n >= min).map(Some).ok_or_else(|| {
                    fields.err(key, format!("expected a whole number >= {min}, got {v}"))
                }),
            }
        };
        let required =
            |key: &str| fields.err(key, format!("missing; expected a row like {EXAMPLE}"));
        let chat_id = id("chat_id", 0)?.ok_or_else(|| required("chat_id"))?;
        if let Some(first) = lines_of.insert(chat_id, line) {
            return Err(fields.err(
                "chat_id",
                format!("{chat_id} is already the chat_id of line {first}"),
            ));
        }
        let parent_chat_id = id("parent_chat_id", -1)?.unwrap_or(-1);
        if parent_chat_id == chat_id {
            return Err(fields.err("parent_chat_id", "a row cannot follow itself"));
        }
        let seconds = match object.get("timestamp").filter(|v| !v.is_null()) {
            None => return Err(required("timestamp")),
            Some(v) => v
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| {
                    fields.err(
                        "timestamp",
                        format!("expected seconds as a number >= 0, got {v}"),
                    )
                })?,
        };
        let input_length = fields
            .opt_u32("input_length", 1)?
            .ok_or_else(|| required("input_length"))?;
        let output_length = fields
            .opt_u32("output_length", 1)?
            .ok_or_else(|| required("output_length"))?;
        let turn = fields.opt_u32("turn", 1)?.unwrap_or(1);
        if let Some(kind) = object.get("type").filter(|v| !v.is_null()) {
            if !matches!(kind, Value::String(_)) {
                return Err(fields.err("type", format!("expected a string, got {kind}")));
            }
        }
        let hash_ids = fields.opt_ids("hash_ids")?.unwrap_or_default();
        check_hash_ids(&fields, hash_ids.len(), input_length, block_size)?;
        rows.push(BailianRow {
            chat_id,
            parent_chat_id,
            turn,
            row: TraceRow {
                line,
                session_id: None,
                timestamp_ms: Some(seconds * 1000.0),
                delay_ms: None,
                input: RowInput::Length {
                    input_length,
                    hash_ids,
                },
                output_length: Some(output_length),
            },
        });
    }
    if rows.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "one request per line, like {\"chat_id\": 159, \"parent_chat_id\": -1, \"timestamp\": 61.1, \"input_length\": 521, \"output_length\": 132, \"turn\": 1}",
        });
    }
    Ok(rows)
}

/// Rows → conversations: each row joins its root's conversation (the end of its
/// `parent_chat_id` chain inside the file), conversations in order of their first row in the
/// file, turns by `turn` (file order between equal turns), each turn sent alone.
pub(crate) fn into_conversations(
    path: &Path,
    rows: Vec<BailianRow>,
    plan: &InputFilePlan,
    root: &RngRoot,
) -> Result<Vec<SessionSpec>, FilesError> {
    let index: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.chat_id, i))
        .collect();
    let mut root_of: Vec<Option<i64>> = vec![None; rows.len()];
    for start in 0..rows.len() {
        let mut at = start;
        let mut steps = 0;
        // A parent outside the file ends the chain: that row is the conversation's first here.
        while let Some(&parent) = index.get(&rows[at].parent_chat_id) {
            if let Some(known) = root_of[parent] {
                root_of[start] = Some(known);
                break;
            }
            steps += 1;
            if steps > rows.len() {
                let row = &rows[start];
                return Err(FilesError::field(
                    path,
                    row.row.line,
                    "parent_chat_id",
                    format!("the chain from chat_id {} loops", row.chat_id),
                ));
            }
            at = parent;
        }
        if root_of[start].is_none() {
            root_of[start] = Some(rows[at].chat_id);
        }
    }
    let mut order: HashMap<i64, usize> = HashMap::new();
    let mut keyed: Vec<(usize, u32, usize, TraceRow)> = rows
        .into_iter()
        .zip(root_of)
        .enumerate()
        .map(|(i, (r, root))| {
            let root = root.unwrap_or(r.chat_id);
            let next = order.len();
            let session = *order.entry(root).or_insert(next);
            let row = TraceRow {
                session_id: Some(root.to_string()),
                ..r.row
            };
            (session, r.turn, i, row)
        })
        .collect();
    keyed.sort_by_key(|&(session, turn, i, _)| (session, turn, i));
    let rows = keyed.into_iter().map(|(_, _, _, row)| row).collect();
    let mut sessions = into_sessions(path, rows, plan, root)?;
    for session in &mut sessions {
        session.history = false;
    }
    Ok(sessions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InputFormat;
    use crate::dataset::files::test_support::file;

    fn plan(path: &Path) -> InputFilePlan {
        InputFilePlan {
            path: path.to_path_buf(),
            format: InputFormat::BailianTrace,
            block_size: 16,
            pool_entries: 1,
            synthesis: None,
            window_ms: None,
            endpoint: crate::config::EndpointType::Chat,
        }
    }

    #[test]
    fn chains_become_conversations_in_turn_order_sent_alone() {
        let f = file(concat!(
            "{\"chat_id\": 159, \"parent_chat_id\": -1, \"timestamp\": 61.114, \"input_length\": 40, \"output_length\": 132, \"type\": \"text\", \"turn\": 1, \"hash_ids\": [1089, 1090, 1091]}\n",
            "{\"chat_id\": 7, \"parent_chat_id\": -1, \"timestamp\": 61.5, \"input_length\": 16, \"output_length\": 3, \"type\": \"search\", \"turn\": 1, \"hash_ids\": [5]}\n",
            "{\"chat_id\": 161, \"parent_chat_id\": 160, \"timestamp\": 64.0, \"input_length\": 20, \"output_length\": 9, \"type\": \"text\", \"turn\": 3, \"hash_ids\": [1089, 2]}\n",
            "{\"chat_id\": 160, \"parent_chat_id\": 159, \"timestamp\": 62.5, \"input_length\": 33, \"output_length\": 80, \"type\": \"text\", \"turn\": 2, \"hash_ids\": [1089, 1090, 3]}\n",
            "{\"chat_id\": 900, \"parent_chat_id\": 899, \"timestamp\": 70, \"input_length\": 1, \"output_length\": 1, \"turn\": 4}\n",
        ));
        let rows = read(f.path(), 16).unwrap();
        let sessions =
            into_conversations(f.path(), rows, &plan(f.path()), &RngRoot::new(0)).unwrap();
        let shape: Vec<_> = sessions
            .iter()
            .map(|s| {
                let lines: Vec<_> = s
                    .turns
                    .iter()
                    .map(|t| (t.line, t.timestamp_ms, t.max_tokens))
                    .collect();
                (s.id.clone().unwrap(), s.history, lines)
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    "159".to_string(),
                    false,
                    vec![
                        (1, Some(61_114), Some(132)),
                        (4, Some(62_500), Some(80)),
                        (3, Some(64_000), Some(9))
                    ]
                ),
                ("7".to_string(), false, vec![(2, Some(61_500), Some(3))]),
                ("900".to_string(), false, vec![(5, Some(70_000), Some(1))]),
            ]
        );
    }

    #[test]
    fn bad_rows_name_file_line_and_key() {
        let good = "{\"chat_id\": 1, \"timestamp\": 0, \"input_length\": 16, \"output_length\": 2, \"hash_ids\": [1]}";
        let cases = [
            (format!("{good}\n{{\"timestamp\": 1, \"input_length\": 3, \"output_length\": 2}}"), 2, "chat_id"),
            (format!("{good}\n{good}"), 2, "chat_id"),
            ("{\"chat_id\": 2, \"timestamp\": -1, \"input_length\": 3, \"output_length\": 2}".to_string(), 1, "timestamp"),
            ("{\"chat_id\": 2, \"timestamp\": 1, \"output_length\": 2}".to_string(), 1, "input_length"),
            ("{\"chat_id\": 2, \"timestamp\": 1, \"input_length\": 3, \"output_length\": 0}".to_string(), 1, "output_length"),
            ("{\"chat_id\": 2, \"parent_chat_id\": -2, \"timestamp\": 1, \"input_length\": 3, \"output_length\": 1}".to_string(), 1, "parent_chat_id"),
            ("{\"chat_id\": 2, \"timestamp\": 1, \"input_length\": 40, \"output_length\": 1, \"hash_ids\": [1]}".to_string(), 1, "hash_ids"),
            ("{\"chat_id\": 2, \"timestamp\": 1, \"input_length\": 3, \"output_length\": 1, \"turn\": 0}".to_string(), 1, "turn"),
            ("{\"chat_id\": 2, \"timestamp\": 1, \"input_length\": 3, \"output_length\": 1, \"tokens\": 0}".to_string(), 1, "tokens"),
            ("{\"chat_id\": 2, \"parent_chat_id\": 2, \"timestamp\": 1, \"input_length\": 3, \"output_length\": 1}".to_string(), 1, "parent_chat_id"),
        ];
        for (text, line, key) in cases {
            let f = file(&text);
            let err = read(f.path(), 16).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {key}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
        let f = file(concat!(
            "{\"chat_id\": 1, \"parent_chat_id\": 2, \"timestamp\": 0, \"input_length\": 3, \"output_length\": 1}\n",
            "{\"chat_id\": 2, \"parent_chat_id\": 1, \"timestamp\": 0, \"input_length\": 3, \"output_length\": 1}\n",
        ));
        let rows = read(f.path(), 16).unwrap();
        let err = into_conversations(f.path(), rows, &plan(f.path()), &RngRoot::new(0))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":1: parent_chat_id: the chain from chat_id 1 loops"),
            "{err}"
        );
    }
}
