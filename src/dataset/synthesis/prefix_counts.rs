//! The counts behind AIPerf's prefix statistics, kept while a trace streams past: how often
//! each distinct prefix (`hash_ids[..=i]`) occurs, how often each `(position, hash id)` pair
//! occurs, and which ids were seen before.
//!
//! A prefix is a node of a trie whose edges are hash ids. In mooncake traces an id names its
//! whole prefix, so each id has one parent and one position; the trie node and the pair are
//! then stored with the id in one map, and a block costs one hash lookup. An id that turns up
//! under another parent or at another position (legal, just unusual) goes to an overflow map,
//! so the counts are exact for any trace.
//!
//! Node ids and request indices are `u32`: up to ~4 billion distinct prefixes and requests
//! (`u32::MAX` itself marks a repeated pair).

use std::collections::hash_map::Entry;

use super::fast_hash::FastMap;

/// The trie's root: the empty prefix every request starts from.
const ROOT: u32 = 0;

/// Who owns a `(position, id)` pair: the one request that has it, or [`PairUse::REPEATED`]
/// once a second request has it too. One `u32`, so an id's entry stays 24 bytes with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PairUse(u32);

impl PairUse {
    const REPEATED: Self = Self(u32::MAX);
}

/// Everything keyed by an id at its first appearance.
#[derive(Debug, Clone, Copy)]
struct FirstUse {
    /// Trie node the id hung from the first time, and the node it made there.
    parent: u32,
    node: u32,
    /// Position (block index) of the first appearance, and that pair's use.
    position: u32,
    pair: PairUse,
}

/// What one request's blocks found in the counts before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockHits {
    /// Index of the first block whose id no earlier request had (the block count if none):
    /// the blocks a prefix cache could serve.
    pub leading: usize,
    /// Blocks whose id appeared earlier, at any position.
    pub anywhere: u64,
}

/// Prefix, pair and id counts of the requests observed so far.
#[derive(Debug, Clone)]
pub(crate) struct PrefixCounts {
    ids: FastMap<u64, FirstUse>,
    /// `(parent node, id)` → node, for ids met under a second parent.
    other_nodes: FastMap<(u32, u64), u32>,
    /// `(position, id)` → use, for ids met at a second position.
    other_pairs: FastMap<(u32, u64), PairUse>,
    /// Requests through each trie node; index 0 is the root.
    node_visits: Vec<u32>,
    /// Nodes hanging from the root: the distinct first blocks.
    root_children: Vec<u32>,
}

impl Default for PrefixCounts {
    fn default() -> Self {
        Self {
            ids: FastMap::default(),
            other_nodes: FastMap::default(),
            other_pairs: FastMap::default(),
            node_visits: vec![0],
            root_children: Vec::new(),
        }
    }
}

fn new_node(visits: &mut Vec<u32>, root_children: &mut Vec<u32>, parent: u32) -> u32 {
    let node = u32::try_from(visits.len()).unwrap_or(u32::MAX);
    visits.push(0);
    if parent == ROOT {
        root_children.push(node);
    }
    node
}

impl PrefixCounts {
    /// Counts request number `request` (0-based, in trace order) with these blocks.
    pub(crate) fn observe(&mut self, request: u32, hash_ids: &[u64]) -> BlockHits {
        let mut hits = BlockHits {
            leading: hash_ids.len(),
            anywhere: 0,
        };
        let mut parent = ROOT;
        for (index, &id) in hash_ids.iter().enumerate() {
            let position = u32::try_from(index).unwrap_or(u32::MAX);
            let fresh_pair = PairUse(request);
            let node = match self.ids.entry(id) {
                Entry::Vacant(slot) => {
                    // The first id no earlier request had; ids repeated inside this request
                    // were vacant at their first index, which is smaller.
                    hits.leading = hits.leading.min(index);
                    let node = new_node(&mut self.node_visits, &mut self.root_children, parent);
                    slot.insert(FirstUse {
                        parent,
                        node,
                        position,
                        pair: fresh_pair,
                    });
                    node
                }
                Entry::Occupied(mut slot) => {
                    hits.anywhere += 1;
                    let first = slot.get_mut();
                    // A request has one block per position, so a pair met again is met in
                    // another request.
                    if first.position == position {
                        first.pair = PairUse::REPEATED;
                    } else {
                        self.other_pairs
                            .entry((position, id))
                            .and_modify(|pair| *pair = PairUse::REPEATED)
                            .or_insert(fresh_pair);
                    }
                    if first.parent == parent {
                        first.node
                    } else {
                        let (visits, roots) = (&mut self.node_visits, &mut self.root_children);
                        *self
                            .other_nodes
                            .entry((parent, id))
                            .or_insert_with(|| new_node(visits, roots, parent))
                    }
                }
            };
            if let Some(visits) = self.node_visits.get_mut(node as usize) {
                *visits = visits.saturating_add(1);
            }
            parent = node;
        }
        hits
    }

    /// Distinct prefixes (trie nodes other than the root).
    pub(crate) fn unique_prefixes(&self) -> u64 {
        self.node_visits.len() as u64 - 1
    }

    /// Distinct first blocks that start two or more requests.
    pub(crate) fn shared_first_blocks(&self) -> u64 {
        let shared = |&&node: &&u32| self.node_visits.get(node as usize).is_some_and(|&v| v > 1);
        self.root_children.iter().filter(shared).count() as u64
    }

    /// Prefix occurrences whose prefix occurs more than once, over all prefix occurrences
    /// (0 without any block).
    pub(crate) fn prefix_reuse_ratio(&self) -> f64 {
        let visits = self.node_visits.iter().skip(1).map(|&v| u64::from(v));
        let (reused, total) = visits.fold((0u64, 0u64), |(reused, total), v| {
            (reused + if v > 1 { v } else { 0 }, total + v)
        });
        if total == 0 {
            0.0
        } else {
            reused as f64 / total as f64
        }
    }

    /// Per request, its `(position, id)` pairs that no other request has.
    pub(crate) fn unshared_pairs(&self, requests: usize) -> Vec<u32> {
        let mut out = vec![0u32; requests];
        let firsts = self.ids.values().map(|first| first.pair);
        let singles = firsts
            .chain(self.other_pairs.values().copied())
            .filter(|&pair| pair != PairUse::REPEATED);
        for PairUse(request) in singles {
            if let Some(count) = out.get_mut(request as usize) {
                *count += 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_costs_24_bytes_in_the_map() {
        // Memory on a big trace is this times the distinct ids (plus the map's slack).
        assert_eq!(std::mem::size_of::<(u64, FirstUse)>(), 24);
    }

    #[test]
    fn a_pair_stays_with_its_only_request_until_another_has_it() {
        let mut counts = PrefixCounts::default();
        let first = counts.observe(0, &[10, 11]);
        assert_eq!(
            first,
            BlockHits {
                leading: 0,
                anywhere: 0
            }
        );
        // 11 moves to position 0: a new pair, a new prefix, and a hit anywhere.
        let second = counts.observe(1, &[11, 12]);
        assert_eq!(
            second,
            BlockHits {
                leading: 1,
                anywhere: 1
            }
        );
        let third = counts.observe(2, &[10, 11]);
        assert_eq!(
            third,
            BlockHits {
                leading: 2,
                anywhere: 2
            }
        );
        // Request 0's pairs recur in request 2; request 1's two pairs are its own.
        assert_eq!(counts.unshared_pairs(3), [0, 2, 0]);
        // Prefixes (10) ×2, (10,11) ×2, (11), (11,12).
        assert_eq!(counts.unique_prefixes(), 4);
        assert_eq!(counts.shared_first_blocks(), 1);
        assert!((counts.prefix_reuse_ratio() - 4.0 / 6.0).abs() < 1e-12);
    }
}
