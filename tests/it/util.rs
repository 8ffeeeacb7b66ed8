//! Shared helpers for the integration tests.
#![allow(dead_code)]

use migflow::scenario::{LoadedScenario, Scenario};
use migflow::record::YearRecord;
use migflow::simulate::{PopulationSource, run_records};

/// A small version of the default scenario: `households` households.
pub fn small_scenario(households: u64) -> Scenario {
    let mut s = Scenario::default();
    s.population.households = households;
    s
}

/// Run a scenario's replicates in memory.
pub fn run(s: &Scenario, seed: u64, replicates: u32) -> Vec<Vec<YearRecord>> {
    let loaded = LoadedScenario { scenario: s.clone(), source: None };
    let source = PopulationSource::for_scenario(&loaded).expect("population");
    run_records(&loaded, &source, seed, replicates)
}

/// Run inside a rayon pool of `threads` threads.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool").install(f)
}

/// A readable line-by-line diff of two texts (first differing lines).
pub fn first_difference(a: &str, b: &str) -> Option<String> {
    for (i, (la, lb)) in a.lines().zip(b.lines()).enumerate() {
        if la != lb {
            return Some(format!("line {}:\n  left:  {la}\n  right: {lb}", i + 1));
        }
    }
    (a.lines().count() != b.lines().count()).then(|| format!("line counts differ: {} vs {}", a.lines().count(), b.lines().count()))
}
