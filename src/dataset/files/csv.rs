//! CSV traces (Vidur/Veeksha-style request tables): a header row, then one request per row.
//! Column names are normalised (case, spaces and dashes) and aliases mapped onto the mooncake
//! fields; columns gauntlet does not use are ignored, since such tables carry many.

use std::path::Path;

use super::mooncake::{RowInput, TraceRow};
use super::{numbered_lines, read_text, FilesError};

/// Canonical column and the unit its values are scaled by to reach the row field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    InputLength,
    OutputLength,
    TimestampMs,
    ArrivalSeconds,
    DelayMs,
    SessionId,
    HashIds,
}

/// Header name (normalised) → column.
fn column(name: &str) -> Option<Column> {
    Some(match name {
        "input_length" | "num_prefill_tokens" | "prompt_tokens" | "input_tokens"
        | "prompt_length" | "context_tokens" | "contexttokens" | "isl" => Column::InputLength,
        "output_length" | "num_decode_tokens" | "completion_tokens" | "output_tokens"
        | "generated_tokens" | "generatedtokens" | "osl" => Column::OutputLength,
        "timestamp" | "timestamp_ms" => Column::TimestampMs,
        "arrived_at" | "arrival_time" => Column::ArrivalSeconds,
        "delay" | "delay_ms" => Column::DelayMs,
        "session_id" => Column::SessionId,
        "hash_ids" => Column::HashIds,
        _ => return None,
    })
}

/// `" Prompt Tokens"` → `"prompt_tokens"`.
pub(crate) fn normalise(name: &str) -> String {
    name.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// Reads a CSV trace into mooncake rows (no `hash_ids` unless a `hash_ids` column has them).
pub(crate) fn read(path: &Path) -> Result<Vec<TraceRow>, FilesError> {
    let text = read_text(path)?;
    let mut lines = numbered_lines(&text);
    let Some((header_line, header)) = lines.next() else {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "a header row such as input_length,output_length,timestamp",
        });
    };
    let names = split(path, header_line, header)?;
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(names.len());
    for name in &names {
        let col = column(&normalise(name));
        if col.is_some() && columns.contains(&col) {
            return Err(FilesError::field(
                path,
                header_line,
                name.trim(),
                "names the same field as an earlier column (aliases count as the same)",
            ));
        }
        columns.push(col);
    }
    if !columns.contains(&Some(Column::InputLength)) {
        return Err(FilesError::field(
            path,
            header_line,
            "input_length",
            "no input length column; expected one of input_length, num_prefill_tokens, \
             prompt_tokens, input_tokens, context_tokens",
        ));
    }
    let mut rows = Vec::new();
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
        rows.push(row(path, line, &names, &columns, &cells)?);
    }
    if rows.is_empty() {
        return Err(FilesError::Empty {
            path: path.to_path_buf(),
            expected: "rows after the header",
        });
    }
    Ok(rows)
}

fn row(
    path: &Path,
    line: usize,
    names: &[String],
    columns: &[Option<Column>],
    cells: &[String],
) -> Result<TraceRow, FilesError> {
    let mut row = TraceRow {
        line,
        session_id: None,
        timestamp_ms: None,
        delay_ms: None,
        input: RowInput::Length {
            input_length: 0,
            hash_ids: Vec::new(),
        },
        output_length: None,
    };
    let mut input_length = 0;
    let mut hash_ids = Vec::new();
    for ((name, column), cell) in names.iter().zip(columns).zip(cells) {
        let (Some(column), cell) = (column, cell.trim()) else {
            continue;
        };
        if cell.is_empty() {
            continue;
        }
        let err = |expected: &str| {
            FilesError::field(
                path,
                line,
                name.trim(),
                format!("expected {expected}, got {cell:?}"),
            )
        };
        let count = |min: u32| {
            cell.parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && *v >= f64::from(min) && *v <= f64::from(u32::MAX))
                .map(|v| v as u32)
                .ok_or_else(|| err(&format!("a whole number >= {min}")))
        };
        let ms = |scale: f64| {
            cell.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .map(|v| v * scale)
                .ok_or_else(|| err("a number >= 0"))
        };
        match column {
            Column::InputLength => input_length = count(1)?,
            Column::OutputLength => row.output_length = Some(count(1)?),
            Column::TimestampMs => row.timestamp_ms = Some(ms(1.0)?),
            Column::ArrivalSeconds => row.timestamp_ms = Some(ms(1000.0)?),
            Column::DelayMs => row.delay_ms = Some(ms(1.0)?),
            Column::SessionId => row.session_id = Some(cell.to_string()),
            Column::HashIds => {
                hash_ids = cell
                    .trim_matches(|c| c == '[' || c == ']')
                    .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse::<u64>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| err("ids separated by spaces or ';'"))?;
            }
        }
    }
    if input_length == 0 {
        return Err(FilesError::field(
            path,
            line,
            "input_length",
            "missing: the cell is empty",
        ));
    }
    row.input = RowInput::Length {
        input_length,
        hash_ids,
    };
    Ok(row)
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

    fn csv_file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn headers_are_normalised_and_aliased() {
        assert_eq!(normalise(" Num Prefill-Tokens "), "num_prefill_tokens");
        let f = csv_file(concat!(
            "request_id,Arrived At,Num_Prefill_Tokens,num_decode_tokens,note\n",
            "0,0.5,100,20,\"a, quoted \"\"cell\"\"\"\n",
            "1,1.25,7,,x\n",
        ));
        let rows = read(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].timestamp_ms, Some(500.0));
        assert_eq!(
            rows[0].input,
            RowInput::Length {
                input_length: 100,
                hash_ids: vec![]
            }
        );
        assert_eq!(
            (rows[0].output_length, rows[1].output_length),
            (Some(20), None)
        );
        assert_eq!((rows[1].line, rows[1].timestamp_ms), (3, Some(1250.0)));

        let f = csv_file(
            "prompt_tokens,completion_tokens,timestamp_ms,session_id,hash_ids\n600,3,42,s,0 1\n",
        );
        let rows = read(f.path()).unwrap();
        assert_eq!(rows[0].timestamp_ms, Some(42.0));
        assert_eq!(rows[0].session_id.as_deref(), Some("s"));
        assert_eq!(
            rows[0].input,
            RowInput::Length {
                input_length: 600,
                hash_ids: vec![0, 1]
            }
        );
    }

    #[test]
    fn malformed_rows_name_file_line_and_key() {
        let cases = [
            (
                "input_length,output_length\n10,2\n-3,2\n",
                3,
                "input_length",
            ),
            (
                "input_length,output_tokens\n10,2\n10,two\n",
                3,
                "output_tokens",
            ),
            ("input_length,timestamp\n10,2,5\n", 2, "<row>"),
            ("input_length,timestamp\n\"10,2\n", 2, "<row>"),
            ("output_length\n3\n", 1, "input_length"),
            ("input_length,prompt_tokens\n3,3\n", 1, "prompt_tokens"),
            ("input_length,output_length\n,4\n", 2, "input_length"),
        ];
        for (text, line, key) in cases {
            let f = file(text);
            let err = read(f.path()).unwrap_err().to_string();
            let prefix = format!("{}:{line}: {key}: ", f.path().display());
            assert!(
                err.starts_with(&prefix),
                "{err} does not start with {prefix}"
            );
        }
    }
}
