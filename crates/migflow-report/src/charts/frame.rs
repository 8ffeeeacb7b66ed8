//! What surrounds every chart: the white background, the title on top and,
//! for charts with several named series, a legend column on the right.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    ChartError, INK, TICK_PX, TITLE_PX, error, fail, livelihood_colour, max_text_width, rgb, text,
};

/// How a legend entry shows its series.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    /// A line.
    Line,
    /// A line over its shaded interval.
    LineWithBand,
    /// A filled square.
    Fill,
}

/// One row of a legend.
pub(super) struct LegendEntry {
    pub(super) name: String,
    pub(super) colour: (u8, u8, u8),
    pub(super) swatch: Swatch,
}

/// Height of a legend row in pixels.
const LEGEND_ROW: i32 = 24;

/// The legend of named series: one entry each, coloured by
/// [`livelihood_colour`], or none for fewer than two series.
pub(super) fn legend<'a>(
    names: impl IntoIterator<Item = (usize, &'a str, Swatch)>,
) -> Vec<LegendEntry> {
    let entries: Vec<LegendEntry> = names
        .into_iter()
        .map(|(i, name, swatch)| LegendEntry {
            name: name.to_string(),
            colour: livelihood_colour(name, i),
            swatch,
        })
        .collect();
    if entries.len() >= 2 {
        entries
    } else {
        Vec::new()
    }
}

/// The body of a chart and, if any, its legend column.
pub(super) type Framed<DB> = (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>);

/// White background, the title on top; returns the body and, if there is a
/// legend, its column on the right.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendEntry],
) -> Result<Framed<DB>, ChartError> {
    root.fill(&WHITE).map_err(fail(title))?;
    let (w, _) = root.dim_in_pixel();
    let mut top = 6;
    if !title.is_empty() {
        let style = text(TITLE_PX, INK, HPos::Center, VPos::Top);
        let (_, th) = root
            .estimate_text_size(title, &style)
            .map_err(fail(title))?;
        root.draw_text(title, &style, (w as i32 / 2, 10))
            .map_err(fail(title))?;
        top = 10 + th as i32 + 8;
    }
    let body = root.margin(top, 4, 4, 4);
    if legend.is_empty() {
        return Ok((body, None));
    }
    let names = legend.iter().map(|e| e.name.clone());
    let widest = max_text_width(root, names, TICK_PX).map_err(|e| error(title, e.message))?;
    let (bw, _) = body.dim_in_pixel();
    let lw = (widest as i32 + 56).clamp(90, (bw as i32 * 35 / 100).max(90));
    let (main, side) = body.split_horizontally(bw as i32 - lw);
    Ok((main, Some(side)))
}

/// Draw `entries` in the legend column `side` (if there is one).
pub(super) fn draw_legend<DB: DrawingBackend>(
    side: Option<&DrawingArea<DB, Shift>>,
    title: &str,
    entries: &[LegendEntry],
) -> Result<(), ChartError> {
    let Some(area) = side else {
        return Ok(());
    };
    let f = fail(title);
    let top = 10;
    for (i, e) in entries.iter().enumerate() {
        let y = top + i as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        let c = rgb(e.colour);
        let (x0, x1) = (6, 34);
        match e.swatch {
            Swatch::Fill => {
                area.draw(&Rectangle::new([(x0, y - 7), (x1, y + 7)], c.filled()))
                    .map_err(&f)?;
            }
            Swatch::Line | Swatch::LineWithBand => {
                if e.swatch == Swatch::LineWithBand {
                    area.draw(&Rectangle::new(
                        [(x0, y - 7), (x1, y + 7)],
                        c.mix(0.2).filled(),
                    ))
                    .map_err(&f)?;
                }
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))
                    .map_err(&f)?;
            }
        }
        area.draw_text(
            &e.name,
            &text(TICK_PX, INK, HPos::Left, VPos::Center),
            (x1 + 8, y),
        )
        .map_err(&f)?;
    }
    Ok(())
}
