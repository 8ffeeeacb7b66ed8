//! `migflow sweep`, `migflow merge` and `migflow slurm`.

use crate::args::{SweepArgs, threads};
use crate::progress;
use anyhow::{Context, Result};
use migflow_experiments::{execute, slurm as slurm_scripts, store, sweep::SweepPlan};
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `migflow sweep`.
pub fn sweep(args: SweepArgs) -> Result<ExitCode> {
    let sets = args
        .sets
        .iter()
        .map(|t| {
            migflow_core::params::path::parse_assignment(t)
                .map_err(|e| anyhow::anyhow!("--set {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let plan = SweepPlan::load_with(&args.sweep, &sets)?;
    let shard = args.shard;
    let threads = threads(args.threads);
    super::print_warnings(&plan.base);
    if args.dry_run {
        let e = execute::estimate(&plan, shard, threads)?;
        println!("sweep {} (hash {})", args.sweep.display(), plan.hash);
        println!(
            "design {}: {} points × {} replicates = {} runs{}",
            plan.sweep.design.name(),
            e.points,
            plan.replicates(),
            plan.runs(),
            shard.map_or(String::new(), |s| format!(
                "; this shard ({}/{}) runs {}",
                s.index, s.count, e.runs
            )),
        );
        let paths = plan.factor_paths();
        println!("points (point_id, {}):", paths.join(", "));
        for (i, _) in plan.points.iter().enumerate().take(20) {
            // The levels as written: the `'` of a CSV cell that would be a
            // formula is for spreadsheets, not for a terminal.
            let cells = plan.point_cells(i as u64);
            let levels: Vec<&str> = cells
                .iter()
                .map(|c| migflow_io::tables::user_text_from_csv(c))
                .collect();
            println!("  {i}: {}", levels.join(", "));
        }
        if plan.points.len() > 20 {
            println!(
                "  … and {} more (all in points.csv after the sweep)",
                plan.points.len() - 20
            );
        }
        println!(
            "rows: runs.csv {}, trajectories.csv {}, points_summary.csv {}",
            e.runs_rows, e.trajectory_rows, e.summary_rows
        );
        println!(
            "estimate: {:.3e} household-years at {:.0} ns each on one thread ⇒ about {:.1} s with {} thread(s)",
            e.household_years,
            e.seconds_per_household_year * 1e9,
            e.seconds,
            migflow_io::resources::worker_threads(threads)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let opts = execute::SweepOptions {
        out: args.out.clone(),
        resume: args.resume,
        shard,
        threads,
        cancel: Default::default(),
        format: args.format,
    };
    let bar = progress::bar(args.quiet, plan.runs(), "runs");
    let started = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
        bar.reset_eta();
    };
    let tick = || bar.inc(1);
    let report = execute::run_sweep(&plan, &opts, &started, &tick)?;
    bar.finish_and_clear();
    if let Some(e) = &report.timing_error {
        eprintln!("warning: the results are complete, but timing.json was not written: {e}");
    }
    let m = &report.manifest;
    if !args.quiet {
        eprintln!(
            "{} runs ({} executed now) in {:.1} s: {} ok, {} failed; results in {}",
            m.run_status.len(),
            report.executed,
            report.wall_seconds,
            m.completed,
            m.failed,
            args.out.display()
        );
    }
    if m.failed > 0 {
        eprintln!(
            "error: {} run(s) failed; their errors are in {}",
            m.failed,
            args.out
                .join(args.format.file_name("failures.csv"))
                .display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `migflow merge`.
pub fn merge(shards: &[PathBuf], out: &Path) -> Result<()> {
    let manifest = store::merge(shards, out)?;
    eprintln!(
        "merged {} shard(s): {} runs ({} ok, {} failed) into {}",
        shards.len(),
        manifest.runs,
        manifest.completed,
        manifest.failed,
        out.display()
    );
    Ok(())
}

/// `migflow slurm`.
pub fn slurm(
    sweep: &Path,
    out: &Path,
    tasks: NonZeroU64,
    partition: Option<String>,
    time: String,
    cpus: u32,
    migflow: Option<PathBuf>,
) -> Result<()> {
    let plan = SweepPlan::load(sweep)?;
    let tasks = tasks.get();
    if tasks > plan.runs() {
        anyhow::bail!(
            "--tasks {tasks}: expected from 1 to the sweep's {} runs",
            plan.runs()
        );
    }
    let migflow = match migflow {
        Some(p) => p,
        None => std::env::current_exe().context("finding the migflow binary")?,
    };
    let submit = slurm_scripts::write_scripts(
        sweep,
        out,
        &slurm_scripts::SlurmOptions {
            tasks,
            partition,
            time,
            cpus,
            migflow,
        },
    )?;
    println!("wrote {}", submit.parent().unwrap_or(out).display());
    println!(
        "{} runs in {tasks} array tasks; submit with:\n  bash {}",
        plan.runs(),
        submit.display()
    );
    Ok(())
}
