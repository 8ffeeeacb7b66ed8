//! Box plots from precomputed five-number summaries, with optional
//! horizontal reference lines.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, note, value_range};
use super::frame::frame;
use super::{
    ChartError, GREY_TEXT, NOTE_PX, error, fail, finite_bounds, livelihood_colour, nonempty, rgb,
    text,
};

/// Box plots from precomputed five-number summaries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoxPlots {
    /// The title above the chart.
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// One box per group: (group name, [min, q1, median, q3, max]).
    pub boxes: Vec<(String, [f64; 5])>,
    /// Horizontal reference lines with labels (poverty line, monitoring line).
    pub lines: Vec<(f64, String)>,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &BoxPlots,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    nonempty(title, &c.boxes, "boxes")?;
    // A box with any non-finite number is left out (its name stays on the axis).
    let boxes: Vec<Option<[f64; 5]>> = c
        .boxes
        .iter()
        .map(|(_, v)| {
            v.iter().all(|x| x.is_finite()).then(|| {
                let mut s = *v;
                s.sort_by(f64::total_cmp);
                s
            })
        })
        .collect();
    let lines: Vec<&(f64, String)> = c.lines.iter().filter(|(y, _)| y.is_finite()).collect();
    let Some((y0, y1)) = finite_bounds(boxes.iter().flatten().flatten().copied()) else {
        return Err(error(title, "no box with finite values"));
    };
    let (y0, y1) = lines
        .iter()
        .fold((y0, y1), |(a, b), (y, _)| (a.min(*y), b.max(*y)));
    let yr = value_range(title, y0, y1, false)?;
    let names: Vec<String> = c.boxes.iter().map(|(n, _)| n.clone()).collect();
    let (main, _) = frame(root, title, &[])?;
    let f = fail(title);
    let mut chart =
        Axes::new(title, (&c.x_label, &c.y_label)).categorical(root, &main, &names, &yr)?;
    let n = names.len() as f64;
    for (line_y, _) in &lines {
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(-0.5, *line_y), (n - 0.5, *line_y)],
                8,
                5,
                RGBColor(70, 70, 70).stroke_width(2),
            )))
            .map_err(&f)?;
    }
    for (i, b) in boxes.iter().enumerate() {
        let Some([lo, q1, med, q3, hi]) = *b else {
            continue;
        };
        let x = i as f64;
        let colour = rgb(livelihood_colour(&names[i], i));
        let dark = RGBColor(50, 50, 50).stroke_width(2);
        let elements = [
            PathElement::new(vec![(x, lo), (x, q1)], dark),
            PathElement::new(vec![(x, q3), (x, hi)], dark),
            PathElement::new(vec![(x - 0.12, lo), (x + 0.12, lo)], dark),
            PathElement::new(vec![(x - 0.12, hi), (x + 0.12, hi)], dark),
        ];
        chart.draw_series(elements).map_err(&f)?;
        chart
            .draw_series([
                Rectangle::new([(x - 0.28, q1), (x + 0.28, q3)], colour.mix(0.35).filled()),
                Rectangle::new([(x - 0.28, q1), (x + 0.28, q3)], colour.stroke_width(2)),
            ])
            .map_err(&f)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x - 0.28, med), (x + 0.28, med)],
                BLACK.stroke_width(3),
            )))
            .map_err(&f)?;
    }
    for (line_y, label) in &lines {
        let style = text(NOTE_PX, GREY_TEXT, HPos::Right, VPos::Bottom);
        note(
            &mut chart,
            title,
            (n - 0.5, *line_y),
            (-4, -4),
            label,
            style,
        )?;
    }
    Ok(())
}
