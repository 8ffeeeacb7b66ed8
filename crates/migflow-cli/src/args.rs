//! The command line as clap parses it: subcommands, their flags, and the
//! value parsers that turn flag text into library values.

use clap::{Parser, Subcommand, ValueEnum};
use migflow_analysis::calibrate::Method;
use migflow_experiments::store::Shard;
use migflow_experiments::sweep::MAX_RUNS;
use migflow_io::TableFormat;
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::PathBuf;

/// migflow: agent-based simulation of relocated households' livelihood
/// flows and their risk of returning to poverty.
#[derive(Debug, Parser)]
#[command(name = "migflow", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write trajectories, flows and a manifest.
    #[command(after_help = "Examples:
  migflow run                                   # the built-in T County default into results/
  migflow run scenarios/workshops_expanded.toml --out results/workshops
  migflow run scenarios/t_county.toml --seed 7 --replicates 8 --threads 2
  migflow run results/manifest.json --out rerun # repeat a run from its manifest
  migflow run --households-out --quiet          # also write the household × year panel
  migflow run --out notes/ --force              # write beside files migflow did not write

A run into a directory holding an earlier run replaces that run's whole set
of files; a directory holding anything else is refused unless --force.")]
    Run(RunArgs),
    /// Check a scenario, sweep or calibration file and show what it
    /// resolves to.
    #[command(after_help = "Examples:
  migflow validate scenarios/guangxi_scale.toml
  migflow validate my_scenario.toml && migflow run my_scenario.toml
  migflow validate scenarios/sweeps/behaviour_lhs.toml")]
    Validate {
        /// The scenario, sweep or calibration file.
        scenario: PathBuf,
        /// Set a key of the scenario by its dotted path before checking it
        /// (repeatable; scenario files only).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
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
        tasks: NonZeroU64,
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
    /// Compare policies with one base run, paired replicate by replicate:
    /// per-year differences, effects over a window with 95% CIs, and what
    /// the effects cost.
    #[command(after_help = "Examples:
  migflow run --replicates 8 --quiet --out results/base
  migflow run scenarios/workshops_expanded.toml --replicates 8 --quiet --out results/workshops
  migflow run scenarios/transition_extended.toml --replicates 8 --quiet --out results/extended
  migflow compare results/base results/workshops results/extended --out results/policies --window 2021-2025

Every policy must have the base's seed, replicates and years: replicate r of
each shares its random streams with the base's (paired differences).
Policies are named by their scenario file (`--name` names them in order).
Writes differences.csv (every metric, by policy, year and livelihood),
cohort_differences.csv (the same by cohort, for the cohort years all runs
follow), effects.csv (the mean paired difference over the window with its
Student-t 95% CI, by policy, livelihood and metric; with --cohort-year also
by cohort), cost_effectiveness.csv (the extra lever cost over the base and
the cost per poor household-year and per return to poverty averted, with
Fieller 95% CIs, or a note where the effect's CI includes zero), charts and
manifest.json (the inputs by path and SHA-256).
Exit codes: 0 written; 2 missing, malformed or incomparable results.")]
    Compare(CompareArgs),
    /// Write one self-contained HTML report (inline SVG and CSS, no network,
    /// no script) of a run or a sweep.
    #[command(after_help = "Examples:
  migflow run --replicates 4 --households-out --quiet && migflow report results -o report.html
  migflow report results/base --compare results/workshops -o workshops.html
  migflow report results/base --compare results/workshops --compare results/extended -o policies.html
  migflow report results/sweep -o sweep.html

With --compare, every policy must have the base's replicates and years; a
policy is named by its scenario file (by its directory where two share
one). The comparison shows forest plots of the effects over the run's years
and the paired differences in the years the levers change.

Exit codes: 0 written; 2 missing or malformed results.")]
    Report(ReportArgs),
    /// Global sensitivity of a finished sweep: Sobol indices (S1, ST) of a
    /// `sobol` sweep, Morris measures (μ*, μ, σ) of a `morris` sweep, or
    /// rank-based PRCC and SRRC (with the rank regression's R²) of an
    /// `lhs`, `table` or `grid` sweep, all with 95% CIs.
    #[command(after_help = "Examples:
  migflow sweep scenarios/sweeps/sensitivity_sobol.toml --out results/sobol --quiet
  migflow sensitivity results/sobol                       # sensitivity.csv and charts into results/sobol/sensitivity/
  migflow sensitivity results/sobol --metric all_mean_poor_share --metric farm_cum_returned
  migflow sensitivity results/morris --year 2025 --out results/morris-2025
  migflow sweep scenarios/sweeps/behaviour_lhs.toml --out results/behaviour_lhs --quiet
  migflow sensitivity results/behaviour_lhs -m all_mean_poor_share   # PRCC, PRCC_p, SRRC, SRRC_R2
  migflow sensitivity --selftest                          # the estimators on Ishigami and a linear model

Metrics are runs.csv outcome columns (`<livelihood>_<outcome>`), averaged over
each point's replicates; default: `<livelihood>_mean_poor_share` and
`<livelihood>_cum_returned` for the five livelihoods and `all`. With --year
they are taken up to that year from trajectories.csv, where any trajectory
metric (e.g. `all_poor_share`) may be named too. Morris values are in units
of the output per full range (max − min) of the factor.
lhs, table and grid sweeps are analysed by ranks (ties share the average
rank): PRCC with Fisher-z CIs and t-test p-values (PRCC_p), SRRC with
bootstrap CIs, and the rank regression's R² (row `SRRC_R2`, factor `(all)`;
read SRRC only when R² >= 0.7). Only numeric factors that vary enter; they
need at least factors + 3 points. A sweep of [[policies]] is analysed policy
by policy, its metrics written as `<policy>:<metric>`.
Exit codes: 0 written (or self-test passed); 1 self-test out of tolerance;
2 missing or malformed results, too few points or a singular design.")]
    Sensitivity(SensitivityArgs),
    /// Robustness of a sweep's policies across its uncertainties: outcome
    /// percentiles, regret and satisficing per policy, with charts.
    #[command(after_help = "Examples:
  migflow sweep scenarios/sweeps/policies_under_uncertainty.toml --out results/robust --quiet
  migflow robust results/robust --outcome all_mean_poor_share --threshold 0.04 --minimise

The sweep must name [[policies]] and vary at least one uncertainty. Writes
robust.csv (per policy), regret.csv (per policy and uncertainty point) and
charts into SWEEP_DIR/robust/ (or --out).
Exit codes: 0 written; 2 missing or malformed results, or bad options.")]
    Robust(RobustArgs),
    /// Scenario discovery: which combinations of a sweep's factors lead to
    /// the cases of interest (PRIM or CART), with charts.
    #[command(after_help = "Examples:
  migflow discover results/robust --outcome all_mean_poor_share --where '> 0.05'
  migflow discover results/robust --outcome all_mean_poor_share --where '> 0.05' --policy workshops --method cart

Writes the peeling trajectory (PRIM) or the tree's leaves (CART), the chosen
box's limits with quasi-p-values and its coverage, density and mass, and
charts into SWEEP_DIR/discover/ (or --out).
Exit codes: 0 written; 2 missing or malformed results, or bad options.")]
    Discover(DiscoverArgs),
    /// Fit free parameters to observed targets by approximate Bayesian
    /// computation (rejection or ABC-SMC): posterior, fit table, best-fit scenario.
    #[command(after_help = "Examples:
  migflow calibrate scenarios/calibration/relocated_2021_2022.toml --out results/calibration --method smc --samples 2000 --generations 10
  migflow calibrate CALIB.toml --out results/calib --samples 2000 --accept 0.05
  migflow calibrate CALIB.toml --out results/calib --method smc --samples 500 --generations 4
  migflow calibrate CALIB.toml --out results/calib --resume   # finish an interrupted calibration
  migflow run results/calibration/best_fit.toml --out results/best-fit

Writes samples.csv, posterior.csv, fit.csv, best_fit.toml and manifest.json.
A target the model cannot reach is reported with a WARNING on stderr and in
fit.csv's `warning` column.
Exit codes: 0 written (warnings included); 2 bad input.")]
    Calibrate(CalibrateArgs),
    /// Explore a scenario in the browser: a local web server that runs it
    /// against a modified copy and shows the paired differences.
    #[command(after_help = "Examples:
  migflow serve                                 # the built-in T County default at http://127.0.0.1:8350/
  migflow serve scenarios/workshops_expanded.toml --open
  migflow serve --port 0 --threads 2            # any free port (printed)
  migflow serve --set population.households=4000

Every run of the page is a `migflow run` of its modified scenario; its files
can be downloaded from the page. Ctrl-C stops the server.
Exit codes: 0 stopped; 2 bad scenario or options, or the address is taken.")]
    Serve(ServeArgs),
    /// Print the default scenario, every key commented.
    #[command(after_help = "Examples:
  migflow scenario --print-default > my_scenario.toml")]
    Scenario {
        /// Print the complete default scenario (T County) as TOML.
        #[arg(long)]
        print_default: bool,
    },
}

/// The arguments of `migflow sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The sweep file.
    pub sweep: PathBuf,
    /// Results directory.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Print the runs, points, output rows and an estimated time; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Finish an interrupted sweep in OUT (starts it if OUT holds none).
    #[arg(long)]
    pub resume: bool,
    /// Run one shard: `I/N` runs every N-th run from I; `slurm` reads
    /// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Set a key of the base scenario (and of each policy's scenario file)
    /// by its dotted path (repeatable); a --resume must repeat it.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The format of the result tables: `csv`, or `parquet` (typed, zstd-
    /// compressed, the sweep's hash, seed and replicates in each file's
    /// metadata). The stream of a running sweep is CSV in either.
    #[arg(long, default_value = "csv", value_parser = parse_format)]
    pub format: TableFormat,
}

/// The arguments of `migflow plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// Results directory of `migflow run`, `migflow sweep` or `migflow merge`.
    pub results: PathBuf,
    /// Output directory (default: RESULTS/charts).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write each chart as PNG.
    #[arg(long)]
    pub png: bool,
    /// Years of the flow and income charts, e.g. 2021,2026 (default: the
    /// first year and the first year after the levers end).
    #[arg(long, value_delimiter = ',')]
    pub years: Option<Vec<i32>>,
    /// A sweep's outcome column of runs.csv (default: all_mean_poor_share).
    #[arg(long)]
    pub outcome: Option<String>,
}

/// The arguments of `migflow compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Results directory of the base run.
    pub base: PathBuf,
    /// Results directories of the policy runs.
    #[arg(required = true, num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, short)]
    pub out: PathBuf,
    /// The years the effects average over, e.g. 2021-2025 (default: every
    /// year of the runs).
    #[arg(long)]
    pub window: Option<String>,
    /// Also the effects on the cohorts of this year (a cohort year that
    /// every run follows: see `migflow run --cohort-years`).
    #[arg(long)]
    pub cohort_year: Option<i32>,
    /// The policies' names, in order (default: their scenario files' names).
    #[arg(long = "name")]
    pub names: Vec<String>,
    /// Also write each chart as PNG.
    #[arg(long)]
    pub png: bool,
}

/// The arguments of `migflow report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Results directory of `migflow run`, `migflow sweep` or `migflow merge`.
    pub results: PathBuf,
    /// A policy run's results to compare with this one (the base),
    /// paired replicate by replicate; repeat for several policies.
    #[arg(long)]
    pub compare: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(long = "out", short = 'o')]
    pub out: PathBuf,
    /// Years of the flow and income charts, e.g. 2021,2026.
    #[arg(long, value_delimiter = ',')]
    pub years: Option<Vec<i32>>,
    /// A sweep's outcome column of runs.csv (default: all_mean_poor_share).
    #[arg(long)]
    pub outcome: Option<String>,
}

/// The arguments of `migflow robust`.
#[derive(Debug, clap::Args)]
pub struct RobustArgs {
    /// Results directory of a finished sweep with `[[policies]]`.
    pub sweep_dir: PathBuf,
    /// The outcome: a runs.csv outcome column, e.g. all_mean_poor_share.
    #[arg(long)]
    pub outcome: String,
    /// Satisficing threshold: the share of points where the outcome meets
    /// it (≤ with --minimise, ≥ with --maximise) is reported. A finite
    /// number, negative ones included.
    #[arg(long, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Lower outcomes are better (the default).
    #[arg(long, conflicts_with = "maximise")]
    pub minimise: bool,
    /// Higher outcomes are better.
    #[arg(long)]
    pub maximise: bool,
    /// Output directory (default: SWEEP_DIR/robust).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// The arguments of `migflow discover`.
#[derive(Debug, clap::Args)]
pub struct DiscoverArgs {
    /// Results directory of a finished sweep.
    pub sweep_dir: PathBuf,
    /// The outcome: a runs.csv outcome column, e.g. all_mean_poor_share.
    #[arg(long)]
    pub outcome: String,
    /// Which runs are cases of interest: a comparison and a number, e.g.
    /// "> 0.05", "<= 0.02".
    #[arg(long = "where")]
    pub condition: String,
    /// Only the points of this policy (a sweep with `[[policies]]`).
    #[arg(long)]
    pub policy: Option<String>,
    /// prim (the default) or cart.
    #[arg(long, default_value = "prim")]
    pub method: String,
    /// PRIM's peeling fraction.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// PRIM: the box to report, by its index in the peeling trajectory
    /// (default: the last box with density ≥ --threshold).
    #[arg(long = "box")]
    pub box_index: Option<usize>,
    /// PRIM: the density the chosen box must reach.
    #[arg(long, default_value_t = 0.8)]
    pub threshold: f64,
    /// PRIM: the least mass a box may have.
    #[arg(long, default_value_t = 0.05)]
    pub min_mass: f64,
    /// CART: the depth limit of the tree.
    #[arg(long, default_value_t = 3)]
    pub max_depth: usize,
    /// Output directory (default: SWEEP_DIR/discover).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// The arguments of `migflow sensitivity`.
#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Results directory of a finished `sobol`, `morris`, `lhs`, `table` or
    /// `grid` sweep.
    #[arg(required_unless_present = "selftest")]
    pub sweep_dir: Option<PathBuf>,
    /// An output metric (repeatable); default: every livelihood's
    /// mean_poor_share and cum_returned.
    #[arg(long = "metric", short = 'm')]
    pub metrics: Vec<String>,
    /// Take the metrics up to this calendar year from trajectories.csv.
    #[arg(long)]
    pub year: Option<i32>,
    /// Output directory (default: SWEEP_DIR/sensitivity).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Bootstrap resamples for the 95% CIs (0: none; PRCC's Fisher-z CIs
    /// need none).
    #[arg(long, default_value_t = migflow_analysis::sensitivity::DEFAULT_BOOTSTRAP)]
    pub bootstrap: usize,
    /// Check the estimators on Ishigami and a linear model against their
    /// exact indices, then exit.
    #[arg(long, conflicts_with_all = ["sweep_dir", "metrics", "year", "out"])]
    pub selftest: bool,
}

/// The arguments of `migflow calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// The calibration file (CALIB.toml).
    pub calibration: PathBuf,
    /// Results directory.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Parameter sets simulated (per generation with --method smc).
    #[arg(long, default_value_t = 1000)]
    pub samples: u64,
    /// `rejection` (from the prior) or `smc` (ABC-SMC, decreasing tolerances).
    #[arg(long, value_enum, default_value_t = MethodArg::Rejection)]
    pub method: MethodArg,
    /// Rejection: the fraction of samples accepted, closest first.
    #[arg(long, default_value_t = 0.1)]
    pub accept: f64,
    /// ABC-SMC: generations.
    #[arg(long, default_value_t = 4)]
    pub generations: u32,
    /// Finish an interrupted calibration in OUT.
    #[arg(long)]
    pub resume: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,
    /// No progress bar and no summary (warnings are still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The arguments of `migflow run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario TOML file, or a manifest.json to repeat a run. Without it,
    /// the built-in T County default.
    pub scenario: Option<PathBuf>,
    /// Results directory.
    #[arg(long, short, default_value = "results")]
    pub out: PathBuf,
    /// Master seed (default: the scenario's `run.seed`), from 0 to
    /// 9223372036854775807 (a manifest stores it as a TOML integer).
    #[arg(long, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Replicates (default: the scenario's `run.replicates`).
    #[arg(long, short)]
    pub replicates: Option<u32>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, short = 'j', value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Also write households.csv, the household × year panel.
    #[arg(long)]
    pub households_out: bool,
    /// The cohort years of cohorts.csv, comma-separated (e.g.
    /// `2020,2023`): the households grouped by their state in each year,
    /// followed through every later year. The year before the first
    /// simulated year is the initial state. Default: the initial state and
    /// the last year of the time-limited levers (2025 in the default).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub cohort_years: Option<Vec<i32>>,
    /// Also write sites.csv: the metrics per site, year and livelihood.
    #[arg(long)]
    pub by_site: bool,
    /// Write into an output directory that holds files migflow did not
    /// write (they are kept as they are). Without it such a directory is
    /// refused, naming what is there. An earlier run's files in the
    /// directory are always replaced as a whole; a sweep, a calibration or
    /// an input of the run is never written over, even with --force.
    #[arg(long)]
    pub force: bool,
    /// Set a scenario key by its dotted path, typed and checked as in a
    /// file (repeatable): `--set levers.workshops.workshop_jobs_share=0.16`.
    /// The manifest records the resolved scenario.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The format of the result tables: `csv` (the default), or `parquet`
    /// (typed, zstd-compressed, the manifest's key facts in each file's
    /// metadata). A rerun from a manifest takes the format it records.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<TableFormat>,
}

/// The arguments of `migflow serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Scenario TOML file (or a manifest.json): the base of every run.
    /// Without it, the built-in T County default.
    pub scenario: Option<PathBuf>,
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8350)]
    pub port: u16,
    /// The address to listen on. Anything but a loopback address lets
    /// other machines run simulations on this one.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
    /// Worker threads of the simulations (default: all cores). Results do
    /// not depend on it.
    #[arg(long, short = 'j', value_parser = parse_threads)]
    pub threads: Option<NonZeroUsize>,
    /// Set a key of the base scenario by its dotted path (repeatable), as
    /// `migflow run --set`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// `--method` of `migflow calibrate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Rejection from the prior.
    Rejection,
    /// ABC-SMC with decreasing tolerances.
    Smc,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Method {
        match m {
            MethodArg::Rejection => Method::Rejection,
            MethodArg::Smc => Method::Smc,
        }
    }
}

/// `--threads` as the library takes it: 0 is every core.
pub fn threads(flag: Option<NonZeroUsize>) -> usize {
    flag.map_or(0, NonZeroUsize::get)
}

/// Most worker threads per core: more only costs the time to start them
/// (5,000 threads took minutes to start for a run of milliseconds).
const THREADS_PER_CORE: usize = 4;

/// Parse `--threads`: from 1 to [`THREADS_PER_CORE`] × the cores this
/// process may use.
fn parse_format(text: &str) -> Result<TableFormat, String> {
    text.parse()
}

fn parse_seed(text: &str) -> Result<u64, String> {
    let most = migflow_core::params::validate::MAX_SEED;
    match text.trim().parse::<u64>() {
        Ok(n) if n <= most => Ok(n),
        _ => Err(format!(
            "--seed {text:?}: expected a whole number from 0 to {most} (the largest seed a \
             manifest can store and rerun)"
        )),
    }
}

fn parse_threads(text: &str) -> Result<NonZeroUsize, String> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    threads_within(text, cores)
}

/// [`parse_threads`] for a machine of `cores` cores.
fn threads_within(text: &str, cores: usize) -> Result<NonZeroUsize, String> {
    let most = cores.saturating_mul(THREADS_PER_CORE);
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=most).contains(&n) => NonZeroUsize::new(n).ok_or_else(String::new),
        _ => Err(format!(
            "--threads {text:?}: expected a whole number from 1 to {most} ({THREADS_PER_CORE} × the \
             {cores} cores this process may use); results do not depend on it"
        )),
    }
}

/// Parse `--shard`: `I/N` (0 ≤ I < N), or `slurm` to read
/// `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT`.
fn parse_shard(text: &str) -> Result<Shard, String> {
    shard_from(text, |k| std::env::var(k).ok())
}

/// [`parse_shard`] with the environment given.
fn shard_from(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let (index, count) = if text == "slurm" {
        let get = |name: &str| -> Result<u64, String> {
            let v = env(name).ok_or_else(|| {
                format!("--shard slurm: {name} is not set (is this a Slurm array task?)")
            })?;
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("--shard slurm: {name}={v:?} is not a non-negative integer"))
        };
        (get("SLURM_ARRAY_TASK_ID")?, get("SLURM_ARRAY_TASK_COUNT")?)
    } else {
        let (i, n) = text.split_once('/').ok_or_else(|| {
            format!("--shard {text:?}: expected I/N (for example 0/4) or `slurm`")
        })?;
        let i = i
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("--shard {text:?}: I must be a non-negative integer"))?;
        let n = n
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("--shard {text:?}: N must be a positive integer"))?;
        (i, n)
    };
    let names = if text == "slurm" {
        " (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT)"
    } else {
        ""
    };
    if count == 0 || count > MAX_RUNS || index >= count {
        return Err(format!(
            "--shard {text}{names}: shard {index}/{count} out of range: expected 0 ≤ I < N with N from 1 to {MAX_RUNS}"
        ));
    }
    Ok(Shard { index, count })
}

#[cfg(test)]
mod tests {
    #[test]
    fn threads_are_bounded_by_the_cores() {
        assert_eq!(super::threads_within("8", 2).map(|n| n.get()), Ok(8));
        let err = super::threads_within("9", 2).unwrap_err();
        assert!(
            err.contains("from 1 to 8") && err.contains("2 cores"),
            "{err}"
        );
        assert!(super::threads_within("0", 2).is_err());
        assert!(super::threads_within("many", 2).is_err());
    }

    use super::*;

    #[test]
    fn shards_parse_and_range_check() {
        let none = |_: &str| None;
        assert_eq!(shard_from("1/4", none), Ok(Shard { index: 1, count: 4 }));
        assert!(
            shard_from("4/4", none)
                .unwrap_err()
                .contains("out of range")
        );
        assert!(shard_from("0/0", none).is_err());
        assert!(shard_from("x", none).is_err());
        let env = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("2".to_string()),
            "SLURM_ARRAY_TASK_COUNT" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(shard_from("slurm", env), Ok(Shard { index: 2, count: 3 }));
        assert!(
            shard_from("slurm", none)
                .unwrap_err()
                .contains("SLURM_ARRAY_TASK_ID")
        );
    }
}
