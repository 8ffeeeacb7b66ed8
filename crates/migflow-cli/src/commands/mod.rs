//! One module a subcommand; this one dispatches and holds what they share.

mod calibrate;
mod charts;
mod compare;
mod discover;
mod robust;
mod run;
mod sensitivity;
mod serve;
mod sweep;

use crate::args::{Cli, Command};
use anyhow::Result;
use migflow_core::params::Params;
use std::path::Path;
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
        Command::Serve(args) => ok(serve::serve(args)),
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

/// `params` with the `--set KEY=VALUE` assignments applied and checked
/// (by [`migflow_core::params::with_sets`], which `migflow serve` uses
/// too); an error names the `--set` argument, the key, the value and what
/// was expected.
pub(crate) fn with_sets(params: Params, sets: &[String]) -> Result<Params> {
    use migflow_core::params::path;
    let mut assignments = Vec::with_capacity(sets.len());
    // A malformed argument is reported after the ones before it are
    // checked, as the arguments are read in order.
    let mut malformed = None;
    for text in sets {
        match path::parse_assignment(text) {
            Ok(a) => assignments.push(a),
            Err(e) => {
                malformed = Some(e);
                break;
            }
        }
    }
    let params =
        migflow_core::params::with_sets(params, &assignments).map_err(|e| match e.index {
            Some(i) => anyhow::anyhow!("--set {}: {e}", sets[i]),
            None => anyhow::anyhow!("--set: {e}"),
        })?;
    match malformed {
        Some(e) => Err(anyhow::anyhow!("--set {e}")),
        None => Ok(params),
    }
}

/// Print what the scenario holds that cannot act.
fn print_warnings(params: &Params) {
    for w in params.warnings() {
        eprintln!("warning: {}: {w}", params.source_name().display());
    }
}

fn print_notes(notes: &[String]) {
    for note in notes {
        println!("note: {note}");
    }
}
