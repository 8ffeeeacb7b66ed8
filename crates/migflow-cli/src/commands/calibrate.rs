//! `migflow calibrate`.

use crate::args::{CalibrateArgs, threads};
use crate::progress;
use anyhow::Result;

/// `migflow calibrate`.
pub fn calibrate(args: CalibrateArgs) -> Result<()> {
    use migflow_analysis::calibrate::{self as calib, CalibrateOptions, CalibrationPlan};
    let plan = CalibrationPlan::load(&args.calibration)?;
    super::print_warnings(&plan.base);
    let opts = CalibrateOptions {
        out: args.out.clone(),
        method: args.method.into(),
        samples: args.samples,
        accept: args.accept,
        generations: args.generations,
        resume: args.resume,
        threads: threads(args.threads),
    };
    for t in &plan.targets {
        if let Some(w) = &t.range_warning {
            eprintln!("WARNING: target {} ({}): {w}", t.label(), t.origin);
        }
    }
    let bar = progress::bar(args.quiet, opts.samples, "samples");
    let started = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
        bar.reset_eta();
    };
    let tick = || bar.inc(1);
    let report = calib::calibrate(&plan, &opts, &started, &tick)?;
    bar.finish_and_clear();
    let m = &report.manifest;
    if !args.quiet {
        let g = m.generation_summaries.get(m.posterior_generation as usize);
        eprintln!(
            "{} samples ({} simulated now) in {:.1} s; posterior: {} particles of generation {} (tolerance {:.4}); {} proposals fell back to their parent; results in {}",
            m.generation_summaries
                .iter()
                .map(|g| g.proposals)
                .sum::<u64>(),
            report.executed,
            report.wall_seconds,
            g.map_or(0, |g| g.accepted),
            m.posterior_generation,
            g.map_or(f64::NAN, |g| g.tolerance),
            m.kernel_fallbacks(),
            args.out.display()
        );
        println!("parameter\tprior\tposterior mean\tsd\t95% interval");
        for p in &m.parameters {
            println!(
                "{}\t{} to {}\t{}\t{:.4}\t{:.4} to {:.4}",
                p.path, p.prior_min, p.prior_max, p.mean, p.sd, p.q025, p.q975
            );
        }
        println!("\ntarget\tobserved\tsimulated (95% CI)\tz");
        for f in report.fit.iter().filter(|f| f.year.is_some()) {
            let num = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.4}"));
            println!(
                "{}\t{}\t{} ({} to {})\t{}",
                f.label,
                num(f.observed),
                num(f.simulated_mean),
                num(f.ci95_low),
                num(f.ci95_high),
                num(f.z)
            );
        }
        for note in &m.notes {
            eprintln!("note: {note}");
        }
    }
    for f in report.fit.iter().filter(|f| !f.warning.is_empty()) {
        eprintln!("WARNING: target {}: {}", f.label, f.warning);
    }
    if m.kernel_fallbacks() > 0 {
        eprintln!("WARNING: {}", calib::fallback_warning(m.kernel_fallbacks()));
    }
    Ok(())
}
