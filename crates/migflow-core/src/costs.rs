//! What the levers cost (MODEL.md, Costs): the public spending on each
//! lever's units that the households actually took up this year, in
//! nominal yuan of the year.
//!
//! A household's take-up is a pure function of its year ([`take_up`]); a
//! [`CostTally`] adds the take-ups of a slice of households, weighted by
//! their survey weights, and the engine merges the tallies of its fixed
//! chunks in order (as it does the metrics), so costs are the same bits
//! whatever the thread count. No cost reads a random draw, and no rule
//! reads a cost: results do not change with `[costs]`.
//!
//! A quantity is counted only in a year its lever acts (its window), and
//! only for households alive this year. An item's cost is its quantity
//! times this year's unit cost ([`CostRates`]) or the amount the lever pays
//! per unit (a travel subsidy, a subsidy per mu, a stipend, a dividend),
//! except the commuting support and the dibao, which are summed as paid.

use crate::model::{Household, HouseholdYear, JobType, Livelihood};
use crate::params::Year;
use crate::params::year::CostRates;

/// The levers that cost money, in `costs.csv` order (`targeting` only
/// reorders the lotteries and costs nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CostLever {
    /// `levers.labor_cooperation`.
    LaborCooperation,
    /// `levers.industrial_cooperation`.
    IndustrialCooperation,
    /// `levers.workshops`.
    Workshops,
    /// `levers.agricultural_support`.
    AgriculturalSupport,
    /// `levers.training`.
    Training,
    /// `levers.asset_income`.
    AssetIncome,
    /// `levers.social_protection`.
    SocialProtection,
}

/// Number of [`CostLever`]s.
pub const LEVERS: usize = 7;

impl CostLever {
    /// Every costed lever, in file order.
    pub const ALL: [CostLever; LEVERS] = [
        CostLever::LaborCooperation,
        CostLever::IndustrialCooperation,
        CostLever::Workshops,
        CostLever::AgriculturalSupport,
        CostLever::Training,
        CostLever::AssetIncome,
        CostLever::SocialProtection,
    ];

    /// Its TOML table under `[levers]`, the name in `costs.csv`.
    pub const fn name(self) -> &'static str {
        match self {
            CostLever::LaborCooperation => "labor_cooperation",
            CostLever::IndustrialCooperation => "industrial_cooperation",
            CostLever::Workshops => "workshops",
            CostLever::AgriculturalSupport => "agricultural_support",
            CostLever::Training => "training",
            CostLever::AssetIncome => "asset_income",
            CostLever::SocialProtection => "social_protection",
        }
    }

    /// Its items, in file order.
    pub fn items(self) -> &'static [CostItem] {
        let first = CostItem::ALL
            .iter()
            .position(|i| i.lever() == self)
            .unwrap_or(0);
        let len = CostItem::ALL[first..]
            .iter()
            .take_while(|i| i.lever() == self)
            .count();
        &CostItem::ALL[first..first + len]
    }
}

/// One costed unit of a lever, in `costs.csv` order (grouped by lever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CostItem {
    /// Laborers on a placement this year (a placed household takes `L`
    /// places) × `costs.per_placement_year`.
    PlacementYears,
    /// Households outbound this year (after job search) × the travel
    /// subsidy, when it is positive.
    TravelSubsidy,
    /// Firm jobs held this year × `costs.per_firm_job_year`.
    FirmJobYears,
    /// Workshop jobs held this year × `costs.per_workshop_job_year`.
    WorkshopJobYears,
    /// Supported mu (a farm household's land, `rho_mixed` × a mixed one's,
    /// as in their crop income) × `subsidy_per_mu`.
    LandSubsidy,
    /// The same mu × `costs.extension_per_mu`.
    Extension,
    /// The same mu, when insurance is on, × `costs.insurance_premium_per_mu`.
    InsurancePremium,
    /// Farm households, when `transport_support` is positive; the cost is
    /// the share of their commute the county pays.
    TransportSupport,
    /// Training slots taken × `costs.per_training_slot`.
    TrainingSlots,
    /// The same slots × the stipend.
    Stipends,
    /// Households paid a dividend × the dividend, when it is positive.
    Dividends,
    /// Households enrolled in the dibao; the cost is their top-ups
    /// (`dibao_line · size − Y_net`).
    DibaoTopUps,
}

/// Number of [`CostItem`]s.
pub const ITEMS: usize = 12;

impl CostItem {
    /// Every item, in file order.
    pub const ALL: [CostItem; ITEMS] = [
        CostItem::PlacementYears,
        CostItem::TravelSubsidy,
        CostItem::FirmJobYears,
        CostItem::WorkshopJobYears,
        CostItem::LandSubsidy,
        CostItem::Extension,
        CostItem::InsurancePremium,
        CostItem::TransportSupport,
        CostItem::TrainingSlots,
        CostItem::Stipends,
        CostItem::Dividends,
        CostItem::DibaoTopUps,
    ];

    /// Index 0..ITEMS, in file order.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Its name in `costs.csv`.
    pub const fn name(self) -> &'static str {
        match self {
            CostItem::PlacementYears => "placement_years",
            CostItem::TravelSubsidy => "travel_subsidy",
            CostItem::FirmJobYears => "firm_job_years",
            CostItem::WorkshopJobYears => "workshop_job_years",
            CostItem::LandSubsidy => "land_subsidy",
            CostItem::Extension => "extension",
            CostItem::InsurancePremium => "insurance_premium",
            CostItem::TransportSupport => "transport_support",
            CostItem::TrainingSlots => "training_slots",
            CostItem::Stipends => "stipends",
            CostItem::Dividends => "dividends",
            CostItem::DibaoTopUps => "dibao_top_ups",
        }
    }

    /// The lever it belongs to.
    pub const fn lever(self) -> CostLever {
        match self {
            CostItem::PlacementYears | CostItem::TravelSubsidy => CostLever::LaborCooperation,
            CostItem::FirmJobYears => CostLever::IndustrialCooperation,
            CostItem::WorkshopJobYears => CostLever::Workshops,
            CostItem::LandSubsidy
            | CostItem::Extension
            | CostItem::InsurancePremium
            | CostItem::TransportSupport => CostLever::AgriculturalSupport,
            CostItem::TrainingSlots | CostItem::Stipends => CostLever::Training,
            CostItem::Dividends => CostLever::AssetIncome,
            CostItem::DibaoTopUps => CostLever::SocialProtection,
        }
    }

    /// The unit of its quantity.
    pub fn unit(self) -> &'static str {
        match self {
            CostItem::PlacementYears | CostItem::FirmJobYears | CostItem::WorkshopJobYears => {
                "laborer-years"
            }
            CostItem::LandSubsidy | CostItem::Extension | CostItem::InsurancePremium => "mu",
            CostItem::TrainingSlots | CostItem::Stipends => "slots",
            CostItem::TravelSubsidy
            | CostItem::TransportSupport
            | CostItem::Dividends
            | CostItem::DibaoTopUps => "households",
        }
    }
}

/// What one household took up this year, unweighted: the quantities
/// [`CostTally`] multiplies by the unit costs, and the two amounts it sums
/// as paid.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TakeUp {
    /// Laborers placed.
    pub placed_laborers: f64,
    /// 1 if paid a travel subsidy.
    pub travel: f64,
    /// Firm jobs held.
    pub firm_jobs: f64,
    /// Workshop jobs held.
    pub workshop_jobs: f64,
    /// Mu supported (and extended).
    pub supported_mu: f64,
    /// Mu insured.
    pub insured_mu: f64,
    /// 1 if part of its commute is paid.
    pub transport: f64,
    /// The part of its commute paid.
    pub transport_paid: f64,
    /// 1 if it took a training slot.
    pub trained: f64,
    /// 1 if paid a dividend.
    pub dividend: f64,
    /// 1 if enrolled in the dibao.
    pub dibao: f64,
    /// The dibao paid.
    pub dibao_paid: f64,
}

/// What household `h` took up this year, after the year's settling and
/// training (`h` holds this year's state, jobs and enrolment; `y` its
/// year). `distance_km` is the distance it farms from. Nothing for a
/// household not alive this year.
#[inline]
pub fn take_up(h: &Household, y: &HouseholdYear, distance_km: f64, ys: &Year) -> TakeUp {
    let mut t = TakeUp::default();
    if !h.alive() || y.dissolved() {
        return t;
    }
    let on = &ys.costs.active;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    if on.labor_cooperation {
        // `y.placed` is settled: placed and outbound after job search.
        t.placed_laborers = flag(y.placed()) * f64::from(y.members.laborers);
        t.travel = flag(h.state == Livelihood::Outbound && ys.travel_subsidy > 0.0);
    }
    // `h.jobs` holds this year's places of a local household, none otherwise.
    if on.industrial_cooperation {
        t.firm_jobs = f64::from(h.jobs[JobType::Firm as usize]);
    }
    if on.workshops {
        t.workshop_jobs = f64::from(h.jobs[JobType::Workshop as usize]);
    }
    if on.agricultural_support {
        t.supported_mu = match h.state {
            Livelihood::Farm => h.land_mu,
            Livelihood::Mixed => ys.economy.rho_mixed * h.land_mu,
            _ => 0.0,
        };
        if ys.insurance {
            t.insured_mu = t.supported_mu;
        }
        if h.state == Livelihood::Farm && ys.transport_support > 0.0 {
            t.transport = 1.0;
            // The share of the commute that `decision::commute_cost` does
            // not charge the household.
            t.transport_paid = ys.economy.commute_per_km * distance_km * ys.transport_support;
        }
    }
    if on.training {
        t.trained = flag(y.trained());
    }
    if on.asset_income {
        t.dividend = flag(ys.dividend > 0.0);
    }
    if on.social_protection && y.dibao() {
        t.dibao = 1.0;
        t.dibao_paid = y.dibao_top_up;
    }
    t
}

/// Weighted sums of the take-ups of a slice of households, in household
/// order; merged in a fixed order.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostTally {
    sums: [f64; 12],
}

impl CostTally {
    /// Add household `h` (see [`take_up`]), weighted by its survey weight.
    #[inline]
    pub fn add(
        &mut self,
        h: &Household,
        y: &HouseholdYear,
        weight: f64,
        distance_km: f64,
        ys: &Year,
    ) {
        self.add_take_up(&take_up(h, y, distance_km, ys), weight);
    }

    /// Add one take-up with weight `w`.
    #[inline]
    pub fn add_take_up(&mut self, t: &TakeUp, w: f64) {
        let values = [
            t.placed_laborers,
            t.travel,
            t.firm_jobs,
            t.workshop_jobs,
            t.supported_mu,
            t.insured_mu,
            t.transport,
            t.transport_paid,
            t.trained,
            t.dividend,
            t.dibao,
            t.dibao_paid,
        ];
        for (sum, v) in self.sums.iter_mut().zip(values) {
            *sum += w * v;
        }
    }

    /// Add a later slice's tally (callers merge in household order).
    pub fn merge(&mut self, other: &CostTally) {
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
    }

    /// The year's costs at this year's rates and amounts.
    pub fn finish(&self, ys: &Year) -> YearCosts {
        let [
            placed,
            travel,
            firm,
            workshop,
            mu,
            insured,
            transport,
            transport_paid,
            trained,
            dividend,
            dibao,
            dibao_paid,
        ] = self.sums;
        let r: &CostRates = &ys.costs;
        let mut c = YearCosts::default();
        let mut set = |item: CostItem, quantity: f64, cost: f64| {
            c.quantity[item.index()] = quantity;
            c.cost[item.index()] = cost;
        };
        set(
            CostItem::PlacementYears,
            placed,
            placed * r.per_placement_year,
        );
        set(CostItem::TravelSubsidy, travel, travel * ys.travel_subsidy);
        set(CostItem::FirmJobYears, firm, firm * r.per_firm_job_year);
        set(
            CostItem::WorkshopJobYears,
            workshop,
            workshop * r.per_workshop_job_year,
        );
        set(CostItem::LandSubsidy, mu, mu * ys.subsidy_per_mu);
        set(CostItem::Extension, mu, mu * r.extension_per_mu);
        set(
            CostItem::InsurancePremium,
            insured,
            insured * r.insurance_premium_per_mu,
        );
        set(CostItem::TransportSupport, transport, transport_paid);
        set(
            CostItem::TrainingSlots,
            trained,
            trained * r.per_training_slot,
        );
        set(CostItem::Stipends, trained, trained * ys.stipend);
        set(CostItem::Dividends, dividend, dividend * ys.dividend);
        set(CostItem::DibaoTopUps, dibao, dibao_paid);
        c
    }
}

/// One year's lever costs: each item's quantity (in its [`CostItem::unit`])
/// and cost (nominal yuan of the year), weighted by the survey weights.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct YearCosts {
    /// Quantity of each item, in [`CostItem`] order.
    pub quantity: [f64; ITEMS],
    /// Cost of each item, in [`CostItem`] order.
    pub cost: [f64; ITEMS],
}

impl YearCosts {
    /// Quantity of `item`.
    pub fn quantity(&self, item: CostItem) -> f64 {
        self.quantity[item.index()]
    }

    /// Cost of `item`.
    pub fn cost(&self, item: CostItem) -> f64 {
        self.cost[item.index()]
    }

    /// A lever's cost: its items' costs added in item order.
    pub fn lever_total(&self, lever: CostLever) -> f64 {
        lever.items().iter().fold(0.0, |sum, i| sum + self.cost(*i))
    }

    /// The year's cost: the levers' totals added in lever order.
    pub fn total(&self) -> f64 {
        CostLever::ALL
            .iter()
            .fold(0.0, |sum, l| sum + self.lever_total(*l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_grouped_by_lever_in_lever_order() {
        let levers: Vec<CostLever> = CostItem::ALL.iter().map(|i| i.lever()).collect();
        let mut sorted = levers.clone();
        sorted.sort();
        assert_eq!(levers, sorted);
        let all: Vec<CostItem> = CostLever::ALL
            .iter()
            .flat_map(|l| l.items().iter().copied())
            .collect();
        assert_eq!(all, CostItem::ALL);
        assert!(CostLever::ALL.iter().all(|l| !l.items().is_empty()));
    }
}
