//! One simulated year at 10,000, 100,000 and 1,000,000 households.
//! Throughput is in household-years per second ("elements").

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

mod common;

fn year_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("year_step");
    group.sample_size(10);
    for households in [10_000u64, 100_000, 1_000_000] {
        let s = common::scenario(households);
        // Start from 2023 (two years in): jobs, placements and levers on.
        let engine = common::warmed(&s, 2);
        group.throughput(Throughput::Elements(households));
        group.bench_with_input(
            BenchmarkId::from_parameter(households),
            &engine,
            |b, engine| {
                b.iter_batched(
                    || engine.clone(),
                    |mut e| black_box(e.step()),
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, year_step);
criterion_main!(benches);
