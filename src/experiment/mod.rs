//! Experiments: sweeps over scenario keys with designs and replicates,
//! streamed to disk, crash-safe and resumable, sharded and merged.
//!
//! The layers stack: a run is one replicate of one point
//! ([`execute::execute_run`]); a sweep runs its runs in parallel and commits
//! each through the [`store`]; shards of a sweep are merged by
//! [`store::merge`]. Replicate `r` of every point uses the same random
//! streams (common random numbers), so comparisons between points are
//! paired.

pub mod design;
pub mod execute;
pub mod slurm;
pub mod store;
pub mod sweep;
