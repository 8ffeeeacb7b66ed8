//! Stacked areas: layers over a numeric x axis, each on top of the ones
//! below (e.g. livelihood shares over years).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{Axes, span_range, value_range};
use super::frame::{Swatch, draw_legend, frame, legend};
use super::{ChartError, error, fail, finite_bounds, livelihood_colour, nonempty, rgb};

/// Stacked areas (e.g. livelihood shares over years).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackedArea {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// The x positions, shared by all layers.
    pub xs: Vec<f64>,
    /// Layers bottom to top; each (name, values at xs).
    pub layers: Vec<(String, Vec<f64>)>,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &StackedArea,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.layers, "layers")?;
    for (name, values) in &c.layers {
        if values.len() != c.xs.len() {
            return Err(error(
                title,
                format!(
                    "layer `{name}` has {} values for {} x positions",
                    values.len(),
                    c.xs.len()
                ),
            ));
        }
    }
    let mut order: Vec<usize> = (0..c.xs.len()).filter(|&i| c.xs[i].is_finite()).collect();
    if order.is_empty() {
        return Err(error(title, "no finite x positions"));
    }
    order.sort_by(|&a, &b| c.xs[a].total_cmp(&c.xs[b]));
    let xs: Vec<f64> = order.iter().map(|&i| c.xs[i]).collect();
    // Cumulative bounds per layer (non-finite values count as zero).
    let mut lower = vec![0.0; xs.len()];
    let mut bounds: Vec<(Vec<f64>, Vec<f64>)> = Vec::with_capacity(c.layers.len());
    for (_, values) in &c.layers {
        let upper: Vec<f64> = order
            .iter()
            .zip(&lower)
            .map(|(&i, lo)| {
                lo + if values[i].is_finite() {
                    values[i]
                } else {
                    0.0
                }
            })
            .collect();
        bounds.push((lower.clone(), upper.clone()));
        lower = upper;
    }
    let (x0, x1) = (xs[0], xs[xs.len() - 1]);
    let (y0, y1) = finite_bounds(
        bounds
            .iter()
            .flat_map(|(l, u)| l.iter().chain(u.iter()).copied()),
    )
    .unwrap_or((0.0, 0.0));
    let xr = span_range(title, x0, x1)?;
    let yr = value_range(title, y0, y1, true)?;

    // The legend from the top layer down, as the layers are seen.
    let legend = legend(
        c.layers
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (name, _))| (i, name.as_str(), Swatch::Fill)),
    );
    let (main, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let mut chart = Axes::new(title, (&c.x_label, &c.y_label)).numeric(root, &main, (&xr, &yr))?;
    for (i, ((name, _), (lo, hi))) in c.layers.iter().zip(&bounds).enumerate() {
        let colour = rgb(livelihood_colour(name, i));
        let outline: Vec<(f64, f64)> = xs
            .iter()
            .zip(hi)
            .map(|(x, y)| (*x, *y))
            .chain(xs.iter().zip(lo).rev().map(|(x, y)| (*x, *y)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.9).filled(),
            )))
            .map_err(&f)?;
        if xs.len() >= 2 {
            let top: Vec<(f64, f64)> = xs.iter().copied().zip(hi.iter().copied()).collect();
            chart
                .draw_series(LineSeries::new(top, WHITE.stroke_width(1)))
                .map_err(&f)?;
        }
    }
    draw_legend(side.as_ref(), title, &legend)
}
