//! Reading SPEED-Bench rows out of parquet files with the `parquet` crate's row API (no Arrow:
//! the files are small and the row API keeps the build light).

use std::path::{Path, PathBuf};

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

use super::PublicDatasetError;

/// The columns gauntlet uses from one dataset row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeedBenchRow {
    /// `question_id`.
    pub question_id: String,
    /// `category`: a semantic domain (qualitative) or an entropy tier (throughput).
    pub category: String,
    /// `turns`: the user turns, in order.
    pub turns: Vec<String>,
}

/// Every row of `path`, in file order.
pub fn read_rows(path: &Path) -> Result<Vec<SpeedBenchRow>, PublicDatasetError> {
    // The parquet crate still panics on some corrupt files (apache/arrow-rs#9742; found by
    // fuzz/fuzz_targets/speed_bench_rows.rs): a bad download is an error naming the file.
    crate::quiet_panic::catch(|| read_rows_unguarded(path)).unwrap_or_else(|panic| {
        Err(PublicDatasetError::Parquet {
            path: path.to_path_buf(),
            reason: format!("corrupt file (the parquet reader failed: {panic})"),
        })
    })
}

fn read_rows_unguarded(path: &Path) -> Result<Vec<SpeedBenchRow>, PublicDatasetError> {
    let parquet_err = |reason: String| PublicDatasetError::Parquet {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| parquet_err(e.to_string()))?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_err(explain(&e)))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| parquet_err(explain(&e)))?;
    let mut out = Vec::new();
    for (index, row) in rows.enumerate() {
        let row = row.map_err(|e| parquet_err(explain(&e)))?;
        out.push(convert(path, index + 1, &row)?);
    }
    Ok(out)
}

fn convert(
    path: &Path,
    row_number: usize,
    row: &parquet::record::Row,
) -> Result<SpeedBenchRow, PublicDatasetError> {
    let row_err = |message: String| PublicDatasetError::Row {
        path: PathBuf::from(path),
        row: row_number,
        message,
    };
    let mut question_id = None;
    let mut category = None;
    let mut turns = None;
    for (name, field) in row.get_column_iter() {
        match name.as_str() {
            "question_id" => question_id = text(field),
            "category" => category = text(field),
            "turns" => {
                let Field::ListInternal(list) = field else {
                    return Err(row_err(format!(
                        "turns: expected a list of strings, got {field}"
                    )));
                };
                let mut texts = Vec::with_capacity(list.elements().len());
                for (i, element) in list.elements().iter().enumerate() {
                    match element {
                        Field::Str(s) => texts.push(s.clone()),
                        Field::Null => {}
                        other => {
                            return Err(row_err(format!(
                                "turns[{i}]: expected a string, got {other}"
                            )))
                        }
                    }
                }
                turns = Some(texts);
            }
            _ => {}
        }
    }
    let turns = turns.ok_or_else(|| row_err("no `turns` column (is this SPEED-Bench?)".into()))?;
    Ok(SpeedBenchRow {
        question_id: question_id.unwrap_or_else(|| format!("row_{row_number}")),
        category: category
            .ok_or_else(|| row_err("no `category` column (is this SPEED-Bench?)".into()))?,
        turns,
    })
}

fn text(field: &Field) -> Option<String> {
    match field {
        Field::Str(s) => Some(s.clone()),
        Field::Null => None,
        other => Some(other.to_string()),
    }
}

/// Parquet errors in one line, with a hint for the codecs this build leaves out.
fn explain(error: &parquet::errors::ParquetError) -> String {
    let reason = error.to_string().replace(['\n', '\r'], "; ");
    if reason.contains("Disabled feature") || reason.contains("not supported") {
        format!("{reason}; gauntlet reads uncompressed and snappy parquet (the Hugging Face default): re-save the file with snappy compression")
    } else {
        reason
    }
}
