//! AIPerf's `single_turn` JSONL: one request per line. Lines sharing a `session_id` are sent
//! in order, each without the others' history (AIPerf's causal ordering).

use std::path::Path;

use super::assemble::{group, Content, SessionSpec, TurnSpec};
use super::fields::{parse_object, whole_ms, Fields};
use super::media::MediaReader;
use super::{numbered_lines, read_text, FilesError};
use crate::config::EndpointType;

const EXAMPLE: &str = r#"{"text": "Hello", "output_length": 16}"#;
const KEYS: [&str; 15] = [
    "text",
    "texts",
    "timestamp",
    "delay",
    "session_id",
    "output_length",
    "role",
    "type",
    "image",
    "images",
    "image_uuids",
    "audio",
    "audios",
    "video",
    "videos",
];

/// Reads a `single_turn` file whose requests go to `endpoint`.
pub(crate) fn read(path: &Path, endpoint: EndpointType) -> Result<Vec<SessionSpec>, FilesError> {
    let text = read_text(path)?;
    let mut media = MediaReader::new(path, endpoint);
    let mut rows = Vec::new();
    for (line, body) in numbered_lines(&text) {
        let object = parse_object(path, line, body, EXAMPLE)?;
        let fields = Fields::new(path, line, &object);
        fields.check_keys(&KEYS, "single_turn")?;
        check_type(&fields, "single_turn")?;
        let session = fields.opt_str("session_id")?.map(str::to_string);
        rows.push((session, turn(&fields, &mut media)?));
    }
    if rows.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "one JSON object per line, like {\"text\": \"Hello\"}",
        });
    }
    Ok(group(rows, false))
}

/// One turn's fields, shared with `multi_turn`'s turns. A turn with media may have no text
/// (AIPerf's "at least one modality"); its text part is then empty.
pub(crate) fn turn(fields: &Fields<'_>, media: &mut MediaReader) -> Result<TurnSpec, FilesError> {
    fields.check_role()?;
    let text = fields.text()?;
    let media = media.read(fields)?;
    let Some(text) = text.or_else(|| (!media.is_empty()).then(String::new)) else {
        return Err(fields.err(
            "text",
            "missing: give \"text\" or \"texts\" (or an image, audio or video)",
        ));
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
        media,
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
        let sessions = read(f.path(), EndpointType::Chat).unwrap();
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
    fn media_keys_become_the_turns_media() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        let path = dir.path().join("p.jsonl");
        std::fs::write(
            &path,
            "{\"text\": \"look\", \"image\": \"a.png\"}\n{\"images\": [\"https://x/b.png\"]}\n",
        )
        .unwrap();
        let sessions = read(&path, EndpointType::Chat).unwrap();
        let first = &sessions[0].turns[0];
        assert_eq!(first.content, Content::Text("look".into()));
        assert_eq!(
            first.media,
            vec![crate::media::MediaPart::Image {
                url: "data:image/png;base64,iVBORw0KGgo=".into()
            }]
        );
        // Media alone: an empty text.
        let second = &sessions[1].turns[0];
        assert_eq!(second.content, Content::Text(String::new()));
        assert_eq!(second.media.len(), 1);
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
                "{\"text\": \"a\", \"image\": \"missing.png\"}".to_string(),
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
            let err = read(f.path(), EndpointType::Chat).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {key}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
        let err = read(file("\n\n").path(), EndpointType::Chat)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no entries"), "{err}");
    }
}
