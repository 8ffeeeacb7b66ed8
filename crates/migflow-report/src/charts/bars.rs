//! Bar charts: vertical bars from zero, with optional interval whiskers.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{Axes, value_range, zero_line};
use super::frame::frame;
use super::{ChartError, error, fail, finite_bounds, livelihood_colour, nonempty, rgb};

/// Vertical bars from zero, with optional interval whiskers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bars {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// (name, value, optional (low, high) CI)
    #[allow(clippy::type_complexity)]
    pub bars: Vec<(String, f64, Option<(f64, f64)>)>,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Bars,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.bars, "bars")?;
    let cis: Vec<Option<(f64, f64)>> = c
        .bars
        .iter()
        .map(|(_, _, ci)| {
            ci.filter(|(l, h)| l.is_finite() && h.is_finite())
                .map(|(l, h)| (l.min(h), l.max(h)))
        })
        .collect();
    let values = c.bars.iter().map(|b| b.1);
    if finite_bounds(values.clone()).is_none() {
        return Err(error(title, "no bar with a finite value"));
    }
    let Some((y0, y1)) =
        finite_bounds(values.chain(cis.iter().flatten().flat_map(|(l, h)| [*l, *h])))
    else {
        return Err(error(title, "no bar with a finite value"));
    };
    let yr = value_range(title, y0, y1, true)?;
    let names: Vec<String> = c.bars.iter().map(|(n, _, _)| n.clone()).collect();
    let (main, _) = frame(root, title, &[])?;
    let f = fail(title);
    let mut chart =
        Axes::new(title, (&c.x_label, &c.y_label)).categorical(root, &main, &names, &yr)?;
    for (i, (name, v, _)) in c.bars.iter().enumerate() {
        let x = i as f64;
        if v.is_finite() {
            let colour = rgb(livelihood_colour(name, i));
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.32, 0.0), (x + 0.32, *v)],
                    colour.filled(),
                )))
                .map_err(&f)?;
        }
        if let Some((lo, hi)) = cis[i] {
            let style = RGBColor(30, 30, 30).stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], style),
                    PathElement::new(vec![(x - 0.1, lo), (x + 0.1, lo)], style),
                    PathElement::new(vec![(x - 0.1, hi), (x + 0.1, hi)], style),
                ])
                .map_err(&f)?;
        }
    }
    zero_line(&mut chart, title, (-0.5, names.len() as f64 - 0.5), &yr)
}
