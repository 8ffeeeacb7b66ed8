//! Cohorts (MODEL.md §6): the households grouped by their state in a
//! cohort year, followed through every later year wherever they went. This
//! is how one reads what happened to, say, the households that were local
//! when the workshops closed: the rows of `trajectories.csv` change
//! membership every year, a cohort's do not.
//!
//! The cohort of the initial state is labelled with the year before the
//! first simulated year (`start_year − 1`: the state at relocation, "last
//! year's state" of the first step).

use crate::engine::{Engine, NO_GROUP};
use crate::params::Scenario;
use crate::record::{WeightedIncome, YearRecord};

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

/// Follows a replicate's cohorts year by year: give it every year's engine
/// after the step ([`CohortTracker::observe`]); it keeps each cohort's
/// metrics of every later year.
#[derive(Debug, Clone)]
pub struct CohortTracker {
    /// Cohort years, ascending, with each cohort's groups (one entry a
    /// household, in engine order) once the year has been seen.
    cohorts: Vec<(i32, Option<Vec<u8>>)>,
    start_year: i32,
    buffer: Vec<WeightedIncome>,
    rows: Vec<CohortYear>,
}

impl CohortTracker {
    /// Track the cohorts of `cohort_years` (duplicates are dropped) of a run
    /// starting in `start_year`.
    pub fn new(cohort_years: &[i32], start_year: i32) -> CohortTracker {
        let mut years = cohort_years.to_vec();
        years.sort_unstable();
        years.dedup();
        CohortTracker {
            cohorts: years.into_iter().map(|y| (y, None)).collect(),
            start_year,
            buffer: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Observe the year just stepped: the metrics of every cohort formed
    /// before it, then form the cohorts of this year.
    pub fn observe(&mut self, engine: &Engine, record: &YearRecord) {
        let year = record.year;
        if year == self.start_year {
            // The initial state is last year's state of the first step,
            // for every household (all were alive at relocation).
            let initial: Vec<u8> = engine
                .household_years()
                .iter()
                .map(|y| y.last_state.index() as u8)
                .collect();
            for (c, groups) in &mut self.cohorts {
                if *c == year - 1 {
                    *groups = Some(initial.clone());
                }
            }
        }
        for (c, groups) in &self.cohorts {
            if let Some(groups) = groups.as_deref().filter(|_| *c < year) {
                self.rows.push(CohortYear {
                    cohort_year: *c,
                    record: engine.cohort_record(year, groups, &mut self.buffer),
                });
            }
        }
        for (c, groups) in &mut self.cohorts {
            if *c == year {
                *groups = Some(
                    engine
                        .households()
                        .iter()
                        .map(|h| {
                            if h.alive {
                                h.state.index() as u8
                            } else {
                                NO_GROUP
                            }
                        })
                        .collect(),
                );
            }
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
