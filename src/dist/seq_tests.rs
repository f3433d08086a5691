//! `--seq-dist` strings: the accepted forms, each rejection, and sampling proportions.

use super::{SeqDist, SeqEntry};
use crate::rng::RngRoot;

fn ok(text: &str) -> SeqDist {
    match SeqDist::parse(text, "--seq-dist") {
        Ok(d) => d,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

fn err(text: &str) -> String {
    match SeqDist::parse(text, "--seq-dist") {
        Ok(d) => panic!("{text:?} should fail, parsed as {d:?}"),
        Err(e) => {
            assert_eq!(e.key_path(), "--seq-dist");
            e.to_string()
        }
    }
}

#[test]
fn parses_pairs_and_stddevs() {
    let dist = ok("128,64:50;512,128:50");
    assert_eq!(dist.entries().len(), 2);
    assert_eq!(dist.entries()[1].isl, 512.0);
    let spread = ok(" 128|10 , 64|5 : 25 ; 512,128:75 ");
    assert_eq!(
        spread.entries()[0],
        SeqEntry {
            isl: 128.0,
            isl_stddev: 10.0,
            osl: 64.0,
            osl_stddev: 5.0,
            percent: 25.0
        }
    );
    assert_eq!(ok("100,10:100").entries().len(), 1);
    assert_eq!(
        ok("1,1:33.3333333;2,2:33.3333333;3,3:33.3333334")
            .entries()
            .len(),
        3
    );
}

#[test]
fn display_round_trips() {
    let dist = ok("128|10,64:25;512,128|3.5:75");
    assert_eq!(dist.to_string(), "128|10,64:25;512,128|3.5:75");
    assert_eq!(ok(&dist.to_string()), dist);
    let json = serde_json::to_value(&dist).unwrap_or_default();
    assert_eq!(json, serde_json::json!("128|10,64:25;512,128|3.5:75"));
}

#[test]
fn rejects_missing_colon() {
    let msg = err("128,64;512,128:50");
    assert!(msg.contains("entry 1 \"128,64\" has no ':'"), "{msg}");
    assert!(msg.starts_with("--seq-dist: "), "{msg}");
}

#[test]
fn rejects_missing_comma_and_bad_numbers() {
    assert!(err("128:100").contains("no ','"));
    assert!(err("abc,64:100").contains("ISL \"abc\" is not a number"));
    assert!(err("128,64|x:100").contains("OSL stddev \"x\" is not a number"));
    assert!(err("128,64:fifty").contains("probability \"fifty\" is not a number"));
    assert!(err("0,64:100").contains("ISL 0 is not > 0"));
    assert!(err("128|-1,64:100").contains("ISL stddev -1 is negative"));
    assert!(err("128,64:0;1,1:100").contains("outside (0, 100]"));
}

#[test]
fn rejects_sums_other_than_100() {
    let msg = err("128,64:50;512,128:40");
    assert!(msg.contains("probabilities sum to 90, not 100"), "{msg}");
    assert!(err("1,1:50.001;2,2:50").contains("sum to 100.001"));
}

#[test]
fn rejects_empty_strings_and_entries() {
    assert!(err("").contains("empty string"));
    assert!(err("   ").contains("empty string"));
    assert!(err("128,64:100;").contains("entry 2 is empty"));
}

/// 100,000 seeded pairs: the share of each entry is within 6 standard errors of its
/// probability. A share p̂ of N draws has standard error sqrt(p(1-p)/N) ≈ 0.00137 at p = 0.25,
/// so the bound is ±0.0082; a wrong mapping (say 50/50) misses it by 30×.
#[test]
fn proportions_match_probabilities() {
    let dist = ok("100,10:25;900,90:75");
    let root = RngRoot::new(42);
    let n = 100_000u64;
    let mut low = 0u64;
    for i in 0..n {
        let (isl, osl) = dist.sample_pair_at(&root, "seq", i);
        match (isl, osl) {
            (100, 10) => low += 1,
            (900, 90) => {}
            other => panic!("pair {other:?} is not an entry"),
        }
    }
    let share = low as f64 / n as f64;
    let bound = 6.0 * (0.25f64 * 0.75 / n as f64).sqrt();
    assert!((share - 0.25).abs() < bound, "share {share}");
}

#[test]
fn stddev_spreads_lengths_and_pairs_repeat() {
    let dist = ok("500|50,100|10:100");
    let root = RngRoot::new(1);
    let pairs: Vec<(u32, u32)> = (0..1000)
        .map(|i| dist.sample_pair_at(&root, "seq", i))
        .collect();
    let again: Vec<(u32, u32)> = (0..1000)
        .map(|i| dist.sample_pair_at(&root, "seq", i))
        .collect();
    assert_eq!(pairs, again);
    let mean = pairs.iter().map(|p| f64::from(p.0)).sum::<f64>() / 1000.0;
    // Standard error 50/sqrt(1000) ≈ 1.6; 6 of them is ±9.5.
    assert!((mean - 500.0).abs() < 9.5, "mean {mean}");
    assert!(pairs.iter().any(|p| p.0 != 500) && pairs.iter().all(|p| p.0 >= 1 && p.1 >= 1));
}
