//! Whole runs: the default scenario (8,000 households × 15 years), and
//! 100,000 households × 15 years on 1 and 2 threads.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use migflow_core::params::Params;
use migflow_core::run::{PopulationSource, run_records};
use std::hint::black_box;

mod common;

fn run(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    let default = Params::default();
    let years = u64::from(default.scenario().run.years);
    group.throughput(Throughput::Elements(
        default.scenario().population.households * years,
    ));
    group.bench_function("default_scenario", |b| {
        b.iter(|| black_box(run_records(&default, &PopulationSource::Synthetic, 42, 1)))
    });

    let big = common::scenario(100_000);
    group.throughput(Throughput::Elements(100_000 * years));
    for threads in [1usize, 2] {
        let pool = common::pool(threads);
        group.bench_with_input(
            BenchmarkId::new("households_100k_threads", threads),
            &threads,
            |b, _| {
                b.iter(|| {
                    pool.install(|| {
                        black_box(run_records(&big, &PopulationSource::Synthetic, 42, 1))
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, run);
criterion_main!(benches);
