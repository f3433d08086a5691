//! Where the shipped assets (tokenizer, corpus) live. A built-from-source binary knows its
//! checkout's `assets/` folder at compile time; an installed binary has moved away from it, so
//! `GAUNTLET_ASSETS` points at wherever the package put them.

use std::path::{Path, PathBuf};

use super::TokenizerError;

/// File name of the builtin tokenizer in the assets folder.
pub const BUILTIN_TOKENIZER: &str = "tokenizer.json";
/// File name of the builtin corpus in the assets folder.
pub const BUILTIN_CORPUS: &str = "shakespeare.txt";
/// Environment variable that overrides the build-time assets folder.
pub const ASSETS_ENV: &str = "GAUNTLET_ASSETS";

/// The full path of a shipped asset, from the `GAUNTLET_ASSETS` override if set, else the
/// build-time folder; the error lists every path tried.
pub fn asset_path(file: &'static str) -> Result<PathBuf, TokenizerError> {
    let override_dir = std::env::var_os(ASSETS_ENV).map(PathBuf::from);
    find_asset(
        file,
        override_dir.as_deref(),
        Path::new(env!("GAUNTLET_ASSETS_DIR")),
    )
}

fn find_asset(
    file: &'static str,
    override_dir: Option<&Path>,
    build_dir: &Path,
) -> Result<PathBuf, TokenizerError> {
    let tried: Vec<PathBuf> = override_dir
        .into_iter()
        .chain(std::iter::once(build_dir))
        .map(|dir| dir.join(file))
        .collect();
    match tried.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(TokenizerError::AssetMissing { file, tried }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_time_folder_holds_both_assets() {
        let dir = Path::new(env!("GAUNTLET_ASSETS_DIR"));
        assert!(find_asset(BUILTIN_TOKENIZER, None, dir).is_ok());
        assert!(find_asset(BUILTIN_CORPUS, None, dir).is_ok());
    }

    #[test]
    fn override_wins_and_missing_names_every_path() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(BUILTIN_CORPUS), "x").unwrap();
        let found = find_asset(BUILTIN_CORPUS, Some(tmp.path()), Path::new("/nope")).unwrap();
        assert_eq!(found, tmp.path().join(BUILTIN_CORPUS));

        let err = find_asset(BUILTIN_TOKENIZER, Some(tmp.path()), Path::new("/nope"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&tmp.path().join(BUILTIN_TOKENIZER).display().to_string()));
        assert!(err.contains("/nope/tokenizer.json"), "{err}");
        assert!(err.contains("GAUNTLET_ASSETS"), "{err}");
    }
}
