//! Integration tests of the `migflow` command: one binary, modules by topic (see STYLE.md).

mod bounded;
mod calibrate;
mod cli;
mod cohorts;
mod compare;
mod corrupt_results;
mod costs;
mod discover;
mod inputs_refused;
mod kill;
mod lock;
mod manifests_checked;
mod misleading;
mod output_paths;
mod policies;
mod population_columns;
mod report;
mod results_set;
mod robust;
mod sensitivity;
mod serve;
mod set_keys;
mod sweep;
mod sweep_input;
mod sweep_lifecycle;
mod util;
