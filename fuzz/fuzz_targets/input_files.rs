//! `--input-file` in every format (single_turn, multi_turn, random_pool, mooncake_trace, CSV
//! traces, the five Veeksha flavors): the first byte picks the format, the rest is the file.
//! Any file becomes a Workload or an error naming file:line, never a panic; lengths past
//! the prompt cap are refused before memory is taken.
#![no_main]

#[path = "prelude.rs"]
mod prelude;

use gauntlet::config::{InputFilePlan, InputFormat, TraceFlavor};
use gauntlet::dataset::files::{build, PromptSource};
use gauntlet::rng::RngRoot;
use gauntlet::tokenizer::PromptGenerator;
use libfuzzer_sys::fuzz_target;

const FLAVORS: [TraceFlavor; 5] = [
    TraceFlavor::RequestLog,
    TraceFlavor::TimedSyntheticSession,
    TraceFlavor::UntimedContentMultiTurn,
    TraceFlavor::SharedPrefix,
    TraceFlavor::Rag,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let (format, name) = match pick % 15 {
        0 => (InputFormat::SingleTurn, "input.jsonl"),
        1 => (InputFormat::MultiTurn, "input.jsonl"),
        2 => (InputFormat::RandomPool, "input.jsonl"),
        3 => (InputFormat::MooncakeTrace, "input.jsonl"),
        4 => (InputFormat::CsvTrace, "input.csv"),
        n => {
            let flavor = FLAVORS[(n as usize - 5) % 5];
            let target_sessions = (n >= 10).then_some(3);
            let name = if pick & 0x80 != 0 {
                "input.csv"
            } else {
                "input.jsonl"
            };
            (
                InputFormat::Flavor {
                    flavor,
                    target_sessions,
                },
                name,
            )
        }
    };
    let plan = InputFilePlan {
        path: prelude::scratch(name, file),
        format,
        block_size: 16,
        pool_entries: 4,
        synthesis: None,
        window_ms: None,
    };
    let tokenizer = prelude::tokenizer();
    let generator = PromptGenerator::new(tokenizer, prelude::corpus());
    let root = RngRoot::new(1);
    let source = PromptSource {
        tokenizer,
        generator: &generator,
        root: &root,
    };
    let _ = build(&plan, source);
});
