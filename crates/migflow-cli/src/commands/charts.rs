//! `migflow plot`, `migflow compare` and `migflow report`.

use super::{print_notes, recorded_files, write_figures};
use crate::args::{CompareArgs, PlotArgs, ReportArgs};
use anyhow::{Context, Result};
use std::path::Path;

/// `migflow plot`.
pub fn plot(args: PlotArgs) -> Result<()> {
    use migflow_report::{build, results::Results};
    let results = Results::read(&args.results, args.years.as_deref())?;
    let figures = build::charts(&results, args.outcome.as_deref())?;
    let dir = args.out.unwrap_or_else(|| args.results.join("charts"));
    let inputs = recorded_files(&args.results);
    let written = write_figures(&dir, &figures.figures, args.png, &[], "a chart", &inputs)?;
    for path in written {
        println!("wrote {}", path.display());
    }
    print_notes(&figures.notes);
    Ok(())
}

/// `migflow compare`.
pub fn compare(args: CompareArgs) -> Result<()> {
    use migflow_report::{build, results};
    let read_run = |dir: &Path| -> Result<Box<results::RunResults>> {
        match results::Results::read(dir, None)? {
            results::Results::Run(r) => Ok(r),
            results::Results::Sweep(_) => anyhow::bail!(
                "{}: is a sweep; `migflow compare` takes the results of two `migflow run`s",
                dir.display()
            ),
        }
    };
    let base = read_run(&args.base)?;
    let policy = read_run(&args.policy)?;
    let diffs = results::differences(&base, &policy)?;
    let figures = build::comparison_charts(&base, &policy, &diffs);
    let csv = results::differences_csv(&diffs);
    // cohort_differences.csv is always written (the header alone when the
    // runs follow no cohort year in common, with a note), so that no
    // earlier comparison's file is left in the directory.
    let cohort_csv = results::cohort_differences_csv(&results::cohort_differences(&base, &policy)?);
    let mut notes = figures.notes.clone();
    if results::common_cohort_years(&base, &policy).is_empty() {
        let years = |r: &results::RunResults| match &r.cohorts {
            Some(c) => c
                .cohort_years()
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            None => "none (no cohorts.csv)".to_string(),
        };
        notes.push(format!(
            "cohort_differences.csv has no rows: the runs follow no cohort year in common (base {}: {}; policy {}: {})",
            args.base.display(),
            years(&base),
            args.policy.display(),
            years(&policy)
        ));
    }
    let mut inputs = recorded_files(&args.base);
    inputs.extend(recorded_files(&args.policy));
    let written = write_figures(
        &args.out,
        &figures.figures,
        args.png,
        &[
            ("differences.csv", csv.as_bytes()),
            ("cohort_differences.csv", cohort_csv.as_bytes()),
        ],
        "a comparison",
        &inputs,
    )?;
    for path in written {
        println!("wrote {}", path.display());
    }
    print_notes(&notes);
    Ok(())
}

/// `migflow report`.
pub fn report(args: ReportArgs) -> Result<()> {
    use migflow_report::html;
    let (text, notes) = html::report(
        &args.results,
        args.compare.as_deref(),
        args.years.as_deref(),
        args.outcome.as_deref(),
    )?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut inputs = recorded_files(&args.results);
    if let Some(other) = &args.compare {
        inputs.extend(recorded_files(other));
    }
    migflow_io::atomic::refuse_input(&args.out, &inputs)?;
    migflow_io::write_file_atomic(&args.out, text.as_bytes())?;
    println!("wrote {}", args.out.display());
    print_notes(&notes);
    Ok(())
}
