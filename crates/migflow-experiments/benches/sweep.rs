//! Sweeps of small runs: a Latin hypercube of 500-household, 15-year
//! scenarios, run whole (journal, stream, final tables and summaries) into
//! a fresh directory on 2 threads, and one run's simulation and rows alone
//! (the per-run cost without the store). Throughput is in runs.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use migflow_experiments::execute::{SweepOptions, execute_run, run_sweep};
use migflow_experiments::sweep::SweepPlan;
use std::hint::black_box;
use std::path::Path;

/// The shipped example sweep, the one the bench varies.
const BEHAVIOUR_LHS: &str = include_str!("../../../scenarios/sweeps/behaviour_lhs.toml");

/// The sweep of `scenarios/sweeps/behaviour_lhs.toml` with `points`
/// points of 500 households, 2 replicates each.
fn plan(points: u64) -> SweepPlan {
    let text = BEHAVIOUR_LHS
        .replace("points = 40", &format!("points = {points}"))
        .replace("levels = [3000]", "levels = [500]");
    assert_ne!(
        text, BEHAVIOUR_LHS,
        "behaviour_lhs.toml no longer has the keys the bench sets"
    );
    SweepPlan::from_text(&text, Path::new("bench_sweep.toml")).expect("the bench's sweep is valid")
}

fn sweep(c: &mut Criterion) {
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);

    let small = plan(100);
    group.throughput(Throughput::Elements(small.runs()));
    group.bench_function("lhs_200_runs_500_households_2_threads", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("a temporary directory"),
            |dir| {
                let opts = SweepOptions {
                    out: dir.path().join("out"),
                    resume: false,
                    shard: None,
                    threads: 2,
                    cancel: Default::default(),
                    format: Default::default(),
                };
                black_box(run_sweep(&small, &opts, &|_, _| {}, &|| {}).expect("the sweep runs"));
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });

    group.throughput(Throughput::Elements(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    group.bench_function("one_run_500_households", |b| {
        let mut run = 0;
        b.iter(|| {
            run = (run + 1) % small.runs();
            pool.install(|| black_box(execute_run(&small, run)))
        })
    });
    group.finish();
}

criterion_group!(benches, sweep);
criterion_main!(benches);
