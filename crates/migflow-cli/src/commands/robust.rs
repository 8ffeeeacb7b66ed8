//! `migflow robust`.

use super::print_notes;
use crate::args::RobustArgs;
use anyhow::{Result, bail};
use migflow_analysis::robust as rb;

/// `migflow robust`: the robustness of a sweep's policies across its
/// uncertainties, written into `SWEEP_DIR/robust` (or `--out`).
pub fn robust(args: RobustArgs) -> Result<()> {
    if let Some(t) = args.threshold.filter(|t| !t.is_finite()) {
        bail!("--threshold {t}: expected a finite number");
    }
    // clap refuses both flags together; this keeps the rule if it ever
    // stops doing so.
    if args.minimise && args.maximise {
        bail!("--minimise and --maximise: expected one of them, not both");
    }
    let opts = rb::Options {
        direction: if args.maximise {
            rb::Direction::Maximise
        } else {
            rb::Direction::Minimise
        },
        threshold: args.threshold,
    };
    let dir = args.sweep_dir;
    // The default is a subdirectory: a sweep's directory holds its results alone.
    let out = args.out.unwrap_or_else(|| dir.join("robust"));
    migflow_io::atomic::refuse_results_dir(&out, "a robustness analysis")?;
    let (table, mut notes) = rb::read_table(&dir, &args.outcome)?;
    let mut analysis = rb::analyse(&table, &opts)?;
    notes.append(&mut analysis.notes);
    analysis.notes = notes;
    let input = rb::Input {
        sweep_dir: dir.clone(),
        runs_sha256: migflow_io::manifest::sha256_file(&dir.join("runs.csv"))?,
    };
    let figures = migflow_report::html::robust::figures(&analysis);
    let mut charts = Vec::new();
    for f in &figures.figures {
        charts.push((format!("{}.svg", f.name), f.svg()?.into_bytes()));
    }
    let written = rb::write(&analysis, &input, charts, &out)?;
    print!("{}", rb::summary(&analysis));
    for path in written {
        println!("wrote {}", path.display());
    }
    print_notes(&analysis.notes);
    print_notes(&figures.notes);
    Ok(())
}
