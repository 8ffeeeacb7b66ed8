//! A `table` design's points file (`points.csv`) must give a plan or an
//! error, never a panic, a hang or a runaway allocation; an accepted plan
//! has 1 to `MAX_POINTS` points, each with one value per factor, and its
//! first points build their scenarios without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_experiments::design::MAX_POINTS;
use migflow_experiments::sweep::{MAX_RUNS, SweepPlan};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Factors of each kind a table cell is parsed as: a float, an integer and a
/// boolean.
const SWEEP: &str = "base = \"default\"\nseed = 1\nreplicates = 2\n[design]\nkind = \"table\"\nfile = \"points.csv\"\n\
[[factors]]\npath = \"decision.kappa\"\n\
[[factors]]\npath = \"population.households\"\n\
[[factors]]\npath = \"levers.agricultural_support.insurance\"\n";

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("migflow-fuzz-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        std::fs::write(dir.join("sweep.toml"), SWEEP).expect("sweep file");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    std::fs::write(dir.join("points.csv"), data).expect("points.csv");
    let Ok(plan) = SweepPlan::load(&dir.join("sweep.toml")) else {
        return;
    };
    assert!((1..=MAX_POINTS).contains(&plan.points.len()));
    assert!((1..=MAX_RUNS).contains(&plan.runs()));
    for (point, p) in plan.points.iter().enumerate().take(8) {
        assert_eq!(p.values.len(), 3);
        let _ = plan.scenario_for(point as u64);
        let _ = plan.point_cells(point as u64);
    }
    let _ = plan.resolved_toml();
});
