//! Finding a dataset config's parquet files: `--dataset-path`, then the local Hugging Face
//! cache (so machines that ran `huggingface-cli download` need no network), then a download
//! into that cache unless the user asked to stay offline. The cache lookup and the hub client
//! are the tokenizer's (`tokenizer::find_cached`, `HubOptions::api`).

use std::path::{Path, PathBuf};

use crate::tokenizer::{find_cached, RepoKind};

/// The Hugging Face dataset repository of SPEED-Bench.
pub const SPEED_BENCH_REPO: &str = "nvidia/SPEED-Bench";

/// Hub settings, shared with the tokenizer's hub lookups.
pub use crate::tokenizer::HubOptions as HubEnv;

/// How to get the data when it is nowhere to be found; one line, so it reads in any log.
pub fn fetch_hint() -> String {
    format!(
        "fetch it with `huggingface-cli download {SPEED_BENCH_REPO} --repo-type dataset` \
         (into HF_HOME) or pass --dataset-path FILE_OR_DIR.parquet"
    )
}

/// `--dataset-path`: the file itself, or the files `select` picks in the folder; `what` names
/// those files in the error when there are none.
pub(super) fn from_dataset_path(
    path: &Path,
    what: &str,
    select: impl FnOnce(&Path) -> Vec<PathBuf>,
) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if path.is_dir() {
        let found = select(path);
        if found.is_empty() {
            return Err(format!(
                "--dataset-path {}: no {what} in it",
                path.display()
            ));
        }
        return Ok(found);
    }
    Err(format!(
        "--dataset-path {}: no such file or folder",
        path.display()
    ))
}

/// The parquet files of `config`, sorted by path. `Err` is one line saying why and how to fix.
pub fn locate(
    config: &str,
    dataset_path: Option<&Path>,
    env: &HubEnv,
) -> Result<Vec<PathBuf>, String> {
    if let Some(path) = dataset_path {
        let what = format!(".parquet files for config '{config}'");
        return from_dataset_path(path, &what, |dir| files_for_config(dir, config));
    }
    let Some(cache_dir) = env.cache_dir.as_deref() else {
        return Err(format!(
            "no Hugging Face cache folder (set HF_HOME); {}",
            fetch_hint()
        ));
    };
    if let Some(snapshot) = find_cached(cache_dir, RepoKind::Dataset, SPEED_BENCH_REPO, None) {
        let found = files_for_config(&snapshot, config);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    if env.offline {
        return Err(format!(
            "{SPEED_BENCH_REPO} (config '{config}') is not in the local Hugging Face cache '{}' \
             and HF_HUB_OFFLINE is set; {}",
            cache_dir.display(),
            fetch_hint()
        ));
    }
    download(config, cache_dir, env).map_err(|reason| {
        format!(
            "cannot download {SPEED_BENCH_REPO} (config '{config}'): {reason} (offline?); {}",
            fetch_hint()
        )
    })
}

/// The `.parquet` files under `root` that belong to `config`: inside a folder named after it
/// (the hub layout, `qualitative/test-00000-of-00001.parquet`) or named after it
/// (`throughput_1k.parquet`). A folder holding only loose parquet files is taken whole, so
/// `--dataset-path` can point straight at a config's folder.
fn files_for_config(root: &Path, config: &str) -> Vec<PathBuf> {
    let mut all = Vec::new();
    collect_parquet(root, 0, &mut all);
    let belongs = |path: &Path| {
        let relative = path.strip_prefix(root).unwrap_or(path);
        let in_folder = relative
            .parent()
            .is_some_and(|dir| dir.components().any(|c| c.as_os_str() == config));
        let stem = relative
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let named = stem == config
            || stem
                .strip_prefix(config)
                .is_some_and(|rest| rest.starts_with(['-', '.']));
        in_folder || named
    };
    let mut found: Vec<PathBuf> = all.iter().filter(|p| belongs(p)).cloned().collect();
    if found.is_empty() {
        found = all
            .into_iter()
            .filter(|p| p.parent() == Some(root))
            .collect();
    }
    found.sort();
    found
}

pub(super) fn collect_parquet(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    const MAX_DEPTH: usize = 4;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && depth < MAX_DEPTH {
            collect_parquet(&path, depth + 1, out);
        } else if path.extension().is_some_and(|e| e == "parquet") && path.is_file() {
            out.push(path);
        }
    }
}

fn download(config: &str, cache_dir: &Path, env: &HubEnv) -> Result<Vec<PathBuf>, String> {
    let one_line = |e: hf_hub::api::sync::ApiError| e.to_string().replace(['\n', '\r'], "; ");
    let api = env.api(cache_dir).map_err(one_line)?;
    let repo = api.dataset(SPEED_BENCH_REPO.to_string());
    let info = repo.info().map_err(one_line)?;
    let prefix = format!("{config}/");
    let mut names: Vec<String> = info
        .siblings
        .into_iter()
        .map(|s| s.rfilename)
        .filter(|name| name.starts_with(&prefix) && name.ends_with(".parquet"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("the repository has no '{prefix}*.parquet' files"));
    }
    names
        .iter()
        .map(|name| repo.get(name).map_err(one_line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    #[test]
    fn hub_layout_picks_the_config_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = tmp
            .path()
            .join("datasets--nvidia--SPEED-Bench/snapshots/abc");
        touch(&snap.join("qualitative/test-00000-of-00001.parquet"));
        touch(&snap.join("throughput_1k/test-00000-of-00001.parquet"));
        touch(&snap.join("throughput_16k/test-00000-of-00001.parquet"));
        let env = HubEnv {
            cache_dir: Some(tmp.path().to_path_buf()),
            offline: true,
            ..HubEnv::default()
        };
        let found = locate("throughput_1k", None, &env).unwrap();
        assert_eq!(
            found,
            vec![snap.join("throughput_1k/test-00000-of-00001.parquet")]
        );
    }

    #[test]
    fn a_folder_of_loose_files_is_taken_whole() {
        let tmp = tempfile::tempdir().unwrap();
        touch(&tmp.path().join("b.parquet"));
        touch(&tmp.path().join("a.parquet"));
        let found = locate("qualitative", Some(tmp.path()), &HubEnv::default()).unwrap();
        assert_eq!(
            found,
            vec![tmp.path().join("a.parquet"), tmp.path().join("b.parquet")]
        );
    }

    #[test]
    fn offline_without_cache_is_one_line_with_the_fetch_command() {
        let tmp = tempfile::tempdir().unwrap();
        let env = HubEnv {
            cache_dir: Some(tmp.path().to_path_buf()),
            offline: true,
            ..HubEnv::default()
        };
        let err = locate("qualitative", None, &env).unwrap_err();
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
        assert!(
            err.contains("huggingface-cli download nvidia/SPEED-Bench --repo-type dataset"),
            "{err}"
        );
        assert!(err.contains("--dataset-path"), "{err}");
    }

    #[test]
    fn unreachable_hub_names_the_repo_and_the_fix() {
        if crate::tokenizer::test_support::proxy_is_set() {
            eprintln!("skipped: a proxy variable is set");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        // Port 1 on loopback: nothing listens, so the connection is refused at once.
        let env = HubEnv {
            cache_dir: Some(tmp.path().to_path_buf()),
            endpoint: Some("http://127.0.0.1:1".into()),
            ..HubEnv::default()
        };
        let err = locate("qualitative", None, &env).unwrap_err();
        assert!(
            err.starts_with("cannot download nvidia/SPEED-Bench"),
            "{err}"
        );
        assert!(err.contains("huggingface-cli download"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_missing_dataset_path_is_named() {
        let err = locate(
            "qualitative",
            Some(Path::new("/nonexistent/x.parquet")),
            &HubEnv::default(),
        )
        .unwrap_err();
        assert!(err.contains("/nonexistent/x.parquet"), "{err}");
    }
}
