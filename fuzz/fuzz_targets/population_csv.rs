//! The population CSV loader must answer every byte string with households
//! or an error naming a row, never a panic; every household it accepts
//! must lie inside the scenario's sites and villages, with a positive
//! finite weight, a finite distance ≥ 0 if any, and (with an `id` column)
//! one non-empty id of its own.
//!
//! Each input is read twice: with no `population.ignore_columns`, and with
//! the header's columns that the model does not read listed there (so the
//! survey-only columns of the seed corpus are read past and the rows
//! behind them reached).
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_core::Params;
use migflow_core::population::{is_model_column, read_csv};
use std::collections::HashSet;
use std::path::Path;

fn check(data: &[u8], params: &Params) {
    let s = params.scenario();
    let Ok(loaded) = read_csv(data, Path::new("fuzz.csv"), params, None) else {
        return;
    };
    let households = &loaded.households;
    assert!(!households.is_empty());
    let villages = s.population.sites * s.population.villages_per_site;
    let survey = &loaded.survey;
    for w in survey.weights.iter().chain(&survey.distances_km) {
        assert_eq!(w.len(), households.len());
    }
    // Survey facts are by household number, which is the row's place.
    for (i, h) in (0u32..).zip(households) {
        assert!(h.site(s.population.villages_per_site) < s.population.sites);
        assert!(h.village < villages);
        assert!((0.0..=1.0).contains(&h.skill));
        assert!(h.land_mu.is_finite() && h.land_mu >= 0.0);
        let weight = survey.weight(i);
        assert!(weight.is_finite() && weight > 0.0);
        assert!(
            survey
                .own_distance(i)
                .is_none_or(|d| d.is_finite() && d >= 0.0)
        );
    }
    if let Some(ids) = &loaded.survey_ids {
        assert_eq!(ids.len(), households.len());
        assert!(ids.iter().all(|id| !id.is_empty() && id.trim() == id));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let params = Params::default();
    check(data, &params);
    // The header's columns the model does not read, as the CSV reader
    // splits a simple header (unquoted, comma-separated, trimmed).
    let header = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    let extra: Vec<String> = header
        .trim_end_matches('\r')
        .split(',')
        .map(str::trim)
        .filter(|c| !is_model_column(c))
        .map(str::to_string)
        .collect();
    if extra.is_empty() {
        return;
    }
    let mut scenario = params.scenario().clone();
    scenario.population.ignore_columns = extra;
    if let Ok(ignoring) = Params::new(scenario, None) {
        check(data, &ignoring);
    }
});
