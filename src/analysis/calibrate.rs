//! Calibration by approximate Bayesian computation (being written).
