//! Typed errors of migflow's file layer and of every crate above it. Each
//! variant is a thing a caller may act on, and carries the path, key or row
//! it is about. The library never names a command-line flag: the CLI maps
//! [`Error::NeedsResume`], [`Error::Option`] and the others to its flags.

use std::path::{Path, PathBuf};

pub use migflow_core::error::Problem;

/// Everything that can go wrong in migflow's library crates.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario, population or validation error of the model core.
    #[error(transparent)]
    Core(#[from] migflow_core::Error),
    /// The work was stopped on request (Ctrl-C from Python) before it
    /// finished; `kept` says what is left on disk.
    #[error("interrupted: {kept}")]
    Interrupted {
        /// What the stopped work left (nothing, or a resumable sweep).
        kept: String,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An output file or directory could not be written.
    #[error("cannot write {}", shown_write_path(path))]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An input file (a manifest, a table, a sweep file, …) is malformed or
    /// does not fit what reads it.
    #[error("{}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A directory already holds a piece of work of the same kind
    /// (unfinished, or finished): it can be resumed (the CLI says how), or
    /// another directory chosen.
    #[error("{}: this directory already holds a {what}: resume it to finish it, or choose another output directory", dir.display())]
    NeedsResume {
        /// The directory.
        dir: PathBuf,
        /// `sweep` or `calibration`.
        what: &'static str,
    },
    /// A directory holds other work than the one asked for (another sweep,
    /// another calibration, files migflow did not write): another directory
    /// must be chosen (the CLI names its flag).
    #[error("{}: {message}: choose a new or empty output directory", dir.display())]
    OtherWork {
        /// The directory.
        dir: PathBuf,
        /// What it holds, and why that refuses the work.
        message: String,
    },
    /// A directory holds files that migflow did not write as a run's (not
    /// a run's files, nor migflow's own bookkeeping: the user's files,
    /// charts written into it): a run into it is refused unless asked to
    /// write beside them (the CLI names its flag).
    #[error("{}: holds files that are not a migflow run's ({}): choose a new or empty output directory, or ask to write beside them (they are kept)", dir.display(), found.join(", "))]
    NotOwn {
        /// The directory.
        dir: PathBuf,
        /// What is there (a directory's name ends in `/`).
        found: Vec<String>,
    },
    /// An input of a recorded run (its population file, or the scenario in
    /// its manifest) is not the one the manifest records, so repeating the
    /// run would not repeat it.
    #[error("{}: {what} is not the one {} records: its SHA-256 is {found}, the manifest records {expected}; restore it, or run a scenario file with the input as it is now", path.display(), manifest.display())]
    InputChanged {
        /// The input (for the scenario: the manifest).
        path: PathBuf,
        /// What it is: `the population file`, `its scenario_toml`.
        what: &'static str,
        /// The manifest that records it.
        manifest: PathBuf,
        /// The hash recorded.
        expected: String,
        /// The hash found.
        found: String,
    },
    /// An input file of resumable work (a sweep's or a calibration's
    /// population file, a table design's file, a targets file) is not the
    /// one the work's state file recorded when it started, so resuming (or
    /// going on) would mix results of two inputs.
    #[error("{}: {what} changed since this {work} started: its SHA-256 is {found}, but {} records {expected}; restore it to resume the {work}, or run the {work} again into a new output directory", path.display(), state.display(), work = work_of(state))]
    WorkInputChanged {
        /// The input.
        path: PathBuf,
        /// What it is: `the population file`, `the targets file`, ….
        what: &'static str,
        /// The state file that records it (`sweep.json`, `calibration.json`).
        state: PathBuf,
        /// The hash recorded (`none` for a file that could not be read).
        expected: String,
        /// The hash found (`none` for a file that cannot be read).
        found: String,
    },
    /// A file is not what its manifest or journal recorded: it changed or
    /// was damaged after it was written.
    #[error("{}: changed since it was written (SHA-256 {found}, the manifest records {expected}): restore it, or repeat the work", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
        /// The hash recorded.
        expected: String,
        /// The hash found.
        found: String,
    },
    /// A directory's bookkeeping (manifest, journal, state) is damaged.
    #[error("{}: {message}", path.display())]
    Damaged {
        /// The damaged file.
        path: PathBuf,
        /// What is damaged and what to do.
        message: String,
    },
    /// Another process holds the directory's lock.
    #[error("{}: another migflow process ({holder}) is writing this directory; wait for it to finish or choose another output directory", dir.display())]
    Locked {
        /// The directory.
        dir: PathBuf,
        /// Who holds it, as recorded in the lock file (host and pid).
        holder: String,
    },
    /// The work cannot fit in the memory available.
    #[error("{}: {what} needs about {} of memory, but only {} is available: use fewer households, sites or villages, or fewer threads so that fewer replicates are held at once", source_name.display(), migflow_core::stats::gigabytes(*needed), migflow_core::stats::gigabytes(*available))]
    Memory {
        /// The input that asked for the work.
        source_name: PathBuf,
        /// The work.
        what: String,
        /// Bytes needed.
        needed: u64,
        /// Bytes available.
        available: u64,
    },
    /// An option of a library call is out of range; the CLI names the flag.
    #[error("{option}: {message}")]
    Option {
        /// Which option.
        option: OptionName,
        /// What is wrong.
        message: String,
    },
}

/// Options of library calls that a caller sets (the CLI maps each to its
/// flag, Python to its keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionName {
    /// Worker threads.
    Threads,
    /// Slurm tasks.
    Tasks,
    /// A shard of a sweep.
    Shard,
    /// Calibration samples.
    Samples,
    /// Calibration accepted draws.
    Accept,
    /// Calibration generations.
    Generations,
    /// Bootstrap resamples.
    Bootstrap,
    /// Years selected.
    Years,
    /// A metric or outcome selected.
    Metric,
    /// A year selected.
    Year,
    /// The comparison run.
    Compare,
    /// A Slurm time limit.
    Time,
    /// A Slurm partition.
    Partition,
}

impl OptionName {
    /// The option's name, as the library calls it (the CLI maps it to its
    /// flag).
    pub fn name(self) -> &'static str {
        match self {
            OptionName::Threads => "threads",
            OptionName::Tasks => "tasks",
            OptionName::Shard => "shard",
            OptionName::Samples => "samples",
            OptionName::Accept => "accept",
            OptionName::Generations => "generations",
            OptionName::Bootstrap => "bootstrap",
            OptionName::Years => "years",
            OptionName::Metric => "metric",
            OptionName::Year => "year",
            OptionName::Compare => "compare",
            OptionName::Time => "time",
            OptionName::Partition => "partition",
        }
    }
}

impl std::fmt::Display for OptionName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Result alias of the library crates.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The work whose state file is `state` (`sweep.json`, `calibration.json`).
fn work_of(state: &Path) -> &'static str {
    let name = state.file_name().and_then(|n| n.to_str()).unwrap_or("");
    crate::journal::STATE_FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map_or("work", |(_, work)| work)
}

/// A file being written, as the user knows it: a staged temporary file is
/// named by the final file it becomes.
fn shown_write_path(path: &Path) -> String {
    match crate::staging::final_path_of(path) {
        Some(target) => format!("{} (staged as {})", target.display(), path.display()),
        None => path.display().to_string(),
    }
}
