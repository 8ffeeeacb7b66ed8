//! `migflow discover`.

use super::print_notes;
use crate::args::DiscoverArgs;
use anyhow::{Result, bail};
use migflow_analysis::discover as sd;

/// `migflow discover`.
pub fn discover(args: DiscoverArgs) -> Result<()> {
    let condition = match sd::Condition::parse(&args.condition) {
        Ok(c) => c,
        Err(message) => bail!("--where: {message}"),
    };
    let method: sd::Method = match args.method.parse() {
        Ok(m) => m,
        Err(message) => bail!("--method: {message}"),
    };
    for (flag, v, hi) in [
        ("--alpha", args.alpha, 0.5),
        ("--min-mass", args.min_mass, 1.0),
    ] {
        if !(v.is_finite() && v > 0.0 && v < hi) {
            bail!("{flag}: {v} is out of range (expected a number above 0 and below {hi})");
        }
    }
    if !(args.threshold.is_finite() && args.threshold > 0.0 && args.threshold <= 1.0) {
        bail!(
            "--threshold: {} is out of range (expected a density above 0 and at most 1)",
            args.threshold
        );
    }
    if args.max_depth == 0 || args.max_depth > 12 {
        bail!(
            "--max-depth: {} is out of range (expected 1 to 12)",
            args.max_depth
        );
    }
    if args.box_index.is_some() && method == sd::Method::Cart {
        bail!("--box: chooses a PRIM box; it does not apply to --method cart");
    }
    let opts = sd::Options {
        outcome: args.outcome,
        condition,
        policy: args.policy,
        method,
        prim: sd::PrimOptions {
            peel_alpha: args.alpha,
            paste_alpha: sd::PrimOptions::default().paste_alpha,
            mass_min: args.min_mass,
            threshold: args.threshold,
        },
        box_index: args.box_index,
        max_depth: args.max_depth,
    };
    let done = migflow_report::analyses::discover(&args.sweep_dir, &opts, args.out.as_deref())?;
    print!("{}", sd::summary(&done.analysis));
    for path in done.written {
        println!("wrote {}", path.display());
    }
    print_notes(&done.notes);
    Ok(())
}
