//! Property test (issue 7): a sweep split into shards and merged equals
//! the sweep run whole, byte for byte, for random designs, shard counts,
//! thread counts and merge orders.

use migflow_experiments::execute::{SweepOptions, run_sweep};
use migflow_experiments::store::{Shard, merge};
use migflow_experiments::sweep::SweepPlan;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::path::{Path, PathBuf};

/// Every file a finished sweep writes whose bytes are part of the contract
/// (`timing.json` holds wall times and is left out on purpose).
const FINAL_FILES: [&str; 6] = [
    "runs.csv",
    "trajectories.csv",
    "failures.csv",
    "points.csv",
    "points_summary.csv",
    "manifest.json",
];

#[derive(Debug, Clone)]
struct Case {
    design: String,
    replicates: u32,
    households: u64,
    years: u32,
    seed: u64,
    shards: u64,
    threads: usize,
    /// A permutation key for the order the shards are given to `merge`.
    order: Vec<u32>,
}

fn design() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..=3).prop_map(|n| {
            let levels: Vec<String> = (0..n).map(|i| format!("{}", 0.05 * i as f64)).collect();
            format!(
                "[design]\nkind = \"grid\"\n[[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\n\
                 levels = [{}]\n[[factors]]\npath = \"levers.training.enabled\"\nlevels = [true, false]\n",
                levels.join(", ")
            )
        }),
        (2u32..=6).prop_map(|n| format!(
            "[design]\nkind = \"lhs\"\npoints = {n}\n[[factors]]\npath = \"decision.beta_net\"\n\
             min = 0.0\nmax = 1.0\n[[factors]]\npath = \"levers.labor_cooperation.placements_share\"\n\
             min = 0.0\nmax = 0.2\n"
        )),
        (1u32..=2).prop_map(|n| format!(
            "[design]\nkind = \"morris\"\ntrajectories = {n}\nlevels = 4\n[[factors]]\n\
             path = \"levers.social_protection.dibao_coverage\"\nmin = 0.3\nmax = 0.9\n"
        )),
        (2u32..=3).prop_map(|n| format!(
            "[design]\nkind = \"sobol\"\nbase_points = {n}\n[[factors]]\npath = \"decision.beta_net\"\n\
             min = 0.0\nmax = 1.0\n[[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\n\
             min = 0.0\nmax = 0.2\n"
        )),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        design(),
        1u32..=2,
        20u64..=60,
        1u32..=3,
        0u64..=i64::MAX as u64, // seeds a manifest (TOML, i64) can store
        1u64..=5,
        1usize..=2,
        prop::collection::vec(any::<u32>(), 5),
    )
        .prop_map(
            |(design, replicates, households, years, seed, shards, threads, order)| Case {
                design,
                replicates,
                households,
                years,
                seed,
                shards,
                threads,
                order,
            },
        )
}

fn sweep_text(c: &Case) -> String {
    // Small households and years come from a base scenario file.
    format!(
        "base = \"base.toml\"\nseed = {}\nreplicates = {}\n{}",
        c.seed, c.replicates, c.design
    )
}

fn run(plan: &SweepPlan, out: &Path, shard: Option<Shard>, threads: usize) -> Result<(), String> {
    let opts = SweepOptions {
        out: out.to_path_buf(),
        resume: false,
        shard,
        threads,
        cancel: Default::default(),
        format: Default::default(),
    };
    run_sweep(plan, &opts, &|_, _| {}, &|| {})
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let dir = tmp.path();
    std::fs::write(
        dir.join("base.toml"),
        format!(
            "[run]\nyears = {}\n[population]\nhouseholds = {}\nsites = 2\nvillages_per_site = 3\n",
            c.years, c.households
        ),
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let file = dir.join("sweep.toml");
    std::fs::write(&file, sweep_text(c)).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let plan = SweepPlan::load(&file).map_err(|e| TestCaseError::fail(e.to_string()))?;

    let whole = dir.join("whole");
    run(&plan, &whole, None, c.threads).map_err(TestCaseError::fail)?;

    let mut shard_dirs: Vec<(u32, PathBuf)> = Vec::new();
    for index in 0..c.shards {
        let out = dir.join(format!("shard-{index}"));
        let shard = Shard {
            index,
            count: c.shards,
        };
        // Shards run with the other thread count: the contract covers both.
        run(&plan, &out, Some(shard), 3 - c.threads).map_err(TestCaseError::fail)?;
        shard_dirs.push((c.order[index as usize], out));
    }
    shard_dirs.sort();
    let shard_dirs: Vec<PathBuf> = shard_dirs.into_iter().map(|(_, d)| d).collect();
    let merged = dir.join("merged");
    merge(&shard_dirs, &merged).map_err(|e| TestCaseError::fail(e.to_string()))?;

    for name in FINAL_FILES {
        let a = std::fs::read(whole.join(name))
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        let b = std::fs::read(merged.join(name))
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        prop_assert!(
            a == b,
            "{name} differs: {:?}",
            crate::util::first_difference(
                &String::from_utf8_lossy(&a),
                &String::from_utf8_lossy(&b)
            )
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn a_sweep_split_into_shards_and_merged_equals_the_unsplit_sweep(c in case()) {
        check(&c)?;
    }
}
