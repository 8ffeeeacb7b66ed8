//! Analysis of sweeps and fitting to data: global sensitivity (Sobol,
//! Morris) and calibration by approximate Bayesian computation.

pub mod calibrate;
pub mod discover;
pub mod effects;
pub mod robust;
pub mod sensitivity;
