//! Integration tests: one binary, modules by topic (see STYLE.md).

mod cli;
mod engine;
mod levers;
mod report;
mod sweep;
mod sweep_input;
mod util;
