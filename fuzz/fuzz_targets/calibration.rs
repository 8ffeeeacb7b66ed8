//! The calibration file reader must answer every input with a plan or an
//! error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_analysis::calibrate::CalibrationPlan;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(plan) = CalibrationPlan::from_text(text, Path::new("scenarios/calibration/fuzz.toml")) else {
        return;
    };
    let _ = plan.parameter_paths();
    let _ = plan.distance(&vec![Some(0.5); 64]);
});
