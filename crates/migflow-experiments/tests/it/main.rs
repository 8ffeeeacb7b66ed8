//! Integration tests of sweeps: one binary, modules by topic.

mod shards;
mod util;
