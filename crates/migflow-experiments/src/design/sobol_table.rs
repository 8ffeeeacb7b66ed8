//! Design `sobol` with `file`: Saltelli's scheme read from a CSV file (the
//! points of another tool's sampler, such as SALib's
//! `SALib.sample.sobol.sample(..., calc_second_order=False)`), so that
//! `migflow sensitivity` analyses exactly those points.
//!
//! The file has one column per varied factor (named by its path, in any
//! order) and the role columns of a Sobol sweep's `points.csv`,
//! [`SOBOL_BASE_COLUMN`] and [`SOBOL_MATRIX_COLUMN`]; one row is a point.
//! The factors are those of a generated `sobol` design: `min` and `max`
//! (the sampler's bounds; every value must lie within them) or a single
//! level (a constant, which has no column). `AB<j>` names the `j`-th varied
//! factor in `[[factors]]` order. The file must be a complete Saltelli
//! design: base points numbered `0` to `N − 1`, each with exactly one `A`,
//! one `B` and one `AB<j>` per varied factor, where `AB<j>` equals `A` but
//! in factor `j`, which equals `B`'s. The points keep the file's row order.

use std::path::Path;

use migflow_core::params::path::KeyKind;

use super::table::{for_each_row, open_table, parse_cell};
use super::{
    Design, DesignError, Factor, MAX_POINTS, Point, PointRole, SobolMatrix, Spec, err,
    sobol::SOBOL_MAX_FACTORS,
};

/// The column of a Sobol table holding each point's base point (0-based).
pub const SOBOL_BASE_COLUMN: &str = "sobol_base";
/// The column of a Sobol table holding each point's matrix: `A`, `B` or
/// `AB<j>`.
pub const SOBOL_MATRIX_COLUMN: &str = "sobol_matrix";

/// A varied factor: its index in `factors`, range and kind.
struct Dim {
    factor: usize,
    min: f64,
    max: f64,
    kind: KeyKind,
}

/// One row of the file as read: its line, base, matrix and the values of
/// the varied factors.
struct Row {
    line: u64,
    base: usize,
    matrix: SobolMatrix,
    values: Vec<toml::Value>,
}

/// A number value as f64 (the cells of varied factors are numbers).
fn number(v: &toml::Value) -> f64 {
    match v {
        toml::Value::Float(x) => *x,
        toml::Value::Integer(i) => *i as f64,
        _ => f64::NAN,
    }
}

/// The matrix named by a `sobol_matrix` cell, `AB<j>` with `j < k`.
fn parse_matrix(cell: &str, k: usize) -> Option<SobolMatrix> {
    match cell {
        "A" => Some(SobolMatrix::A),
        "B" => Some(SobolMatrix::B),
        m => {
            let j = m.strip_prefix("AB")?;
            // Digits only: no sign, no leading `+`.
            if j.is_empty() || !j.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            j.parse::<usize>()
                .ok()
                .filter(|&j| j < k)
                .map(SobolMatrix::AB)
        }
    }
}

/// The constants and varied factors of a Sobol table's factors, or an error
/// naming the factor that is neither.
fn split_factors(
    factors: &[Factor],
    kinds: &[KeyKind],
    specs: Vec<Spec>,
) -> Result<(Vec<Option<toml::Value>>, Vec<Dim>), DesignError> {
    let needs = "design `sobol` needs numeric factors with `min` and `max` (the sampler's bounds) or a single level for a constant";
    let mut fixed = Vec::with_capacity(specs.len());
    let mut dims = Vec::new();
    for (i, spec) in specs.into_iter().enumerate() {
        match spec {
            Spec::Levels(mut l) if l.len() == 1 => fixed.push(l.pop()),
            Spec::Levels(l) => {
                return Err(err(
                    format!("factors[{i}].levels"),
                    toml::Value::Array(l),
                    needs,
                ));
            }
            Spec::Range { min, max } if kinds[i].is_numeric() => {
                fixed.push(None);
                dims.push(Dim {
                    factor: i,
                    min,
                    max,
                    kind: kinds[i],
                });
            }
            Spec::Range { min, .. } => {
                return Err(err(
                    format!("factors[{i}].min"),
                    min,
                    format!(
                        "no range, as `{}` holds {}: {needs}",
                        factors[i].path,
                        kinds[i].name()
                    ),
                ));
            }
            Spec::Unset => {
                return Err(err(
                    format!("factors[{i}]"),
                    format!("\"{}\" without levels or range", factors[i].path),
                    needs,
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
    if dims.len() > SOBOL_MAX_FACTORS {
        return Err(err(
            "factors",
            format!("{} varied factors", dims.len()),
            format!("at most {SOBOL_MAX_FACTORS} factors with `min` and `max` for design `sobol`"),
        ));
    }
    Ok((fixed, dims))
}

/// The points of design `sobol` read from `file` (relative to
/// `table_base_dir`), with their Saltelli roles; see the module's
/// documentation for the file's layout and checks.
pub(crate) fn generate(
    file: &str,
    factors: &[Factor],
    kinds: &[KeyKind],
    specs: Vec<Spec>,
    table_base_dir: &Path,
) -> Result<Vec<Point>, DesignError> {
    if file.trim().is_empty() {
        return Err(err("design.file", "\"\"", "the path of a CSV file"));
    }
    let (fixed, dims) = split_factors(factors, kinds, specs)?;
    let k = dims.len();
    let full = table_base_dir.join(file);
    let shown = full.display().to_string();
    let mut table = open_table(&full)?;
    let header = table.header().to_vec();
    let varied: Vec<&str> = dims
        .iter()
        .map(|d| factors[d.factor].path.as_str())
        .collect();
    let wanted = varied
        .iter()
        .map(|p| format!("`{p}`"))
        .chain([SOBOL_BASE_COLUMN, SOBOL_MATRIX_COLUMN].map(|c| format!("`{c}`")))
        .collect::<Vec<_>>()
        .join(", ");
    // Column of each varied factor, then of the base and the matrix.
    let mut column = vec![usize::MAX; k + 2];
    for (c, name) in header.iter().enumerate() {
        let at = format!("{shown}, line 1, column {}", c + 1);
        let slot = match name.as_str() {
            SOBOL_BASE_COLUMN => Some(k),
            SOBOL_MATRIX_COLUMN => Some(k + 1),
            other => varied.iter().position(|p| *p == other),
        };
        let Some(slot) = slot else {
            let why = match factors.iter().position(|f| f.path == *name) {
                Some(i) => format!(
                    "no column for `factors[{i}]`, a constant (its single level is its value); the columns are {wanted}"
                ),
                None => format!("one column each for {wanted}"),
            };
            return Err(err(at, format!("\"{name}\""), why));
        };
        if column[slot] != usize::MAX {
            return Err(err(
                at,
                format!("\"{name}\""),
                format!(
                    "each column once (`{name}` is also column {})",
                    column[slot] + 1
                ),
            ));
        }
        column[slot] = c;
    }
    if let Some(slot) = column.iter().position(|&c| c == usize::MAX) {
        let name = if slot < k {
            varied[slot]
        } else if slot == k {
            SOBOL_BASE_COLUMN
        } else {
            SOBOL_MATRIX_COLUMN
        };
        return Err(err(
            format!("{shown}, line 1"),
            format!("no column `{name}`"),
            format!("the columns {wanted}"),
        ));
    }
    let mut rows: Vec<Row> = Vec::new();
    for_each_row(&mut table, &shown, |row| {
        let line = row.line();
        let at = |name: &str| format!("{shown}, line {line}, column `{name}`");
        let cell = row.get(column[k]);
        let base = match cell.parse::<usize>() {
            Ok(b) if cell.bytes().all(|c| c.is_ascii_digit()) && b < MAX_POINTS => b,
            _ => {
                return Err(err(
                    at(SOBOL_BASE_COLUMN),
                    format!("\"{cell}\""),
                    "a base point number: an integer from 0",
                ));
            }
        };
        let cell = row.get(column[k + 1]);
        let Some(matrix) = parse_matrix(cell, k) else {
            return Err(err(
                at(SOBOL_MATRIX_COLUMN),
                format!("\"{cell}\""),
                format!(
                    "A, B or AB<j> with j from 0 to {} (the index of a varied factor in `[[factors]]` order: {})",
                    k - 1,
                    varied.join(", ")
                ),
            ));
        };
        let mut values = Vec::with_capacity(k);
        for (j, d) in dims.iter().enumerate() {
            let path = varied[j];
            let cell = row.get(column[j]);
            let Some(v) = parse_cell(cell, d.kind) else {
                return Err(err(
                    at(path),
                    format!("\"{cell}\""),
                    format!("{} (the kind of `{path}`)", d.kind.name()),
                ));
            };
            let x = number(&v);
            if !(d.min..=d.max).contains(&x) {
                return Err(err(
                    at(path),
                    format!("\"{cell}\""),
                    format!(
                        "a value from {} to {} (`factors[{}].min` and `.max`)",
                        d.min, d.max, d.factor
                    ),
                ));
            }
            values.push(v);
        }
        rows.push(Row {
            line,
            base,
            matrix,
            values,
        });
        Ok(())
    })?;
    if rows.is_empty() {
        return Err(err(
            "design.file",
            format!("\"{shown}\""),
            "a table with at least one row of values under the header",
        ));
    }
    check_blocks(&shown, &rows, &varied)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut values: Vec<toml::Value> = fixed
                .iter()
                .map(|v| v.clone().unwrap_or(toml::Value::Boolean(false)))
                .collect();
            for (d, v) in dims.iter().zip(r.values) {
                values[d.factor] = v;
            }
            Point {
                values,
                role: PointRole::Sobol {
                    base: r.base,
                    matrix: r.matrix,
                },
            }
        })
        .collect())
}

/// The slot of a matrix in a base point's block: A, B, then AB(j).
fn slot(m: SobolMatrix) -> usize {
    match m {
        SobolMatrix::A => 0,
        SobolMatrix::B => 1,
        SobolMatrix::AB(j) => 2 + j,
    }
}

/// Check that the rows form complete Saltelli blocks: bases `0..N`, each
/// with one A, one B and one AB(j) per varied factor, AB(j) being A with
/// factor j from B.
fn check_blocks(shown: &str, rows: &[Row], varied: &[&str]) -> Result<(), DesignError> {
    let k = varied.len();
    // Base points are numbered from 0 and each has k + 2 rows, so a base
    // number of at least the number of rows cannot be complete (and would
    // size the blocks).
    if let Some(r) = rows.iter().find(|r| r.base >= rows.len()) {
        return Err(err(
            format!("{shown}, line {}, column `{SOBOL_BASE_COLUMN}`", r.line),
            format!("\"{}\"", r.base),
            format!(
                "a base point number below {}, the number of rows: the base points of a complete design are numbered from 0, with {} rows (A, B, AB0 to AB{}) each",
                rows.len(),
                k + 2,
                k - 1
            ),
        ));
    }
    let bases = rows.iter().map(|r| r.base).max().unwrap_or(0) + 1;
    // Per base, per slot: the row holding it.
    let mut blocks: Vec<Vec<Option<usize>>> = vec![vec![None; k + 2]; bases];
    for (i, r) in rows.iter().enumerate() {
        let cell = &mut blocks[r.base][slot(r.matrix)];
        if let Some(first) = *cell {
            return Err(err(
                format!("{shown}, line {}, column `{SOBOL_MATRIX_COLUMN}`", r.line),
                format!("\"{}\"", r.matrix),
                format!(
                    "each of A, B and AB0 to AB{} once per base point (base point {} has {} on line {} too)",
                    k - 1,
                    r.base,
                    r.matrix,
                    rows[first].line
                ),
            ));
        }
        *cell = Some(i);
    }
    let name = |s: usize| match s {
        0 => SobolMatrix::A,
        1 => SobolMatrix::B,
        j => SobolMatrix::AB(j - 2),
    };
    for (base, block) in blocks.iter().enumerate() {
        let missing: Vec<String> = (0..k + 2)
            .filter(|&s| block[s].is_none())
            .map(|s| name(s).to_string())
            .collect();
        if !missing.is_empty() {
            return Err(err(
                format!("{shown}, column `{SOBOL_BASE_COLUMN}`"),
                format!(
                    "base point {base} without {} (the base points run from 0 to {})",
                    missing.join(", "),
                    bases - 1
                ),
                format!(
                    "a complete Saltelli design: every base point from 0 to the largest with one A, one B and one AB<j> for each of the {k} varied factors"
                ),
            ));
        }
        let row = |s: usize| &rows[block[s].unwrap_or_default()];
        let (a, b) = (row(0), row(1));
        for j in 0..k {
            let ab = row(2 + j);
            for (jj, path) in varied.iter().enumerate() {
                let (want, from) = if jj == j {
                    (&b.values[jj], b)
                } else {
                    (&a.values[jj], a)
                };
                if ab.values[jj] != *want {
                    return Err(err(
                        format!("{shown}, line {}, column `{path}`", ab.line),
                        &ab.values[jj],
                        format!(
                            "{want}, the value of base point {base}'s {} on line {}: AB{j} is A with factor {j} (`{}`) taken from B",
                            from.matrix, from.line, varied[j]
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether `design` reads its points from a file (a `table`, or a `sobol`
/// design with `file`), and which.
pub fn design_file(design: &Design) -> Option<&str> {
    match design {
        Design::Table { file } | Design::SobolTable { file } => Some(file),
        _ => None,
    }
}
