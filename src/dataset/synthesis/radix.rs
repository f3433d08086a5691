//! A radix tree over block-id paths: each request's `hash_ids` is a path from the root, and a
//! node's visit count is how many requests passed through it. The tree is the prefix-sharing
//! structure of a trace; its transition CDFs let synthesis walk it like the input did.

use rand::Rng;
use serde::Serialize;

use super::fast_hash::FastMap;
use super::SynthesisError;

/// The root's index in [`RadixTree::nodes`].
const ROOT: usize = 0;

/// One node: the edge of block ids leading to it and how often it was visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadixNode {
    /// Block ids on the edge from the parent (one until chains are merged; empty at the root).
    pub labels: Vec<u64>,
    /// Requests whose path passed through this node.
    pub visits: u64,
    /// Blocks from the root to the end of this node.
    pub depth: usize,
    /// The parent's index (`None` at the root).
    pub parent: Option<usize>,
    /// Children's indices, in first-seen order (deterministic, unlike a hash map's order).
    pub children: Vec<usize>,
}

/// Shape counters of a tree, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TreeStats {
    /// Nodes, not counting the root.
    pub nodes: usize,
    /// Nodes without children.
    pub leaves: usize,
    /// Sum of visits over all non-root nodes (for an unmerged tree: blocks in all paths).
    pub total_visits: u64,
    /// Longest path, in blocks.
    pub max_depth: usize,
    /// Paths added (the root's visits).
    pub paths: u64,
}

/// Per node, the distribution of where a walk goes next: stop here, or one of the children,
/// each weighted by the visits the input made.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionCdf {
    /// Paths that ended at this node.
    pub stop_weight: u64,
    /// The children, in the node's order.
    pub children: Vec<usize>,
    /// `cumulative[i]` = stop weight + visits of children `0..=i`.
    pub cumulative: Vec<u64>,
}

impl TransitionCdf {
    /// The CDF as probabilities: entry 0 is P(stop), entry i+1 is P(stop or children 0..=i).
    pub fn probabilities(&self) -> Vec<f64> {
        let total = self.total().max(1) as f64;
        std::iter::once(self.stop_weight)
            .chain(self.cumulative.iter().copied())
            .map(|w| w as f64 / total)
            .collect()
    }

    /// One step of a walk: `Some(child)` or `None` for stop.
    pub fn sample(&self, rng: &mut impl Rng) -> Option<usize> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let u = rng.random_range(0..total);
        if u < self.stop_weight {
            return None;
        }
        let i = self.cumulative.partition_point(|&c| c <= u);
        self.children.get(i).copied()
    }

    fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(self.stop_weight)
    }
}

/// Block-id paths merged by shared prefix.
#[derive(Debug, Clone)]
pub struct RadixTree {
    nodes: Vec<RadixNode>,
    /// (parent, first label of the edge) → child; O(1) descent even under a root with a
    /// million children.
    edges: FastMap<(usize, u64), usize>,
    merged: bool,
}

impl Default for RadixTree {
    fn default() -> Self {
        Self::new()
    }
}

impl RadixTree {
    /// An empty tree (just the root).
    pub fn new() -> Self {
        Self {
            nodes: vec![RadixNode {
                labels: Vec::new(),
                visits: 0,
                depth: 0,
                parent: None,
                children: Vec::new(),
            }],
            edges: FastMap::default(),
            merged: false,
        }
    }

    /// All nodes; index 0 is the root.
    pub fn nodes(&self) -> &[RadixNode] {
        &self.nodes
    }

    /// The child of `node` whose edge starts with `label`, in O(1).
    pub fn child(&self, node: usize, label: u64) -> Option<usize> {
        self.edges.get(&(node, label)).copied()
    }

    /// Adds one request's path, counting a visit on every node along it. Works on per-block
    /// trees only: after [`merge_unary_chains`](Self::merge_unary_chains) edges hold several
    /// blocks and a new path could split them, which this tree does not do.
    pub fn add_path(&mut self, path: &[u64]) -> Result<(), SynthesisError> {
        if self.merged {
            return Err(SynthesisError::Tree(
                "add_path after merge_unary_chains: build the whole tree first, then merge".into(),
            ));
        }
        let mut node = ROOT;
        self.nodes[ROOT].visits += 1;
        for &label in path {
            node = match self.edges.get(&(node, label)) {
                Some(&child) => child,
                None => self.push_child(node, vec![label]),
            };
            self.nodes[node].visits += 1;
        }
        Ok(())
    }

    fn push_child(&mut self, parent: usize, labels: Vec<u64>) -> usize {
        let index = self.nodes.len();
        let depth = self.nodes[parent].depth + labels.len();
        if let Some(&first) = labels.first() {
            self.edges.insert((parent, first), index);
        }
        self.nodes.push(RadixNode {
            labels,
            visits: 0,
            depth,
            parent: Some(parent),
            children: Vec::new(),
        });
        self.nodes[parent].children.push(index);
        index
    }

    /// Node counts, leaves, visits and depth.
    pub fn get_tree_stats(&self) -> TreeStats {
        let rest = &self.nodes[1..];
        TreeStats {
            nodes: rest.len(),
            leaves: rest.iter().filter(|n| n.children.is_empty()).count(),
            total_visits: rest.iter().map(|n| n.visits).sum(),
            max_depth: self.nodes.iter().map(|n| n.depth).max().unwrap_or(0),
            paths: self.nodes[ROOT].visits,
        }
    }

    /// Checks the invariants every operation must keep: links agree both ways, depths add
    /// up, edges are non-empty and findable, and no node has more visits below it than in it.
    pub fn validate_tree(&self) -> Result<(), SynthesisError> {
        let fail = |i: usize, what: &str| Err(SynthesisError::Tree(format!("node {i}: {what}")));
        for (i, node) in self.nodes.iter().enumerate() {
            let below: u64 = node.children.iter().map(|&c| self.nodes[c].visits).sum();
            if below > node.visits {
                return fail(i, "children have more visits than the node");
            }
            match node.parent {
                None if i != ROOT => return fail(i, "has no parent"),
                None => {}
                Some(p) => {
                    if node.labels.is_empty() {
                        return fail(i, "empty edge");
                    }
                    if !self.nodes[p].children.contains(&i) {
                        return fail(i, "parent does not list it");
                    }
                    if node.depth != self.nodes[p].depth + node.labels.len() {
                        return fail(i, "depth is not parent depth + edge length");
                    }
                    if self.edges.get(&(p, node.labels[0])) != Some(&i) {
                        return fail(i, "edge index disagrees");
                    }
                }
            }
            for &c in &node.children {
                if self.nodes.get(c).and_then(|n| n.parent) != Some(i) {
                    return fail(i, "child does not point back");
                }
            }
        }
        Ok(())
    }

    /// Prunes every node visited by at most `max_visits` requests (with 1: the blocks unique
    /// to a single request), leaving only prefixes that were shared. Visits only shrink going
    /// down, so this is repeated leaf removal done in one pass.
    pub fn remove_leaves(&mut self, max_visits: u64) {
        self.rebuild(|_, node| node.visits > max_visits, false);
    }

    /// Folds each node that has one child and where no path ends into that child, so long
    /// shared system prompts become one edge. Visits are unchanged along such a chain.
    pub fn merge_unary_chains(&mut self) {
        self.rebuild(|_, _| true, true);
        self.merged = true;
    }

    /// Keeps the nodes `keep` accepts (with all their ancestors kept too), optionally merging
    /// unary chains, and re-indexes in depth-first order.
    fn rebuild(&mut self, keep: impl Fn(usize, &RadixNode) -> bool, merge: bool) {
        let old = std::mem::take(&mut self.nodes);
        let was_merged = self.merged;
        *self = Self::new();
        self.merged = was_merged;
        self.nodes[ROOT].visits = old[ROOT].visits;
        // (old index, new parent index), explicit stack so deep traces cannot overflow it.
        let mut stack: Vec<(usize, usize)> = old[ROOT]
            .children
            .iter()
            .rev()
            .map(|&c| (c, ROOT))
            .collect();
        while let Some((mut index, parent)) = stack.pop() {
            if !keep(index, &old[index]) {
                continue;
            }
            let mut labels = old[index].labels.clone();
            if merge {
                loop {
                    let node = &old[index];
                    let only = match node.children.as_slice() {
                        [only] if old[*only].visits == node.visits => *only,
                        _ => break,
                    };
                    labels.extend_from_slice(&old[only].labels);
                    index = only;
                }
            }
            let new = self.push_child(parent, labels);
            self.nodes[new].visits = old[index].visits;
            stack.extend(old[index].children.iter().rev().map(|&c| (c, new)));
        }
    }

    /// Per node (same indices as [`nodes`](Self::nodes)), where walks go next.
    pub fn compute_transition_cdfs(&self) -> Vec<TransitionCdf> {
        self.nodes
            .iter()
            .map(|node| {
                let below: u64 = node.children.iter().map(|&c| self.nodes[c].visits).sum();
                let stop_weight = node.visits.saturating_sub(below);
                let mut running = stop_weight;
                let cumulative = node
                    .children
                    .iter()
                    .map(|&c| {
                        running += self.nodes[c].visits;
                        running
                    })
                    .collect();
                TransitionCdf {
                    stop_weight,
                    children: node.children.clone(),
                    cumulative,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&[u64]]) -> RadixTree {
        let mut tree = RadixTree::new();
        for path in paths {
            tree.add_path(path).unwrap();
        }
        tree.validate_tree().unwrap();
        tree
    }

    #[test]
    fn visits_and_stats() {
        let t = tree(&[&[0, 1, 2], &[0, 1, 3], &[0, 4], &[5], &[]]);
        let stats = t.get_tree_stats();
        assert_eq!(
            stats,
            TreeStats {
                nodes: 6,
                leaves: 4,
                total_visits: 3 + 2 + 1 + 1 + 1 + 1,
                max_depth: 3,
                paths: 5
            }
        );
        let cdfs = t.compute_transition_cdfs();
        // Root: 1 path stops, child 0 has 3 visits, child 5 has 1.
        assert_eq!(cdfs[0].stop_weight, 1);
        assert_eq!(cdfs[0].cumulative, vec![4, 5]);
        assert_eq!(cdfs[0].probabilities(), vec![0.2, 0.8, 1.0]);
    }

    #[test]
    fn pruning_and_merging_keep_invariants() {
        let mut t = tree(&[&[0, 1, 2, 3], &[0, 1, 2, 4], &[0, 1, 2], &[9]]);
        t.remove_leaves(1);
        t.validate_tree().unwrap();
        // Left: 0 → 1 → 2 (visits 3 each).
        assert_eq!(t.get_tree_stats().nodes, 3);
        assert_eq!(t.get_tree_stats().paths, 4);
        t.merge_unary_chains();
        t.validate_tree().unwrap();
        assert_eq!(t.get_tree_stats().nodes, 1);
        assert_eq!(t.nodes()[1].labels, vec![0, 1, 2]);
        assert_eq!(t.nodes()[1].depth, 3);
        assert!(t.add_path(&[1]).is_err());
    }

    #[test]
    fn merge_stops_where_paths_end_or_branch() {
        let mut t = tree(&[&[0, 1, 2], &[0, 1], &[0, 1, 3]]);
        t.merge_unary_chains();
        t.validate_tree().unwrap();
        assert_eq!(t.nodes()[1].labels, vec![0, 1]);
        assert_eq!(t.get_tree_stats().nodes, 3);
    }

    #[test]
    fn validate_catches_broken_visits() {
        let mut t = tree(&[&[0, 1]]);
        t.nodes[2].visits = 5;
        assert!(t.validate_tree().is_err());
    }

    #[test]
    fn walks_follow_visit_counts() {
        let t = tree(&[&[0], &[0], &[0], &[1]]);
        let cdfs = t.compute_transition_cdfs();
        let mut rng = crate::rng::RngRoot::new(3).stream("walk", 0);
        let zeros = (0..8000)
            .filter(|_| cdfs[0].sample(&mut rng) == Some(1))
            .count();
        // Expected 6,000; 4 sigma ≈ 155.
        assert!((5_845..=6_155).contains(&zeros), "{zeros}");
        assert_eq!(cdfs[1].sample(&mut rng), None);
    }

    proptest::proptest! {
        #[test]
        fn any_paths_keep_invariants(
            paths in proptest::collection::vec(proptest::collection::vec(0u64..4, 0..6), 0..40),
            cut in 0u64..4,
        ) {
            let refs: Vec<&[u64]> = paths.iter().map(Vec::as_slice).collect();
            let mut t = tree(&refs);
            let blocks: usize = paths.iter().map(Vec::len).sum();
            proptest::prop_assert_eq!(t.get_tree_stats().total_visits, blocks as u64);
            proptest::prop_assert_eq!(t.get_tree_stats().paths, paths.len() as u64);
            t.remove_leaves(cut);
            proptest::prop_assert!(t.validate_tree().is_ok());
            proptest::prop_assert!(t.nodes()[1..].iter().all(|n| n.visits > cut));
            t.merge_unary_chains();
            proptest::prop_assert!(t.validate_tree().is_ok());
            proptest::prop_assert_eq!(t.get_tree_stats().paths, paths.len() as u64);
        }
    }
}
