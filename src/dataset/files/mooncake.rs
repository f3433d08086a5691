//! AIPerf's `mooncake_trace` JSONL: `{"timestamp": ms, "input_length": n, "output_length": n,
//! "hash_ids": [..]}` per line (or `text_input` instead of a length). Lines sharing a
//! `session_id` form one conversation, in file order. CSV traces become the same rows.

use std::path::Path;

use super::assemble::{group, Content, SessionSpec, TurnSpec};
use super::fields::{parse_object, whole_ms, Fields};
use super::single_turn::check_type;
use super::{numbered_lines, read_text, FilesError, InputFilePlan};
use crate::dataset::synthesis::{Synthesizer, TraceRequest};
use crate::rng::RngRoot;

const EXAMPLE: &str =
    r#"{"timestamp": 0, "input_length": 600, "output_length": 16, "hash_ids": [0, 1]}"#;
const KEYS: [&str; 8] = [
    "timestamp",
    "input_length",
    "output_length",
    "hash_ids",
    "session_id",
    "delay",
    "text_input",
    "type",
];
/// AIPerf keys gauntlet does not replay yet; named so the error says so instead of "unknown".
const LATER: [&str; 6] = [
    "messages",
    "tools",
    "payload",
    "message_mode",
    "extra",
    "context_mode",
];

/// What a trace row sends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowInput {
    /// Synthetic text of this many tokens, from `hash_ids` blocks when given.
    Length {
        /// Prompt tokens.
        input_length: u32,
        /// Block ids (may be empty).
        hash_ids: Vec<u64>,
    },
    /// Literal prompt text.
    Text(String),
}

/// One trace request as read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TraceRow {
    /// 1-based line (CSV: the row's line).
    pub line: usize,
    /// Conversation label.
    pub session_id: Option<String>,
    /// Arrival time, ms.
    pub timestamp_ms: Option<f64>,
    /// Think time before this turn, ms.
    pub delay_ms: Option<f64>,
    /// The prompt.
    pub input: RowInput,
    /// `max_tokens`.
    pub output_length: Option<u32>,
}

/// Reads a mooncake JSONL trace; `block_size` checks each row's `hash_ids` count.
pub(crate) fn read(path: &Path, block_size: u32) -> Result<Vec<TraceRow>, FilesError> {
    let text = read_text(path)?;
    let mut rows = Vec::new();
    for (line, body) in numbered_lines(&text) {
        let object = parse_object(path, line, body, EXAMPLE)?;
        let fields = Fields::new(path, line, &object);
        if let Some(key) = LATER.iter().find(|k| fields.has(k)) {
            return Err(fields.err(
                key,
                "not supported yet; use input_length (+ hash_ids) or text_input",
            ));
        }
        fields.check_keys(&KEYS, "mooncake_trace")?;
        check_type(&fields, "mooncake_trace")?;
        rows.push(row(&fields, block_size)?);
    }
    if rows.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "one request per line, like {\"timestamp\": 0, \"input_length\": 600, \"hash_ids\": [0, 1]}",
        });
    }
    Ok(rows)
}

fn row(fields: &Fields<'_>, block_size: u32) -> Result<TraceRow, FilesError> {
    let input_length = fields.opt_u32("input_length", 1)?;
    let text = fields.opt_str("text_input")?;
    let hash_ids = fields.opt_ids("hash_ids")?;
    let input = match (input_length, text) {
        (Some(_), Some(_)) => {
            return Err(fields.err(
                "text_input",
                "input_length and text_input cannot be set together",
            ))
        }
        (None, None) => {
            return Err(fields.err(
                "input_length",
                format!("missing: give input_length (or text_input), like {EXAMPLE}"),
            ))
        }
        (None, Some(text)) => {
            if hash_ids.is_some() {
                return Err(fields.err("hash_ids", "only allowed with input_length"));
            }
            RowInput::Text(text.to_string())
        }
        (Some(input_length), None) => {
            let hash_ids = hash_ids.unwrap_or_default();
            check_hash_ids(fields, hash_ids.len(), input_length, block_size)?;
            RowInput::Length {
                input_length,
                hash_ids,
            }
        }
    };
    let timestamp_ms = fields.opt_ms("timestamp")?;
    let delay_ms = fields.opt_ms("delay")?;
    if timestamp_ms.is_some() && delay_ms.is_some() {
        return Err(fields.err("delay", "timestamp and delay cannot be set together"));
    }
    Ok(TraceRow {
        line: fields.line(),
        session_id: fields.opt_str("session_id")?.map(str::to_string),
        timestamp_ms,
        delay_ms,
        input,
        output_length: fields.opt_u32("output_length", 1)?,
    })
}

/// A row with `hash_ids` needs exactly one id per block of its input.
pub(super) fn check_hash_ids(
    fields: &Fields<'_>,
    ids: usize,
    input_length: u32,
    block_size: u32,
) -> Result<(), FilesError> {
    let needed = input_length.div_ceil(block_size) as usize;
    if ids == 0 || ids == needed {
        return Ok(());
    }
    let covered = ids as u64 * u64::from(block_size);
    let message = if ids < needed {
        format!(
            "{ids} ids × block size {block_size} = {covered} tokens < input_length {input_length}; \
             is the trace's block size different? set --prompt-input-tokens-block-size"
        )
    } else {
        format!(
            "{ids} ids for input_length {input_length} at block size {block_size}, which needs \
             {needed}; is the trace's block size different? set --prompt-input-tokens-block-size"
        )
    };
    Err(fields.err("hash_ids", message))
}

/// Rows → sessions (lines sharing a `session_id` form one conversation), synthesized first
/// when the plan asks for it.
pub(crate) fn into_sessions(
    path: &Path,
    rows: Vec<TraceRow>,
    plan: &InputFilePlan,
    root: &RngRoot,
) -> Result<Vec<SessionSpec>, FilesError> {
    let rows = match &plan.synthesis {
        Some(synthesis) => {
            let synthesizer = Synthesizer::new(synthesis.config(plan.block_size, root.seed()))?;
            synthesize(path, rows, &synthesizer)?
        }
        None => rows,
    };
    let specs = rows
        .into_iter()
        .map(|row| {
            let content = match row.input {
                RowInput::Length {
                    input_length,
                    hash_ids,
                } => Content::Tokens {
                    input_length,
                    hash_ids,
                },
                RowInput::Text(text) => Content::Text(text),
            };
            let turn = TurnSpec {
                line: row.line,
                content,
                max_tokens: row.output_length,
                timestamp_ms: row.timestamp_ms.map(whole_ms),
                delay_ms: row.delay_ms.map_or(0, whole_ms),
                media: Vec::new(),
            };
            (row.session_id, turn)
        })
        .collect();
    Ok(group(specs, true))
}

/// The synthesizer's trace in place of `rows`: row i keeps its line, session and delay and
/// takes request i's lengths, blocks and (sped-up) timestamp.
fn synthesize(
    path: &Path,
    rows: Vec<TraceRow>,
    synthesizer: &Synthesizer,
) -> Result<Vec<TraceRow>, FilesError> {
    let requests = rows
        .iter()
        .map(|row| match &row.input {
            RowInput::Length {
                input_length,
                hash_ids,
            } => Ok(TraceRequest {
                timestamp_ms: row.timestamp_ms,
                input_length: *input_length,
                output_length: row.output_length.unwrap_or(0),
                hash_ids: hash_ids.clone(),
                session_id: row.session_id.clone(),
            }),
            RowInput::Text(_) => Err(FilesError::field(
                path,
                row.line,
                "text_input",
                "--synthesis-* needs input_length rows; remove the synthesis flags or the text rows",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let synthesized = synthesizer.synthesize(&requests);
    Ok(rows
        .into_iter()
        .zip(synthesized)
        .map(|(row, request)| TraceRow {
            timestamp_ms: request.timestamp_ms,
            input: RowInput::Length {
                input_length: request.input_length,
                hash_ids: request.hash_ids,
            },
            // The input's missing budgets were sampled as 0: still "let the server decide".
            output_length: Some(request.output_length).filter(|&n| n > 0),
            ..row
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::files::test_support::file;

    #[test]
    fn reads_rows_and_groups_sessions_in_order() {
        let f = file(concat!(
            "{\"session_id\": \"a\", \"timestamp\": 0, \"input_length\": 600, \"output_length\": 4, \"hash_ids\": [0, 1]}\n",
            "{\"session_id\": \"b\", \"timestamp\": 10.6, \"text_input\": \"hello\"}\n",
            "{\"session_id\": \"a\", \"delay\": 200, \"input_length\": 10, \"output_length\": 2}\n",
            "{\"input_length\": 5}\n",
        ));
        let rows = read(f.path(), 512).unwrap();
        assert_eq!(rows.len(), 4);
        let plan = InputFilePlan {
            path: f.path().to_path_buf(),
            format: super::super::InputFormat::MooncakeTrace,
            block_size: 512,
            pool_entries: 1,
            synthesis: None,
            window_ms: None,
            endpoint: crate::config::EndpointType::Chat,
        };
        let sessions = into_sessions(f.path(), rows, &plan, &RngRoot::new(0)).unwrap();
        let ids: Vec<_> = sessions
            .iter()
            .map(|s| (s.id.clone(), s.turns.len()))
            .collect();
        assert_eq!(
            ids,
            vec![(Some("a".into()), 2), (Some("b".into()), 1), (None, 1)]
        );
        assert!(sessions[0].history);
        let second = &sessions[0].turns[1];
        assert_eq!(
            (second.line, second.delay_ms, second.max_tokens),
            (3, 200, Some(2))
        );
        assert_eq!(sessions[1].turns[0].timestamp_ms, Some(11));
        assert_eq!(sessions[1].turns[0].content, Content::Text("hello".into()));
        assert_eq!(sessions[2].turns[0].max_tokens, None);
    }

    #[test]
    fn malformed_lines_name_file_line_and_key() {
        let good =
            "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [0, 1]}";
        let cases = [
            (
                format!("{good}\n{{\"output_length\": 3}}"),
                2,
                "input_length",
            ),
            (
                format!("{good}\n{good}\n{{\"input_length\": 0}}"),
                3,
                "input_length",
            ),
            (
                "{\"input_length\": 1025, \"hash_ids\": [1, 2]}".to_string(),
                1,
                "hash_ids",
            ),
            (
                "{\"input_length\": 100, \"hash_ids\": [1, 2]}".to_string(),
                1,
                "hash_ids",
            ),
            (
                "{\"input_length\": 10, \"hash_ids\": [\"a\"]}".to_string(),
                1,
                "hash_ids",
            ),
            (
                "{\"text_input\": \"a\", \"hash_ids\": [1]}".to_string(),
                1,
                "hash_ids",
            ),
            (
                "{\"text_input\": \"a\", \"input_length\": 3}".to_string(),
                1,
                "text_input",
            ),
            (
                "{\"input_length\": 3, \"timestamp\": \"soon\"}".to_string(),
                1,
                "timestamp",
            ),
            (
                "{\"input_length\": 3, \"timestamp\": 1, \"delay\": 1}".to_string(),
                1,
                "delay",
            ),
            (
                "{\"input_length\": 3, \"output_length\": -2}".to_string(),
                1,
                "output_length",
            ),
            (
                "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}".to_string(),
                1,
                "messages",
            ),
            (
                "{\"input_length\": 3, \"hashids\": [1]}".to_string(),
                1,
                "hashids",
            ),
        ];
        for (text, line, key) in cases {
            let f = file(&text);
            let err = read(f.path(), 512).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {key}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
        let f = file("{\"input_length\": 1025, \"hash_ids\": [1, 2]}");
        let err = read(f.path(), 512).unwrap_err().to_string();
        assert!(err.contains("1024 tokens < input_length 1025"), "{err}");
    }
}
