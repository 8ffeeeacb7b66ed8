//! Seeing results: charts (SVG, and PNG on request) and a self-contained
//! HTML report, built from the files of `migflow run` and `migflow sweep`
//! so that they work on results made earlier or elsewhere.

pub mod build;
pub mod charts;
pub mod html;
pub mod results;
