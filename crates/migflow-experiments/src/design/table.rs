//! Design `table`: the points listed in a CSV file, one column a factor
//! (named by its path, in any order), one row a point.

use std::path::Path;

use migflow_core::params::path::KeyKind;

use super::{DesignError, Factor, MAX_INTEGER_BOUND, MAX_POINTS, Point, PointRole, Spec, err};

/// The largest table file a `table` design reads: room for [`MAX_POINTS`]
/// rows of many factors, while a wrong path (a device, a data file) cannot
/// fill memory.
pub const MAX_TABLE_BYTES: u64 = 1 << 30;

/// Parse a table cell as a value of `kind`.
pub(super) fn parse_cell(cell: &str, kind: KeyKind) -> Option<toml::Value> {
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
        // A text cell as a migflow CSV writes it (a `points.csv` read back):
        // the `'` that keeps a spreadsheet from running it is not the level's.
        KeyKind::String => Some(toml::Value::String(
            migflow_io::tables::user_text_from_csv(cell).to_string(),
        )),
        KeyKind::Compound => None,
    }
}

/// Open a table file (cells trimmed, at most [`MAX_TABLE_BYTES`]), with
/// errors about `design.file`.
pub(super) fn open_table(full: &Path) -> Result<migflow_io::NamedCsv, DesignError> {
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

/// Call `f` with each row of a design table, in order: an unreadable row,
/// or more than [`MAX_POINTS`] rows, is an error naming the file (`shown`)
/// and the line.
pub(super) fn for_each_row(
    table: &mut migflow_io::NamedCsv,
    shown: &str,
    mut f: impl FnMut(&migflow_io::csvread::Row<'_>) -> Result<(), DesignError>,
) -> Result<(), DesignError> {
    let mut rows = 0;
    loop {
        let row = table.try_next_row().map_err(|m| {
            let at = m.line.map(|l| format!(", line {l}")).unwrap_or_default();
            err(
                format!("{shown}{at}"),
                "an unreadable row",
                format!("a CSV row with one cell per column ({})", m.message),
            )
        })?;
        let Some(row) = row else { return Ok(()) };
        if rows == MAX_POINTS {
            return Err(err(
                "design.file",
                format!("\"{shown}\""),
                format!("at most {MAX_POINTS} rows"),
            ));
        }
        rows += 1;
        f(&row)?;
    }
}

/// The column names of a table file (for a caller that wants to list the
/// factors from the header).
pub fn table_columns(file: &str, table_base_dir: &Path) -> Result<Vec<String>, DesignError> {
    Ok(open_table(&table_base_dir.join(file))?.header().to_vec())
}

/// The points of design `table` read from `file` (relative to
/// `table_base_dir`): the factors carry only a path, and each row's cells
/// are parsed as the kinds of their keys.
pub(crate) fn generate(
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
    for_each_row(&mut table, &shown, |row| {
        let line = row.line();
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
        Ok(())
    })?;
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
    use std::path::Path;

    use migflow_core::params::path::KeyKind;
    use toml::Value;

    use super::table_columns;
    use crate::design::testutil::{bare, range};
    use crate::design::{Design, generate};

    fn write_table(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn the_limits_a_sweep_manifest_is_checked_against_are_the_sweeps() {
        assert_eq!(
            crate::design::MAX_POINTS as u64,
            migflow_io::input::MAX_SWEEP_POINTS
        );
        assert_eq!(crate::sweep::MAX_RUNS, migflow_io::input::MAX_SWEEP_RUNS);
    }

    #[test]
    fn a_table_that_is_not_a_regular_file_is_refused_naming_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pts.csv")).unwrap();
        let design = Design::Table {
            file: "pts.csv".into(),
        };
        let e = generate(&design, &[bare("a")], &[KeyKind::Float], 0, dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("pts.csv") && e.contains("is a directory, not a regular file"),
            "{e}"
        );
    }

    #[test]
    fn a_neutralised_text_cell_of_a_points_csv_reads_back_as_the_level() {
        let dir = tempfile::tempdir().unwrap();
        let levels = ["=HYPERLINK(\"x\")", "+cmd", "@SUM(A1)", "'=kept", "east"];
        let mut text = String::from("s\n");
        for l in levels {
            text.push_str(&format!(
                "\"{}\"\n",
                migflow_io::tables::csv_user_text(l).replace('"', "\"\"")
            ));
        }
        write_table(dir.path(), "pts.csv", &text);
        let design = Design::Table {
            file: "pts.csv".into(),
        };
        let pts = generate(&design, &[bare("s")], &[KeyKind::String], 0, dir.path()).unwrap();
        let read: Vec<Value> = pts.into_iter().flat_map(|p| p.values).collect();
        let want: Vec<Value> = levels
            .iter()
            .map(|l| Value::String(l.to_string()))
            .collect();
        assert_eq!(read, want);
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
}
