//! `cohorts.csv` and `sites.csv`: the metrics of MODEL.md §6 for the
//! households grouped by their state in a cohort year, and per site.

use crate::error::{Error, Result};
use crate::tables::{csv_err, metric_cell};
use migflow_core::cohorts::CohortYear;
use migflow_core::metrics::{METRICS, Metric};
use migflow_core::record::{GROUPS, YearRecord, group_name};
use std::io::Write;
use std::path::Path;

/// Four key columns, then the metrics in [`Metric`] order.
const fn header(keys: [&'static str; 4]) -> [&'static str; 4 + METRICS] {
    let mut header = [""; 4 + METRICS];
    let mut i = 0;
    while i < 4 {
        header[i] = keys[i];
        i += 1;
    }
    while i < 4 + METRICS {
        header[i] = Metric::NAMES[i - 4];
        i += 1;
    }
    header
}

/// Header of `cohorts.csv`: replicate, cohort year, cohort (the state in
/// the cohort year, or `all`), year, then the metrics in [`Metric`] order.
pub const COHORT_HEADER: [&str; 4 + METRICS] =
    header(["replicate", "cohort_year", "cohort", "year"]);

/// Header of `sites.csv`: replicate, year, site (0-based), livelihood,
/// then the metrics in [`Metric`] order.
pub const SITE_HEADER: [&str; 4 + METRICS] = header(["replicate", "year", "site", "livelihood"]);

fn finish<W: Write>(mut out: csv::Writer<W>, path: &Path) -> Result<()> {
    out.flush().map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `cohorts.csv`: per replicate, its cohort rows (by year, then
/// cohort year), each cohort's five states and `all`.
pub fn write_cohorts<W: Write>(w: W, path: &Path, runs: &[Vec<CohortYear>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COHORT_HEADER).map_err(&err)?;
    for (r, rows) in runs.iter().enumerate() {
        for row in rows {
            for (g, stats) in row.record.groups.iter().enumerate() {
                let mut cells = vec![
                    r.to_string(),
                    row.cohort_year.to_string(),
                    group_name(g).to_string(),
                    row.record.year.to_string(),
                ];
                cells.extend(Metric::ALL.map(|m| metric_cell(m, stats)));
                out.write_record(&cells).map_err(&err)?;
            }
        }
    }
    finish(out, path)
}

/// Write `sites.csv`: per replicate, per year, per site (in site order),
/// the five livelihoods and `all`.
pub fn write_sites<W: Write>(w: W, path: &Path, runs: &[Vec<Vec<YearRecord>>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(SITE_HEADER).map_err(&err)?;
    for (r, years) in runs.iter().enumerate() {
        for sites in years {
            for (site, record) in sites.iter().enumerate() {
                for g in 0..GROUPS {
                    let mut cells = vec![
                        r.to_string(),
                        record.year.to_string(),
                        site.to_string(),
                        group_name(g).to_string(),
                    ];
                    cells.extend(Metric::ALL.map(|m| metric_cell(m, &record.groups[g])));
                    out.write_record(&cells).map_err(&err)?;
                }
            }
        }
    }
    finish(out, path)
}
