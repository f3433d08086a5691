//! SPEED-Bench's per-category matrix from finished runs: rows are models, columns are the
//! categories (then Overall), one run per (model, category) artifact folder.
//!
//! Server-side counters cover the whole server over the profiling window, so a category's
//! number needs a run that sent only that category: run `--public-dataset speed_bench_coding`,
//! `…_math`, … into one folder each, then point the report at the folders. Overall is the
//! mean of the row's category cells (each SPEED-Bench category has the same 80 prompts, so
//! every category weighs the same).

mod artifacts;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::atomic_file;

pub use artifacts::{read_run, RunCell};

use crate::config::CATEGORIES;

/// The CSV file name the report writes (AIPerf's).
pub const REPORT_CSV: &str = "speed_bench_report.csv";

/// What the matrix cells hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Mean tokens produced per target-model step: 1 + Δaccepted / Δdrafts.
    AcceptLength,
    /// Share of drafted tokens accepted: Δaccepted / Δdraft_tokens.
    AcceptRate,
    /// Output tokens per second of the run (`output_token_throughput`).
    Throughput,
}

impl Metric {
    /// The name `--metric` takes.
    pub fn name(self) -> &'static str {
        match self {
            Metric::AcceptLength => "accept_length",
            Metric::AcceptRate => "accept_rate",
            Metric::Throughput => "throughput",
        }
    }

    fn decimals(self) -> usize {
        match self {
            Metric::Throughput => 2,
            _ => 4,
        }
    }
}

/// Why the report could not be made; every message names the folder or file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file could not be read or parsed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        reason: String,
    },
    /// A file lacks what the metric needs.
    #[error("{file}: missing {what}")]
    Missing {
        /// The file.
        file: PathBuf,
        /// The key or counter, and what it is for.
        what: String,
    },
    /// The run's SPEED-Bench variant cannot be told.
    #[error("{dir}: cannot tell the SPEED-Bench category: run it with --public-dataset speed_bench_<category>, or name the folder after the category")]
    NoCategory {
        /// The folder.
        dir: PathBuf,
    },
    /// Two folders hold the same cell.
    #[error("{first} and {second} are both model '{model}', category '{category}': pass one folder per (model, category)")]
    Duplicate {
        /// The model.
        model: String,
        /// The category.
        category: String,
        /// The first folder.
        first: PathBuf,
        /// The second folder.
        second: PathBuf,
    },
    /// No folders were given.
    #[error("no artifact folders given")]
    NoRuns,
}

/// The per-category matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// What the cells hold.
    pub metric: Metric,
    /// Column labels (categories in SPEED-Bench's order, then any other variant), without
    /// Overall.
    pub columns: Vec<String>,
    /// One row per model, in the order the folders were given: (model, cells, overall).
    pub rows: Vec<(String, Vec<Option<f64>>, f64)>,
}

/// Reads every folder and builds the matrix.
pub fn build_matrix(dirs: &[PathBuf], metric: Metric) -> Result<Matrix, ReportError> {
    let cells = dirs
        .iter()
        .map(|dir| read_run(dir, metric))
        .collect::<Result<Vec<_>, _>>()?;
    matrix_from_cells(&cells, metric)
}

/// The matrix of already-read cells.
pub fn matrix_from_cells(cells: &[RunCell], metric: Metric) -> Result<Matrix, ReportError> {
    if cells.is_empty() {
        return Err(ReportError::NoRuns);
    }
    for (i, a) in cells.iter().enumerate() {
        if let Some(b) = cells[..i]
            .iter()
            .find(|b| b.model == a.model && b.category == a.category)
        {
            return Err(ReportError::Duplicate {
                model: a.model.clone(),
                category: a.category.clone(),
                first: b.dir.clone(),
                second: a.dir.clone(),
            });
        }
    }
    let mut columns: Vec<String> = CATEGORIES
        .iter()
        .filter(|c| cells.iter().any(|cell| cell.category == **c))
        .map(|c| c.to_string())
        .collect();
    for cell in cells {
        if !columns.contains(&cell.category) {
            columns.push(cell.category.clone());
        }
    }
    let mut models: Vec<&str> = Vec::new();
    for cell in cells {
        if !models.contains(&cell.model.as_str()) {
            models.push(&cell.model);
        }
    }
    let rows = models
        .into_iter()
        .map(|model| {
            let values: Vec<Option<f64>> = columns
                .iter()
                .map(|column| {
                    cells
                        .iter()
                        .find(|c| c.model == model && c.category == *column)
                        .map(|c| c.value)
                })
                .collect();
            let present: Vec<f64> = values.iter().flatten().copied().collect();
            let overall = present.iter().sum::<f64>() / present.len() as f64;
            (model.to_string(), values, overall)
        })
        .collect();
    Ok(Matrix {
        metric,
        columns,
        rows,
    })
}

impl Matrix {
    /// The CSV text: `model,<columns>,Overall`, empty cells where a model lacks a category.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("model");
        for column in &self.columns {
            out.push(',');
            out.push_str(&csv_field(column));
        }
        out.push_str(",Overall\n");
        for (model, values, overall) in &self.rows {
            out.push_str(&csv_field(model));
            for value in values {
                out.push(',');
                if let Some(v) = value {
                    out.push_str(&self.format(*v));
                }
            }
            let _ = writeln!(out, ",{}", self.format(*overall));
        }
        out
    }

    /// An aligned text table for the console, titled with the metric.
    pub fn to_console(&self) -> String {
        let mut header = vec!["model".to_string()];
        header.extend(self.columns.iter().cloned());
        header.push("Overall".into());
        let mut table = vec![header];
        for (model, values, overall) in &self.rows {
            let mut line = vec![model.clone()];
            line.extend(
                values
                    .iter()
                    .map(|v| v.map_or_else(|| "-".to_string(), |v| self.format(v))),
            );
            line.push(self.format(*overall));
            table.push(line);
        }
        let widths: Vec<usize> = (0..table[0].len())
            .map(|i| {
                table
                    .iter()
                    .map(|row| row[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("SPEED-Bench {} by category\n", self.metric.name());
        for (r, row) in table.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == 0 {
                        format!("{cell:<w$}", w = widths[i])
                    } else {
                        format!("{cell:>w$}", w = widths[i])
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
            if r == 0 {
                let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                let _ = writeln!(out, "{}", "-".repeat(total));
            }
        }
        out
    }

    /// Writes [`Matrix::to_csv`] to `dir/speed_bench_report.csv`; returns the path.
    pub fn write_csv(&self, dir: &Path) -> Result<PathBuf, ReportError> {
        let path = dir.join(REPORT_CSV);
        atomic_file::write_bytes(&path, self.to_csv().as_bytes()).map_err(|e| ReportError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(path)
    }

    fn format(&self, value: f64) -> String {
        format!("{value:.prec$}", prec = self.metric.decimals())
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests;
