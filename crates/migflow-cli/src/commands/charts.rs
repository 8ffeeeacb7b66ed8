//! `migflow plot` and `migflow report`.

use super::print_notes;
use crate::args::{PlotArgs, ReportArgs};
use anyhow::{Context, Result};
use migflow_report::output::{recorded_files, write_figures};

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

/// `migflow report`.
pub fn report(args: ReportArgs) -> Result<()> {
    use migflow_report::html;
    let (text, notes) = html::report(
        &args.results,
        &args.compare,
        args.years.as_deref(),
        args.outcome.as_deref(),
    )?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut inputs = recorded_files(&args.results);
    for other in &args.compare {
        inputs.extend(recorded_files(other));
    }
    migflow_io::atomic::refuse_input(&args.out, &inputs)?;
    migflow_io::write_file_atomic(&args.out, text.as_bytes())?;
    println!("wrote {}", args.out.display());
    print_notes(&notes);
    Ok(())
}
