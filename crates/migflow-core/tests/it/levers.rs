//! levers tests: every lever moves what it should, on fixed seeds.
//!
//! Each effect is measured by a `measure_*` function of the seed and
//! compared, in the test, with a margin. The margins come from the noise
//! observed over seeds 1–8 (`noise_survey`, ignored: run it with
//! `cargo test --test it noise_survey -- --ignored --nocapture` after a
//! change of the model, and keep every margin several noise standard
//! deviations below the smallest effect and far above zero). Runs with the
//! same seed share their random streams (common random numbers), so the
//! differences below are paired and much less noisy than the levels.

use crate::util::{self, engine_years, mean_over, state_share, year_index};
use migflow_core::Livelihood;
use migflow_core::params::{Event, Scenario};
use migflow_core::record::{ALL_GROUP, YearRecord};

/// The seed every test uses.
const SEED: u64 = 2024;

/// The default scenario with `households` households and years 2021 to
/// `last_year`.
fn scenario(households: u64, last_year: i32) -> Scenario {
    let mut s = util::small_scenario(households);
    s.run.years = (last_year - s.run.start_year + 1) as u32;
    s
}

/// Mean over the calendar years `years` of a per-year statistic.
fn mean_years(
    s: &Scenario,
    records: &[YearRecord],
    years: std::ops::RangeInclusive<i32>,
    f: impl Fn(&YearRecord) -> f64,
) -> f64 {
    let n = years.clone().count() as f64;
    years.map(|y| f(&records[year_index(s, y)])).sum::<f64>() / n
}

fn poor_share(r: &YearRecord, g: usize) -> f64 {
    r.groups[g].poor_share.expect("non-empty group")
}

// --- local jobs -----------------------------------------------------------

/// Mean local share in 2021–2025 with `workshop_jobs_share` 0.16 minus
/// with 0.0 (10,000 households, 2 replicates).
fn measure_workshops(seed: u64) -> f64 {
    let local = |share: f64| {
        let mut s = scenario(10_000, 2025);
        s.levers.workshops.workshop_jobs_share = share;
        let runs = util::run(&s, seed, 2);
        mean_over(&runs, |r| {
            mean_years(&s, r, 2021..=2025, |y| state_share(y, Livelihood::Local))
        })
    };
    local(0.16) - local(0.0)
}

#[test]
fn more_workshop_jobs_raise_the_local_share() {
    // Observed (version 2): +0.165–0.168 over seeds 1–8 (the workshop jobs
    // are all taken: 16 % of laborers ≈ 16 % of households). Margin 0.10.
    let effect = measure_workshops(SEED);
    assert!(effect > 0.10, "local share +{effect:.4}");
}

/// Mean local share in 2021–2025 with firm jobs (10 % of laborers) minus
/// without (the default: industrial cooperation has no firm jobs).
fn measure_firms(seed: u64) -> f64 {
    let local = |share: f64| {
        let mut s = scenario(10_000, 2025);
        s.levers.industrial_cooperation.firm_jobs_share = share;
        let runs = util::run(&s, seed, 2);
        mean_over(&runs, |r| {
            mean_years(&s, r, 2021..=2025, |y| state_share(y, Livelihood::Local))
        })
    };
    local(0.10) - local(0.0)
}

#[test]
fn firm_jobs_raise_the_local_share() {
    // Observed (version 2): +0.104–0.105 over seeds 1–8. Margin 0.05.
    let effect = measure_firms(SEED);
    assert!(effect > 0.05, "local share +{effect:.4}");
}

#[test]
fn only_households_with_the_skill_hold_firm_jobs() {
    let mut s = scenario(6000, 2027);
    s.levers.industrial_cooperation.firm_jobs_share = 0.10;
    let s_min = s.levers.industrial_cooperation.s_min_firm;
    let mut firm_holders = 0;
    let mut unskilled_local = 0;
    let households = migflow_core::population::synthetic(&util::params(&s), SEED, 0);
    let params = util::params(&s);
    let mut e = migflow_core::engine::Engine::new(&params, households, SEED, 0);
    for _ in 0..s.run.years {
        // Firm jobs go by the skill at the start of the year.
        let skill_start: Vec<f64> = e.households().iter().map(|h| h.skill).collect();
        let rec = e.step();
        for ((h, y), start) in e
            .households()
            .iter()
            .zip(e.household_years())
            .zip(&skill_start)
        {
            if h.jobs[0] > 0 {
                firm_holders += 1;
                assert_eq!(h.state, Livelihood::Local);
                assert!(
                    *start >= s_min,
                    "skill {start} < {s_min} holds a firm job in {}",
                    rec.year
                );
                assert!(rec.year <= 2025, "firm jobs after the lever ended");
            } else if h.state == Livelihood::Local && *start < s_min {
                unskilled_local += 1;
            }
            let held: u8 = h.jobs.iter().sum();
            assert!(held <= y.members.laborers, "more jobs than laborers");
        }
    }
    // Not vacuous: firm jobs were held, and unskilled households were local.
    assert!(firm_holders > 1000, "{firm_holders}");
    assert!(unskilled_local > 1000, "{unskilled_local}");
}

// --- farming ----------------------------------------------------------------

/// Per replicate: farm households and farm poor share in 2024 without and
/// with insurance, under a 2024 drought (factor 0.5). 20,000 households,
/// 4 replicates.
fn measure_insurance(seed: u64) -> Vec<((u64, f64), (u64, f64))> {
    let farm_2024 = |insurance: bool| {
        let mut s = scenario(20_000, 2024);
        s.events.push(Event::Drought {
            year: 2024,
            harvest_factor: 0.5,
            sites: None,
        });
        s.levers.agricultural_support.insurance = insurance;
        // Only in the drought year: a payout in an earlier bad harvest
        // would change who is at risk, and so who reviews, before 2024.
        s.levers.agricultural_support.start_year = 2024;
        s.levers.agricultural_support.end_year = 2024;
        let runs = util::run(&s, seed, 4);
        let t = year_index(&s, 2024);
        let farm = Livelihood::Farm.index();
        runs.iter()
            .map(|r| (r[t].groups[farm].households, poor_share(&r[t], farm)))
            .collect::<Vec<_>>()
    };
    farm_2024(false).into_iter().zip(farm_2024(true)).collect()
}

#[test]
fn insurance_lowers_the_farm_poor_share_in_a_drought() {
    let pairs = measure_insurance(SEED);
    let mut total = 0.0;
    for &((n0, p0), (n1, p1)) in &pairs {
        // Insurance is not expected (MODEL.md §3.2): the same households farm.
        assert_eq!(n0, n1);
        // A payout only adds income: no farm household becomes poor by it.
        assert!(p1 <= p0, "{p1} > {p0}");
        total += p0 - p1;
    }
    let effect = total / pairs.len() as f64;
    // Observed (version 2, insurance in 2024 only): mean of 4 replicates
    // 0.015–0.033 over seeds 1–8 (the payout depends on the two sites'
    // harvest draws). One farm household is 0.0008 of the farm group.
    // Margin 0.005.
    assert!(effect > 0.005, "farm poor share −{effect:.4}");
}

// --- outbound -----------------------------------------------------------------

/// Outbound `returned` summed over 2021–2025 and mean outbound poor share,
/// with `placements_share` 0.0 and 0.3 (10,000 households, 2 replicates).
fn measure_placements(seed: u64) -> [(f64, f64); 2] {
    [0.0, 0.3].map(|share| {
        let mut s = scenario(10_000, 2025);
        s.levers.labor_cooperation.placements_share = share;
        let runs = util::run(&s, seed, 2);
        let out = Livelihood::Outbound.index();
        let returned = mean_over(&runs, |r| {
            r.iter().map(|y| y.groups[out].returned as f64).sum::<f64>()
        });
        let poor = mean_over(&runs, |r| {
            mean_years(&s, r, 2021..=2025, |y| poor_share(y, out))
        });
        (returned, poor)
    })
}

#[test]
fn labor_placements_lower_outbound_poverty_returns() {
    let [(ret0, poor0), (ret1, poor1)] = measure_placements(SEED);
    // Observed (version 2): returned falls by 62–85 over seeds 1–8; poor
    // share by 0.0046–0.0060. Margins 40 and 0.003.
    assert!(ret0 - ret1 > 40.0, "returned {ret0} → {ret1}");
    assert!(poor0 - poor1 > 0.003, "poor share {poor0:.4} → {poor1:.4}");
}

#[test]
fn placed_jobs_end_early_half_as_often() {
    // Placed jobs end early with p_loss_out · factor · (1 − stability):
    // 0.2 · 0.5 = 0.10 a year, 0.20 in 2022 (east_demand factor 2), against
    // 0.20 and 0.40 for a spontaneous job.
    let mut s = scenario(10_000, 2025);
    s.levers.labor_cooperation.placements_share = 0.3;
    let years = engine_years(&s, SEED, 0, s.run.years, |e, rec| {
        let placed = e.households().iter().filter(|h| h.placed()).count();
        let lost = e
            .households()
            .iter()
            .filter(|h| h.placed() && h.placement_lost())
            .count();
        assert!(
            e.households()
                .iter()
                .all(|h| !h.placement_lost() || h.placed())
        );
        (rec.year, placed, lost as f64 / placed as f64)
    });
    for (year, placed, rate) in years {
        // About 3,000 placed households: binomial sd ≈ 0.0055 (0.0073 in
        // 2022); the bounds are 3.6 sd and also far below the spontaneous
        // rate.
        assert!(placed > 2000, "{placed} placed in {year}");
        let expected = if year == 2022 { 0.20 } else { 0.10 };
        assert!(
            (rate - expected).abs() < 0.02 + 0.01 * f64::from(year == 2022),
            "{rate:.4} of placements lost in {year}"
        );
    }
}

/// Outbound `returned` in 2021–2025 (mean of 4 replicates of 20,000
/// households), with the default 2022 `east_demand` event and without.
fn measure_east_demand(seed: u64) -> [Vec<f64>; 2] {
    let with = scenario(20_000, 2025);
    let mut without = with.clone();
    without.events = vec![];
    [with, without].map(|s| {
        let runs = util::run(&s, seed, 4);
        (0..s.run.years as usize)
            .map(|t| {
                mean_over(&runs, |r| {
                    r[t].groups[Livelihood::Outbound.index()].returned as f64
                })
            })
            .collect()
    })
}

#[test]
fn the_2022_demand_shock_makes_2022_the_peak_of_outbound_returns() {
    let [with, without] = measure_east_demand(SEED);
    // Observed (version 2, per 20,000 households, seeds 1–8): 2022 155–168
    // with the event, 81–96 without; 2021 112–126 (every poor household of
    // the first year counts as returned). 2022 exceeds 2021 by 33–53:
    // margin 15. The event adds 62–72 in 2022: margin 30.
    let peak = with[1];
    for (t, &r) in with.iter().enumerate() {
        if t != 1 {
            assert!(peak - r > 15.0, "2022: {peak}, {}: {r}", 2021 + t);
        }
    }
    assert!(peak - without[1] > 30.0, "{peak} vs {}", without[1]);
    // The event is a surprise in 2022 only: 2021 is untouched.
    assert_eq!(with[0], without[0]);
}

// --- transfers ----------------------------------------------------------------

/// Mean `all` poor share over `years` of a scenario changed by `change`,
/// 10,000 households, 2 replicates.
fn all_poor(
    seed: u64,
    last_year: i32,
    years: std::ops::RangeInclusive<i32>,
    change: impl Fn(&mut Scenario),
) -> f64 {
    let mut s = scenario(10_000, last_year);
    change(&mut s);
    let runs = util::run(&s, seed, 2);
    mean_over(&runs, |r| {
        mean_years(&s, r, years.clone(), |y| poor_share(y, ALL_GROUP))
    })
}

fn measure_dibao(seed: u64) -> f64 {
    let off = all_poor(seed, 2026, 2021..=2026, |s| {
        s.levers.social_protection.enabled = false
    });
    let on = all_poor(seed, 2026, 2021..=2026, |_| {});
    off - on
}

#[test]
fn dibao_lowers_the_poor_share() {
    // Observed (version 2): a fall of 0.079–0.083 over seeds 1–8. Margin 0.04.
    let effect = measure_dibao(SEED);
    assert!(effect > 0.04, "poor share −{effect:.4}");
}

fn measure_dividend(seed: u64) -> f64 {
    let without = all_poor(seed, 2025, 2021..=2025, |_| {});
    let with = all_poor(seed, 2025, 2021..=2025, |s| {
        s.levers.asset_income.dividend = 2000.0
    });
    without - with
}

#[test]
fn a_dividend_lowers_the_poor_share() {
    // 2,000 yuan a household is about 450 a person: it lifts only the
    // households just below the line. Observed (version 2) fall
    // 0.0031–0.0036 over seeds 1–8.
    // Margin 0.0015, eight sd below the effect.
    let effect = measure_dividend(SEED);
    assert!(effect > 0.0015, "poor share −{effect:.5}");
}

/// Poor share of the households with a member aged 60 or more, pooled over
/// 2021–2026, with `pension_month` 150 (default) and 400; 20,000
/// households, 1 replicate, through the engine.
fn measure_pension(seed: u64) -> [f64; 2] {
    [150.0, 400.0].map(|pension| {
        let mut s = scenario(20_000, 2026);
        s.economy.pension_month = pension;
        let counts = engine_years(&s, seed, 0, s.run.years, |e, _| {
            e.households()
                .iter()
                .filter(|h| h.member_ages().iter().any(|&a| a >= 60))
                .fold((0u64, 0u64), |(n, p), h| (n + 1, p + u64::from(h.poor())))
        });
        let (n, p) = counts.iter().fold((0, 0), |(n, p), &(a, b)| (n + a, p + b));
        p as f64 / n as f64
    })
}

#[test]
fn higher_pensions_lower_the_poor_share_of_households_with_elders() {
    // The `none` group is a poor test of pensions: a larger pension also
    // makes `none` more attractive (transfers enter every Ŷ_k), which
    // changes who is in it. Households with an elder are a fixed set (ages
    // do not depend on the scenario). Observed (version 2): a fall of
    // 0.0078–0.0090 over seeds 1–8. Margin 0.004.
    let [low, high] = measure_pension(SEED);
    assert!(low - high > 0.004, "{low:.4} → {high:.4}");
}

// --- training and targeting -------------------------------------------------

/// Mean skill at the end of 2025 with the default training and with
/// `training_share` 0.2 and stipend 3,000 (10,000 households, 1 replicate).
fn measure_training(seed: u64) -> [f64; 2] {
    [(0.02, 500.0), (0.2, 3000.0)].map(|(share, stipend)| {
        let mut s = scenario(10_000, 2025);
        s.levers.training.training_share = share;
        s.levers.training.stipend = stipend;
        let skills = engine_years(&s, seed, 0, s.run.years, |e, _| {
            e.households().iter().map(|h| h.skill).sum::<f64>() / e.households().len() as f64
        });
        skills[skills.len() - 1]
    })
}

#[test]
fn training_raises_mean_skill() {
    // Observed (version 2): +0.087–0.089 over seeds 1–8: 20 % of
    // households offered a year, take-up ≈ 0.63 with the stipend, +0.15
    // each. Margin 0.04.
    let [default, more] = measure_training(SEED);
    assert!(more - default > 0.04, "{default:.4} → {more:.4}");
}

/// Among households poor last year with a laborer this year, pooled over
/// 2021–2025: shares that got a local job, a placement, or either; without
/// and with targeting (10,000 households, 1 replicate).
fn measure_targeting(seed: u64) -> [[f64; 3]; 2] {
    [false, true].map(|target| {
        let mut s = scenario(10_000, 2025);
        s.levers.targeting.target_at_risk = target;
        let mut counts = [0u64; 4];
        engine_years(&s, seed, 0, s.run.years, |e, _| {
            for (h, y) in e.households().iter().zip(e.household_years()) {
                if y.poor_last_year() && y.members.laborers > 0 {
                    let local = h.jobs != [0; 3];
                    counts[0] += 1;
                    counts[1] += u64::from(local);
                    counts[2] += u64::from(h.placed());
                    counts[3] += u64::from(local || h.placed());
                }
            }
        });
        let n = counts[0] as f64;
        [
            counts[1] as f64 / n,
            counts[2] as f64 / n,
            counts[3] as f64 / n,
        ]
    })
}

#[test]
fn targeting_gives_last_years_poor_more_jobs_and_placements() {
    // Observed (version 2): the gains in local jobs, placements and either
    // are +0.39–0.41, +0.19–0.22 and +0.60–0.63 over seeds 1–8. Margins
    // 0.2, 0.1 and 0.3.
    let [without, with] = measure_targeting(SEED);
    assert!(with[0] - without[0] > 0.2, "local {without:?} → {with:?}");
    assert!(with[1] - without[1] > 0.1, "placed {without:?} → {with:?}");
    assert!(with[2] - without[2] > 0.3, "either {without:?} → {with:?}");
}

// --- windows ----------------------------------------------------------------

#[test]
fn a_lever_outside_the_simulated_years_changes_nothing() {
    let base = scenario(4000, 2030);
    let (start, end) = (2040, 2045);
    type Change = fn(&mut Scenario, bool);
    let levers: [(&str, Change); 8] = [
        ("workshops", |s, on| {
            let l = &mut s.levers.workshops;
            l.enabled = on;
            l.workshop_jobs_share = 0.5;
        }),
        ("industrial_cooperation", |s, on| {
            let l = &mut s.levers.industrial_cooperation;
            l.enabled = on;
            l.firm_jobs_share = 0.3;
        }),
        ("labor_cooperation", |s, on| {
            let l = &mut s.levers.labor_cooperation;
            l.enabled = on;
            l.placements_share = 0.3;
            l.travel_subsidy = 2000.0;
        }),
        ("agricultural_support", |s, on| {
            let l = &mut s.levers.agricultural_support;
            l.enabled = on;
            l.insurance = true;
            l.transport_support = 1.0;
        }),
        ("training", |s, on| {
            let l = &mut s.levers.training;
            l.enabled = on;
            l.training_share = 0.5;
        }),
        ("asset_income", |s, on| {
            let l = &mut s.levers.asset_income;
            l.enabled = on;
            l.dividend = 5000.0;
        }),
        ("social_protection", |s, on| {
            let l = &mut s.levers.social_protection;
            l.enabled = on;
        }),
        ("targeting", |s, on| {
            let l = &mut s.levers.targeting;
            l.enabled = on;
            l.target_at_risk = true;
        }),
    ];
    for (name, change) in levers {
        let mut off = base.clone();
        change(&mut off, false);
        let mut later = base.clone();
        change(&mut later, true);
        set_window(&mut later, name, start, end);
        let a = util::run(&off, SEED, 2);
        let b = util::run(&later, SEED, 2);
        assert!(a == b, "{name} in {start}–{end} changed a 2021–2030 run");
        // And the lever does act inside the run (the test is not vacuous).
        let mut now = base.clone();
        change(&mut now, true);
        set_window(&mut now, name, 2021, 2030);
        assert!(util::run(&now, SEED, 2) != a, "{name} had no effect at all");
    }
}

fn set_window(s: &mut Scenario, lever: &str, start: i32, end: i32) {
    let l = &mut s.levers;
    let window = match lever {
        "workshops" => (&mut l.workshops.start_year, &mut l.workshops.end_year),
        "industrial_cooperation" => (
            &mut l.industrial_cooperation.start_year,
            &mut l.industrial_cooperation.end_year,
        ),
        "labor_cooperation" => (
            &mut l.labor_cooperation.start_year,
            &mut l.labor_cooperation.end_year,
        ),
        "agricultural_support" => (
            &mut l.agricultural_support.start_year,
            &mut l.agricultural_support.end_year,
        ),
        "training" => (&mut l.training.start_year, &mut l.training.end_year),
        "asset_income" => (&mut l.asset_income.start_year, &mut l.asset_income.end_year),
        "social_protection" => (
            &mut l.social_protection.start_year,
            &mut l.social_protection.end_year,
        ),
        "targeting" => (&mut l.targeting.start_year, &mut l.targeting.end_year),
        other => panic!("unknown lever {other}"),
    };
    *window.0 = start;
    *window.1 = end;
}

/// Local share in 2025 and 2026 in the default scenario (10,000
/// households, 2 replicates).
fn measure_support_end(seed: u64) -> [f64; 2] {
    let s = scenario(10_000, 2026);
    let runs = util::run(&s, seed, 2);
    [2025, 2026].map(|y| {
        mean_over(&runs, |r| {
            state_share(&r[year_index(&s, y)], Livelihood::Local)
        })
    })
}

#[test]
fn the_local_share_falls_when_support_ends_after_2025() {
    // MODEL.md §6: "In 2026, after the support levers end, the local share
    // falls to 0.15" (version 2: 0.16). Observed (version 2): 0.242–0.245
    // → 0.159–0.160 over seeds 1–8.
    // Margins: a fall of at least 0.04, and 2026 within 0.02 of 0.15.
    let [y2025, y2026] = measure_support_end(SEED);
    assert!(y2025 - y2026 > 0.04, "{y2025:.4} → {y2026:.4}");
    assert!((y2026 - 0.15).abs() < 0.02, "2026 local share {y2026:.4}");
}

// --- noise ------------------------------------------------------------------

/// Prints every effect over seeds 1–8, to re-derive the margins above.
#[test]
#[ignore = "survey of the noise behind the margins; slow, prints only"]
fn noise_survey() {
    for seed in 1..=8 {
        let ins = measure_insurance(seed);
        let ins_mean = ins.iter().map(|((_, a), (_, b))| a - b).sum::<f64>() / ins.len() as f64;
        let [(r0, p0), (r1, p1)] = measure_placements(seed);
        let [with, without] = measure_east_demand(seed);
        let [pl, ph] = measure_pension(seed);
        let [t0, t1] = measure_training(seed);
        let [g0, g1] = measure_targeting(seed);
        let [l25, l26] = measure_support_end(seed);
        println!(
            "seed {seed}: workshops +{:.4} firms +{:.4} insurance −{ins_mean:.4} \
             placements returned −{:.1} poor −{:.4} east 2022 {:.1} (2021 {:.1}, no event {:.1}) \
             dibao −{:.4} dividend −{:.5} pension −{:.4} training +{:.4} \
             targeting {:?} local 2025 {l25:.4} 2026 {l26:.4}",
            measure_workshops(seed),
            measure_firms(seed),
            r0 - r1,
            p0 - p1,
            with[1],
            with[0],
            without[1],
            measure_dibao(seed),
            measure_dividend(seed),
            pl - ph,
            t1 - t0,
            [g1[0] - g0[0], g1[1] - g0[1], g1[2] - g0[2]],
        );
    }
}
