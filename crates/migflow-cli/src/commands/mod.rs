//! One module a subcommand; this one dispatches and holds what they share.

mod calibrate;
mod charts;
mod compare;
mod discover;
mod robust;
mod run;
mod sensitivity;
mod sweep;

use crate::args::{Cli, Command};
use anyhow::Result;
use migflow_core::params::Params;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Run the parsed command line.
pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let ok = |r: Result<()>| r.map(|()| ExitCode::SUCCESS);
    match cli.command {
        Command::Run(args) => ok(run::run(args)),
        Command::Validate { scenario, sets } => ok(run::validate(&scenario, &sets)),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge { shards, out } => ok(sweep::merge(&shards, &out)),
        Command::Slurm {
            sweep,
            out,
            tasks,
            partition,
            time,
            cpus,
            migflow,
        } => ok(sweep::slurm(
            &sweep, &out, tasks, partition, time, cpus, migflow,
        )),
        Command::Plot(args) => ok(charts::plot(args)),
        Command::Compare(args) => ok(compare::compare(args)),
        Command::Report(args) => ok(charts::report(args)),
        Command::Sensitivity(args) => sensitivity::sensitivity(args),
        Command::Robust(args) => ok(robust::robust(args)),
        Command::Discover(args) => ok(discover::discover(args)),
        Command::Calibrate(args) => ok(calibrate::calibrate(args)),
        Command::Scenario { print_default } => ok(run::scenario(print_default)),
    }
}

/// Load a scenario file, or the scenario of a manifest (with its seed and
/// replicates, checked against the hashes the manifest records), and the
/// SHA-256 the manifest records for its population file.
pub(crate) fn load(path: Option<&Path>) -> Result<(Params, Option<String>)> {
    let Some(path) = path else {
        return Ok((Params::default(), None));
    };
    if path.extension().is_some_and(|e| e == "json") {
        return Ok(migflow_io::files::load_manifest(path)?);
    }
    Ok((migflow_io::files::load_scenario(path)?, None))
}

/// `params` with the `--set KEY=VALUE` assignments applied and checked;
/// an error names the `--set` argument, the key, the value and what was
/// expected.
pub(crate) fn with_sets(params: Params, sets: &[String]) -> Result<Params> {
    use migflow_core::params::path;
    if sets.is_empty() {
        return Ok(params);
    }
    let mut scenario = params.scenario().clone();
    for text in sets {
        let (key, value) =
            path::parse_assignment(text).map_err(|e| anyhow::anyhow!("--set {e}"))?;
        scenario = path::with_values(&scenario, &[(key.as_str(), &value)])
            .map_err(|(key, e)| anyhow::anyhow!("--set {text}: `{key}`: {e}"))?;
        if let Err(problems) =
            Params::checked(scenario.clone(), params.source().map(Path::to_path_buf))
        {
            let message = problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ");
            anyhow::bail!("--set {text}: {message}");
        }
    }
    Params::checked(scenario, params.source().map(Path::to_path_buf)).map_err(|problems| {
        anyhow::anyhow!(
            "--set: {}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

/// Print what the scenario holds that cannot act.
fn print_warnings(params: &Params) {
    for w in params.warnings() {
        eprintln!("warning: {}: {w}", params.source_name().display());
    }
}

/// The files that the results in `dir` record or list, which nothing made
/// from them may write over: the manifest, the files it lists, the
/// population file and the scenario source of a run (as recorded; a
/// relative source is also looked for in `dir`). Unreadable results give
/// the manifest alone (their reader names what is wrong).
fn recorded_files(dir: &Path) -> Vec<PathBuf> {
    let manifest = dir.join(migflow_io::manifest::MANIFEST);
    let mut files = vec![manifest.clone()];
    if let Ok(m) = migflow_io::read_manifest(&manifest) {
        files.extend(m.files.iter().map(|f| dir.join(&f.name)));
        if let Some(p) = &m.population_file {
            files.push(dir.join(&p.name));
        }
        if m.scenario_source != "built-in default" {
            let source = Path::new(&m.scenario_source);
            files.push(source.to_path_buf());
            if source.is_relative() {
                files.push(dir.join(source));
            }
        }
    } else if let Ok(m) = migflow_io::manifest::read_sweep_manifest(dir) {
        files.extend(m.files.iter().map(|f| dir.join(&f.name)));
    }
    files
}

/// Render figures into `dir` (SVG, and PNG with `png`), atomically; returns
/// the paths written. `dir` may not be a results directory (`what` is
/// named in the refusal), and no file written may be one of `inputs` (see
/// [`recorded_files`]).
fn write_figures(
    dir: &Path,
    figures: &[migflow_report::build::Figure],
    png: bool,
    extra: &[(&str, &[u8])],
    what: &str,
    inputs: &[PathBuf],
) -> Result<Vec<PathBuf>> {
    migflow_io::atomic::refuse_results_dir(dir, what)?;
    let mut out = migflow_io::OutputDir::create(dir)?;
    let mut stage = |name: &str, bytes: &[u8]| -> Result<()> {
        migflow_io::atomic::refuse_input(&dir.join(name), inputs)?;
        let (mut w, tmp) = out.stage(name)?;
        // A write error names the chart, as every staged write does.
        w.write_all(bytes)
            .map_err(|source| migflow_io::Error::Write {
                path: tmp.clone(),
                source,
            })?;
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
