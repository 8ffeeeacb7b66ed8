//! Integration tests of sweeps: one binary, modules by topic.

mod cancel;
mod parquet;
mod shards;
mod sobol_table;
mod util;
