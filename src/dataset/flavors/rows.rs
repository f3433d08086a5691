//! Trace rows from JSONL, a JSON array or CSV, behind one typed accessor that names the row and
//! the column in every error.
//!
//! CSV is read by a small splitter (quoted fields with `""` escapes, no newlines inside quotes):
//! trace CSVs are numeric columns plus the odd quoted JSON cell, which does not justify a crate.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::error::{FlavorError, Loc};

/// Column spellings from older (Vidur / Sarathi) request logs, read as Veeksha's names.
const ALIASES: [(&str, &str); 2] = [
    ("input_length", "num_prefill_tokens"),
    ("output_length", "num_decode_tokens"),
];

/// One row of a trace and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Where the row is in the file.
    pub at: Loc,
    fields: Fields,
}

#[derive(Debug, Clone)]
enum Fields {
    Json(Map<String, Value>),
    Csv {
        header: Arc<[String]>,
        cells: Vec<String>,
    },
}

/// A cell as stored: JSON keeps its types, CSV is text until asked for a type.
enum Cell<'a> {
    Json(&'a Value),
    Text(&'a str),
}

impl Cell<'_> {
    fn shown(&self) -> String {
        let s = match self {
            Cell::Json(v) => v.to_string(),
            Cell::Text(t) => format!("'{t}'"),
        };
        s.chars().take(60).collect()
    }
}

/// Reads every row: `.csv` by extension, otherwise a JSON array when the file starts with `[`,
/// otherwise JSONL (blank lines skipped).
pub(crate) fn read_rows(path: &Path) -> Result<Vec<Row>, FlavorError> {
    let text = std::fs::read_to_string(path).map_err(|source| FlavorError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let is_array = !is_csv && text.trim_start().starts_with('[');
    // A JSON array may be one minified line; its elements are bounded by the prompt cap.
    if !is_array {
        if let Some((line, bytes)) = crate::dataset::long_line(&text) {
            return Err(FlavorError::Syntax {
                at: loc(path, line, false),
                reason: format!(
                    "the line is {bytes} bytes; a line may have at most {} bytes (gauntlet's \
                     cap, docs/reliability.md)",
                    crate::config::MAX_LINE_BYTES
                ),
            });
        }
    }
    if is_csv {
        read_csv(path, &text)
    } else if is_array {
        read_json_array(path, &text)
    } else {
        read_jsonl(path, &text)
    }
}

fn loc(path: &Path, line: usize, element: bool) -> Loc {
    Loc {
        path: path.to_path_buf(),
        line,
        element,
    }
}

fn object(at: Loc, value: Value) -> Result<Row, FlavorError> {
    match value {
        Value::Object(map) => Ok(Row {
            at,
            fields: Fields::Json(map),
        }),
        other => Err(FlavorError::Syntax {
            at,
            reason: format!(
                "expected a JSON object, found {}",
                short(&other.to_string())
            ),
        }),
    }
}

fn read_jsonl(path: &Path, text: &str) -> Result<Vec<Row>, FlavorError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = loc(path, i + 1, false);
        let value: Value = serde_json::from_str(line).map_err(|e| FlavorError::Syntax {
            at: at.clone(),
            reason: format!("not valid JSON ({e})"),
        })?;
        rows.push(object(at, value)?);
    }
    Ok(rows)
}

fn read_json_array(path: &Path, text: &str) -> Result<Vec<Row>, FlavorError> {
    let values: Vec<Value> = serde_json::from_str(text).map_err(|e| FlavorError::Syntax {
        at: loc(path, e.line(), false),
        reason: format!("not a valid JSON array ({e})"),
    })?;
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| object(loc(path, i + 1, true), v))
        .collect()
}

fn read_csv(path: &Path, text: &str) -> Result<Vec<Row>, FlavorError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_index, header_line)) = lines.next() else {
        return Ok(Vec::new());
    };
    let header: Arc<[String]> = split_csv(header_line, &loc(path, header_index + 1, false))?
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, line) in lines {
        let at = loc(path, i + 1, false);
        let cells = split_csv(line, &at)?;
        if cells.len() != header.len() {
            return Err(FlavorError::Syntax {
                at,
                reason: format!(
                    "{} cells but the header has {} columns",
                    cells.len(),
                    header.len()
                ),
            });
        }
        rows.push(Row {
            at,
            fields: Fields::Csv {
                header: Arc::clone(&header),
                cells,
            },
        });
    }
    Ok(rows)
}

/// One CSV line's cells, naming the line when a quote is never closed.
fn split_csv(line: &str, at: &Loc) -> Result<Vec<String>, FlavorError> {
    crate::dataset::csv_line::split(line).ok_or_else(|| FlavorError::Syntax {
        at: at.clone(),
        reason: "unterminated quoted field (newlines inside quotes are not supported)".to_string(),
    })
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

impl Row {
    /// The cell under `key` (or its alias); null and empty CSV cells count as absent, as
    /// pandas reads them as NaN.
    fn cell(&self, key: &str) -> Option<Cell<'_>> {
        let alias = ALIASES.iter().find(|(k, _)| *k == key).map(|(_, a)| *a);
        let lookup = |k: &str| -> Option<Cell<'_>> {
            match &self.fields {
                Fields::Json(map) => map.get(k).filter(|v| !v.is_null()).map(Cell::Json),
                Fields::Csv { header, cells } => header
                    .iter()
                    .position(|h| h == k)
                    .map(|i| cells[i].as_str())
                    .filter(|t| !t.trim().is_empty())
                    .map(Cell::Text),
            }
        };
        lookup(key).or_else(|| alias.and_then(lookup))
    }

    /// Whether the row has a non-empty `key`.
    pub fn has(&self, key: &str) -> bool {
        self.cell(key).is_some()
    }

    fn wrong(&self, key: &str, expected: &'static str, cell: &Cell<'_>) -> FlavorError {
        FlavorError::WrongType {
            at: self.at.clone(),
            key: key.to_string(),
            expected,
            found: cell.shown(),
        }
    }

    /// A non-negative number, or `None` when absent.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, FlavorError> {
        let Some(cell) = self.cell(key) else {
            return Ok(None);
        };
        let value = match &cell {
            Cell::Json(v) => v.as_f64(),
            Cell::Text(t) => t.trim().parse::<f64>().ok(),
        };
        match value {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(self.wrong(key, "a non-negative number", &cell)),
        }
    }

    /// A whole non-negative count that fits in u32, or `None` when absent.
    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>, FlavorError> {
        let Some(value) = self.opt_f64(key)? else {
            return Ok(None);
        };
        if value.fract() == 0.0 && value <= f64::from(u32::MAX) {
            Ok(Some(value as u32))
        } else {
            let found = value.to_string();
            Err(FlavorError::WrongType {
                at: self.at.clone(),
                key: key.to_string(),
                expected: "a whole number of tokens",
                found,
            })
        }
    }

    /// Text, or `None` when absent; numbers are refused so a shifted column is caught.
    pub fn opt_text(&self, key: &str) -> Result<Option<String>, FlavorError> {
        match self.cell(key) {
            None => Ok(None),
            Some(Cell::Text(t)) => Ok(Some(t.to_string())),
            Some(Cell::Json(Value::String(s))) => Ok(Some(s.clone())),
            Some(cell) => Err(self.wrong(key, "a string", &cell)),
        }
    }

    /// An identifier (session or document): a string or an integer, as text.
    pub fn opt_id(&self, key: &str) -> Result<Option<String>, FlavorError> {
        match self.cell(key) {
            None => Ok(None),
            Some(Cell::Text(t)) => Ok(Some(t.trim().to_string())),
            Some(Cell::Json(Value::String(s))) => Ok(Some(s.clone())),
            Some(Cell::Json(Value::Number(n))) => Ok(Some(n.to_string())),
            Some(cell) => Err(self.wrong(key, "a string or integer id", &cell)),
        }
    }

    /// Structured JSON: a JSON value, or a CSV / string cell that holds JSON text.
    pub fn opt_json(&self, key: &str) -> Result<Option<Value>, FlavorError> {
        let text = match self.cell(key) {
            None => return Ok(None),
            Some(Cell::Json(Value::String(s))) => s.as_str(),
            Some(Cell::Json(v)) => return Ok(Some(v.clone())),
            Some(Cell::Text(t)) => t,
        };
        serde_json::from_str(text)
            .map(Some)
            .map_err(|_| FlavorError::WrongType {
                at: self.at.clone(),
                key: key.to_string(),
                expected: "JSON (an array or object)",
                found: short(text),
            })
    }

    /// A list of integers such as `hash_ids`.
    pub fn opt_u64_list(&self, key: &str) -> Result<Option<Vec<u64>>, FlavorError> {
        let Some(value) = self.opt_json(key)? else {
            return Ok(None);
        };
        let list = value
            .as_array()
            .and_then(|items| items.iter().map(Value::as_u64).collect::<Option<Vec<_>>>());
        list.map(Some).ok_or_else(|| FlavorError::WrongType {
            at: self.at.clone(),
            key: key.to_string(),
            expected: "a list of non-negative integers",
            found: short(&value.to_string()),
        })
    }
}

/// Rows grouped by `key` in order of first appearance (pandas `groupby(sort=False)`); rows
/// without the column each form their own group.
pub(crate) fn group_by(rows: Vec<Row>, key: &str) -> Result<Vec<(String, Vec<Row>)>, FlavorError> {
    let mut groups: Vec<(String, Vec<Row>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (ordinal, row) in rows.into_iter().enumerate() {
        let id = row.opt_id(key)?.unwrap_or_else(|| format!("#row{ordinal}"));
        match index.get(&id) {
            Some(&g) => groups[g].1.push(row),
            None => {
                index.insert(id.clone(), groups.len());
                groups.push((id, vec![row]));
            }
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::temp_trace;
    use super::*;

    #[test]
    fn csv_quotes_escapes_and_bad_lines() {
        let (_d, path) = temp_trace("a.csv", "id,text\n1,\"a, \"\"b\"\"\"\n\n2,\n");
        let rows = read_rows(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].opt_text("text").unwrap().as_deref(),
            Some("a, \"b\"")
        );
        assert_eq!(
            rows[1].opt_text("text").unwrap(),
            None,
            "empty cells are absent"
        );
        assert_eq!(rows[1].at.line, 4);

        let (_d, path) = temp_trace("a.csv", "id,text\n1,2,3\n");
        let msg = read_rows(&path).unwrap_err().to_string();
        assert!(
            msg.contains("a.csv:2: 3 cells but the header has 2 columns"),
            "{msg}"
        );
        let (_d, path) = temp_trace("a.csv", "id,text\n1,\"open\n");
        let msg = read_rows(&path).unwrap_err().to_string();
        assert!(msg.contains("a.csv:2: unterminated quoted field"), "{msg}");
        let (_d, path) = temp_trace("a.json", "[{\"a\": 1}, 7]");
        let msg = read_rows(&path).unwrap_err().to_string();
        assert!(
            msg.contains("a.json element 2: expected a JSON object"),
            "{msg}"
        );
    }
}
