//! The tidy CSV tables of a run (README "Outputs").

use crate::error::{Error, Result};
use migflow_core::metrics::{METRICS, Metric};
use migflow_core::model::HouseholdYear;
use migflow_core::model::{Household, Livelihood};
use migflow_core::record::{GROUPS, GroupStats, YearRecord, group_name};
use migflow_core::stats::summarize;
use std::io::Write;
use std::path::Path;

/// Shortest decimal that reads back as the same `f64` (stable across runs
/// and platforms); empty for a missing value.
pub fn format_float(x: Option<f64>) -> String {
    x.map(|v| format!("{v}")).unwrap_or_default()
}

/// Whether `s` is a plain decimal number (`-2`, `+0.5`, `-1e-5`), which a
/// spreadsheet reads as that number, not as a formula.
fn is_plain_number(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && s.parse::<f64>().is_ok()
}

/// Whether a spreadsheet would read the cell `s` as a formula: it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return and is not a plain
/// number; or it is such a cell already prefixed with `'` (so that
/// [`user_text_from_csv`] can undo the prefix unambiguously).
fn needs_quote_prefix(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => !is_plain_number(s),
        Some(b'\'') => needs_quote_prefix(&s[1..]),
        _ => false,
    }
}

/// A user-supplied string (a sweep's string level, a name) as a CSV cell
/// that no spreadsheet runs as a formula (CSV injection; the OWASP rule): a
/// cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, unless it is a plain number (`-2` stays `-2`). A cell that
/// would read back as such a prefixed cell (`'=x`) gets one too, so
/// [`user_text_from_csv`] always returns the original. Every CSV writer
/// that writes a user string passes it through here; numbers and names
/// migflow formats or checks itself need not.
pub fn csv_user_text(s: &str) -> String {
    if needs_quote_prefix(s) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The user string that a cell written by [`csv_user_text`] holds.
pub fn user_text_from_csv(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote_prefix(rest) => rest,
        _ => cell,
    }
}

pub(crate) fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Header of `trajectories.csv`: replicate, year, livelihood, then the
/// metrics in [`Metric`] order.
pub const TRAJECTORY_HEADER: [&str; 3 + METRICS] = {
    let mut header = [""; 3 + METRICS];
    header[0] = "replicate";
    header[1] = "year";
    header[2] = "livelihood";
    let mut i = 0;
    while i < Metric::NAMES.len() {
        header[3 + i] = Metric::NAMES[i];
        i += 1;
    }
    header
};

/// The numeric metrics of a group, named as in `trajectories.csv`.
pub const SUMMARY_METRICS: [&str; METRICS] = Metric::NAMES;

fn metric_values(g: &GroupStats) -> [Option<f64>; METRICS] {
    Metric::values(g)
}

/// The cell of one metric: counts as integers, the rest as floats (empty
/// where undefined).
pub fn metric_cell(m: Metric, stats: &GroupStats) -> String {
    match m {
        Metric::Households => stats.households.to_string(),
        Metric::Persons => stats.persons.to_string(),
        Metric::WithLabor => stats.with_labor.to_string(),
        Metric::Laborers => stats.laborers.to_string(),
        Metric::Returned => stats.returned.to_string(),
        Metric::Dissolved => stats.dissolved.to_string(),
        _ => format_float(m.value(stats)),
    }
}

/// The cells of one trajectory row after `replicate` (year, livelihood and
/// the metrics), in the order of [`TRAJECTORY_HEADER`].
pub fn trajectory_cells(year: i32, group: usize, stats: &GroupStats) -> [String; 2 + METRICS] {
    let mut cells: [String; 2 + METRICS] = Default::default();
    cells[0] = year.to_string();
    cells[1] = group_name(group).to_string();
    for (cell, m) in cells[2..].iter_mut().zip(Metric::ALL) {
        *cell = metric_cell(m, stats);
    }
    cells
}

/// Write `trajectories.csv`: replicate × year × livelihood (five and `all`).
pub fn write_trajectories<W: Write>(w: W, path: &Path, runs: &[Vec<YearRecord>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(TRAJECTORY_HEADER).map_err(&err)?;
    for (r, records) in runs.iter().enumerate() {
        let r = r.to_string();
        for rec in records {
            for (g, stats) in rec.groups.iter().enumerate() {
                out.write_record(
                    std::iter::once(r.as_str()).chain(
                        trajectory_cells(rec.year, g, stats)
                            .iter()
                            .map(String::as_str),
                    ),
                )
                .map_err(&err)?;
            }
        }
    }
    out.flush().map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `flows.csv`: replicate × year × (from, to), all 25 pairs.
pub fn write_flows<W: Write>(w: W, path: &Path, runs: &[Vec<YearRecord>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["replicate", "year", "from", "to", "households"])
        .map_err(&err)?;
    for (r, records) in runs.iter().enumerate() {
        for rec in records {
            for from in Livelihood::ALL {
                for to in Livelihood::ALL {
                    out.write_record([
                        r.to_string(),
                        rec.year.to_string(),
                        from.name().to_string(),
                        to.name().to_string(),
                        rec.flows[from.index()][to.index()].to_string(),
                    ])
                    .map_err(&err)?;
                }
            }
        }
    }
    out.flush().map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// Calendar year.
    pub year: i32,
    /// Livelihood or `all`.
    pub livelihood: &'static str,
    /// Metric name.
    pub metric: &'static str,
    /// Mean over replicates with a value.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1).
    pub sd: Option<f64>,
    /// Lower end of the Student-t 95% interval of the mean.
    pub ci95_low: Option<f64>,
    /// Upper end.
    pub ci95_high: Option<f64>,
    /// Replicates with a value.
    pub n: usize,
}

/// The metric values of a trajectory row's metric cells (households …
/// ever_poor_share), as in [`SUMMARY_METRICS`].
pub fn group_metric_values(g: &GroupStats) -> [Option<f64>; METRICS] {
    metric_values(g)
}

/// Mean, sd and Student-t 95% CI of each metric over replicates, per year
/// and livelihood. Replicates are summed in replicate order.
pub fn summary_rows(runs: &[Vec<YearRecord>]) -> Vec<SummaryRow> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (y, rec) in first.iter().enumerate() {
        for g in 0..GROUPS {
            let per_rep: Vec<[Option<f64>; METRICS]> = runs
                .iter()
                .map(|run| metric_values(&run[y].groups[g]))
                .collect();
            rows.extend(summarize_metrics(rec.year, g, &per_rep));
        }
    }
    rows
}

/// The rows of [`summary_rows`] of one year and group (index as in
/// `trajectories.csv`: the five livelihoods, then `all`) from every
/// replicate's metric values (as in [`SUMMARY_METRICS`], in replicate
/// order): each metric's mean, sd and Student-t 95% CI over the replicates
/// with a value. Every summary over replicates (`summary.csv`, the cohorts'
/// of a results reader) is made here.
pub fn summarize_metrics(
    year: i32,
    group: usize,
    per_rep: &[[Option<f64>; METRICS]],
) -> impl Iterator<Item = SummaryRow> + '_ {
    SUMMARY_METRICS.iter().enumerate().map(move |(m, metric)| {
        let values: Vec<f64> = per_rep.iter().filter_map(|v| v[m]).collect();
        let (mean, sd, ci95_low, ci95_high, n) = summarize(&values);
        SummaryRow {
            year,
            livelihood: group_name(group),
            metric,
            mean,
            sd,
            ci95_low,
            ci95_high,
            n,
        }
    })
}

/// The statistics columns of every summary over replicates.
pub const SUMMARY_STATS: [&str; 5] = ["mean", "sd", "ci95_low", "ci95_high", "n"];

/// Write `summary.csv`.
pub fn write_summary<W: Write>(w: W, path: &Path, runs: &[Vec<YearRecord>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(
        ["year", "livelihood", "metric"]
            .iter()
            .chain(SUMMARY_STATS.iter()),
    )
    .map_err(&err)?;
    for row in summary_rows(runs) {
        out.write_record([
            row.year.to_string(),
            row.livelihood.to_string(),
            row.metric.to_string(),
            format_float(row.mean),
            format_float(row.sd),
            format_float(row.ci95_low),
            format_float(row.ci95_high),
            row.n.to_string(),
        ])
        .map_err(&err)?;
    }
    out.flush().map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Header of `households.csv`, the household × year panel: `household` is
/// the household number, `survey_id` the population file's `id` of the
/// household (empty for a synthetic household or a file without `id`),
/// `weight` its survey weight.
pub const PANEL_HEADER: [&str; 23] = [
    "replicate",
    "year",
    "household",
    "survey_id",
    "weight",
    "site",
    "village",
    "size",
    "laborers",
    "last_state",
    "state",
    "jobs_firm",
    "jobs_workshop",
    "jobs_informal",
    "placed",
    "skill",
    "land_mu",
    "income_pc",
    "poor",
    "at_risk",
    "ever_poor",
    "dibao",
    "trained",
];

/// One row of the panel ([`PANEL_HEADER`]). `survey_id` is the
/// household's id in the population file, if any (written as user text,
/// so that no spreadsheet runs it as a formula: [`csv_user_text`]).
/// `skill` is the skill at the end of the year (after this year's learning
/// and training).
pub fn panel_row(
    replicate: u32,
    year: i32,
    h: &Household,
    site: u32,
    weight: f64,
    y: &HouseholdYear,
    survey_id: Option<&str>,
) -> [String; 23] {
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    [
        replicate.to_string(),
        year.to_string(),
        h.id.to_string(),
        survey_id.map(csv_user_text).unwrap_or_default(),
        format!("{weight}"),
        site.to_string(),
        h.village.to_string(),
        h.size.to_string(),
        y.members.laborers.to_string(),
        y.last_state.name().to_string(),
        h.state.name().to_string(),
        h.jobs[0].to_string(),
        h.jobs[1].to_string(),
        h.jobs[2].to_string(),
        flag(h.placed()),
        format!("{}", h.skill),
        format!("{}", h.land_mu),
        format!("{}", h.income_pc),
        flag(h.poor()),
        flag(y.at_risk()),
        flag(h.ever_poor()),
        flag(y.dibao()),
        flag(y.trained()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use migflow_core::record::{Observation, Tally};

    fn record(year: i32, income: f64) -> YearRecord {
        let mut t = Tally::default();
        t.add(
            &Observation {
                state: Livelihood::Local,
                last_state: Livelihood::Local,
                size: 1,
                laborers: 1,
                weight: 1.0,
                income_pc: income,
                poor: false,
                poor_last_year: false,
                at_risk: false,
                dibao: false,
                ever_poor: false,
            },
            Livelihood::Local.index(),
        );
        t.finish(year, [None; GROUPS])
    }

    #[test]
    fn user_text_that_a_spreadsheet_would_run_is_prefixed() {
        for (text, cell) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-", "'-"),
            ("-inf", "'-inf"),
            ("'=x", "''=x"),
            ("''@x", "'''@x"),
            // Plain numbers and ordinary text are left as they are.
            ("-5", "-5"),
            ("+0.5", "+0.5"),
            ("-1e-5", "-1e-5"),
            ("east", "east"),
            ("'quoted", "'quoted"),
            ("'-5", "'-5"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(csv_user_text(text), cell, "{text:?}");
            assert_eq!(user_text_from_csv(cell), text, "{cell:?}");
        }
    }

    #[test]
    fn summary_uses_student_t() {
        let runs = vec![
            vec![record(2021, 10.0)],
            vec![record(2021, 12.0)],
            vec![record(2021, 14.0)],
        ];
        let rows = summary_rows(&runs);
        let row = rows
            .iter()
            .find(|r| r.livelihood == "local" && r.metric == "mean_income_pc")
            .unwrap();
        assert_eq!(row.mean, Some(12.0));
        assert_eq!(row.sd, Some(2.0));
        // t(0.975, 2) = 4.302653; half-width = 4.302653 · 2 / √3.
        let half = 4.302_652_729_911_275 * 2.0 / 3f64.sqrt();
        assert!((row.ci95_high.unwrap() - (12.0 + half)).abs() < 1e-6);
        assert_eq!(row.n, 3);
        let farm = rows
            .iter()
            .find(|r| r.livelihood == "farm" && r.metric == "poor_share")
            .unwrap();
        assert_eq!((farm.n, farm.mean), (0, None));
    }
}
