//! Integration tests of the `migflow` command: one binary, modules by topic (see STYLE.md).

mod bounded;
mod calibrate;
mod cli;
mod corrupt_results;
mod kill;
mod lock;
mod misleading;
mod report;
mod results_set;
mod sensitivity;
mod sweep;
mod sweep_input;
mod sweep_lifecycle;
mod util;
