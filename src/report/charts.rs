//! Chart primitives (being written).
