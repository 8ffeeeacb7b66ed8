//! Experiments: sweeps over scenario keys with designs and replicates,
//! streamed to disk, resumable, sharded and merged.

pub mod design;
