//! The vision sets of `--public-dataset` (AIPerf's `mmstar`, `mmvu`, `vision_arena`,
//! `llava_onevision`): one single-turn request per row, its question as the text and its image
//! (or MMVU's video) as a content part, the way AIPerf's and vLLM's loaders read them.
//!
//! Rows come from the Hugging Face parquet files, whose image columns are structs of the
//! encoded file's `bytes` (and its `path`); the bytes are sent as they are, in a
//! `data:image/<format>;base64,` URI whose format is read from the bytes. Rows with no question
//! are left out and counted on stderr, as AIPerf skips them.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use rayon::prelude::*;

use super::locate::HubEnv;
use super::{vision_locate, PublicDatasetError};
use crate::config::{VisionDataset, VisionDatasetPlan};
use crate::dataset::{Workload, WorkloadEntry};
use crate::media::MediaPart;
use crate::tokenizer::Tokenizer;

/// One row as sent: the question and its media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisionRow {
    /// The text part.
    pub question: String,
    /// Image or video parts (AIPerf and vLLM send the row's first image).
    pub media: Vec<MediaPart>,
}

/// Reads the set's rows (from `--dataset-path`, the hub cache, or a download) and builds one
/// single-turn request per row with a question.
pub fn build(
    plan: &VisionDatasetPlan,
    tokenizer: &Tokenizer,
    env: &HubEnv,
) -> Result<Workload, PublicDatasetError> {
    let name = plan.dataset.name();
    let files = vision_locate::locate(plan.dataset, plan.dataset_path.as_deref(), env).map_err(
        |reason| PublicDatasetError::Unavailable {
            name: name.to_string(),
            reason,
        },
    )?;
    let mut rows: Vec<(VisionRow, &Path, usize)> = Vec::new();
    let mut skipped = 0usize;
    for file in &files {
        for (index, row) in read_rows(file, plan.dataset)?.into_iter().enumerate() {
            match row {
                Some(row) => rows.push((row, file.as_path(), index + 1)),
                None => skipped += 1,
            }
        }
    }
    if rows.is_empty() {
        return Err(PublicDatasetError::Empty {
            name: name.to_string(),
            files: files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            why: format!("{skipped} rows read, none with a question"),
        });
    }
    if skipped > 0 {
        eprintln!("--public-dataset {name}: {skipped} rows with no question left out");
    }
    let entries =
        rows.into_par_iter()
            .enumerate()
            .map(|(index, (row, path, number))| {
                let input_tokens = tokenizer.count(&row.question).map_err(|source| {
                    PublicDatasetError::Tokenizer {
                        path: path.to_path_buf(),
                        row: number,
                        question_id: format!("{name} row {number}"),
                        source,
                    }
                })?;
                let mut entry = WorkloadEntry::single(
                    format!("{name}/session_{:06}", index + 1),
                    row.question,
                    input_tokens,
                    plan.max_tokens,
                );
                entry.media = row.media;
                Ok(entry)
            })
            .collect::<Result<Vec<_>, PublicDatasetError>>()?;
    Ok(Workload::single_turn(entries))
}

/// Every row of `path` in file order; `None` for a row with no question.
pub fn read_rows(
    path: &Path,
    dataset: VisionDataset,
) -> Result<Vec<Option<VisionRow>>, PublicDatasetError> {
    // The parquet crate can panic on corrupt files (see rows.rs): an error naming the file.
    crate::quiet_panic::catch(|| read_rows_unguarded(path, dataset)).unwrap_or_else(|panic| {
        Err(PublicDatasetError::Parquet {
            path: path.to_path_buf(),
            reason: format!("corrupt file (the parquet reader failed: {panic})"),
        })
    })
}

fn read_rows_unguarded(
    path: &Path,
    dataset: VisionDataset,
) -> Result<Vec<Option<VisionRow>>, PublicDatasetError> {
    let parquet_err = |reason: String| PublicDatasetError::Parquet {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| parquet_err(e.to_string()))?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_err(one_line(&e)))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| parquet_err(one_line(&e)))?;
    let mut out = Vec::new();
    for (index, row) in rows.enumerate() {
        let row = row.map_err(|e| parquet_err(one_line(&e)))?;
        let at = RowAt {
            path,
            number: index + 1,
            dataset,
        };
        out.push(at.convert(&row)?);
    }
    Ok(out)
}

fn one_line(error: &parquet::errors::ParquetError) -> String {
    error.to_string().replace(['\n', '\r'], "; ")
}

/// An encoded file's bytes and, when the cell has one, its file name.
type Encoded<'f> = Option<(&'f [u8], Option<String>)>;

/// A row being read, for its errors.
struct RowAt<'a> {
    path: &'a Path,
    number: usize,
    dataset: VisionDataset,
}

impl RowAt<'_> {
    fn err(&self, message: String) -> PublicDatasetError {
        PublicDatasetError::Row {
            path: PathBuf::from(self.path),
            row: self.number,
            message,
        }
    }

    /// The column named `name`; a missing column is an error naming the set.
    fn column<'r>(&self, row: &'r Row, name: &str) -> Result<&'r Field, PublicDatasetError> {
        row.get_column_iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, f)| f)
            .ok_or_else(|| {
                self.err(format!(
                    "no `{name}` column (is this {}?)",
                    self.dataset.repo()
                ))
            })
    }

    fn convert(&self, row: &Row) -> Result<Option<VisionRow>, PublicDatasetError> {
        let (question, media) = match self.dataset {
            VisionDataset::Mmstar => (
                self.string(self.column(row, "question")?, "question")?,
                self.image(self.column(row, "image")?, "image")?,
            ),
            VisionDataset::VisionArena => (
                self.first_message(self.column(row, "conversation")?, "conversation", "content")?,
                self.image(self.column(row, "images")?, "images")?,
            ),
            VisionDataset::LlavaOnevision => (
                self.first_message(self.column(row, "conversations")?, "conversations", "value")?,
                self.image(self.column(row, "image")?, "image")?,
            ),
            VisionDataset::Mmvu => (
                self.mmvu_prompt(row)?,
                self.video(self.column(row, "video")?)?,
            ),
        };
        let question = question
            .map(|q| q.replace("<image>", "").trim().to_string())
            .filter(|q| !q.is_empty());
        Ok(question.map(|question| VisionRow { question, media }))
    }

    fn string(&self, field: &Field, name: &str) -> Result<Option<String>, PublicDatasetError> {
        match field {
            Field::Str(s) => Ok(Some(s.clone())),
            Field::Null => Ok(None),
            other => Err(self.err(format!("{name}: expected a string, got {other}"))),
        }
    }

    /// The text of a conversation's first message (`key` holds it); VisionArena wraps each
    /// turn in its own list, which is unwrapped.
    fn first_message(
        &self,
        field: &Field,
        name: &str,
        key: &str,
    ) -> Result<Option<String>, PublicDatasetError> {
        let mut first = match field {
            Field::Null => return Ok(None),
            Field::ListInternal(list) => match list.elements().first() {
                None => return Ok(None),
                Some(f) => f,
            },
            other => {
                return Err(self.err(format!("{name}: expected a list of messages, got {other}")))
            }
        };
        if let Field::ListInternal(inner) = first {
            match inner.elements().first() {
                None => return Ok(None),
                Some(f) => first = f,
            }
        }
        let Field::Group(message) = first else {
            return Err(self.err(format!(
                "{name}[0]: expected a message with `{key}`, got {first}"
            )));
        };
        match message.get_column_iter().find(|(n, _)| n.as_str() == key) {
            Some((_, value)) => self.string(value, &format!("{name}[0].{key}")),
            None => Err(self.err(format!("{name}[0]: no `{key}` in the message"))),
        }
    }

    /// The first image of an image column (one image, or a list of them) as a data URI part;
    /// none when the cell is empty.
    fn image(&self, field: &Field, name: &str) -> Result<Vec<MediaPart>, PublicDatasetError> {
        let first = match field {
            Field::ListInternal(list) => {
                match list.elements().iter().find(|f| !matches!(f, Field::Null)) {
                    Some(f) => f,
                    None => return Ok(Vec::new()),
                }
            }
            other => other,
        };
        let Some((bytes, file_name)) = self.encoded(first, name)? else {
            return Ok(Vec::new());
        };
        let format = image_format(bytes, file_name.as_deref()).ok_or_else(|| {
            self.err(format!(
                "{name}: the bytes are not PNG, JPEG, GIF, WebP or BMP"
            ))
        })?;
        Ok(vec![MediaPart::Image {
            url: data_uri(&format!("image/{format}"), bytes),
        }])
    }

    /// An encoded file cell: Hugging Face's `{bytes, path}` struct, or bare bytes.
    fn encoded<'f>(&self, field: &'f Field, name: &str) -> Result<Encoded<'f>, PublicDatasetError> {
        match field {
            Field::Null => Ok(None),
            Field::Bytes(b) => Ok(Some((b.data(), None))),
            Field::Group(group) => {
                let mut bytes = None;
                let mut file_name = None;
                for (n, f) in group.get_column_iter() {
                    match (n.as_str(), f) {
                        ("bytes", Field::Bytes(b)) => bytes = Some(b.data()),
                        ("path", Field::Str(s)) => file_name = Some(s.clone()),
                        _ => {}
                    }
                }
                Ok(bytes.filter(|b| !b.is_empty()).map(|b| (b, file_name)))
            }
            other => Err(self.err(format!(
                "{name}: expected an image ({{bytes, path}}), got {}",
                short(other)
            ))),
        }
    }

    /// MMVU's prompt: the question, then each non-empty choice as `A.text` (vLLM's format).
    fn mmvu_prompt(&self, row: &Row) -> Result<Option<String>, PublicDatasetError> {
        let Some(question) = self.string(self.column(row, "question")?, "question")? else {
            return Ok(None);
        };
        let choices = match row.get_column_iter().find(|(n, _)| n.as_str() == "choices") {
            Some((_, Field::Group(group))) => group
                .get_column_iter()
                .filter_map(|(k, v)| match v {
                    Field::Str(s) if !s.is_empty() => Some(format!("{k}.{s}")),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        if choices.is_empty() {
            return Ok(Some(question));
        }
        Ok(Some(format!("{question} {}", choices.join(" "))))
    }

    /// MMVU's `video`: a URL passed through (as AIPerf and vLLM send it), or encoded bytes.
    fn video(&self, field: &Field) -> Result<Vec<MediaPart>, PublicDatasetError> {
        if let Field::Str(url) = field {
            if url.is_empty() {
                return Ok(Vec::new());
            }
            let url = if url.contains("://") || url.starts_with("data:") {
                url.clone()
            } else {
                format!("file://{url}")
            };
            return Ok(vec![MediaPart::Video { url }]);
        }
        let Some((bytes, _)) = self.encoded(field, "video")? else {
            return Ok(Vec::new());
        };
        Ok(vec![MediaPart::Video {
            url: data_uri("video/mp4", bytes),
        }])
    }
}

/// A field in a few words, for errors (image bytes would flood the message).
fn short(field: &Field) -> String {
    let text = field.to_string();
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `data:<mime>;base64,<bytes>`.
fn data_uri(mime: &str, bytes: &[u8]) -> String {
    let mut url = format!("data:{mime};base64,");
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut url);
    url
}

/// The image format of `bytes` from its magic number, else from the file name's extension.
fn image_format(bytes: &[u8], file_name: Option<&str>) -> Option<&'static str> {
    let sniffed = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(b"BM") {
        Some("bmp")
    } else {
        None
    };
    sniffed.or_else(|| {
        let ext = Path::new(file_name?)
            .extension()?
            .to_str()?
            .to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some("png"),
            "jpg" | "jpeg" => Some("jpeg"),
            "gif" => Some("gif"),
            "webp" => Some("webp"),
            "bmp" => Some("bmp"),
            _ => None,
        }
    })
}

#[cfg(test)]
#[path = "vision_tests.rs"]
mod tests;
