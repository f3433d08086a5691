//! The on-disk corpus token cache. Tokenizing 5 MB of text costs seconds; reading it back costs
//! milliseconds, and start-up must be cheap.
//!
//! Layout (all integers little-endian):
//! `magic[8] version:u32 reserved:u32 key[32] chunks:u64 tokens:u64
//!  chunk_starts:[u32; chunks] ids:[u32; tokens] blake3(everything before)[32]`.
//! Anything that does not check out (short, wrong magic/version/key, bad checksum) reads as a
//! miss, and the caller rebuilds.

use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"GNTCORP\0";
/// Bump when the layout or the chunking rule changes, so old files read as misses.
const VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 32 + 8 + 8;
const CHECKSUM_LEN: usize = 32;

/// What the cache stores for one (tokenizer, corpus) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CachedTokens {
    /// Token index where each text chunk starts.
    pub chunk_starts: Vec<u32>,
    /// The corpus token stream.
    pub ids: Vec<u32>,
}

/// The cache folder: `$GAUNTLET_CACHE_DIR`, else `$XDG_CACHE_HOME/gauntlet`, else
/// `~/.cache/gauntlet`; `None` when there is no home to put it in.
pub(crate) fn default_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("GAUNTLET_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("gauntlet")))
        .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache/gauntlet")))
}

/// The cache key: both inputs' hashes and the format version, hashed together.
pub(crate) fn cache_key(tokenizer_fingerprint: &[u8; 32], corpus_hash: &[u8; 32]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(MAGIC);
    hasher.update(&VERSION.to_le_bytes());
    hasher.update(tokenizer_fingerprint);
    hasher.update(corpus_hash);
    *hasher.finalize().as_bytes()
}

/// The file a key lives in; the name uses half the key, the header holds all of it.
pub(crate) fn cache_file(dir: &Path, key: &[u8; 32]) -> PathBuf {
    let hex = blake3::Hash::from(*key).to_hex();
    dir.join(format!("corpus-{}.tok", &hex[..32]))
}

/// The cached tokens for `key`, or `None` for any miss, short or corrupt file.
pub(crate) fn read(path: &Path, key: &[u8; 32]) -> Option<CachedTokens> {
    let bytes = std::fs::read(path).ok()?;
    decode(&bytes, key)
}

fn decode(bytes: &[u8], key: &[u8; 32]) -> Option<CachedTokens> {
    let header = bytes.get(..HEADER_LEN)?;
    if &header[..8] != MAGIC
        || u32_at(header, 8)? != VERSION
        || header.get(16..48)? != key.as_slice()
    {
        return None;
    }
    let chunks = usize::try_from(u64_at(header, 48)?).ok()?;
    let tokens = usize::try_from(u64_at(header, 56)?).ok()?;
    let body_len = chunks.checked_add(tokens)?.checked_mul(4)?;
    let expected = HEADER_LEN
        .checked_add(body_len)?
        .checked_add(CHECKSUM_LEN)?;
    if bytes.len() != expected {
        return None;
    }
    let (payload, checksum) = bytes.split_at(expected - CHECKSUM_LEN);
    if blake3::hash(payload).as_bytes() != checksum {
        return None;
    }
    let body = &payload[HEADER_LEN..];
    let (starts, ids) = body.split_at(chunks * 4);
    Some(CachedTokens {
        chunk_starts: le_u32s(starts),
        ids: le_u32s(ids),
    })
}

/// Writes the cache atomically, so a reader never sees half a file and concurrent writers of
/// the same key simply race to an identical result.
pub(crate) fn write(path: &Path, key: &[u8; 32], tokens: &CachedTokens) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    crate::atomic_file::write_unsynced_with(path, |out| out.write_all(&encode(key, tokens)))
}

fn encode(key: &[u8; 32], tokens: &CachedTokens) -> Vec<u8> {
    let body = (tokens.chunk_starts.len() + tokens.ids.len()) * 4;
    let mut out = Vec::with_capacity(HEADER_LEN + body + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(tokens.chunk_starts.len() as u64).to_le_bytes());
    out.extend_from_slice(&(tokens.ids.len() as u64).to_le_bytes());
    for value in tokens.chunk_starts.iter().chain(&tokens.ids) {
        out.extend_from_slice(&value.to_le_bytes());
    }
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    out
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn le_u32s(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CachedTokens {
        CachedTokens {
            chunk_starts: vec![0, 3],
            ids: vec![7, 8, 9, 151_642, 0],
        }
    }

    #[test]
    fn round_trips_and_rejects_other_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let key = cache_key(&[1; 32], &[2; 32]);
        let path = cache_file(tmp.path(), &key);
        write(&path, &key, &sample()).unwrap();
        assert_eq!(read(&path, &key), Some(sample()));
        assert_eq!(read(&path, &cache_key(&[1; 32], &[3; 32])), None);
        // No temp files left behind.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn any_damage_reads_as_a_miss() {
        let key = cache_key(&[1; 32], &[2; 32]);
        let good = encode(&key, &sample());
        assert!(decode(&good, &key).is_some());
        for cut in [0, 5, HEADER_LEN, good.len() - 1] {
            assert_eq!(decode(&good[..cut], &key), None, "truncated at {cut}");
        }
        for flip in [0, 9, 20, 50, HEADER_LEN + 2, good.len() - 3] {
            let mut bad = good.clone();
            bad[flip] ^= 0x40;
            assert_eq!(decode(&bad, &key), None, "byte {flip} flipped");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(decode(&longer, &key), None);
    }

    #[test]
    fn key_depends_on_both_inputs() {
        let base = cache_key(&[1; 32], &[2; 32]);
        assert_ne!(base, cache_key(&[9; 32], &[2; 32]));
        assert_ne!(base, cache_key(&[1; 32], &[9; 32]));
    }
}
