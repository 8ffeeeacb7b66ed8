//! Docking: the default scenario's 2021 levels against the figures that
//! MODEL.md §6 states for its version-1 settings (the mean of 4 runs of an
//! independent implementation, rounded).

use crate::util;
use migflow_core::Livelihood;
use migflow_core::metrics::{Metric, employment_rate, share};
use migflow_core::params::Scenario;
use migflow_core::record::{ALL_GROUP, YearRecord};
use migflow_core::stats::summarize;

/// Replicates of our side (the reference used 4).
const REPLICATES: u32 = 8;
const REFERENCE_RUNS: f64 = 4.0;

/// One stated level: what it is, its value, the unit it was rounded to,
/// and how to read it from a replicate's first year.
struct Level {
    what: &'static str,
    stated: f64,
    rounded_to: f64,
    read: fn(&YearRecord) -> Option<f64>,
}

fn group(l: Livelihood) -> usize {
    l.index()
}

/// Our mean must agree with the stated figure within half its rounding
/// unit plus three standard errors of the difference of the two means
/// (ours over `REPLICATES`, the reference's over 4, both with our
/// replicates' spread).
#[test]
fn the_2021_levels_of_model_md_section_6_are_met() {
    let mut s = Scenario::default();
    s.run.years = 1;
    let runs = util::run(&s, 42, REPLICATES);
    let levels = [
        Level {
            what: "outbound share",
            stated: 0.41,
            rounded_to: 0.01,
            read: |r| share(r, group(Livelihood::Outbound)),
        },
        Level {
            what: "local share",
            stated: 0.23,
            rounded_to: 0.01,
            read: |r| share(r, group(Livelihood::Local)),
        },
        Level {
            what: "farm share",
            stated: 0.07,
            rounded_to: 0.01,
            read: |r| share(r, group(Livelihood::Farm)),
        },
        Level {
            what: "mixed share",
            stated: 0.25,
            rounded_to: 0.01,
            read: |r| share(r, group(Livelihood::Mixed)),
        },
        Level {
            what: "none share",
            stated: 0.05,
            rounded_to: 0.01,
            read: |r| share(r, group(Livelihood::None)),
        },
        Level {
            what: "mean income",
            stated: 12_900.0,
            rounded_to: 100.0,
            read: |r| Metric::MeanIncomePc.value(&r.groups[ALL_GROUP]),
        },
        Level {
            what: "outbound income",
            stated: 16_200.0,
            rounded_to: 100.0,
            read: |r| Metric::MeanIncomePc.value(&r.groups[group(Livelihood::Outbound)]),
        },
        Level {
            what: "local income",
            stated: 14_700.0,
            rounded_to: 100.0,
            read: |r| Metric::MeanIncomePc.value(&r.groups[group(Livelihood::Local)]),
        },
        Level {
            what: "mixed income",
            stated: 9_600.0,
            rounded_to: 100.0,
            read: |r| Metric::MeanIncomePc.value(&r.groups[group(Livelihood::Mixed)]),
        },
        Level {
            what: "farm income",
            stated: 5_900.0,
            rounded_to: 100.0,
            read: |r| Metric::MeanIncomePc.value(&r.groups[group(Livelihood::Farm)]),
        },
        Level {
            what: "poor share",
            stated: 0.037,
            rounded_to: 0.001,
            read: |r| Metric::PoorShare.value(&r.groups[ALL_GROUP]),
        },
        Level {
            what: "at-risk share",
            stated: 0.17,
            rounded_to: 0.01,
            read: |r| Metric::AtRiskShare.value(&r.groups[ALL_GROUP]),
        },
        Level {
            what: "employment",
            stated: 0.95,
            rounded_to: 0.01,
            read: employment_rate,
        },
    ];
    let mut failures = Vec::new();
    for level in &levels {
        let values: Vec<f64> = runs.iter().filter_map(|r| (level.read)(&r[0])).collect();
        assert_eq!(values.len(), REPLICATES as usize, "{}", level.what);
        let (mean, sd, _, _, _) = summarize(&values);
        let (mean, sd) = (mean.unwrap(), sd.unwrap());
        let se_difference = sd * (1.0 / f64::from(REPLICATES) + 1.0 / REFERENCE_RUNS).sqrt();
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
