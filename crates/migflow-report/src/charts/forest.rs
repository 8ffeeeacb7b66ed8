//! Forest plots: one row per estimate, a point at its value and a
//! horizontal line for its interval, a vertical zero line, and the rows
//! grouped under headings with their labels on the left.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, Categories, Ticks, fit_text, row_labels};
use super::frame::frame;
use super::{
    ChartError, INK, PALETTE, TICK_PX, error, fail, finite_bounds, max_text_width, nonempty, rgb,
    text,
};

/// The colours of the series of policies: the palette without black
/// (the zero line is black) and with yellow last, as it reads poorly on
/// white. Forest plots and panels share it, so a policy has one colour.
const SERIES_COLOURS: [(u8, u8, u8); 7] = [
    PALETTE[4], PALETTE[5], PALETTE[2], PALETTE[6], PALETTE[0], PALETTE[1], PALETTE[3],
];

/// The colour of the `i`-th series (policy) of a forest plot or panels.
pub(super) fn series_colour(i: usize) -> (u8, u8, u8) {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// One row of a [`ForestPlot`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForestRow {
    /// The heading the row is grouped under (e.g. a livelihood); the rows
    /// of a group are consecutive. Empty for none.
    pub group: String,
    /// The row's label (e.g. a policy); the first-seen order of the labels
    /// picks their colours, the same in every group.
    pub label: String,
    /// The estimate; a non-finite one leaves the row empty.
    pub value: f64,
    /// Its interval (low, high), e.g. a 95% CI.
    pub ci: Option<(f64, f64)>,
}

/// Estimates with their intervals, one row each, against a vertical zero
/// line. When every row has the same label (one policy), the rows are
/// labelled by their groups; otherwise each group gets a heading and its
/// rows are labelled, indented, below it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForestPlot {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The rows, top to bottom.
    pub rows: Vec<ForestRow>,
}

/// A line of the plot, top to bottom: a group's heading or a row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Line {
    /// The heading of a group.
    Heading(String),
    /// Row `index` of the plot, shown as `text`.
    Row { index: usize, text: String },
}

/// The lines of `f`: headings and rows, as described at [`ForestPlot`].
pub(super) fn lines(f: &ForestPlot) -> Vec<Line> {
    let first = f.rows.first().map(|r| r.label.as_str());
    let one_label = f.rows.iter().all(|r| Some(r.label.as_str()) == first);
    let mut out = Vec::new();
    let mut group: Option<&str> = None;
    for (index, r) in f.rows.iter().enumerate() {
        if one_label && !r.group.is_empty() {
            out.push(Line::Row {
                index,
                text: r.group.clone(),
            });
            continue;
        }
        if !r.group.is_empty() && group != Some(r.group.as_str()) {
            out.push(Line::Heading(r.group.clone()));
        }
        group = Some(r.group.as_str());
        out.push(Line::Row {
            index,
            text: r.label.clone(),
        });
    }
    out
}

/// The intervals of `f`'s rows, ordered, finite ones only.
fn intervals(f: &ForestPlot) -> Vec<Option<(f64, f64)>> {
    f.rows
        .iter()
        .map(|r| {
            r.ci.filter(|(l, h)| l.is_finite() && h.is_finite())
                .map(|(l, h)| (l.min(h), l.max(h)))
        })
        .collect()
}

/// The x range of `f`: its values, their intervals and zero, with 5% room
/// either side (so that zero is always on the axis, never its edge).
pub(super) fn x_range(f: &ForestPlot) -> Result<Range<f64>, ChartError> {
    let title = f.title.as_str();
    let values = f.rows.iter().map(|r| r.value);
    let Some((lo, hi)) =
        finite_bounds(values.chain(intervals(f).into_iter().flatten().flat_map(|(l, h)| [l, h])))
    else {
        return Err(error(title, "no row with a finite value"));
    };
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let span = hi - lo;
    let range = if span > 0.0 {
        lo - 0.05 * span..hi + 0.05 * span
    } else {
        -1.0..1.0
    };
    if range.start.is_finite() && range.end.is_finite() {
        Ok(range)
    } else {
        Err(error(title, "values too large to draw"))
    }
}

/// Indent of a row under a heading, in pixels.
const INDENT: i32 = 14;

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    f: &ForestPlot,
) -> Result<(), ChartError> {
    let title = f.title.as_str();
    nonempty(title, &f.rows, "rows")?;
    let xr = x_range(f)?;
    let cis = intervals(f);
    let lines = lines(f);
    let n = lines.len();
    // Colours by the labels' first-seen order.
    let mut labels: Vec<&str> = Vec::new();
    for r in &f.rows {
        if !labels.contains(&r.label.as_str()) {
            labels.push(&r.label);
        }
    }
    let colour_of =
        |r: &ForestRow| series_colour(labels.iter().position(|l| *l == r.label).unwrap_or(0));

    let (main, _) = frame(root, title, &[])?;
    let (mw, mh) = main.dim_in_pixel();
    let x_area: u32 = if f.x_label.is_empty() { 30 } else { 50 };
    let row_px = (f64::from(mh) - f64::from(x_area) - 20.0) / n.max(1) as f64;
    let (px, _) = row_labels(row_px, TICK_PX);
    let texts = lines.iter().map(|l| match l {
        Line::Heading(t) | Line::Row { text: t, .. } => t.clone(),
    });
    let widest = max_text_width(root, texts, px).map_err(|e| error(title, e.message))?;
    let label_w = (widest as i32 + INDENT + 16).min(mw as i32 * 2 / 5).max(40);
    let axes = Axes {
        x_area,
        y_area: label_w as u32,
        y_ticks: Ticks::numbers(px).at_most(0),
        ..Axes::new(title, (&f.x_label, ""))
    };
    let y = Categories { n, reversed: true };
    let mut chart = axes.draw(&main, RangedCoordf64::from(xr.clone()), y)?;
    let fl = fail(title);
    let bottom = -0.5;
    let top = n as f64 - 0.5;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(0.0, bottom), (0.0, top)],
            BLACK.stroke_width(1),
        )))
        .map_err(&fl)?;
    let left = main.get_base_pixel().0 + 8;
    let label_room = (label_w - INDENT - 12).max(10) as u32;
    for (i, line) in lines.iter().enumerate() {
        let yv = i as f64;
        let (_, py) = chart.backend_coord(&(xr.start, yv));
        let (text_x, shown) = match line {
            Line::Heading(t) => (left, t),
            Line::Row { index, text: t } => {
                let r = &f.rows[*index];
                let colour = rgb(colour_of(r));
                if let Some((lo, hi)) = cis[*index] {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(lo, yv), (hi, yv)],
                            colour.stroke_width(2),
                        )))
                        .map_err(&fl)?;
                }
                if r.value.is_finite() {
                    chart
                        .draw_series(std::iter::once(Circle::new(
                            (r.value, yv),
                            5,
                            colour.filled(),
                        )))
                        .map_err(&fl)?;
                }
                let indented = lines.iter().any(|l| matches!(l, Line::Heading(_)));
                (if indented { left + INDENT } else { left }, t)
            }
        };
        let shown = fit_text(root, shown, px, label_room)?;
        root.draw_text(
            &shown,
            &text(px, INK, HPos::Left, VPos::Center),
            (text_x, py),
        )
        .map_err(&fl)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Chart, DEFAULT_SIZE, render_svg};
    use super::*;

    /// The value of `name="…"` in an SVG tag.
    fn attr<'a>(tag: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let start = tag
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {tag}"))
            + key.len();
        &tag[start..start + tag[start..].find('"').unwrap()]
    }

    /// The tags `<kind …/>` of an SVG document.
    fn tags<'a>(svg: &'a str, kind: &str) -> Vec<&'a str> {
        let open = format!("<{kind} ");
        svg.match_indices(&open)
            .map(|(i, _)| &svg[i..i + svg[i..].find("/>").unwrap()])
            .collect()
    }

    fn points(tag: &str) -> Vec<(f64, f64)> {
        attr(tag, "points")
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    fn hex((r, g, b): (u8, u8, u8)) -> String {
        format!("#{r:02X}{g:02X}{b:02X}")
    }

    /// Two policies in two livelihoods: every row's CI line spans from its
    /// low to its high value on the x scale that places its point and the
    /// zero line at 0.
    #[test]
    fn forest_rows_span_their_intervals_and_zero_is_at_zero() {
        let row = |group: &str, label: &str, value: f64, lo: f64, hi: f64| ForestRow {
            group: group.into(),
            label: label.into(),
            value,
            ci: Some((lo, hi)),
        };
        let plot = ForestPlot {
            title: "Effect on the poor share, 2021–2025 (policy − base, 95 % CI)".into(),
            x_label: "percentage points".into(),
            rows: vec![
                row("all", "workshops", -1.0, -1.5, -0.5),
                row("all", "extended", 0.5, -0.25, 1.25),
                row("local", "workshops", -2.0, -3.0, -1.0),
                row("local", "extended", 1.5, 1.0, 2.0),
            ],
        };
        let svg = render_svg(&Chart::Forest(plot.clone()), DEFAULT_SIZE).unwrap();
        for label in ["all", "local", "workshops", "extended", "percentage points"] {
            assert!(
                svg.contains(&format!(">{label}<")) || svg.contains(label),
                "{label}"
            );
        }
        // The zero line: the one black vertical line.
        let zero: Vec<(f64, f64)> = tags(&svg, "polyline")
            .into_iter()
            .filter(|t| attr(t, "stroke") == "#000000")
            .map(points)
            .filter(|p| p.len() == 2 && p[0].0 == p[1].0)
            .map(|p| (p[0].0, (p[0].1 - p[1].1).abs()))
            .collect();
        assert_eq!(zero.len(), 1, "{zero:?}");
        let (z, zero_height) = zero[0];
        // Points and CI lines by colour, top to bottom.
        for (k, label) in ["workshops", "extended"].iter().enumerate() {
            let colour = hex(series_colour(k));
            let mut dots: Vec<(f64, f64)> = tags(&svg, "circle")
                .into_iter()
                .filter(|t| attr(t, "fill") == colour)
                .map(|t| {
                    (
                        attr(t, "cx").parse().unwrap(),
                        attr(t, "cy").parse().unwrap(),
                    )
                })
                .collect();
            dots.sort_by(|a, b| a.1.total_cmp(&b.1));
            let mut bars: Vec<Vec<(f64, f64)>> = tags(&svg, "polyline")
                .into_iter()
                .filter(|t| attr(t, "stroke") == colour)
                .map(points)
                .collect();
            bars.sort_by(|a, b| a[0].1.total_cmp(&b[0].1));
            let rows: Vec<&ForestRow> = plot.rows.iter().filter(|r| r.label == *label).collect();
            assert_eq!(dots.len(), rows.len(), "{label}: {dots:?}");
            assert_eq!(bars.len(), rows.len(), "{label}: {bars:?}");
            for ((r, dot), bar) in rows.iter().zip(&dots).zip(&bars) {
                // Pixels per unit, from the point and the zero line.
                let k = (dot.0 - z) / r.value;
                assert!(k > 1.0, "{label}: {k}");
                let (lo, hi) = r.ci.unwrap();
                assert_eq!(bar.len(), 2, "{bar:?}");
                assert_eq!(bar[0].1, bar[1].1, "a CI line is horizontal: {bar:?}");
                assert!((bar[0].1 - dot.1).abs() <= 1.0, "{bar:?} {dot:?}");
                assert!(
                    (bar[0].0 - (z + k * lo)).abs() <= 1.5,
                    "{label} low: {bar:?}"
                );
                assert!(
                    (bar[1].0 - (z + k * hi)).abs() <= 1.5,
                    "{label} high: {bar:?}"
                );
                assert!(dot.1 > 0.0 && dot.1 < zero_height + 100.0);
            }
        }
        // One scale for every row: the pixels per unit agree.
        let xr = x_range(&plot).unwrap();
        assert!(
            xr.start < -3.0 && xr.end > 2.0 && xr.contains(&0.0),
            "{xr:?}"
        );
    }

    /// One policy: rows are labelled by their groups, without headings;
    /// several: a heading per group and the policies under it.
    #[test]
    fn one_policy_has_no_headings_and_several_have_one_per_group() {
        let row = |group: &str, label: &str| ForestRow {
            group: group.into(),
            label: label.into(),
            value: 1.0,
            ci: None,
        };
        let one = ForestPlot {
            rows: vec![row("all", "p"), row("local", "p")],
            ..ForestPlot::default()
        };
        assert_eq!(
            lines(&one),
            vec![
                Line::Row {
                    index: 0,
                    text: "all".into()
                },
                Line::Row {
                    index: 1,
                    text: "local".into()
                }
            ]
        );
        let two = ForestPlot {
            rows: vec![row("all", "a"), row("all", "b"), row("local", "a")],
            ..ForestPlot::default()
        };
        let l = lines(&two);
        assert_eq!(l.len(), 5, "{l:?}");
        assert_eq!(l[0], Line::Heading("all".into()));
        assert_eq!(l[3], Line::Heading("local".into()));
        // No finite value: refused.
        let none = ForestPlot {
            rows: vec![ForestRow {
                value: f64::NAN,
                ..row("all", "a")
            }],
            ..ForestPlot::default()
        };
        assert!(render_svg(&Chart::Forest(none), DEFAULT_SIZE).is_err());
    }
}
