//! Assignments to scenario keys by dotted path, checked: the CLI's
//! `--set KEY=VALUE` and the explorer's `set` go through [`with_sets`], so
//! both refuse a value in the same words.

use super::Params;
use super::path::{self, PathError};
use crate::error::Problem;
use std::path::Path;

/// Why an assignment was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct SetError {
    /// The position of the refused assignment in the list; none when the
    /// scenario with every assignment applied is refused as a whole.
    pub index: Option<usize>,
    /// The key: the assigned one for a [`SetProblem::Path`], the first
    /// problem's for a [`SetProblem::Invalid`].
    pub key: String,
    /// What is wrong.
    pub problem: SetProblem,
}

/// What is wrong with an assignment.
#[derive(Debug, Clone, PartialEq)]
pub enum SetProblem {
    /// The key does not exist, or the value does not fit its kind.
    Path(PathError),
    /// The scenario with the value fails validation.
    Invalid(Vec<Problem>),
}

impl std::fmt::Display for SetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            SetProblem::Path(e) => write!(f, "`{}`: {e}", self.key),
            SetProblem::Invalid(problems) => write!(
                f,
                "{}",
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

impl std::error::Error for SetError {}

/// `params` with the assignments applied in order, each checked as it is
/// applied (so that a refusal names the assignment that made the scenario
/// invalid), and the result validated.
pub fn with_sets(params: Params, sets: &[(String, toml::Value)]) -> Result<Params, SetError> {
    if sets.is_empty() {
        return Ok(params);
    }
    let source = params.source().map(Path::to_path_buf);
    let invalid = |index, problems: Vec<Problem>| SetError {
        index,
        key: problems.first().map(|p| p.key.clone()).unwrap_or_default(),
        problem: SetProblem::Invalid(problems),
    };
    let mut scenario = params.scenario().clone();
    for (index, (key, value)) in sets.iter().enumerate() {
        scenario = path::with_values(&scenario, &[(key.as_str(), value)]).map_err(|(key, e)| {
            SetError {
                index: Some(index),
                key,
                problem: SetProblem::Path(e),
            }
        })?;
        if let Err(problems) = Params::checked(scenario.clone(), source.clone()) {
            return Err(invalid(Some(index), problems));
        }
    }
    Params::checked(scenario, source).map_err(|problems| invalid(None, problems))
}
