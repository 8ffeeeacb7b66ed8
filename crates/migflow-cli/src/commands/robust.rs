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
    let done = migflow_report::analyses::robust(
        &args.sweep_dir,
        &args.outcome,
        &opts,
        args.out.as_deref(),
    )?;
    print!("{}", rb::summary(&done.analysis));
    for path in done.written {
        println!("wrote {}", path.display());
    }
    print_notes(&done.notes);
    Ok(())
}
