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
    let method = match args.method.as_str() {
        "prim" => sd::Method::Prim,
        "cart" => sd::Method::Cart,
        other => bail!("--method: `{other}` is not a method (expected prim or cart)"),
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
            paste_alpha: 0.05,
            mass_min: args.min_mass,
            threshold: args.threshold,
        },
        box_index: args.box_index,
        max_depth: args.max_depth,
    };
    // The default is a subdirectory: a sweep's directory holds its results alone.
    let out = args.out.unwrap_or_else(|| args.sweep_dir.join("discover"));
    migflow_io::atomic::refuse_results_dir(&out, "a scenario discovery")?;
    let d = sd::analyze(&args.sweep_dir, &opts)?;
    let (charts, chart_notes) = migflow_report::html::discover::charts(&d);
    let written = sd::write(&d, charts, &out)?;
    print!("{}", sd::summary(&d));
    for path in written {
        println!("wrote {}", path.display());
    }
    print_notes(&d.notes);
    print_notes(&chart_notes);
    Ok(())
}
