//! The table handed to PRIM and CART: one row per design point, the
//! factors that vary as numeric or categorical columns, and whether the
//! point is a case of interest.

use std::collections::BTreeMap;
use std::path::Path;

use migflow_io::error::{Error, Result};
use migflow_io::results::SweepResults;

/// The name of the factor column that holds a sweep's policy names.
pub const POLICY_COLUMN: &str = "policy";

/// The fewest design points a discovery is run on: below this a box's
/// statistics are a handful of points, and PRIM's 5 % peels remove none.
pub const MIN_POINTS: usize = 10;

/// How a factor is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Numbers that are not all integers: peeled at quantiles.
    Real,
    /// Integers (grid levels, counts): peeled to data values, as the EMA
    /// Workbench peels an integer column.
    Int,
    /// Text or `true`/`false`: restricted to a set of categories.
    Categorical,
}

impl Kind {
    /// The name written in the output files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Real => "real",
            Kind::Int => "int",
            Kind::Categorical => "categorical",
        }
    }
}

/// One factor's values over the rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// A numeric factor ([`Kind::Real`] or [`Kind::Int`]); integers are
    /// held exactly as `f64`.
    Numeric {
        /// Real or Int.
        kind: Kind,
        /// The value of each row.
        values: Vec<f64>,
    },
    /// A categorical factor: each row's category as an index into `levels`.
    Categorical {
        /// The index of each row's category.
        codes: Vec<usize>,
        /// The categories, sorted.
        levels: Vec<String>,
    },
}

impl Column {
    /// The kind of the column.
    pub fn kind(&self) -> Kind {
        match self {
            Column::Numeric { kind, .. } => *kind,
            Column::Categorical { .. } => Kind::Categorical,
        }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric { values, .. } => values.len(),
            Column::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s value as text (the form written to `cases.csv`).
    pub fn text(&self, i: usize) -> String {
        match self {
            Column::Numeric {
                kind: Kind::Int,
                values,
            } => format!("{}", values[i] as i64),
            Column::Numeric { values, .. } => format!("{}", values[i]),
            Column::Categorical { codes, levels } => levels[codes[i]].clone(),
        }
    }
}

/// The factors of a set of rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The factor names, in the sweep's order.
    pub names: Vec<String>,
    /// The columns, one per name.
    pub columns: Vec<Column>,
}

impl Table {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }
}

/// Which design points are cases: the outcome's mean compared with a
/// number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    /// The comparison.
    pub op: Comparison,
    /// The number compared with.
    pub value: f64,
}

/// A comparison of [`Condition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`
    Greater,
    /// `>=`
    GreaterEqual,
    /// `<`
    Less,
    /// `<=`
    LessEqual,
}

impl Condition {
    /// Parse `"> 0.05"`, `">=0.1"`, `"< -2"`; the error says what was
    /// expected.
    pub fn parse(s: &str) -> std::result::Result<Condition, String> {
        let t = s.trim();
        let (op, rest) = if let Some(r) = t.strip_prefix(">=") {
            (Comparison::GreaterEqual, r)
        } else if let Some(r) = t.strip_prefix("<=") {
            (Comparison::LessEqual, r)
        } else if let Some(r) = t.strip_prefix('>') {
            (Comparison::Greater, r)
        } else if let Some(r) = t.strip_prefix('<') {
            (Comparison::Less, r)
        } else {
            return Err(format!(
                "`{s}` is not a condition: expected one of >, >=, <, <= and a number, e.g. \"> 0.05\""
            ));
        };
        match rest.trim().parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Condition { op, value }),
            _ => Err(format!(
                "`{s}`: `{}` is not a finite number (expected e.g. \"> 0.05\")",
                rest.trim()
            )),
        }
    }

    /// Whether `x` satisfies the condition.
    pub fn holds(&self, x: f64) -> bool {
        match self.op {
            Comparison::Greater => x > self.value,
            Comparison::GreaterEqual => x >= self.value,
            Comparison::Less => x < self.value,
            Comparison::LessEqual => x <= self.value,
        }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = match self.op {
            Comparison::Greater => ">",
            Comparison::GreaterEqual => ">=",
            Comparison::Less => "<",
            Comparison::LessEqual => "<=",
        };
        write!(f, "{op} {}", self.value)
    }
}

/// The rows of a discovery: the design points, their factors, the mean
/// outcome and whether each is a case.
#[derive(Debug, Clone, PartialEq)]
pub struct Cases {
    /// The design point of each row.
    pub points: Vec<u64>,
    /// The factors that vary.
    pub table: Table,
    /// The outcome's mean over each point's completed replicates.
    pub means: Vec<f64>,
    /// Whether each row is a case of interest.
    pub cases: Vec<bool>,
    /// What was dropped, and why.
    pub notes: Vec<String>,
}

/// Build the rows of a discovery from a sweep: average `outcome` over each
/// point's completed replicates, keep one policy's points if asked, drop
/// factors that take one value, and mark the cases.
pub fn cases(
    sweep: &SweepResults,
    outcome: &str,
    condition: &Condition,
    policy: Option<&str>,
) -> Result<Cases> {
    let runs_csv = migflow_io::columnar::present_table(&sweep.dir, "runs.csv");
    let input = |message: String| Error::Input {
        path: runs_csv.clone(),
        message,
    };
    let Some(oi) = sweep.outcome_names.iter().position(|o| o == outcome) else {
        // The closest names first: a typo finds its column.
        let mut names: Vec<&str> = sweep.outcome_names.iter().map(String::as_str).collect();
        names.sort_by(|a, b| {
            strsim::jaro_winkler(b, outcome)
                .total_cmp(&strsim::jaro_winkler(a, outcome))
                .then(a.cmp(b))
        });
        let more = if names.len() > 8 {
            format!(", … ({} in all)", names.len())
        } else {
            String::new()
        };
        names.truncate(8);
        return Err(input(format!(
            "no outcome column `{outcome}` (expected one of: {}{more})",
            names.join(", ")
        )));
    };
    let mut notes = Vec::new();

    // Per point: its factors (the same in every replicate) and the sum and
    // count of its completed replicates' outcome.
    let mut by_point: BTreeMap<u64, (Vec<String>, f64, usize)> = BTreeMap::new();
    for run in &sweep.runs {
        let entry = by_point
            .entry(run.point)
            .or_insert_with(|| (run.factors.clone(), 0.0, 0));
        if let (true, Some(v)) = (run.ok, run.outcomes.get(oi).copied().flatten())
            && v.is_finite()
        {
            entry.1 += v;
            entry.2 += 1;
        }
    }
    let without = by_point.values().filter(|e| e.2 == 0).count();
    if without > 0 {
        notes.push(format!(
            "{without} design point(s) dropped: no completed replicate with a value of `{outcome}`"
        ));
    }
    let mut rows: Vec<(u64, Vec<String>, f64)> = by_point
        .into_iter()
        .filter(|(_, e)| e.2 > 0)
        .map(|(p, (f, s, n))| (p, f, s / n as f64))
        .collect();

    let mut names = sweep.factors.clone();
    let policy_col = names.iter().position(|n| n == POLICY_COLUMN);
    if let Some(name) = policy {
        let Some(pc) = policy_col else {
            return Err(input(format!(
                "the policy `{name}` was asked for, but this sweep has no `{POLICY_COLUMN}` factor column (its factors: {})",
                names.join(", ")
            )));
        };
        let known: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.1[pc].as_str()).collect();
        if !known.contains(name) {
            return Err(input(format!(
                "no policy `{name}` in this sweep (expected one of: {})",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        rows.retain(|r| r.1[pc] == name);
        for r in &mut rows {
            r.1.remove(pc);
        }
        names.remove(pc);
    }

    if rows.len() < MIN_POINTS {
        return Err(input(format!(
            "{} design point(s) with a value of `{outcome}`{}: scenario discovery needs at least {MIN_POINTS}",
            rows.len(),
            policy.map_or(String::new(), |p| format!(" for the policy `{p}`"))
        )));
    }

    let mut table = Table::default();
    let mut dropped = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let texts: Vec<&str> = rows.iter().map(|r| r.1[j].as_str()).collect();
        let distinct: std::collections::BTreeSet<&str> = texts.iter().copied().collect();
        let numbers: Option<Vec<f64>> = texts
            .iter()
            .map(|t| t.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        let column = match numbers {
            Some(values) => {
                let first = values[0];
                if values.iter().all(|v| *v == first) {
                    dropped.push(name.clone());
                    continue;
                }
                // Integers beyond 2^53 are not held exactly; treat them as reals.
                let int = values
                    .iter()
                    .all(|v| v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15);
                Column::Numeric {
                    kind: if int { Kind::Int } else { Kind::Real },
                    values,
                }
            }
            None => {
                if distinct.len() < 2 {
                    dropped.push(name.clone());
                    continue;
                }
                let levels: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
                let codes = texts
                    .iter()
                    .map(|t| levels.binary_search_by(|l| l.as_str().cmp(t)).unwrap_or(0))
                    .collect();
                Column::Categorical { codes, levels }
            }
        };
        table.names.push(name.clone());
        table.columns.push(column);
    }
    if !dropped.is_empty() {
        notes.push(format!(
            "factor(s) dropped, each takes one value over the points analysed: {}",
            dropped.join(", ")
        ));
    }
    if table.columns.is_empty() {
        return Err(input(format!(
            "no factor varies over the {} design points (factors: {}): there is nothing to discover",
            rows.len(),
            names.join(", ")
        )));
    }

    let means: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let cases: Vec<bool> = means.iter().map(|m| condition.holds(*m)).collect();
    let k = cases.iter().filter(|c| **c).count();
    if k == 0 || k == cases.len() {
        let lo = means.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        return Err(input(format!(
            "the condition `{outcome} {condition}` selects {} of the {} design points (the point means of `{outcome}` range from {lo} to {hi}): choose a condition that some points meet and some do not",
            if k == 0 { "none" } else { "all" },
            cases.len()
        )));
    }
    Ok(Cases {
        points: rows.iter().map(|r| r.0).collect(),
        table,
        means,
        cases,
        notes,
    })
}

/// Where a discovery's input came from, for error messages that name it.
pub fn runs_csv(dir: &Path) -> std::path::PathBuf {
    migflow_io::columnar::present_table(dir, "runs.csv")
}
