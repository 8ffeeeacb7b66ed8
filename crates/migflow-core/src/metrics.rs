//! The metrics of a livelihood's year (MODEL.md §6) by name: one place that
//! says what each output column is and how it is read from a
//! [`GroupStats`], and the derived measures (shares, employment) that
//! calibration targets and reports use.

use crate::model::household::Livelihood;
use crate::record::{ALL_GROUP, GroupStats, YearRecord};

/// The number of metrics (columns of a group's year).
pub const METRICS: usize = 16;

/// A metric of one livelihood (or `all`) in one year, as a column of
/// `trajectories.csv` (MODEL.md §6, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Households (a count).
    Households,
    /// Their members (a count).
    Persons,
    /// Households with at least one laborer (a count).
    WithLabor,
    /// Their laborers (a count).
    Laborers,
    /// The sum of the households' weights.
    WeightedHouseholds,
    /// Weighted mean per-capita income after dibao.
    MeanIncomePc,
    /// Weighted median per-capita income after dibao.
    MedianIncomePc,
    /// Income per person: `Σ w · size · income_pc ÷ Σ w · size`.
    MeanIncomePp,
    /// Share poor.
    PoorShare,
    /// Share below the monitoring line.
    AtRiskShare,
    /// Share enrolled in the dibao.
    DibaoShare,
    /// Share whose state last year was their state this year.
    StayedShare,
    /// Poor this year and not poor last year (a count).
    Returned,
    /// `returned` over the households not poor last year.
    ReturnRate,
    /// Share ever poor so far.
    EverPoorShare,
    /// Households dissolved this year (a count; not among `households`).
    Dissolved,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; METRICS] = [
        Metric::Households,
        Metric::Persons,
        Metric::WithLabor,
        Metric::Laborers,
        Metric::WeightedHouseholds,
        Metric::MeanIncomePc,
        Metric::MedianIncomePc,
        Metric::MeanIncomePp,
        Metric::PoorShare,
        Metric::AtRiskShare,
        Metric::DibaoShare,
        Metric::StayedShare,
        Metric::Returned,
        Metric::ReturnRate,
        Metric::EverPoorShare,
        Metric::Dissolved,
    ];

    /// Their column names, in the same order.
    pub const NAMES: [&'static str; METRICS] = [
        "households",
        "persons",
        "with_labor",
        "laborers",
        "weighted_households",
        "mean_income_pc",
        "median_income_pc",
        "mean_income_pp",
        "poor_share",
        "at_risk_share",
        "dibao_share",
        "stayed_share",
        "returned",
        "return_rate",
        "ever_poor_share",
        "dissolved",
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
            Metric::Laborers => Some(g.laborers as f64),
            Metric::WeightedHouseholds => Some(g.weighted_households),
            Metric::MeanIncomePc => g.mean_income_pc,
            Metric::MedianIncomePc => g.median_income_pc,
            Metric::MeanIncomePp => g.mean_income_pp,
            Metric::PoorShare => g.poor_share,
            Metric::AtRiskShare => g.at_risk_share,
            Metric::DibaoShare => g.dibao_share,
            Metric::StayedShare => g.stayed_share,
            Metric::Returned => Some(g.returned as f64),
            Metric::ReturnRate => g.return_rate,
            Metric::EverPoorShare => g.ever_poor_share,
            Metric::Dissolved => Some(g.dissolved as f64),
        }
    }

    /// Every metric's value in a group's year, in column order.
    pub fn values(g: &GroupStats) -> [Option<f64>; METRICS] {
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
