//! Reading a finished sweep directory: `points.csv` (the points' roles and
//! varied factors' values), and per metric and point the values of the
//! completed runs, from `runs.csv` or, up to a year, `trajectories.csv`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use migflow_core::record::{ALL_GROUP, GROUPS, group_name};
use migflow_experiments::design::{self, Factor, PointRole, SobolMatrix};
use migflow_experiments::store::SweepManifest;
use migflow_io::error::{Error, Result};
use migflow_io::{NamedCsv, SUMMARY_METRICS, TRAJECTORY_HEADER};

/// Outcomes of `runs.csv` (per livelihood and `all`), also derived from
/// `trajectories.csv` up to a chosen year.
pub const RUN_OUTCOMES: [&str; 4] = [
    "final_share",
    "final_poor_share",
    "mean_poor_share",
    "cum_returned",
];

/// An input error about `path`.
pub(crate) fn input(path: &Path, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Open a CSV file of a finished sweep (cells trimmed).
fn open_table(path: PathBuf) -> Result<NamedCsv> {
    NamedCsv::options().trim().open(&path)
}

/// The column `name` of a sweep's file, or an error saying that the file is
/// not what a finished sweep writes.
fn column(t: &NamedCsv, name: &str) -> Result<usize> {
    t.column(name).map_err(|e| match e {
        Error::Input { path, message } => input(
            &path,
            format!("{message}: not the output of a finished migflow sweep"),
        ),
        other => other,
    })
}

fn opt_f64(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Group and outcome of a metric name like `farm_mean_poor_share`.
fn split_metric(name: &str) -> Option<(usize, &str)> {
    (0..GROUPS).find_map(|g| {
        name.strip_prefix(group_name(g))
            .and_then(|rest| rest.strip_prefix('_'))
            .map(|rest| (g, rest))
    })
}

/// Per metric, per run: the value (averaged later over replicates).
/// Returns per metric the point → values of its runs.
pub(crate) type PointRuns = Vec<BTreeMap<u64, Vec<f64>>>;

pub(crate) fn read_runs(dir: &Path, metrics: &[String], factors: usize) -> Result<PointRuns> {
    let mut t = open_table(migflow_io::columnar::present_table(dir, "runs.csv"))?;
    let point_col = column(&t, "point_id")?;
    let status_col = column(&t, "status")?;
    let first_outcome = 5 + factors;
    let mut cols = Vec::with_capacity(metrics.len());
    for m in metrics {
        match t.header().iter().position(|h| h == m) {
            Some(c) if c >= first_outcome => cols.push(c),
            _ => {
                let known = t.header().get(first_outcome..).unwrap_or(&[]).join(", ");
                return Err(input(
                    t.path(),
                    format!("has no outcome column `{m}` (--metric); its outcomes are: {known}"),
                ));
            }
        }
    }
    let mut out: PointRuns = vec![BTreeMap::new(); metrics.len()];
    t.for_each(|r| {
        let point: u64 = r.parse(point_col, "a number")?;
        if r.get(status_col) != "ok" {
            return Ok(());
        }
        for (m, &c) in cols.iter().enumerate() {
            let values = out[m].entry(point).or_default();
            if let Some(v) = opt_f64(r.get(c)) {
                values.push(v);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// One run's group in `trajectories.csv` up to the chosen year.
#[derive(Debug, Clone, Default)]
struct GroupAcc {
    poor_sum: f64,
    poor_n: usize,
    returned: f64,
    at_year: Option<Vec<Option<f64>>>,
}

pub(crate) fn read_trajectories(
    dir: &Path,
    metrics: &[String],
    factors: usize,
    year: i32,
) -> Result<PointRuns> {
    // Check the names first, listing what is possible.
    let mut wanted = Vec::with_capacity(metrics.len());
    for m in metrics {
        let parsed = split_metric(m).and_then(|(g, rest)| {
            if RUN_OUTCOMES.contains(&rest) {
                Some((g, rest.to_string()))
            } else {
                SUMMARY_METRICS
                    .contains(&rest)
                    .then(|| (g, rest.to_string()))
            }
        });
        match parsed {
            Some(p) => wanted.push(p),
            None => {
                return Err(input(
                    &migflow_io::columnar::present_table(dir, "trajectories.csv"),
                    format!(
                        "--metric `{m}` with --year: expected <livelihood>_<metric> with livelihood one of {} and metric one of {}, {}",
                        (0..GROUPS).map(group_name).collect::<Vec<_>>().join(", "),
                        RUN_OUTCOMES.join(", "),
                        SUMMARY_METRICS.join(", ")
                    ),
                ));
            }
        }
    }
    let mut t = open_table(migflow_io::columnar::present_table(dir, "trajectories.csv"))?;
    let run_col = column(&t, "run_id")?;
    let point_col = column(&t, "point_id")?;
    let year_col = 3 + factors;
    let expected = &TRAJECTORY_HEADER[1..];
    if t.header().get(year_col..year_col + expected.len())
        != Some(&expected.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..])
    {
        return Err(input(
            t.path(),
            format!(
                "expected the columns {} after the factor columns: not the output of a finished migflow sweep",
                expected.join(", ")
            ),
        ));
    }
    let metric_col =
        |name: &str| year_col + 2 + SUMMARY_METRICS.iter().position(|s| *s == name).unwrap_or(0);
    let (poor_col, returned_col) = (metric_col("poor_share"), metric_col("returned"));
    let path = t.path().to_path_buf();
    let mut runs: BTreeMap<u64, (u64, Vec<GroupAcc>)> = BTreeMap::new();
    let mut years = (i32::MAX, i32::MIN);
    t.for_each(|r| {
        let line = r.line();
        let run: u64 = r.parse(run_col, "a number")?;
        let point: u64 = r.parse(point_col, "a number")?;
        let y: i32 = r.parse(year_col, "a number")?;
        years = (years.0.min(y), years.1.max(y));
        if y > year {
            return Ok(());
        }
        let name = r.get(year_col + 1);
        let Some(g) = (0..GROUPS).find(|&g| group_name(g) == name) else {
            return Err(input(
                &path,
                format!("line {line}, column `livelihood`: found {name:?}, expected a livelihood or `all`"),
            ));
        };
        let acc = &mut runs
            .entry(run)
            .or_insert_with(|| (point, vec![GroupAcc::default(); GROUPS]))
            .1[g];
        if let Some(p) = opt_f64(r.get(poor_col)) {
            acc.poor_sum += p;
            acc.poor_n += 1;
        }
        acc.returned += opt_f64(r.get(returned_col)).unwrap_or(0.0);
        if y == year {
            acc.at_year = Some(
                (0..SUMMARY_METRICS.len())
                    .map(|m| opt_f64(r.get(year_col + 2 + m)))
                    .collect(),
            );
        }
        Ok(())
    })?;
    if years.0 > years.1 {
        return Err(input(&path, "has no rows: no completed run to analyse"));
    }
    if year < years.0 || year > years.1 {
        return Err(input(
            &path,
            format!(
                "--year {year}: the sweep's years are {}–{}",
                years.0, years.1
            ),
        ));
    }
    let idx = |name: &str| SUMMARY_METRICS.iter().position(|s| *s == name).unwrap_or(0);
    let mut out: PointRuns = vec![BTreeMap::new(); metrics.len()];
    for (point, groups) in runs.values() {
        for (m, (g, what)) in wanted.iter().enumerate() {
            let acc = &groups[*g];
            let at = |name: &str| acc.at_year.as_ref().and_then(|v| v[idx(name)]);
            let value = match what.as_str() {
                "final_share" => {
                    let all = groups[ALL_GROUP]
                        .at_year
                        .as_ref()
                        .and_then(|v| v[idx("households")]);
                    match (at("households"), all) {
                        (Some(h), Some(a)) if a > 0.0 => Some(h / a),
                        _ => None,
                    }
                }
                "final_poor_share" => at("poor_share"),
                "mean_poor_share" => (acc.poor_n > 0).then(|| acc.poor_sum / acc.poor_n as f64),
                "cum_returned" => acc.at_year.as_ref().map(|_| acc.returned),
                other => at(other),
            };
            let values = out[m].entry(*point).or_default();
            if let Some(v) = value {
                values.push(v);
            }
        }
    }
    Ok(out)
}

/// `points.csv`: each point's role and factor cells.
pub(crate) struct PointsFile {
    /// Each point's role.
    pub(crate) roles: Vec<PointRole>,
    /// Per point, the varied factors' values.
    pub(crate) values: Vec<Vec<f64>>,
}

pub(crate) fn read_points(
    dir: &Path,
    manifest: &SweepManifest,
    factors: &[Factor],
    sobol: bool,
) -> Result<PointsFile> {
    let mut t = open_table(migflow_io::columnar::present_table(dir, "points.csv"))?;
    let point_col = column(&t, "point_id")?;
    let varied = design::varied_factors(factors);
    let value_cols: Vec<usize> = varied
        .iter()
        .map(|&i| column(&t, &factors[i].path))
        .collect::<Result<_>>()?;
    let role_cols: Vec<usize> = if sobol {
        vec![column(&t, "sobol_base")?, column(&t, "sobol_matrix")?]
    } else {
        vec![
            column(&t, "morris_trajectory")?,
            column(&t, "morris_step")?,
            column(&t, "morris_changed")?,
        ]
    };
    let n = manifest.points as usize;
    let mut roles = vec![PointRole::Plain; n];
    let mut values = vec![Vec::new(); n];
    let path = t.path().to_path_buf();
    let varied_paths: Vec<&str> = varied.iter().map(|&i| factors[i].path.as_str()).collect();
    t.for_each(|r| {
        let line = r.line();
        let p: usize = r.parse(point_col, "a number")?;
        if p >= n {
            return Err(input(
                &path,
                format!("line {line}: point {p}, but the manifest has {n} points"),
            ));
        }
        let bad = |column: &str, text: &str, expected: &str| {
            input(
                &path,
                format!("line {line}, column `{column}`: found {text:?}, expected {expected}"),
            )
        };
        roles[p] = if sobol {
            let base: usize = r.parse(role_cols[0], "a number")?;
            // Each base point has k + 2 points, so a base index at or above
            // the point count is damage (and would size the blocks).
            if base >= n {
                return Err(bad(
                    "sobol_base",
                    &base.to_string(),
                    &format!("a base point below {n} (the manifest's points)"),
                ));
            }
            let text = r.get(role_cols[1]);
            let matrix = match text {
                "A" => SobolMatrix::A,
                "B" => SobolMatrix::B,
                m => match m.strip_prefix("AB").and_then(|j| j.parse().ok()) {
                    Some(j) if j < varied.len() => SobolMatrix::AB(j),
                    _ => {
                        return Err(bad(
                            "sobol_matrix",
                            text,
                            &format!("A, B or AB<j> with j below {}", varied.len()),
                        ));
                    }
                },
            };
            PointRole::Sobol { base, matrix }
        } else {
            let trajectory: usize = r.parse(role_cols[0], "a number")?;
            let step: usize = r.parse(role_cols[1], "a number")?;
            let text = r.get(role_cols[2]);
            let changed = if text.is_empty() {
                None
            } else {
                match varied_paths.iter().position(|p| *p == text) {
                    Some(j) => Some(j),
                    None => {
                        return Err(bad(
                            "morris_changed",
                            text,
                            &format!("empty or a varied factor ({})", varied_paths.join(", ")),
                        ));
                    }
                }
            };
            PointRole::Morris {
                trajectory,
                step,
                changed,
            }
        };
        values[p] = value_cols
            .iter()
            .map(|&c| opt_f64(r.get(c)).unwrap_or(f64::NAN))
            .collect();
        Ok(())
    })?;
    Ok(PointsFile { roles, values })
}

/// `points.csv` read as text: per point (in point order), the cell of each
/// of the manifest's factor columns (a grid's or table's levels may be
/// numbers, `true`/`false` or text, so nothing is parsed here). Every point
/// of the manifest must have exactly one row.
pub(crate) fn read_point_cells(dir: &Path, manifest: &SweepManifest) -> Result<Vec<Vec<String>>> {
    let mut t = open_table(migflow_io::columnar::present_table(dir, "points.csv"))?;
    let point_col = column(&t, "point_id")?;
    let cols: Vec<usize> = manifest
        .factors
        .iter()
        .map(|f| column(&t, f))
        .collect::<Result<_>>()?;
    let n = manifest.points as usize;
    let mut cells: Vec<Option<Vec<String>>> = vec![None; n];
    let path = t.path().to_path_buf();
    t.for_each(|r| {
        let line = r.line();
        let p: usize = r.parse(point_col, "a number")?;
        if p >= n {
            return Err(input(
                &path,
                format!("line {line}: point {p}, but the manifest has {n} points"),
            ));
        }
        if cells[p].is_some() {
            return Err(input(
                &path,
                format!("line {line}: point {p} a second time: expected each point once"),
            ));
        }
        cells[p] = Some(cols.iter().map(|&c| r.get(c).to_string()).collect());
        Ok(())
    })?;
    cells
        .into_iter()
        .enumerate()
        .map(|(p, c)| {
            c.ok_or_else(|| {
                input(
                    &path,
                    format!("has no row for point {p}: expected the {n} points of the manifest"),
                )
            })
        })
        .collect()
}

/// A cell of `points.csv` as a number, if it is one.
pub(crate) fn cell_f64(text: &str) -> Option<f64> {
    opt_f64(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::default_metrics;

    #[test]
    fn metric_names_split_into_group_and_outcome() {
        assert_eq!(
            split_metric("all_mean_poor_share"),
            Some((ALL_GROUP, "mean_poor_share"))
        );
        assert_eq!(
            split_metric("none_cum_returned").map(|x| x.1),
            Some("cum_returned")
        );
        assert_eq!(split_metric("bogus_x"), None);
        assert_eq!(default_metrics().len(), 2 * GROUPS);
    }
}
