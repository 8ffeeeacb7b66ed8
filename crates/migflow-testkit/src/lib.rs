//! Helpers shared by the integration tests of every migflow crate: small
//! scenarios run in memory, thread pools, and readable diffs of output
//! files. Not part of the published API.

#![forbid(unsafe_code)]

use migflow_core::params::{Params, Scenario};
use migflow_core::record::YearRecord;
use migflow_core::run::{PopulationSource, run_records};
use std::path::Path;

/// A small version of the default scenario: `households` households.
pub fn small_scenario(households: u64) -> Scenario {
    let mut s = Scenario::default();
    s.population.households = households;
    s
}

/// `s` validated (tests build scenarios that are valid).
pub fn params(s: &Scenario) -> Params {
    Params::new(s.clone(), None).expect("a valid scenario")
}

/// Run a scenario's replicates in memory.
pub fn run(s: &Scenario, seed: u64, replicates: u32) -> Vec<Vec<YearRecord>> {
    let loaded = Params::new(s.clone(), None).expect("a valid scenario");
    run_records(&loaded, &PopulationSource::Synthetic, seed, replicates)
}

/// Run inside a rayon pool of `threads` threads.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool")
        .install(f)
}

/// A readable line-by-line diff of two texts (first differing lines).
pub fn first_difference(a: &str, b: &str) -> Option<String> {
    for (i, (la, lb)) in a.lines().zip(b.lines()).enumerate() {
        if la != lb {
            return Some(format!("line {}:\n  left:  {la}\n  right: {lb}", i + 1));
        }
    }
    (a.lines().count() != b.lines().count()).then(|| {
        format!(
            "line counts differ: {} vs {}",
            a.lines().count(),
            b.lines().count()
        )
    })
}

/// Run replicate `replicate` of a scenario's synthetic population through
/// the [`migflow_core::engine::Engine`] for `years` steps, calling `f` after each
/// step with the engine and the year's record; returns what `f` returned.
pub fn engine_years<T>(
    s: &Scenario,
    seed: u64,
    replicate: u32,
    years: u32,
    mut f: impl FnMut(&migflow_core::engine::Engine, &YearRecord) -> T,
) -> Vec<T> {
    let params = Params::new(s.clone(), None).expect("a valid scenario");
    let households = migflow_core::population::synthetic(&params, seed, replicate);
    let mut engine = migflow_core::engine::Engine::new(&params, households, seed, replicate);
    (0..years)
        .map(|_| {
            let record = engine.step();
            f(&engine, &record)
        })
        .collect()
}

/// Index of calendar year `year` in a run's records.
pub fn year_index(s: &Scenario, year: i32) -> usize {
    usize::try_from(year - s.run.start_year).expect("year within the run")
}

/// Share of all households in livelihood `k` in a year.
pub fn state_share(r: &YearRecord, k: migflow_core::Livelihood) -> f64 {
    let all = r.groups[migflow_core::record::ALL_GROUP].households;
    r.groups[k.index()].households as f64 / all as f64
}

/// Mean over replicates of a per-replicate statistic.
pub fn mean_over(runs: &[Vec<YearRecord>], f: impl Fn(&[YearRecord]) -> f64) -> f64 {
    runs.iter().map(|r| f(r)).sum::<f64>() / runs.len() as f64
}

/// Replace an output file of a results directory and record its new hash in
/// the directory's manifest, as if migflow had written it: readers then
/// get past the integrity check, so their own checks of the content can
/// be tested.
pub fn rewrite_output(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), contents.as_ref()).expect("write output");
    let path = dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("json");
    let hash = migflow_io::manifest::sha256_hex(contents.as_ref());
    for entry in manifest["files"].as_array_mut().expect("files") {
        if entry["name"] == name {
            entry["sha256"] = serde_json::Value::String(hash.clone());
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).expect("json")).expect("write");
}
