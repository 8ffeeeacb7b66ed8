//! A calibration's targets file must give targets or an error naming the
//! row, never a panic, a hang or a runaway allocation; every target
//! accepted has a finite value, weight and sd, and the plan's distances are
//! computed without a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_analysis::calibrate::{CalibrationPlan, read_targets_csv};
use std::path::PathBuf;
use std::sync::OnceLock;

const CALIBRATION: &str = "base = \"base.toml\"\nseed = 3\nreplicates = 1\ntargets_file = \"targets.csv\"\n\
[[parameters]]\npath = \"decision.alpha_none\"\nmin = -2.0\nmax = 0.0\n";
const BASE: &str = "[population]\nhouseholds = 300\n[run]\nyears = 2\n";

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("migflow-fuzz-targets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        std::fs::write(dir.join("calib.toml"), CALIBRATION).expect("calibration file");
        std::fs::write(dir.join("base.toml"), BASE).expect("base scenario");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let path = dir.join("targets.csv");
    std::fs::write(&path, data).expect("targets.csv");
    if let Ok(rows) = read_targets_csv(&path) {
        for (origin, t) in &rows {
            assert!(origin.starts_with("targets.csv row "), "{origin}");
            assert!(t.value.is_finite() && t.weight.is_finite() && t.sd.is_finite());
        }
    }
    let Ok(plan) = CalibrationPlan::load(&dir.join("calib.toml")) else {
        return;
    };
    assert!(!plan.targets.is_empty());
    let _ = plan.parameter_paths();
    let _ = plan.distance(&vec![Some(0.5); plan.targets.len()]);
    let _ = plan.distance(&vec![None; plan.targets.len()]);
});
