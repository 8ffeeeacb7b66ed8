//! Per-year aggregates (MODEL.md §6) computed in one fixed order, so the
//! same households give the same bits whatever the thread count.

use crate::costs::YearCosts;
use crate::model::household::Livelihood;

/// Rows of the trajectories: the five livelihoods, then `all`.
pub const GROUPS: usize = 6;
/// Index of the `all` group.
pub const ALL_GROUP: usize = 5;

/// The name of group `g` in files.
pub fn group_name(g: usize) -> &'static str {
    if g == ALL_GROUP {
        "all"
    } else {
        Livelihood::ALL[g].name()
    }
}

/// The metrics of one livelihood (or `all`) in one year (MODEL.md §6).
/// Counts are unweighted; means, medians, shares and rates are weighted by
/// the households' survey weights (all 1 in a synthetic population, where
/// each is the plain count ratio).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupStats {
    /// Households in the livelihood this year.
    pub households: u64,
    /// Their members.
    pub persons: u64,
    /// Those with at least one laborer this year.
    pub with_labor: u64,
    /// Their laborers this year.
    pub laborers: u64,
    /// The sum of their weights.
    pub weighted_households: f64,
    /// Weighted mean per-capita income after dibao (none if empty).
    pub mean_income_pc: Option<f64>,
    /// Weighted median per-capita income (for equal weights, the mean of
    /// the two middle values when the count is even).
    pub median_income_pc: Option<f64>,
    /// Income per person as statistics offices report it:
    /// `Σ weight · size · income_pc ÷ Σ weight · size`.
    pub mean_income_pp: Option<f64>,
    /// Share poor.
    pub poor_share: Option<f64>,
    /// Share below the monitoring line.
    pub at_risk_share: Option<f64>,
    /// Share enrolled in the dibao.
    pub dibao_share: Option<f64>,
    /// Share whose state last year was their state this year.
    pub stayed_share: Option<f64>,
    /// Poor this year and not poor last year (a count).
    pub returned: u64,
    /// Weighted share of `returned` among the households not poor last year.
    pub return_rate: Option<f64>,
    /// Share ever poor so far.
    pub ever_poor_share: Option<f64>,
    /// Households dissolved this year whose group (for the livelihoods:
    /// last year's state) was this one; not among `households`.
    pub dissolved: u64,
}

/// One year's aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRecord {
    /// Calendar year.
    pub year: i32,
    /// The five livelihoods, then `all`.
    pub groups: [GroupStats; GROUPS],
    /// Households alive this year by (last year's state, this year's state).
    pub flows: [[u64; 5]; 5],
    /// What the levers cost this year over the same households
    /// (`costs.csv`). Set in the year's record and the sites' records;
    /// zero in the cohorts' records, which do not count costs.
    pub costs: YearCosts,
}

/// Raw counts and sums of a slice of households; merged in a fixed order.
/// Households of weight 1 (every household of a synthetic population) are
/// counted in integers (`u_`), the others in weighted sums (`w_`); the
/// weighted metrics add the two, so a population of weight 1 gives exactly
/// the plain count ratios, and costs no float sum per flag.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    households: [u64; GROUPS],
    persons: [u64; GROUPS],
    with_labor: [u64; GROUPS],
    laborers: [u64; GROUPS],
    returned: [u64; GROUPS],
    dissolved: [u64; GROUPS],
    u_households: [u64; GROUPS],
    u_persons: [u64; GROUPS],
    u_poor: [u64; GROUPS],
    u_at_risk: [u64; GROUPS],
    u_dibao: [u64; GROUPS],
    u_stayed: [u64; GROUPS],
    u_returned: [u64; GROUPS],
    u_not_poor_last_year: [u64; GROUPS],
    u_ever_poor: [u64; GROUPS],
    u_income: [f64; GROUPS],
    u_person_income: [f64; GROUPS],
    w: [f64; GROUPS],
    w_income: [f64; GROUPS],
    w_persons: [f64; GROUPS],
    w_person_income: [f64; GROUPS],
    w_poor: [f64; GROUPS],
    w_at_risk: [f64; GROUPS],
    w_dibao: [f64; GROUPS],
    w_stayed: [f64; GROUPS],
    w_returned: [f64; GROUPS],
    w_not_poor_last_year: [f64; GROUPS],
    w_ever_poor: [f64; GROUPS],
    flows: [[u64; 5]; 5],
}

/// What the tally needs to know of one household alive this year.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// This year's livelihood.
    pub state: Livelihood,
    /// Last year's livelihood.
    pub last_state: Livelihood,
    /// Members.
    pub size: u8,
    /// Laborers this year.
    pub laborers: u8,
    /// Survey weight.
    pub weight: f64,
    /// Per-capita income after dibao.
    pub income_pc: f64,
    /// Poor this year.
    pub poor: bool,
    /// Poor last year.
    pub poor_last_year: bool,
    /// Below the monitoring line.
    pub at_risk: bool,
    /// Enrolled in the dibao this year.
    pub dibao: bool,
    /// Poor in any year so far.
    pub ever_poor: bool,
}

/// `weight` where `flag` holds, else 0.
#[inline]
fn weighted_if(flag: bool, weight: f64) -> f64 {
    if flag { weight } else { 0.0 }
}

impl Tally {
    /// Count one household alive this year in `group` (a livelihood index,
    /// its state for the trajectories) and in `all`.
    #[inline]
    pub fn add(&mut self, o: &Observation, group: usize) {
        let returned = o.poor && !o.poor_last_year;
        let stayed = o.state == o.last_state;
        let size = f64::from(o.size);
        // Integer counts go to the household's group only: those of `all`
        // are the exact sums of the five groups' (see `completed`). Float
        // sums go to both, so that `all`'s are summed in household order.
        let g = group;
        self.households[g] += 1;
        self.persons[g] += u64::from(o.size);
        self.with_labor[g] += u64::from(o.laborers > 0);
        self.laborers[g] += u64::from(o.laborers);
        self.returned[g] += u64::from(returned);
        let unit = o.weight == 1.0;
        if unit {
            self.u_households[g] += 1;
            self.u_persons[g] += u64::from(o.size);
            self.u_poor[g] += u64::from(o.poor);
            self.u_at_risk[g] += u64::from(o.at_risk);
            self.u_dibao[g] += u64::from(o.dibao);
            self.u_stayed[g] += u64::from(stayed);
            self.u_returned[g] += u64::from(returned);
            self.u_not_poor_last_year[g] += u64::from(!o.poor_last_year);
            self.u_ever_poor[g] += u64::from(o.ever_poor);
        }
        for g in [group, ALL_GROUP] {
            if unit {
                self.u_income[g] += o.income_pc;
                self.u_person_income[g] += size * o.income_pc;
            } else {
                let w = o.weight;
                self.w[g] += w;
                self.w_income[g] += w * o.income_pc;
                let persons = w * size;
                self.w_persons[g] += persons;
                self.w_person_income[g] += persons * o.income_pc;
                self.w_poor[g] += weighted_if(o.poor, w);
                self.w_at_risk[g] += weighted_if(o.at_risk, w);
                self.w_dibao[g] += weighted_if(o.dibao, w);
                self.w_stayed[g] += weighted_if(stayed, w);
                self.w_returned[g] += weighted_if(returned, w);
                self.w_not_poor_last_year[g] += weighted_if(!o.poor_last_year, w);
                self.w_ever_poor[g] += weighted_if(o.ever_poor, w);
            }
        }
        self.flows[o.last_state.index()][o.state.index()] += 1;
    }

    /// Count one household dissolved this year in `group` (for the
    /// trajectories, last year's state); `all`'s is the sum of the groups'.
    #[inline]
    pub fn add_dissolved(&mut self, group: usize) {
        self.dissolved[group] += 1;
    }

    /// Households per group (the five livelihoods, then all).
    pub(crate) fn households_by_group(&self) -> [u64; GROUPS] {
        completed(self.households)
    }

    /// Whether every household of group `g` has weight 1 (the median is
    /// then the plain median, found by selection).
    pub(crate) fn unit_weights(&self, g: usize) -> bool {
        completed(self.u_households)[g] == completed(self.households)[g]
    }

    /// Add a later slice's tally (callers merge in household order).
    pub fn merge(&mut self, other: &Tally) {
        fn add_u(a: &mut [u64; GROUPS], b: &[u64; GROUPS]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        fn add_f(a: &mut [f64; GROUPS], b: &[f64; GROUPS]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        for (a, b) in [
            (&mut self.households, &other.households),
            (&mut self.persons, &other.persons),
            (&mut self.with_labor, &other.with_labor),
            (&mut self.laborers, &other.laborers),
            (&mut self.returned, &other.returned),
            (&mut self.dissolved, &other.dissolved),
            (&mut self.u_households, &other.u_households),
            (&mut self.u_persons, &other.u_persons),
            (&mut self.u_poor, &other.u_poor),
            (&mut self.u_at_risk, &other.u_at_risk),
            (&mut self.u_dibao, &other.u_dibao),
            (&mut self.u_stayed, &other.u_stayed),
            (&mut self.u_returned, &other.u_returned),
            (&mut self.u_not_poor_last_year, &other.u_not_poor_last_year),
            (&mut self.u_ever_poor, &other.u_ever_poor),
        ] {
            add_u(a, b);
        }
        for (a, b) in [
            (&mut self.u_income, &other.u_income),
            (&mut self.u_person_income, &other.u_person_income),
            (&mut self.w, &other.w),
            (&mut self.w_income, &other.w_income),
            (&mut self.w_persons, &other.w_persons),
            (&mut self.w_person_income, &other.w_person_income),
            (&mut self.w_poor, &other.w_poor),
            (&mut self.w_at_risk, &other.w_at_risk),
            (&mut self.w_dibao, &other.w_dibao),
            (&mut self.w_stayed, &other.w_stayed),
            (&mut self.w_returned, &other.w_returned),
            (&mut self.w_not_poor_last_year, &other.w_not_poor_last_year),
            (&mut self.w_ever_poor, &other.w_ever_poor),
        ] {
            add_f(a, b);
        }
        for (row, other_row) in self.flows.iter_mut().zip(&other.flows) {
            for (cell, o) in row.iter_mut().zip(other_row) {
                *cell += o;
            }
        }
    }

    /// The year's record, given each group's median.
    pub fn finish(&self, year: i32, medians: [Option<f64>; GROUPS]) -> YearRecord {
        let mut t = *self;
        for counts in [
            &mut t.households,
            &mut t.persons,
            &mut t.with_labor,
            &mut t.laborers,
            &mut t.returned,
            &mut t.dissolved,
            &mut t.u_households,
            &mut t.u_persons,
            &mut t.u_poor,
            &mut t.u_at_risk,
            &mut t.u_dibao,
            &mut t.u_stayed,
            &mut t.u_returned,
            &mut t.u_not_poor_last_year,
            &mut t.u_ever_poor,
        ] {
            *counts = completed(*counts);
        }
        t.finish_completed(year, medians)
    }

    fn finish_completed(&self, year: i32, medians: [Option<f64>; GROUPS]) -> YearRecord {
        let mut groups = [GroupStats::default(); GROUPS];
        for (g, stats) in groups.iter_mut().enumerate() {
            let n = self.households[g];
            // Weight-1 households' integer counts plus the others' weights:
            // for a population of weight 1, `count + 0.0`, the plain count.
            let both = |units: u64, weighted: f64| units as f64 + weighted;
            let w = both(self.u_households[g], self.w[g]);
            let share = |units: u64, weighted: f64| (n > 0).then(|| both(units, weighted) / w);
            let denom = both(self.u_not_poor_last_year[g], self.w_not_poor_last_year[g]);
            let persons = both(self.u_persons[g], self.w_persons[g]);
            *stats = GroupStats {
                households: n,
                persons: self.persons[g],
                with_labor: self.with_labor[g],
                laborers: self.laborers[g],
                weighted_households: w,
                mean_income_pc: (n > 0).then(|| (self.u_income[g] + self.w_income[g]) / w),
                median_income_pc: medians[g],
                mean_income_pp: (persons > 0.0)
                    .then(|| (self.u_person_income[g] + self.w_person_income[g]) / persons),
                poor_share: share(self.u_poor[g], self.w_poor[g]),
                at_risk_share: share(self.u_at_risk[g], self.w_at_risk[g]),
                dibao_share: share(self.u_dibao[g], self.w_dibao[g]),
                stayed_share: share(self.u_stayed[g], self.w_stayed[g]),
                returned: self.returned[g],
                return_rate: (denom > 0.0)
                    .then(|| both(self.u_returned[g], self.w_returned[g]) / denom),
                ever_poor_share: share(self.u_ever_poor[g], self.w_ever_poor[g]),
                dissolved: self.dissolved[g],
            };
        }
        YearRecord {
            year,
            groups,
            flows: self.flows,
            costs: YearCosts::default(),
        }
    }
}

/// Integer counts with `all` set to the sum of the five livelihoods'.
#[inline]
fn completed(mut counts: [u64; GROUPS]) -> [u64; GROUPS] {
    counts[ALL_GROUP] = counts[..ALL_GROUP].iter().sum();
    counts
}

/// Median by selection; the mean of the two middle values when the count is
/// even. Reorders `values`.
pub fn median(values: &mut [f64]) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (lower, upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return Some(upper);
    }
    let below = lower
        .iter()
        .copied()
        .max_by(f64::total_cmp)
        .unwrap_or(upper);
    Some((below + upper) / 2.0)
}

/// One household's entry for a weighted median: income, household number
/// (the tie order), weight.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightedIncome {
    /// Per-capita income.
    pub income: f64,
    /// Household number.
    pub id: u32,
    /// Survey weight.
    pub weight: f64,
}

/// The weighted median of MODEL.md §6: in ascending order of income, ties
/// in id order, the first value at which the cumulative weight reaches half
/// the total; when it reaches exactly half there, the mean of that value
/// and the next. For equal weights this is [`median`]. Reorders `values`.
pub fn weighted_median(values: &mut [WeightedIncome]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(|a, b| a.income.total_cmp(&b.income).then(a.id.cmp(&b.id)));
    // The total in the same ascending order as the cumulative sums, so
    // that "exactly half" is decided on the same rounding.
    let total: f64 = values.iter().map(|v| v.weight).sum();
    let half = total / 2.0;
    let mut cumulative = 0.0;
    for (i, v) in values.iter().enumerate() {
        cumulative += v.weight;
        if cumulative >= half {
            if cumulative == half
                && let Some(next) = values.get(i + 1)
            {
                return Some((v.income + next.income) / 2.0);
            }
            return Some(v.income);
        }
    }
    values.last().map(|v| v.income)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn metrics_are_weighted_by_the_survey_weight() {
        let mut t = Tally::default();
        let farm = Livelihood::Farm.index();
        let base = Observation {
            state: Livelihood::Farm,
            last_state: Livelihood::Farm,
            size: 2,
            laborers: 1,
            weight: 1.0,
            income_pc: 1000.0,
            poor: true,
            poor_last_year: false,
            at_risk: true,
            dibao: true,
            ever_poor: true,
        };
        t.add(&base, farm);
        t.add(
            &Observation {
                weight: 3.0,
                size: 4,
                income_pc: 9000.0,
                poor: false,
                at_risk: false,
                dibao: false,
                ever_poor: false,
                last_state: Livelihood::Local,
                ..base
            },
            farm,
        );
        let g = t.finish(2021, [None; GROUPS]).groups[farm];
        assert_eq!((g.households, g.persons), (2, 6), "counts are unweighted");
        assert_eq!(g.weighted_households, 4.0);
        assert_eq!(g.poor_share, Some(0.25));
        assert_eq!(g.dibao_share, Some(0.25));
        assert_eq!(g.stayed_share, Some(0.25));
        assert_eq!(g.mean_income_pc, Some((1000.0 + 3.0 * 9000.0) / 4.0));
        // Σ w · size · income_pc ÷ Σ w · size.
        assert_eq!(
            g.mean_income_pp,
            Some((2.0 * 1000.0 + 12.0 * 9000.0) / 14.0)
        );
        assert_eq!(g.returned, 1, "returned is a count");
        assert_eq!(g.return_rate, Some(0.25));
        assert!(!t.unit_weights(farm));
    }

    #[test]
    fn the_weighted_median_follows_the_cumulative_weight() {
        let at = |v: &[(f64, f64)]| {
            let mut entries: Vec<WeightedIncome> = v
                .iter()
                .enumerate()
                .map(|(i, &(income, weight))| WeightedIncome {
                    income,
                    id: i as u32,
                    weight,
                })
                .collect();
            weighted_median(&mut entries)
        };
        assert_eq!(at(&[]), None);
        // Equal weights: the plain median, even count the mean of the middle.
        assert_eq!(at(&[(3.0, 1.0), (1.0, 1.0), (2.0, 1.0)]), Some(2.0));
        assert_eq!(
            at(&[(4.0, 2.0), (1.0, 2.0), (3.0, 2.0), (2.0, 2.0)]),
            Some(2.5)
        );
        // A heavy household pulls the median to itself.
        assert_eq!(at(&[(1.0, 1.0), (2.0, 1.0), (9.0, 5.0)]), Some(9.0));
        // Exactly half reached at 2: the mean of 2 and the next value.
        assert_eq!(at(&[(1.0, 1.0), (2.0, 2.0), (5.0, 3.0)]), Some(3.5));
    }

    #[test]
    fn returned_counts_new_poor_only() {
        let mut t = Tally::default();
        let base = Observation {
            state: Livelihood::Farm,
            last_state: Livelihood::Farm,
            size: 2,
            laborers: 1,
            income_pc: 1000.0,
            poor: true,
            poor_last_year: false,
            at_risk: true,
            dibao: false,
            ever_poor: true,
            weight: 1.0,
        };
        let farm = Livelihood::Farm.index();
        t.add(&base, farm);
        t.add(
            &Observation {
                poor_last_year: true,
                ..base
            },
            farm,
        );
        t.add(
            &Observation {
                poor: false,
                at_risk: false,
                income_pc: 9000.0,
                last_state: Livelihood::Local,
                ..base
            },
            farm,
        );
        let r = t.finish(2021, [None; GROUPS]);
        let farm = r.groups[Livelihood::Farm.index()];
        assert_eq!(farm.returned, 1);
        assert_eq!(farm.return_rate, Some(0.5));
        assert_eq!(farm.poor_share, Some(2.0 / 3.0));
        assert_eq!(
            r.flows[Livelihood::Local.index()][Livelihood::Farm.index()],
            1
        );
        assert_eq!(r.groups[Livelihood::Local.index()].return_rate, None);
    }
}
