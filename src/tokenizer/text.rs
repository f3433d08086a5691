//! `Tokenizer`: the `tokenizers` crate behind a small API that says what gauntlet needs
//! (count, encode without specials, decode) and carries a fingerprint for cache keys.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::assets::{asset_path, BUILTIN_TOKENIZER};
use super::fast::{ByteDecoder, FastCount};
use super::hub::{self, HubOptions};
use super::TokenizerError;
use crate::config::TokenizerSpec;

/// A loaded tokenizer. Prompts are cut and output tokens counted with the same one, so the
/// lengths gauntlet reports are the lengths the server's tokenizer sees.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    fingerprint: [u8; 32],
    name: String,
    /// Counts without the full pipeline where that provably gives the same answer.
    fast_count: Option<FastCount>,
    /// Built on the first decode (~150k ids for Qwen2.5), which most runs never make.
    byte_decoder: OnceLock<Option<ByteDecoder>>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("name", &self.name)
            .field(
                "fingerprint",
                &blake3::Hash::from(self.fingerprint).to_hex(),
            )
            .finish()
    }
}

impl Tokenizer {
    /// Loads the tokenizer a plan asks for: the shipped Qwen2.5 one, a local file or folder,
    /// or a hub model id (local hub cache first, then a download unless `HF_HUB_OFFLINE`).
    pub fn load(spec: &TokenizerSpec) -> Result<Tokenizer, TokenizerError> {
        load_with(spec, &HubOptions::from_env())
    }

    /// Parses `tokenizer.json` bytes; `name` labels reports and error messages. Useful for
    /// embedders that ship their own tokenizer inside another file.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Tokenizer, TokenizerError> {
        from_bytes_at(bytes, name, Path::new(name))
    }

    /// Token ids of `text`, without special tokens: exactly what the prompt contributes.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, TokenizerError> {
        self.inner
            .encode_fast(text, false)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|e| TokenizerError::Encode {
                tokenizer: self.name.clone(),
                chars: text.len(),
                reason: e.to_string(),
            })
    }

    /// How many tokens `text` is, without special tokens.
    pub fn count(&self, text: &str) -> Result<u32, TokenizerError> {
        if let Some(count) = self
            .fast_count
            .as_ref()
            .and_then(|fast| fast.count(&self.inner, text))
        {
            return Ok(count);
        }
        self.count_in_full(text)
    }

    /// Whether [`Tokenizer::count`] can skip the full pipeline (for ASCII text without added
    /// tokens, at least).
    #[cfg(test)]
    pub(super) fn counts_fast(&self) -> bool {
        self.fast_count.is_some()
    }

    /// Whether [`Tokenizer::decode`] uses the byte table.
    #[cfg(test)]
    pub(super) fn decodes_fast(&self) -> bool {
        self.byte_table().is_some()
    }

    /// [`Tokenizer::count`] through the whole `tokenizers` pipeline: the reference the fast
    /// count is tested and benchmarked against.
    #[doc(hidden)]
    pub fn count_in_full(&self, text: &str) -> Result<u32, TokenizerError> {
        let encoding = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| TokenizerError::Encode {
                tokenizer: self.name.clone(),
                chars: text.len(),
                reason: e.to_string(),
            })?;
        Ok(u32::try_from(encoding.len()).unwrap_or(u32::MAX))
    }

    /// Text of `ids`. A cut through a multi-byte character comes back as U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        if let Some(text) = self.byte_table().and_then(|table| table.decode(ids)) {
            return Ok(text);
        }
        self.decode_in_full(ids)
    }

    /// Whether `id`'s text begins with a space and whether it ends a line, without decoding
    /// it to a `String` where the byte table allows.
    pub fn token_edges(&self, id: u32) -> Result<(bool, bool), TokenizerError> {
        if let Some(bytes) = self.byte_table().and_then(|table| table.bytes_of(id)) {
            // Both are ASCII, so a lossy decode of these bytes has them exactly where they do.
            return Ok((bytes.first() == Some(&b' '), bytes.last() == Some(&b'\n')));
        }
        let text = self.decode(&[id])?;
        Ok((text.starts_with(' '), text.ends_with('\n')))
    }

    fn byte_table(&self) -> Option<&ByteDecoder> {
        self.byte_decoder
            .get_or_init(|| ByteDecoder::new(&self.inner))
            .as_ref()
    }

    /// [`Tokenizer::decode`] through `tokenizers`' decoder.
    #[doc(hidden)]
    pub fn decode_in_full(&self, ids: &[u32]) -> Result<String, TokenizerError> {
        self.inner
            .decode(ids, false)
            .map_err(|e| TokenizerError::Decode {
                tokenizer: self.name.clone(),
                ids: ids.len(),
                reason: e.to_string(),
            })
    }

    /// blake3 of the `tokenizer.json` bytes: two tokenizers with the same fingerprint
    /// tokenize identically, so caches and reports key on it.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// Human-readable origin ("builtin (Qwen2.5)", a path, or a hub id) for reports.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// [`Tokenizer::load`] with explicit hub options, so tests never set process-wide variables.
pub(crate) fn load_with(
    spec: &TokenizerSpec,
    hub_options: &HubOptions,
) -> Result<Tokenizer, TokenizerError> {
    let (file, name) = resolve_with(spec, hub_options)?;
    from_file(&file, &name)
}

/// The `tokenizer.json` that `spec` names (a hub id resolved through the local hub cache or
/// a download) and the name reports give it, without parsing it.
pub fn tokenizer_file_of(spec: &TokenizerSpec) -> Result<(PathBuf, String), TokenizerError> {
    resolve_with(spec, &HubOptions::from_env())
}

fn resolve_with(
    spec: &TokenizerSpec,
    hub_options: &HubOptions,
) -> Result<(PathBuf, String), TokenizerError> {
    match spec {
        TokenizerSpec::Builtin => Ok((
            asset_path(BUILTIN_TOKENIZER)?,
            "builtin (Qwen2.5)".to_string(),
        )),
        TokenizerSpec::Path(path) => Ok((tokenizer_file(path)?, path.display().to_string())),
        TokenizerSpec::Hub(id) => Ok((hub::resolve(id, hub_options)?, id.clone())),
    }
}

/// `path` itself, or `path/tokenizer.json` when it is a folder.
fn tokenizer_file(path: &Path) -> Result<PathBuf, TokenizerError> {
    let file = if path.is_dir() {
        path.join("tokenizer.json")
    } else {
        path.to_path_buf()
    };
    if file.is_file() {
        Ok(file)
    } else {
        Err(TokenizerError::NotFound { path: file })
    }
}

fn from_file(path: &Path, name: &str) -> Result<Tokenizer, TokenizerError> {
    let bytes = std::fs::read(path).map_err(|source| TokenizerError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes_at(&bytes, name, path)
}

fn from_bytes_at(bytes: &[u8], name: &str, path: &Path) -> Result<Tokenizer, TokenizerError> {
    let parse_error = |reason: String| TokenizerError::Parse {
        path: path.to_path_buf(),
        reason,
    };
    let mut inner = super::load::parse(bytes).map_err(|e| parse_error(e.to_string()))?;
    // A tokenizer.json may carry truncation or padding settings meant for training; either
    // would silently change prompt lengths.
    inner
        .with_truncation(None)
        .map_err(|e| parse_error(e.to_string()))?;
    inner.with_padding(None);
    Ok(Tokenizer {
        fast_count: FastCount::new(&inner),
        inner,
        fingerprint: *blake3::hash(bytes).as_bytes(),
        name: name.to_string(),
        byte_decoder: OnceLock::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::test_support::builtin;

    #[test]
    fn builtin_round_trips_and_counts_without_specials() {
        let tok = builtin();
        let text = "Shall I compare thee to a summer's day?";
        let ids = tok.encode(text).unwrap();
        assert!(ids.len() > 5 && ids.len() < 20, "{ids:?}");
        assert_eq!(tok.count(text).unwrap() as usize, ids.len());
        assert_eq!(tok.decode(&ids).unwrap(), text);
        assert_eq!(tok.count("").unwrap(), 0);
        assert_eq!(tok.name(), "builtin (Qwen2.5)");
    }

    #[test]
    fn fingerprint_is_blake3_of_the_file() {
        let bytes = std::fs::read(asset_path(BUILTIN_TOKENIZER).unwrap()).unwrap();
        assert_eq!(builtin().fingerprint(), *blake3::hash(&bytes).as_bytes());
    }

    /// A tiny word-level tokenizer, so path tests do not parse 7 MB each.
    const TINY: &str = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
        "normalizer":null,"pre_tokenizer":{"type":"Whitespace"},"post_processor":null,
        "decoder":null,"model":{"type":"WordLevel","vocab":{"[UNK]":0,"a":1,"b":2},
        "unk_token":"[UNK]"}}"#;

    #[test]
    fn loads_a_file_or_a_folder_holding_one() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("tokenizer.json");
        std::fs::write(&file, TINY).unwrap();
        for spec in [
            TokenizerSpec::Path(file.clone()),
            TokenizerSpec::Path(tmp.path().to_path_buf()),
        ] {
            let tok = load_with(&spec, &HubOptions::default()).unwrap();
            assert_eq!(tok.encode("a b a").unwrap(), vec![1, 2, 1]);
        }
    }

    #[test]
    fn missing_file_and_empty_folder_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope.json");
        let err = load_with(
            &TokenizerSpec::Path(missing.clone()),
            &HubOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(&missing.display().to_string()), "{err}");

        let err = load_with(
            &TokenizerSpec::Path(tmp.path().to_path_buf()),
            &HubOptions::default(),
        )
        .unwrap_err()
        .to_string();
        let expected = tmp.path().join("tokenizer.json");
        assert!(err.contains(&expected.display().to_string()), "{err}");
    }

    #[test]
    fn invalid_json_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("tokenizer.json");
        std::fs::write(&file, "{not json").unwrap();
        let err = load_with(&TokenizerSpec::Path(file.clone()), &HubOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&file.display().to_string()), "{err}");
        assert!(err.contains("not a valid tokenizer.json"), "{err}");
    }

    #[test]
    fn hub_id_resolves_from_a_fake_cache() {
        let tmp = tempfile::tempdir().unwrap();
        let snapshot = tmp.path().join("models--Org--Tiny/snapshots/0123abc");
        std::fs::create_dir_all(&snapshot).unwrap();
        std::fs::write(snapshot.join("tokenizer.json"), TINY).unwrap();
        let options = HubOptions {
            cache_dir: Some(tmp.path().to_path_buf()),
            offline: true,
            ..HubOptions::default()
        };
        let tok = load_with(&TokenizerSpec::Hub("Org/Tiny".into()), &options).unwrap();
        assert_eq!(tok.name(), "Org/Tiny");
        assert_eq!(tok.count("b b").unwrap(), 2);
        assert_eq!(tok.fingerprint(), *blake3::hash(TINY.as_bytes()).as_bytes());
    }
}
