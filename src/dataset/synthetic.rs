//! Synthetic workloads: input and output lengths drawn from `dist` distributions (or paired
//! from a `--seq-dist` mixture), prompts cut from the corpus to the exact input length.
//!
//! Entry `i` draws only from the `("isl", i)`, `("osl", i)`, `("seq", i)`, `("prompt", i)` and
//! (with prefixes) `("prefix-pick", i)` / `("shared-prefix-use", i)` streams of the root seed,
//! so entries are built in parallel and the result is byte-identical on any number of threads.
//! The prefix pool and the shared prefix text come from their own streams (see
//! [`super::prefix`]).

use rayon::prelude::*;

use super::prefix::PromptShaper;
use super::{DatasetError, Workload, WorkloadEntry};
use crate::config::{LengthPlan, SyntheticPlan};
use crate::rng::RngRoot;
use crate::tokenizer::PromptGenerator;

/// Builds `plan.entries` entries with prompts from `generator`, shaped by `plan.prompt`
/// (prefixes, output-length hint; see [`super::prefix`]).
pub fn build(
    plan: &SyntheticPlan,
    root: &RngRoot,
    generator: &PromptGenerator,
) -> Result<Workload, DatasetError> {
    let sampled: Vec<(u32, Option<u32>)> = (0..plan.entries)
        .into_par_iter()
        .map(|index| lengths(&plan.lengths, root, u64::from(index)))
        .collect();
    // The shared prefix text must be as long as the longest prompt's share of it.
    let max_isl = sampled.iter().map(|(isl, _)| *isl).max().unwrap_or(0);
    let shaper = PromptShaper::new(&plan.prompt, root, *generator, max_isl)?;
    let built: Vec<Result<WorkloadEntry, DatasetError>> = sampled
        .into_par_iter()
        .enumerate()
        .map(|(index, (isl, max_tokens))| {
            let index = index as u32;
            let prompt = shaper.root_prompt(index, isl, max_tokens)?;
            Ok(WorkloadEntry::single(
                session_id(index),
                prompt.text,
                prompt.tokens,
                max_tokens,
            ))
        })
        .collect();
    // Collected first, then scanned in order, so the error reported is always the lowest
    // failing index whatever the thread count.
    let entries = built.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Workload::single_turn(entries))
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

    #[test]
    fn fixed_lengths_and_no_osl() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let fixed = SyntheticPlan {
            lengths: LengthPlan::Independent {
                isl: DistSpec::fixed(100.0, "test").unwrap(),
                osl: None,
            },
            entries: 5,
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
