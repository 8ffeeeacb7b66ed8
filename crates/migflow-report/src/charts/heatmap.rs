//! Heat maps: a matrix of coloured cells with named rows and columns, and
//! a colour bar; the panels of small multiples are drawn the same way.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axes::{Axes, Categories, Grid, Ticks, XLabels, fit_text, row_labels};
use super::frame::frame;
use super::{
    ChartError, GREY_TEXT, INK, LABEL_PX, TICK_PX, error, fail, finite_bounds, fmt_value,
    max_text_width, rgb, text,
};

/// A matrix of coloured cells, row names on the y axis (first row at the
/// top), column names on the x axis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatMap {
    /// The title above the chart (a panel's caption in small multiples).
    pub title: String,
    /// The description of the x axis (empty for none).
    pub x_label: String,
    /// The description of the y axis (empty for none).
    pub y_label: String,
    /// The column names, left to right.
    pub x_names: Vec<String>,
    /// The row names, top to bottom.
    pub y_names: Vec<String>,
    /// The cells, `values[y][x]`; a non-finite value is drawn grey.
    pub values: Vec<Vec<f64>>,
    /// Write each cell's value as text (counts).
    pub annotate: bool,
}

/// Colour scale shared by the cells and the colour bar.
#[derive(Clone, Copy)]
pub(super) struct Scale {
    lo: f64,
    hi: f64,
    diverging: bool,
}

impl Scale {
    /// Counts and shares from white to blue; values of both signs from
    /// blue through white (zero) to red.
    pub(super) fn from_values(
        title: &str,
        values: impl IntoIterator<Item = f64>,
    ) -> Result<Scale, ChartError> {
        let Some((lo, hi)) = finite_bounds(values) else {
            return Err(error(title, "no finite values in the heat map"));
        };
        let scale = if lo < 0.0 {
            let m = lo.abs().max(hi.abs());
            Scale {
                lo: -m,
                hi: m,
                diverging: true,
            }
        } else {
            // Counts and shares: the lightest colour is zero.
            Scale {
                lo: 0.0,
                hi: if hi > 0.0 { hi } else { 1.0 },
                diverging: false,
            }
        };
        if (scale.hi - scale.lo).is_finite() {
            Ok(scale)
        } else {
            Err(error(title, "values too large to draw"))
        }
    }

    fn colour(&self, v: f64) -> (u8, u8, u8) {
        let t = ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0);
        let stops: [(u8, u8, u8); 3] = if self.diverging {
            [(33, 102, 172), (247, 247, 247), (178, 24, 43)]
        } else {
            [(247, 251, 255), (107, 174, 214), (8, 48, 107)]
        };
        let (a, b, u) = if t < 0.5 {
            (stops[0], stops[1], t * 2.0)
        } else {
            (stops[1], stops[2], t * 2.0 - 1.0)
        };
        let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * u).round() as u8;
        (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}

/// Text colour readable on the background `bg`.
fn ink_on(bg: (u8, u8, u8)) -> (u8, u8, u8) {
    let l = 0.299 * f64::from(bg.0) + 0.587 * f64::from(bg.1) + 0.114 * f64::from(bg.2);
    if l < 140.0 { (255, 255, 255) } else { INK }
}

/// A heat map has rows and columns, and a value for each cell.
pub(super) fn check(title: &str, h: &HeatMap) -> Result<(), ChartError> {
    if h.x_names.is_empty() || h.y_names.is_empty() {
        return Err(error(title, "heat map without rows or columns"));
    }
    if h.values.len() != h.y_names.len() {
        return Err(error(
            title,
            format!(
                "{} rows of values for {} row names",
                h.values.len(),
                h.y_names.len()
            ),
        ));
    }
    if let Some((i, row)) = h
        .values
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != h.x_names.len())
    {
        return Err(error(
            title,
            format!(
                "row {i} has {} values for {} column names",
                row.len(),
                h.x_names.len()
            ),
        ));
    }
    Ok(())
}

/// Layout numbers for a heat map panel (the colour bar uses the same
/// vertical margins so that it lines up with the cells).
pub(super) struct Layout {
    caption_px: f64,
    tick_px: f64,
    label_px: f64,
    margin: i32,
}

impl Layout {
    /// A heat map alone, or a single panel.
    pub(super) const FULL: Layout = Layout {
        caption_px: LABEL_PX,
        tick_px: TICK_PX,
        label_px: LABEL_PX,
        margin: 10,
    };
    /// Panels of a grid of small multiples.
    pub(super) const COMPACT: Layout = Layout {
        caption_px: 15.0,
        tick_px: 11.0,
        label_px: 12.0,
        margin: 6,
    };

    /// Room taken by an axis description.
    fn desc(&self, label: &str) -> u32 {
        if label.is_empty() {
            0
        } else {
            self.label_px as u32 + 14
        }
    }
}

/// Width of the colour bar column, in pixels.
const COLOUR_BAR_W: i32 = 84;

/// The area of the cells and the column of the colour bar.
pub(super) type CellsAndBar<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// The frame of a heat map or small multiples: the area for the cells and
/// the column of the colour bar on the right.
pub(super) fn frame_with_colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<CellsAndBar<DB>, ChartError> {
    let (body, _) = frame(root, title, &[])?;
    let (bw, _) = body.dim_in_pixel();
    Ok(body.split_horizontally(bw as i32 - COLOUR_BAR_W))
}

/// Draws one heat map in `area`; returns the height of its x label area
/// (so that a colour bar can line up with the cells).
pub(super) fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    caption: &str,
    h: &HeatMap,
    scale: &Scale,
    layout: &Layout,
) -> Result<u32, ChartError> {
    let f = fail(title);
    let (aw, ah) = area.dim_in_pixel();
    let (nx, ny) = (h.x_names.len(), h.y_names.len());
    let caption_h = if caption.is_empty() {
        0.0
    } else {
        layout.caption_px + 10.0
    };
    let y_desc_w = layout.desc(&h.y_label);
    let y_names_max = (aw / 3).saturating_sub(12 + y_desc_w).max(20);
    // Row labels depend on the plot height, which depends on the x labels,
    // which depend on the plot width, which depends on the row labels.
    let plan_y = |xl: u32| -> Result<(f64, usize, Vec<String>, u32), ChartError> {
        let plot_h = (ah as f64 - xl as f64 - 2.0 * layout.margin as f64 - caption_h).max(10.0);
        let (px, step) = row_labels(plot_h / ny as f64, layout.tick_px);
        let names = h
            .y_names
            .iter()
            .map(|n| fit_text(area, n, px, y_names_max))
            .collect::<Result<Vec<String>, ChartError>>()?;
        let w = max_text_width(area, names.iter().cloned(), px)? + 12 + y_desc_w;
        Ok((px, step, names, w))
    };
    let xl0 = layout.tick_px as u32 + 16 + layout.desc(&h.x_label);
    let (mut y_tick, mut y_step, mut y_names, mut yl) = plan_y(xl0)?;
    let plot_w = (aw as f64 - yl as f64 - 2.0 * layout.margin as f64).max(10.0);
    let xlabels = XLabels::plan(area, &h.x_names, plot_w, layout.tick_px, ah / 4)?;
    let xl = xlabels.height + layout.desc(&h.x_label);
    if xl != xl0 {
        (y_tick, y_step, y_names, yl) = plan_y(xl)?;
    }

    let mut axes = Axes::new(title, (&h.x_label, &h.y_label));
    axes.margins = [layout.margin; 4];
    axes.caption = (!caption.is_empty()).then_some((caption, layout.caption_px));
    axes.x_area = xl;
    axes.y_area = yl;
    axes.desc_px = layout.label_px;
    axes.x_ticks = xlabels.ticks(GREY_TEXT);
    axes.y_ticks = Ticks::names(&y_names, y_tick, GREY_TEXT, y_step, false);
    axes.grid = Grid::None;
    let columns = Categories {
        n: nx,
        reversed: false,
    };
    let rows = Categories {
        n: ny,
        reversed: true,
    };
    let mut chart = axes.draw(area, columns, rows)?;
    xlabels.draw_rotated(&mut chart, title, ny as f64 - 0.5, GREY_TEXT)?;

    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let (cw, chh) = (pw as f64 / nx as f64, ph as f64 / ny as f64);
    let widest = h
        .values
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .map(|v| fmt_value(*v).chars().count())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let note_px = (chh * 0.45)
        .min(cw * 0.9 / (widest * 0.62))
        .min(16.0)
        .floor();

    for (y, row) in h.values.iter().enumerate() {
        for (x, v) in row.iter().enumerate() {
            let (xf, yf) = (x as f64, y as f64);
            let cell = [(xf - 0.5, yf - 0.5), (xf + 0.5, yf + 0.5)];
            let bg = if v.is_finite() {
                scale.colour(*v)
            } else {
                (225, 225, 225)
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(cell, rgb(bg).filled())))
                .map_err(&f)?;
            if cw >= 4.0 && chh >= 4.0 {
                chart
                    .draw_series(std::iter::once(Rectangle::new(cell, WHITE.stroke_width(1))))
                    .map_err(&f)?;
            }
            if h.annotate && v.is_finite() && note_px >= 7.0 {
                chart
                    .draw_series(std::iter::once(Text::new(
                        fmt_value(*v),
                        (xf, yf),
                        text(note_px, ink_on(bg), HPos::Center, VPos::Center),
                    )))
                    .map_err(&f)?;
            }
        }
    }
    Ok(xl)
}

/// The colour scale as a vertical bar with numbers on its right, its ends
/// `top` and `bottom` pixels from the ends of `area`.
pub(super) fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    scale: &Scale,
    top: i32,
    bottom: i32,
) -> Result<(), ChartError> {
    let mut axes = Axes::new(title, ("", ""));
    axes.margins = [top, 4, bottom, 8];
    axes.y_area = 56;
    axes.y_on_right = true;
    axes.y_ticks = Ticks::numbers(13.0).at_most(6);
    axes.grid = Grid::None;
    axes.x_axis = false;
    let mut chart = axes.draw(
        area,
        RangedCoordf64::from(0f64..1f64),
        RangedCoordf64::from(scale.lo..scale.hi),
    )?;
    let steps = 96;
    let dy = (scale.hi - scale.lo) / steps as f64;
    chart
        .draw_series((0..steps).map(|i| {
            let a = scale.lo + dy * i as f64;
            Rectangle::new(
                [(0.0, a), (1.0, a + dy)],
                rgb(scale.colour(a + dy / 2.0)).filled(),
            )
        }))
        .map_err(fail(title))?;
    Ok(())
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &HeatMap,
) -> Result<(), ChartError> {
    let title = h.title.as_str();
    check(title, h)?;
    let scale = Scale::from_values(title, h.values.iter().flatten().copied())?;
    let (main, bar) = frame_with_colour_bar(root, title)?;
    let layout = Layout::FULL;
    let xl = draw_panel(&main, title, "", h, &scale, &layout)?;
    draw_colour_bar(
        &bar,
        title,
        &scale,
        layout.margin,
        layout.margin + xl as i32,
    )
}
