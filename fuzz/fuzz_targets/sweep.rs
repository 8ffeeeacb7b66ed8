//! The sweep file reader must answer every input with a plan or an error,
//! never a panic or a hang; an accepted plan must give a scenario for each
//! of its points (or a clear message), and a run count within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_experiments::sweep::{MAX_RUNS, SweepPlan};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(plan) = SweepPlan::from_text(text, Path::new("scenarios/sweeps/fuzz.toml")) else {
        return;
    };
    let runs = plan.runs();
    assert!((1..=MAX_RUNS).contains(&runs));
    // Building every point's scenario is what a sweep does first; a few
    // suffice to reach the code, and keep each input fast.
    let points = runs / u64::from(plan.replicates());
    for point in (0..points).take(8) {
        let _ = plan.scenario_for(point);
        let _ = plan.point_cells(point);
    }
    let _ = plan.resolved_toml();
});
