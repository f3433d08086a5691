//! One contiguous, immutable buffer holding every pre-rendered request body.

use bytes::{Bytes, BytesMut};

/// Pre-rendered request bodies, addressed by entry index.
#[derive(Debug, Clone, Default)]
pub struct PayloadArena {
    bytes: Bytes,
    spans: Vec<(u32, u32)>,
}

impl PayloadArena {
    /// Builds the arena from bodies rendered in order; `capacity_hint` sizes the buffer once.
    pub fn build<I, B>(bodies: I, capacity_hint: usize) -> Self
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut buf = BytesMut::with_capacity(capacity_hint);
        let mut spans = Vec::new();
        for body in bodies {
            let body = body.as_ref();
            spans.push((buf.len() as u32, body.len() as u32));
            buf.extend_from_slice(body);
        }
        Self {
            bytes: buf.freeze(),
            spans,
        }
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
        self.bytes
            .slice(offset as usize..offset as usize + len as usize)
    }

    /// Body `index` as borrowed bytes (for writing `inputs.json`).
    pub fn body_bytes(&self, index: usize) -> &[u8] {
        let (offset, len) = self.spans[index];
        &self.bytes[offset as usize..offset as usize + len as usize]
    }

    /// Total bytes held.
    pub fn total_bytes(&self) -> usize {
        self.bytes.len()
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
}
