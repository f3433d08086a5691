//! Criterion benches for building a synthetic workload: the exact-length prompt cut and the
//! token count and decode it repeats, each beside `tokenizers`' full pipeline.

use criterion::{black_box, criterion_group, criterion_main, Criterion};

use gauntlet::config::TokenizerSpec;
use gauntlet::rng::RngRoot;
use gauntlet::tokenizer::{Corpus, PromptGenerator, Tokenizer};

fn prompts(c: &mut Criterion) {
    let tokenizer = Tokenizer::load(&TokenizerSpec::Builtin).expect("builtin tokenizer");
    let corpus = Corpus::load(&tokenizer, None).expect("builtin corpus");
    let span = &corpus.ids()[10_000..10_100];
    let text = tokenizer.decode(span).expect("decode");

    let mut group = c.benchmark_group("tokenizer");
    group.bench_function("count_100_tokens", |b| {
        b.iter(|| tokenizer.count(black_box(&text)))
    });
    group.bench_function("count_100_tokens_full_pipeline", |b| {
        b.iter(|| tokenizer.count_in_full(black_box(&text)))
    });
    group.bench_function("decode_100_tokens", |b| {
        b.iter(|| tokenizer.decode(black_box(span)))
    });
    group.bench_function("decode_100_tokens_full_pipeline", |b| {
        b.iter(|| tokenizer.decode_in_full(black_box(span)))
    });
    group.finish();

    let generator = PromptGenerator::new(&tokenizer, &corpus);
    let root = RngRoot::new(1);
    let mut index = 0u64;
    c.bench_function("prompt/exact_100_tokens", |b| {
        b.iter(|| {
            index += 1;
            generator.prompt(100, &mut root.stream("prompt", index))
        })
    });
}

fn loading(c: &mut Criterion) {
    let mut group = c.benchmark_group("tokenizer");
    group.sample_size(10);
    group.bench_function("load_builtin_qwen2.5", |b| {
        b.iter(|| Tokenizer::load(&TokenizerSpec::Builtin).expect("builtin tokenizer"))
    });
    group.finish();
}

criterion_group!(benches, prompts, loading);
criterion_main!(benches);
