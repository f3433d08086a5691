//! The on-disk workload cache. Loading the tokenizer alone costs ~200 ms and building prompts
//! and media more; a run whose synthetic workload was built before (same config, seed,
//! tokenizer and corpus files, same gauntlet) reads it back in milliseconds and starts sending
//! without loading the tokenizer at all.
//!
//! Layout: `magic[8] version:u32 key[32] body_len:u64 body blake3(body)[32]`, the body being the
//! workload in postcard (serde's compact binary format; strings are copied, not escaped).
//! Anything that does not check out reads as a miss and the caller rebuilds; a failed write
//! only costs the next start its speed.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Workload;

const MAGIC: &[u8; 8] = b"GNTWKLD\0";
/// Bump when the layout or the meaning of the body changes.
const VERSION: u32 = 3;
const HEADER_LEN: usize = 8 + 4 + 32 + 8;
const CHECKSUM_LEN: usize = 32;
/// Workload files kept in the cache folder; older ones are removed after a write.
const KEEP_FILES: usize = 8;
/// Workloads larger than this (media-heavy ones) are not cached: reading them back would not
/// be much faster than making them, and they would fill the disk.
pub const MAX_CACHED_BYTES: usize = 512 << 20;

/// A cache key from the parts that decide a workload, in order.
pub fn key(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(MAGIC);
    hasher.update(&VERSION.to_le_bytes());
    hasher.update(crate::VERSION.as_bytes());
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// What identifies a file's contents without reading it: path, length and modification time.
pub fn file_stamp(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    let mtime = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut stamp = path.as_os_str().as_encoded_bytes().to_vec();
    stamp.extend_from_slice(&meta.len().to_le_bytes());
    stamp.extend_from_slice(&mtime.to_le_bytes());
    Ok(stamp)
}

/// The file a key lives in.
pub fn cache_file(dir: &Path, key: &[u8; 32]) -> PathBuf {
    let hex = blake3::Hash::from(*key).to_hex();
    dir.join(format!("workload-{}.bin", &hex[..32]))
}

/// The cached workload for `key`, or `None` for a miss or a short, stale or corrupt file.
pub fn read(path: &Path, key: &[u8; 32]) -> Option<Workload> {
    let bytes = std::fs::read(path).ok()?;
    decode(&bytes, key)
}

fn decode(bytes: &[u8], key: &[u8; 32]) -> Option<Workload> {
    let header = bytes.get(..HEADER_LEN)?;
    if &header[..8] != MAGIC
        || header[8..12] != VERSION.to_le_bytes()
        || &header[12..44] != key.as_slice()
    {
        return None;
    }
    let body_len = usize::try_from(u64::from_le_bytes(header[44..52].try_into().ok()?)).ok()?;
    if bytes.len()
        != HEADER_LEN
            .checked_add(body_len)?
            .checked_add(CHECKSUM_LEN)?
    {
        return None;
    }
    let body = &bytes[HEADER_LEN..HEADER_LEN + body_len];
    if blake3::hash(body).as_bytes() != &bytes[HEADER_LEN + body_len..] {
        return None;
    }
    postcard::from_bytes(body).ok()
}

/// Writes `workload` under `key` (atomically: a reader sees the old file or the whole new one)
/// and trims the folder to the newest few workloads. The body is measured first and then
/// serialized straight into the file, so a media-heavy workload is never copied whole in
/// memory (one that is over [`MAX_CACHED_BYTES`] is not written at all).
pub fn write(path: &Path, key: &[u8; 32], workload: &Workload) -> std::io::Result<()> {
    write_below(path, key, workload, MAX_CACHED_BYTES)
}

fn write_below(
    path: &Path,
    key: &[u8; 32],
    workload: &Workload,
    limit: usize,
) -> std::io::Result<()> {
    let body_len =
        postcard::experimental::serialized_size(workload).map_err(std::io::Error::other)?;
    if body_len > limit {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
    crate::atomic_file::write_unsynced_with(path, |file| {
        file.write_all(MAGIC)?;
        file.write_all(&VERSION.to_le_bytes())?;
        file.write_all(key)?;
        file.write_all(&(body_len as u64).to_le_bytes())?;
        let mut body = HashingWriter {
            out: &mut *file,
            hasher: blake3::Hasher::new(),
            written: 0,
        };
        postcard::to_io(workload, &mut body).map_err(std::io::Error::other)?;
        if body.written != body_len {
            return Err(std::io::Error::other(format!(
                "workload body was {} bytes, measured {body_len}",
                body.written
            )));
        }
        let hash = body.hasher.finalize();
        file.write_all(hash.as_bytes())
    })?;
    prune(dir);
    Ok(())
}

/// Passes bytes on to `out` and hashes and counts them on the way.
struct HashingWriter<'a> {
    out: &'a mut dyn Write,
    hasher: blake3::Hasher,
    written: usize,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Removes all but the newest [`KEEP_FILES`] workload files.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("workload-") && name.ends_with(".bin")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (_, path) in files.into_iter().skip(KEEP_FILES) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{SessionSpan, TurnLinks, WorkloadEntry};
    use crate::media::MediaPart;

    fn workload() -> Workload {
        let mut turn =
            WorkloadEntry::single("session_1".into(), "a \"quoted\"\nline".into(), 5, None);
        turn.turn = TurnLinks {
            parents: vec![0],
            history: Some(0),
            delay_ms: 250,
        };
        turn.media.push(MediaPart::Audio {
            format: "wav".into(),
            data: "UklGRg==".into(),
        });
        Workload {
            entries: vec![
                WorkloadEntry::single("session_1".into(), "first".into(), 1, Some(16)),
                turn,
            ],
            sessions: vec![SessionSpan { first: 0, turns: 2 }],
        }
    }

    #[test]
    fn a_written_workload_reads_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        let key = key(&[b"config", b"seed"]);
        let path = cache_file(dir.path(), &key);
        write(&path, &key, &workload()).unwrap();
        assert_eq!(read(&path, &key), Some(workload()));
    }

    #[test]
    fn another_key_a_flipped_byte_or_a_short_file_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let key = key(&[b"config"]);
        let path = cache_file(dir.path(), &key);
        write(&path, &key, &workload()).unwrap();
        assert_eq!(read(&path, &super::key(&[b"other"])), None);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        assert_eq!(decode(&bytes, &key), None);
        bytes[middle] ^= 1;
        assert!(decode(&bytes, &key).is_some());
        assert_eq!(decode(&bytes[..bytes.len() - 1], &key), None);
        assert_eq!(decode(&bytes[..10], &key), None);
    }

    #[test]
    fn a_workload_over_the_limit_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let key = key(&[b"big"]);
        let path = cache_file(dir.path(), &key);
        let size = postcard::experimental::serialized_size(&workload()).unwrap();
        write_below(&path, &key, &workload(), size - 1).unwrap();
        assert!(!path.exists());
        write_below(&path, &key, &workload(), size).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), HEADER_LEN + size + CHECKSUM_LEN);
        assert_eq!(
            &bytes[HEADER_LEN..HEADER_LEN + size],
            postcard::to_stdvec(&workload()).unwrap().as_slice(),
            "the streamed body is postcard's bytes"
        );
        assert_eq!(read(&path, &key), Some(workload()));
    }

    #[test]
    fn parts_are_length_delimited() {
        assert_ne!(key(&[b"ab", b"c"]), key(&[b"a", b"bc"]));
    }

    #[test]
    fn only_the_newest_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..(KEEP_FILES as u8 + 3) {
            let key = key(&[&[i]]);
            write(&cache_file(dir.path(), &key), &key, &workload()).unwrap();
        }
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, KEEP_FILES);
    }

    #[test]
    fn a_file_stamp_changes_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus.txt");
        std::fs::write(&path, "one").unwrap();
        let before = file_stamp(&path).unwrap();
        std::fs::write(&path, "three").unwrap();
        assert_ne!(file_stamp(&path).unwrap(), before);
    }
}
