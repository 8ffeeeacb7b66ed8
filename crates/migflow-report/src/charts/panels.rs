//! Small multiples of line charts: one panel per group, each with its own
//! y scale (so that a group with far larger values does not flatten the
//! others), one shared x range, one legend and one set of shaded windows
//! and markers.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, Ticks, note, span_range, value_range, zero_line};
use super::forest::series_colour;
use super::frame::{LegendEntry, Swatch, draw_legend, frame};
use super::line::Series;
use super::{ChartError, GREY_TEXT, INK, NOTE_PX, error, fail, finite_bounds, nonempty, rgb, text};

/// One panel of [`LinePanels`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panel {
    /// The caption above the panel (e.g. a livelihood).
    pub title: String,
    /// Its lines; a series' name picks its colour, the same in every panel.
    pub series: Vec<Series>,
}

/// Line charts side by side, each panel with its own y scale.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinePanels {
    /// The title above the grid.
    pub title: String,
    /// What the y axes measure, written under the title (empty for none).
    pub y_label: String,
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row (0 means a near-square grid).
    pub columns: usize,
    /// Shaded x-intervals with a label, in every panel (labelled in the
    /// first).
    pub windows: Vec<(f64, f64, String)>,
    /// Vertical markers with a label, in every panel (labelled in the
    /// first).
    pub markers: Vec<(f64, String)>,
    /// Draw a horizontal zero line in every panel (and keep zero on its
    /// y axis).
    pub zero_line: bool,
}

/// The finite points of a series.
fn finite_points(s: &Series) -> impl Iterator<Item = (f64, f64)> + '_ {
    s.points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
}

/// The finite band of a series, in order of x.
fn finite_band(s: &Series) -> Vec<(f64, f64, f64)> {
    let mut b: Vec<(f64, f64, f64)> = s
        .band
        .iter()
        .flatten()
        .copied()
        .filter(|(x, l, h)| x.is_finite() && l.is_finite() && h.is_finite())
        .collect();
    b.sort_by(|a, b| a.0.total_cmp(&b.0));
    b
}

/// The y range of one panel, from its own points and bands only (and
/// zero, with `zero_line`); none if it has no finite data.
pub(super) fn panel_range(
    title: &str,
    p: &Panel,
    zero_line: bool,
) -> Option<Result<Range<f64>, ChartError>> {
    let ys = p.series.iter().flat_map(|s| {
        finite_points(s)
            .map(|(_, y)| y)
            .chain(finite_band(s).into_iter().flat_map(|(_, l, h)| [l, h]))
            .collect::<Vec<f64>>()
    });
    let (lo, hi) = finite_bounds(ys)?;
    Some(value_range(title, lo, hi, zero_line))
}

/// The names of the series in every panel, in first-seen order, and
/// whether any has a band.
fn series_names(m: &LinePanels) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for s in m.panels.iter().flat_map(|p| &p.series) {
        let banded = finite_band(s).len() >= 2;
        match out.iter_mut().find(|(n, _)| *n == s.name) {
            Some(e) => e.1 |= banded,
            None => out.push((s.name.clone(), banded)),
        }
    }
    out
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &LinePanels,
) -> Result<(), ChartError> {
    let title = m.title.as_str();
    nonempty(title, &m.panels, "panels")?;
    let xs = m.panels.iter().flat_map(|p| {
        p.series.iter().flat_map(|s| {
            finite_points(s)
                .map(|(x, _)| x)
                .chain(finite_band(s).into_iter().map(|b| b.0))
                .collect::<Vec<f64>>()
        })
    });
    let Some((x0, x1)) = finite_bounds(xs) else {
        return Err(error(title, "no finite data points in any panel"));
    };
    let xr = span_range(title, x0, x1)?;
    let names = series_names(m);
    let colour_of =
        |name: &str| series_colour(names.iter().position(|(n, _)| n == name).unwrap_or(0));
    let legend: Vec<LegendEntry> = if names.len() >= 2 {
        names
            .iter()
            .map(|(n, banded)| LegendEntry {
                name: n.clone(),
                colour: colour_of(n),
                swatch: if *banded {
                    Swatch::LineWithBand
                } else {
                    Swatch::Line
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let (body, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let body = if m.y_label.is_empty() {
        body
    } else {
        body.draw_text(
            &m.y_label,
            &text(NOTE_PX, GREY_TEXT, HPos::Left, VPos::Top),
            (8, 0),
        )
        .map_err(&f)?;
        body.margin(NOTE_PX as i32 + 6, 0, 0, 0)
    };
    let n = m.panels.len();
    let cols = if m.columns == 0 {
        (n as f64).sqrt().ceil() as usize
    } else {
        m.columns.min(n)
    };
    let rows = n.div_ceil(cols);
    let cells = body.split_evenly((rows, cols));
    for (k, (p, cell)) in m.panels.iter().zip(&cells).enumerate() {
        let Some(yr) = panel_range(title, p, m.zero_line) else {
            // A panel without data keeps its place and says so.
            let (w, h) = cell.dim_in_pixel();
            cell.draw_text(
                &format!("{}: no data", p.title),
                &text(NOTE_PX, GREY_TEXT, HPos::Center, VPos::Center),
                (w as i32 / 2, h as i32 / 2),
            )
            .map_err(&f)?;
            continue;
        };
        let yr = yr?;
        draw_panel(cell, m, p, (&xr, &yr), &colour_of, k == 0)?;
    }
    draw_legend(side.as_ref(), title, &legend)
}

/// One panel in `cell` on the ranges `xr` × `yr`; the labels of the
/// windows and markers only if `labelled`.
fn draw_panel<DB: DrawingBackend>(
    cell: &DrawingArea<DB, Shift>,
    m: &LinePanels,
    p: &Panel,
    (xr, yr): (&Range<f64>, &Range<f64>),
    colour_of: &dyn Fn(&str) -> (u8, u8, u8),
    labelled: bool,
) -> Result<(), ChartError> {
    let title = m.title.as_str();
    let f = fail(title);
    let small = 12.0;
    let axes = Axes {
        margins: [6, 16, 4, 4],
        caption: Some((p.title.as_str(), 15.0)),
        x_ticks: Ticks::numbers(small).at_most(6),
        y_ticks: Ticks::numbers(small).at_most(6),
        ..Axes::new(title, ("", ""))
    };
    let mut chart = axes.numeric(cell, cell, (xr, yr))?;
    let windows: Vec<(f64, f64, &str)> = m
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
    if m.zero_line {
        zero_line(&mut chart, title, (xr.start, xr.end), yr)?;
    }
    for s in &p.series {
        let b = finite_band(s);
        if b.len() < 2 {
            continue;
        }
        let outline: Vec<(f64, f64)> = b
            .iter()
            .map(|(x, _, h)| (*x, *h))
            .chain(b.iter().rev().map(|(x, l, _)| (*x, *l)))
            .collect();
        let colour = rgb(colour_of(&s.name));
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                colour.mix(0.18).filled(),
            )))
            .map_err(&f)?;
    }
    for s in &p.series {
        let colour = rgb(colour_of(&s.name));
        for run in s.points.split(|(x, y)| !(x.is_finite() && y.is_finite())) {
            match run.len() {
                0 => {}
                1 => {
                    chart
                        .draw_series(std::iter::once(Circle::new(run[0], 3, colour.filled())))
                        .map_err(&f)?;
                }
                _ => {
                    chart
                        .draw_series(LineSeries::new(run.to_vec(), colour.stroke_width(2)))
                        .map_err(&f)?;
                }
            }
        }
    }
    for (x, label) in &m.markers {
        if !x.is_finite() || *x < xr.start || *x > xr.end {
            continue;
        }
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(*x, yr.start), (*x, yr.end)],
                5,
                4,
                RGBColor(60, 60, 60).stroke_width(1),
            )))
            .map_err(&f)?;
        if labelled {
            let style = text(11.0, GREY_TEXT, HPos::Left, VPos::Top);
            note(&mut chart, title, (*x, yr.end), (4, 18), label, style)?;
        }
    }
    if labelled {
        for (a, b, label) in &windows {
            let style = text(11.0, INK, HPos::Center, VPos::Top);
            note(
                &mut chart,
                title,
                ((a + b) / 2.0, yr.end),
                (0, 3),
                label,
                style,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Chart, DEFAULT_SIZE, render_png, render_svg};
    use super::*;

    fn series(name: &str, scale: f64) -> Series {
        let points: Vec<(f64, f64)> = (2021..=2027)
            .map(|y| (f64::from(y), scale * (f64::from(y) - 2023.5)))
            .collect();
        let band = points
            .iter()
            .map(|&(x, y)| (x, y - 0.2 * scale, y + 0.2 * scale))
            .collect();
        Series {
            name: name.into(),
            points,
            band: Some(band),
        }
    }

    fn panels() -> LinePanels {
        LinePanels {
            title: "Difference in return rate by year and livelihood".into(),
            y_label: "percentage points".into(),
            panels: vec![
                Panel {
                    title: "all".into(),
                    series: vec![series("workshops", 0.01), series("extended", 0.02)],
                },
                Panel {
                    title: "none".into(),
                    series: vec![series("workshops", 1.0), series("extended", 2.0)],
                },
                Panel {
                    title: "farm".into(),
                    series: vec![],
                },
            ],
            columns: 3,
            windows: vec![(2020.5, 2025.5, "workshops 2021–2025".into())],
            markers: vec![(2022.0, "eastern demand shock".into())],
            zero_line: true,
        }
    }

    /// Each panel's y range covers its own data and no more than a margin
    /// around it: a panel whose values are 100× another's gets its own
    /// scale, and zero stays on every axis.
    #[test]
    fn each_panel_has_its_own_y_scale() {
        let m = panels();
        let range = |k: usize| panel_range("t", &m.panels[k], true).unwrap().unwrap();
        let (small, large) = (range(0), range(1));
        for (k, r) in [(0, &small), (1, &large)] {
            let ys = m.panels[k].series.iter().flat_map(|s| {
                s.points
                    .iter()
                    .map(|p| p.1)
                    .chain(s.band.iter().flatten().flat_map(|b| [b.1, b.2]))
                    .collect::<Vec<f64>>()
            });
            let (lo, hi) = finite_bounds(ys).unwrap();
            assert!(
                r.start <= lo && r.end >= hi,
                "panel {k}: {r:?} ⊉ [{lo}, {hi}]"
            );
            assert!(r.end - r.start <= 1.2 * (hi - lo), "panel {k}: {r:?}");
            assert!(r.contains(&0.0), "{r:?}");
        }
        assert!(
            (large.end - large.start) > 50.0 * (small.end - small.start),
            "{small:?} {large:?}"
        );
        assert!(panel_range("t", &m.panels[2], true).is_none());
        // Drawn in both formats, the empty panel saying so, the legend
        // naming each policy once.
        let svg = render_svg(&Chart::Panels(m.clone()), (960, 810)).unwrap();
        for part in [
            "farm: no data",
            "workshops",
            "extended",
            "none",
            "percentage points",
        ] {
            assert!(svg.contains(part), "lacks {part:?}");
        }
        render_png(&Chart::Panels(m), DEFAULT_SIZE).unwrap();
    }
}
