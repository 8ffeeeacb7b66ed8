//! The scenario parser and validator must answer every input with a
//! scenario or an error, never a panic or a hang; a scenario that passes
//! validation must survive a write-and-read round trip unchanged, because
//! the resolved scenario written next to results is what reruns read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_core::params::{self, validate::validate};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.toml");
    let Ok(parsed) = params::parse(text, path) else {
        return;
    };
    if validate(&parsed).is_err() {
        return;
    }
    let written = params::to_toml(&parsed).expect("a scenario serializes");
    let reread = params::parse(&written, path).expect("a written scenario parses");
    assert_eq!(reread, parsed, "round trip changed the scenario:\n{written}");
    validate(&reread).expect("a written valid scenario stays valid");
});
