//! The charts of PRIM: the peeling trajectory (coverage against density,
//! each box coloured by its number of restricted factors) and a box's
//! limits against the factors' full ranges.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, Categories, Grid, Ticks, fit_text, note};
use super::frame::{Swatch, draw_legend, frame, legend};
use super::{
    ChartError, GREY_TEXT, INK, NOTE_PX, TICK_PX, error, fail, livelihood_colour, max_text_width,
    nonempty, rgb, text,
};

/// One box of a [`PeelingTrajectory`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TrajectoryPoint {
    /// Its coverage (x).
    pub coverage: f64,
    /// Its density (y).
    pub density: f64,
    /// Its number of restricted factors (the colour).
    pub res_dim: usize,
}

/// PRIM's peeling trajectory: coverage (x) against density (y), the boxes
/// joined in order, each coloured by its number of restricted factors.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeelingTrajectory {
    /// The title above the chart.
    pub title: String,
    /// The boxes, in the order of the trajectory.
    pub points: Vec<TrajectoryPoint>,
    /// The chosen box, ringed and labelled.
    pub chosen: Option<usize>,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &PeelingTrajectory,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.points, "boxes")?;
    let ok = |p: &TrajectoryPoint| p.coverage.is_finite() && p.density.is_finite();
    if !c.points.iter().any(ok) {
        return Err(error(title, "no box with a finite coverage and density"));
    }
    let mut dims: Vec<usize> = c.points.iter().map(|p| p.res_dim).collect();
    dims.sort_unstable();
    dims.dedup();
    let names: Vec<String> = dims
        .iter()
        .map(|d| match d {
            1 => "1 restricted".to_string(),
            d => format!("{d} restricted"),
        })
        .collect();
    let legend = legend(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (i, n.as_str(), Swatch::Fill)),
    );
    let colour = |d: usize| {
        let i = dims.iter().position(|x| *x == d).unwrap_or(0);
        rgb(livelihood_colour(&names[i], i))
    };
    let (main, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let (xr, yr) = (0.0..1.04, 0.0..1.04);
    let mut chart = Axes::new(title, ("Coverage", "Density")).numeric(root, &main, (&xr, &yr))?;
    let path: Vec<(f64, f64)> = c
        .points
        .iter()
        .filter(|p| ok(p))
        .map(|p| (p.coverage, p.density))
        .collect();
    chart
        .draw_series(LineSeries::new(
            path,
            RGBColor(170, 170, 170).stroke_width(1),
        ))
        .map_err(&f)?;
    chart
        .draw_series(
            c.points
                .iter()
                .filter(|p| ok(p))
                .map(|p| Circle::new((p.coverage, p.density), 4, colour(p.res_dim).filled())),
        )
        .map_err(&f)?;
    if let Some(p) = c.chosen.and_then(|i| c.points.get(i)).filter(|p| ok(p)) {
        chart
            .draw_series(std::iter::once(Circle::new(
                (p.coverage, p.density),
                8,
                RGBColor(30, 30, 30).stroke_width(2),
            )))
            .map_err(&f)?;
        let style = text(NOTE_PX, INK, HPos::Left, VPos::Top);
        let label = format!(
            "chosen: coverage {:.2}, density {:.2}",
            p.coverage, p.density
        );
        let dx = if p.coverage > 0.6 { -200 } else { 10 };
        note(
            &mut chart,
            title,
            (p.coverage, p.density),
            (dx, 10),
            &label,
            style,
        )?;
    }
    draw_legend(side.as_ref(), title, &legend)
}

/// One factor of a [`BoxLimits`] chart, normalised to its full range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitRow {
    /// The factor.
    pub name: String,
    /// The box's lower and upper limit as shares of the full range (0–1);
    /// a categorical factor may give (0, share of categories kept).
    pub box_span: (f64, f64),
    /// The limits as text, written beside the bar (e.g. `[0.2, 0.6]`).
    pub label: String,
}

/// A box's limits against the factors' full ranges: per factor a light
/// bar for the whole range (0 to 1) and a dark bar for the box.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoxLimits {
    /// The title above the chart.
    pub title: String,
    /// The factors, top to bottom.
    pub rows: Vec<LimitRow>,
}

pub(super) fn draw_limits<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &BoxLimits,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.rows, "factors")?;
    let (main, _) = frame(root, title, &[])?;
    let f = fail(title);
    let (mw, _) = main.dim_in_pixel();
    let names = c
        .rows
        .iter()
        .map(|r| fit_text(root, &r.name, TICK_PX, mw / 3))
        .collect::<Result<Vec<String>, ChartError>>()?;
    let mut axes = Axes::new(title, ("Share of the factor's range", ""));
    axes.x_area = 50;
    axes.y_area = max_text_width(root, names.iter().cloned(), TICK_PX)? + 14;
    axes.y_ticks = Ticks::names(&names, TICK_PX, INK, 1, false);
    axes.grid = Grid::None;
    let xr: Range<f64> = 0.0..1.0;
    let rows = Categories {
        n: c.rows.len(),
        reversed: true,
    };
    let mut chart = axes.draw(&main, RangedCoordf64::from(xr), rows)?;
    for (i, r) in c.rows.iter().enumerate() {
        let y = i as f64;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.3), (1.0, y + 0.3)],
                RGBColor(215, 215, 215).filled(),
            )))
            .map_err(&f)?;
        let (a, b) = r.box_span;
        if a.is_finite() && b.is_finite() {
            let (a, b) = (a.clamp(0.0, 1.0), b.clamp(0.0, 1.0));
            let (a, b) = (a.min(b), a.max(b).max(a.min(b) + 0.004));
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, y - 0.3), (b, y + 0.3)],
                    RGBColor(0x00, 0x72, 0xB2).filled(),
                )))
                .map_err(&f)?;
        }
        if !r.label.is_empty() {
            let style = text(NOTE_PX, GREY_TEXT, HPos::Left, VPos::Bottom);
            note(&mut chart, title, (0.0, y - 0.3), (2, -2), &r.label, style)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Chart, DEFAULT_SIZE, render_png, render_svg};
    use super::*;

    /// Whether the SVG draws the text `t` (plotters puts it on its own line).
    fn has_text(svg: &str, t: &str) -> bool {
        svg.contains(&format!(">{t}<")) || svg.contains(&format!(">\n{t}\n<"))
    }

    #[test]
    fn trajectory_colours_by_restricted_dimensions() {
        let points: Vec<TrajectoryPoint> = (0..12)
            .map(|i| TrajectoryPoint {
                coverage: 1.0 - 0.05 * i as f64,
                density: 0.3 + 0.05 * i as f64,
                res_dim: 1 + i / 5,
            })
            .collect();
        let c = PeelingTrajectory {
            title: "Peeling trajectory".into(),
            points,
            chosen: Some(9),
        };
        let svg = render_svg(&Chart::Trajectory(c.clone()), DEFAULT_SIZE).expect("svg");
        for name in ["1 restricted", "2 restricted", "3 restricted"] {
            assert!(has_text(&svg, name), "{name}");
        }
        // 12 boxes and the ring around the chosen one.
        assert_eq!(svg.matches("<circle").count(), 13);
        assert!(svg.contains("chosen: coverage 0.55, density 0.75"));
        let png = render_png(&Chart::Trajectory(c), DEFAULT_SIZE).expect("png");
        if let Ok(dir) = std::env::var("MIGFLOW_CHART_DUMP") {
            let _ = std::fs::write(format!("{dir}/trajectory.png"), &png);
        }
    }

    #[test]
    fn box_limits_draw_one_row_per_factor() {
        let c = BoxLimits {
            title: "Box limits".into(),
            rows: vec![
                LimitRow {
                    name: "decision.beta_net".into(),
                    box_span: (0.2, 0.6),
                    label: "[0.2, 0.6] of [0, 1]".into(),
                },
                LimitRow {
                    name: "policy".into(),
                    box_span: (0.0, 0.5),
                    label: "{a, b} of {a, b, c, d}".into(),
                },
            ],
        };
        let svg = render_svg(&Chart::BoxLimits(c.clone()), DEFAULT_SIZE).expect("svg");
        assert!(has_text(&svg, "decision.beta_net") && has_text(&svg, "policy"));
        assert!(svg.contains("[0.2, 0.6] of [0, 1]"));
        // Per row a light and a dark bar (plus the background).
        assert_eq!(svg.matches("fill=\"#0072B2\"").count(), 2, "{svg}");
        let png = render_png(&Chart::BoxLimits(c), DEFAULT_SIZE).expect("png");
        if let Ok(dir) = std::env::var("MIGFLOW_CHART_DUMP") {
            let _ = std::fs::write(format!("{dir}/limits.png"), &png);
        }
        let empty = BoxLimits {
            title: "none".into(),
            rows: vec![],
        };
        assert!(render_svg(&Chart::BoxLimits(empty), DEFAULT_SIZE).is_err());
    }
}
