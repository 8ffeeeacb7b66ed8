//! A map of winners: points in two numeric dimensions, each coloured by
//! its category (the policy that is best there), with a legend. Points
//! whose category is a tie are grey.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{Axes, span_range};
use super::frame::{LegendEntry, Swatch, draw_legend, frame};
use super::{ChartError, error, fail, finite_bounds, livelihood_colour, nonempty, rgb};

/// The colour of a point whose category is a tie.
const TIE: (u8, u8, u8) = (150, 150, 150);

/// Points in two dimensions coloured by category.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WinnerMap {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// The categories, in legend order; a category's index picks its colour
    /// as [`livelihood_colour`] does, so it matches the other charts of
    /// the same names.
    pub categories: Vec<String>,
    /// The points: (x, y, category index, or `None` for a tie).
    pub points: Vec<(f64, f64, Option<usize>)>,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &WinnerMap,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.points, "points")?;
    // Non-finite points and unknown categories are skipped.
    let points: Vec<(f64, f64, Option<usize>)> = c
        .points
        .iter()
        .filter(|(x, y, k)| {
            x.is_finite() && y.is_finite() && k.is_none_or(|k| k < c.categories.len())
        })
        .copied()
        .collect();
    let (Some((x0, x1)), Some((y0, y1))) = (
        finite_bounds(points.iter().map(|p| p.0)),
        finite_bounds(points.iter().map(|p| p.1)),
    ) else {
        return Err(error(title, "no point with finite coordinates"));
    };
    // The design's box, not from zero: uncertainties seldom start there.
    let padded = |lo: f64, hi: f64| span_range(title, lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
    let xr = padded(x0, x1)?;
    let yr = padded(y0, y1)?;
    let colour = |k: Option<usize>| match k {
        Some(k) => livelihood_colour(&c.categories[k], k),
        None => TIE,
    };
    let mut entries: Vec<LegendEntry> = c
        .categories
        .iter()
        .enumerate()
        .map(|(k, name)| LegendEntry {
            name: name.clone(),
            colour: colour(Some(k)),
            swatch: Swatch::Fill,
        })
        .collect();
    if points.iter().any(|p| p.2.is_none()) {
        entries.push(LegendEntry {
            name: "tie".into(),
            colour: TIE,
            swatch: Swatch::Fill,
        });
    }
    let (main, side) = frame(root, title, &entries)?;
    let f = fail(title);
    let mut chart = Axes::new(title, (&c.x_label, &c.y_label)).numeric(root, &main, (&xr, &yr))?;
    chart
        .draw_series(points.iter().map(|&(x, y, k)| {
            EmptyElement::at((x, y))
                + Circle::new((0, 0), 6, rgb(colour(k)).filled())
                + Circle::new((0, 0), 6, RGBColor(60, 60, 60).stroke_width(1))
        }))
        .map_err(&f)?;
    draw_legend(side.as_ref(), title, &entries)
}
