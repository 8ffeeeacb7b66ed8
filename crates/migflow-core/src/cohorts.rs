//! Cohorts (MODEL.md §6): the households grouped by their state in a
//! cohort year, followed through every later year wherever they went. This
//! is how one reads what happened to, say, the households that were local
//! when the workshops closed: the rows of `trajectories.csv` change
//! membership every year, a cohort's do not.
//!
//! The cohort of the initial state is labelled with the year before the
//! first simulated year (`start_year − 1`: the state at relocation, "last
//! year's state" of the first step).

use crate::engine::Engine;
use crate::params::Scenario;
use crate::record::YearRecord;
use crate::run::YearObserver;

/// One year's metrics of one cohort year's cohorts.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortYear {
    /// The cohort year (`start_year − 1` for the initial state).
    pub cohort_year: i32,
    /// The metrics in a later year: group `k` is the households whose state
    /// in the cohort year was `k`, `all` every household alive then.
    pub record: YearRecord,
}

/// The default cohort years of a scenario: the initial state, and the last
/// year in which a time-limited lever acts, i.e. the latest `end_year`
/// among the enabled levers whose window ends within the run and before
/// its last year (2025 in the default scenario; social protection runs to
/// the end of the run and is not time-limited).
pub fn default_cohort_years(s: &Scenario) -> Vec<i32> {
    let first = s.run.start_year;
    let last = first + s.run.years as i32 - 1;
    let mut years = vec![first - 1];
    let lever_end = s
        .levers
        .windows()
        .into_iter()
        .filter(|(_, w)| w.enabled && w.end_year >= first && w.end_year < last)
        .filter(|(_, w)| w.start_year <= w.end_year)
        .map(|(_, w)| w.end_year)
        .max();
    years.extend(lever_end);
    years
}

/// The cohort years a run may follow: from `start_year − 1` (the initial
/// state) to the year before the last (a cohort needs a later year).
pub fn cohort_year_range(s: &Scenario) -> std::ops::RangeInclusive<i32> {
    let first = s.run.start_year;
    (first - 1)..=(first + s.run.years as i32 - 2)
}

/// Follows a replicate's cohorts: as a [`YearObserver`] it asks the engine
/// to follow the cohort years ([`Engine::follow_cohorts`]) and keeps each
/// year's cohort records.
#[derive(Debug, Clone)]
pub struct CohortTracker {
    years: Vec<i32>,
    rows: Vec<CohortYear>,
}

impl CohortTracker {
    /// Track the cohorts of `cohort_years` (duplicates are dropped).
    pub fn new(cohort_years: &[i32]) -> CohortTracker {
        CohortTracker {
            years: cohort_years.to_vec(),
            rows: Vec::new(),
        }
    }

    /// The cohorts' rows so far: by year, then cohort year.
    pub fn rows(&self) -> &[CohortYear] {
        &self.rows
    }

    /// The rows, taken.
    pub fn into_rows(self) -> Vec<CohortYear> {
        self.rows
    }
}

impl YearObserver for CohortTracker {
    fn prepare(&mut self, engine: &mut Engine) {
        engine.follow_cohorts(&self.years);
    }

    fn on_year(&mut self, engine: &Engine, _: &YearRecord) {
        self.rows.extend_from_slice(engine.cohort_records());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cohorts_are_the_initial_state_and_the_last_lever_year() {
        let s = Scenario::default();
        assert_eq!(default_cohort_years(&s), [2020, 2025]);
        let mut longer = s.clone();
        longer.levers.workshops.end_year = 2028;
        assert_eq!(default_cohort_years(&longer), [2020, 2028]);
        let mut short = s.clone();
        short.run.years = 5; // the levers end in the last year
        assert_eq!(default_cohort_years(&short), [2020]);
        assert_eq!(cohort_year_range(&s), 2020..=2034);
    }
}
