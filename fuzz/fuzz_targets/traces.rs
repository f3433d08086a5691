//! Mooncake traces as `analyze-trace` and `synthesize` read them (streamed, line by line):
//! any bytes give requests, statistics and a synthesized trace, or an error naming
//! file:line, never a panic.
#![no_main]

use std::path::Path;

use gauntlet::dataset::synthesis::{analyze, read_trace_from, SynthesisConfig, Synthesizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(requests) = read_trace_from(data, Path::new("fuzz.jsonl")) {
        let _ = analyze(&requests, 16);
        let config = SynthesisConfig {
            block_size: 16,
            prefix_root_multiplier: 2,
            ..SynthesisConfig::default()
        };
        if let Ok(synthesizer) = Synthesizer::new(config) {
            let _ = synthesizer.synthesize(&requests);
        }
    }
});
