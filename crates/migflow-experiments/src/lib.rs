//! Experiments: sweeps over scenario keys with designs and replicates,
//! streamed to disk, crash-safe and resumable, sharded and merged.
//!
//! The layers stack: a run is one replicate of one point
//! ([`execute::execute_run`]); a sweep runs its runs in parallel and commits
//! each through the [`store`]; shards of a sweep are merged by
//! [`store::merge`]. Replicate `r` of every point uses the same random
//! streams (common random numbers), so comparisons between points are
//! paired.
//!
//! [`run`] writes one scenario's replicates to a results directory, as
//! `migflow run` does.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod design;
pub mod execute;
pub mod run;
pub mod slurm;
pub mod store;
pub mod sweep;

pub use migflow_io::{Error, Result};
