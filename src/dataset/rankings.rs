//! Rankings workloads: each entry is a query and its passages, each an exact-length prompt cut
//! from the corpus. Entry `i` draws its passage count from `("rankings-passages", i)`, its
//! query length from `("rankings-query", i)` and its passage lengths and every text from
//! `("rankings-text", i)`, so entries are built in parallel and identical on any thread count.

use rayon::prelude::*;

use super::{DatasetError, Workload, WorkloadEntry};
use crate::config::RankingsPlan;
use crate::rng::RngRoot;
use crate::tokenizer::PromptGenerator;

/// The most passages one request gets, whatever the distribution draws.
const MAX_PASSAGES: u32 = 10_000;

/// Builds `entries` rankings requests: the entry's `prompt` is the query, `passages` the
/// texts to rank, and `input_tokens` the query's tokens plus every passage's.
pub fn build(
    plan: &RankingsPlan,
    entries: u32,
    root: &RngRoot,
    generator: &PromptGenerator,
) -> Result<Workload, DatasetError> {
    let built: Vec<Result<WorkloadEntry, DatasetError>> = (0..entries)
        .into_par_iter()
        .map(|index| entry(plan, index, root, generator))
        .collect();
    let entries = built.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Workload::single_turn(entries))
}

fn entry(
    plan: &RankingsPlan,
    index: u32,
    root: &RngRoot,
    generator: &PromptGenerator,
) -> Result<WorkloadEntry, DatasetError> {
    let at = u64::from(index);
    let count = plan
        .passages
        .sample_u32_at(root, "rankings-passages", at, 1)
        .min(MAX_PASSAGES);
    let query_tokens = plan
        .query_tokens
        .sample_u32_at(root, "rankings-query", at, 1);
    let mut rng = root.stream("rankings-text", at);
    let err = |tokens| {
        move |source| DatasetError::Prompt {
            index,
            tokens,
            source,
        }
    };
    let query = generator
        .prompt(query_tokens, &mut rng)
        .map_err(err(query_tokens))?;
    let mut total = query_tokens;
    let mut passages = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let tokens = plan.passage_tokens.sample_u32(&mut rng, at, 1);
        passages.push(generator.prompt(tokens, &mut rng).map_err(err(tokens))?);
        total = total.saturating_add(tokens);
    }
    let mut entry = WorkloadEntry::single(format!("session_{index:06}"), query, total, None);
    entry.passages = passages;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{DistSpec, Shape};
    use crate::tokenizer::test_support::{builtin, builtin_corpus};

    fn plan() -> RankingsPlan {
        let normal = |mean, stddev| {
            DistSpec::new(Shape::Normal { mean, stddev }, None, None, "test").unwrap()
        };
        RankingsPlan {
            passages: normal(4.0, 2.0),
            passage_tokens: normal(30.0, 10.0),
            query_tokens: DistSpec::fixed(12.0, "test").unwrap(),
        }
    }

    fn on(threads: usize, seed: u64) -> Workload {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| build(&plan(), 24, &RngRoot::new(seed), &generator).unwrap())
    }

    #[test]
    fn exact_lengths_and_the_same_on_any_thread_count() {
        let one = on(1, 3);
        assert_eq!(one, on(2, 3));
        assert_ne!(one, on(2, 4));
        let tok = builtin();
        let mut counts = std::collections::BTreeSet::new();
        for e in &one.entries {
            assert_eq!(tok.count(&e.prompt).unwrap(), 12);
            assert!(!e.passages.is_empty());
            counts.insert(e.passages.len());
            let passages: u32 = e.passages.iter().map(|p| tok.count(p).unwrap()).sum();
            assert_eq!(e.input_tokens, 12 + passages);
            assert_eq!(e.max_tokens, None);
        }
        assert!(counts.len() > 2, "passage counts should vary: {counts:?}");
    }
}
