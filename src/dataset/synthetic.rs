//! Synthetic workloads: normally distributed input and output lengths, prompts cut from the
//! corpus to the exact input length.
//!
//! Entry `i` draws only from the `("isl", i)`, `("osl", i)` and `("prompt", i)` streams of the
//! root seed, so entries are built in parallel and the result is byte-identical on any number
//! of threads.

use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

use super::{DatasetError, Workload, WorkloadEntry};
use crate::config::{LengthDist, SyntheticPlan};
use crate::rng::RngRoot;
use crate::tokenizer::PromptGenerator;

/// Builds `plan.entries` entries with prompts from `generator`.
pub fn build(
    plan: &SyntheticPlan,
    root: &RngRoot,
    generator: &PromptGenerator,
) -> Result<Workload, DatasetError> {
    let isl = normal("isl", &plan.isl)?;
    let osl = plan.osl.as_ref().map(|d| normal("osl", d)).transpose()?;
    let built: Vec<Result<WorkloadEntry, DatasetError>> = (0..plan.entries)
        .into_par_iter()
        .map(|index| {
            let input_tokens = draw_length(&isl, &mut root.stream("isl", u64::from(index)));
            let max_tokens = osl
                .as_ref()
                .map(|osl| draw_length(osl, &mut root.stream("osl", u64::from(index))));
            let prompt = generator
                .prompt(input_tokens, &mut root.stream("prompt", u64::from(index)))
                .map_err(|source| DatasetError::Prompt {
                    index,
                    tokens: input_tokens,
                    source,
                })?;
            Ok(WorkloadEntry {
                session_id: session_id(index),
                prompt,
                input_tokens,
                max_tokens,
            })
        })
        .collect();
    // Collected first, then scanned in order, so the error reported is always the lowest
    // failing index whatever the thread count.
    let entries = built.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(Workload { entries })
}

/// AIPerf's session id format.
fn session_id(index: u32) -> String {
    format!("session_{index:06}")
}

fn normal(what: &'static str, dist: &LengthDist) -> Result<Normal<f64>, DatasetError> {
    // rand_distr accepts a negative stddev (it mirrors the curve); a plan never means that.
    let valid = dist.mean.is_finite() && dist.stddev.is_finite() && dist.stddev >= 0.0;
    valid
        .then(|| Normal::new(dist.mean, dist.stddev).ok())
        .flatten()
        .ok_or_else(|| DatasetError::Distribution {
            what,
            mean: dist.mean,
            stddev: dist.stddev,
            reason: "mean must be finite and stddev finite and >= 0".into(),
        })
}

/// A draw rounded to whole tokens, at least 1 and at most `u32::MAX`.
fn draw_length(dist: &Normal<f64>, rng: &mut impl Rng) -> u32 {
    let value = dist.sample(rng).round();
    if value >= f64::from(u32::MAX) {
        u32::MAX
    } else if value >= 1.0 {
        value as u32
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::test_support::{builtin, builtin_corpus};

    fn plan(entries: u32) -> SyntheticPlan {
        SyntheticPlan {
            isl: LengthDist {
                mean: 120.0,
                stddev: 40.0,
            },
            osl: Some(LengthDist {
                mean: 30.0,
                stddev: 10.0,
            }),
            entries,
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
            isl: LengthDist {
                mean: 100.0,
                stddev: 0.0,
            },
            osl: None,
            entries: 5,
        };
        let workload = build(&fixed, &RngRoot::new(1), &generator).unwrap();
        assert!(workload
            .entries
            .iter()
            .all(|e| e.input_tokens == 100 && e.max_tokens.is_none()));
    }

    #[test]
    fn lengths_clamp_to_at_least_one() {
        let dist = Normal::new(-50.0, 1.0).unwrap();
        assert_eq!(draw_length(&dist, &mut RngRoot::new(1).stream("x", 0)), 1);
    }

    #[test]
    fn bad_distribution_names_which() {
        let generator = PromptGenerator::new(builtin(), builtin_corpus());
        let mut bad = plan(1);
        bad.osl = Some(LengthDist {
            mean: 10.0,
            stddev: -1.0,
        });
        let err = build(&bad, &RngRoot::new(1), &generator)
            .unwrap_err()
            .to_string();
        assert!(err.contains("osl"), "{err}");
    }
}
