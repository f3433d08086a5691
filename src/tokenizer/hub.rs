//! Resolving a Hugging Face hub model id to a local `tokenizer.json`: the standard hub cache
//! first (so machines that already ran `transformers` or `huggingface-cli` need no network),
//! then a download into that same cache unless the user asked to stay offline. The cache
//! lookup ([`find_cached`]) and the hub client ([`HubOptions::api`]) serve any repository,
//! model or dataset: the public datasets (`dataset::public`) fetch through them too.

use std::path::{Path, PathBuf};

use super::TokenizerError;

const TOKENIZER_FILE: &str = "tokenizer.json";

/// Where and how hub lookups happen (models and datasets alike). Read from the environment
/// once by the loaders; tests build it by hand so they never touch process-global variables.
#[derive(Debug, Clone, Default)]
pub struct HubOptions {
    /// The hub cache root (the folder holding `models--ORG--NAME` and `datasets--ORG--NAME`);
    /// `None` when no home folder.
    pub cache_dir: Option<PathBuf>,
    /// `HF_HUB_OFFLINE`: never touch the network.
    pub offline: bool,
    /// `HF_ENDPOINT`: a mirror instead of huggingface.co.
    pub endpoint: Option<String>,
    /// `HF_TOKEN`: for gated or private models (never logged).
    pub token: Option<String>,
}

impl HubOptions {
    /// The options the Hugging Face tools themselves would use on this machine.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let cache_dir = var("HF_HUB_CACHE")
            .map(PathBuf::from)
            .or_else(|| var("HF_HOME").map(|home| PathBuf::from(home).join("hub")))
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache/huggingface/hub")));
        let offline = var("HF_HUB_OFFLINE")
            .and_then(|v| v.into_string().ok())
            .is_some_and(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
            });
        HubOptions {
            cache_dir,
            offline,
            endpoint: var("HF_ENDPOINT").and_then(|v| v.into_string().ok()),
            token: var("HF_TOKEN").and_then(|v| v.into_string().ok()),
        }
    }
}

/// The local path of `id`'s `tokenizer.json`, downloading it if needed and allowed.
pub(crate) fn resolve(id: &str, options: &HubOptions) -> Result<PathBuf, TokenizerError> {
    let hub_error = |reason: String| TokenizerError::Hub {
        id: id.to_string(),
        reason,
    };
    if id.is_empty() || id.starts_with('/') || id.split('/').any(|part| part == "..") {
        return Err(hub_error("not a hub model id of the form ORG/NAME".into()));
    }
    let Some(cache_dir) = options.cache_dir.as_deref() else {
        return Err(hub_error(
            "no Hugging Face cache folder: set HF_HOME or HF_HUB_CACHE".into(),
        ));
    };
    if let Some(found) = find_cached(cache_dir, RepoKind::Model, id, Some(TOKENIZER_FILE)) {
        return Ok(found);
    }
    if options.offline {
        return Err(hub_error(format!(
            "HF_HUB_OFFLINE is set and it is not in the local cache '{}'",
            cache_dir.display()
        )));
    }
    download(id, cache_dir, options).map_err(hub_error)
}

/// The two kinds of hub repository gauntlet reads: their cache folders are named
/// `models--ORG--NAME` and `datasets--ORG--NAME`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RepoKind {
    /// A model repository (tokenizers).
    Model,
    /// A dataset repository (public datasets such as SPEED-Bench).
    Dataset,
}

impl RepoKind {
    fn cache_prefix(self) -> &'static str {
        match self {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
        }
    }
}

impl HubOptions {
    /// The hub client that downloads into the cache at `cache_dir`, through the mirror and
    /// with the token when they are set.
    pub(crate) fn api(
        &self,
        cache_dir: &Path,
    ) -> Result<hf_hub::api::sync::Api, hf_hub::api::sync::ApiError> {
        let mut builder =
            hf_hub::api::sync::ApiBuilder::from_cache(hf_hub::Cache::new(cache_dir.to_path_buf()))
                .with_progress(false);
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint.clone());
        }
        if self.token.is_some() {
            builder = builder.with_token(self.token.clone());
        }
        builder.build()
    }
}

/// In the hub cache at `cache_dir`, the snapshot of repository `id` that `refs/main` points
/// at, else the newest snapshot, taking only snapshots that hold `file` (`None`: any
/// snapshot folder). Returns the path of that file, or of the snapshot folder.
pub(crate) fn find_cached(
    cache_dir: &Path,
    kind: RepoKind,
    id: &str,
    file: Option<&str>,
) -> Option<PathBuf> {
    let repo_dir = cache_dir.join(format!(
        "{}--{}",
        kind.cache_prefix(),
        id.replace('/', "--")
    ));
    let snapshots = repo_dir.join("snapshots");
    let candidate_in = |snapshot: PathBuf| match file {
        Some(file) => snapshot.join(file),
        None => snapshot,
    };
    let usable = |candidate: &Path| match file {
        Some(_) => candidate.is_file(),
        None => candidate.is_dir(),
    };
    if let Ok(rev) = std::fs::read_to_string(repo_dir.join("refs").join("main")) {
        let candidate = candidate_in(snapshots.join(rev.trim()));
        if usable(&candidate) {
            return Some(candidate);
        }
    }
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&snapshots)
        .ok()?
        .filter_map(|entry| {
            let candidate = candidate_in(entry.ok()?.path());
            let modified = std::fs::metadata(&candidate).ok()?.modified().ok()?;
            usable(&candidate).then_some((modified, candidate))
        })
        .collect();
    // Newest first; the path breaks ties so the choice never depends on directory order.
    found.sort_by(|a, b| b.cmp(a));
    found.into_iter().next().map(|(_, path)| path)
}

fn download(id: &str, cache_dir: &Path, options: &HubOptions) -> Result<PathBuf, String> {
    let api = options.api(cache_dir).map_err(|e| e.to_string())?;
    api.model(id.to_string())
        .download(TOKENIZER_FILE)
        .map_err(|e| explain(&e.to_string()))
}

/// Turns the status codes people actually hit into a hint; everything else passes through.
fn explain(reason: &str) -> String {
    let hint = if reason.contains("status code 401") || reason.contains("status code 403") {
        "; gated or private model: set HF_TOKEN"
    } else if reason.contains("status code 404") {
        "; no such model, or it has no tokenizer.json"
    } else {
        ""
    };
    // The error must stay one line however the HTTP stack formats its causes.
    format!("{reason}{hint}").replace(['\n', '\r'], "; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_snapshot(cache: &Path, repo: &str, rev: &str, content: &str) -> PathBuf {
        let dir = cache.join(repo).join("snapshots").join(rev);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(TOKENIZER_FILE);
        std::fs::write(&file, content).unwrap();
        file
    }

    fn offline(cache: &Path) -> HubOptions {
        HubOptions {
            cache_dir: Some(cache.to_path_buf()),
            offline: true,
            ..HubOptions::default()
        }
    }

    #[test]
    fn refs_main_picks_the_snapshot() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = "models--Org--Model";
        fake_snapshot(tmp.path(), repo, "aaa", "{}");
        let main = fake_snapshot(tmp.path(), repo, "bbb", "{}");
        std::fs::create_dir_all(tmp.path().join(repo).join("refs")).unwrap();
        std::fs::write(tmp.path().join(repo).join("refs/main"), "bbb\n").unwrap();
        assert_eq!(resolve("Org/Model", &offline(tmp.path())).unwrap(), main);
    }

    #[test]
    fn without_refs_any_snapshot_with_the_file_is_used() {
        let tmp = tempfile::tempdir().unwrap();
        let only = fake_snapshot(tmp.path(), "models--gpt2", "abc", "{}");
        assert_eq!(resolve("gpt2", &offline(tmp.path())).unwrap(), only);
    }

    #[test]
    fn offline_miss_is_one_clear_line() {
        let tmp = tempfile::tempdir().unwrap();
        let err = resolve("Org/Missing", &offline(tmp.path()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("cannot fetch tokenizer 'Org/Missing'"),
            "{err}"
        );
        assert!(err.contains("HF_HUB_OFFLINE"), "{err}");
        assert!(err.contains("--tokenizer"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn unreachable_endpoint_fails_with_the_id_and_a_hint() {
        // hf-hub's HTTP agent follows proxy variables (without NO_PROXY), which would send this
        // request off the machine; tests only talk to 127.0.0.1.
        if crate::tokenizer::test_support::proxy_is_set() {
            eprintln!("skipped: a proxy variable is set");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        // Port 1 on loopback: nothing listens, so the connection is refused at once.
        let options = HubOptions {
            cache_dir: Some(tmp.path().to_path_buf()),
            endpoint: Some("http://127.0.0.1:1".into()),
            ..HubOptions::default()
        };
        let err = resolve("Org/Model", &options).unwrap_err().to_string();
        assert!(
            err.starts_with("cannot fetch tokenizer 'Org/Model'"),
            "{err}"
        );
        assert!(err.contains("offline?"), "{err}");
    }

    #[test]
    fn path_like_ids_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(resolve("../etc", &offline(tmp.path())).is_err());
        assert!(resolve("", &offline(tmp.path())).is_err());
    }
}
