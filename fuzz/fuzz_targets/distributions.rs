//! Sampling distributions (`isl: {...}`, `--seq-dist`): a JSON value or a seq-dist string is
//! parsed, and a valid one is sampled; nothing panics, every draw is a finite count.
#![no_main]

use gauntlet::dist::{parse, SeqDist};
use gauntlet::rng::RngRoot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let root = RngRoot::new(7);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(spec) = parse(&value, "input.isl") {
            for index in 0..16 {
                let _ = spec.sample_u32_at(&root, "isl", index, 1);
                let _ = spec.sample_at(&root, "isl", index);
            }
        }
    }
    if let Ok(seq) = SeqDist::parse(text, "--seq-dist") {
        for index in 0..16 {
            let _ = seq.sample_pair_at(&root, "seq", index);
        }
    }
});
