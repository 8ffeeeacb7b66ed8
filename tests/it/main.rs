//! Integration tests: one binary, modules by topic (see STYLE.md).

mod calibrate;
mod cli;
mod corrupt_results;
mod engine;
mod levers;
mod properties;
mod report;
mod sensitivity;
mod shards;
mod sweep;
mod sweep_input;
mod util;
