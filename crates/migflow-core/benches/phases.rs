//! Each phase of a year alone, on 100,000 households: demography,
//! decision, market clearing, income (job search, income, dibao, poverty),
//! learning (training and skill), aggregation.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use migflow_core::engine::Engine;
use migflow_core::params::Year;
use std::hint::black_box;

mod common;

const HOUSEHOLDS: u64 = 100_000;

/// The engine just before phase `upto` of year 2023, and the settings.
fn before(s: &migflow_core::Params, upto: usize) -> (Engine<'_>, Year) {
    let mut e = common::warmed(s, 2);
    let ys = e.begin_year();
    type Phase<'a> = &'a dyn Fn(&mut Engine, &Year);
    let phases: [Phase; 5] = [
        &|e, ys| e.demography(ys),
        &|e, ys| e.decide(ys),
        &|e, ys| e.clear_markets(ys),
        &|e, ys| e.earn(ys),
        &|e, ys| {
            e.train(ys);
            e.learn(ys)
        },
    ];
    for phase in phases.iter().take(upto) {
        phase(&mut e, &ys);
    }
    (e, ys)
}

fn phases(c: &mut Criterion) {
    let s = common::scenario(HOUSEHOLDS);
    let mut group = c.benchmark_group("phases");
    group.sample_size(20);
    group.throughput(Throughput::Elements(HOUSEHOLDS));

    let (e, ys) = before(&s, 0);
    group.bench_function("demography", |b| {
        b.iter_batched(
            || e.clone(),
            |mut e| e.demography(&ys),
            BatchSize::LargeInput,
        )
    });
    let (e, ys) = before(&s, 1);
    group.bench_function("decision", |b| {
        b.iter_batched(|| e.clone(), |mut e| e.decide(&ys), BatchSize::LargeInput)
    });
    let (e, ys) = before(&s, 2);
    group.bench_function("market_clearing", |b| {
        b.iter_batched(
            || e.clone(),
            |mut e| e.clear_markets(&ys),
            BatchSize::LargeInput,
        )
    });
    let (e, ys) = before(&s, 3);
    group.bench_function("income", |b| {
        b.iter_batched(|| e.clone(), |mut e| e.earn(&ys), BatchSize::LargeInput)
    });
    let (e, ys) = before(&s, 4);
    group.bench_function("learning", |b| {
        b.iter_batched(
            || e.clone(),
            |mut e| {
                e.train(&ys);
                e.learn(&ys)
            },
            BatchSize::LargeInput,
        )
    });
    let (e, ys) = before(&s, 5);
    group.bench_function("aggregation", |b| {
        b.iter_batched(
            || e.clone(),
            |mut e| black_box(e.aggregate(&ys)),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, phases);
criterion_main!(benches);
