//! The analyses of a finished sweep as the `migflow sensitivity`,
//! `migflow discover` and `migflow robust` commands make them: read the
//! sweep, analyse it, draw the charts and commit every file together.
//! They live here, not in `migflow-analysis`, because they draw; the
//! command line and the Python package both call them, so that one
//! function writes each analysis's files.

use std::path::{Path, PathBuf};

use migflow_analysis::{discover as sd, robust as rb, sensitivity as sa};

/// What an analysis wrote: the analysis itself (for the summary a caller
/// prints, e.g. [`sa::summary`]), its output directory, the paths written
/// and the notes for the user (the analysis's, then the charts').
#[derive(Debug)]
pub struct Written<A> {
    /// The analysis.
    pub analysis: A,
    /// The output directory.
    pub out: PathBuf,
    /// Every file written, `manifest.json` included.
    pub written: Vec<PathBuf>,
    /// Notes: what was left out or approximated, and charts not drawn.
    pub notes: Vec<String>,
}

/// The default output directory of an analysis named `name` of the sweep
/// in `dir`: a subdirectory, since a sweep's directory holds its results
/// alone.
fn default_out(dir: &Path, out: Option<&Path>, name: &str) -> PathBuf {
    out.map_or_else(|| dir.join(name), Path::to_path_buf)
}

/// The global sensitivity of the sweep in `dir` (`migflow sensitivity`):
/// `sensitivity.csv`, its charts and `manifest.json` into `out` (default
/// `DIR/sensitivity`). An `out` that is itself a results directory is
/// refused before anything is read.
pub fn sensitivity(
    dir: &Path,
    opts: &sa::Options,
    out: Option<&Path>,
) -> migflow_io::Result<Written<sa::Analysis>> {
    let out = default_out(dir, out, "sensitivity");
    migflow_io::atomic::refuse_results_dir(&out, "a sensitivity analysis")?;
    let analysis = sa::analyze(dir, opts)?;
    let (charts, chart_notes) = crate::sensitivity_charts(&analysis);
    let written = sa::write(&analysis, charts, &out)?;
    let mut notes = analysis.notes.clone();
    notes.extend(chart_notes);
    Ok(Written {
        analysis,
        out,
        written,
        notes,
    })
}

/// Scenario discovery on the sweep in `dir` (`migflow discover`): the
/// cases, PRIM's trajectory and box or CART's leaves, charts and
/// `manifest.json` into `out` (default `DIR/discover`).
pub fn discover(
    dir: &Path,
    opts: &sd::Options,
    out: Option<&Path>,
) -> migflow_io::Result<Written<sd::Discovery>> {
    let out = default_out(dir, out, "discover");
    migflow_io::atomic::refuse_results_dir(&out, "a scenario discovery")?;
    let analysis = sd::analyze(dir, opts)?;
    let (charts, chart_notes) = crate::html::discover::charts(&analysis);
    let written = sd::write(&analysis, charts, &out)?;
    let mut notes = analysis.notes.clone();
    notes.extend(chart_notes);
    Ok(Written {
        analysis,
        out,
        written,
        notes,
    })
}

/// The robustness of the policies of the sweep in `dir` for `outcome`
/// (`migflow robust`): `robust.csv`, `regret.csv`, charts and
/// `manifest.json` into `out` (default `DIR/robust`).
pub fn robust(
    dir: &Path,
    outcome: &str,
    opts: &rb::Options,
    out: Option<&Path>,
) -> Result<Written<rb::Robustness>, rb::RobustError> {
    let out = default_out(dir, out, "robust");
    migflow_io::atomic::refuse_results_dir(&out, "a robustness analysis")?;
    let (table, mut notes) = rb::read_table(dir, outcome)?;
    let mut analysis = rb::analyse(&table, opts)?;
    // The table's notes (points left out) come before the analysis's.
    notes.append(&mut analysis.notes);
    analysis.notes = notes;
    let input = rb::Input {
        sweep_dir: dir.to_path_buf(),
        runs_sha256: migflow_io::manifest::sha256_file(&migflow_io::columnar::present_table(
            dir, "runs.csv",
        ))?,
    };
    let figures = crate::html::robust::figures(&analysis);
    let mut charts = Vec::new();
    for f in &figures.figures {
        charts.push((format!("{}.svg", f.name), f.svg()?.into_bytes()));
    }
    let written = rb::write(&analysis, &input, charts, &out)?;
    let mut notes = analysis.notes.clone();
    notes.extend(figures.notes.iter().cloned());
    Ok(Written {
        analysis,
        out,
        written,
        notes,
    })
}
