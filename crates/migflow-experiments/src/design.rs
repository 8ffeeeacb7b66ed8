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
//! - `table`: the points listed in a CSV file.
//!
//! In `lhs`, `sobol` and `morris` a factor with exactly one level is a
//! constant, and the factors with `min` and `max` are the design's
//! dimensions ("varied factors"), numbered in factor order; the indices in
//! [`PointRole`] are indices among the varied factors
//! (see [`varied_factors`]).
//!
//! Every random draw comes from [`Stream`]s keyed by the seed with
//! [`Purpose::Design`], so a design is a pure function of its inputs.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use migflow_core::params::path::{self, KeyKind};
use migflow_core::rng::{Purpose, Stream};

/// Most points a design may have.
pub const MAX_POINTS: usize = 10_000_000;
/// The largest table file a `table` design reads: room for [`MAX_POINTS`]
/// rows of many factors, while a wrong path (a device, a data file) cannot
/// fill memory.
pub const MAX_TABLE_BYTES: u64 = 1 << 30;
/// Most base points of a Sobol design (the sequence's length limit, 2^16).
pub const SOBOL_MAX_BASE_POINTS: usize = 1 << 16;
/// Most varied factors of a Sobol design (Saltelli needs 2k dimensions of
/// the sequence, which has [`sobol_burley::NUM_DIMENSIONS`]).
pub const SOBOL_MAX_FACTORS: usize = (sobol_burley::NUM_DIMENSIONS / 2) as usize;

/// Year components of the design streams, one per use.
const YEAR_LHS: u32 = 0;
const YEAR_SOBOL: u32 = 1;
const YEAR_MORRIS: u32 = 2;

/// Largest magnitude of a range bound for an integer key (exactly
/// representable as both f64 and i64).
const MAX_INTEGER_BOUND: f64 = 9.0e15;

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

impl TryFrom<DesignTable> for Design {
    type Error = String;

    fn try_from(t: DesignTable) -> Result<Design, String> {
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
                    points: t.points.ok_or("design `lhs` needs `design.points`")?,
                },
                &["points"],
            ),
            "sobol" => (
                Design::Sobol {
                    base_points: t
                        .base_points
                        .ok_or("design `sobol` needs `design.base_points`")?,
                },
                &["base_points"],
            ),
            "morris" => (
                Design::Morris {
                    trajectories: t
                        .trajectories
                        .ok_or("design `morris` needs `design.trajectories`")?,
                    levels: t.levels.unwrap_or_else(default_morris_levels),
                },
                &["trajectories", "levels"],
            ),
            "table" => (
                Design::Table {
                    file: t.file.ok_or("design `table` needs `design.file`")?,
                },
                &["file"],
            ),
            other => {
                return Err(format!(
                    "`design.kind` = {other:?}: expected one of grid, lhs, sobol, morris, table"
                ));
            }
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
            return Err(format!(
                "`design.{key}` does not apply to design `{}`, which takes {allowed}",
                t.kind
            ));
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
}

impl Design {
    /// The design's `kind` as written in the sweep file.
    pub fn name(&self) -> &'static str {
        match self {
            Design::Grid => "grid",
            Design::Lhs { .. } => "lhs",
            Design::Sobol { .. } => "sobol",
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

fn err(
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

/// The Morris step Δ = p / (2(p − 1)) on the unit scale, for `levels` = p.
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// Column names describing the roles of a design's points (for
/// `points.csv`); empty for grid, lhs and table.
pub fn role_columns(design: &Design) -> Vec<&'static str> {
    match design {
        Design::Grid | Design::Lhs { .. } | Design::Table { .. } => Vec::new(),
        Design::Sobol { .. } => vec!["sobol_base", "sobol_matrix"],
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
enum Spec {
    /// Levels, coerced to the key's kind.
    Levels(Vec<toml::Value>),
    /// A finite range, min < max.
    Range { min: f64, max: f64 },
    /// Neither levels nor a range (only valid in a table design).
    Unset,
}

fn check_factors(factors: &[Factor], kinds: &[KeyKind]) -> Result<Vec<Spec>, DesignError> {
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
    match design {
        Design::Grid => grid(factors, specs),
        Design::Table { file } => table(file, factors, kinds, &specs, table_base_dir),
        Design::Lhs { points } => {
            let n = *points;
            if n < 2 {
                return Err(err("design.points", n, "at least 2 points"));
            }
            if n > MAX_POINTS {
                return Err(err(
                    "design.points",
                    n,
                    format!("at most {MAX_POINTS} points"),
                ));
            }
            let space = Space::new(design, factors, kinds, specs)?;
            Ok(lhs(&space, n, seed))
        }
        Design::Sobol { base_points } => {
            let n = *base_points;
            if n < 2 {
                return Err(err("design.base_points", n, "at least 2 base points"));
            }
            if n > SOBOL_MAX_BASE_POINTS {
                return Err(err(
                    "design.base_points",
                    n,
                    format!(
                        "at most {SOBOL_MAX_BASE_POINTS} base points (the length of the Sobol sequence)"
                    ),
                ));
            }
            let space = Space::new(design, factors, kinds, specs)?;
            let k = space.dims.len();
            if k > SOBOL_MAX_FACTORS {
                return Err(err(
                    "factors",
                    format!("{k} varied factors"),
                    format!(
                        "at most {SOBOL_MAX_FACTORS} factors with `min` and `max` for design `sobol`"
                    ),
                ));
            }
            let total = n * (k + 2);
            if total > MAX_POINTS {
                return Err(err(
                    "design.base_points",
                    n,
                    format!(
                        "at most {MAX_POINTS} points in all (this gives {n} · ({k} + 2) = {total})"
                    ),
                ));
            }
            Ok(sobol(&space, n, seed))
        }
        Design::Morris {
            trajectories,
            levels,
        } => {
            let (r, p) = (*trajectories, *levels);
            if r < 1 {
                return Err(err("design.trajectories", r, "at least 1 trajectory"));
            }
            if p < 2 || p % 2 != 0 || p > 1 << 30 {
                return Err(err(
                    "design.levels",
                    p,
                    "an even number of levels from 2 to 2^30",
                ));
            }
            let space = Space::new(design, factors, kinds, specs)?;
            let k = space.dims.len();
            match r.checked_mul(k + 1) {
                Some(total) if total <= MAX_POINTS => {}
                _ => {
                    return Err(err(
                        "design.trajectories",
                        r,
                        format!(
                            "at most {MAX_POINTS} points in all (each trajectory has {} points)",
                            k + 1
                        ),
                    ));
                }
            }
            Ok(morris(&space, r, p, seed))
        }
    }
}

fn grid(factors: &[Factor], specs: Vec<Spec>) -> Result<Vec<Point>, DesignError> {
    let mut levels = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        match spec {
            Spec::Levels(l) => levels.push(l),
            Spec::Range { min, .. } => {
                return Err(err(
                    format!("factors[{i}].min"),
                    min,
                    "`levels`, not `min` and `max` (grid needs levels)",
                ));
            }
            Spec::Unset => {
                return Err(err(
                    format!("factors[{i}]"),
                    format!("\"{}\" without levels", factors[i].path),
                    "`levels` (grid needs levels)",
                ));
            }
        }
    }
    let count = levels
        .iter()
        .try_fold(1usize, |acc, l| acc.checked_mul(l.len()));
    match count {
        Some(c) if c <= MAX_POINTS => {}
        _ => {
            let shown = levels
                .iter()
                .map(|l| l.len().to_string())
                .collect::<Vec<_>>()
                .join(" × ");
            return Err(err(
                "design",
                format!("a grid of {shown} points"),
                format!("at most {MAX_POINTS} points"),
            ));
        }
    }
    let count = count.unwrap_or(0);
    let mut out = Vec::with_capacity(count);
    let mut idx = vec![0usize; levels.len()];
    for _ in 0..count {
        out.push(Point {
            values: idx
                .iter()
                .zip(&levels)
                .map(|(&j, l)| l[j].clone())
                .collect(),
            role: PointRole::Plain,
        });
        // Odometer: the last factor turns fastest.
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < levels[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(out)
}

/// The unit hypercube of a random design mapped onto the factors.
struct Space {
    /// Factor i's value when it is a constant.
    fixed: Vec<Option<toml::Value>>,
    /// The varied factors: (factor index, min, max, kind).
    dims: Vec<(usize, f64, f64, KeyKind)>,
}

impl Space {
    fn new(
        design: &Design,
        factors: &[Factor],
        kinds: &[KeyKind],
        specs: Vec<Spec>,
    ) -> Result<Space, DesignError> {
        let name = design.name();
        let needs = format!("design `{name}` needs numeric factors with `min` and `max`");
        let mut fixed = Vec::with_capacity(specs.len());
        let mut dims = Vec::new();
        for (i, spec) in specs.into_iter().enumerate() {
            match spec {
                Spec::Levels(mut l) if l.len() == 1 => fixed.push(l.pop()),
                Spec::Levels(l) => {
                    return Err(err(
                        format!("factors[{i}].levels"),
                        toml::Value::Array(l),
                        format!("`min` and `max`, or a single level for a constant: {needs}"),
                    ));
                }
                Spec::Range { min, max } => {
                    if !kinds[i].is_numeric() {
                        return Err(err(
                            format!("factors[{i}].min"),
                            min,
                            format!(
                                "no range, as `{}` holds {}: {needs} (a single level makes a constant)",
                                factors[i].path,
                                kinds[i].name()
                            ),
                        ));
                    }
                    fixed.push(None);
                    dims.push((i, min, max, kinds[i]));
                }
                Spec::Unset => {
                    return Err(err(
                        format!("factors[{i}]"),
                        format!("\"{}\" without levels or range", factors[i].path),
                        format!("`min` and `max`, or a single level for a constant: {needs}"),
                    ));
                }
            }
        }
        if dims.is_empty() {
            return Err(err(
                "factors",
                "no factor with `min` and `max`",
                format!("at least one varied factor: {needs}"),
            ));
        }
        Ok(Space { fixed, dims })
    }

    /// The point at unit coordinates `u` (one per varied factor, in [0, 1]).
    fn point(&self, u: &[f64], role: PointRole) -> Point {
        let mut values: Vec<toml::Value> = self
            .fixed
            .iter()
            .map(|v| v.clone().unwrap_or(toml::Value::Boolean(false)))
            .collect();
        for (&(i, min, max, kind), &u) in self.dims.iter().zip(u) {
            let x = (min + (max - min) * u).clamp(min, max);
            values[i] = match kind {
                KeyKind::Integer => toml::Value::Integer(x.round() as i64),
                _ => toml::Value::Float(x),
            };
        }
        Point { values, role }
    }
}

/// Fisher–Yates shuffle of `0..n` from `s`.
fn permutation(n: usize, s: &mut Stream) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = s.int_inclusive(0, i as i64) as usize;
        p.swap(i, j);
    }
    p
}

fn lhs(space: &Space, n: usize, seed: u64) -> Vec<Point> {
    let k = space.dims.len();
    let mut u = vec![0.0; n * k];
    for d in 0..k {
        // One stream per dimension (its index among the varied factors).
        let mut s = Stream::new(seed, 0, d as u64, YEAR_LHS, Purpose::Design);
        let strata = permutation(n, &mut s);
        for (i, &stratum) in strata.iter().enumerate() {
            u[i * k + d] = (stratum as f64 + s.uniform()) / n as f64;
        }
    }
    u.chunks(k)
        .map(|row| space.point(row, PointRole::Plain))
        .collect()
}

fn sobol(space: &Space, n: usize, seed: u64) -> Vec<Point> {
    let k = space.dims.len();
    let scramble = Stream::new(seed, 0, 0, YEAR_SOBOL, Purpose::Design)
        .int_inclusive(0, i64::from(u32::MAX)) as u32;
    let mut out = Vec::with_capacity(n * (k + 2));
    for base in 0..n {
        let draw = |d: usize| f64::from(sobol_burley::sample(base as u32, d as u32, scramble));
        let a: Vec<f64> = (0..k).map(draw).collect();
        let b: Vec<f64> = (k..2 * k).map(draw).collect();
        out.push(space.point(
            &a,
            PointRole::Sobol {
                base,
                matrix: SobolMatrix::A,
            },
        ));
        out.push(space.point(
            &b,
            PointRole::Sobol {
                base,
                matrix: SobolMatrix::B,
            },
        ));
        for j in 0..k {
            let mut ab = a.clone();
            ab[j] = b[j];
            out.push(space.point(
                &ab,
                PointRole::Sobol {
                    base,
                    matrix: SobolMatrix::AB(j),
                },
            ));
        }
    }
    out
}

fn morris(space: &Space, r: usize, p: usize, seed: u64) -> Vec<Point> {
    let k = space.dims.len();
    // Work on grid indices 0..p; Δ is p/2 grid steps of 1/(p−1).
    let half = p / 2;
    let scale = 1.0 / (p - 1) as f64;
    let mut out = Vec::with_capacity(r * (k + 1));
    for t in 0..r {
        let mut s = Stream::new(seed, 0, t as u64, YEAR_MORRIS, Purpose::Design);
        // Base x* on {0, 1/(p−1), …, 1 − Δ}.
        let base: Vec<usize> = (0..k)
            .map(|_| s.int_inclusive(0, half as i64 - 1) as usize)
            .collect();
        let up: Vec<bool> = (0..k).map(|_| s.int_inclusive(0, 1) == 1).collect();
        let order = permutation(k, &mut s);
        // SALib's B* construction: a factor moving down starts at x* + Δ.
        let mut level: Vec<usize> = (0..k)
            .map(|d| if up[d] { base[d] } else { base[d] + half })
            .collect();
        let unit = |level: &[usize]| {
            level
                .iter()
                .map(|&l| l as f64 * scale)
                .collect::<Vec<f64>>()
        };
        out.push(space.point(
            &unit(&level),
            PointRole::Morris {
                trajectory: t,
                step: 0,
                changed: None,
            },
        ));
        for (j, &d) in order.iter().enumerate() {
            level[d] = if up[d] {
                level[d] + half
            } else {
                level[d] - half
            };
            out.push(space.point(
                &unit(&level),
                PointRole::Morris {
                    trajectory: t,
                    step: j + 1,
                    changed: Some(d),
                },
            ));
        }
    }
    out
}

/// Parse a table cell as a value of `kind`.
fn parse_cell(cell: &str, kind: KeyKind) -> Option<toml::Value> {
    if cell.is_empty() {
        return None;
    }
    match kind {
        KeyKind::Float => cell
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(toml::Value::Float),
        KeyKind::Integer => match cell.parse::<i64>() {
            Ok(i) => Some(toml::Value::Integer(i)),
            Err(_) => cell
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.fract() == 0.0 && x.abs() <= MAX_INTEGER_BOUND)
                .map(|x| toml::Value::Integer(x as i64)),
        },
        KeyKind::Bool => match cell {
            "true" => Some(toml::Value::Boolean(true)),
            "false" => Some(toml::Value::Boolean(false)),
            _ => None,
        },
        KeyKind::String => Some(toml::Value::String(cell.to_string())),
        KeyKind::Compound => None,
    }
}

/// Open a table file (cells trimmed, at most [`MAX_TABLE_BYTES`]), with
/// errors about `design.file`.
fn open_table(full: &Path) -> Result<migflow_io::NamedCsv, DesignError> {
    let shown = full.display().to_string();
    migflow_io::NamedCsv::options()
        .trim()
        .max_bytes(MAX_TABLE_BYTES)
        .open(full)
        .map_err(|e| {
            let expected = match e {
                migflow_io::Error::Read { source, .. } => {
                    format!("a readable CSV file ({source})")
                }
                migflow_io::Error::Input { message, .. }
                    if message.starts_with("cannot read the header")
                        || message.starts_with("empty") =>
                {
                    format!("a CSV file with a header row ({message})")
                }
                other => format!("a readable CSV file ({other})"),
            };
            err("design.file", format!("\"{shown}\""), expected)
        })
}

/// The column names of a table file (for a caller that wants to list the
/// factors from the header).
pub fn table_columns(file: &str, table_base_dir: &Path) -> Result<Vec<String>, DesignError> {
    Ok(open_table(&table_base_dir.join(file))?.header().to_vec())
}

fn table(
    file: &str,
    factors: &[Factor],
    kinds: &[KeyKind],
    specs: &[Spec],
    table_base_dir: &Path,
) -> Result<Vec<Point>, DesignError> {
    if file.trim().is_empty() {
        return Err(err("design.file", "\"\"", "the path of a CSV file"));
    }
    for (i, spec) in specs.iter().enumerate() {
        let field = match spec {
            Spec::Unset => continue,
            Spec::Levels(_) => "levels",
            Spec::Range { .. } => "min",
        };
        let f = &factors[i];
        let value = match spec {
            Spec::Levels(_) => toml::Value::Array(f.levels.clone().unwrap_or_default()).to_string(),
            _ => f.min.map(|m| m.to_string()).unwrap_or_default(),
        };
        return Err(err(
            format!("factors[{i}].{field}"),
            value,
            "only a `path`: with design `table` the values come from the table",
        ));
    }
    let full = table_base_dir.join(file);
    let shown = full.display().to_string();
    let mut table = open_table(&full)?;
    let header = table.header().to_vec();
    let paths = factors
        .iter()
        .map(|f| format!("`{}`", f.path))
        .collect::<Vec<_>>()
        .join(", ");
    // Column of each factor.
    let mut column = vec![usize::MAX; factors.len()];
    for (c, name) in header.iter().enumerate() {
        let Some(i) = factors.iter().position(|f| &f.path == name) else {
            return Err(err(
                format!("{shown}, line 1, column {}", c + 1),
                format!("\"{name}\""),
                format!("a column named after a factor's path: one column each for {paths}"),
            ));
        };
        if column[i] != usize::MAX {
            return Err(err(
                format!("{shown}, line 1, column {}", c + 1),
                format!("\"{name}\""),
                format!(
                    "each factor's column once (`{name}` is also column {})",
                    column[i] + 1
                ),
            ));
        }
        column[i] = c;
    }
    if let Some(i) = column.iter().position(|&c| c == usize::MAX) {
        return Err(err(
            format!("factors[{i}].path"),
            format!("\"{}\"", factors[i].path),
            format!("a column of the table {shown}"),
        ));
    }
    let mut out = Vec::new();
    loop {
        let row = table.try_next_row().map_err(|m| {
            let at = m.line.map(|l| format!(", line {l}")).unwrap_or_default();
            err(
                format!("{shown}{at}"),
                "an unreadable row",
                format!("a CSV row with one cell per column ({})", m.message),
            )
        })?;
        let Some(row) = row else { break };
        let line = row.line();
        if out.len() == MAX_POINTS {
            return Err(err(
                "design.file",
                format!("\"{shown}\""),
                format!("at most {MAX_POINTS} rows"),
            ));
        }
        let mut values = Vec::with_capacity(factors.len());
        for (i, f) in factors.iter().enumerate() {
            let cell = row.get(column[i]);
            match parse_cell(cell, kinds[i]) {
                Some(v) => values.push(v),
                None => {
                    return Err(err(
                        format!("{shown}, line {line}, column `{}`", f.path),
                        format!("\"{cell}\""),
                        format!("{} (the kind of `{}`)", kinds[i].name(), f.path),
                    ));
                }
            }
        }
        out.push(Point {
            values,
            role: PointRole::Plain,
        });
    }
    if out.is_empty() {
        return Err(err(
            "design.file",
            format!("\"{shown}\""),
            "a table with at least one row of values under the header",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use toml::Value;

    fn range(path: &str, min: f64, max: f64) -> Factor {
        Factor {
            path: path.into(),
            levels: None,
            min: Some(min),
            max: Some(max),
        }
    }

    fn levels(path: &str, l: Vec<Value>) -> Factor {
        Factor {
            path: path.into(),
            levels: Some(l),
            min: None,
            max: None,
        }
    }

    fn bare(path: &str) -> Factor {
        Factor {
            path: path.into(),
            levels: None,
            min: None,
            max: None,
        }
    }

    fn gen_(
        design: &Design,
        factors: &[Factor],
        kinds: &[KeyKind],
        seed: u64,
    ) -> Result<Vec<Point>, DesignError> {
        generate(design, factors, kinds, seed, Path::new("."))
    }

    fn f(v: &Value) -> f64 {
        match v {
            Value::Float(x) => *x,
            Value::Integer(i) => *i as f64,
            _ => panic!("not a number: {v}"),
        }
    }

    #[test]
    fn grid_count_is_product_and_last_factor_varies_fastest() {
        let factors = [
            levels("a", vec![Value::Integer(1), Value::Integer(2)]),
            levels(
                "b",
                vec![Value::Float(0.1), Value::Float(0.2), Value::Float(0.3)],
            ),
            levels("c", vec![Value::Boolean(true), Value::Boolean(false)]),
        ];
        let kinds = [KeyKind::Integer, KeyKind::Float, KeyKind::Bool];
        let pts = gen_(&Design::Grid, &factors, &kinds, 1).unwrap();
        assert_eq!(pts.len(), 2 * 3 * 2);
        let mut expected = Vec::new();
        for a in [1, 2] {
            for b in [0.1, 0.2, 0.3] {
                for c in [true, false] {
                    expected.push(vec![Value::Integer(a), Value::Float(b), Value::Boolean(c)]);
                }
            }
        }
        let got: Vec<_> = pts.iter().map(|p| p.values.clone()).collect();
        assert_eq!(got, expected);
        assert!(pts.iter().all(|p| p.role == PointRole::Plain));
    }

    #[test]
    fn grid_levels_are_coerced_to_the_key_kind() {
        let factors = [
            levels("a", vec![Value::Integer(1)]),
            levels("b", vec![Value::Float(3.0)]),
        ];
        let pts = gen_(
            &Design::Grid,
            &factors,
            &[KeyKind::Float, KeyKind::Integer],
            1,
        )
        .unwrap();
        assert_eq!(pts[0].values, vec![Value::Float(1.0), Value::Integer(3)]);
    }

    #[test]
    fn grid_refuses_more_than_ten_million_points() {
        let l: Vec<Value> = (0..1000).map(Value::Integer).collect();
        let factors = [
            levels("a", l.clone()),
            levels("b", l.clone()),
            levels("c", l),
        ];
        let e = gen_(&Design::Grid, &factors, &[KeyKind::Integer; 3], 1).unwrap_err();
        assert_eq!(e.key, "design");
        assert!(e.expected.contains("10000000"), "{e}");
    }

    #[test]
    fn lhs_hits_every_stratum_of_every_dimension_exactly_once() {
        let n = 97;
        let factors = [
            range("a", 0.0, 1.0),
            range("b", -5.0, 5.0),
            range("c", 10.0, 20.0),
        ];
        let pts = gen_(
            &Design::Lhs { points: n },
            &factors,
            &[KeyKind::Float; 3],
            7,
        )
        .unwrap();
        assert_eq!(pts.len(), n);
        for (d, fac) in factors.iter().enumerate() {
            let (min, max) = (fac.min.unwrap(), fac.max.unwrap());
            let mut hits = vec![0; n];
            for p in &pts {
                let u = (f(&p.values[d]) - min) / (max - min);
                assert!((0.0..1.0).contains(&u));
                hits[((u * n as f64) as usize).min(n - 1)] += 1;
            }
            assert!(hits.iter().all(|&h| h == 1), "dimension {d}: {hits:?}");
        }
    }

    #[test]
    fn saltelli_structure_has_n_times_k_plus_2_points_and_ab_mixes_a_and_b() {
        let n = 16;
        let factors = [
            range("a", 0.0, 1.0),
            levels("const", vec![Value::Float(0.5)]),
            range("b", 1.0, 2.0),
            range("c", -1.0, 0.0),
        ];
        let k = 3;
        let kinds = [KeyKind::Float; 4];
        let pts = gen_(&Design::Sobol { base_points: n }, &factors, &kinds, 3).unwrap();
        assert_eq!(pts.len(), n * (k + 2));
        let dims = varied_factors(&factors);
        assert_eq!(dims, vec![0, 2, 3]);
        for (base, group) in pts.chunks(k + 2).enumerate() {
            let (a, b) = (&group[0], &group[1]);
            assert_eq!(
                a.role,
                PointRole::Sobol {
                    base,
                    matrix: SobolMatrix::A
                }
            );
            assert_eq!(
                b.role,
                PointRole::Sobol {
                    base,
                    matrix: SobolMatrix::B
                }
            );
            for j in 0..k {
                let ab = &group[2 + j];
                assert_eq!(
                    ab.role,
                    PointRole::Sobol {
                        base,
                        matrix: SobolMatrix::AB(j)
                    }
                );
                for (jj, &i) in dims.iter().enumerate() {
                    let want = if jj == j { &b.values[i] } else { &a.values[i] };
                    assert_eq!(&ab.values[i], want, "base {base} AB{j} factor {i}");
                }
                assert_eq!(ab.values[1], Value::Float(0.5));
            }
            // A and B differ in every coordinate.
            for &i in &dims {
                assert_ne!(a.values[i], b.values[i]);
            }
        }
    }

    #[test]
    fn sobol_a_and_b_points_have_low_discrepancy() {
        let n = 256;
        let k = 4;
        let factors: Vec<Factor> = (0..k).map(|d| range(&format!("x{d}"), 0.0, 1.0)).collect();
        let pts = gen_(
            &Design::Sobol { base_points: n },
            &factors,
            &vec![KeyKind::Float; k],
            11,
        )
        .unwrap();
        for matrix in [SobolMatrix::A, SobolMatrix::B] {
            let sel: Vec<&Point> = pts
                .iter()
                .filter(|p| matches!(p.role, PointRole::Sobol { matrix: m, .. } if m == matrix))
                .collect();
            assert_eq!(sel.len(), n);
            for d in 0..k {
                let mean = sel.iter().map(|p| f(&p.values[d])).sum::<f64>() / n as f64;
                assert!(
                    (mean - 0.5).abs() < 0.01,
                    "{matrix} coordinate {d}: mean {mean}"
                );
                // A power-of-two prefix is a net: every 1/n stratum once.
                let mut hits = vec![0; n];
                for p in &sel {
                    hits[(f(&p.values[d]) * n as f64) as usize] += 1;
                }
                assert!(hits.iter().all(|&h| h == 1), "{matrix} coordinate {d}");
            }
        }
    }

    fn morris_points(k: usize, r: usize, p: usize, seed: u64) -> (Vec<Factor>, Vec<Point>) {
        let factors: Vec<Factor> = (0..k)
            .map(|d| range(&format!("x{d}"), d as f64, 2.0 * d as f64 + 3.0))
            .collect();
        let pts = gen_(
            &Design::Morris {
                trajectories: r,
                levels: p,
            },
            &factors,
            &vec![KeyKind::Float; k],
            seed,
        )
        .unwrap();
        (factors, pts)
    }

    #[test]
    fn morris_steps_change_one_factor_by_delta_each_factor_once_within_range() {
        for p in [2, 4, 6] {
            let (k, r) = (5, 20);
            let (factors, pts) = morris_points(k, r, p, 5);
            assert_eq!(pts.len(), r * (k + 1));
            let delta = morris_delta(p);
            for (t, traj) in pts.chunks(k + 1).enumerate() {
                let mut changed_count = vec![0; k];
                assert_eq!(
                    traj[0].role,
                    PointRole::Morris {
                        trajectory: t,
                        step: 0,
                        changed: None
                    }
                );
                for step in 1..=k {
                    let (prev, cur) = (&traj[step - 1], &traj[step]);
                    let diffs: Vec<usize> = (0..k)
                        .filter(|&d| prev.values[d] != cur.values[d])
                        .collect();
                    assert_eq!(diffs.len(), 1, "p {p} trajectory {t} step {step}");
                    let d = diffs[0];
                    assert_eq!(
                        cur.role,
                        PointRole::Morris {
                            trajectory: t,
                            step,
                            changed: Some(d)
                        }
                    );
                    let span = factors[d].max.unwrap() - factors[d].min.unwrap();
                    let moved = (f(&cur.values[d]) - f(&prev.values[d])).abs();
                    assert!(
                        (moved - delta * span).abs() < 1e-9 * span,
                        "moved {moved}, Δ·span {}",
                        delta * span
                    );
                    changed_count[d] += 1;
                }
                assert!(changed_count.iter().all(|&c| c == 1), "{changed_count:?}");
                for pt in traj {
                    for (d, fac) in factors.iter().enumerate() {
                        let x = f(&pt.values[d]);
                        assert!(
                            x >= fac.min.unwrap() && x <= fac.max.unwrap(),
                            "{x} outside {fac:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn morris_moves_in_both_directions_and_visits_both_ends() {
        let (factors, pts) = morris_points(3, 50, 4, 9);
        let (mut up, mut down) = (0, 0);
        for traj in pts.chunks(4) {
            for w in traj.windows(2) {
                let d = (0..3).find(|&d| w[0].values[d] != w[1].values[d]).unwrap();
                if f(&w[1].values[d]) > f(&w[0].values[d]) {
                    up += 1
                } else {
                    down += 1
                }
            }
        }
        assert!(up > 30 && down > 30, "up {up} down {down}");
        let x0: Vec<f64> = pts.iter().map(|p| f(&p.values[0])).collect();
        assert!(x0.contains(&factors[0].min.unwrap()));
        assert!(x0.contains(&factors[0].max.unwrap()));
    }

    #[test]
    fn integer_keys_get_integers() {
        let factors = [range("n", 1.0, 9.0), range("x", 0.0, 1.0)];
        let kinds = [KeyKind::Integer, KeyKind::Float];
        for design in [
            Design::Lhs { points: 20 },
            Design::Sobol { base_points: 8 },
            Design::Morris {
                trajectories: 5,
                levels: 4,
            },
        ] {
            let pts = gen_(&design, &factors, &kinds, 2).unwrap();
            for p in &pts {
                let Value::Integer(i) = p.values[0] else {
                    panic!("{design:?}: {:?}", p.values[0])
                };
                assert!((1..=9).contains(&i));
                assert!(matches!(p.values[1], Value::Float(_)));
            }
        }
    }

    #[test]
    fn constants_stay_constant() {
        let factors = [
            levels("name", vec![Value::String("east".into())]),
            range("x", 0.0, 1.0),
            levels("flag", vec![Value::Boolean(true)]),
            levels("n", vec![Value::Float(4.0)]),
        ];
        let kinds = [
            KeyKind::String,
            KeyKind::Float,
            KeyKind::Bool,
            KeyKind::Integer,
        ];
        for design in [
            Design::Lhs { points: 10 },
            Design::Sobol { base_points: 4 },
            Design::Morris {
                trajectories: 3,
                levels: 4,
            },
        ] {
            let pts = gen_(&design, &factors, &kinds, 4).unwrap();
            for p in &pts {
                assert_eq!(p.values[0], Value::String("east".into()));
                assert_eq!(p.values[2], Value::Boolean(true));
                assert_eq!(p.values[3], Value::Integer(4));
            }
            let xs: Vec<f64> = pts.iter().map(|p| f(&p.values[1])).collect();
            assert!(xs.iter().any(|&x| x != xs[0]), "{design:?} does not vary x");
        }
    }

    #[test]
    fn same_seed_gives_same_points_and_different_seed_different_points() {
        let factors = [range("a", 0.0, 1.0), range("b", 0.0, 10.0)];
        let kinds = [KeyKind::Float; 2];
        for design in [
            Design::Lhs { points: 10 },
            Design::Sobol { base_points: 8 },
            Design::Morris {
                trajectories: 4,
                levels: 6,
            },
        ] {
            let a = gen_(&design, &factors, &kinds, 42).unwrap();
            let b = gen_(&design, &factors, &kinds, 42).unwrap();
            let c = gen_(&design, &factors, &kinds, 43).unwrap();
            assert_eq!(a, b, "{design:?}");
            assert_ne!(a, c, "{design:?}");
        }
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
    fn sobol_with_a_bool_factor_is_an_error() {
        let factors = [range("a", 0.0, 1.0), range("flag", 0.0, 1.0)];
        let e = gen_(
            &Design::Sobol { base_points: 4 },
            &factors,
            &[KeyKind::Float, KeyKind::Bool],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[1].min");
        assert!(
            e.expected
                .contains("design `sobol` needs numeric factors with `min` and `max`"),
            "{e}"
        );
        // Several levels are not a dimension either.
        let factors = [
            range("a", 0.0, 1.0),
            levels("flag", vec![Value::Boolean(true), Value::Boolean(false)]),
        ];
        let e = gen_(
            &Design::Sobol { base_points: 4 },
            &factors,
            &[KeyKind::Float, KeyKind::Bool],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[1].levels");
        assert!(e.expected.contains("needs numeric factors"), "{e}");
    }

    #[test]
    fn grid_with_a_range_is_an_error() {
        let factors = [levels("a", vec![Value::Float(1.0)]), range("b", 0.0, 1.0)];
        let e = gen_(&Design::Grid, &factors, &[KeyKind::Float; 2], 1).unwrap_err();
        assert_eq!(e.key, "factors[1].min");
        assert!(e.expected.contains("grid needs levels"), "{e}");
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

    fn write_table(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn table_reads_rows_with_columns_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        write_table(
            dir.path(),
            "pts.csv",
            "b,a,c,s\n 2 ,0.5,true,east\n3.0,1,false,west\n",
        );
        let factors = [bare("a"), bare("b"), bare("c"), bare("s")];
        let kinds = [
            KeyKind::Float,
            KeyKind::Integer,
            KeyKind::Bool,
            KeyKind::String,
        ];
        let design = Design::Table {
            file: "pts.csv".into(),
        };
        let pts = generate(&design, &factors, &kinds, 0, dir.path()).unwrap();
        assert_eq!(pts.len(), 2);
        assert_eq!(
            pts[0].values,
            vec![
                Value::Float(0.5),
                Value::Integer(2),
                Value::Boolean(true),
                Value::String("east".into())
            ]
        );
        assert_eq!(
            pts[1].values,
            vec![
                Value::Float(1.0),
                Value::Integer(3),
                Value::Boolean(false),
                Value::String("west".into())
            ]
        );
        assert_eq!(
            table_columns("pts.csv", dir.path()).unwrap(),
            vec!["b", "a", "c", "s"]
        );
    }

    #[test]
    fn table_with_a_bad_cell_is_an_error_naming_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        write_table(dir.path(), "pts.csv", "a,n\n0.5,1\n0.7,1.5\n");
        let design = Design::Table {
            file: "pts.csv".into(),
        };
        let factors = [bare("a"), bare("n")];
        let e = generate(
            &design,
            &factors,
            &[KeyKind::Float, KeyKind::Integer],
            0,
            dir.path(),
        )
        .unwrap_err();
        assert!(e.key.contains("pts.csv"), "{e}");
        assert!(e.key.contains("line 3"), "{e}");
        assert!(e.key.contains("column `n`"), "{e}");
        assert_eq!(e.value, "\"1.5\"");
        assert!(e.expected.starts_with("an integer"), "{e}");
        // A bad boolean and a non-number.
        write_table(dir.path(), "b.csv", "a,n\nyes,1\n");
        let d = Design::Table {
            file: "b.csv".into(),
        };
        let e = generate(
            &d,
            &factors,
            &[KeyKind::Bool, KeyKind::Integer],
            0,
            dir.path(),
        )
        .unwrap_err();
        assert!(e.key.contains("line 2, column `a`"), "{e}");
        write_table(dir.path(), "c.csv", "a,n\nNaN,1\n");
        let d = Design::Table {
            file: "c.csv".into(),
        };
        assert!(
            generate(
                &d,
                &factors,
                &[KeyKind::Float, KeyKind::Integer],
                0,
                dir.path()
            )
            .is_err()
        );
    }

    #[test]
    fn table_errors_for_header_mismatch_empty_table_ragged_rows_and_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let factors = [bare("a"), bare("n")];
        let kinds = [KeyKind::Float, KeyKind::Integer];
        let run = |file: &str, text: Option<&str>| {
            if let Some(t) = text {
                write_table(dir.path(), file, t);
            }
            generate(
                &Design::Table { file: file.into() },
                &factors,
                &kinds,
                0,
                dir.path(),
            )
            .unwrap_err()
        };
        let e = run("extra.csv", Some("a,n,z\n1,2,3\n"));
        assert!(e.key.contains("column 3") && e.value == "\"z\"", "{e}");
        let e = run("missing.csv", Some("a\n1\n"));
        assert_eq!(e.key, "factors[1].path");
        let e = run("dup.csv", Some("a,n,a\n1,2,3\n"));
        assert!(e.expected.contains("once"), "{e}");
        let e = run("empty.csv", Some("a,n\n"));
        assert_eq!(e.key, "design.file");
        assert!(e.expected.contains("at least one row"), "{e}");
        let e = run("ragged.csv", Some("a,n\n1,2\n3\n"));
        assert!(e.key.contains("line 3"), "{e}");
        let e = run("nonexistent.csv", None);
        assert_eq!(e.key, "design.file");
        // Factors of a table design carry only a path.
        let e = generate(
            &Design::Table {
                file: "x.csv".into(),
            },
            &[range("a", 0.0, 1.0)],
            &[KeyKind::Float],
            0,
            dir.path(),
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[0].min");
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
