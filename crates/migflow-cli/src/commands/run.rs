//! `migflow run`, `migflow validate` and `migflow scenario`.

use super::load;
use crate::args::{RunArgs, threads};
use crate::progress;
use anyhow::{Context, Result};
use migflow_core::params::{self, DEFAULT_SCENARIO_TOML};
use migflow_experiments::run::{RunOptions, run_to_dir};
use std::io::Write;
use std::path::Path;

/// `migflow run`.
pub fn run(args: RunArgs) -> Result<()> {
    let (loaded, population_sha256) = load(args.scenario.as_deref())?;
    let loaded = super::with_sets(loaded, &args.sets)?;
    let seed = args.seed.unwrap_or(loaded.scenario().run.seed);
    let replicates = args.replicates.unwrap_or(loaded.scenario().run.replicates);
    if !(1..=params::validate::MAX_REPLICATES).contains(&replicates) {
        anyhow::bail!(
            "--replicates {replicates}: expected an integer from 1 to {}",
            params::validate::MAX_REPLICATES
        );
    }
    let years = u64::from(loaded.scenario().run.years);
    // A rerun from a manifest repeats the run exactly: the household panel,
    // the sites and the cohorts too, when the run wrote them.
    let repeated = match args.scenario.as_deref() {
        Some(path) if path.extension().is_some_and(|e| e == "json") => {
            Some(migflow_io::manifest::read_manifest(path)?)
        }
        _ => None,
    };
    // A table in either format.
    let wrote = |name: &str| {
        repeated.as_ref().is_some_and(|m| {
            m.files.iter().any(|f| {
                migflow_io::columnar::table_stem(&f.name) == migflow_io::columnar::table_stem(name)
            })
        })
    };
    let format = args.format.unwrap_or_else(|| {
        repeated
            .as_ref()
            .and_then(|m| m.files.first())
            .and_then(|f| migflow_io::TableFormat::of_file(&f.name))
            .unwrap_or_default()
    });
    let households_out = args.households_out || wrote("households.csv");
    let by_site = args.by_site || wrote("sites.csv");
    let cohort_years = args.cohort_years.clone().or_else(|| {
        repeated
            .as_ref()
            .filter(|m| !m.cohort_years.is_empty())
            .map(|m| m.cohort_years.clone())
    });
    let opts = RunOptions {
        loaded,
        seed,
        replicates,
        threads: threads(args.threads),
        out: args.out.clone(),
        households_out,
        cohort_years,
        by_site,
        command: std::env::args().collect(),
        force: args.force,
        population_sha256,
        cancel: Default::default(),
        format,
    };
    let bar = progress::bar(args.quiet, u64::from(replicates) * years, "replicate-years");
    super::print_warnings(&opts.loaded);
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

/// `migflow validate`.
pub fn validate(path: &Path, sets: &[String]) -> Result<()> {
    let kind = file_kind(path)?;
    if !sets.is_empty() && !matches!(kind, FileKind::Scenario) {
        anyhow::bail!(
            "--set: {} is not a scenario file; --set sets keys of a scenario",
            path.display()
        );
    }
    match kind {
        FileKind::Sweep => return validate_sweep(path),
        FileKind::Calibration => return validate_calibration(path),
        FileKind::Scenario => {}
    }
    let loaded = super::with_sets(migflow_io::files::load_scenario(path)?, sets)?;
    let source = migflow_io::files::population_source(&loaded)?;
    super::print_warnings(&loaded);
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
    let bytes =
        migflow_io::resources::scenario_replicate_bytes(&loaded, source.households(&loaded));
    let gb = migflow_io::resources::gigabytes;
    println!("memory: about {} a replicate", gb(bytes));
    if let Some(available) = migflow_io::resources::available_memory().filter(|&a| bytes > a) {
        eprintln!(
            "warning: a replicate needs about {}, more than the {} available here: `run` will refuse it on this machine",
            gb(bytes),
            gb(available)
        );
    }
    Ok(())
}

/// `migflow scenario --print-default`.
pub fn scenario(print_default: bool) -> Result<()> {
    if !print_default {
        anyhow::bail!("nothing to do: try `migflow scenario --print-default`");
    }
    std::io::stdout()
        .write_all(DEFAULT_SCENARIO_TOML.as_bytes())
        .context("writing to standard output")?;
    Ok(())
}

/// What a TOML file given to `validate` is.
enum FileKind {
    Scenario,
    Sweep,
    Calibration,
}

/// Tell a sweep (`[design]`) and a calibration (`[[parameters]]`) from a
/// scenario by their top-level tables; anything else is read as a scenario,
/// whose parser names what is wrong.
fn file_kind(path: &Path) -> Result<FileKind> {
    let text = migflow_io::files::read_toml_text(path)?;
    let Ok(doc) = text.parse::<toml::Table>() else {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || serde_json::from_str::<serde_json::Value>(&text).is_ok();
        if json {
            return Err(migflow_io::error::Error::Input {
                path: path.to_path_buf(),
                message: "is JSON, not TOML: `validate` takes a scenario, sweep or calibration \
                          TOML file (to rerun a run's manifest, use `migflow run manifest.json`)"
                    .into(),
            }
            .into());
        }
        return Ok(FileKind::Scenario);
    };
    Ok(if doc.contains_key("design") {
        FileKind::Sweep
    } else if doc.contains_key("parameters") {
        FileKind::Calibration
    } else {
        FileKind::Scenario
    })
}

fn validate_sweep(path: &Path) -> Result<()> {
    let plan = migflow_experiments::sweep::SweepPlan::load(path)?;
    super::print_warnings(&plan.base);
    println!(
        "{}: ok — a sweep: design {}, {} points × {} replicates = {} runs over {}",
        path.display(),
        plan.sweep.design.name(),
        plan.points.len(),
        plan.replicates(),
        plan.runs(),
        plan.factor_paths().join(", ")
    );
    Ok(())
}

fn validate_calibration(path: &Path) -> Result<()> {
    let plan = migflow_analysis::calibrate::CalibrationPlan::load(path)?;
    super::print_warnings(&plan.base);
    println!(
        "{}: ok — a calibration of {} against {} target(s)",
        path.display(),
        plan.parameter_paths().join(", "),
        plan.targets.len()
    );
    Ok(())
}
