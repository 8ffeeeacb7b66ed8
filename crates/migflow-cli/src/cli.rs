//! Subcommands. Only this layer uses `anyhow` and knows about exit codes.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use migflow_core::params::{self, DEFAULT_SCENARIO_TOML, Params};
use migflow_experiments::run::{RunOptions, run_to_dir};
use migflow_experiments::{execute, slurm as slurm_scripts, store, sweep::SweepPlan};
use migflow_io::read_manifest;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// migflow: agent-based simulation of relocated households' livelihood
/// flows and their risk of returning to poverty.
#[derive(Debug, Parser)]
#[command(name = "migflow", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario and write trajectories, flows and a manifest.
    #[command(after_help = "Examples:
  migflow run                                   # the built-in T County default into results/
  migflow run scenarios/workshops_expanded.toml --out results/workshops
  migflow run scenarios/t_county.toml --seed 7 --replicates 8 --threads 2
  migflow run results/manifest.json --out rerun # repeat a run from its manifest
  migflow run --households-out --quiet          # also write the household × year panel")]
    Run(RunArgs),
    /// Check a scenario file and show what it resolves to.
    #[command(after_help = "Examples:
  migflow validate scenarios/guangxi_scale.toml
  migflow validate my_scenario.toml && migflow run my_scenario.toml")]
    Validate {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// Run a parameter sweep: a design over scenario keys, with replicates.
    #[command(after_help = "Examples:
  migflow sweep scenarios/sweeps/workshops_vs_cooperation.toml --out results/sweep
  migflow sweep SWEEP.toml --out results/sweep --dry-run      # count runs and rows, estimate the time
  migflow sweep SWEEP.toml --out results/sweep --resume       # finish a killed or interrupted sweep
  migflow sweep SWEEP.toml --out shard-0 --shard 0/4          # one of 4 shards; then `migflow merge`
  migflow sweep SWEEP.toml --out shard-$SLURM_ARRAY_TASK_ID --shard slurm

Exit codes: 0 all runs succeeded; 1 some runs failed (see failures.csv); 2 bad input.")]
    Sweep(SweepArgs),
    /// Merge the shard directories of a sweep into the whole sweep's outputs.
    #[command(after_help = "Examples:
  migflow merge results/shard-0 results/shard-1 results/shard-2 results/shard-3 --out results/sweep
  migflow merge results/shards/* --out results/sweep")]
    Merge {
        /// Shard directories, each a finished `migflow sweep --shard`.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Write Slurm scripts that run a sweep as a job array, then merge it.
    #[command(after_help = "Examples:
  migflow slurm SWEEP.toml --out /scratch/me/sweep --tasks 50 --time 02:00:00 --cpus 4
  bash /scratch/me/sweep/slurm/submit.sh")]
    Slurm {
        /// The sweep file.
        sweep: PathBuf,
        /// Results directory (shards go to OUT/shards, the merged sweep to OUT).
        #[arg(long, short)]
        out: PathBuf,
        /// Array tasks (shards).
        #[arg(long)]
        tasks: u64,
        /// Slurm partition.
        #[arg(long)]
        partition: Option<String>,
        /// Time limit per task.
        #[arg(long, default_value = "01:00:00")]
        time: String,
        /// CPUs per task.
        #[arg(long, default_value_t = 1)]
        cpus: u32,
        /// The migflow binary the nodes run (default: this one).
        #[arg(long)]
        migflow: Option<PathBuf>,
    },
    /// Draw every chart the results of a run or a sweep allow (SVG, and PNG
    /// with --png).
    #[command(after_help = "Examples:
  migflow plot results                           # charts into results/charts/
  migflow plot results --png --out figures       # SVG and PNG into figures/
  migflow plot results --years 2021,2026         # flow and income charts for these years
  migflow plot results/sweep --outcome all_final_poor_share

Charts the files do not allow (e.g. income distributions without
households.csv, from `migflow run --households-out`) are skipped with a note.
Exit codes: 0 written; 2 missing or malformed results.")]
    Plot(PlotArgs),
    /// Compare two runs (policy − base, paired by replicate): charts and
    /// differences.csv with 95% CIs.
    #[command(after_help = "Examples:
  migflow run --replicates 8 --quiet --out results/base
  migflow run scenarios/workshops_expanded.toml --replicates 8 --quiet --out results/workshops
  migflow compare results/base results/workshops --out results/workshops-vs-base

The runs must have the same replicates and years; use the same seed so that
replicate r of both shares its random streams (paired differences).
Exit codes: 0 written; 2 missing, malformed or incomparable results.")]
    Compare(CompareArgs),
    /// Write one self-contained HTML report (inline SVG and CSS, no network,
    /// no script) of a run or a sweep.
    #[command(after_help = "Examples:
  migflow run --replicates 4 --households-out --quiet && migflow report results -o report.html
  migflow report results/base --compare results/workshops -o workshops.html
  migflow report results/sweep -o sweep.html

Exit codes: 0 written; 2 missing or malformed results.")]
    Report(ReportArgs),
    /// Global sensitivity of a finished `sobol` or `morris` sweep: Sobol
    /// indices (S1, ST) or Morris measures (μ*, μ, σ) with bootstrap 95% CIs.
    #[command(after_help = "Examples:
  migflow sweep scenarios/sweeps/sensitivity_sobol.toml --out results/sobol --quiet
  migflow sensitivity results/sobol                       # sensitivity.csv and charts into results/sobol/sensitivity/
  migflow sensitivity results/sobol --metric all_mean_poor_share --metric farm_cum_returned
  migflow sensitivity results/morris --year 2025 --out results/morris-2025
  migflow sensitivity --selftest                          # the estimators on Ishigami and a linear model

Metrics are runs.csv outcome columns (`<livelihood>_<outcome>`), averaged over
each point's replicates; default: `<livelihood>_mean_poor_share` and
`<livelihood>_cum_returned` for the five livelihoods and `all`. With --year
they are taken up to that year from trajectories.csv, where any trajectory
metric (e.g. `all_poor_share`) may be named too. Morris values are in units
of the output per full range (max − min) of the factor.
Exit codes: 0 written (or self-test passed); 1 self-test out of tolerance;
2 missing or malformed results, or not a sobol or morris sweep.")]
    Sensitivity(SensitivityArgs),
    /// Fit free parameters to observed targets by approximate Bayesian
    /// computation (rejection or ABC-SMC): posterior, fit table, best-fit scenario.
    #[command(after_help = "Examples:
  migflow calibrate scenarios/calibration/relocated_2021_2022.toml --out results/calibration --method smc --samples 1500 --generations 6
  migflow calibrate CALIB.toml --out results/calib --samples 2000 --accept 0.05
  migflow calibrate CALIB.toml --out results/calib --method smc --samples 500 --generations 4
  migflow calibrate CALIB.toml --out results/calib --resume   # finish an interrupted calibration
  migflow run results/calibration/best_fit.toml --out results/best-fit

Writes samples.csv, posterior.csv, fit.csv, best_fit.toml and manifest.json.
A target the model cannot reach is reported with a WARNING on stderr and in
fit.csv's `warning` column.
Exit codes: 0 written (warnings included); 2 bad input.")]
    Calibrate(CalibrateArgs),
    /// Print the default scenario, every key commented.
    #[command(after_help = "Examples:
  migflow scenario --print-default > my_scenario.toml")]
    Scenario {
        /// Print the complete default scenario (T County) as TOML.
        #[arg(long)]
        print_default: bool,
    },
}

#[derive(Debug, clap::Args)]
struct SweepArgs {
    /// The sweep file.
    sweep: PathBuf,
    /// Results directory.
    #[arg(long, short)]
    out: PathBuf,
    /// Print the runs, points, output rows and an estimated time; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// Finish an interrupted sweep in OUT (starts it if OUT holds none).
    #[arg(long)]
    resume: bool,
    /// Run one shard: `I/N` runs every N-th run from I; `slurm` reads
    /// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT.
    #[arg(long)]
    shard: Option<String>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct PlotArgs {
    /// Results directory of `migflow run`, `migflow sweep` or `migflow merge`.
    results: PathBuf,
    /// Output directory (default: RESULTS/charts).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Also write each chart as PNG.
    #[arg(long)]
    png: bool,
    /// Years of the flow and income charts, e.g. 2021,2026 (default: the
    /// first year and the first year after the levers end).
    #[arg(long, value_delimiter = ',')]
    years: Option<Vec<i32>>,
    /// A sweep's outcome column of runs.csv (default: all_mean_poor_share).
    #[arg(long)]
    outcome: Option<String>,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Results directory of the base run.
    base: PathBuf,
    /// Results directory of the policy run.
    policy: PathBuf,
    /// Output directory for the charts and differences.csv.
    #[arg(long, short)]
    out: PathBuf,
    /// Also write each chart as PNG.
    #[arg(long)]
    png: bool,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Results directory of `migflow run`, `migflow sweep` or `migflow merge`.
    results: PathBuf,
    /// Another run's results to compare with (this one is the base).
    #[arg(long)]
    compare: Option<PathBuf>,
    /// The HTML file to write.
    #[arg(long = "out", short = 'o')]
    out: PathBuf,
    /// Years of the flow and income charts, e.g. 2021,2026.
    #[arg(long, value_delimiter = ',')]
    years: Option<Vec<i32>>,
    /// A sweep's outcome column of runs.csv (default: all_mean_poor_share).
    #[arg(long)]
    outcome: Option<String>,
}

#[derive(Debug, clap::Args)]
struct SensitivityArgs {
    /// Results directory of a finished `sobol` or `morris` sweep.
    #[arg(required_unless_present = "selftest")]
    sweep_dir: Option<PathBuf>,
    /// An output metric (repeatable); default: every livelihood's
    /// mean_poor_share and cum_returned.
    #[arg(long = "metric", short = 'm')]
    metrics: Vec<String>,
    /// Take the metrics up to this calendar year from trajectories.csv.
    #[arg(long)]
    year: Option<i32>,
    /// Output directory (default: SWEEP_DIR/sensitivity).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Bootstrap resamples for the 95% CIs (0: none).
    #[arg(long, default_value_t = migflow_analysis::sensitivity::DEFAULT_BOOTSTRAP)]
    bootstrap: usize,
    /// Check the estimators on Ishigami and a linear model against their
    /// exact indices, then exit.
    #[arg(long, conflicts_with_all = ["sweep_dir", "metrics", "year", "out"])]
    selftest: bool,
}

#[derive(Debug, clap::Args)]
struct CalibrateArgs {
    /// The calibration file (CALIB.toml).
    calibration: PathBuf,
    /// Results directory.
    #[arg(long, short)]
    out: PathBuf,
    /// Parameter sets simulated (per generation with --method smc).
    #[arg(long, default_value_t = 1000)]
    samples: u64,
    /// `rejection` (from the prior) or `smc` (ABC-SMC, decreasing tolerances).
    #[arg(long, default_value = "rejection", value_parser = ["rejection", "smc"])]
    method: String,
    /// Rejection: the fraction of samples accepted, closest first.
    #[arg(long, default_value_t = 0.1)]
    accept: f64,
    /// ABC-SMC: generations.
    #[arg(long, default_value_t = 4)]
    generations: u32,
    /// Finish an interrupted calibration in OUT.
    #[arg(long)]
    resume: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// No progress bar and no summary (warnings are still printed).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario TOML file, or a manifest.json to repeat a run. Without it,
    /// the built-in T County default.
    scenario: Option<PathBuf>,
    /// Results directory.
    #[arg(long, short, default_value = "results")]
    out: PathBuf,
    /// Master seed (default: the scenario's `run.seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Replicates (default: the scenario's `run.replicates`).
    #[arg(long, short)]
    replicates: Option<u32>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    /// Also write households.csv, the household × year panel.
    #[arg(long)]
    households_out: bool,
}

/// Run the command line.
pub fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    let ok = |r: Result<()>| r.map(|()| ExitCode::SUCCESS);
    match cli.command {
        Command::Run(args) => ok(run(args)),
        Command::Validate { scenario } => ok(validate(&scenario)),
        Command::Sweep(args) => sweep(args),
        Command::Merge { shards, out } => ok(merge(&shards, &out)),
        Command::Slurm {
            sweep,
            out,
            tasks,
            partition,
            time,
            cpus,
            migflow,
        } => ok(slurm(&sweep, &out, tasks, partition, time, cpus, migflow)),
        Command::Plot(args) => ok(plot(args)),
        Command::Compare(args) => ok(compare(args)),
        Command::Report(args) => ok(report(args)),
        Command::Sensitivity(args) => sensitivity(args),
        Command::Calibrate(args) => ok(calibrate(args)),
        Command::Scenario { print_default } => {
            if !print_default {
                anyhow::bail!("nothing to do: try `migflow scenario --print-default`");
            }
            std::io::stdout()
                .write_all(DEFAULT_SCENARIO_TOML.as_bytes())
                .context("writing to standard output")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Load a scenario file, or the scenario of a manifest (with its seed and
/// replicates).
fn load(path: Option<&Path>) -> Result<Params> {
    let Some(path) = path else {
        return Ok(Params::builtin_default());
    };
    if path.extension().is_some_and(|e| e == "json") {
        let manifest = read_manifest(path)?;
        let scenario = params::parse(&manifest.scenario_toml, path)?;
        return Ok(Params::new(scenario, Some(path.to_path_buf()))?);
    }
    Ok(migflow_io::files::load_scenario(path)?)
}

fn run(args: RunArgs) -> Result<()> {
    let loaded = load(args.scenario.as_deref())?;
    let seed = args.seed.unwrap_or(loaded.scenario().run.seed);
    let replicates = args.replicates.unwrap_or(loaded.scenario().run.replicates);
    if !(1..=params::validate::MAX_REPLICATES).contains(&replicates) {
        anyhow::bail!(
            "--replicates {replicates}: expected an integer from 1 to {}",
            params::validate::MAX_REPLICATES
        );
    }
    if args.threads == Some(0) {
        anyhow::bail!("--threads 0: expected at least 1 thread");
    }
    let years = u64::from(loaded.scenario().run.years);
    let opts = RunOptions {
        loaded,
        seed,
        replicates,
        threads: args.threads.unwrap_or(0),
        out: args.out.clone(),
        households_out: args.households_out,
        command: std::env::args().collect(),
    };
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(
            Some(u64::from(replicates) * years),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {wide_bar} {pos}/{len} replicate-years  {elapsed} (eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    };
    let tick = || bar.inc(1);
    let report = run_to_dir(&opts, &tick)?;
    bar.finish_and_clear();
    if !args.quiet {
        let m = &report.manifest;
        eprintln!(
            "wrote {} files to {} ({} households × {} years × {} replicate(s) in {:.2} s, {:.2} M household-years/s)",
            report.files.len(),
            args.out.display(),
            m.households,
            m.years,
            m.replicates,
            m.wall_seconds,
            m.household_years_per_second / 1e6
        );
    }
    Ok(())
}

fn validate(path: &Path) -> Result<()> {
    let loaded = migflow_io::files::load_scenario(path)?;
    let source = migflow_io::files::population_source(&loaded)?;
    let s = loaded.scenario();
    let p = &s.population;
    println!(
        "{}: ok — {} households{}, {} sites, {} villages ({} per site), {} years ({}–{}), seed {}, {} replicate(s)",
        path.display(),
        source.households(&loaded),
        if p.file.is_some() {
            " (from the population file)"
        } else {
            ""
        },
        p.sites,
        u64::from(p.sites) * u64::from(p.villages_per_site),
        p.villages_per_site,
        s.run.years,
        s.run.start_year,
        s.run.end_year(),
        s.run.seed,
        s.run.replicates,
    );
    Ok(())
}

fn progress_bar(quiet: bool, len: u64, unit: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{wide_bar}} {{pos}}/{{len}} {unit}  {{elapsed}} (eta {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn sweep(args: SweepArgs) -> Result<ExitCode> {
    let plan = SweepPlan::load(&args.sweep)?;
    let shard = match &args.shard {
        Some(text) => Some(
            slurm_scripts::parse_shard(text, |k| std::env::var(k).ok())
                .map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    if args.threads == Some(0) {
        anyhow::bail!("--threads 0: expected at least 1 thread");
    }
    let threads = args.threads.unwrap_or(0);
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
            println!("  {i}: {}", plan.point_cells(i as u64).join(", "));
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
    };
    let bar = progress_bar(args.quiet, plan.runs(), "runs");
    let started = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
        bar.reset_eta();
    };
    let tick = || bar.inc(1);
    let report = execute::run_sweep(&plan, &opts, &started, &tick)?;
    bar.finish_and_clear();
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
            args.out.join("failures.csv").display()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(shards: &[PathBuf], out: &Path) -> Result<()> {
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

fn slurm(
    sweep: &Path,
    out: &Path,
    tasks: u64,
    partition: Option<String>,
    time: String,
    cpus: u32,
    migflow: Option<PathBuf>,
) -> Result<()> {
    let plan = SweepPlan::load(sweep)?;
    if tasks == 0 || tasks > plan.runs() {
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

/// Render figures into `dir` (SVG, and PNG with `png`), atomically; returns
/// the paths written.
fn write_figures(
    dir: &Path,
    figures: &[migflow_report::build::Figure],
    png: bool,
    extra: &[(&str, &[u8])],
) -> Result<Vec<PathBuf>> {
    let mut out = migflow_io::OutputDir::create(dir)?;
    let mut stage = |name: &str, bytes: &[u8]| -> Result<()> {
        let (mut w, tmp) = out.stage(name)?;
        w.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        migflow_io::atomic::finish(w, &tmp)?;
        Ok(())
    };
    for f in figures {
        stage(&format!("{}.svg", f.name), f.svg()?.as_bytes())?;
        if png {
            stage(&format!("{}.png", f.name), &f.png()?)?;
        }
    }
    for (name, bytes) in extra {
        stage(name, bytes)?;
    }
    Ok(out.commit()?)
}

fn print_notes(notes: &[String]) {
    for note in notes {
        println!("note: {note}");
    }
}

fn plot(args: PlotArgs) -> Result<()> {
    use migflow_report::{build, results::Results};
    let results = Results::read(&args.results, args.years.as_deref())?;
    let figures = build::charts(&results, args.outcome.as_deref())?;
    let dir = args.out.unwrap_or_else(|| args.results.join("charts"));
    for path in write_figures(&dir, &figures.figures, args.png, &[])? {
        println!("wrote {}", path.display());
    }
    print_notes(&figures.notes);
    Ok(())
}

fn compare(args: CompareArgs) -> Result<()> {
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
    let written = write_figures(
        &args.out,
        &figures.figures,
        args.png,
        &[("differences.csv", csv.as_bytes())],
    )?;
    for path in written {
        println!("wrote {}", path.display());
    }
    print_notes(&figures.notes);
    Ok(())
}

fn report(args: ReportArgs) -> Result<()> {
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
    migflow_io::write_file_atomic(&args.out, text.as_bytes())?;
    println!("wrote {}", args.out.display());
    print_notes(&notes);
    Ok(())
}

fn sensitivity(args: SensitivityArgs) -> Result<ExitCode> {
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
    let analysis = sa::analyze(&dir, &opts)?;
    let out = args.out.unwrap_or_else(|| dir.join("sensitivity"));
    let (charts, chart_notes) = migflow_report::sensitivity_charts(&analysis);
    let written = sa::write(&analysis, charts, &out)?;
    print!("{}", sa::summary(&analysis));
    for path in written {
        println!("wrote {}", path.display());
    }
    print_notes(&analysis.notes);
    print_notes(&chart_notes);
    Ok(ExitCode::SUCCESS)
}

fn calibrate(args: CalibrateArgs) -> Result<()> {
    use migflow_analysis::calibrate::{self as calib, CalibrateOptions, CalibrationPlan};
    let plan = CalibrationPlan::load(&args.calibration)?;
    if args.threads == Some(0) {
        anyhow::bail!("--threads 0: expected at least 1 thread");
    }
    let opts = CalibrateOptions {
        out: args.out.clone(),
        method: args.method.parse().map_err(anyhow::Error::msg)?,
        samples: args.samples,
        accept: args.accept,
        generations: args.generations,
        resume: args.resume,
        threads: args.threads.unwrap_or(0),
    };
    for t in &plan.targets {
        if let Some(w) = &t.range_warning {
            eprintln!("WARNING: target {} ({}): {w}", t.label(), t.origin);
        }
    }
    let bar = progress_bar(args.quiet, opts.samples, "samples");
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
