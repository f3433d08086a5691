//! One session's shape: the `TurnLinks` of its turns, drawn from a [`SessionPlan`].
//!
//! Session `i` draws only from its own streams (`("turns", i)`, `("session_graph", i)`,
//! `("history_parent", i)`, `("turn_delay", i)`), so sessions are built in parallel and the
//! workload is byte-identical on any thread count.

use std::collections::BTreeSet;

use rand::Rng;

use super::TurnLinks;
use crate::config::{SessionGraphSpec, SessionPlan, WaitSpec, MAX_TURNS};
use crate::dist::DistSpec;
use crate::rng::RngRoot;

/// The turns of session `session`, in an order where parents come before children
/// (branching graphs: layer by layer). Never empty, never longer than [`MAX_TURNS`].
pub fn session_links(plan: &SessionPlan, root: &RngRoot, session: u64) -> Vec<TurnLinks> {
    let mut waits = root.stream("turn_delay", session);
    let mut wait =
        |spec: &WaitSpec, index: u64| spec.sample_ms(&mut waits, index, plan.delay_ratio);
    match &plan.graph {
        SessionGraphSpec::Linear {
            turns,
            wait: spec,
            inherit_history,
        } => {
            let n = turns
                .sample_u32_at(root, "turns", session, 1)
                .min(MAX_TURNS);
            (0..n)
                .map(|k| match k.checked_sub(1).map(|p| p as u16) {
                    None => TurnLinks::default(),
                    Some(prev) => TurnLinks {
                        parents: vec![prev],
                        history: inherit_history.then_some(prev),
                        delay_ms: wait(spec, u64::from(k)),
                    },
                })
                .collect()
        }
        SessionGraphSpec::Branching {
            layers,
            width,
            fan_out,
            fan_in,
            connection_dist,
            wait: spec,
            inherit_history,
            single_root,
        } => {
            let shape = Layered {
                layers,
                width,
                fan_out,
                fan_in,
                connection_dist,
                single_root: *single_root,
            };
            let parents = shape.parents(root, session);
            let mut pick = root.stream("history_parent", session);
            parents
                .into_iter()
                .enumerate()
                .map(|(node, parents)| {
                    if parents.is_empty() {
                        return TurnLinks::default();
                    }
                    let parents: Vec<u16> = parents.into_iter().collect();
                    let history =
                        inherit_history.then(|| parents[pick.random_range(0..parents.len())]);
                    TurnLinks {
                        history,
                        delay_ms: wait(spec, node as u64),
                        parents,
                    }
                })
                .collect()
        }
    }
}

/// The counts of a branching graph.
struct Layered<'a> {
    layers: &'a DistSpec,
    width: &'a DistSpec,
    fan_out: &'a DistSpec,
    fan_in: &'a DistSpec,
    connection_dist: &'a DistSpec,
    single_root: bool,
}

impl Layered<'_> {
    /// Each node's parents (indices of nodes in earlier layers), nodes in layer order.
    fn parents(&self, root: &RngRoot, session: u64) -> Vec<BTreeSet<u16>> {
        let mut rng = root.stream("session_graph", session);
        let layers = self.layer_ranges(&mut rng, session);
        let total = layers.last().map_or(0, |r| r.end);
        let mut parents = vec![BTreeSet::new(); total];
        // Forward: every node asks for `fan_out` children, each `connection_dist` layers on.
        let mut edge = 0u64;
        for (l, range) in layers
            .iter()
            .enumerate()
            .take(layers.len().saturating_sub(1))
        {
            for u in range.clone() {
                for _ in 0..self.fan_out.sample_u32(&mut rng, u as u64, 1) {
                    let skip = self.connection_dist.sample_u32(&mut rng, edge, 1) as usize;
                    edge += 1;
                    let target = &layers[(l + skip).min(layers.len() - 1)];
                    let v = rng.random_range(target.clone());
                    parents[v].insert(u as u16);
                }
            }
        }
        // Backward: every non-root node gets at least `fan_in` parents, topping up from the
        // layer just before it (a fan-in wider than that layer takes all of it).
        for l in 1..layers.len() {
            let previous = layers[l - 1].clone();
            for v in layers[l].clone() {
                let wanted =
                    (self.fan_in.sample_u32(&mut rng, v as u64, 1) as usize).min(previous.len());
                while parents[v].len() < wanted {
                    let free: Vec<u16> = previous
                        .clone()
                        .map(|u| u as u16)
                        .filter(|u| !parents[v].contains(u))
                        .collect();
                    if free.is_empty() {
                        break;
                    }
                    parents[v].insert(free[rng.random_range(0..free.len())]);
                }
            }
        }
        parents
    }

    /// The node index range of each layer, at most [`MAX_TURNS`] nodes in all.
    fn layer_ranges<R: Rng>(&self, rng: &mut R, session: u64) -> Vec<std::ops::Range<usize>> {
        let count = self.layers.sample_u32(rng, session, 1);
        let mut ranges = Vec::new();
        let mut next = 0usize;
        for l in 0..count {
            let width = if l == 0 && self.single_root {
                1
            } else {
                self.width.sample_u32(rng, u64::from(l), 1) as usize
            };
            let width = width.min(MAX_TURNS as usize - next);
            if width == 0 {
                break;
            }
            ranges.push(next..next + width);
            next += width;
        }
        ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Shape;

    fn fixed(v: f64) -> DistSpec {
        DistSpec::fixed(v, "t").unwrap()
    }

    fn uniform(min: f64, max: f64) -> DistSpec {
        DistSpec::new(Shape::Uniform { min, max }, None, None, "t").unwrap()
    }

    fn linear(turns: DistSpec, wait: WaitSpec, inherit_history: bool) -> SessionPlan {
        SessionPlan {
            graph: SessionGraphSpec::Linear {
                turns,
                wait,
                inherit_history,
            },
            delay_ratio: 1.0,
        }
    }

    fn branching(width: DistSpec, fan_out: DistSpec, fan_in: DistSpec) -> SessionPlan {
        SessionPlan {
            graph: SessionGraphSpec::Branching {
                layers: uniform(2.0, 6.0),
                width,
                fan_out,
                fan_in,
                connection_dist: uniform(1.0, 2.0),
                wait: WaitSpec::Poisson { mean_ms: 50.0 },
                inherit_history: true,
                single_root: true,
            },
            delay_ratio: 1.0,
        }
    }

    /// Rebuilds the layers from the links: a node's layer is one past its deepest parent's
    /// only when it has parents in the layer just before; here we check the weaker, always
    /// true property the engine relies on, plus history membership.
    fn assert_well_formed(links: &[TurnLinks]) {
        for (i, turn) in links.iter().enumerate() {
            assert!(
                turn.parents.iter().all(|&p| (p as usize) < i),
                "{i}: {turn:?}"
            );
            assert!(
                turn.parents.windows(2).all(|w| w[0] < w[1]),
                "sorted, distinct"
            );
            match turn.history {
                Some(h) => assert!(turn.parents.contains(&h), "{i}: {turn:?}"),
                None => assert!(turn.parents.is_empty(), "{i}: {turn:?}"),
            }
            if turn.parents.is_empty() {
                assert_eq!(turn.delay_ms, 0);
            }
        }
    }

    #[test]
    fn linear_sessions_are_chains_with_their_delays() {
        let plan = linear(fixed(4.0), WaitSpec::Dist { ms: fixed(250.0) }, true);
        let links = session_links(&plan, &RngRoot::new(1), 0);
        assert_eq!(links.len(), 4);
        assert_eq!(links[0], TurnLinks::default());
        for (k, turn) in links.iter().enumerate().skip(1) {
            let prev = (k - 1) as u16;
            assert_eq!(turn.parents, vec![prev]);
            assert_eq!(turn.history, Some(prev));
            assert_eq!(turn.delay_ms, 250);
        }
        let fresh = linear(fixed(3.0), WaitSpec::none(), false);
        let links = session_links(&fresh, &RngRoot::new(1), 0);
        assert!(links.iter().all(|t| t.history.is_none()));
        assert_eq!(links[2].parents, vec![1]);
    }

    #[test]
    fn turn_counts_and_delays_follow_their_distributions() {
        let turns = DistSpec::new(
            Shape::Normal {
                mean: 5.0,
                stddev: 1.5,
            },
            Some(1.0),
            None,
            "t",
        )
        .unwrap();
        let mut plan = linear(turns, WaitSpec::Poisson { mean_ms: 300.0 }, true);
        plan.delay_ratio = 0.5;
        let root = RngRoot::new(9);
        let (mut sessions, mut turns, mut delays, mut delay_sum) = (0.0, 0.0, 0.0, 0.0);
        for s in 0..4000 {
            let links = session_links(&plan, &root, s);
            sessions += 1.0;
            turns += links.len() as f64;
            for t in &links[1..] {
                delays += 1.0;
                delay_sum += t.delay_ms as f64;
            }
        }
        let (mean_turns, mean_delay) = (turns / sessions, delay_sum / delays);
        assert!((mean_turns - 5.0).abs() < 0.1, "{mean_turns}");
        assert!((mean_delay - 150.0).abs() < 5.0, "{mean_delay}");
    }

    #[test]
    fn branching_graphs_keep_layer_fan_in_and_history_rules() {
        let plan = branching(uniform(1.0, 4.0), uniform(1.0, 3.0), uniform(1.0, 3.0));
        let root = RngRoot::new(3);
        let mut saw_fan_in = false;
        for s in 0..300 {
            let links = session_links(&plan, &root, s);
            assert_well_formed(&links);
            // single_root: exactly one root, and it is first.
            assert_eq!(links.iter().filter(|t| t.parents.is_empty()).count(), 1);
            saw_fan_in |= links.iter().any(|t| t.parents.len() > 1);
        }
        assert!(saw_fan_in, "some node should join several parents");
    }

    #[test]
    fn fixed_shapes_give_exact_layers() {
        // 3 layers of width 3 without a single root, fan-in 3: every node of layers 1 and 2
        // has all three nodes of the layer before as parents (skips may add more).
        let mut plan = branching(fixed(3.0), fixed(1.0), fixed(3.0));
        if let SessionGraphSpec::Branching {
            layers,
            single_root,
            connection_dist,
            ..
        } = &mut plan.graph
        {
            *layers = fixed(3.0);
            *single_root = false;
            *connection_dist = fixed(1.0);
        }
        let links = session_links(&plan, &RngRoot::new(5), 0);
        assert_eq!(links.len(), 9);
        assert_well_formed(&links);
        for (i, t) in links.iter().enumerate() {
            let layer = i / 3;
            let expected: Vec<u16> = match layer {
                0 => vec![],
                l => ((l - 1) * 3..l * 3).map(|p| p as u16).collect(),
            };
            assert_eq!(t.parents, expected, "node {i}");
        }
    }

    #[test]
    fn sessions_stop_at_the_turn_limit() {
        let plan = linear(fixed(100_000.0), WaitSpec::none(), true);
        assert_eq!(
            session_links(&plan, &RngRoot::new(1), 0).len(),
            MAX_TURNS as usize
        );
    }
}
