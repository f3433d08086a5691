//! Synthetic workloads: input and output lengths drawn from `dist` distributions (or paired
//! from a `--seq-dist` mixture), prompts cut from the corpus to the exact input length;
//! with a session plan, entries are the turns of multi-turn sessions.
//!
//! Entry `i` draws only from the `("isl", i)`, `("osl", i)`, `("seq", i)`, `("prompt", i)` and
//! (with prefixes) `("prefix-pick", i)` / `("shared-prefix-use", i)` streams of the root seed
//! (for sessions, `i` is the turn's position in the flattened workload; a session's shape
//! comes from its own streams, see [`super::graph`]), so entries are built in parallel and the
//! result is byte-identical on any number of threads. The prefix pool and the shared prefix
//! text come from their own streams (see [`super::prefix`]); only root turns get a prefix.

use rayon::prelude::*;

use super::graph::session_links;
use super::prefix::PromptShaper;
use super::{DatasetError, SessionSpan, TurnLinks, Workload, WorkloadEntry};
use crate::config::{LengthPlan, SessionPlan, SyntheticPlan};
use crate::rng::RngRoot;
use crate::tokenizer::PromptGenerator;

/// Builds `plan.entries` entries (or `plan.entries` sessions when the plan has sessions)
/// with prompts from `generator`, shaped by `plan.prompt` (prefixes, output-length hint; see
/// [`super::prefix`]).
pub fn build(
    plan: &SyntheticPlan,
    root: &RngRoot,
    generator: &PromptGenerator,
) -> Result<Workload, DatasetError> {
    let (links, spans) = match &plan.sessions {
        Some(sessions) => session_shapes(plan.entries, sessions, root),
        None => (Vec::new(), Vec::new()),
    };
    let count = if spans.is_empty() {
        plan.entries as usize
    } else {
        links.len()
    };
    let sampled: Vec<(u32, Option<u32>)> = (0..count as u64)
        .into_par_iter()
        .map(|index| lengths(&plan.lengths, root, index))
        .collect();
    // The shared prefix text must be as long as the longest prompt's share of it.
    let max_isl = sampled.iter().map(|(isl, _)| *isl).max().unwrap_or(0);
    let shaper = PromptShaper::new(&plan.prompt, root, *generator, max_isl)?;
    let built: Vec<Result<WorkloadEntry, DatasetError>> = sampled
        .into_par_iter()
        .enumerate()
        .map(|(index, (isl, max_tokens))| {
            let (session, turn) = match links.get(index) {
                Some((s, l)) => (*s, l.clone()),
                None => (index as u32, TurnLinks::default()),
            };
            let index = index as u32;
            let prompt = if turn.parents.is_empty() {
                shaper.root_prompt(index, isl, max_tokens)?
            } else {
                shaper.turn_prompt(index, isl, max_tokens)?
            };
            let mut entry =
                WorkloadEntry::single(session_id(session), prompt.text, prompt.tokens, max_tokens);
            entry.turn = turn;
            Ok(entry)
        })
        .collect();
    // Collected first, then scanned in order, so the error reported is always the lowest
    // failing index whatever the thread count.
    let entries = built.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Workload {
        entries,
        sessions: spans,
    })
}

/// The links of `sessions` sessions' turns, flattened in order and labelled with their
/// session, and the sessions' spans over them.
fn session_shapes(
    sessions: u32,
    plan: &SessionPlan,
    root: &RngRoot,
) -> (Vec<(u32, TurnLinks)>, Vec<SessionSpan>) {
    let shapes: Vec<Vec<TurnLinks>> = (0..sessions)
        .into_par_iter()
        .map(|s| session_links(plan, root, u64::from(s)))
        .collect();
    let mut spans = Vec::with_capacity(shapes.len());
    let mut turns = Vec::new();
    let mut first = 0u32;
    for (s, links) in (0u32..).zip(shapes) {
        // Entry indices are u32; sessions past that many turns in all are left out (it would
        // take far more memory than any machine has for the prompts anyway).
        let Some(next) = u32::try_from(links.len())
            .ok()
            .and_then(|n| first.checked_add(n))
        else {
            break;
        };
        spans.push(SessionSpan {
            first,
            turns: next - first,
        });
        turns.extend(links.into_iter().map(|l| (s, l)));
        first = next;
    }
    (turns, spans)
}

/// Entry `index`'s prompt length and `max_tokens`, each at least 1.
fn lengths(plan: &LengthPlan, root: &RngRoot, index: u64) -> (u32, Option<u32>) {
    match plan {
        LengthPlan::Independent { isl, osl } => (
            isl.sample_u32_at(root, "isl", index, 1),
            osl.as_ref()
                .map(|osl| osl.sample_u32_at(root, "osl", index, 1)),
        ),
        LengthPlan::Paired { seq_dist: seq } => {
            let (isl, osl) = seq.sample_pair_at(root, "seq", index);
            (isl, Some(osl))
        }
    }
}

/// AIPerf's session id format.
fn session_id(index: u32) -> String {
    format!("session_{index:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PromptPlan;
    use crate::dist::{DistSpec, SeqDist, Shape};
    use crate::tokenizer::test_support::{builtin, builtin_corpus};

    fn normal(mean: f64, stddev: f64) -> DistSpec {
        DistSpec::new(Shape::Normal { mean, stddev }, None, None, "test").unwrap()
    }

    fn plan(entries: u32) -> SyntheticPlan {
        SyntheticPlan {
            lengths: LengthPlan::Independent {
                isl: normal(120.0, 40.0),
                osl: Some(normal(30.0, 10.0)),
            },
            entries,
            sessions: None,
            prompt: PromptPlan::default(),
        }
    }

    fn build_on(threads: usize, seed: u64) -> Workload {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| build(&plan(64), &RngRoot::new(seed), &generator).unwrap())
    }

    #[test]
    fn same_seed_same_workload_on_any_thread_count() {
        let one = build_on(1, 5);
        assert_eq!(one, build_on(2, 5));
        assert_ne!(one, build_on(2, 6));
        assert_eq!(one.entries.len(), 64);
        assert_eq!(one.entries[7].session_id, "session_000007");
        for entry in &one.entries {
            assert_eq!(builtin().count(&entry.prompt).unwrap(), entry.input_tokens);
            assert!(entry.input_tokens >= 1 && entry.max_tokens.is_some_and(|m| m >= 1));
        }
        let lengths: std::collections::BTreeSet<u32> =
            one.entries.iter().map(|e| e.input_tokens).collect();
        assert!(lengths.len() > 10, "lengths should vary: {lengths:?}");
    }

    fn session_plan(entries: u32) -> SyntheticPlan {
        use crate::config::{SessionGraphSpec, WaitSpec};
        let turns = DistSpec::new(Shape::Uniform { min: 1.0, max: 5.0 }, None, None, "t").unwrap();
        SyntheticPlan {
            sessions: Some(SessionPlan {
                graph: SessionGraphSpec::Linear {
                    turns,
                    wait: WaitSpec::Poisson { mean_ms: 100.0 },
                    inherit_history: true,
                },
                delay_ratio: 1.0,
            }),
            ..plan(entries)
        }
    }

    #[test]
    fn sessions_are_contiguous_chains_identical_on_any_thread_count() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| build(&session_plan(24), &RngRoot::new(8), &generator).unwrap())
        };
        let one = on(1);
        assert_eq!(one, on(2));
        assert!(one.is_multi_turn());
        assert_eq!(one.sessions.len(), 24);
        let mut next = 0;
        for (s, span) in one.sessions.iter().enumerate() {
            assert_eq!(span.first, next, "sessions are contiguous");
            next += span.turns;
            let turns = one.session(s);
            let prompts: std::collections::BTreeSet<&str> =
                turns.iter().map(|t| t.prompt.as_str()).collect();
            assert_eq!(prompts.len(), turns.len(), "a new prompt every turn");
            for (k, t) in turns.iter().enumerate() {
                assert_eq!(t.session_id, format!("session_{s:06}"));
                assert_eq!(builtin().count(&t.prompt).unwrap(), t.input_tokens);
                let expected: Vec<u16> = k.checked_sub(1).map(|p| p as u16).into_iter().collect();
                assert_eq!(t.turn.parents, expected);
                assert_eq!(t.turn.history, expected.first().copied());
            }
        }
        assert_eq!(next as usize, one.entries.len());
        assert!(
            one.entries.len() > 24,
            "uniform 1..=5 turns should give more than one"
        );
    }

    #[test]
    fn branching_sessions_are_identical_on_any_thread_count() {
        use crate::config::{SessionGraphSpec, WaitSpec};
        let uniform =
            |min, max| DistSpec::new(Shape::Uniform { min, max }, None, None, "t").unwrap();
        let plan = SyntheticPlan {
            sessions: Some(SessionPlan {
                graph: SessionGraphSpec::Branching {
                    layers: uniform(2.0, 4.0),
                    width: uniform(1.0, 3.0),
                    fan_out: uniform(1.0, 2.0),
                    fan_in: uniform(1.0, 2.0),
                    connection_dist: uniform(1.0, 2.0),
                    wait: WaitSpec::Gamma {
                        mean_ms: 80.0,
                        cv: 0.5,
                    },
                    inherit_history: true,
                    single_root: true,
                },
                delay_ratio: 1.0,
            }),
            ..plan(12)
        };
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| build(&plan, &RngRoot::new(4), &generator).unwrap())
        };
        let one = on(1);
        assert_eq!(one, on(2));
        for s in 0..one.sessions.len() {
            for (k, t) in one.session(s).iter().enumerate() {
                assert!(t.turn.parents.iter().all(|&p| (p as usize) < k));
                assert_eq!(builtin().count(&t.prompt).unwrap(), t.input_tokens);
            }
        }
    }

    #[test]
    fn session_turns_draw_the_same_lengths_as_single_turn_entries() {
        // Turn `i` of the flattened workload uses the same streams as single-turn entry `i`.
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let multi = build(&session_plan(10), &RngRoot::new(2), &generator).unwrap();
        let n = multi.entries.len() as u32;
        let single = build(&plan(n), &RngRoot::new(2), &generator).unwrap();
        assert!(!single.is_multi_turn());
        for (m, s) in multi.entries.iter().zip(&single.entries) {
            assert_eq!(
                (m.input_tokens, m.max_tokens, &m.prompt),
                (s.input_tokens, s.max_tokens, &s.prompt)
            );
        }
    }

    #[test]
    fn fixed_lengths_and_no_osl() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let fixed = SyntheticPlan {
            lengths: LengthPlan::Independent {
                isl: DistSpec::fixed(100.0, "test").unwrap(),
                osl: None,
            },
            entries: 5,
            sessions: None,
            prompt: PromptPlan::default(),
        };
        let workload = build(&fixed, &RngRoot::new(1), &generator).unwrap();
        assert!(workload
            .entries
            .iter()
            .all(|e| e.input_tokens == 100 && e.max_tokens.is_none()));
    }

    #[test]
    fn lengths_stay_at_least_one() {
        let plan = LengthPlan::Independent {
            isl: normal(-50.0, 1.0),
            osl: Some(DistSpec::fixed(0.0, "test").unwrap()),
        };
        for i in 0..20 {
            assert_eq!(lengths(&plan, &RngRoot::new(1), i), (1, Some(1)));
        }
    }

    #[test]
    fn seq_dist_pairs_isl_with_its_osl() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let paired = SyntheticPlan {
            lengths: LengthPlan::Paired {
                seq_dist: SeqDist::parse("20,4:50;40,8:50", "--seq-dist").unwrap(),
            },
            entries: 40,
            sessions: None,
            prompt: PromptPlan::default(),
        };
        let workload = build(&paired, &RngRoot::new(3), &generator).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for e in &workload.entries {
            seen.insert((e.input_tokens, e.max_tokens));
            assert_eq!(builtin().count(&e.prompt).unwrap(), e.input_tokens);
        }
        // Only the two declared pairs, and both of them.
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            vec![(20, Some(4)), (40, Some(8))]
        );
    }
}
