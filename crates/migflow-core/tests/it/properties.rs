//! Property tests (issue 7, "Properties (proptest)"): random valid small
//! scenarios keep the model's invariants.

use crate::util;
use migflow_core::Livelihood;
use migflow_core::params::{Scenario, validate};
use migflow_core::record::{ALL_GROUP, GROUPS, YearRecord, group_name};
use migflow_io::tables::{write_flows, write_trajectories};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::path::Path;

/// Random settings of a small valid scenario.
#[derive(Debug, Clone)]
struct Params {
    households: u64,
    sites: u32,
    villages_per_site: u32,
    start_year: i32,
    years: u32,
    workshop_share: f64,
    firm_share: f64,
    placement_share: f64,
    targeting: bool,
    insurance: bool,
    dibao_coverage: f64,
    shares: [f64; 5],
    seed: u64,
}

fn params() -> impl Strategy<Value = Params> {
    (
        (50u64..=400, 1u32..=3, 1u32..=5, 2019i32..=2024, 1u32..=5),
        (0.0..=0.3f64, 0.0..=0.3f64, 0.0..=0.3f64),
        (any::<bool>(), any::<bool>(), 0.0..=1.0f64),
        prop::array::uniform5(0.0..=1.0f64),
        0u64..=i64::MAX as u64, // seeds a manifest (TOML, i64) can store
    )
        .prop_map(
            |(
                (households, sites, villages_per_site, start_year, years),
                (workshop_share, firm_share, placement_share),
                (targeting, insurance, dibao_coverage),
                raw,
                seed,
            )| {
                // A point of the simplex: normalise (all-zero gives uniform).
                let total: f64 = raw.iter().sum();
                let mut shares = if total > 0.0 {
                    raw.map(|x| x / total)
                } else {
                    [0.2; 5]
                };
                shares[4] = (1.0 - shares[..4].iter().sum::<f64>()).max(0.0);
                Params {
                    households,
                    sites,
                    villages_per_site,
                    start_year,
                    years,
                    workshop_share,
                    firm_share,
                    placement_share,
                    targeting,
                    insurance,
                    dibao_coverage,
                    shares,
                    seed,
                }
            },
        )
}

fn scenario(p: &Params) -> Scenario {
    let mut s = util::small_scenario(p.households);
    s.run.start_year = p.start_year;
    s.run.years = p.years;
    s.run.seed = p.seed;
    s.population.sites = p.sites;
    s.population.villages_per_site = p.villages_per_site;
    let sh = &mut s.population.initial_shares;
    [sh.outbound, sh.local, sh.farm, sh.mixed, sh.none] = p.shares;
    let l = &mut s.levers;
    l.workshops.workshop_jobs_share = p.workshop_share;
    l.industrial_cooperation.firm_jobs_share = p.firm_share;
    l.labor_cooperation.placements_share = p.placement_share;
    l.targeting.target_at_risk = p.targeting;
    l.agricultural_support.insurance = p.insurance;
    l.social_protection.dibao_coverage = p.dibao_coverage;
    s
}

/// The scenario, checked valid by the crate's own validation.
fn valid_scenario(p: &Params) -> Result<Scenario, TestCaseError> {
    let s = scenario(p);
    if let Err(problems) = validate(&s) {
        return Err(TestCaseError::fail(format!(
            "generated scenario is invalid: {problems:?}"
        )));
    }
    Ok(s)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    }
}

fn csv_bytes(runs: &[Vec<YearRecord>]) -> (String, String) {
    let mut t = Vec::new();
    write_trajectories(&mut t, Path::new("trajectories.csv"), runs).expect("trajectories");
    let mut f = Vec::new();
    write_flows(&mut f, Path::new("flows.csv"), runs).expect("flows");
    (
        String::from_utf8(t).expect("utf8"),
        String::from_utf8(f).expect("utf8"),
    )
}

fn in_unit(x: Option<f64>) -> bool {
    x.is_none_or(|v| (0.0..=1.0).contains(&v))
}

/// Set the window of lever `which` (0..8); returns its name.
fn set_window(s: &mut Scenario, which: usize, enabled: bool, start: i32, end: i32) -> &'static str {
    macro_rules! set {
        ($field:ident) => {{
            let lever = &mut s.levers.$field;
            lever.enabled = enabled;
            lever.start_year = start;
            lever.end_year = end;
            stringify!($field)
        }};
    }
    match which {
        0 => set!(labor_cooperation),
        1 => set!(industrial_cooperation),
        2 => set!(workshops),
        3 => set!(agricultural_support),
        4 => set!(training),
        5 => set!(asset_income),
        6 => set!(social_protection),
        _ => set!(targeting),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Households are conserved (alive this year + dissolved this year =
    /// alive last year), flows close over the households alive this year,
    /// shares lie in [0, 1] and incomes are finite.
    #[test]
    fn records_are_consistent(p in params()) {
        let s = valid_scenario(&p)?;
        let runs = util::run(&s, p.seed, 1);
        let records = &runs[0];
        prop_assert_eq!(records.len(), p.years as usize, "one record per year");
        let n = p.households;

        // Year 0's "last year" is the initial population.
        let initial = migflow_core::population::synthetic(&util::params(&s), p.seed, 0);
        prop_assert_eq!(initial.len() as u64, n, "synthetic population size");
        let mut last = [0u64; 5];
        for h in &initial {
            last[h.state.index()] += 1;
        }
        let mut alive = n;

        for (t, r) in records.iter().enumerate() {
            let year = r.year;
            prop_assert_eq!(year, s.run.start_year + t as i32, "calendar year of step {}", t);
            let all = r.groups[ALL_GROUP];
            prop_assert_eq!(all.households + all.dissolved, alive,
                "households alive and dissolved in year {}", year);
            alive = all.households;
            let by_state: Vec<u64> = (0..5).map(|k| r.groups[k].households).collect();
            prop_assert_eq!(by_state.iter().sum::<u64>(), all.households,
                "livelihood counts {:?} in year {} do not sum to {}", by_state, year, all.households);
            let flow_total: u64 = r.flows.iter().flatten().sum();
            prop_assert_eq!(flow_total, all.households, "flow total in year {}", year);
            for k in 0..5 {
                let name = Livelihood::ALL[k].name();
                let row: u64 = r.flows[k].iter().sum::<u64>() + r.groups[k].dissolved;
                let col: u64 = r.flows.iter().map(|row| row[k]).sum();
                prop_assert_eq!(row, last[k],
                    "year {}: flows out of {} + dissolved = {}, but last year's count was {}", year, name, row, last[k]);
                prop_assert_eq!(col, by_state[k],
                    "year {}: flows into {} = {}, but this year's count is {}", year, name, col, by_state[k]);
            }
            last.copy_from_slice(&by_state);

            for g in 0..GROUPS {
                let st = &r.groups[g];
                let name = group_name(g);
                for (metric, v) in [
                    ("poor_share", st.poor_share),
                    ("at_risk_share", st.at_risk_share),
                    ("dibao_share", st.dibao_share),
                    ("stayed_share", st.stayed_share),
                    ("return_rate", st.return_rate),
                    ("ever_poor_share", st.ever_poor_share),
                ] {
                    prop_assert!(in_unit(v), "year {} group {}: {} = {:?} outside [0, 1]", year, name, metric, v);
                }
                prop_assert!(st.with_labor <= st.households, "year {} group {}: with_labor > households", year, name);
                prop_assert_eq!(st.mean_income_pc.is_some(), st.households > 0,
                    "year {} group {}: mean income present iff non-empty", year, name);
                prop_assert_eq!(st.median_income_pc.is_some(), st.households > 0,
                    "year {} group {}: median income present iff non-empty", year, name);
                prop_assert!(st.laborers >= st.with_labor, "year {} group {}: laborers < with_labor", year, name);
                for (metric, v) in [
                    ("mean_income_pc", st.mean_income_pc),
                    ("median_income_pc", st.median_income_pc),
                    ("mean_income_pp", st.mean_income_pp),
                ] {
                    prop_assert!(v.is_none_or(f64::is_finite),
                        "year {} group {}: {} = {:?} not finite", year, name, metric, v);
                }
            }
            if t > 0 {
                let before = records[t - 1].groups[ALL_GROUP].ever_poor_share;
                prop_assert!(all.ever_poor_share >= before,
                    "year {}: ever-poor share fell from {:?} to {:?}", year, before, all.ever_poor_share);
            }
        }
    }

    /// `ever_poor` never goes from true to false, and the poor are ever poor.
    #[test]
    fn ever_poor_is_sticky(p in params()) {
        let s = valid_scenario(&p)?;
        let years = util::engine_years(&s, p.seed, 0, p.years, |engine, record| {
            // Indexed by household id; a dissolved household is absent.
            let mut flags: Vec<Option<(bool, bool)>> = vec![None; p.households as usize];
            for (h, _) in engine.by_id() {
                flags[h.id as usize] = Some((h.poor(), h.ever_poor()));
            }
            (record.year, record.groups[ALL_GROUP].households, flags)
        });
        let mut before: Option<&Vec<Option<(bool, bool)>>> = None;
        for (year, alive, flags) in &years {
            prop_assert_eq!(flags.iter().flatten().count() as u64, *alive, "households in engine, year {}", year);
            for (id, flag) in flags.iter().enumerate() {
                let Some((poor, ever)) = *flag else { continue };
                prop_assert!(!poor || ever, "year {}: household {} poor but not ever_poor", year, id);
                if let Some(prev) = before {
                    prop_assert!(prev[id].is_some(), "year {}: household {} came back after it was dissolved", year, id);
                    prop_assert!(!prev[id].is_some_and(|p| p.1) || ever,
                        "year {}: household {} ever_poor went from true to false", year, id);
                }
            }
            before = Some(flags);
        }
    }

    /// The same seed gives the same bytes with 1 and 2 threads.
    #[test]
    fn same_bytes_whatever_the_threads(p in params()) {
        let s = valid_scenario(&p)?;
        let one = util::with_threads(1, || csv_bytes(&util::run(&s, p.seed, 2)));
        let two = util::with_threads(2, || csv_bytes(&util::run(&s, p.seed, 2)));
        prop_assert!(one.0 == two.0, "trajectories differ between 1 and 2 threads: {:?}",
            util::first_difference(&one.0, &two.0));
        prop_assert!(one.1 == two.1, "flows differ between 1 and 2 threads: {:?}",
            util::first_difference(&one.1, &two.1));
    }

    /// A lever whose window lies outside the simulated years is the same,
    /// bit for bit, as the lever disabled.
    #[test]
    fn lever_outside_window_changes_nothing(
        p in params(),
        which in 0usize..8,
        after in any::<bool>(),
        gap in 1i32..=20,
        len in 0i32..=10,
    ) {
        let mut outside = valid_scenario(&p)?;
        let end = outside.run.end_year();
        let (start_year, end_year) = if after {
            (end + gap, end + gap + len)
        } else {
            (outside.run.start_year - gap - len, outside.run.start_year - gap)
        };
        let name = set_window(&mut outside, which, true, start_year, end_year);
        let mut disabled = outside.clone();
        set_window(&mut disabled, which, false, start_year, end_year);
        if let Err(problems) = validate(&outside) {
            return Err(TestCaseError::reject(format!("window invalid: {problems:?}")));
        }
        let a = csv_bytes(&util::run(&outside, p.seed, 1));
        let b = csv_bytes(&util::run(&disabled, p.seed, 1));
        prop_assert!(a.0 == b.0,
            "lever {} with window {}..={} (run {}..={}) changes trajectories: {:?}",
            name, start_year, end_year, outside.run.start_year, end,
            util::first_difference(&a.0, &b.0));
        prop_assert!(a.1 == b.1,
            "lever {} with window {}..={} (run {}..={}) changes flows: {:?}",
            name, start_year, end_year, outside.run.start_year, end,
            util::first_difference(&a.1, &b.1));
    }
}
