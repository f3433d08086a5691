//! AIPerf's `multi_turn` JSONL: one conversation per line, `{"session_id": .., "turns": [..]}`.
//! Turn k is sent after turn k-1 finishes, with its conversation (and the real reply) before it.

use std::path::Path;

use serde_json::Value;

use super::assemble::SessionSpec;
use super::fields::{parse_object, Fields};
use super::media::MediaReader;
use super::single_turn::{check_type, turn};
use super::{numbered_lines, read_text, FilesError};
use crate::config::EndpointType;

const EXAMPLE: &str =
    r#"{"session_id": "a", "turns": [{"text": "Hi"}, {"text": "More", "delay": 500}]}"#;
const KEYS: [&str; 3] = ["session_id", "turns", "type"];
const TURN_KEYS: [&str; 13] = [
    "text",
    "texts",
    "timestamp",
    "delay",
    "output_length",
    "role",
    "image",
    "images",
    "image_uuids",
    "audio",
    "audios",
    "video",
    "videos",
];

/// Reads a `multi_turn` file whose requests go to `endpoint`.
pub(crate) fn read(path: &Path, endpoint: EndpointType) -> Result<Vec<SessionSpec>, FilesError> {
    let text = read_text(path)?;
    let mut media = MediaReader::new(path, endpoint);
    let mut sessions = Vec::new();
    for (line, body) in numbered_lines(&text) {
        let object = parse_object(path, line, body, EXAMPLE)?;
        let fields = Fields::new(path, line, &object);
        fields.check_keys(&KEYS, "multi_turn")?;
        check_type(&fields, "multi_turn")?;
        let id = fields.opt_str("session_id")?.map(str::to_string);
        let turns = match object.get("turns") {
            Some(Value::Array(turns)) if !turns.is_empty() => turns,
            _ => {
                return Err(fields.err(
                    "turns",
                    format!("expected a non-empty list of turns, like {EXAMPLE}"),
                ))
            }
        };
        let mut specs = Vec::with_capacity(turns.len());
        for (k, value) in turns.iter().enumerate() {
            let Value::Object(turn_object) = value else {
                return Err(fields.err(
                    &format!("turns[{k}]"),
                    "expected an object like {\"text\": \"Hi\"}",
                ));
            };
            let turn_fields = fields.nested(format!("turns[{k}]."), turn_object);
            turn_fields.check_keys(&TURN_KEYS, "a multi_turn turn")?;
            specs.push(turn(&turn_fields, &mut media)?);
        }
        sessions.push(SessionSpec {
            id,
            turns: specs,
            history: true,
        });
    }
    if sessions.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "one conversation per line, like {\"session_id\": \"a\", \"turns\": [{\"text\": \"Hi\"}]}",
        });
    }
    Ok(sessions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::files::assemble::Content;
    use crate::dataset::files::test_support::file;

    #[test]
    fn one_session_per_line_with_history() {
        let f = file(concat!(
            "{\"session_id\": \"a\", \"turns\": [{\"text\": \"Hi\"}, {\"text\": \"More\", \"delay\": 500, \"output_length\": 7}]}\n",
            "{\"turns\": [{\"texts\": [\"x\"], \"timestamp\": 20}]}\n",
        ));
        let sessions = read(f.path(), EndpointType::Chat).unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions[0].id.as_deref(), Some("a"));
        assert!(sessions[0].history);
        assert_eq!(sessions[0].turns[1].content, Content::Text("More".into()));
        assert_eq!(
            (
                sessions[0].turns[1].delay_ms,
                sessions[0].turns[1].max_tokens
            ),
            (500, Some(7))
        );
        assert_eq!(
            (sessions[1].id.clone(), sessions[1].turns[0].timestamp_ms),
            (None, Some(20))
        );
    }

    #[test]
    fn malformed_lines_name_file_line_and_key() {
        let good = "{\"turns\": [{\"text\": \"ok\"}]}";
        let cases = [
            (format!("{good}\n{{\"session_id\": \"a\"}}"), 2, "turns"),
            (format!("{good}\n{{\"turns\": []}}"), 2, "turns"),
            (
                "{\"turns\": [{\"text\": \"a\"}, 3]}".to_string(),
                1,
                "turns[1]",
            ),
            (
                "{\"turns\": [{\"text\": \"a\"}, {\"delay\": 3}]}".to_string(),
                1,
                "turns[1].text",
            ),
            (
                "{\"turns\": [{\"text\": \"a\", \"delay\": \"x\"}]}".to_string(),
                1,
                "turns[0].delay",
            ),
            (
                "{\"turns\": [{\"text\": \"a\", \"session_id\": \"s\"}]}".to_string(),
                1,
                "turns[0].session_id",
            ),
            (
                "{\"turns\": [{\"text\": \"a\", \"audio\": \"http://x/a.wav\"}]}".to_string(),
                1,
                "turns[0].audio",
            ),
            (
                "{\"session_id\": 5, \"turns\": [{\"text\": \"a\"}]}".to_string(),
                1,
                "session_id",
            ),
        ];
        for (text, line, key) in cases {
            let f = file(&text);
            let err = read(f.path(), EndpointType::Chat).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {key}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
    }
}
