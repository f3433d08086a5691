//! Every pre-rendered request body, in a few large immutable buffers.

use bytes::Bytes;
use rayon::prelude::*;

/// Bodies per block when rendering in parallel: each task renders one block into its own
/// buffer, which becomes part of the arena as it is (no second copy of tens of MB).
const BLOCK_SHIFT: u32 = 10;
const BLOCK: usize = 1 << BLOCK_SHIFT;

/// Pre-rendered request bodies, addressed by entry index.
#[derive(Debug, Clone, Default)]
pub struct PayloadArena {
    /// Body `i` lives in `blocks[i >> block_shift]`.
    blocks: Vec<Bytes>,
    /// Offset in its block and length of each body.
    spans: Vec<(u32, u32)>,
    block_shift: u32,
}

impl PayloadArena {
    /// Builds the arena from bodies rendered in order into one buffer; `capacity_hint` sizes
    /// it once.
    pub fn build<I, B>(bodies: I, capacity_hint: usize) -> Self
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut buf = Vec::with_capacity(capacity_hint);
        let mut spans = Vec::new();
        for body in bodies {
            let body = body.as_ref();
            spans.push((buf.len() as u32, body.len() as u32));
            buf.extend_from_slice(body);
        }
        Self {
            blocks: vec![Bytes::from(buf)],
            spans,
            // Every index shifts down to block 0.
            block_shift: usize::BITS - 1,
        }
    }

    /// Builds the arena from `count` bodies, `render(i)` being body `i`, rendered on every
    /// core a block at a time. Body `i` is the same on any core count.
    pub fn build_parallel<F>(count: usize, render: F) -> Self
    where
        F: Fn(usize) -> Vec<u8> + Sync,
    {
        let blocks: Vec<(Bytes, Vec<(u32, u32)>)> = (0..count.div_ceil(BLOCK))
            .into_par_iter()
            .map(|block| {
                let indices = block * BLOCK..((block + 1) * BLOCK).min(count);
                let mut bytes = Vec::new();
                let mut spans = Vec::with_capacity(indices.len());
                for i in indices {
                    let body = render(i);
                    spans.push((bytes.len() as u32, body.len() as u32));
                    bytes.extend_from_slice(&body);
                }
                bytes.shrink_to_fit();
                (Bytes::from(bytes), spans)
            })
            .collect();
        let mut arena = Self {
            blocks: Vec::with_capacity(blocks.len()),
            spans: Vec::with_capacity(count),
            block_shift: BLOCK_SHIFT,
        };
        for (bytes, spans) in blocks {
            arena.blocks.push(bytes);
            arena.spans.extend(spans);
        }
        arena
    }

    /// Number of bodies.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the arena holds no body.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Body `index` as a zero-copy slice of the arena.
    #[inline]
    pub fn body(&self, index: usize) -> Bytes {
        let (offset, len) = self.spans[index];
        self.blocks[index >> self.block_shift]
            .slice(offset as usize..offset as usize + len as usize)
    }

    /// Body `index` as borrowed bytes (for writing `inputs.json`).
    pub fn body_bytes(&self, index: usize) -> &[u8] {
        let (offset, len) = self.spans[index];
        &self.blocks[index >> self.block_shift][offset as usize..offset as usize + len as usize]
    }

    /// Total bytes held.
    pub fn total_bytes(&self) -> usize {
        self.blocks.iter().map(Bytes::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_return_each_body_whole() {
        let arena = PayloadArena::build(["{\"a\":1}", "", "{\"b\":22}"], 0);
        assert_eq!(arena.len(), 3);
        assert_eq!(&arena.body(0)[..], b"{\"a\":1}");
        assert_eq!(&arena.body(1)[..], b"");
        assert_eq!(arena.body_bytes(2), b"{\"b\":22}");
        assert_eq!(arena.total_bytes(), 15);
    }

    #[test]
    fn parallel_build_equals_the_sequential_one_across_blocks() {
        let render = |i: usize| format!("{{\"i\":{}}}", "x".repeat(i % 7)).into_bytes();
        for count in [0, 1, BLOCK, 2 * BLOCK + 3] {
            let parallel = PayloadArena::build_parallel(count, render);
            let sequential = PayloadArena::build((0..count).map(render), 0);
            assert_eq!(parallel.len(), count);
            assert_eq!(parallel.total_bytes(), sequential.total_bytes());
            for i in 0..count {
                assert_eq!(parallel.body(i), sequential.body(i), "body {i}");
                assert_eq!(parallel.body_bytes(i), render(i).as_slice());
            }
        }
    }
}
