//! Subcommands. Only this layer uses `anyhow` and knows about exit codes.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use migflow::output::read_manifest;
use migflow::runner::{RunOptions, run_to_dir};
use migflow::scenario::{self, DEFAULT_SCENARIO_TOML, LoadedScenario};
use migflow::simulate::PopulationSource;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

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
pub fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { scenario } => validate(&scenario),
        Command::Scenario { print_default } => {
            if !print_default {
                anyhow::bail!("nothing to do: try `migflow scenario --print-default`");
            }
            std::io::stdout()
                .write_all(DEFAULT_SCENARIO_TOML.as_bytes())
                .context("writing to standard output")?;
            Ok(())
        }
    }
}

/// Load a scenario file, or the scenario of a manifest (with its seed and
/// replicates).
fn load(path: Option<&Path>) -> Result<LoadedScenario> {
    let Some(path) = path else {
        return Ok(LoadedScenario::builtin_default());
    };
    if path.extension().is_some_and(|e| e == "json") {
        let manifest = read_manifest(path)?;
        let scenario = scenario::parse(&manifest.scenario_toml, path)?;
        scenario::validate(&scenario).map_err(|problems| migflow::Error::Invalid {
            path: path.to_path_buf(),
            problems,
        })?;
        return Ok(LoadedScenario {
            scenario,
            source: Some(path.to_path_buf()),
        });
    }
    Ok(scenario::load(path)?)
}

fn run(args: RunArgs) -> Result<()> {
    let loaded = load(args.scenario.as_deref())?;
    let seed = args.seed.unwrap_or(loaded.scenario.run.seed);
    let replicates = args.replicates.unwrap_or(loaded.scenario.run.replicates);
    if !(1..=scenario::validate::MAX_REPLICATES).contains(&replicates) {
        anyhow::bail!(
            "--replicates {replicates}: expected an integer from 1 to {}",
            scenario::validate::MAX_REPLICATES
        );
    }
    if args.threads == Some(0) {
        anyhow::bail!("--threads 0: expected at least 1 thread");
    }
    let years = u64::from(loaded.scenario.run.years);
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
    let loaded = scenario::load(path)?;
    let source = PopulationSource::for_scenario(&loaded)?;
    let s = &loaded.scenario;
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
