//! Public benchmark datasets fetched from the Hugging Face hub: today SPEED-Bench
//! (`nvidia/SPEED-Bench`), the speculative-decoding benchmark, in every variant AIPerf names.
//!
//! Data comes from `--dataset-path` (a parquet file or a folder), else the local Hugging Face
//! cache, else a download into that cache; offline, the error is one line saying how to fetch
//! it. `report` turns the artifact folders of finished runs into SPEED-Bench's per-category
//! acceptance matrix (`gauntlet speed-bench-report`). See docs/speed-bench.md.

pub mod locate;
pub mod rows;
pub mod speed_bench;
pub mod vision;
pub mod vision_locate;

/// The SPEED-Bench variants, part of the plan and so defined in `config`; kept under their
/// old path for the matrix report and library users.
pub mod variant {
    pub use crate::config::{SpeedBenchVariant, CATEGORIES, ENTROPY_TIERS, THROUGHPUT_ISLS};
}

use std::path::PathBuf;

pub use locate::HubEnv;
pub use speed_bench::{is_placeholder, BuildReport};
pub use variant::SpeedBenchVariant;

use crate::config::PublicDatasetPlan;
use crate::dataset::Workload;
use crate::tokenizer::{Tokenizer, TokenizerError};

/// Why a public dataset could not become a workload.
#[derive(Debug, thiserror::Error)]
pub enum PublicDatasetError {
    /// The data is nowhere to be found (the message says how to fetch it).
    #[error("--public-dataset {name}: {reason}")]
    Unavailable {
        /// The variant.
        name: String,
        /// Why, and how to fix it, in one line.
        reason: String,
    },
    /// A file is not readable parquet.
    #[error("{path}: not readable as parquet: {reason}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The reader's error, in one line.
        reason: String,
    },
    /// A row lacks a column or holds the wrong type.
    #[error("{path}: row {row}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// 1-based row number in the file.
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// A prompt could not be tokenized.
    #[error("{path}: row {row} ({question_id}): {source}")]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// 1-based row number in the file.
        row: usize,
        /// The row's `question_id`.
        question_id: String,
        /// The tokenizer's error.
        source: TokenizerError,
    },
    /// Nothing is left to send.
    #[error("--public-dataset {name}: no rows to send from {files} ({why})")]
    Empty {
        /// The variant.
        name: String,
        /// The files read.
        files: String,
        /// What was found instead.
        why: String,
    },
}

/// Reads the variant's rows (from `--dataset-path`, the hub cache, or a download) and builds
/// the workload; the report says how many placeholder rows were set aside.
pub fn build(
    plan: &PublicDatasetPlan,
    tokenizer: &Tokenizer,
    env: &HubEnv,
) -> Result<(Workload, BuildReport), PublicDatasetError> {
    let name = plan.variant.name();
    let files = locate::locate(&plan.variant.config(), plan.dataset_path.as_deref(), env).map_err(
        |reason| PublicDatasetError::Unavailable {
            name: name.clone(),
            reason,
        },
    )?;
    let mut rows = Vec::new();
    for file in &files {
        for (index, row) in rows::read_rows(file)?.into_iter().enumerate() {
            rows.push((row, file.as_path(), index + 1));
        }
    }
    let (workload, report) = speed_bench::build(plan, &rows, tokenizer)?;
    if workload.entries.is_empty() {
        let files = files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let why = if report.matched_rows == 0 {
            format!(
                "{} rows read, none with a category this variant keeps",
                rows.len()
            )
        } else {
            format!(
                "all {} matching rows are placeholders; {}",
                report.matched_rows,
                "resolve them with SPEED-Bench's specdec_bench tooling and pass the result with --dataset-path"
            )
        };
        return Err(PublicDatasetError::Empty { name, files, why });
    }
    Ok((workload, report))
}

#[cfg(test)]
mod tests;
