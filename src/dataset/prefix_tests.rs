//! Tests of `prefix`: exact counts over many entries, pool and shared-prefix semantics, and
//! thread-count independence of whole workloads.

use rand::Rng;

use super::*;
use crate::config::{LengthPlan, SyntheticPlan};
use crate::dataset::{synthetic, Workload};
use crate::dist::{DistSpec, Shape};
use crate::tokenizer::test_support::{builtin, builtin_corpus};

fn generator() -> PromptGenerator<'static> {
    PromptGenerator::new(builtin(), builtin_corpus())
}

fn plan(prefix: PrefixPlan, osl_prompt_hint: bool) -> PromptPlan {
    PromptPlan {
        prefix,
        osl_prompt_hint,
    }
}

/// ISLs from 1 to 600, drawn from a test stream.
fn isls(n: u32) -> Vec<u32> {
    let mut rng = RngRoot::new(99).stream("test-isl", 0);
    (0..n).map(|_| rng.random_range(1..=600)).collect()
}

#[test]
fn pool_prompts_are_prefix_plus_isl_tokens_exactly() {
    let root = RngRoot::new(7);
    let pool = PrefixPlan::Pool {
        length: 37,
        pool_size: 7,
    };
    let shaper = PromptShaper::new(&plan(pool, false), &root, generator(), 600).unwrap();
    let prefixes = shaper.pool();
    assert_eq!(prefixes.len(), 7);
    let distinct: std::collections::HashSet<&str> =
        prefixes.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(distinct.len(), 7, "pool prefixes must be distinct");
    for p in prefixes {
        assert_eq!(builtin().count(&p.text).unwrap(), 37, "{:?}", p.text);
    }
    let mut used = [0u32; 7];
    for (i, isl) in (0u32..).zip(isls(500)) {
        let shaped = shaper.root_prompt(i, isl, Some(10)).unwrap();
        assert_eq!(
            builtin().count(&shaped.text).unwrap(),
            shaped.tokens,
            "entry {i}"
        );
        assert_eq!(shaped.tokens, 37 + isl, "entry {i}: {:?}", shaped.text);
        let which = prefixes
            .iter()
            .position(|p| shaped.text.starts_with(&p.text))
            .unwrap_or_else(|| panic!("entry {i} starts with no pool prefix"));
        used[which] += 1;
    }
    // Uniform choice: 500 draws over 7 prefixes leave none far from 71.
    assert!(used.iter().all(|&n| (40..=105).contains(&n)), "{used:?}");
}

#[test]
fn pool_depends_on_the_seed_only() {
    let pool = plan(
        PrefixPlan::Pool {
            length: 20,
            pool_size: 3,
        },
        false,
    );
    let texts = |seed| {
        PromptShaper::new(&pool, &RngRoot::new(seed), generator(), 10)
            .unwrap()
            .pool()
            .to_vec()
    };
    assert_eq!(texts(1), texts(1));
    assert_ne!(texts(1), texts(2));
}

#[test]
fn shared_prefix_takes_round_ratio_times_isl_tokens_of_one_text() {
    let root = RngRoot::new(3);
    let shared = PrefixPlan::Shared {
        ratio: 0.4,
        probability: 1.0,
    };
    let shaper = PromptShaper::new(&plan(shared, false), &root, generator(), 600).unwrap();
    let Prefixes::Shared { ids, .. } = &shaper.prefixes else {
        panic!("shared prefix expected")
    };
    assert_eq!(ids.len(), 240);
    let full = builtin().decode(ids).unwrap();
    let (mut exact_cuts, mut total) = (0, 0);
    for (i, isl) in (0u32..).zip(isls(500)) {
        let shaped = shaper.root_prompt(i, isl, None).unwrap();
        assert_eq!(
            builtin().count(&shaped.text).unwrap(),
            shaped.tokens,
            "entry {i}"
        );
        assert_eq!(shaped.tokens, isl, "entry {i}: {:?}", shaped.text);
        let wanted = (0.4 * f64::from(isl)).round() as u32;
        if wanted == 0 {
            continue;
        }
        let cut = shaper.shared_cut(ids, wanted).unwrap();
        assert!(
            full.starts_with(&cut.text),
            "cut is not a start of the text"
        );
        assert!(shaped.text.starts_with(&cut.text), "entry {i}");
        total += 1;
        exact_cuts += u32::from(cut.tokens == wanted);
    }
    // A cut may land a token off only where no nearby cut re-encodes exactly.
    assert!(exact_cuts * 100 >= total * 98, "{exact_cuts} of {total}");
}

#[test]
fn shared_prefix_probability_is_the_fraction_of_roots_using_it() {
    let root = RngRoot::new(11);
    let shared = PrefixPlan::Shared {
        ratio: 0.5,
        probability: 0.3,
    };
    let shaper = PromptShaper::new(&plan(shared, false), &root, generator(), 200).unwrap();
    let Prefixes::Shared { ids, .. } = &shaper.prefixes else {
        panic!("shared prefix expected")
    };
    let cut = shaper.shared_cut(ids, 100).unwrap();
    let users = (0..1_000u32)
        .filter(|&i| {
            let shaped = shaper.root_prompt(i, 200, None).unwrap();
            assert_eq!(shaped.tokens, 200);
            shaped.text.starts_with(&cut.text)
        })
        .count();
    assert!(
        (250..=350).contains(&users),
        "{users} of 1000 used the prefix"
    );
    // Probability 0 means nobody shares; ratio 1 means the prompt is all prefix.
    let never = PrefixPlan::Shared {
        ratio: 0.5,
        probability: 0.0,
    };
    let shaper = PromptShaper::new(&plan(never, false), &root, generator(), 200).unwrap();
    assert!((0..50).all(|i| !shaper
        .root_prompt(i, 200, None)
        .unwrap()
        .text
        .starts_with(&cut.text)));
    let all = PrefixPlan::Shared {
        ratio: 1.0,
        probability: 1.0,
    };
    let shaper = PromptShaper::new(&plan(all, false), &root, generator(), 50).unwrap();
    let a = shaper.root_prompt(0, 50, None).unwrap();
    assert_eq!(a, shaper.root_prompt(1, 50, None).unwrap());
    assert_eq!(a.tokens, 50);
}

#[test]
fn osl_hint_is_appended_and_counted() {
    let root = RngRoot::new(5);
    let pool = PrefixPlan::Pool {
        length: 16,
        pool_size: 2,
    };
    let shaper = PromptShaper::new(&plan(pool, true), &root, generator(), 300).unwrap();
    for (i, isl) in (0u32..).zip(isls(100)) {
        let shaped = shaper.root_prompt(i, isl, Some(isl / 2 + 1)).unwrap();
        let hint = osl_hint_text(isl / 2 + 1);
        assert!(shaped.text.ends_with(&hint), "{:?}", shaped.text);
        assert_eq!(builtin().count(&shaped.text).unwrap(), shaped.tokens);
        assert!(shaped.tokens > 16 + isl, "the hint adds tokens");
        // No budget, no hint.
        let bare = shaper.root_prompt(i, isl, None).unwrap();
        assert!(!bare.text.contains("Generate exactly"));
        assert_eq!(bare.tokens, 16 + isl);
    }
}

fn workload(threads: usize, prompt: PromptPlan) -> Workload {
    let plan = SyntheticPlan {
        lengths: LengthPlan::Independent {
            isl: DistSpec::new(
                Shape::Normal {
                    mean: 150.0,
                    stddev: 60.0,
                },
                None,
                None,
                "test",
            )
            .unwrap(),
            osl: Some(DistSpec::fixed(20.0, "test").unwrap()),
        },
        entries: 48,
        sessions: None,
        prompt,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| synthetic::build(&plan, &RngRoot::new(21), &generator()).unwrap())
}

#[test]
fn workloads_with_prefixes_are_identical_on_one_and_two_threads() {
    let modes = [
        plan(
            PrefixPlan::Pool {
                length: 30,
                pool_size: 5,
            },
            true,
        ),
        plan(
            PrefixPlan::Shared {
                ratio: 0.6,
                probability: 0.5,
            },
            false,
        ),
    ];
    for mode in modes {
        let one = workload(1, mode.clone());
        assert_eq!(one, workload(2, mode.clone()), "{mode:?}");
        for e in &one.entries {
            assert_eq!(builtin().count(&e.prompt).unwrap(), e.input_tokens);
        }
    }
    // With no prefix and no hint the workload is what it was before prefixes existed.
    let plain = workload(2, PromptPlan::default());
    let generator = generator();
    for (i, e) in plain.entries.iter().enumerate() {
        let again = generator
            .prompt(
                e.input_tokens,
                &mut RngRoot::new(21).stream("prompt", i as u64),
            )
            .unwrap();
        assert_eq!(e.prompt, again);
    }
}

#[test]
fn seams_that_merge_are_corrected_and_counts_stay_exact() {
    // Text without spaces: cuts start mid-word, so a naive join merges tokens at the seam.
    let tok = builtin();
    let text = "東京で会いましょう。大阪でたこ焼きを食べましょう!abcabcxyz...";
    let corpus = crate::tokenizer::Corpus::from_text(tok, &text.repeat(40), "seams").unwrap();
    let generator = PromptGenerator::new(tok, &corpus);
    let root = RngRoot::new(7);
    let pool = PrefixPlan::Pool {
        length: 9,
        pool_size: 3,
    };
    let shaper = PromptShaper::new(&plan(pool, false), &root, generator, 80).unwrap();
    let (mut naive_misses, mut on_target) = (0, 0);
    for i in 0..300u32 {
        let isl = 1 + i % 80;
        let pick = root
            .stream("prefix-pick", u64::from(i))
            .random_range(0..shaper.pool().len());
        let body = generator
            .prompt(isl, &mut root.stream("prompt", u64::from(i)))
            .unwrap();
        let naive = format!("{}{body}", shaper.pool()[pick].text);
        naive_misses += u32::from(tok.count(&naive).unwrap() != 9 + isl);
        let shaped = shaper.root_prompt(i, isl, None).unwrap();
        assert_eq!(
            tok.count(&shaped.text).unwrap(),
            shaped.tokens,
            "{:?}",
            shaped.text
        );
        assert!(shaped.text.starts_with(&shaper.pool()[pick].text));
        on_target += u32::from(shaped.tokens == 9 + isl);
    }
    // Without misses this test would not exercise the seam correction at all.
    assert!(naive_misses >= 3, "only {naive_misses} naive misses");
    assert_eq!(on_target, 300, "{naive_misses} naive misses");
}
