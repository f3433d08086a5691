use criterion::{criterion_group, criterion_main, Criterion};

fn placeholder(c: &mut Criterion) {
    c.bench_function("clock_now_ns", |b| b.iter(gauntlet::clock::now_ns));
}

criterion_group!(benches, placeholder);
criterion_main!(benches);
