//! Public benchmark datasets fetched from the Hugging Face hub: SPEED-Bench
//! (`nvidia/SPEED-Bench`), the speculative-decoding benchmark, in every variant AIPerf names,
//! and ShareGPT (docs/datasets.md).
//!
//! Data comes from `--dataset-path` (a file or a folder), else the local Hugging Face
//! cache, else a download into that cache; offline, the error is one line saying how to fetch
//! it. `report` turns the artifact folders of finished runs into SPEED-Bench's per-category
//! acceptance matrix (`gauntlet speed-bench-report`). See docs/speed-bench.md.

pub mod locate;
pub mod locate_file;
pub mod rows;
pub mod sharegpt;
pub mod speed_bench;
pub mod text_sets;
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
    /// A JSON dataset file is not readable as the set's format.
    #[error("{path}: not readable as JSON: {reason}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The reader's error, with the line and column.
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
    let variant = match plan.variant {
        crate::config::PublicDataset::SpeedBench(variant) => variant,
        crate::config::PublicDataset::ShareGpt => return build_sharegpt(plan, tokenizer, env),
        crate::config::PublicDataset::Text(set) => return build_text(plan, set, tokenizer, env),
    };
    let files =
        locate::locate(&variant.config(), plan.dataset_path.as_deref(), env).map_err(|reason| {
            PublicDatasetError::Unavailable {
                name: name.clone(),
                reason,
            }
        })?;
    let mut rows = Vec::new();
    for file in &files {
        for (index, row) in rows::read_rows(file)?.into_iter().enumerate() {
            rows.push((row, file.as_path(), index + 1));
        }
    }
    let (workload, report) = speed_bench::build(plan, variant, &rows, tokenizer)?;
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

/// ShareGPT: its JSON file, the filters, the reply lengths as `max_tokens`.
fn build_sharegpt(
    plan: &PublicDatasetPlan,
    tokenizer: &Tokenizer,
    env: &HubEnv,
) -> Result<(Workload, BuildReport), PublicDatasetError> {
    let name = plan.variant.name();
    let hub = crate::config::SHAREGPT_FILE;
    let path =
        locate_file::locate_file(&hub, plan.dataset_path.as_deref(), env).map_err(|reason| {
            PublicDatasetError::Unavailable {
                name: name.clone(),
                reason,
            }
        })?;
    let conversations = sharegpt::read(&path)?;
    let (workload, found) = sharegpt::build(plan, &path, conversations, tokenizer)?;
    if workload.entries.is_empty() {
        return Err(PublicDatasetError::Empty {
            name,
            files: path.display().to_string(),
            why: format!(
                "{} rows read, none with a human/gpt pair within the length filters",
                found.rows
            ),
        });
    }
    let report = BuildReport {
        matched_rows: found.kept,
        note: Some(found.line()),
        ..BuildReport::default()
    };
    Ok((workload, report))
}

/// A text set: its files, one prompt (or `turns` list) per row.
fn build_text(
    plan: &PublicDatasetPlan,
    set: &crate::config::TextSet,
    tokenizer: &Tokenizer,
    env: &HubEnv,
) -> Result<(Workload, BuildReport), PublicDatasetError> {
    let name = plan.variant.name();
    let files = text_sets::locate(set, plan.dataset_path.as_deref(), env).map_err(|reason| {
        PublicDatasetError::Unavailable {
            name: name.clone(),
            reason,
        }
    })?;
    let (workload, read) = text_sets::build(plan, set, &files, tokenizer)?;
    let kept = workload.session_roots().len();
    if workload.entries.is_empty() {
        return Err(PublicDatasetError::Empty {
            name,
            files: files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            why: format!("{read} rows read, every prompt empty"),
        });
    }
    let report = BuildReport {
        matched_rows: kept,
        note: (kept < read).then(|| {
            format!("{name}: {kept} of {read} rows sent (the others have an empty prompt)")
        }),
        ..BuildReport::default()
    };
    Ok((workload, report))
}

#[cfg(test)]
mod tests;
