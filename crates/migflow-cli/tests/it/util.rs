//! Helpers shared with the other crates' integration tests.

pub use migflow_testkit::*;
