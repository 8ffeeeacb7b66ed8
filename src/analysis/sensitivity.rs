//! Global sensitivity analysis (being written).
