//! [`calibrate`]: the sample store, the generations and the final files
//! tied together, with the agent model as the simulator.

use super::fit::FitRow;
use super::output::{CalibrationManifest, finalize, io_err};
use super::plan::CalibrationPlan;
use super::smc::{Generations, Method, check_options, run_generations};
use super::store::{SampleRow, SampleStore};
use migflow_core::engine::run_replicate;
use migflow_core::record::YearRecord;
use migflow_experiments::execute::RunFailure;
use migflow_io::error::{Error, Result};
use migflow_io::journal;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// How to run a calibration.
#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    /// Results directory.
    pub out: PathBuf,
    /// The method.
    pub method: Method,
    /// Simulated parameter sets per generation (rejection: in all).
    pub samples: u64,
    /// Rejection: the fraction of samples accepted (closest first).
    pub accept: f64,
    /// ABC-SMC: the number of generations.
    pub generations: u32,
    /// Finish an interrupted calibration in `out`.
    pub resume: bool,
    /// Worker threads (0: all cores).
    pub threads: usize,
}

/// What a calibration did.
#[derive(Debug)]
pub struct CalibrationReport {
    /// The manifest written.
    pub manifest: CalibrationManifest,
    /// The rows of `fit.csv`.
    pub fit: Vec<FitRow>,
    /// Samples simulated by this invocation.
    pub executed: u64,
    /// Wall time of this invocation, seconds.
    pub wall_seconds: f64,
}

/// Run a calibration into `opts.out`. `started(done, total)` is called with
/// the samples already committed and the total; `progress()` after each
/// sample finishes.
pub fn calibrate(
    plan: &CalibrationPlan,
    opts: &CalibrateOptions,
    started: &dyn Fn(u64, u64),
    progress: &(dyn Fn() + Sync),
) -> Result<CalibrationReport> {
    check_options(opts.method, opts.samples, opts.accept, opts.generations)?;
    let threads = migflow_io::resources::worker_threads(opts.threads) as u64;
    let households = plan.base.scenario().population.households;
    migflow_io::resources::ensure_memory(
        &plan.file,
        &format!("a calibration with runs of {households} households, {threads} at once"),
        migflow_io::resources::in_flight_bytes(
            migflow_io::resources::scenario_replicate_bytes(&plan.base, households),
            threads,
        ),
    )?;
    let t0 = Instant::now();
    let start_time = chrono::Utc::now().to_rfc3339();
    let hash = plan.hash(opts)?;
    let header = migflow_experiments::store::csv_line(&plan.header());
    let k = plan.calib.parameters.len();
    let n = plan.targets.len();
    // Every check that can fail before the first sample comes before the
    // directory is created, so a refused calibration leaves no files.
    let pool = migflow_experiments::execute::pool(opts.threads)?;
    std::fs::create_dir_all(&opts.out).map_err(io_err(&opts.out))?;
    let inputs = plan.planned_inputs();
    let (store, done) = SampleStore::open(&opts.out, &header, &hash, &inputs, opts.resume, k, n)?;
    let generations = match opts.method {
        Method::Rejection => 1,
        Method::Smc => opts.generations,
    };
    let per_gen = opts.samples;
    started(done.len() as u64, per_gen * u64::from(generations));
    let mut done_by_gen: Vec<Vec<Option<SampleRow>>> = (0..generations)
        .map(|_| vec![None; per_gen as usize])
        .collect();
    for row in done {
        if let Some(slot) = done_by_gen
            .get_mut(row.generation as usize)
            .and_then(|g| g.get_mut(row.sample as usize))
        {
            *slot = Some(row);
        }
    }
    let store = Mutex::new(store);
    let mut executed = 0u64;
    // Simulates a generation's proposals: the samples not yet committed,
    // in parallel, streamed to the store as they finish.
    let simulate = |generation: u32, proposals: &[Vec<f64>]| -> Result<Vec<SampleRow>> {
        let pending: Vec<u64> = (0..per_gen)
            .filter(|&i| done_by_gen[generation as usize][i as usize].is_none())
            .collect();
        let failure: Mutex<Option<Error>> = Mutex::new(None);
        let stop = AtomicBool::new(false);
        let fresh: Vec<Option<SampleRow>> = pool.install(|| {
            pending
                .par_iter()
                .map(|&i| {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    let row = plan.simulate(generation, i, proposals[i as usize].clone());
                    let result = match store.lock() {
                        Ok(mut s) => s.append(&row),
                        Err(_) => return None,
                    };
                    match result {
                        Ok(()) => {
                            progress();
                            Some(row)
                        }
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e);
                            }
                            None
                        }
                    }
                })
                .collect()
        });
        if let Some(e) = failure.into_inner().ok().flatten() {
            return Err(e);
        }
        if let Ok(mut s) = store.lock() {
            s.commit()?;
        }
        executed += pending.len() as u64;
        let slots = &mut done_by_gen[generation as usize];
        for (i, row) in pending.iter().zip(fresh) {
            slots[*i as usize] = row;
        }
        let rows: Vec<SampleRow> = slots
            .iter_mut()
            .map(|r| r.take())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::Input {
                path: opts.out.clone(),
                message: "a sample was lost while running".into(),
            })?;
        Ok(rows)
    };
    let Generations {
        rows: all_rows,
        summaries,
        notes,
        posterior,
    } = run_generations(
        &plan.prior_box(),
        opts.method,
        opts.accept,
        per_gen,
        generations,
        &opts.out,
        simulate,
    )?;
    let mut store = store.into_inner().map_err(|_| Error::Input {
        path: opts.out.clone(),
        message: "a worker panicked while writing samples".into(),
    })?;
    store.commit()?;
    // The directory stays locked until timing.json is written.
    let _lock = store.lock().clone();
    drop(store);
    let (manifest, fit) = finalize(
        plan, opts, &hash, &pool, &all_rows, &posterior, summaries, notes,
    )?;
    journal::remove(&opts.out);
    let wall_seconds = t0.elapsed().as_secs_f64();
    let timing = serde_json::json!({
        "start_time": start_time,
        "end_time": chrono::Utc::now().to_rfc3339(),
        "wall_seconds": wall_seconds,
        "samples_executed": executed,
        "threads": pool.current_num_threads(),
    });
    migflow_io::write_file_atomic(
        &opts.out.join("timing.json"),
        &migflow_io::manifest::to_json(&timing, "timing")?,
    )?;
    Ok(CalibrationReport {
        manifest,
        fit,
        executed,
        wall_seconds,
    })
}

impl CalibrationPlan {
    /// Simulate one parameter set. Never fails: an invalid scenario or a
    /// panic becomes a failed sample with its error.
    pub(crate) fn simulate(&self, generation: u32, sample: u64, theta: Vec<f64>) -> SampleRow {
        let seed = self.calib.seed;
        let run = || -> std::result::Result<Vec<Option<f64>>, RunFailure> {
            let loaded = self.scenario_for(&theta)?;
            let runs: Vec<Vec<YearRecord>> = (0..self.calib.replicates)
                .map(|r| {
                    let households = self.source.households_for(&loaded, seed, r);
                    run_replicate(&loaded, households, seed, r, |_, _| {})
                })
                .collect();
            Ok(self
                .targets
                .iter()
                .map(|t| t.replicate_mean(&runs))
                .collect())
        };
        let result = migflow_experiments::execute::catch_run(run);
        match result {
            Ok(sims) => SampleRow {
                generation,
                sample,
                ok: true,
                distance: self.distance(&sims),
                params: theta,
                sims,
                error: String::new(),
            },
            Err(error) => SampleRow {
                generation,
                sample,
                ok: false,
                distance: f64::INFINITY,
                params: theta,
                sims: vec![None; self.targets.len()],
                error: error.to_string(),
            },
        }
    }
}
