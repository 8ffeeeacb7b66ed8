//! Shared set-up of the benches.
#![allow(dead_code)]

use migflow_core::engine::Engine;
use migflow_core::params::{Params, Scenario};
use migflow_core::population;

/// The default scenario with `households` households and the sites and
/// villages scaled as in the shipped scale scenarios (about 24,000
/// households a site, 50 villages a site).
pub fn scenario(households: u64) -> Params {
    let mut s = Scenario::default();
    s.population.households = households;
    s.population.sites = (households / 24_000).max(2) as u32;
    s.population.villages_per_site = if households > 10_000 { 50 } else { 20 };
    Params::new(s, None).expect("a valid scenario")
}

/// An engine that has run `years` steps, so that its households hold
/// jobs, placements and poverty histories as in a real run.
pub fn warmed(s: &Params, years: u32) -> Engine<'_> {
    let households = population::synthetic(s, 42, 0);
    let mut engine = Engine::new(s, households, 42, 0);
    for _ in 0..years {
        engine.step();
    }
    engine
}

/// A rayon pool of `threads` threads.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}
