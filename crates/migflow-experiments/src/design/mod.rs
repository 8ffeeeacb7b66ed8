//! Experimental designs: the parameter points of a sweep.
//!
//! A sweep file lists [`Factor`]s (scenario keys addressed by dotted path,
//! each with `levels` or a `min`/`max` range) and one [`Design`]:
//!
//! - `grid`: the full factorial over the levels, the last factor varying
//!   fastest;
//! - `lhs`: a Latin hypercube of `points` points;
//! - `sobol`: Saltelli's scheme on an Owen-scrambled Sobol sequence,
//!   `base_points · (k + 2)` points for `k` varied factors;
//! - `morris`: `trajectories` one-at-a-time trajectories on a `levels`-level
//!   grid (Morris 1991, as in SALib), `trajectories · (k + 1)` points;
//! - `table`: the points listed in a CSV file;
//! - `sobol` with `file` instead of `base_points`: Saltelli's scheme read
//!   from a CSV file with the role columns `sobol_base` and `sobol_matrix`
//!   (the points of another tool's sampler, such as SALib's), checked to be
//!   a complete design.
//!
//! In `lhs`, `sobol` and `morris` a factor with exactly one level is a
//! constant, and the factors with `min` and `max` are the design's
//! dimensions ("varied factors"), numbered in factor order; the indices in
//! [`PointRole`] are indices among the varied factors
//! (see [`varied_factors`]).
//!
//! Every random draw comes from the streams of its design's family
//! ([`Draw`]), keyed by the seed, so a design is a pure function of its
//! inputs.
//!
//! [`Stream`]: migflow_core::rng::Stream
//! [`Draw`]: migflow_core::rng::Draw
//!
//! This module holds the types shared by every design and [`generate`],
//! which checks the factors and hands them to the design's own module:
//! `grid`, `lhs`, `sobol`, `morris`, `table` and `sobol_table` (a `sobol`
//! design read from a file), with `space` holding the
//! unit hypercube the three random designs map onto the factors.

mod grid;
mod lhs;
mod morris;
mod sobol;
mod sobol_table;
mod space;
mod table;
#[cfg(test)]
mod testutil;

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use migflow_core::params::path::{self, KeyKind};

pub use morris::morris_delta;
pub use sobol::{SOBOL_MAX_BASE_POINTS, SOBOL_MAX_FACTORS};
pub use sobol_table::{SOBOL_BASE_COLUMN, SOBOL_MATRIX_COLUMN, design_file};
pub use table::{MAX_TABLE_BYTES, table_columns};

use space::Space;

/// Most points a design may have.
pub const MAX_POINTS: usize = 10_000_000;

/// Largest magnitude of a range bound for an integer key (exactly
/// representable as both f64 and i64).
pub(crate) const MAX_INTEGER_BOUND: f64 = 9.0e15;

/// One factor of a sweep, as written in the sweep file (`[[factors]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    /// Dotted path of the scenario key.
    pub path: String,
    /// The values the key takes (grid), or one value (a constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<toml::Value>>,
    /// Lower end of the range (lhs, sobol, morris).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Upper end of the range (lhs, sobol, morris).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

fn default_morris_levels() -> usize {
    4
}

/// The `[design]` table as written: every key any design takes, so that an
/// unknown key is reported at its own line, and a key of another design is
/// refused by name (serde does not enforce `deny_unknown_fields` on a
/// field-less variant such as `grid`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignTable {
    kind: String,
    points: Option<usize>,
    base_points: Option<usize>,
    trajectories: Option<usize>,
    levels: Option<usize>,
    file: Option<String>,
}

/// Why a `[design]` table is not a [`Design`] (serde reports it at the
/// table).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum DesignTableError {
    /// The design needs a key that is missing.
    #[error("design `{kind}` needs `design.{key}`")]
    Missing {
        /// The design's kind.
        kind: &'static str,
        /// The missing key.
        key: &'static str,
    },
    /// `kind` names no design.
    #[error("`design.kind` = {0:?}: expected one of grid, lhs, sobol, morris, table")]
    UnknownKind(String),
    /// A `sobol` design given both its base points and a file.
    #[error(
        "`design.base_points` and `design.file` together: a `sobol` design either draws `base_points` base points or reads its points from `file`, not both"
    )]
    SobolBasePointsAndFile,
    /// A key of another design.
    #[error("`design.{key}` does not apply to design `{kind}`, which takes {allowed}")]
    NotApplicable {
        /// The key given.
        key: &'static str,
        /// The design's kind.
        kind: String,
        /// The keys the design takes, or `no other key`.
        allowed: String,
    },
}

impl TryFrom<DesignTable> for Design {
    type Error = DesignTableError;

    fn try_from(t: DesignTable) -> Result<Design, DesignTableError> {
        let missing = |kind, key| DesignTableError::Missing { kind, key };
        let given: Vec<(&str, bool)> = vec![
            ("points", t.points.is_some()),
            ("base_points", t.base_points.is_some()),
            ("trajectories", t.trajectories.is_some()),
            ("levels", t.levels.is_some()),
            ("file", t.file.is_some()),
        ];
        let (design, takes): (Design, &[&str]) = match t.kind.as_str() {
            "grid" => (Design::Grid, &[]),
            "lhs" => (
                Design::Lhs {
                    points: t.points.ok_or(missing("lhs", "points"))?,
                },
                &["points"],
            ),
            "sobol" => match (t.base_points, t.file) {
                (Some(_), Some(_)) => return Err(DesignTableError::SobolBasePointsAndFile),
                (None, Some(file)) => (Design::SobolTable { file }, &["file"]),
                (base_points, None) => (
                    Design::Sobol {
                        base_points: base_points
                            .ok_or(missing("sobol", "base_points` or `design.file"))?,
                    },
                    &["base_points"],
                ),
            },
            "morris" => (
                Design::Morris {
                    trajectories: t.trajectories.ok_or(missing("morris", "trajectories"))?,
                    levels: t.levels.unwrap_or_else(default_morris_levels),
                },
                &["trajectories", "levels"],
            ),
            "table" => (
                Design::Table {
                    file: t.file.ok_or(missing("table", "file"))?,
                },
                &["file"],
            ),
            other => return Err(DesignTableError::UnknownKind(other.to_string())),
        };
        if let Some((key, _)) = given.iter().find(|(k, set)| *set && !takes.contains(k)) {
            let allowed = if takes.is_empty() {
                "no other key".to_string()
            } else {
                takes
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(DesignTableError::NotApplicable {
                key,
                kind: t.kind,
                allowed,
            });
        }
        Ok(design)
    }
}

/// The `[design]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "DesignTable")]
pub enum Design {
    /// Full factorial over the factors' levels.
    Grid,
    /// Latin hypercube of `points` points.
    Lhs {
        /// Number of points (≥ 2).
        points: usize,
    },
    /// Saltelli's scheme: `base_points` base points give
    /// `base_points · (k + 2)` points for `k` varied factors.
    Sobol {
        /// Number of base points N (2 to 65536; a power of two balances best).
        base_points: usize,
    },
    /// Morris elementary-effects trajectories.
    Morris {
        /// Number of trajectories r (≥ 1).
        trajectories: usize,
        /// Number of grid levels p (even, ≥ 2; default 4).
        #[serde(default = "default_morris_levels")]
        levels: usize,
    },
    /// Points read from a CSV file: header = factor paths, one row a point.
    Table {
        /// The CSV file, relative to the sweep file's directory.
        file: String,
    },
    /// Saltelli's scheme read from a CSV file (`kind = "sobol"` with
    /// `file`): one column per varied factor and the role columns
    /// [`SOBOL_BASE_COLUMN`] and [`SOBOL_MATRIX_COLUMN`], checked to be a
    /// complete design within the factors' `min` and `max`. Its points
    /// are analysed as a generated `sobol` design's.
    #[serde(rename = "sobol")]
    SobolTable {
        /// The CSV file, relative to the sweep file's directory.
        file: String,
    },
}

impl Design {
    /// The design's `kind` as written in the sweep file.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } | Design::SobolTable { .. } => "sobol",
            Design::Morris { .. } => "morris",
            Design::Table { .. } => "table",
        }
    }
}

/// The matrix of Saltelli's scheme a Sobol point belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SobolMatrix {
    /// The first k coordinates of the 2k-dimensional sequence.
    A,
    /// The last k coordinates.
    B,
    /// A with coordinate `j` (index among the varied factors) taken from B.
    AB(usize),
}

impl fmt::Display for SobolMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SobolMatrix::A => write!(f, "A"),
            SobolMatrix::B => write!(f, "B"),
            SobolMatrix::AB(j) => write!(f, "AB{j}"),
        }
    }
}

/// What a point is in its design (for sensitivity analysis).
#[derive(Debug, Clone, PartialEq)]
pub enum PointRole {
    /// A point of a grid, Latin hypercube or table.
    Plain,
    /// A point of Saltelli's scheme: base point `base`, in `matrix`.
    Sobol {
        /// Index of the base point (0-based).
        base: usize,
        /// The matrix.
        matrix: SobolMatrix,
    },
    /// A point of a Morris trajectory.
    Morris {
        /// Index of the trajectory (0-based).
        trajectory: usize,
        /// Step within the trajectory: 0 is the base point, 1..=k follow.
        step: usize,
        /// The varied factor (index among the varied factors) that changed
        /// from the previous step; `None` at step 0.
        changed: Option<usize>,
    },
}

/// One point of a design: one value per factor, in factor order.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The values, coerced to the kinds of the factors' keys.
    pub values: Vec<toml::Value>,
    /// What the point is in its design.
    pub role: PointRole,
}

/// Why a design could not be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignError {
    /// The offending key, like `factors[1].min` or `design.points`, or a
    /// place in a table file.
    pub key: String,
    /// The offending value.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

impl fmt::Display for DesignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` = {}: expected {}",
            self.key, self.value, self.expected
        )
    }
}

impl std::error::Error for DesignError {}

pub(crate) fn err(
    key: impl Into<String>,
    value: impl fmt::Display,
    expected: impl Into<String>,
) -> DesignError {
    DesignError {
        key: key.into(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// The indices (in `factors`) of the varied factors: those with `min` and
/// `max`, in factor order. Index `j` of [`SobolMatrix::AB`] and of
/// `PointRole::Morris::changed` is a position in this list.
pub fn varied_factors(factors: &[Factor]) -> Vec<usize> {
    factors
        .iter()
        .enumerate()
        .filter(|(_, f)| f.levels.is_none() && f.min.is_some() && f.max.is_some())
        .map(|(i, _)| i)
        .collect()
}

/// Column names describing the roles of a design's points (for
/// `points.csv`); empty for grid, lhs and table.
pub fn role_columns(design: &Design) -> Vec<&'static str> {
    match design {
        Design::Grid | Design::Lhs { .. } | Design::Table { .. } => Vec::new(),
        Design::Sobol { .. } | Design::SobolTable { .. } => {
            vec![SOBOL_BASE_COLUMN, SOBOL_MATRIX_COLUMN]
        }
        Design::Morris { .. } => vec!["morris_trajectory", "morris_step", "morris_changed"],
    }
}

/// The values of a point's role for [`role_columns`]: the Sobol matrix as
/// `A`, `B` or `AB<j>`; the changed Morris factor as its path (empty at
/// step 0).
pub fn role_values(role: &PointRole, factors: &[Factor]) -> Vec<String> {
    match role {
        PointRole::Plain => Vec::new(),
        PointRole::Sobol { base, matrix } => vec![base.to_string(), matrix.to_string()],
        PointRole::Morris {
            trajectory,
            step,
            changed,
        } => {
            let changed = match changed {
                None => String::new(),
                Some(j) => match varied_factors(factors).get(*j) {
                    Some(&i) => factors[i].path.clone(),
                    None => format!("#{j}"),
                },
            };
            vec![trajectory.to_string(), step.to_string(), changed]
        }
    }
}

/// A factor after its own checks.
#[derive(Debug)]
pub(crate) enum Spec {
    /// Levels, coerced to the key's kind.
    Levels(Vec<toml::Value>),
    /// A finite range, min < max.
    Range { min: f64, max: f64 },
    /// Neither levels nor a range (only valid in a table design).
    Unset,
}

pub(crate) fn check_factors(
    factors: &[Factor],
    kinds: &[KeyKind],
) -> Result<Vec<Spec>, DesignError> {
    if kinds.len() != factors.len() {
        return Err(err(
            "factors",
            format!("{} factors", factors.len()),
            format!("one key kind per factor ({} given)", kinds.len()),
        ));
    }
    if factors.is_empty() {
        return Err(err(
            "factors",
            "none",
            "at least one `[[factors]]` entry with a `path`",
        ));
    }
    let mut specs = Vec::with_capacity(factors.len());
    for (i, (f, &kind)) in factors.iter().zip(kinds).enumerate() {
        let key = |field: &str| format!("factors[{i}].{field}");
        if f.path.trim().is_empty() {
            return Err(err(key("path"), "\"\"", "a dotted scenario key"));
        }
        if let Some(j) = factors[..i].iter().position(|g| g.path == f.path) {
            return Err(err(
                key("path"),
                format!("\"{}\"", f.path),
                format!("a key not already varied by `factors[{j}]`"),
            ));
        }
        if kind == KeyKind::Compound {
            return Err(err(
                key("path"),
                format!("\"{}\"", f.path),
                "a key holding a single value, not a table or array",
            ));
        }
        let spec = match (&f.levels, f.min, f.max) {
            (Some(levels), min, max) if min.is_some() || max.is_some() => {
                return Err(err(
                    key("levels"),
                    toml::Value::Array(levels.clone()),
                    "either `levels` or `min` and `max`, not both",
                ));
            }
            (Some(levels), _, _) => {
                if levels.is_empty() {
                    return Err(err(key("levels"), "[]", "a non-empty list"));
                }
                let mut out = Vec::with_capacity(levels.len());
                for (j, v) in levels.iter().enumerate() {
                    match path::coerce(v, kind) {
                        Ok(toml::Value::Float(x)) if !x.is_finite() => {
                            return Err(err(
                                format!("factors[{i}].levels[{j}]"),
                                x,
                                format!("a finite number (a level of `{}`)", f.path),
                            ));
                        }
                        Ok(c) => out.push(c),
                        Err(_) => {
                            return Err(err(
                                format!("factors[{i}].levels[{j}]"),
                                v,
                                format!("{} (the kind of `{}`)", kind.name(), f.path),
                            ));
                        }
                    }
                }
                Spec::Levels(out)
            }
            (None, Some(min), Some(max)) => {
                if !min.is_finite() {
                    return Err(err(key("min"), min, "a finite number"));
                }
                if !max.is_finite() {
                    return Err(err(key("max"), max, "a finite number"));
                }
                if min >= max {
                    return Err(err(
                        key("min"),
                        min,
                        format!(
                            "a number less than `factors[{i}].max` ({max}): an empty or inverted range"
                        ),
                    ));
                }
                if kind == KeyKind::Integer
                    && (min.abs() > MAX_INTEGER_BOUND || max.abs() > MAX_INTEGER_BOUND)
                {
                    let (k, v) = if min.abs() > MAX_INTEGER_BOUND {
                        ("min", min)
                    } else {
                        ("max", max)
                    };
                    return Err(err(
                        key(k),
                        v,
                        "a bound of magnitude at most 9e15 for an integer key",
                    ));
                }
                Spec::Range { min, max }
            }
            (None, Some(_), None) => {
                return Err(err(
                    key("max"),
                    "missing",
                    "a number, as `min` is given (or use `levels`)",
                ));
            }
            (None, None, Some(_)) => {
                return Err(err(
                    key("min"),
                    "missing",
                    "a number, as `max` is given (or use `levels`)",
                ));
            }
            (None, None, None) => Spec::Unset,
        };
        specs.push(spec);
    }
    Ok(specs)
}

/// Generate the points of `design` over `factors`.
///
/// `kinds[i]` is the kind of factor i's scenario key (see
/// [`path::kind_of`]); levels and table cells are coerced to it, and varied
/// integer keys get values rounded to the nearest integer. `seed` drives the
/// random designs (lhs, sobol, morris); `table_base_dir` resolves a relative
/// table file.
pub fn generate(
    design: &Design,
    factors: &[Factor],
    kinds: &[KeyKind],
    seed: u64,
    table_base_dir: &Path,
) -> Result<Vec<Point>, DesignError> {
    let specs = check_factors(factors, kinds)?;
    check_memory(design, factors, migflow_io::resources::available_memory())?;
    // A random design checks its own keys before the factors' space is
    // built, so that their errors come first.
    let space = |specs| Space::new(design, factors, kinds, specs);
    match design {
        Design::Grid => grid::generate(factors, specs),
        Design::Table { file } => table::generate(file, factors, kinds, &specs, table_base_dir),
        Design::SobolTable { file } => {
            sobol_table::generate(file, factors, kinds, specs, table_base_dir)
        }
        Design::Lhs { points } => lhs::generate(*points, seed, || space(specs)),
        Design::Sobol { base_points } => sobol::generate(*base_points, seed, || space(specs)),
        Design::Morris {
            trajectories,
            levels,
        } => morris::generate(*trajectories, *levels, seed, || space(specs)),
    }
}

/// The points `design` makes from `factors`, when known before it is
/// generated (a table's are counted as its file is read, within its size
/// limit).
fn planned_points(design: &Design, factors: &[Factor]) -> Option<u64> {
    let varied = varied_factors(factors).len() as u64;
    match design {
        Design::Grid => factors.iter().try_fold(1u64, |n, f| {
            n.checked_mul(f.levels.as_ref().map_or(1, |l| l.len() as u64))
        }),
        Design::Lhs { points } => Some(*points as u64),
        Design::Sobol { base_points } => (*base_points as u64).checked_mul(varied + 2),
        Design::Morris { trajectories, .. } => (*trajectories as u64).checked_mul(varied + 1),
        Design::Table { .. } | Design::SobolTable { .. } => None,
    }
}

/// Resident bytes a point of `factors` factors costs: its values, role and
/// the allocator's bookkeeping, doubled for the copies made while the
/// design is built and written (measured: about 180 bytes a point of two
/// factors during a dry run).
pub fn point_bytes(factors: usize) -> u64 {
    2 * (std::mem::size_of::<Point>() + factors * std::mem::size_of::<toml::Value>() + 16) as u64
}

/// Refuse a design whose points cannot fit in the memory available
/// (before any is made). Counts beyond [`MAX_POINTS`] are left to the
/// design's own check, which names its key.
fn check_memory(
    design: &Design,
    factors: &[Factor],
    available: Option<u64>,
) -> Result<(), DesignError> {
    let (Some(points), Some(available)) = (planned_points(design, factors), available) else {
        return Ok(());
    };
    if points > MAX_POINTS as u64 {
        return Ok(());
    }
    let needed = points.saturating_mul(point_bytes(factors.len()));
    if needed <= available {
        return Ok(());
    }
    Err(err(
        "design",
        format!("{points} points of {} factors", factors.len()),
        format!(
            "a design that fits in memory: it needs about {}, {} is available",
            migflow_core::stats::gigabytes(needed),
            migflow_core::stats::gigabytes(available)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::testutil::{bare, gen_, levels, range};
    use super::*;
    use toml::Value;

    #[test]
    fn a_design_larger_than_memory_is_refused_before_it_is_made() {
        let factors = [range("a", 0.0, 1.0), range("b", 0.0, 1.0)];
        let design = Design::Lhs { points: 1_000_000 };
        let needed = 1_000_000 * point_bytes(2);
        let e = check_memory(&design, &factors, Some(needed - 1)).unwrap_err();
        assert_eq!(e.key, "design");
        assert!(e.expected.contains("fits in memory"), "{e}");
        assert!(check_memory(&design, &factors, Some(needed)).is_ok());
        assert!(check_memory(&design, &factors, None).is_ok());
        let sobol = Design::Sobol { base_points: 1000 };
        assert_eq!(planned_points(&sobol, &factors), Some(4000));
        let grid = [
            levels(
                "a",
                vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)],
            ),
            levels("b", vec![Value::Integer(1), Value::Integer(2)]),
        ];
        assert_eq!(planned_points(&Design::Grid, &grid), Some(6));
    }

    #[test]
    fn empty_range_is_an_error_naming_min() {
        let e = gen_(
            &Design::Lhs { points: 5 },
            &[range("a", 1.0, 1.0)],
            &[KeyKind::Float],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[0].min");
        assert!(e.expected.contains("empty or inverted"), "{e}");
    }

    #[test]
    fn inverted_range_is_an_error_naming_min() {
        let factors = [range("a", 0.0, 1.0), range("b", 2.0, 1.0)];
        let e = gen_(
            &Design::Sobol { base_points: 4 },
            &factors,
            &[KeyKind::Float; 2],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[1].min");
        assert_eq!(e.value, "2");
    }

    #[test]
    fn wrong_level_type_is_an_error_naming_the_level_value_and_kind() {
        let factors = [levels(
            "a",
            vec![Value::Float(0.5), Value::String("x".into())],
        )];
        let e = gen_(&Design::Grid, &factors, &[KeyKind::Float], 1).unwrap_err();
        assert_eq!(e.key, "factors[0].levels[1]");
        assert_eq!(e.value, "\"x\"");
        assert!(e.expected.starts_with("a number"), "{e}");
        // A non-integral float for an integer key.
        let factors = [levels("n", vec![Value::Float(1.5)])];
        let e = gen_(&Design::Grid, &factors, &[KeyKind::Integer], 1).unwrap_err();
        assert_eq!(e.key, "factors[0].levels[0]");
        assert!(e.expected.starts_with("an integer"), "{e}");
    }

    #[test]
    fn other_validation_errors_name_their_key() {
        let fl = [KeyKind::Float];
        let cases: Vec<(Design, Vec<Factor>, &str)> = vec![
            (
                Design::Lhs { points: 1 },
                vec![range("a", 0.0, 1.0)],
                "design.points",
            ),
            (
                Design::Sobol { base_points: 1 },
                vec![range("a", 0.0, 1.0)],
                "design.base_points",
            ),
            (
                Design::Sobol {
                    base_points: 70_000,
                },
                vec![range("a", 0.0, 1.0)],
                "design.base_points",
            ),
            (
                Design::Morris {
                    trajectories: 0,
                    levels: 4,
                },
                vec![range("a", 0.0, 1.0)],
                "design.trajectories",
            ),
            (
                Design::Morris {
                    trajectories: 3,
                    levels: 5,
                },
                vec![range("a", 0.0, 1.0)],
                "design.levels",
            ),
            (
                Design::Lhs { points: 5 },
                vec![Factor {
                    path: "a".into(),
                    levels: Some(vec![Value::Float(1.0)]),
                    min: Some(0.0),
                    max: Some(1.0),
                }],
                "factors[0].levels",
            ),
            (Design::Grid, vec![levels("a", vec![])], "factors[0].levels"),
            (
                Design::Lhs { points: 5 },
                vec![Factor {
                    path: "a".into(),
                    levels: None,
                    min: Some(0.0),
                    max: None,
                }],
                "factors[0].max",
            ),
            (
                Design::Lhs { points: 5 },
                vec![range("a", 0.0, f64::INFINITY)],
                "factors[0].max",
            ),
            (
                Design::Lhs { points: 5 },
                vec![levels("a", vec![Value::Float(1.0)])],
                "factors",
            ),
            (Design::Lhs { points: 5 }, vec![bare("a")], "factors[0]"),
            (Design::Grid, vec![], "factors"),
        ];
        for (design, factors, key) in cases {
            let kinds = vec![fl[0]; factors.len()];
            let e = gen_(&design, &factors, &kinds, 1).unwrap_err();
            assert_eq!(e.key, key, "{design:?} {factors:?}: {e}");
        }
        // A duplicated path.
        let e = gen_(
            &Design::Lhs { points: 5 },
            &[range("a", 0.0, 1.0), range("a", 0.0, 2.0)],
            &[KeyKind::Float; 2],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[1].path");
        // Too many Sobol factors.
        let factors: Vec<Factor> = (0..SOBOL_MAX_FACTORS + 1)
            .map(|d| range(&format!("x{d}"), 0.0, 1.0))
            .collect();
        let e = gen_(
            &Design::Sobol { base_points: 2 },
            &factors,
            &vec![KeyKind::Float; factors.len()],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors");
        // The display form.
        let e = gen_(&Design::Lhs { points: 5 }, &[range("a", 3.0, 1.0)], &fl, 1).unwrap_err();
        assert!(
            e.to_string().starts_with("`factors[0].min` = 3: expected"),
            "{e}"
        );
    }

    #[test]
    fn designs_parse_from_toml_with_defaults_and_refuse_unknown_fields() {
        #[derive(Deserialize)]
        struct Sweep {
            design: Design,
            factors: Vec<Factor>,
        }
        let s: Sweep = toml::from_str(
            "[design]\nkind = \"morris\"\ntrajectories = 10\n\n[[factors]]\npath = \"a.b\"\nmin = 0\nmax = 1.5\n\n[[factors]]\npath = \"c\"\nlevels = [1, 2]\n",
        )
        .unwrap();
        assert_eq!(
            s.design,
            Design::Morris {
                trajectories: 10,
                levels: 4
            }
        );
        assert_eq!(s.factors[0], range("a.b", 0.0, 1.5));
        assert_eq!(
            s.factors[1].levels,
            Some(vec![Value::Integer(1), Value::Integer(2)])
        );
        let d: Design = toml::from_str("kind = \"sobol\"\nbase_points = 64").unwrap();
        assert_eq!(d, Design::Sobol { base_points: 64 });
        let d: Design = toml::from_str("kind = \"grid\"").unwrap();
        assert_eq!(d, Design::Grid);
        assert!(toml::from_str::<Design>("kind = \"lhs\"\npoints = 5\nextra = 1").is_err());
        assert!(toml::from_str::<Design>("kind = \"latin\"\npoints = 5").is_err());
        assert!(toml::from_str::<Factor>("path = \"a\"\nmni = 0").is_err());
    }

    #[test]
    fn role_columns_and_values_describe_points() {
        let factors = [
            levels("k", vec![Value::Float(1.0)]),
            range("a", 0.0, 1.0),
            range("b", 0.0, 1.0),
        ];
        assert!(role_columns(&Design::Grid).is_empty());
        assert_eq!(
            role_columns(&Design::Sobol { base_points: 2 }),
            vec!["sobol_base", "sobol_matrix"]
        );
        assert_eq!(
            role_columns(&Design::Morris {
                trajectories: 1,
                levels: 4
            }),
            vec!["morris_trajectory", "morris_step", "morris_changed"]
        );
        assert!(role_values(&PointRole::Plain, &factors).is_empty());
        assert_eq!(
            role_values(
                &PointRole::Sobol {
                    base: 3,
                    matrix: SobolMatrix::AB(1)
                },
                &factors
            ),
            vec!["3", "AB1"]
        );
        assert_eq!(
            role_values(
                &PointRole::Morris {
                    trajectory: 2,
                    step: 1,
                    changed: Some(1)
                },
                &factors
            ),
            vec!["2", "1", "b"]
        );
        assert_eq!(
            role_values(
                &PointRole::Morris {
                    trajectory: 2,
                    step: 0,
                    changed: None
                },
                &factors
            ),
            vec!["2", "0", ""]
        );
    }
}
