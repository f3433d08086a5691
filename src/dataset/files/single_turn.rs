//! AIPerf's `single_turn` JSONL: one request per line. Lines sharing a `session_id` are sent
//! in order, each without the others' history (AIPerf's causal ordering).

use std::path::Path;

use super::assemble::{group, Content, SessionSpec, TurnSpec};
use super::fields::{parse_object, whole_ms, Fields};
use super::{numbered_lines, read_text, FilesError};

const EXAMPLE: &str = r#"{"text": "Hello", "output_length": 16}"#;
const KEYS: [&str; 8] = [
    "text",
    "texts",
    "timestamp",
    "delay",
    "session_id",
    "output_length",
    "role",
    "type",
];

/// Reads a `single_turn` file.
pub(crate) fn read(path: &Path) -> Result<Vec<SessionSpec>, FilesError> {
    let text = read_text(path)?;
    let mut rows = Vec::new();
    for (line, body) in numbered_lines(&text) {
        let object = parse_object(path, line, body, EXAMPLE)?;
        let fields = Fields::new(path, line, &object);
        fields.check_keys(&KEYS, "single_turn")?;
        check_type(&fields, "single_turn")?;
        let session = fields.opt_str("session_id")?.map(str::to_string);
        rows.push((session, turn(&fields)?));
    }
    if rows.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "one JSON object per line, like {\"text\": \"Hello\"}",
        });
    }
    Ok(group(rows, false))
}

/// One turn's fields, shared with `multi_turn`'s turns.
pub(crate) fn turn(fields: &Fields<'_>) -> Result<TurnSpec, FilesError> {
    fields.check_role()?;
    let Some(text) = fields.text()? else {
        return Err(fields.err("text", "missing: give \"text\" or \"texts\""));
    };
    let timestamp = fields.opt_ms("timestamp")?;
    let delay = fields.opt_ms("delay")?;
    if timestamp.is_some() && delay.is_some() {
        return Err(fields.err("delay", "timestamp and delay cannot be set together"));
    }
    Ok(TurnSpec {
        line: fields.line(),
        content: Content::Text(text),
        max_tokens: fields.opt_u32("output_length", 1)?,
        timestamp_ms: timestamp.map(whole_ms),
        delay_ms: delay.map_or(0, whole_ms),
    })
}

/// AIPerf lines may name their format in `type`; a different one is a mistake worth naming.
pub(crate) fn check_type(fields: &Fields<'_>, format: &str) -> Result<(), FilesError> {
    match fields.opt_str("type")? {
        None => Ok(()),
        Some(t) if t == format => Ok(()),
        Some(other) => Err(fields.err(
            "type",
            format!("this line says {other:?} but --custom-dataset-type is {format}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::files::test_support::file;

    #[test]
    fn reads_text_texts_timing_and_sessions() {
        let f = file(concat!(
            "{\"text\": \"Hello\", \"output_length\": 5, \"timestamp\": 1500.4}\n",
            "\n",
            "{\"texts\": [\"a\", {\"name\": \"q\", \"contents\": [\"b\", \"c\"]}], \"session_id\": \"s1\"}\n",
            "{\"text\": \"again\", \"session_id\": \"s1\", \"delay\": 250, \"role\": \"user\"}\n",
        ));
        let sessions = read(f.path()).unwrap();
        assert_eq!(sessions.len(), 2);
        let first = &sessions[0].turns[0];
        assert_eq!(first.content, Content::Text("Hello".into()));
        assert_eq!(
            (first.max_tokens, first.timestamp_ms, first.line),
            (Some(5), Some(1500), 1)
        );
        assert_eq!(sessions[1].id.as_deref(), Some("s1"));
        assert!(!sessions[1].history);
        assert_eq!(
            sessions[1].turns[0].content,
            Content::Text("a\nb\nc".into())
        );
        assert_eq!(
            (sessions[1].turns[1].delay_ms, sessions[1].turns[1].line),
            (250, 4)
        );
    }

    #[test]
    fn malformed_lines_name_file_line_and_key() {
        let good = "{\"text\": \"ok\"}";
        let cases = [
            (format!("{good}\n{{\"text\": 3}}"), 2, "text"),
            (format!("{good}\n{{\"output_length\": 4}}"), 2, "text"),
            (
                "{\"text\": \"a\", \"output_length\": 0}".to_string(),
                1,
                "output_length",
            ),
            (
                "{\"text\": \"a\", \"timestamp\": -1}".to_string(),
                1,
                "timestamp",
            ),
            (
                "{\"text\": \"a\", \"timestamp\": 1, \"delay\": 2}".to_string(),
                1,
                "delay",
            ),
            (
                "{\"text\": \"a\", \"texts\": [\"b\"]}".to_string(),
                1,
                "texts",
            ),
            ("{\"texts\": [1]}".to_string(), 1, "texts"),
            (
                "{\"text\": \"a\", \"image\": \"x.png\"}".to_string(),
                1,
                "image",
            ),
            (
                "{\"text\": \"a\", \"ouput_length\": 3}".to_string(),
                1,
                "ouput_length",
            ),
            (
                "{\"text\": \"a\", \"role\": \"assistant\"}".to_string(),
                1,
                "role",
            ),
            (
                "{\"text\": \"a\", \"type\": \"multi_turn\"}".to_string(),
                1,
                "type",
            ),
            (format!("{good}\n{good}\n[1]"), 3, "<line>"),
            (format!("{good}\n{{\"text\": "), 2, "<line>"),
        ];
        for (text, line, key) in cases {
            let f = file(&text);
            let err = read(f.path()).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {key}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
        let err = read(file("\n\n").path()).unwrap_err().to_string();
        assert!(err.contains("no entries"), "{err}");
        let media = read(file("{\"text\": \"a\", \"images\": []}").path()).unwrap_err();
        assert!(media.to_string().contains("not supported yet"), "{media}");
    }
}
