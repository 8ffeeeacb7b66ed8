//! The `migflow` command: parse, run, turn the result into an exit code.

#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    migflow_io::manifest::set_program_commit(env!("MIGFLOW_GIT_COMMIT"));
    match cli::main() {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`migflow ... | head`) is a normal end.
            if err
                .chain()
                .filter_map(|c| c.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
