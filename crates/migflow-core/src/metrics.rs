//! The metrics of a livelihood's year (MODEL.md §6) by name: one place that
//! says what each output column is and how it is read from a
//! [`GroupStats`], and the derived measures (shares, employment) that
//! calibration targets and reports use.

use crate::model::household::Livelihood;
use crate::record::{ALL_GROUP, GroupStats, YearRecord};

/// A metric of one livelihood (or `all`) in one year, as a column of
/// `trajectories.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Households.
    Households,
    /// Their members.
    Persons,
    /// Households with at least one laborer.
    WithLabor,
    /// Mean per-capita income after dibao.
    MeanIncomePc,
    /// Median per-capita income after dibao.
    MedianIncomePc,
    /// Share poor.
    PoorShare,
    /// Share below the monitoring line.
    AtRiskShare,
    /// Poor this year and not poor last year (a count).
    Returned,
    /// `returned` over the households not poor last year.
    ReturnRate,
    /// Share ever poor so far.
    EverPoorShare,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 10] = [
        Metric::Households,
        Metric::Persons,
        Metric::WithLabor,
        Metric::MeanIncomePc,
        Metric::MedianIncomePc,
        Metric::PoorShare,
        Metric::AtRiskShare,
        Metric::Returned,
        Metric::ReturnRate,
        Metric::EverPoorShare,
    ];

    /// Their column names, in the same order.
    pub const NAMES: [&'static str; 10] = [
        "households",
        "persons",
        "with_labor",
        "mean_income_pc",
        "median_income_pc",
        "poor_share",
        "at_risk_share",
        "returned",
        "return_rate",
        "ever_poor_share",
    ];

    /// The column name.
    pub fn name(self) -> &'static str {
        Metric::NAMES[self as usize]
    }

    /// The metric of a column name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Metric::ALL[i])
    }

    /// Its value in a group's year (none where it is undefined, e.g. the
    /// mean income of an empty livelihood).
    pub fn value(self, g: &GroupStats) -> Option<f64> {
        match self {
            Metric::Households => Some(g.households as f64),
            Metric::Persons => Some(g.persons as f64),
            Metric::WithLabor => Some(g.with_labor as f64),
            Metric::MeanIncomePc => g.mean_income_pc,
            Metric::MedianIncomePc => g.median_income_pc,
            Metric::PoorShare => g.poor_share,
            Metric::AtRiskShare => g.at_risk_share,
            Metric::Returned => Some(g.returned as f64),
            Metric::ReturnRate => g.return_rate,
            Metric::EverPoorShare => g.ever_poor_share,
        }
    }

    /// Every metric's value in a group's year, in column order.
    pub fn values(g: &GroupStats) -> [Option<f64>; 10] {
        Metric::ALL.map(|m| m.value(g))
    }
}

/// The share of all households in livelihood `group` in a year.
pub fn share(record: &YearRecord, group: usize) -> Option<f64> {
    let total = record.groups[ALL_GROUP].households;
    (total > 0).then(|| record.groups[group].households as f64 / total as f64)
}

/// The employment rate of households with labour in a year: one less the
/// share of them with no livelihood, `1 − none.with_labor / all.with_labor`
/// (the kind of figure surveys publish).
pub fn employment_rate(record: &YearRecord) -> Option<f64> {
    let all = record.groups[ALL_GROUP].with_labor;
    let none = record.groups[Livelihood::None.index()].with_labor;
    (all > 0).then(|| 1.0 - none as f64 / all as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_column_order() {
        for (i, m) in Metric::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i);
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        assert_eq!(Metric::from_name("poverty"), None);
    }
}
