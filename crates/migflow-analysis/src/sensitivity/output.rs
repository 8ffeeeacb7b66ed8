//! What an analysis writes: `sensitivity.csv`, the drawn charts (all
//! committed together), and the plain-text summary for the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};

use migflow_io::error::{Error, Result};
use migflow_io::tables::csv_user_text;
use migflow_io::{OutputDir, format_float};

use super::analyze::{Analysis, Row};
use super::estimators::Estimate;

/// The file written.
pub const CSV_NAME: &str = "sensitivity.csv";
/// Its header.
pub const CSV_HEADER: [&str; 6] = [
    "metric",
    "factor",
    "index",
    "value",
    "ci95_low",
    "ci95_high",
];

/// A number to three decimals, or in scientific notation below 0.001.
pub(crate) fn fmt3(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.001 {
        format!("{x:.2e}")
    } else {
        format!("{x:.3}")
    }
}

/// `sensitivity.csv` as text.
pub fn csv_text(rows: &[Row]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_HEADER);
    for r in rows {
        let (lo, hi) = match r.estimate.ci95 {
            Some((lo, hi)) => (Some(lo), Some(hi)),
            None => (None, None),
        };
        let _ = w.write_record([
            // Checked names, but read from the sweep's manifest: written as
            // user text, never as a spreadsheet formula.
            csv_user_text(&r.metric),
            csv_user_text(&r.factor),
            r.index.to_string(),
            format_float(r.estimate.value),
            format_float(lo),
            format_float(hi),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Write `sensitivity.csv` and the drawn `charts` (file name and bytes)
/// into `out`, all staged under temporary names and renamed into place
/// together. Returns the paths written.
pub fn write(
    analysis: &Analysis,
    charts: Vec<(String, Vec<u8>)>,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, Vec<u8>)> =
        vec![(CSV_NAME.to_string(), csv_text(&analysis.rows).into_bytes())];
    files.extend(charts);
    let mut dir = OutputDir::create(out)?;
    for (name, bytes) in &files {
        let (mut w, tmp) = dir.stage(name)?;
        w.write_all(bytes).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        migflow_io::atomic::finish(w, &tmp)?;
    }
    dir.commit()
}

/// A plain-text table of the analysis (for the terminal).
pub fn summary(analysis: &Analysis) -> String {
    let mut s = String::new();
    let width = analysis
        .factors
        .iter()
        .map(|f| f.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let show = |e: &Estimate| {
        let v = e.value.map_or("–".to_string(), fmt3);
        match e.ci95 {
            Some((lo, hi)) => format!("{v} [{}, {}]", fmt3(lo), fmt3(hi)),
            None => v,
        }
    };
    for metric in &analysis.metrics {
        let when = analysis.year.map_or(String::new(), |y| format!(" ({y})"));
        s.push_str(&format!("{metric}{when}\n"));
        for f in &analysis.factors {
            let cells: Vec<String> = analysis
                .rows
                .iter()
                .filter(|r| &r.metric == metric && &r.factor == f)
                .map(|r| format!("{} {}", r.index, show(&r.estimate)))
                .collect();
            s.push_str(&format!("  {f:<width$}  {}\n", cells.join("   ")));
        }
        // The rank regression's R² is about the whole model, not a factor.
        for r in analysis
            .rows
            .iter()
            .filter(|r| &r.metric == metric && r.factor == super::ranked::ALL_FACTORS)
        {
            s.push_str(&format!(
                "  {:<width$}  {} {}\n",
                r.factor,
                r.index,
                show(&r.estimate)
            ));
        }
    }
    s
}
