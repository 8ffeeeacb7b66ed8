//! `migflow sensitivity`.

use super::print_notes;
use crate::args::SensitivityArgs;
use anyhow::Result;
use std::process::ExitCode;

/// `migflow sensitivity`.
pub fn sensitivity(args: SensitivityArgs) -> Result<ExitCode> {
    use migflow_analysis::sensitivity as sa;
    if args.selftest {
        let lines = sa::selftest()?;
        println!(
            "{:<22} {:>10} {:>10} {:>10}  {:<22} ok",
            "check", "estimate", "exact", "tolerance", "95% CI"
        );
        for l in &lines {
            let ci = l
                .ci95
                .map_or(String::new(), |(lo, hi)| format!("[{lo:.4}, {hi:.4}]"));
            let tolerance = if l.tolerance >= 1e-4 {
                format!("{:.4}", l.tolerance)
            } else {
                format!("{:.0e}", l.tolerance)
            };
            println!(
                "{:<22} {:>10.4} {:>10.4} {:>10}  {:<22} {}",
                l.name,
                l.estimate,
                l.exact,
                tolerance,
                ci,
                if l.ok() { "yes" } else { "NO" }
            );
        }
        let failed = lines.iter().filter(|l| !l.ok()).count();
        if failed > 0 {
            eprintln!("error: {failed} estimate(s) out of tolerance");
            return Ok(ExitCode::from(1));
        }
        println!(
            "all {} estimates within tolerance (Ishigami: {} base points)",
            lines.len(),
            sa::SELFTEST_BASE_POINTS
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(dir) = args.sweep_dir else {
        anyhow::bail!("nothing to do: give a sweep directory, or --selftest");
    };
    let opts = sa::Options {
        metrics: args.metrics,
        year: args.year,
        bootstrap: args.bootstrap,
    };
    let done = migflow_report::analyses::sensitivity(&dir, &opts, args.out.as_deref())?;
    print!("{}", sa::summary(&done.analysis));
    for path in done.written {
        println!("wrote {}", path.display());
    }
    print_notes(&done.notes);
    Ok(ExitCode::SUCCESS)
}
