//! The text sets whose rows each give one prompt (AIMO, InstructCoder, Blazedit, Spec-Bench):
//! finding their files (parquet, JSON or JSONL, of the set's split), reading the prompt
//! column, template or `turns` list out of every row, and counting it with the run's
//! tokenizer. Rows with an empty prompt are skipped, as AIPerf skips them.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::Value;

use super::locate::HubEnv;
use super::{PublicDatasetError, PublicDatasetPlan};
use crate::config::{PromptField, TextSet};
use crate::dataset::{SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::tokenizer::{find_cached, RepoKind, Tokenizer};

const DATA_EXTENSIONS: [&str; 3] = ["parquet", "jsonl", "json"];

/// How to get `set` when it is nowhere to be found; one line.
pub fn fetch_hint(set: &TextSet) -> String {
    match (set.repo, set.url_file) {
        (Some(repo), _) => format!(
            "fetch it with `huggingface-cli download {repo} --repo-type dataset` (into HF_HOME) \
             or pass --dataset-path FILE_OR_DIR"
        ),
        (None, Some((file, url))) => format!(
            "it is not on the Hugging Face hub: fetch it with `curl -L -o {file} {url}` and pass \
             --dataset-path {file}"
        ),
        (None, None) => "pass --dataset-path FILE_OR_DIR".into(),
    }
}

/// The data files of `set`, sorted. `Err` is one line saying why and how to fix it.
pub fn locate(
    set: &TextSet,
    dataset_path: Option<&Path>,
    env: &HubEnv,
) -> Result<Vec<PathBuf>, String> {
    if let Some(path) = dataset_path {
        return super::locate::from_dataset_path(path, ".parquet, .jsonl or .json files", |dir| {
            split_files(dir, set.split)
        });
    }
    let Some(repo) = set.repo else {
        return Err(fetch_hint(set));
    };
    let Some(cache_dir) = env.cache_dir.as_deref() else {
        return Err(format!(
            "no Hugging Face cache folder (set HF_HOME); {}",
            fetch_hint(set)
        ));
    };
    if let Some(snapshot) = find_cached(cache_dir, RepoKind::Dataset, repo, None) {
        let found = split_files(&snapshot, set.split);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    if env.offline {
        return Err(format!(
            "{repo} is not in the local Hugging Face cache '{}' and HF_HUB_OFFLINE is set; {}",
            cache_dir.display(),
            fetch_hint(set)
        ));
    }
    download(repo, set.split, cache_dir, env).map_err(|reason| {
        format!(
            "cannot download {repo}: {reason} (offline?); {}",
            fetch_hint(set)
        )
    })
}

/// Whether `relative` (a path inside a dataset folder) is a data file of `split`: in a folder
/// named after it, or a file whose name starts with it (`train-00000-of-00001.parquet`,
/// `train.jsonl`).
fn of_split(relative: &Path, split: &str) -> bool {
    let in_folder = relative
        .parent()
        .is_some_and(|dir| dir.components().any(|c| c.as_os_str() == split));
    let name = relative
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    in_folder
        || name
            .strip_prefix(split)
            .is_some_and(|rest| rest.starts_with(['-', '.', '_']))
}

fn is_data(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| DATA_EXTENSIONS.contains(&e))
}

/// The data files under `root` of `split`; when none is named after a split, every data file.
fn split_files(root: &Path, split: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    collect(root, 0, &mut all);
    let mut found: Vec<PathBuf> = all
        .iter()
        .filter(|p| of_split(p.strip_prefix(root).unwrap_or(p), split))
        .cloned()
        .collect();
    if found.is_empty() {
        found = all;
    }
    found.sort();
    found
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    const MAX_DEPTH: usize = 4;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() && depth < MAX_DEPTH {
            collect(&path, depth + 1, out);
        } else if is_data(&path) && path.is_file() {
            out.push(path);
        }
    }
}

fn download(
    repo: &str,
    split: &str,
    cache_dir: &Path,
    env: &HubEnv,
) -> Result<Vec<PathBuf>, String> {
    let one_line = |e: hf_hub::api::sync::ApiError| e.to_string().replace(['\n', '\r'], "; ");
    let api = env.api(cache_dir).map_err(one_line)?;
    let repo = api.dataset(repo.to_string());
    let info = repo.info().map_err(one_line)?;
    let data: Vec<String> = info
        .siblings
        .into_iter()
        .map(|s| s.rfilename)
        .filter(|name| is_data(Path::new(name)))
        .collect();
    let mut names: Vec<&String> = data
        .iter()
        .filter(|name| of_split(Path::new(name), split))
        .collect();
    if names.is_empty() {
        names = data.iter().collect();
    }
    names.sort();
    if names.is_empty() {
        return Err("the repository has no .parquet, .jsonl or .json files".into());
    }
    names
        .iter()
        .map(|name| repo.get(name).map_err(one_line))
        .collect()
}

/// Every row of `path` as a JSON object: parquet rows, a JSON array, or JSON lines.
pub fn read_rows(path: &Path) -> Result<Vec<(usize, Value)>, PublicDatasetError> {
    let is_parquet = path.extension().is_some_and(|e| e == "parquet");
    if is_parquet {
        return crate::quiet_panic::catch(|| read_parquet(path)).unwrap_or_else(|panic| {
            Err(PublicDatasetError::Parquet {
                path: path.to_path_buf(),
                reason: format!("corrupt file (the parquet reader failed: {panic})"),
            })
        });
    }
    let json_err = |reason: String| PublicDatasetError::Json {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| json_err(e.to_string()))?;
    if text.trim_start().starts_with('[') {
        let rows: Vec<Value> = serde_json::from_str(&text).map_err(|e| json_err(e.to_string()))?;
        return Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r))
            .collect());
    }
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str(line).map_err(|e| PublicDatasetError::Row {
            path: path.to_path_buf(),
            row: i + 1,
            message: format!("not a JSON object: {e}"),
        })?;
        rows.push((i + 1, row));
    }
    Ok(rows)
}

fn read_parquet(path: &Path) -> Result<Vec<(usize, Value)>, PublicDatasetError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let parquet_err = |reason: String| PublicDatasetError::Parquet {
        path: path.to_path_buf(),
        reason: reason.replace(['\n', '\r'], "; "),
    };
    let file = std::fs::File::open(path).map_err(|e| parquet_err(e.to_string()))?;
    let reader = SerializedFileReader::new(file).map_err(|e| parquet_err(e.to_string()))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| parquet_err(e.to_string()))?;
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let row = row.map_err(|e| parquet_err(e.to_string()))?;
        let object: serde_json::Map<String, Value> = row
            .get_column_iter()
            .map(|(name, field)| (name.clone(), field_value(field)))
            .collect();
        out.push((i + 1, Value::Object(object)));
    }
    Ok(out)
}

/// A parquet field as JSON: strings and lists of strings as they are (what the prompts are
/// read from), anything else as its text.
fn field_value(field: &parquet::record::Field) -> Value {
    use parquet::record::Field;
    match field {
        Field::Str(s) => Value::String(s.clone()),
        Field::Null => Value::Null,
        Field::ListInternal(list) => {
            Value::Array(list.elements().iter().map(field_value).collect())
        }
        other => Value::String(other.to_string()),
    }
}

/// The texts a row sends: one prompt, or every turn of a `turns` list. `Ok(empty)` skips it.
fn prompts_of(set: &TextSet, row: &Value, multi_turn: bool) -> Result<Vec<String>, String> {
    let text_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let column = |name: &str| {
        row.get(name)
            .map(text_of)
            .ok_or_else(|| format!("no `{name}` field (is this {}?)", set.name))
    };
    let texts = match set.prompt {
        PromptField::Column(name) => vec![column(name)?],
        PromptField::Template(template) => vec![fill(template, &column)?],
        PromptField::Turns(name) => {
            let Some(Value::Array(turns)) = row.get(name) else {
                return Err(format!("`{name}`: expected a list of strings"));
            };
            let mut texts: Vec<String> = turns.iter().map(text_of).collect();
            if !multi_turn {
                texts.truncate(1);
            }
            texts.retain(|t| !t.trim().is_empty());
            texts
        }
    };
    Ok(texts.into_iter().filter(|t| !t.trim().is_empty()).collect())
}

/// `template` with each `{name}` replaced by the row's `name` field.
fn fill(template: &str, column: &dyn Fn(&str) -> Result<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&column(&rest[open + 1..open + close])?);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Reads `files` and builds the workload of `set`.
pub fn build(
    plan: &PublicDatasetPlan,
    set: &TextSet,
    files: &[PathBuf],
    tokenizer: &Tokenizer,
) -> Result<(Workload, usize), PublicDatasetError> {
    let mut rows = Vec::new();
    for file in files {
        for (number, row) in read_rows(file)? {
            let texts = prompts_of(set, &row, plan.multi_turn).map_err(|message| {
                PublicDatasetError::Row {
                    path: file.clone(),
                    row: number,
                    message,
                }
            })?;
            rows.push((file, number, texts));
        }
    }
    let read = rows.len();
    rows.retain(|(_, _, texts)| !texts.is_empty());
    let counts: Vec<Vec<u32>> = rows
        .par_iter()
        .map(|(file, number, texts)| {
            texts
                .iter()
                .map(|t| tokenizer.count(t))
                .collect::<Result<Vec<u32>, _>>()
                .map_err(|source| PublicDatasetError::Tokenizer {
                    path: file.to_path_buf(),
                    row: *number,
                    question_id: format!("row_{number}"),
                    source,
                })
        })
        .collect::<Result<_, _>>()?;
    let mut entries = Vec::new();
    let mut sessions = Vec::new();
    for (index, ((_, _, texts), counts)) in rows.into_iter().zip(counts).enumerate() {
        let session_id = format!("session_{:06}", index + 1);
        let first = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let turns = texts.len();
        for (t, (text, tokens)) in texts.into_iter().zip(counts).enumerate() {
            let mut entry =
                WorkloadEntry::single(session_id.clone(), text, tokens, plan.max_tokens);
            if t > 0 {
                let previous = u16::try_from(t - 1).unwrap_or(u16::MAX);
                entry.turn = TurnLinks {
                    parents: vec![previous],
                    history: Some(previous),
                    delay_ms: 0,
                };
            }
            entries.push(entry);
        }
        sessions.push(SessionSpan {
            first,
            turns: u32::try_from(turns).unwrap_or(u32::MAX),
        });
    }
    if !sessions.iter().any(|s| s.turns > 1) {
        sessions.clear();
    }
    Ok((Workload { entries, sessions }, read))
}

#[cfg(test)]
#[path = "text_sets_tests.rs"]
mod tests;
