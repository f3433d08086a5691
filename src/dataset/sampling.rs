//! `--dataset-sampling-strategy`: lays a file's or public dataset's entries (whole sessions,
//! when multi-turn) out in the order requests will send them. Request `i` sends entry
//! `i % entries.len()`, so `sequential` needs nothing; `random` and `shuffle` write out the
//! drawn order for as many requests as the run can send (see [`units_to_draw`]).
//!
//! Draws come from named streams of the run's seed: `shuffle` pass `p` from
//! `("dataset-sampling-shuffle", p)`, `random` from `("dataset-sampling-random", 0)`, so the
//! order depends only on the seed, the dataset size and the count.

use rand::Rng;

use super::{SessionSpan, Workload};
use crate::config::{Plan, SamplingStrategy, StopRule};
use crate::rng::RngRoot;

/// The stream a `shuffle` pass draws its permutation from (index: the pass).
pub const SHUFFLE_STREAM: &str = "dataset-sampling-shuffle";
/// The stream `random` draws from (index 0).
pub const RANDOM_STREAM: &str = "dataset-sampling-random";

/// Runs bounded by time draw this many passes over the dataset (at least
/// [`MIN_UNBOUNDED_DRAWS`] entries); the drawn order then repeats.
pub const UNBOUNDED_PASSES: u64 = 16;
/// See [`UNBOUNDED_PASSES`].
pub const MIN_UNBOUNDED_DRAWS: u64 = 4_096;
/// At most this many entries are written out, whatever the request count (memory).
pub const MAX_DRAWS: u64 = 1 << 20;

/// How many units (entries, or sessions) to lay out for `units` in the dataset: `needed` when
/// the run's length is known (a request or session count), else [`UNBOUNDED_PASSES`] passes;
/// never fewer than one pass, never more than [`MAX_DRAWS`] (nor fewer than one pass).
pub fn units_to_draw(units: usize, needed: Option<u64>) -> usize {
    let units = units as u64;
    let wanted = needed.unwrap_or((units * UNBOUNDED_PASSES).max(MIN_UNBOUNDED_DRAWS));
    wanted.min(MAX_DRAWS).max(units) as usize
}

/// The unit each of `count` requests sends, for a dataset of `units`.
pub fn order(strategy: SamplingStrategy, units: usize, count: usize, root: &RngRoot) -> Vec<u32> {
    if units == 0 {
        return Vec::new();
    }
    let n = u32::try_from(units).unwrap_or(u32::MAX);
    match strategy {
        SamplingStrategy::Sequential => (0..count).map(|k| (k % units) as u32).collect(),
        SamplingStrategy::Random => {
            let mut rng = root.stream(RANDOM_STREAM, 0);
            (0..count).map(|_| rng.random_range(0..n)).collect()
        }
        SamplingStrategy::Shuffle => {
            let mut out = Vec::with_capacity(count);
            let mut pass = 0u64;
            while out.len() < count {
                let mut rng = root.stream(SHUFFLE_STREAM, pass);
                let mut perm: Vec<u32> = (0..n).collect();
                // Fisher-Yates, from the end.
                for i in (1..perm.len()).rev() {
                    let j = rng.random_range(0..=i);
                    perm.swap(i, j);
                }
                let take = (count - out.len()).min(perm.len());
                out.extend_from_slice(&perm[..take]);
                pass += 1;
            }
            out
        }
    }
}

/// `workload` laid out in the plan's `--dataset-sampling-strategy` order, for as many units as
/// the plan's phases send (one pass when the dataset is sent once).
pub fn for_plan(plan: &Plan, workload: Workload, root: &RngRoot) -> Workload {
    let Some(strategy) = plan.dataset_sampling else {
        return workload;
    };
    let units = if workload.is_multi_turn() {
        workload.sessions.len()
    } else {
        workload.entries.len()
    };
    let needed = if plan.send_dataset_once {
        Some(units as u64)
    } else {
        plan.phases
            .iter()
            .map(|phase| match phase.stop {
                StopRule::Count { requests } => Some(requests),
                StopRule::Sessions { sessions } => Some(sessions),
                StopRule::Duration { .. } => None,
            })
            .sum::<Option<u64>>()
    };
    apply(workload, strategy, units_to_draw(units, needed), root)
}

/// `workload` laid out in `strategy`'s order for `count` units (entries, or sessions when
/// multi-turn). `sequential` returns it unchanged: requests already wrap over it in order.
pub fn apply(
    workload: Workload,
    strategy: SamplingStrategy,
    count: usize,
    root: &RngRoot,
) -> Workload {
    if strategy == SamplingStrategy::Sequential {
        return workload;
    }
    if workload.is_multi_turn() {
        let picks = order(strategy, workload.sessions.len(), count, root);
        let mut entries = Vec::new();
        let mut sessions = Vec::with_capacity(picks.len());
        for s in picks {
            let turns = workload.session(s as usize);
            sessions.push(SessionSpan {
                first: u32::try_from(entries.len()).unwrap_or(u32::MAX),
                turns: u32::try_from(turns.len()).unwrap_or(u32::MAX),
            });
            entries.extend_from_slice(turns);
        }
        Workload { entries, sessions }
    } else {
        let picks = order(strategy, workload.entries.len(), count, root);
        let entries = picks
            .into_iter()
            .map(|i| workload.entries[i as usize].clone())
            .collect();
        Workload::single_turn(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{TurnLinks, WorkloadEntry};

    fn root(seed: u64) -> RngRoot {
        RngRoot::new(seed)
    }

    #[test]
    fn sequential_is_file_order_wrapping() {
        let o = order(SamplingStrategy::Sequential, 3, 8, &root(1));
        assert_eq!(o, [0, 1, 2, 0, 1, 2, 0, 1]);
    }

    #[test]
    fn shuffle_is_a_fresh_permutation_each_pass() {
        let units = 10;
        let o = order(SamplingStrategy::Shuffle, units, 35, &root(7));
        assert_eq!(o.len(), 35);
        let passes: Vec<Vec<u32>> = o.chunks(units).map(|c| c.to_vec()).collect();
        for pass in &passes[..3] {
            let mut sorted = pass.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..10).collect::<Vec<u32>>(), "{pass:?}");
        }
        // Each pass is reshuffled (10! orders: equal passes would be a broken reshuffle).
        assert_ne!(passes[0], passes[1]);
        assert_ne!(passes[1], passes[2]);
        assert_ne!(passes[0], (0..10).collect::<Vec<u32>>());
        // The cut-short last pass holds distinct units.
        let mut last = passes[3].clone();
        last.sort_unstable();
        last.dedup();
        assert_eq!(last.len(), 5);
        // Same seed, same order; another seed, another.
        assert_eq!(o, order(SamplingStrategy::Shuffle, units, 35, &root(7)));
        assert_ne!(o, order(SamplingStrategy::Shuffle, units, 35, &root(8)));
        // A longer run begins with the shorter run's order.
        assert_eq!(
            &order(SamplingStrategy::Shuffle, units, 50, &root(7))[..35],
            &o[..]
        );
    }

    #[test]
    fn random_samples_with_replacement_deterministically() {
        let o = order(SamplingStrategy::Random, 5, 40, &root(3));
        assert_eq!(o.len(), 40);
        assert!(o.iter().all(|&u| u < 5));
        // With replacement: some unit repeats within the first five draws of some window,
        // and every unit is drawn at least once in 40 (probability of a miss ~ 5 * 0.8^40).
        let first_pass_repeats = o.chunks(5).any(|c| {
            let mut c = c.to_vec();
            c.sort_unstable();
            c.dedup();
            c.len() < 5
        });
        assert!(first_pass_repeats, "{o:?}");
        for u in 0..5 {
            assert!(o.contains(&u), "{u} never drawn: {o:?}");
        }
        assert_eq!(o, order(SamplingStrategy::Random, 5, 40, &root(3)));
        assert_ne!(o, order(SamplingStrategy::Random, 5, 40, &root(4)));
    }

    fn entry(session: &str, prompt: &str, parent: Option<u16>) -> WorkloadEntry {
        let mut e = WorkloadEntry::single(session.into(), prompt.into(), 1, None);
        if let Some(p) = parent {
            e.turn = TurnLinks {
                parents: vec![p],
                history: Some(p),
                delay_ms: 0,
            };
        }
        e
    }

    #[test]
    fn sessions_move_whole() {
        let workload = Workload {
            entries: vec![
                entry("a", "a0", None),
                entry("a", "a1", Some(0)),
                entry("b", "b0", None),
                entry("c", "c0", None),
                entry("c", "c1", Some(0)),
                entry("c", "c2", Some(1)),
            ],
            sessions: vec![
                SessionSpan { first: 0, turns: 2 },
                SessionSpan { first: 2, turns: 1 },
                SessionSpan { first: 3, turns: 3 },
            ],
        };
        let picks = order(SamplingStrategy::Shuffle, 3, 6, &root(2));
        let laid = apply(workload.clone(), SamplingStrategy::Shuffle, 6, &root(2));
        assert_eq!(laid.sessions.len(), 6);
        for (k, pick) in picks.iter().enumerate() {
            assert_eq!(laid.session(k), workload.session(*pick as usize));
        }
        let unchanged = apply(workload.clone(), SamplingStrategy::Sequential, 6, &root(2));
        assert_eq!(unchanged, workload);
    }

    #[test]
    fn single_turn_entries_follow_the_order() {
        let workload = Workload::single_turn(
            (0..4)
                .map(|i| entry(&format!("s{i}"), &format!("p{i}"), None))
                .collect(),
        );
        let picks = order(SamplingStrategy::Random, 4, 9, &root(5));
        let laid = apply(workload.clone(), SamplingStrategy::Random, 9, &root(5));
        let prompts: Vec<&str> = laid.entries.iter().map(|e| e.prompt.as_str()).collect();
        let expected: Vec<String> = picks.iter().map(|p| format!("p{p}")).collect();
        assert_eq!(prompts, expected);
        assert!(!laid.is_multi_turn());
    }

    #[test]
    fn draw_counts_cover_one_pass_and_stay_bounded() {
        assert_eq!(units_to_draw(10, Some(25)), 25);
        assert_eq!(units_to_draw(10, Some(3)), 10);
        assert_eq!(units_to_draw(10, None), 4_096);
        assert_eq!(units_to_draw(1_000, None), 16_000);
        assert_eq!(units_to_draw(10, Some(u64::MAX)), MAX_DRAWS as usize);
        assert_eq!(units_to_draw(2_000_000, None), 2_000_000);
    }
}
