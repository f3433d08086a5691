//! Finding a dataset that is one file in its hub repository (ShareGPT's JSON): `--dataset-path`
//! (the file, or a folder holding it), then the local Hugging Face cache, then a download into
//! that cache unless the user asked to stay offline.

use std::path::{Path, PathBuf};

use super::locate::HubEnv;
use crate::config::HubFile;
use crate::tokenizer::{find_cached, RepoKind};

/// How to get `hub` when it is nowhere to be found; one line, so it reads in any log.
pub fn fetch_hint(hub: &HubFile) -> String {
    format!(
        "fetch it with `huggingface-cli download {} {} --repo-type dataset` (into HF_HOME) \
         or pass --dataset-path FILE_OR_DIR",
        hub.repo, hub.file
    )
}

/// The path of `hub`'s file. `Err` is one line saying why and how to fix it.
pub fn locate_file(
    hub: &HubFile,
    dataset_path: Option<&Path>,
    env: &HubEnv,
) -> Result<PathBuf, String> {
    if let Some(path) = dataset_path {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        if path.is_dir() {
            return find_in(path, hub.file, 0).ok_or_else(|| {
                format!(
                    "--dataset-path {}: no {} in it (give the file itself to use another name)",
                    path.display(),
                    hub.file
                )
            });
        }
        return Err(format!(
            "--dataset-path {}: no such file or folder",
            path.display()
        ));
    }
    let Some(cache_dir) = env.cache_dir.as_deref() else {
        return Err(format!(
            "no Hugging Face cache folder (set HF_HOME); {}",
            fetch_hint(hub)
        ));
    };
    if let Some(file) = find_cached(cache_dir, RepoKind::Dataset, hub.repo, Some(hub.file)) {
        return Ok(file);
    }
    if env.offline {
        return Err(format!(
            "{}/{} is not in the local Hugging Face cache '{}' and HF_HUB_OFFLINE is set; {}",
            hub.repo,
            hub.file,
            cache_dir.display(),
            fetch_hint(hub)
        ));
    }
    download(hub, cache_dir, env).map_err(|reason| {
        format!(
            "cannot download {}/{}: {reason} (offline?); {}",
            hub.repo,
            hub.file,
            fetch_hint(hub)
        )
    })
}

/// `name` in `dir` or a folder below it (the hub layout nests nothing, but copies may),
/// the shallowest first, folders in name order.
fn find_in(dir: &Path, name: &str, depth: usize) -> Option<PathBuf> {
    const MAX_DEPTH: usize = 4;
    let direct = dir.join(name);
    if direct.is_file() {
        return Some(direct);
    }
    if depth >= MAX_DEPTH {
        return None;
    }
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    folders.iter().find_map(|f| find_in(f, name, depth + 1))
}

fn download(hub: &HubFile, cache_dir: &Path, env: &HubEnv) -> Result<PathBuf, String> {
    let one_line = |e: hf_hub::api::sync::ApiError| e.to_string().replace(['\n', '\r'], "; ");
    let api = env.api(cache_dir).map_err(one_line)?;
    api.dataset(hub.repo.to_string())
        .get(hub.file)
        .map_err(one_line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SHAREGPT_FILE;

    #[test]
    fn a_folder_cache_and_offline_are_each_handled() {
        let tmp = tempfile::tempdir().unwrap();
        let nested = tmp.path().join("copy/data");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(nested.join(SHAREGPT_FILE.file), b"[]").unwrap();
        let found = locate_file(&SHAREGPT_FILE, Some(tmp.path()), &HubEnv::default()).unwrap();
        assert_eq!(found, nested.join(SHAREGPT_FILE.file));

        let empty = tempfile::tempdir().unwrap();
        let err = locate_file(&SHAREGPT_FILE, Some(empty.path()), &HubEnv::default()).unwrap_err();
        assert!(
            err.contains("no ShareGPT_V3_unfiltered_cleaned_split.json"),
            "{err}"
        );

        let cache = tempfile::tempdir().unwrap();
        let env = HubEnv {
            cache_dir: Some(cache.path().to_path_buf()),
            offline: true,
            ..HubEnv::default()
        };
        let err = locate_file(&SHAREGPT_FILE, None, &env).unwrap_err();
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
        assert!(
            err.contains(
                "huggingface-cli download anon8231489123/ShareGPT_Vicuna_unfiltered \
                 ShareGPT_V3_unfiltered_cleaned_split.json --repo-type dataset"
            ),
            "{err}"
        );
        let snapshot = cache
            .path()
            .join("datasets--anon8231489123--ShareGPT_Vicuna_unfiltered/snapshots/abc");
        std::fs::create_dir_all(&snapshot).unwrap();
        std::fs::write(snapshot.join(SHAREGPT_FILE.file), b"[]").unwrap();
        assert_eq!(
            locate_file(&SHAREGPT_FILE, None, &env).unwrap(),
            snapshot.join(SHAREGPT_FILE.file)
        );
    }

    #[test]
    fn unreachable_hub_names_the_file_and_the_fix() {
        if crate::tokenizer::test_support::proxy_is_set() {
            eprintln!("skipped: a proxy variable is set");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let env = HubEnv {
            cache_dir: Some(tmp.path().to_path_buf()),
            endpoint: Some("http://127.0.0.1:1".into()),
            ..HubEnv::default()
        };
        let err = locate_file(&SHAREGPT_FILE, None, &env).unwrap_err();
        assert!(
            err.starts_with("cannot download anon8231489123/ShareGPT_Vicuna_unfiltered/"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
}
