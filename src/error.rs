//! Typed errors of the library. Each names the file, the key or row, the
//! value and what was expected, so the CLI can print it as it is.

use std::path::PathBuf;

/// One thing wrong with a scenario's values.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted path of the key, e.g. `levers.workshops.end_year`.
    pub key: String,
    /// The value found, as written.
    pub value: String,
    /// What was expected instead.
    pub expected: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` = {}: expected {}",
            self.key, self.value, self.expected
        )
    }
}

/// Everything that can go wrong in migflow's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A scenario file is not valid TOML or does not fit the schema.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column of the offending text.
        column: usize,
        /// What is wrong, with a suggestion where there is one.
        message: String,
    },
    /// A scenario's values break the model's constraints.
    #[error("{}: invalid settings:\n{}", path.display(), problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file (or `<built-in default>`).
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// A population CSV row is malformed.
    #[error("{}: row {row}, column `{column}`: found {value:?}, expected {expected}", path.display())]
    PopulationRow {
        /// The CSV file.
        path: PathBuf,
        /// 1-based data row (the header is row 0).
        row: usize,
        /// Column name.
        column: String,
        /// The value found.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// An output file or directory could not be written.
    #[error("cannot write {}", shown_write_path(path))]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A manifest or other JSON input is malformed.
    #[error("{}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Result alias of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A file being written, as the user knows it: a staged temporary file is
/// named by the final file it becomes.
fn shown_write_path(path: &std::path::Path) -> String {
    match crate::output::atomic::final_path_of(path) {
        Some(target) => format!("{} (staged as {})", target.display(), path.display()),
        None => path.display().to_string(),
    }
}
