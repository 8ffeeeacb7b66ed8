//! The population CSV loader must answer every byte string with households
//! or an error naming a row, never a panic; every household it accepts
//! must lie inside the scenario's sites and villages.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_core::Params;
use migflow_core::population::read_csv;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let params = Params::default();
    let s = params.scenario();
    let Ok(households) = read_csv(data, Path::new("fuzz.csv"), &params, None) else {
        return;
    };
    assert!(!households.is_empty());
    let villages = s.population.sites * s.population.villages_per_site;
    for h in &households {
        assert!(h.site < s.population.sites);
        assert!(h.village < villages);
        assert!((0.0..=1.0).contains(&h.skill));
        assert!(h.land_mu.is_finite() && h.land_mu >= 0.0);
    }
});
