//! Rolling block hashing: turns token (or text) blocks into small dense ids in the mooncake
//! style, where a block's id depends on its content and its whole prefix. Two equal blocks
//! after different prefixes get different ids, so an id names a cacheable prefix, exactly what
//! a KV prefix cache can reuse.

use super::fast_hash::FastMap;

/// Counters a caller can report after hashing a dataset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HasherStats {
    /// Blocks hashed since the last reset.
    pub blocks_hashed: u64,
    /// Distinct (prefix, content) pairs seen, i.e. ids handed out.
    pub unique_ids: u64,
}

/// Hands out dense ids for (prefix, block) pairs; ids are global across all sequences hashed.
#[derive(Debug, Clone)]
pub struct RollingHasher {
    block_size: usize,
    ids: FastMap<u64, u64>,
    blocks_hashed: u64,
}

impl RollingHasher {
    /// A hasher that cuts token sequences into `block_size`-token blocks (the last may be short).
    /// A zero block size is treated as 1 so a bad flag cannot loop forever.
    pub fn new(block_size: usize) -> Self {
        Self {
            block_size: block_size.max(1),
            ids: FastMap::default(),
            blocks_hashed: 0,
        }
    }

    /// The ids of `tokens`' blocks, each depending on every token before it.
    pub fn hash_token_blocks(&mut self, tokens: &[u32]) -> Vec<u64> {
        let mut prefix = SEED;
        let mut out = Vec::with_capacity(tokens.len().div_ceil(self.block_size));
        for block in tokens.chunks(self.block_size) {
            let bytes: Vec<u8> = block.iter().flat_map(|t| t.to_le_bytes()).collect();
            prefix = chain(prefix, &bytes);
            out.push(self.id_for(prefix));
        }
        out
    }

    /// The ids of pre-cut text blocks (one `&str` per block), each depending on all before it.
    pub fn hash_text_blocks<S: AsRef<str>>(&mut self, blocks: &[S]) -> Vec<u64> {
        let mut prefix = SEED;
        blocks
            .iter()
            .map(|block| {
                prefix = chain(prefix, block.as_ref().as_bytes());
                self.id_for(prefix)
            })
            .collect()
    }

    /// Forgets every id, so the next sequence starts numbering from 0 again.
    pub fn reset(&mut self) {
        self.ids.clear();
        self.blocks_hashed = 0;
    }

    /// How much was hashed and how many distinct prefixes it held.
    pub fn stats(&self) -> HasherStats {
        HasherStats {
            blocks_hashed: self.blocks_hashed,
            unique_ids: self.ids.len() as u64,
        }
    }

    fn id_for(&mut self, prefix_hash: u64) -> u64 {
        self.blocks_hashed += 1;
        let next = self.ids.len() as u64;
        *self.ids.entry(prefix_hash).or_insert(next)
    }
}

const SEED: u64 = 0x6761_756e_746c_6574;

/// 64 bits of blake3 over (previous prefix hash, block bytes): collisions among 2^32 blocks
/// are about one in four billion, far below what changes a hit rate.
fn chain(prefix: u64, bytes: &[u8]) -> u64 {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&prefix.to_le_bytes());
    hasher.update(bytes);
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_depend_on_content_and_prefix() {
        let mut hasher = RollingHasher::new(2);
        let a = hasher.hash_token_blocks(&[1, 2, 3, 4, 5]);
        assert_eq!(a, vec![0, 1, 2]);
        // Same first block, different second: shares id 0 only.
        let b = hasher.hash_token_blocks(&[1, 2, 9, 9]);
        assert_eq!(b, vec![0, 3]);
        // Block [3, 4] after a different prefix is a different id.
        let c = hasher.hash_token_blocks(&[7, 7, 3, 4]);
        assert_eq!(c, vec![4, 5]);
        assert_eq!(hasher.hash_token_blocks(&[1, 2, 3, 4, 5]), a);
        assert_eq!(
            hasher.stats(),
            HasherStats {
                blocks_hashed: 10,
                unique_ids: 6
            }
        );
        hasher.reset();
        assert_eq!(hasher.stats(), HasherStats::default());
        assert_eq!(hasher.hash_token_blocks(&[7, 7]), vec![0]);
    }

    #[test]
    fn text_blocks_follow_the_same_rule() {
        let mut hasher = RollingHasher::new(512);
        assert_eq!(hasher.hash_text_blocks(&["sys", "q1"]), vec![0, 1]);
        assert_eq!(hasher.hash_text_blocks(&["sys", "q2"]), vec![0, 2]);
        assert_eq!(hasher.hash_text_blocks(&["q1"]), vec![3]);
    }
}
