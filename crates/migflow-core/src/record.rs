//! Per-year aggregates (MODEL.md §6) computed in one fixed order, so the
//! same households give the same bits whatever the thread count.

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

/// The metrics of one livelihood (or `all`) in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupStats {
    /// Households in the livelihood this year.
    pub households: u64,
    /// Their members.
    pub persons: u64,
    /// Those with at least one laborer this year.
    pub with_labor: u64,
    /// Unweighted mean per-capita income after dibao (none if empty).
    pub mean_income_pc: Option<f64>,
    /// Median per-capita income (mean of the two middle values when even).
    pub median_income_pc: Option<f64>,
    /// Share poor.
    pub poor_share: Option<f64>,
    /// Share below the monitoring line.
    pub at_risk_share: Option<f64>,
    /// Poor this year and not poor last year.
    pub returned: u64,
    /// `returned` over the households not poor last year.
    pub return_rate: Option<f64>,
    /// Share ever poor so far.
    pub ever_poor_share: Option<f64>,
}

/// One year's aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRecord {
    /// Calendar year.
    pub year: i32,
    /// The five livelihoods, then `all`.
    pub groups: [GroupStats; GROUPS],
    /// Households by (last year's state, this year's state).
    pub flows: [[u64; 5]; 5],
}

/// Raw counts and sums of a slice of households; merged in a fixed order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    households: [u64; GROUPS],
    persons: [u64; GROUPS],
    with_labor: [u64; GROUPS],
    income_sum: [f64; GROUPS],
    poor: [u64; GROUPS],
    at_risk: [u64; GROUPS],
    returned: [u64; GROUPS],
    not_poor_last_year: [u64; GROUPS],
    ever_poor: [u64; GROUPS],
    flows: [[u64; 5]; 5],
}

/// What the tally needs to know of one household this year.
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
    /// Per-capita income after dibao.
    pub income_pc: f64,
    /// Poor this year.
    pub poor: bool,
    /// Poor last year.
    pub poor_last_year: bool,
    /// Below the monitoring line.
    pub at_risk: bool,
    /// Poor in any year so far.
    pub ever_poor: bool,
}

impl Tally {
    /// Count one household.
    #[inline]
    pub fn add(&mut self, o: &Observation) {
        for g in [o.state.index(), ALL_GROUP] {
            self.households[g] += 1;
            self.persons[g] += u64::from(o.size);
            self.with_labor[g] += u64::from(o.laborers > 0);
            self.income_sum[g] += o.income_pc;
            self.poor[g] += u64::from(o.poor);
            self.at_risk[g] += u64::from(o.at_risk);
            self.returned[g] += u64::from(o.poor && !o.poor_last_year);
            self.not_poor_last_year[g] += u64::from(!o.poor_last_year);
            self.ever_poor[g] += u64::from(o.ever_poor);
        }
        self.flows[o.last_state.index()][o.state.index()] += 1;
    }

    /// Households per group (the five livelihoods, then all).
    pub(crate) fn households_by_group(&self) -> [u64; GROUPS] {
        self.households
    }

    /// Add a later slice's tally (callers merge in household order).
    pub fn merge(&mut self, other: &Tally) {
        for g in 0..GROUPS {
            self.households[g] += other.households[g];
            self.persons[g] += other.persons[g];
            self.with_labor[g] += other.with_labor[g];
            self.income_sum[g] += other.income_sum[g];
            self.poor[g] += other.poor[g];
            self.at_risk[g] += other.at_risk[g];
            self.returned[g] += other.returned[g];
            self.not_poor_last_year[g] += other.not_poor_last_year[g];
            self.ever_poor[g] += other.ever_poor[g];
        }
        for (row, other_row) in self.flows.iter_mut().zip(&other.flows) {
            for (cell, o) in row.iter_mut().zip(other_row) {
                *cell += o;
            }
        }
    }

    /// The year's record, given each group's median.
    pub fn finish(&self, year: i32, medians: [Option<f64>; GROUPS]) -> YearRecord {
        let mut groups = [GroupStats::default(); GROUPS];
        for (g, stats) in groups.iter_mut().enumerate() {
            let n = self.households[g];
            let share = |count: u64| (n > 0).then(|| count as f64 / n as f64);
            let denom = self.not_poor_last_year[g];
            *stats = GroupStats {
                households: n,
                persons: self.persons[g],
                with_labor: self.with_labor[g],
                mean_income_pc: (n > 0).then(|| self.income_sum[g] / n as f64),
                median_income_pc: medians[g],
                poor_share: share(self.poor[g]),
                at_risk_share: share(self.at_risk[g]),
                returned: self.returned[g],
                return_rate: (denom > 0).then(|| self.returned[g] as f64 / denom as f64),
                ever_poor_share: share(self.ever_poor[g]),
            };
        }
        YearRecord {
            year,
            groups,
            flows: self.flows,
        }
    }
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
            ever_poor: true,
        };
        t.add(&base);
        t.add(&Observation {
            poor_last_year: true,
            ..base
        });
        t.add(&Observation {
            poor: false,
            at_risk: false,
            income_pc: 9000.0,
            last_state: Livelihood::Local,
            ..base
        });
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
