//! Finding a vision set's parquet files: `--dataset-path`, then the local Hugging Face cache,
//! then a download of the first parquet shard into that cache unless the user asked to stay
//! offline (the sets run from a few hundred MB to tens of GB; the first shard holds thousands
//! of rows). Errors are one line saying why and how to fetch the data.

use std::path::{Path, PathBuf};

use super::locate::{collect_parquet, HubEnv};
use crate::config::VisionDataset;
use crate::tokenizer::{find_cached, RepoKind};

/// How to get `dataset` when it is nowhere to be found.
pub fn fetch_hint(dataset: VisionDataset) -> String {
    let include = dataset
        .subset()
        .map(|s| format!(" --include '{s}/*'"))
        .unwrap_or_default();
    format!(
        "fetch it with `huggingface-cli download {} --repo-type dataset{include}` (into HF_HOME) \
         or pass --dataset-path FILE_OR_DIR.parquet",
        dataset.repo()
    )
}

/// The parquet files of `dataset`, sorted by path. `Err` is one line saying why and how to fix.
pub fn locate(
    dataset: VisionDataset,
    dataset_path: Option<&Path>,
    env: &HubEnv,
) -> Result<Vec<PathBuf>, String> {
    let repo = dataset.repo();
    if let Some(path) = dataset_path {
        return super::locate::from_dataset_path(path, ".parquet files", |dir| {
            select(dir, dataset)
        });
    }
    let Some(cache_dir) = env.cache_dir.as_deref() else {
        return Err(format!(
            "no Hugging Face cache folder (set HF_HOME); {}",
            fetch_hint(dataset)
        ));
    };
    if let Some(snapshot) = find_cached(cache_dir, RepoKind::Dataset, repo, None) {
        let found = select(&snapshot, dataset);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    if env.offline {
        return Err(format!(
            "{repo} is not in the local Hugging Face cache '{}' and HF_HUB_OFFLINE is set; {}",
            cache_dir.display(),
            fetch_hint(dataset)
        ));
    }
    download(dataset, cache_dir, env).map_err(|reason| {
        format!(
            "cannot download {repo}: {reason} (offline?); {}",
            fetch_hint(dataset)
        )
    })
}

/// Whether `relative` (a path inside the dataset's folder) belongs to the set: inside its
/// subset folder when it has one, and of its split when the name says which split it is.
fn belongs(relative: &Path, dataset: VisionDataset) -> bool {
    let text = relative
        .to_string_lossy()
        .replace('\\', "/")
        .to_ascii_lowercase();
    if let Some(subset) = dataset.subset() {
        if !text.split('/').any(|c| c == subset.to_ascii_lowercase()) {
            return false;
        }
    }
    let stem_or_folder_is_a_split = |split: &str| {
        text.split('/').any(|c| {
            c == split
                || c.strip_prefix(split)
                    .is_some_and(|rest| rest.starts_with(['-', '.', '_']))
        })
    };
    let splits = ["train", "val", "validation", "test", "dev"];
    match splits.iter().find(|s| stem_or_folder_is_a_split(s)) {
        Some(_) => stem_or_folder_is_a_split(dataset.split()),
        None => true,
    }
}

/// The set's parquet files under `root`, sorted.
fn select(root: &Path, dataset: VisionDataset) -> Vec<PathBuf> {
    let mut all = Vec::new();
    collect_parquet(root, 0, &mut all);
    let mut found: Vec<PathBuf> = all
        .into_iter()
        .filter(|p| belongs(p.strip_prefix(root).unwrap_or(p), dataset))
        .collect();
    found.sort();
    found
}

fn download(
    dataset: VisionDataset,
    cache_dir: &Path,
    env: &HubEnv,
) -> Result<Vec<PathBuf>, String> {
    let one_line = |e: hf_hub::api::sync::ApiError| e.to_string().replace(['\n', '\r'], "; ");
    let api = env.api(cache_dir).map_err(one_line)?;
    let repo = api.dataset(dataset.repo().to_string());
    let info = repo.info().map_err(one_line)?;
    let mut names: Vec<String> = info
        .siblings
        .into_iter()
        .map(|s| s.rfilename)
        .filter(|name| name.ends_with(".parquet") && belongs(Path::new(name), dataset))
        .collect();
    names.sort();
    let Some(first) = names.first() else {
        return Err("the repository has no parquet files for this set".into());
    };
    repo.get(first).map(|path| vec![path]).map_err(one_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    #[test]
    fn the_cache_layout_picks_the_subset_and_split() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = tmp
            .path()
            .join("datasets--lmms-lab--LLaVA-OneVision-Data/snapshots/abc");
        touch(&snap.join("sharegpt4o/train-00000-of-00002.parquet"));
        touch(&snap.join("sharegpt4o/train-00001-of-00002.parquet"));
        touch(&snap.join("CLEVR-Math(MathV360K)/train-00000-of-00001.parquet"));
        let env = HubEnv {
            cache_dir: Some(tmp.path().to_path_buf()),
            offline: true,
            ..HubEnv::default()
        };
        let found = locate(VisionDataset::LlavaOnevision, None, &env).unwrap();
        assert_eq!(
            found,
            vec![
                snap.join("sharegpt4o/train-00000-of-00002.parquet"),
                snap.join("sharegpt4o/train-00001-of-00002.parquet")
            ]
        );
        let dir = tmp.path().join("mmvu");
        touch(&dir.join("validation-00000-of-00001.parquet"));
        touch(&dir.join("test-00000-of-00001.parquet"));
        let found = locate(VisionDataset::Mmvu, Some(&dir), &env).unwrap();
        assert_eq!(found, vec![dir.join("validation-00000-of-00001.parquet")]);
        // A file named after nothing (MMStar's `mmstar.parquet`) is taken.
        let dir = tmp.path().join("mmstar");
        touch(&dir.join("mmstar.parquet"));
        let found = locate(VisionDataset::Mmstar, Some(&dir), &env).unwrap();
        assert_eq!(found, vec![dir.join("mmstar.parquet")]);
    }

    #[test]
    fn offline_without_cache_is_one_line_with_the_fetch_command() {
        let tmp = tempfile::tempdir().unwrap();
        let env = HubEnv {
            cache_dir: Some(tmp.path().to_path_buf()),
            offline: true,
            ..HubEnv::default()
        };
        let err = locate(VisionDataset::VisionArena, None, &env).unwrap_err();
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
        assert!(
            err.contains(
                "huggingface-cli download lmarena-ai/VisionArena-Chat --repo-type dataset`"
            ),
            "{err}"
        );
        assert!(err.contains("--dataset-path"), "{err}");
        let err = locate(VisionDataset::LlavaOnevision, None, &env).unwrap_err();
        assert!(err.contains("--include 'sharegpt4o/*'"), "{err}");
    }
}
