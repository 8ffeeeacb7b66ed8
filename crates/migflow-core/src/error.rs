//! Typed errors of the model core. Each names the source (a file, or the
//! built-in default), the key or row, the value and what was expected, so
//! a caller can print it as it is.

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

/// Everything that can go wrong in the model core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario text is not valid TOML or does not fit the schema.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The source.
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
        /// The source (or `<built-in default>`).
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
    /// A population CSV row (or its header) is malformed.
    #[error(
        "{}: {}, column `{column}`: found {value:?}, expected {expected}",
        path.display(),
        if *row == 0 { "header".to_string() } else { format!("row {row}") }
    )]
    PopulationRow {
        /// The CSV source.
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
    /// A value could not be written as text (a bug, never silent).
    #[error("cannot serialize {what}: {message}")]
    Serialize {
        /// What was being written.
        what: String,
        /// The serializer's message.
        message: String,
    },
}

/// Result alias of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
