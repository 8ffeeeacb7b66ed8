//! Docking: the default scenario's levels against the figures that
//! MODEL.md §6 states for version 2 (the mean of 30 runs of an independent
//! implementation, rounded) and for its version-1 settings (the mean of 4
//! runs).

use crate::util;
use migflow_core::Livelihood;
use migflow_core::metrics::{Metric, employment_rate, share};
use migflow_core::params::Scenario;
use migflow_core::record::{ALL_GROUP, YearRecord};
use migflow_core::stats::summarize;

/// One stated level: what it is, its value, the unit it was rounded to,
/// and how to read it from a replicate's records (all its years).
struct Level {
    what: &'static str,
    stated: f64,
    rounded_to: f64,
    read: Reader,
}

/// Reads a level from a replicate's records.
type Reader = Box<dyn Fn(&[YearRecord]) -> Option<f64>>;

/// A level read from one calendar year's record.
fn level(
    what: &'static str,
    stated: f64,
    rounded_to: f64,
    year: i32,
    read: impl Fn(&YearRecord) -> Option<f64> + 'static,
) -> Level {
    Level {
        what,
        stated,
        rounded_to,
        read: Box::new(move |records| {
            let first = records.first()?.year;
            read(records.get(usize::try_from(year - first).ok()?)?)
        }),
    }
}

fn all(metric: Metric) -> impl Fn(&YearRecord) -> Option<f64> {
    move |r| metric.value(&r.groups[ALL_GROUP])
}

fn shares(year: i32, stated: [f64; 5]) -> Vec<Level> {
    const WHAT: [[&str; 5]; 2] = [
        [
            "outbound share",
            "local share",
            "farm share",
            "mixed share",
            "none share",
        ],
        [
            "outbound share (later)",
            "local share (later)",
            "farm share (later)",
            "mixed share (later)",
            "none share (later)",
        ],
    ];
    let names = if year == 2021 { WHAT[0] } else { WHAT[1] };
    Livelihood::ALL
        .into_iter()
        .zip(stated)
        .zip(names)
        .map(|((k, v), what)| level(what, v, 0.01, year, move |r| share(r, group(k))))
        .collect()
}

fn group(l: Livelihood) -> usize {
    l.index()
}

/// Our mean must agree with the stated figure within half its rounding
/// unit plus three standard errors of the difference of the two means
/// (ours over our replicates, the reference's over `reference_runs`, both
/// with our replicates' spread).
fn check_levels(s: &Scenario, replicates: u32, reference_runs: f64, levels: &[Level]) {
    let runs = util::run(s, 42, replicates);
    let mut failures = Vec::new();
    for level in levels {
        let values: Vec<f64> = runs.iter().filter_map(|r| (level.read)(r)).collect();
        assert_eq!(values.len(), replicates as usize, "{}", level.what);
        let (mean, sd, _, _, _) = summarize(&values);
        let (mean, sd) = (mean.unwrap(), sd.unwrap());
        let se_difference = sd * (1.0 / f64::from(replicates) + 1.0 / reference_runs).sqrt();
        let tolerance = level.rounded_to / 2.0 + 3.0 * se_difference;
        if (mean - level.stated).abs() > tolerance {
            failures.push(format!(
                "{}: {mean:.4} against {} (tolerance {tolerance:.4})",
                level.what, level.stated
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_2021_levels_of_version_1_are_met_with_its_settings() {
    let mut s = Scenario::version_1();
    s.run.years = 1;
    let income =
        |k: Livelihood| move |r: &YearRecord| Metric::MeanIncomePc.value(&r.groups[group(k)]);
    let mut levels = shares(2021, [0.41, 0.23, 0.07, 0.25, 0.05]);
    levels.extend([
        level(
            "mean income",
            12_900.0,
            100.0,
            2021,
            all(Metric::MeanIncomePc),
        ),
        level(
            "outbound income",
            16_200.0,
            100.0,
            2021,
            income(Livelihood::Outbound),
        ),
        level(
            "local income",
            14_700.0,
            100.0,
            2021,
            income(Livelihood::Local),
        ),
        level(
            "mixed income",
            9_600.0,
            100.0,
            2021,
            income(Livelihood::Mixed),
        ),
        level(
            "farm income",
            5_900.0,
            100.0,
            2021,
            income(Livelihood::Farm),
        ),
        level("poor share", 0.037, 0.001, 2021, all(Metric::PoorShare)),
        level("at-risk share", 0.17, 0.01, 2021, all(Metric::AtRiskShare)),
        level("employment", 0.95, 0.01, 2021, employment_rate),
    ]);
    check_levels(&s, 8, 4.0, &levels);
}

#[test]
fn the_levels_of_version_2_are_met_by_the_default() {
    let s = Scenario::default();
    let mut levels = shares(2021, [0.44, 0.23, 0.08, 0.18, 0.06]);
    levels.extend(shares(2030, [0.33, 0.16, 0.05, 0.36, 0.10]));
    levels.extend([
        level("employment 2021", 0.944, 0.001, 2021, employment_rate),
        level("employment 2022", 0.947, 0.001, 2022, employment_rate),
        level(
            "income per person 2021",
            12_060.0,
            10.0,
            2021,
            all(Metric::MeanIncomePp),
        ),
        level(
            "income per person 2022",
            12_280.0,
            10.0,
            2022,
            all(Metric::MeanIncomePp),
        ),
        level(
            "poor share 2021",
            0.042,
            0.001,
            2021,
            all(Metric::PoorShare),
        ),
        level(
            "poor share 2025",
            0.031,
            0.001,
            2025,
            all(Metric::PoorShare),
        ),
        level(
            "poor share 2026",
            0.039,
            0.001,
            2026,
            all(Metric::PoorShare),
        ),
        level(
            "poor share 2035",
            0.044,
            0.001,
            2035,
            all(Metric::PoorShare),
        ),
        // "About 0.77 from 2023 on": the typical year's level, the median
        // over 2023–2035 (the years right after the 2022 shock and the
        // 2025 end of the levers dip below it).
        Level {
            what: "stayed share 2023–2035 (median year)",
            stated: 0.77,
            rounded_to: 0.01,
            read: Box::new(|records| {
                let mut later: Vec<f64> = records
                    .iter()
                    .filter(|r| r.year >= 2023)
                    .filter_map(|r| Metric::StayedShare.value(&r.groups[ALL_GROUP]))
                    .collect();
                migflow_core::record::median(&mut later)
            }),
        },
    ]);
    check_levels(&s, 30, 30.0, &levels);
}

/// MODEL.md §6: 2023's outbound share is about 1.6 points below a run
/// without events: the 2022 demand shock now moves laid-off households out
/// of outbound work (version 1 had the same counts in the year after).
#[test]
fn the_2022_demand_shock_moves_households_out_of_outbound_in_2023() {
    let s = Scenario::default();
    let mut calm = s.clone();
    calm.events.clear();
    let t = util::year_index(&s, 2023);
    let with = util::run(&s, 42, 30);
    let without = util::run(&calm, 42, 30);
    let gaps: Vec<f64> = with
        .iter()
        .zip(&without)
        .map(|(a, b)| {
            util::state_share(&b[t], Livelihood::Outbound)
                - util::state_share(&a[t], Livelihood::Outbound)
        })
        .collect();
    let (mean, sd, _, _, _) = summarize(&gaps);
    let (mean, sd) = (mean.unwrap(), sd.unwrap());
    let tolerance = 0.001 / 2.0 + 3.0 * sd * (2.0f64 / 30.0).sqrt();
    assert!(
        (mean - 0.016).abs() <= tolerance,
        "outbound 2023 is {mean:.4} below the run without events (stated 0.016, tolerance {tolerance:.4})"
    );
}

/// MODEL.md §6: a crude birth rate (births over persons) of about 5 ‰ in
/// the first years, rising to about 10 ‰ by 2035 as the first generation's
/// children reach 20.
#[test]
fn the_crude_birth_rate_rises_from_5_to_10_per_thousand() {
    let s = Scenario::default();
    let mut rates = vec![(0u64, 0u64); s.run.years as usize];
    for replicate in 0..4 {
        util::engine_years(&s, 42, replicate, s.run.years, |e, rec| {
            let t = util::year_index(&s, rec.year);
            let births: u64 = e.by_id().map(|(_, y)| u64::from(y.births)).sum();
            rates[t].0 += births;
            rates[t].1 += rec.groups[ALL_GROUP].persons;
        });
    }
    let per_mille = |t: usize| 1000.0 * rates[t].0 as f64 / rates[t].1 as f64;
    let first = (per_mille(0) + per_mille(1)) / 2.0;
    let last = per_mille(rates.len() - 1);
    eprintln!("crude birth rate: 2021–2022 {first:.2} ‰, 2035 {last:.2} ‰");
    assert!(
        (3.5..=6.5).contains(&first),
        "birth rate {first:.2} ‰ in 2021–2022"
    );
    assert!(
        (8.0..=12.0).contains(&last),
        "birth rate {last:.2} ‰ in 2035"
    );
}
