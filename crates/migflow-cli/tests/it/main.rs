//! Integration tests of the `migflow` command: one binary, modules by topic (see STYLE.md).

mod calibrate;
mod cli;
mod corrupt_results;
mod kill;
mod lock;
mod report;
mod results_set;
mod sensitivity;
mod sweep;
mod sweep_input;
mod util;
