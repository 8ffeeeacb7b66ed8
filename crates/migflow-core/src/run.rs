//! Runs: a scenario's replicates, in parallel, each with its own streams.

use crate::engine::{Engine, run_replicate_observed};
use crate::model::Households;
use crate::params::Params;
use crate::population::{self, LoadedPopulation};
use crate::record::YearRecord;
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request to stop a run or a sweep early (Ctrl-C in a notebook): shared
/// by whoever asks and the workers, who look at it between years and
/// between runs. The default asks nothing and costs one branch.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Option<Arc<AtomicBool>>);

impl Cancel {
    /// A flag that can be raised with [`Cancel::request`].
    pub fn new() -> Cancel {
        Cancel(Some(Arc::new(AtomicBool::new(false))))
    }

    /// Ask every holder of this flag to stop.
    pub fn request(&self) {
        if let Some(flag) = &self.0 {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        self.0.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

/// The households a run starts from: a CSV file's (shared by every
/// replicate) or the synthetic population (drawn anew for each replicate).
#[derive(Debug, Clone)]
pub enum PopulationSource {
    /// Households loaded from a file, in row order, with the survey's ids
    /// when the file has an `id` column.
    Loaded(LoadedPopulation),
    /// Drawn from the scenario's distributions.
    Synthetic,
}

impl PopulationSource {
    /// Number of households.
    pub fn households(&self, loaded: &Params) -> u64 {
        match self {
            PopulationSource::Loaded(p) => p.households.len() as u64,
            PopulationSource::Synthetic => loaded.scenario().population.households,
        }
    }

    /// The households of one replicate, with a file's survey facts.
    pub fn households_for(&self, loaded: &Params, seed: u64, replicate: u32) -> Households {
        match self {
            PopulationSource::Loaded(p) => Households {
                households: p.households.clone(),
                survey: p.survey.clone(),
            },
            PopulationSource::Synthetic => population::synthetic(loaded, seed, replicate).into(),
        }
    }

    /// The survey's household identifiers, indexed by household number
    /// ([`Household::id`](crate::model::Household::id)): a loaded file's `id` column; none for a file
    /// without one and for a synthetic population.
    pub fn survey_ids(&self) -> Option<&Arc<[String]>> {
        match self {
            PopulationSource::Loaded(p) => p.survey_ids.as_ref(),
            PopulationSource::Synthetic => None,
        }
    }
}

/// Run `replicates` replicates in parallel (and households in parallel
/// within each). `observer(r)` makes replicate `r`'s observer, called after
/// every year; it is returned with the replicate's records, in replicate
/// order.
pub fn run_replicates<O, F>(
    loaded: &Params,
    source: &PopulationSource,
    seed: u64,
    replicates: u32,
    observer: F,
) -> Vec<(Vec<YearRecord>, O)>
where
    F: Fn(u32) -> O + Sync,
    O: YearObserver + Send,
{
    (0..replicates)
        .into_par_iter()
        .map(|r| {
            let mut obs = observer(r);
            let households = source.households_for(loaded, seed, r);
            let records = run_replicate_observed(loaded, households, seed, r, &mut obs);
            (records, obs)
        })
        .collect()
}

/// Watches a replicate year by year.
pub trait YearObserver {
    /// Called once with the new engine, before the first step (to ask it
    /// to follow cohorts, say). Does nothing by default.
    fn prepare(&mut self, engine: &mut Engine) {
        let _ = engine;
    }

    /// Called after each year's step.
    fn on_year(&mut self, engine: &Engine, record: &YearRecord);

    /// Whether the replicate is to stop after this year (its records are
    /// then cut short, and whoever asked must not use them as a run's).
    /// Never, by default.
    fn stop(&self) -> bool {
        false
    }
}

impl<F: FnMut(&Engine, &YearRecord)> YearObserver for F {
    fn on_year(&mut self, engine: &Engine, record: &YearRecord) {
        self(engine, record)
    }
}

/// Run replicates and keep only the records (no observer).
pub fn run_records(
    loaded: &Params,
    source: &PopulationSource,
    seed: u64,
    replicates: u32,
) -> Vec<Vec<YearRecord>> {
    run_replicates(loaded, source, seed, replicates, |_| {
        |_: &Engine, _: &YearRecord| {}
    })
    .into_iter()
    .map(|(records, _)| records)
    .collect()
}
