//! Seeing results: charts (SVG, and PNG on request) and a self-contained
//! HTML report, built from the files of `migflow run` and `migflow sweep`
//! (read and verified by [`migflow_io::results`]) so that they work on
//! results made earlier or elsewhere. The font and the drawing library live
//! here and nowhere else.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod analyses;
pub mod build;
pub mod charts;
pub mod compare;
pub mod counts;
pub mod headline;
pub mod html;
pub mod output;

pub use migflow_io::results;

use migflow_analysis::sensitivity::Analysis;

/// The SVG charts of a sensitivity analysis, as (file name, bytes), and a
/// note for each chart that could not be drawn.
pub fn sensitivity_charts(analysis: &Analysis) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for c in &analysis.charts {
        let chart = charts::Chart::Bars(charts::Bars {
            title: c.title.clone(),
            x_label: c.x_label.clone(),
            y_label: c.y_label.clone(),
            bars: c.bars.clone(),
        });
        match charts::render_svg(&chart, charts::DEFAULT_SIZE) {
            Ok(svg) => files.push((format!("{}.svg", c.stem), svg.into_bytes())),
            Err(e) => notes.push(format!("{}.svg not drawn: {e}", c.stem)),
        }
    }
    (files, notes)
}
