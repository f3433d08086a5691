//! BurstGPT's public trace (`--custom-dataset-type burst_gpt_trace`): Azure OpenAI usage logs
//! as CSV, `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`, one
//! independent request per row. `Timestamp` is seconds from the start of the log; the row's
//! request tokens become an exact-length synthetic prompt and its response tokens
//! `max_tokens`. `Model`, `Total tokens` and `Log Type` describe the logged request and are not
//! sent. Rows whose `Response tokens` is 0 are the log's failed requests: left out (as vLLM's
//! BurstGPT loader does) and counted on stderr, never silently.

use std::path::Path;

use super::csv::normalise;
use super::mooncake::{RowInput, TraceRow};
use super::{numbered_lines, read_text, FilesError};

/// The columns a row needs, as BurstGPT's header spells them.
const TIMESTAMP: &str = "Timestamp";
const REQUEST: &str = "Request tokens";
const RESPONSE: &str = "Response tokens";

/// What `read` found: the rows to send and how many failed requests were left out.
#[derive(Debug)]
pub(crate) struct BurstRows {
    /// One row per logged request that got a response.
    pub rows: Vec<TraceRow>,
    /// Rows with `Response tokens` 0 (failed in the log), not replayed.
    pub failed: usize,
}

/// Reads a BurstGPT CSV; a row with a bad cell is refused naming `file:line: column`.
pub(crate) fn read(path: &Path) -> Result<BurstRows, FilesError> {
    let text = read_text(path)?;
    let mut lines = numbered_lines(&text);
    let header_hint =
        "a header row Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type";
    let Some((header_line, header)) = lines.next() else {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: header_hint,
        });
    };
    let names = split(path, header_line, header)?;
    let find = |want: &str| {
        let want = normalise(want);
        names
            .iter()
            .position(|n| normalise(n) == want)
            .ok_or_else(|| {
                FilesError::field(
                    path,
                    header_line,
                    want_name(&want),
                    format!("no such column in the header; expected {header_hint}"),
                )
            })
    };
    let (ts, req, resp) = (find(TIMESTAMP)?, find(REQUEST)?, find(RESPONSE)?);
    let mut rows = Vec::new();
    let mut failed = 0;
    for (line, body) in lines {
        let cells = split(path, line, body)?;
        if cells.len() != names.len() {
            return Err(FilesError::field(
                path,
                line,
                "<row>",
                format!(
                    "{} cells, but the header has {} columns",
                    cells.len(),
                    names.len()
                ),
            ));
        }
        let cell = |at: usize| cells[at].trim();
        let bad = |column: &str, expected: &str, at: usize| {
            FilesError::field(
                path,
                line,
                column,
                format!("expected {expected}, got {:?}", cell(at)),
            )
        };
        let seconds = cell(ts)
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| bad(TIMESTAMP, "seconds as a number >= 0", ts))?;
        let count = |at: usize, column: &str, min: u32| {
            cell(at)
                .parse::<u32>()
                .ok()
                .filter(|&n| n >= min)
                .ok_or_else(|| bad(column, &format!("a whole number >= {min}"), at))
        };
        let input_length = count(req, REQUEST, 1)?;
        let output_length = count(resp, RESPONSE, 0)?;
        if output_length == 0 {
            failed += 1;
            continue;
        }
        rows.push(TraceRow {
            line,
            session_id: None,
            timestamp_ms: Some(seconds * 1000.0),
            delay_ms: None,
            input: RowInput::Length {
                input_length,
                hash_ids: Vec::new(),
            },
            output_length: Some(output_length),
        });
    }
    if rows.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: if failed > 0 {
                "rows with Response tokens > 0 (every row is a failed request)"
            } else {
                "rows after the header"
            },
        });
    }
    Ok(BurstRows { rows, failed })
}

/// The header spelling of a normalised required column, for the error.
fn want_name(normalised: &str) -> &'static str {
    [TIMESTAMP, REQUEST, RESPONSE]
        .into_iter()
        .find(|n| normalise(n) == normalised)
        .unwrap_or(REQUEST)
}

/// One CSV line's cells, naming the line when a quote is never closed.
fn split(path: &Path, line: usize, text: &str) -> Result<Vec<String>, FilesError> {
    crate::dataset::csv_line::split(text).ok_or_else(|| {
        FilesError::field(
            path,
            line,
            "<row>",
            "unterminated quote (cells spanning lines are not supported)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::files::test_support::file;

    /// The first rows of BurstGPT_1.csv's layout (values made up).
    const SAMPLE: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
        5,ChatGPT,472,18,490,Conversation log\n\
        45,ChatGPT,1087,0,1087,Conversation log\n\
        118.5,GPT-4,417,276,693,API log\n";

    #[test]
    fn rows_keep_lengths_and_second_timestamps_and_failed_rows_are_counted() {
        let f = file(SAMPLE);
        let got = read(f.path()).unwrap();
        assert_eq!(got.failed, 1);
        let rows: Vec<_> = got
            .rows
            .iter()
            .map(|r| (r.line, r.timestamp_ms, r.input.clone(), r.output_length))
            .collect();
        let len = |n| RowInput::Length {
            input_length: n,
            hash_ids: vec![],
        };
        assert_eq!(
            rows,
            vec![
                (2, Some(5000.0), len(472), Some(18)),
                (4, Some(118_500.0), len(417), Some(276)),
            ]
        );
        assert!(got.rows.iter().all(|r| r.session_id.is_none()));
    }

    #[test]
    fn bad_cells_name_file_line_and_column() {
        let head = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n";
        let ok = "1,ChatGPT,10,2,12,API log\n";
        let cases = [
            (
                format!("{head}{ok}-1,ChatGPT,10,2,12,API log\n"),
                3,
                "Timestamp",
            ),
            (
                format!("{head}{ok}{ok}x,ChatGPT,10,2,12,API log\n"),
                4,
                "Timestamp",
            ),
            (
                format!("{head}2,ChatGPT,0,2,2,API log\n"),
                2,
                "Request tokens",
            ),
            (
                format!("{head}2,ChatGPT,1.5,2,2,API log\n"),
                2,
                "Request tokens",
            ),
            (
                format!("{head}2,ChatGPT,10,,2,API log\n"),
                2,
                "Response tokens",
            ),
            (format!("{head}2,ChatGPT,10,2\n"), 2, "<row>"),
            (
                "Timestamp,Model,Response tokens\n1,a,2\n".to_string(),
                1,
                "Request tokens",
            ),
        ];
        for (text, line, column) in cases {
            let f = file(&text);
            let err = read(f.path()).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {column}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
        let f = file(&format!("{head}1,ChatGPT,10,0,10,API log\n"));
        let err = read(f.path()).unwrap_err().to_string();
        assert!(err.contains("every row is a failed request"), "{err}");
    }
}
