//! Scatter charts: points in named groups (a colour per group, with a
//! legend) over two numeric axes, and optional labelled rectangles (boxes
//! of scenario discovery, regions of a policy map).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, note};
use super::frame::{Swatch, draw_legend, frame, legend};
use super::{
    ChartError, INK, NOTE_PX, error, fail, finite_bounds, livelihood_colour, nonempty, rgb, text,
};

/// One group of points of a [`Scatter`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointGroup {
    /// The name in the legend (a livelihood's name picks its colour; any
    /// other takes the palette's colour of its position).
    pub name: String,
    /// The points (x, y); a non-finite point is skipped.
    pub points: Vec<(f64, f64)>,
}

/// A rectangle drawn over the points, with a label at its top left.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rect {
    /// Its x interval.
    pub x: (f64, f64),
    /// Its y interval.
    pub y: (f64, f64),
    /// The label (empty for none).
    pub label: String,
}

/// Points in named groups over two numeric axes, with rectangles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scatter {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// The groups, drawn in order (later ones on top); a legend is drawn
    /// for two or more.
    pub groups: Vec<PointGroup>,
    /// Rectangles, drawn over the points.
    pub rects: Vec<Rect>,
    /// The x and y ranges, when they should not follow the data (a
    /// factor's full range); `None` fits the data and the rectangles.
    pub ranges: Option<((f64, f64), (f64, f64))>,
}

/// A 4 % margin each side, or ±0.5 around a single value.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        let m = 0.04 * (hi - lo);
        (lo - m, hi + m)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Scatter,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.groups, "groups of points")?;
    let finite = |p: &&(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let rects: Vec<&Rect> = c
        .rects
        .iter()
        .filter(|r| {
            r.x.0.is_finite() && r.x.1.is_finite() && r.y.0.is_finite() && r.y.1.is_finite()
        })
        .collect();
    let (xr, yr) = match c.ranges {
        Some(((x0, x1), (y0, y1)))
            if [x0, x1, y0, y1].iter().all(|v| v.is_finite()) && x1 >= x0 && y1 >= y0 =>
        {
            (padded(x0, x1), padded(y0, y1))
        }
        _ => {
            let xs = c
                .groups
                .iter()
                .flat_map(|g| g.points.iter().filter(finite).map(|p| p.0))
                .chain(rects.iter().flat_map(|r| [r.x.0, r.x.1]));
            let ys = c
                .groups
                .iter()
                .flat_map(|g| g.points.iter().filter(finite).map(|p| p.1))
                .chain(rects.iter().flat_map(|r| [r.y.0, r.y.1]));
            let (Some((x0, x1)), Some((y0, y1))) = (finite_bounds(xs), finite_bounds(ys)) else {
                return Err(error(title, "no finite points in any group"));
            };
            (padded(x0, x1), padded(y0, y1))
        }
    };
    let (xr, yr) = (xr.0..xr.1, yr.0..yr.1);
    if !(xr.end - xr.start).is_finite() || !(yr.end - yr.start).is_finite() {
        return Err(error(title, "values too large to draw"));
    }
    let legend = legend(
        c.groups
            .iter()
            .enumerate()
            .map(|(i, g)| (i, g.name.as_str(), Swatch::Fill)),
    );
    let (main, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let mut chart = Axes::new(title, (&c.x_label, &c.y_label)).numeric(root, &main, (&xr, &yr))?;
    for (i, g) in c.groups.iter().enumerate() {
        let colour = rgb(livelihood_colour(&g.name, i));
        let inside = |p: &&(f64, f64)| xr.contains(&p.0) && yr.contains(&p.1);
        chart
            .draw_series(
                g.points
                    .iter()
                    .filter(finite)
                    .filter(inside)
                    .map(|p| Circle::new(*p, 3, colour.mix(0.8).filled())),
            )
            .map_err(&f)?;
    }
    for r in &rects {
        let (x0, x1) = (r.x.0.max(xr.start), r.x.1.min(xr.end));
        let (y0, y1) = (r.y.0.max(yr.start), r.y.1.min(yr.end));
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, y0), (x1, y1)],
                RGBColor(30, 30, 30).stroke_width(2),
            )))
            .map_err(&f)?;
        if !r.label.is_empty() {
            let style = text(NOTE_PX, INK, HPos::Left, VPos::Top);
            note(&mut chart, title, (x0, y1), (4, 4), &r.label, style)?;
        }
    }
    draw_legend(side.as_ref(), title, &legend)
}

#[cfg(test)]
mod tests {
    use super::super::{Chart, DEFAULT_SIZE, render_png, render_svg};
    use super::*;

    /// Whether the SVG draws the text `t` (plotters puts it on its own line).
    fn has_text(svg: &str, t: &str) -> bool {
        svg.contains(&format!(">{t}<")) || svg.contains(&format!(">\n{t}\n<"))
    }

    fn chart() -> Scatter {
        let grid = |f: fn(f64) -> bool| -> Vec<(f64, f64)> {
            (0..100)
                .map(|i| ((i % 10) as f64 / 9.0, (i / 10) as f64 / 9.0))
                .filter(|p| f(p.0))
                .collect()
        };
        Scatter {
            title: "Cases over two factors".into(),
            x_label: "x0".into(),
            y_label: "x1".into(),
            groups: vec![
                PointGroup {
                    name: "not a case".into(),
                    points: grid(|x| x < 0.5),
                },
                PointGroup {
                    name: "case".into(),
                    points: grid(|x| x >= 0.5),
                },
            ],
            rects: vec![Rect {
                x: (0.5, 1.0),
                y: (0.2, 0.8),
                label: "box 7".into(),
            }],
            ranges: Some(((0.0, 1.0), (0.0, 1.0))),
        }
    }

    #[test]
    fn draws_groups_legend_and_rectangles() {
        let c = chart();
        let svg = render_svg(&Chart::Scatter(c.clone()), DEFAULT_SIZE).expect("svg");
        // 100 points, one circle each, a legend entry per group, the box.
        assert_eq!(svg.matches("<circle").count(), 100, "{svg}");
        assert!(has_text(&svg, "not a case") && has_text(&svg, "case"));
        assert!(has_text(&svg, "box 7"));
        let png = render_png(&Chart::Scatter(c), DEFAULT_SIZE).expect("png");
        assert!(png.starts_with(b"\x89PNG"));
        if let Ok(dir) = std::env::var("MIGFLOW_CHART_DUMP") {
            let _ = std::fs::write(format!("{dir}/scatter.png"), &png);
        }
    }

    #[test]
    fn refuses_no_points() {
        let mut c = chart();
        c.groups.clear();
        assert!(render_svg(&Chart::Scatter(c.clone()), DEFAULT_SIZE).is_err());
        c.groups = vec![PointGroup {
            name: "nan".into(),
            points: vec![(f64::NAN, 1.0)],
        }];
        c.ranges = None;
        c.rects.clear();
        assert!(render_svg(&Chart::Scatter(c), DEFAULT_SIZE).is_err());
    }
}
