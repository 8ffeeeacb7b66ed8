//! Line charts: lines over a numeric x axis with optional confidence
//! ribbons, shaded windows, event markers and a zero line.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, note, span_range, value_range, zero_line};
use super::frame::{Swatch, draw_legend, frame, legend};
use super::{
    ChartError, GREY_TEXT, NOTE_PX, error, fail, finite_bounds, livelihood_colour, nonempty, rgb,
    text,
};

/// One line of a [`LineChart`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// The name in the legend; a livelihood's name picks its colour.
    pub name: String,
    /// The points (x, y), in order of x; a non-finite point leaves a gap.
    pub points: Vec<(f64, f64)>,
    /// Optional 95% CI band as (x, low, high).
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// Lines over a numeric x axis (usually years), with optional ribbons,
/// shaded windows, event markers and a zero line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineChart {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// The lines; a legend is drawn for two or more.
    pub series: Vec<Series>,
    /// Shaded x-intervals with a label (policy windows), e.g. (2021.0, 2025.0, "workshops")
    pub windows: Vec<(f64, f64, String)>,
    /// Vertical markers with a label (event years)
    pub markers: Vec<(f64, String)>,
    /// Draw a horizontal zero line (for difference charts)
    pub zero_line: bool,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &LineChart,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.series, "series")?;
    // Finite data only.
    let points: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect()
        })
        .collect();
    let bands: Vec<Vec<(f64, f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            let mut b: Vec<(f64, f64, f64)> = s
                .band
                .iter()
                .flatten()
                .copied()
                .filter(|(x, l, h)| x.is_finite() && l.is_finite() && h.is_finite())
                .collect();
            b.sort_by(|a, b| a.0.total_cmp(&b.0));
            b
        })
        .collect();
    let xs = points
        .iter()
        .flatten()
        .map(|p| p.0)
        .chain(bands.iter().flatten().map(|b| b.0));
    let ys = points
        .iter()
        .flatten()
        .map(|p| p.1)
        .chain(bands.iter().flatten().flat_map(|b| [b.1, b.2]));
    let (Some((x0, x1)), Some((y0, y1))) = (finite_bounds(xs), finite_bounds(ys)) else {
        return Err(error(title, "no finite data points in any series"));
    };
    let xr = span_range(title, x0, x1)?;
    let yr = value_range(title, y0, y1, c.zero_line)?;

    let legend = legend(c.series.iter().enumerate().map(|(i, s)| {
        let swatch = if bands[i].len() >= 2 {
            Swatch::LineWithBand
        } else {
            Swatch::Line
        };
        (i, s.name.as_str(), swatch)
    }));
    let (main, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let mut chart = Axes::new(title, (&c.x_label, &c.y_label)).numeric(root, &main, (&xr, &yr))?;

    // Windows (shaded, clipped to the x range).
    let windows: Vec<(f64, f64, &str)> = c
        .windows
        .iter()
        .filter(|(a, b, _)| a.is_finite() && b.is_finite())
        .map(|(a, b, l)| (a.min(*b).max(xr.start), a.max(*b).min(xr.end), l.as_str()))
        .filter(|(a, b, _)| a < b)
        .collect();
    for (a, b, _) in &windows {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(*a, yr.start), (*b, yr.end)],
                RGBAColor(110, 110, 110, 0.14).filled(),
            )))
            .map_err(&f)?;
    }
    if c.zero_line {
        zero_line(&mut chart, title, (xr.start, xr.end), &yr)?;
    }
    // Ribbons under all lines.
    for (i, s) in c.series.iter().enumerate() {
        let b = &bands[i];
        if b.len() < 2 {
            continue;
        }
        let colour = rgb(livelihood_colour(&s.name, i));
        let outline: Vec<(f64, f64)> = b
            .iter()
            .map(|(x, _, h)| (*x, *h))
            .chain(b.iter().rev().map(|(x, l, _)| (*x, *l)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.2).filled(),
            )))
            .map_err(&f)?;
    }
    // Lines: runs of finite points (a non-finite value leaves a gap).
    for (i, s) in c.series.iter().enumerate() {
        let colour = rgb(livelihood_colour(&s.name, i));
        let runs = s
            .points
            .split(|(x, y)| !(x.is_finite() && y.is_finite()))
            .map(<[(f64, f64)]>::to_vec);
        for run in runs {
            match run.len() {
                0 => {}
                1 => {
                    chart
                        .draw_series(std::iter::once(Circle::new(run[0], 4, colour.filled())))
                        .map_err(&f)?;
                }
                _ => {
                    chart
                        .draw_series(LineSeries::new(run, colour.stroke_width(2)))
                        .map_err(&f)?;
                }
            }
        }
    }
    // Markers and labels last, on top.
    for (x, label) in &c.markers {
        if !x.is_finite() || *x < xr.start || *x > xr.end {
            continue;
        }
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(*x, yr.start), (*x, yr.end)],
                6,
                4,
                RGBColor(60, 60, 60).stroke_width(1),
            )))
            .map_err(&f)?;
        let near_right = (xr.end - x) < 0.15 * (xr.end - xr.start);
        let (dx, h) = if near_right {
            (-5, HPos::Right)
        } else {
            (5, HPos::Left)
        };
        let style = text(NOTE_PX, GREY_TEXT, h, VPos::Top);
        note(&mut chart, title, (*x, yr.end), (dx, 26), label, style)?;
    }
    for (a, b, label) in &windows {
        let style = text(NOTE_PX, GREY_TEXT, HPos::Center, VPos::Top);
        note(
            &mut chart,
            title,
            ((a + b) / 2.0, yr.end),
            (0, 5),
            label,
            style,
        )?;
    }
    draw_legend(side.as_ref(), title, &legend)
}
