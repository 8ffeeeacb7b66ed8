//! The `migflow` command: parse, run, turn the result into an exit code.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod args;
mod commands;
mod progress;

use clap::Parser;

use std::process::ExitCode;

fn main() -> ExitCode {
    migflow_io::manifest::set_program_commit(env!("MIGFLOW_GIT_COMMIT"));
    match commands::dispatch(args::Cli::parse()) {
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
            eprintln!("error: {}", error_message(&err));
            ExitCode::from(2)
        }
    }
}

/// The message of a failed command: its causes joined by `: ` (as `{:#}`
/// shows them), with the library's typed errors about output directories
/// told in the terms of this command line (its `--resume` and `--out`).
fn error_message(err: &anyhow::Error) -> String {
    err.chain()
        .map(|cause| {
            cause
                .downcast_ref::<migflow_io::Error>()
                .and_then(flag_message)
                .unwrap_or_else(|| cause.to_string())
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// The command line's message for a library error that the user answers
/// with a flag.
fn flag_message(err: &migflow_io::Error) -> Option<String> {
    use migflow_io::Error;
    match err {
        Error::NeedsResume { dir, what } => Some(format!(
            "{}: this directory already holds a {what}: pass --resume to finish it, or choose another --out",
            dir.display()
        )),
        Error::OtherWork { dir, message } => Some(format!(
            "{}: {message}: choose a new or empty --out directory",
            dir.display()
        )),
        Error::NotOwn { dir, found } => Some(format!(
            "{}: holds files that are not a migflow run's ({}): choose a new or empty --out directory, remove them, or pass --force to write the run beside them (they are kept)",
            dir.display(),
            found.join(", ")
        )),
        Error::Locked { dir, holder } => Some(format!(
            "{}: another migflow process ({holder}) is writing this directory; wait for it to finish or choose another --out",
            dir.display()
        )),
        Error::Option { option, message } => Some(format!("{}: {message}", flag(*option))),
        Error::Memory { .. } => Some(format!(
            "{err} (--threads sets how many replicates run at once)"
        )),
        _ => None,
    }
}

/// The flag of a library option.
fn flag(option: migflow_io::OptionName) -> &'static str {
    use migflow_io::OptionName::*;
    match option {
        Threads => "--threads",
        Tasks => "--tasks",
        Shard => "--shard",
        Samples => "--samples",
        Accept => "--accept",
        Generations => "--generations",
        Bootstrap => "--bootstrap",
        Years => "--years",
        Metric => "--metric",
        Year => "--year",
        Compare => "--compare",
        Time => "--time",
        Partition => "--partition",
    }
}
