//! What the levers cost (MODEL.md, Costs): hand-built household years
//! against the unit costs, and whole runs (totals, threads, levers off,
//! unit costs doubled, results untouched).

use crate::util;
use migflow_core::Livelihood;
use migflow_core::costs::{CostItem, CostLever, CostTally, YearCosts};
use migflow_core::model::demography::members;
use migflow_core::model::{Household, HouseholdYear, settle};
use migflow_core::params::{Scenario, Year};
use migflow_core::record::YearRecord;
use migflow_core::rng::RunKey;
use std::path::Path;

fn household(ages: &[u8], state: Livelihood) -> Household {
    Household::new(ages, 0, 0.2, 2.0, 0.5, state)
}

/// A household's year as the engine leaves it after settling: `state`, its
/// members counted at this year's ages.
fn settled(h: &mut Household, state: Livelihood, ys: &Year) -> HouseholdYear {
    h.state = state;
    let mut y = HouseholdYear::default();
    y.members = members(h, ys.work_age, 0);
    y.choice = state;
    y.last_state = state;
    y
}

/// The costs of one household's year.
fn costs_of(h: &Household, y: &HouseholdYear, ys: &Year) -> YearCosts {
    weighted_costs_of(h, y, 1.0, ys)
}

/// The costs of one household's year at survey weight `weight`.
fn weighted_costs_of(h: &Household, y: &HouseholdYear, weight: f64, ys: &Year) -> YearCosts {
    let mut tally = CostTally::default();
    tally.add(h, y, weight, 50.0, ys);
    tally.finish(ys)
}

fn placed_outbound(ys: &Year) -> (Household, HouseholdYear) {
    let mut h = household(&[30, 8], Livelihood::Outbound);
    let mut y = settled(&mut h, Livelihood::Outbound, ys);
    h.set_placed(true);
    y.set_placed(true);
    (h, y)
}

#[test]
fn a_placement_taken_for_one_year_costs_one_placement_year() {
    let ys = Year::resolve(&Scenario::default(), 0);
    let (h, y) = placed_outbound(&ys);
    assert_eq!(y.members.laborers, 1);
    let c = costs_of(&h, &y, &ys);
    assert_eq!(c.quantity(CostItem::PlacementYears), 1.0);
    assert_eq!(c.cost(CostItem::PlacementYears), 3000.0);
    assert_eq!(c.lever_total(CostLever::LaborCooperation), 3000.0);
    // A placed household takes `L` places, and the unit cost grows with
    // the wage index.
    let ys2 = Year::resolve(&Scenario::default(), 2);
    let mut h2 = household(&[30, 31, 8], Livelihood::Outbound);
    let mut y2 = settled(&mut h2, Livelihood::Outbound, &ys2);
    y2.set_placed(true);
    let c2 = costs_of(&h2, &y2, &ys2);
    assert_eq!(c2.quantity(CostItem::PlacementYears), 2.0);
    assert_eq!(
        c2.cost(CostItem::PlacementYears),
        2.0 * 3000.0 * ys2.wage_index
    );
    // Not placed: nothing.
    let (h, mut y) = placed_outbound(&ys);
    y.set_placed(false);
    assert_eq!(
        costs_of(&h, &y, &ys).quantity(CostItem::PlacementYears),
        0.0
    );
}

#[test]
fn a_workshop_job_year_costs_one_unit_and_a_firm_job_year_its_own() {
    let mut s = Scenario::default();
    s.levers.industrial_cooperation.firm_jobs_share = 0.05;
    let ys = Year::resolve(&s, 0);
    let mut h = household(&[30, 32], Livelihood::Local);
    let y = settled(&mut h, Livelihood::Local, &ys);
    h.jobs = [0, 1, 0];
    let c = costs_of(&h, &y, &ys);
    assert_eq!(c.quantity(CostItem::WorkshopJobYears), 1.0);
    assert_eq!(c.cost(CostItem::WorkshopJobYears), 3000.0);
    assert_eq!(c.cost(CostItem::FirmJobYears), 0.0);
    h.jobs = [1, 0, 1];
    let c = costs_of(&h, &y, &ys);
    assert_eq!(c.cost(CostItem::FirmJobYears), 5000.0);
    assert_eq!(c.cost(CostItem::WorkshopJobYears), 0.0);
    assert_eq!(c.total(), 5000.0, "informal jobs cost nothing");
}

#[test]
fn a_dibao_top_up_is_the_line_times_the_size_less_the_income_before_it() {
    let mut s = Scenario::default();
    s.economy.p_sick = 0.0;
    s.levers.social_protection.dibao_coverage = 1.0;
    s.levers.asset_income.dividend = 1000.0;
    let ys = Year::resolve(&s, 0);
    // No livelihood, no elders, no medical cost: the income before the
    // dibao is the dividend.
    let mut h = household(&[30, 10, 8], Livelihood::None);
    let mut y = settled(&mut h, Livelihood::None, &ys);
    settle(
        &mut h,
        &mut y,
        1.0,
        50.0,
        &ys,
        RunKey::new(1, 0).entity(0, 0),
    );
    assert!(y.dibao() && h.income_pc == ys.dibao_line);
    let before = 1000.0;
    assert_eq!(y.dibao_top_up, ys.dibao_line * 3.0 - before);
    let c = costs_of(&h, &y, &ys);
    assert_eq!(c.quantity(CostItem::DibaoTopUps), 1.0);
    assert_eq!(c.cost(CostItem::DibaoTopUps), 4800.0 * 3.0 - 1000.0);
    assert_eq!(c.cost(CostItem::Dividends), 1000.0);
    // Above the line: not enrolled, nothing paid.
    s.levers.asset_income.dividend = 20_000.0;
    let ys = Year::resolve(&s, 0);
    let mut h = household(&[30, 10, 8], Livelihood::None);
    let mut y = settled(&mut h, Livelihood::None, &ys);
    settle(
        &mut h,
        &mut y,
        1.0,
        50.0,
        &ys,
        RunKey::new(1, 0).entity(0, 0),
    );
    assert!(!y.dibao());
    assert_eq!(y.dibao_top_up, 0.0);
    assert_eq!(costs_of(&h, &y, &ys).cost(CostItem::DibaoTopUps), 0.0);
}

#[test]
fn farm_support_is_counted_on_the_land_the_income_counts() {
    let mut s = Scenario::default();
    s.levers.agricultural_support.insurance = true;
    s.levers.agricultural_support.transport_support = 0.5;
    let ys = Year::resolve(&s, 0);
    let mut farm = household(&[40], Livelihood::Farm);
    let y = settled(&mut farm, Livelihood::Farm, &ys);
    let c = costs_of(&farm, &y, &ys);
    assert_eq!(c.quantity(CostItem::LandSubsidy), 2.0);
    assert_eq!(c.cost(CostItem::LandSubsidy), 2.0 * 150.0);
    assert_eq!(c.cost(CostItem::Extension), 2.0 * 20.0);
    assert_eq!(c.cost(CostItem::InsurancePremium), 2.0 * 20.0);
    // 20 yuan a km, 50 km, half paid.
    assert_eq!(c.cost(CostItem::TransportSupport), 20.0 * 50.0 * 0.5);
    let mut mixed = household(&[40], Livelihood::Mixed);
    let y = settled(&mut mixed, Livelihood::Mixed, &ys);
    let c = costs_of(&mixed, &y, &ys);
    assert_eq!(c.quantity(CostItem::LandSubsidy), 0.8 * 2.0);
    assert_eq!(c.cost(CostItem::TransportSupport), 0.0, "no commute");
}

#[test]
fn a_lever_outside_its_window_costs_nothing() {
    let s = Scenario::default();
    // 2026: labor cooperation, workshops and training have ended.
    let ys = Year::resolve(&s, 5);
    let (h, y) = placed_outbound(&ys);
    let c = costs_of(&h, &y, &ys);
    assert_eq!(c.quantity(CostItem::PlacementYears), 0.0);
    assert_eq!(c.lever_total(CostLever::LaborCooperation), 0.0);
    let mut local = household(&[30], Livelihood::Local);
    let mut y = settled(&mut local, Livelihood::Local, &ys);
    local.jobs = [0, 1, 0];
    y.set_trained(true);
    let c = costs_of(&local, &y, &ys);
    assert_eq!(c.total(), 0.0, "{c:?}");
    let mut farm = household(&[40], Livelihood::Farm);
    let y = settled(&mut farm, Livelihood::Farm, &ys);
    assert_eq!(
        costs_of(&farm, &y, &ys).quantity(CostItem::LandSubsidy),
        0.0
    );
    // Switched off altogether.
    let mut off = Scenario::default();
    off.levers.labor_cooperation.enabled = false;
    let ys = Year::resolve(&off, 0);
    let (h, y) = placed_outbound(&ys);
    assert_eq!(costs_of(&h, &y, &ys).total(), 0.0);
}

#[test]
fn a_household_of_weight_2_5_costs_2_5_times_as_much() {
    let ys = Year::resolve(&Scenario::default(), 0);
    let (h, mut y) = placed_outbound(&ys);
    y.set_trained(true);
    let one = costs_of(&h, &y, &ys);
    let heavy = weighted_costs_of(&h, &y, 2.5, &ys);
    assert!(one.total() > 0.0);
    for item in CostItem::ALL {
        assert_eq!(heavy.quantity(item), 2.5 * one.quantity(item), "{item:?}");
        assert_eq!(heavy.cost(item), 2.5 * one.cost(item), "{item:?}");
    }
}

#[test]
fn a_dissolved_household_costs_nothing() {
    let ys = Year::resolve(&Scenario::default(), 0);
    let (mut h, mut y) = placed_outbound(&ys);
    h.set_alive(false);
    y.set_dissolved(true);
    assert_eq!(costs_of(&h, &y, &ys), YearCosts::default());
}

// --- whole runs ---------------------------------------------------------------

/// Three chunks of households, so that the chunked sums are tested.
fn run_scenario() -> Scenario {
    let mut s = util::small_scenario(9000);
    s.run.years = 6;
    s.levers.industrial_cooperation.firm_jobs_share = 0.03;
    s.levers.asset_income.dividend = 300.0;
    s.levers.labor_cooperation.travel_subsidy = 400.0;
    s.levers.agricultural_support.insurance = true;
    s.levers.agricultural_support.transport_support = 0.3;
    s
}

fn costs_csv(runs: &[Vec<YearRecord>]) -> Vec<u8> {
    let mut bytes = Vec::new();
    migflow_io::costs::write_costs(&mut bytes, Path::new("costs.csv"), runs).unwrap();
    bytes
}

#[test]
fn totals_are_the_sums_of_their_items_and_every_lever_costs_something() {
    let s = run_scenario();
    let runs = util::run(&s, 7, 1);
    for rec in &runs[0] {
        let c = &rec.costs;
        let levers: f64 = CostLever::ALL.iter().map(|l| c.lever_total(*l)).sum();
        assert_eq!(c.total(), levers);
        for lever in CostLever::ALL {
            let items: f64 = lever.items().iter().map(|i| c.cost(*i)).sum();
            assert_eq!(c.lever_total(lever), items);
        }
    }
    let first = &runs[0][0].costs;
    for item in CostItem::ALL {
        assert!(first.cost(item) > 0.0, "{item:?} costs nothing in 2021");
    }
    // The file reads back, its totals checked.
    let dir = tempfile::tempdir().unwrap();
    let bytes = costs_csv(&runs);
    std::fs::write(dir.path().join("costs.csv"), &bytes).unwrap();
    let listed = [migflow_io::manifest::FileEntry {
        name: "costs.csv".into(),
        sha256: migflow_io::sha256_hex(bytes.as_ref()),
    }];
    let table = migflow_io::costs::read_costs(dir.path(), &listed)
        .unwrap()
        .unwrap();
    assert_eq!(table.rows.len(), 6 * migflow_io::costs::BLOCK_ROWS);
    assert_eq!(
        table.cost(0, None, 2021, "total", "total"),
        Some(first.total())
    );
}

#[test]
fn costs_are_byte_identical_with_1_and_2_threads() {
    let s = run_scenario();
    let one = util::with_threads(1, || costs_csv(&util::run(&s, 7, 2)));
    let two = util::with_threads(2, || costs_csv(&util::run(&s, 7, 2)));
    assert!(one == two, "costs.csv differs between 1 and 2 threads");
}

#[test]
fn unit_costs_change_no_result_and_doubling_one_doubles_its_item() {
    let s = run_scenario();
    let base = util::run(&s, 7, 1);
    let mut doubled = s.clone();
    doubled.costs.per_workshop_job_year *= 2.0;
    let runs = util::run(&doubled, 7, 1);
    for (a, b) in base[0].iter().zip(&runs[0]) {
        assert_eq!(a.groups, b.groups, "results changed with a unit cost");
        assert_eq!(a.flows, b.flows);
        for item in CostItem::ALL {
            let expected = if item == CostItem::WorkshopJobYears {
                2.0 * a.costs.cost(item)
            } else {
                a.costs.cost(item)
            };
            assert_eq!(b.costs.cost(item), expected, "{item:?} in {}", a.year);
            assert_eq!(b.costs.quantity(item), a.costs.quantity(item));
        }
    }
    assert!(base[0][0].costs.cost(CostItem::WorkshopJobYears) > 0.0);
}

#[test]
fn a_lever_turned_off_costs_nothing() {
    let mut s = run_scenario();
    s.levers.workshops.enabled = false;
    s.levers.agricultural_support.enabled = false;
    for rec in &util::run(&s, 7, 1)[0] {
        for lever in [CostLever::Workshops, CostLever::AgriculturalSupport] {
            assert_eq!(rec.costs.lever_total(lever), 0.0, "{lever:?}");
            for item in lever.items() {
                assert_eq!(rec.costs.quantity(*item), 0.0, "{item:?}");
            }
        }
        assert!(rec.costs.lever_total(CostLever::SocialProtection) > 0.0);
    }
}

#[test]
fn the_sites_costs_add_up_to_the_years() {
    let s = run_scenario();
    let sites = util::engine_years(&s, 7, 0, s.run.years, |engine, record| {
        (record.clone(), engine.site_records(record.year))
    });
    for (year, sites) in &sites {
        for item in CostItem::ALL {
            let quantity: f64 = sites.iter().map(|r| r.costs.quantity(item)).sum();
            let cost: f64 = sites.iter().map(|r| r.costs.cost(item)).sum();
            let (q, c) = (year.costs.quantity(item), year.costs.cost(item));
            assert!((quantity - q).abs() <= 1e-9 * q.max(1.0), "{item:?}");
            assert!((cost - c).abs() <= 1e-9 * c.max(1.0), "{item:?}");
        }
    }
}
