//! Running a sweep: the runs of a shard in parallel, each committed through
//! the store as it finishes, then the final files.

use super::store::{self, RunRows, RunStatus, Shard, Store, SweepManifest, csv_line};
use super::sweep::{PointError, SweepPlan};
use migflow_core::engine::run_replicate;
use migflow_core::params::Params;
use migflow_core::record::{ALL_GROUP, GROUPS, YearRecord};
use migflow_core::run::PopulationSource;
use migflow_io::error::{Error, Result};
use migflow_io::{format_float, trajectory_cells};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Results directory.
    pub out: PathBuf,
    /// Finish an interrupted sweep in `out` (or start it if there is none).
    pub resume: bool,
    /// Run only this shard.
    pub shard: Option<Shard>,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Asked to stop early: no new run starts, the finished ones are
    /// committed (so that a resume keeps them), and the sweep ends in
    /// [`Error::Interrupted`].
    pub cancel: migflow_core::run::Cancel,
    /// The format of the final tables (the stream is CSV in either).
    pub format: migflow_io::TableFormat,
}

/// What a sweep did.
#[derive(Debug)]
pub struct SweepReport {
    /// The manifest written.
    pub manifest: SweepManifest,
    /// Runs executed by this invocation (the rest were already committed).
    pub executed: u64,
    /// Wall time of this invocation, seconds.
    pub wall_seconds: f64,
    /// Why `timing.json` could not be written, if it could not (the results
    /// are complete all the same).
    pub timing_error: Option<String>,
}

/// The runs of a shard (all runs without one).
pub(crate) fn shard_runs(plan: &SweepPlan, shard: Option<Shard>) -> impl Iterator<Item = u64> + '_ {
    (0..plan.runs()).filter(move |r| shard.is_none_or(|s| s.contains(*r)))
}

/// The worker pool of a run, sweep or calibration: `threads` workers (0:
/// one a core). The one place pools are made.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if threads > 0 {
        b = b.num_threads(threads);
    }
    b.build().map_err(|e| Error::Option {
        option: migflow_io::OptionName::Threads,
        message: format!("cannot start {threads} threads: {e}"),
    })
}

/// The most memory a run of the sweep can need: each of the population's
/// sizes (households, sites, villages per site) at its largest over the
/// points, or the base scenario's when no factor varies it (an upper
/// bound, found without building every point's scenario).
fn largest_replicate_bytes(plan: &SweepPlan) -> (u64, u64) {
    let p = &plan.base.scenario().population;
    let paths = plan.factor_paths();
    let largest = |key: &str, base: u64| match paths.iter().position(|p| *p == key) {
        Some(k) => plan
            .points
            .iter()
            .filter_map(|p| p.values.get(k).and_then(toml::Value::as_integer))
            .map(|v| v.max(0) as u64)
            .max()
            .unwrap_or(base),
        None => base,
    };
    let households = largest("population.households", p.households);
    let bytes = migflow_io::resources::replicate_bytes(
        households,
        largest("population.sites", p.sites.into()),
        largest("population.villages_per_site", p.villages_per_site.into()),
    );
    (households, bytes)
}

/// Run a sweep (or one shard of it) into `opts.out`. `started(done, total)`
/// is called once with the runs already committed; `progress()` after each
/// run finishes.
pub fn run_sweep(
    plan: &SweepPlan,
    opts: &SweepOptions,
    started: &dyn Fn(u64, u64),
    progress: &(dyn Fn() + Sync),
) -> Result<SweepReport> {
    let t0 = Instant::now();
    let start_time = chrono::Utc::now().to_rfc3339();
    // A finished sweep is checked (and its stream's leftovers removed)
    // under the directory's lock, held until the end.
    let _lock = if opts.resume && opts.out.join("manifest.json").exists() {
        Some(migflow_io::DirLock::acquire(&opts.out)?)
    } else {
        None
    };
    if opts.resume
        && let Ok(done) = store::read_sweep_manifest(&opts.out)
        && done.sweep_sha256 == plan.hash
        && done.shard == opts.shard
        && done.run_status.len() as u64 == shard_runs(plan, opts.shard).count() as u64
    {
        // Finished before: nothing to run, if the outputs are still the
        // ones the manifest records.
        store::verify_finished(&opts.out, plan, &done)?;
        // A kill while the stream was being removed left part of it: the
        // removal completes now.
        store::remove_stream(&opts.out);
        started(done.run_status.len() as u64, done.run_status.len() as u64);
        return Ok(SweepReport {
            manifest: done,
            executed: 0,
            wall_seconds: t0.elapsed().as_secs_f64(),
            timing_error: None,
        });
    }
    let threads = migflow_io::resources::worker_threads(opts.threads) as u64;
    let (largest, bytes) = largest_replicate_bytes(plan);
    migflow_io::resources::ensure_memory(
        &plan.file,
        &format!("a sweep with runs of up to {largest} households, {threads} at once"),
        migflow_io::resources::in_flight_bytes(bytes, threads),
    )?;
    let store = Store::open(&opts.out, plan, opts.shard, opts.resume)?;
    let mine: Vec<u64> = shard_runs(plan, opts.shard).collect();
    let pending: Vec<u64> = mine
        .iter()
        .copied()
        .filter(|r| !store.is_done(*r))
        .collect();
    started((mine.len() - pending.len()) as u64, mine.len() as u64);
    let store = Mutex::new(store);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let pool = pool(opts.threads)?;
    pool.install(|| {
        pending.par_iter().for_each(|&run| {
            if stop.load(Ordering::Relaxed) || opts.cancel.is_requested() {
                return;
            }
            let rows = match execute_checked(plan, run) {
                Ok(rows) => rows,
                Err(e) => {
                    // An input changed under the sweep: stop, committing
                    // nothing of this run (a resume refuses the changed
                    // input, or reruns the run once it is restored).
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut f) = failure.lock() {
                        f.get_or_insert(e);
                    }
                    return;
                }
            };
            let result = match store.lock() {
                Ok(mut s) => s.append(&rows),
                Err(_) => return,
            };
            match result {
                Ok(()) => progress(),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut f) = failure.lock() {
                        f.get_or_insert(e);
                    }
                }
            }
        })
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut store = store.into_inner().map_err(|_| Error::Input {
        path: opts.out.clone(),
        message: "a worker panicked while writing results".into(),
    })?;
    store.commit()?;
    if opts.cancel.is_requested() && !mine.iter().all(|&r| store.is_done(r)) {
        return Err(Error::Interrupted {
            kept: format!(
                "the sweep was stopped; its finished runs are committed in {}: resume it to run the rest",
                opts.out.display()
            ),
        });
    }
    // The directory stays locked until timing.json is written.
    let _lock = store.lock().clone();
    drop(store);
    // In the sweep's pool: the summaries are computed in parallel, on the
    // threads the user allowed.
    let manifest = pool.install(|| store::finalize(&opts.out, plan, opts.shard, opts.format))?;
    store::remove_stream(&opts.out);
    let wall_seconds = t0.elapsed().as_secs_f64();
    let timing = serde_json::json!({
        "start_time": start_time,
        "end_time": chrono::Utc::now().to_rfc3339(),
        "wall_seconds": wall_seconds,
        "runs_executed": pending.len(),
        "threads": pool.current_num_threads(),
    });
    // Only the results decide the outcome: a sweep whose results are all
    // written has finished (a Slurm `afterok` merge must run) even if its
    // timing could not be recorded.
    let timing_error = migflow_io::manifest::to_json(&timing, "timing")
        .and_then(|bytes| migflow_io::write_file_atomic(&opts.out.join("timing.json"), &bytes))
        .err()
        .map(|e| e.to_string());
    Ok(SweepReport {
        manifest,
        executed: pending.len() as u64,
        wall_seconds,
        timing_error,
    })
}

/// Simulate one run and format its rows. Never fails: an invalid point, a
/// panic, or an input file that changed since it was planned (which
/// [`run_sweep`] treats as the end of the sweep instead, see
/// [`SweepPlan::population_for`]) becomes a failed run with its error.
pub fn execute_run(plan: &SweepPlan, run: u64) -> RunRows {
    execute_checked(plan, run).unwrap_or_else(|e| failed_rows(plan, run, &RunFailure::Input(e)))
}

/// [`execute_run`], but an input file that changed since the plan hashed
/// it ([`Error::WorkInputChanged`]) is an error, not a failed run: the run
/// did not fail, the sweep's inputs did.
fn execute_checked(plan: &SweepPlan, run: u64) -> Result<RunRows> {
    let id = plan.run_id(run);
    let cells = plan.point_cells(id.point);
    let seed = plan.sweep.seed;
    let simulate = || -> std::result::Result<Vec<YearRecord>, RunFailure> {
        let loaded = plan.scenario_for(id.point)?;
        let source = plan.population_for(&loaded)?;
        let households = source.households_for(&loaded, seed, id.replicate);
        Ok(run_replicate(
            &loaded,
            households,
            seed,
            id.replicate,
            |_, _| {},
        ))
    };
    let records = match catch_run(simulate) {
        Ok(records) => records,
        Err(RunFailure::Input(e @ Error::WorkInputChanged { .. })) => return Err(e),
        Err(failure) => return Ok(failed_rows(plan, run, &failure)),
    };
    let mut lead = run_lead(plan, run);
    lead.push("ok".into());
    lead.extend(cells.iter().cloned());
    lead.extend(outcomes(&records));
    let mut traj = Vec::new();
    for rec in &records {
        for (g, stats) in rec.groups.iter().enumerate() {
            let mut row = vec![
                run.to_string(),
                id.point.to_string(),
                id.replicate.to_string(),
            ];
            row.extend(cells.iter().cloned());
            row.extend(trajectory_cells(rec.year, g, stats));
            store::csv_line_into(&mut traj, &row);
        }
    }
    Ok(RunRows {
        run,
        status: RunStatus::Ok,
        bytes: [csv_line(&lead), traj, Vec::new()],
    })
}

/// The first cells of a run's row of `runs.csv`: run, point, replicate,
/// seed.
fn run_lead(plan: &SweepPlan, run: u64) -> Vec<String> {
    let id = plan.run_id(run);
    vec![
        run.to_string(),
        id.point.to_string(),
        id.replicate.to_string(),
        plan.sweep.seed.to_string(),
    ]
}

/// The rows of a failed run.
fn failed_rows(plan: &SweepPlan, run: u64, failure: &RunFailure) -> RunRows {
    let id = plan.run_id(run);
    let mut lead = run_lead(plan, run);
    lead.push("failed".into());
    lead.extend(plan.point_cells(id.point));
    lead.extend(std::iter::repeat_n(String::new(), OUTCOME_CELLS));
    let fail = csv_line(&[
        run.to_string(),
        id.point.to_string(),
        id.replicate.to_string(),
        failure.to_string(),
    ]);
    RunRows {
        run,
        status: RunStatus::Failed,
        bytes: [csv_line(&lead), Vec::new(), fail],
    }
}

/// Why one run of a sweep or one sample of a calibration failed (its text
/// goes to `failures.csv` or `samples.csv`).
#[derive(Debug, thiserror::Error)]
pub enum RunFailure {
    /// The point's scenario is invalid.
    #[error(transparent)]
    Point(#[from] PointError),
    /// An input of the run (its population file) could not be used.
    #[error(transparent)]
    Input(#[from] migflow_io::Error),
    /// A bug: the run panicked.
    #[error("internal error (please report): {0}")]
    Panic(String),
}

/// Run `f`, turning a panic into a failure, so that one run's bug fails
/// that run and not the whole sweep or calibration.
pub fn catch_run<T>(
    f: impl FnOnce() -> std::result::Result<T, RunFailure>,
) -> std::result::Result<T, RunFailure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        Err(RunFailure::Panic(msg))
    })
}

/// Per group: final-year share and poor share, mean poor share over the
/// years, cumulative returned.
/// Outcome cells of a run's row of `runs.csv`: four a livelihood, then the
/// total lever cost.
const OUTCOME_CELLS: usize = GROUPS * 4 + 1;

fn outcomes(records: &[YearRecord]) -> Vec<String> {
    let mut cells = Vec::with_capacity(OUTCOME_CELLS);
    let Some(last) = records.last() else {
        return vec![String::new(); OUTCOME_CELLS];
    };
    let total = last.groups[ALL_GROUP].households as f64;
    for g in 0..GROUPS {
        let share = (total > 0.0).then(|| last.groups[g].households as f64 / total);
        let poor: Vec<f64> = records
            .iter()
            .filter_map(|r| r.groups[g].poor_share)
            .collect();
        let mean_poor = (!poor.is_empty()).then(|| poor.iter().sum::<f64>() / poor.len() as f64);
        let returned: u64 = records.iter().map(|r| r.groups[g].returned).sum();
        cells.push(format_float(share));
        cells.push(format_float(last.groups[g].poor_share));
        cells.push(format_float(mean_poor));
        cells.push(returned.to_string());
    }
    // Summed in year order, as `costs.csv` lists them.
    let cost = records.iter().fold(0.0, |sum, r| sum + r.costs.total());
    cells.push(format_float(Some(cost)));
    cells
}

/// What a sweep will do, for `--dry-run`.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// Runs in this shard (all runs without one).
    pub runs: u64,
    /// Design points.
    pub points: u64,
    /// Rows of `runs.csv`.
    pub runs_rows: u64,
    /// Rows of `trajectories.csv`.
    pub trajectory_rows: u64,
    /// Rows of `points_summary.csv`.
    pub summary_rows: u64,
    /// Household-years to simulate.
    pub household_years: f64,
    /// Seconds per household-year measured on one thread.
    pub seconds_per_household_year: f64,
    /// Estimated wall time with the given threads.
    pub seconds: f64,
}

/// Count the outputs and time a short calibration run of the first point.
pub fn estimate(plan: &SweepPlan, shard: Option<Shard>, threads: usize) -> Result<Estimate> {
    let pool1 = pool(1)?;
    let runs: Vec<u64> = shard_runs(plan, shard).collect();
    let mut household_years = 0.0;
    let mut traj_rows = 0u64;
    let mut summary_rows = 0u64;
    // Every point is checked (an invalid one runs nothing), in parallel: a
    // design may hold millions of points. A shared population file is read
    // once (`population_for`).
    let sizes: Vec<Option<(u64, u32)>> = pool(threads)?.install(|| {
        (0..plan.points.len() as u64)
            .into_par_iter()
            .map(|p| {
                let loaded = plan.scenario_for(p).ok()?;
                let households = match loaded.population_file() {
                    None => PopulationSource::Synthetic.households(&loaded),
                    Some(_) => plan.population_for(&loaded).ok()?.households(&loaded),
                };
                Some((households, loaded.scenario().run.years))
            })
            .collect()
    });
    for (_, years) in sizes.iter().flatten() {
        summary_rows += u64::from(*years) * GROUPS as u64 * 10;
    }
    for &run in &runs {
        if let Some((h, y)) = sizes[plan.run_id(run).point as usize] {
            household_years += h as f64 * f64::from(y);
            traj_rows += u64::from(y) * GROUPS as u64;
        }
    }
    let calibration = sizes.iter().position(Option::is_some);
    let seconds_per_household_year = match calibration {
        Some(p) => {
            let point = plan
                .scenario_for(p as u64)
                .map_err(|message| Error::Input {
                    path: plan.file.clone(),
                    message: message.to_string(),
                })?;
            let mut short = point.scenario().shortened(3);
            if point.population_file().is_none() {
                short.population.households = short.population.households.min(20_000);
            }
            let loaded = Params::new(short, point.source().map(std::path::Path::to_path_buf))?;
            let source = migflow_io::files::population_source(&loaded)?;
            let hy = source.households(&loaded) as f64 * f64::from(loaded.scenario().run.years);
            let t = Instant::now();
            pool1.install(|| {
                let households = source.households_for(&loaded, plan.sweep.seed, 0);
                run_replicate(&loaded, households, plan.sweep.seed, 0, |_, _| {})
            });
            t.elapsed().as_secs_f64() / hy.max(1.0)
        }
        None => 0.0,
    };
    let threads = migflow_io::resources::worker_threads(threads);
    Ok(Estimate {
        runs: runs.len() as u64,
        points: plan.points.len() as u64,
        runs_rows: runs.len() as u64,
        trajectory_rows: traj_rows,
        summary_rows: if shard.is_none() { summary_rows } else { 0 },
        household_years,
        seconds_per_household_year,
        seconds: household_years * seconds_per_household_year / threads as f64,
    })
}
