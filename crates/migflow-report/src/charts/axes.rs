//! The plot area, the axes and the grid: value ranges from data, category
//! axes, tick labels that do not overlap, and [`Axes`], the one builder of
//! coordinates and mesh that every kind of chart uses.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    ChartError, GREY_TEXT, INK, LABEL_PX, TICK_PX, error, fail, fmt_tick, max_text_width, text,
    text_width,
};

/// A value axis from data bounds: shares (all in [0, 1]) get [0, max·1.05];
/// otherwise a 5 % margin each side, except that a side pinned at zero
/// (with `include_zero`) stays at zero.
pub(super) fn value_range(
    title: &str,
    lo: f64,
    hi: f64,
    include_zero: bool,
) -> Result<Range<f64>, ChartError> {
    if lo >= 0.0 && hi <= 1.0 {
        let top = if hi > 0.0 { hi * 1.05 } else { 1.0 };
        return Ok(0.0..top);
    }
    let (lo, hi) = if include_zero {
        (lo.min(0.0), hi.max(0.0))
    } else {
        (lo, hi)
    };
    let span = hi - lo;
    let range = if span > 0.0 {
        let bottom = if include_zero && lo == 0.0 {
            0.0
        } else {
            lo - 0.05 * span
        };
        let top = if include_zero && hi == 0.0 {
            0.0
        } else {
            hi + 0.05 * span
        };
        bottom..top
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo - pad..hi + pad
    };
    drawable(title, range, "values too large to draw")
}

/// An x axis spanning the data exactly (widened if it is a single value).
pub(super) fn span_range(title: &str, lo: f64, hi: f64) -> Result<Range<f64>, ChartError> {
    let range = if hi > lo { lo..hi } else { lo - 0.5..hi + 0.5 };
    drawable(title, range, "x values too large to draw")
}

/// `range` if it is finite and not empty, else the error `message`.
fn drawable(title: &str, range: Range<f64>, message: &str) -> Result<Range<f64>, ChartError> {
    if range.start.is_finite() && range.end.is_finite() && range.end > range.start {
        Ok(range)
    } else {
        Err(error(title, message))
    }
}

/// Categories on an axis at 0, 1, …, n−1, each owning [i−0.5, i+0.5];
/// `reversed` puts category 0 at the far end (top of a y axis).
#[derive(Clone, Copy)]
pub(super) struct Categories {
    pub(super) n: usize,
    pub(super) reversed: bool,
}

impl Ranged for Categories {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let n = self.n.max(1) as f64;
        let v = if self.reversed { n - 1.0 - *v } else { *v };
        let t = (v + 0.5) / n;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() || hint.max_num_points() == 0 {
            return Vec::new();
        }
        let step = self.n.div_ceil(hint.max_num_points()).max(1);
        (0..self.n).step_by(step).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.n as f64 - 0.5
    }
}

fn category_name(names: &[String], v: f64) -> String {
    let i = v.round();
    if i >= 0.0 && (i as usize) < names.len() {
        names[i as usize].clone()
    } else {
        String::new()
    }
}

/// Width of the y label area: widest tick label plus room for the rotated
/// axis description.
pub(super) fn y_label_area<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    range: &Range<f64>,
    has_desc: bool,
) -> Result<u32, ChartError> {
    let ticks = RangedCoordf64::from(range.clone()).key_points(10usize);
    let w = max_text_width(area, ticks.into_iter().map(fmt_tick), TICK_PX)?;
    Ok(w + 14 + if has_desc { 28 } else { 0 })
}

/// Font size and label step (every `step`-th name) for category names
/// along a horizontal axis, so that they do not overlap: the font shrinks
/// down to 9 px, then labels are thinned.
fn category_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    available_px: f64,
    max_px: f64,
) -> Result<(f64, usize), ChartError> {
    let widest = max_text_width(area, names.iter().cloned(), max_px)? as f64;
    let room = available_px.max(1.0) / names.len().max(1) as f64 * 0.92;
    if widest <= room {
        return Ok((max_px, 1));
    }
    let px = (max_px * room / widest).floor().clamp(9.0, max_px);
    let step = ((widest * px / max_px) / room).ceil().max(1.0) as usize;
    Ok((px, step))
}

/// Font size and label step for category names stacked vertically in rows
/// of `row_px` pixels.
pub(super) fn row_labels(row_px: f64, max_px: f64) -> (f64, usize) {
    let px = (row_px / 1.25).floor().clamp(9.0, max_px);
    let step = (px * 1.25 / row_px.max(1.0)).ceil().max(1.0) as usize;
    (px, step)
}

/// `s` shortened with an ellipsis to fit `max_w` pixels at `px`.
pub(super) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    px: f64,
    max_w: u32,
) -> Result<String, ChartError> {
    if text_width(area, s, px)? <= max_w {
        return Ok(s.to_string());
    }
    let chars: Vec<char> = s.chars().collect();
    for keep in (1..chars.len()).rev() {
        let t: String = chars[..keep].iter().chain(std::iter::once(&'…')).collect();
        if text_width(area, &t, px)? <= max_w {
            return Ok(t);
        }
    }
    Ok("…".to_string())
}

/// How category names are written under a horizontal axis.
pub(super) struct XLabels {
    px: f64,
    /// every `step`-th name is written
    step: usize,
    /// written vertically (reading upwards) because they do not fit across
    rotated: bool,
    names: Vec<String>,
    /// pixels taken below the axis by the tick labels
    pub(super) height: u32,
}

impl XLabels {
    /// Plan the names under an axis `plot_w` pixels wide: across if they
    /// fit at `max_px` or a smaller font, else rotated and shortened to
    /// `max_height` pixels.
    pub(super) fn plan<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        names: &[String],
        plot_w: f64,
        max_px: f64,
        max_height: u32,
    ) -> Result<XLabels, ChartError> {
        let (px, step) = category_labels(area, names, plot_w, max_px)?;
        if step == 1 {
            return Ok(XLabels {
                px,
                step,
                rotated: false,
                names: names.to_vec(),
                height: px as u32 + 16,
            });
        }
        let (px, step) = row_labels(plot_w / names.len().max(1) as f64, max_px);
        let names = names
            .iter()
            .map(|n| fit_text(area, n, px, max_height.max(30)))
            .collect::<Result<Vec<String>, ChartError>>()?;
        let height = max_text_width(area, names.iter().cloned(), px)? + 14;
        Ok(XLabels {
            px,
            step,
            rotated: true,
            names,
            height,
        })
    }

    /// The tick labels of the axis: the names, or none where they are
    /// written rotated by [`XLabels::draw_rotated`].
    pub(super) fn ticks(&self, colour: (u8, u8, u8)) -> Ticks<'_> {
        Ticks::names(&self.names, self.px, colour, self.step, self.rotated)
    }

    /// Write the names rotated below the axis whose bottom value is `y`
    /// (nothing if they are written across).
    pub(super) fn draw_rotated<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<Categories, Y>>,
        title: &str,
        y: f64,
        colour: (u8, u8, u8),
    ) -> Result<(), ChartError> {
        if !self.rotated {
            return Ok(());
        }
        // The step `Categories::key_points` takes for a label budget of
        // `n.div_ceil(step)`: the same names are written by both paths.
        let n = self.names.len();
        let budget = n.div_ceil(self.step.max(1)).max(1);
        let step = n.div_ceil(budget).max(1);
        let style =
            text(self.px, colour, HPos::Right, VPos::Center).transform(FontTransform::Rotate270);
        chart
            .draw_series(
                self.names
                    .iter()
                    .enumerate()
                    .step_by(step)
                    .map(|(i, name)| {
                        EmptyElement::at((i as f64, y))
                            + Text::new(name.clone(), (0, 9), style.clone())
                    }),
            )
            .map_err(fail(title))?;
        Ok(())
    }
}

/// A coordinate along an axis of [`Axes`]: numbers or [`Categories`].
pub(super) trait Axis: Ranged<ValueType = f64> + ValueFormatter<f64> {}

impl<T: Ranged<ValueType = f64> + ValueFormatter<f64>> Axis for T {}

/// Tick labels along one axis.
pub(super) struct Ticks<'a> {
    /// Font size in pixels.
    px: f64,
    colour: (u8, u8, u8),
    /// At most this many labels (`None`: plotters' default).
    count: Option<usize>,
    format: Box<dyn Fn(&f64) -> String + 'a>,
}

impl<'a> Ticks<'a> {
    /// Numbers (by [`fmt_tick`]), grey.
    pub(super) fn numbers(px: f64) -> Ticks<'a> {
        Ticks {
            px,
            colour: GREY_TEXT,
            count: None,
            format: Box::new(|v| fmt_tick(*v)),
        }
    }

    /// At most `count` labels.
    pub(super) fn at_most(self, count: usize) -> Ticks<'a> {
        Ticks {
            count: Some(count),
            ..self
        }
    }

    /// Category names on a [`Categories`] axis, every `step`-th, or empty
    /// labels if `hidden`.
    pub(super) fn names(
        names: &'a [String],
        px: f64,
        colour: (u8, u8, u8),
        step: usize,
        hidden: bool,
    ) -> Ticks<'a> {
        Ticks {
            px,
            colour,
            count: Some(names.len().div_ceil(step.max(1))),
            format: Box::new(move |v| {
                if hidden {
                    String::new()
                } else {
                    category_name(names, *v)
                }
            }),
        }
    }
}

/// Which grid lines are drawn behind the data.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Grid {
    /// Vertical and horizontal.
    Both,
    /// Horizontal only (a categorical x axis).
    Horizontal,
    /// None (heat maps).
    None,
}

/// The plot area, the axes and the grid of a chart: every kind builds its
/// coordinates and draws its mesh with this, so that all charts share the
/// margins, fonts, colours and line styles.
pub(super) struct Axes<'a> {
    /// The chart's title, for error messages.
    pub(super) title: &'a str,
    /// Margins around the plot and its label areas: top, right, bottom, left.
    pub(super) margins: [i32; 4],
    /// A caption above the plot and its font size.
    pub(super) caption: Option<(&'a str, f64)>,
    /// Height of the area below the plot for the x tick labels and description.
    pub(super) x_area: u32,
    /// Width of the area beside the plot for the y tick labels and description.
    pub(super) y_area: u32,
    /// The y labels on the right instead of the left.
    pub(super) y_on_right: bool,
    /// The description of the x axis (empty for none).
    pub(super) x_desc: &'a str,
    /// The description of the y axis (empty for none).
    pub(super) y_desc: &'a str,
    /// The font size of the descriptions.
    pub(super) desc_px: f64,
    /// The tick labels along x.
    pub(super) x_ticks: Ticks<'a>,
    /// The tick labels along y.
    pub(super) y_ticks: Ticks<'a>,
    /// The grid lines behind the data.
    pub(super) grid: Grid,
    /// Draw the x axis line and labels.
    pub(super) x_axis: bool,
}

impl<'a> Axes<'a> {
    /// Numeric ticks, a full grid, margins of 10 px (24 on the right) and
    /// no label areas yet.
    pub(super) fn new(title: &'a str, (x_desc, y_desc): (&'a str, &'a str)) -> Axes<'a> {
        Axes {
            title,
            margins: [10, 24, 10, 10],
            caption: None,
            x_area: 0,
            y_area: 0,
            y_on_right: false,
            x_desc,
            y_desc,
            desc_px: LABEL_PX,
            x_ticks: Ticks::numbers(TICK_PX),
            y_ticks: Ticks::numbers(TICK_PX),
            grid: Grid::Both,
            x_axis: true,
        }
    }

    /// The coordinates of `x` × `y` in `area`, with the grid, the axes,
    /// their tick labels and descriptions drawn.
    pub(super) fn draw<'b, DB: DrawingBackend, X: Axis, Y: Axis>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        x: X,
        y: Y,
    ) -> Result<ChartContext<'b, DB, Cartesian2d<X, Y>>, ChartError> {
        let [top, right, bottom, left] = self.margins;
        let mut builder = ChartBuilder::on(area);
        builder
            .margin_top(top)
            .margin_right(right)
            .margin_bottom(bottom)
            .margin_left(left)
            .x_label_area_size(self.x_area);
        if self.y_on_right {
            builder.right_y_label_area_size(self.y_area);
        } else {
            builder.y_label_area_size(self.y_area);
        }
        if let Some((caption, px)) = self.caption {
            builder.caption(caption, text(px, INK, HPos::Center, VPos::Top));
        }
        let mut chart = builder.build_cartesian_2d(x, y).map_err(fail(self.title))?;
        let mut mesh = chart.configure_mesh();
        match self.grid {
            Grid::Both => {}
            Grid::Horizontal => {
                mesh.disable_x_mesh();
            }
            Grid::None => {
                mesh.disable_mesh();
            }
        }
        if !self.x_axis {
            mesh.disable_x_axis();
        }
        if let Some(n) = self.x_ticks.count {
            mesh.x_labels(n);
        }
        if let Some(n) = self.y_ticks.count {
            mesh.y_labels(n);
        }
        if !self.x_desc.is_empty() {
            mesh.x_desc(self.x_desc);
        }
        if !self.y_desc.is_empty() {
            mesh.y_desc(self.y_desc);
        }
        let tick_style = |t: &Ticks<'_>| text(t.px, t.colour, HPos::Center, VPos::Center);
        mesh.axis_desc_style(text(self.desc_px, INK, HPos::Center, VPos::Center))
            .x_label_style(tick_style(&self.x_ticks))
            .y_label_style(tick_style(&self.y_ticks))
            .x_label_formatter(&*self.x_ticks.format)
            .y_label_formatter(&*self.y_ticks.format)
            .bold_line_style(RGBColor(215, 215, 215).stroke_width(1))
            .light_line_style(RGBColor(238, 238, 238).stroke_width(1))
            .max_light_lines(2)
            .axis_style(RGBColor(90, 90, 90).stroke_width(1))
            .draw()
            .map_err(fail(self.title))?;
        Ok(chart)
    }
}

impl<'a> Axes<'a> {
    /// Numbers on both axes (line charts, stacked areas): the plot in
    /// `main`, with label areas sized from `root`.
    pub(super) fn numeric<'b, DB: DrawingBackend>(
        mut self,
        root: &DrawingArea<DB, Shift>,
        main: &'b DrawingArea<DB, Shift>,
        (xr, yr): (&Range<f64>, &Range<f64>),
    ) -> Result<ChartContext<'b, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, ChartError> {
        self.x_area = if self.x_desc.is_empty() { 30 } else { 50 };
        self.y_area = y_label_area(root, yr, !self.y_desc.is_empty())?;
        self.draw(main, xr.clone().into(), yr.clone().into())
    }

    /// Named categories along x and numbers up y (box plots, bars): the
    /// plot in `main`, with label areas sized from `root`.
    pub(super) fn categorical<'b, DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        main: &'b DrawingArea<DB, Shift>,
        names: &[String],
        yr: &Range<f64>,
    ) -> Result<ChartContext<'b, DB, Cartesian2d<Categories, RangedCoordf64>>, ChartError> {
        let y_area = y_label_area(root, yr, !self.y_desc.is_empty())?;
        let (mw, mh) = main.dim_in_pixel();
        let plot_w = mw as f64 - y_area as f64 - 34.0;
        let xlabels = XLabels::plan(root, names, plot_w, TICK_PX, mh / 3)?;
        let desc_h = if self.x_desc.is_empty() {
            0
        } else {
            LABEL_PX as u32 + 18
        };
        let axes = Axes {
            x_area: xlabels.height + desc_h,
            y_area,
            x_ticks: xlabels.ticks(INK),
            grid: Grid::Horizontal,
            ..self
        };
        let x = Categories {
            n: names.len(),
            reversed: false,
        };
        let mut chart = axes.draw(main, x, yr.clone().into())?;
        xlabels.draw_rotated(&mut chart, axes.title, yr.start, INK)?;
        Ok(chart)
    }
}

/// A black horizontal line at zero from `x0` to `x1`, if zero is inside
/// the y range `yr`.
pub(super) fn zero_line<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    title: &str,
    (x0, x1): (f64, f64),
    yr: &Range<f64>,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    if yr.start < 0.0 && yr.end > 0.0 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x0, 0.0), (x1, 0.0)],
                BLACK.stroke_width(1),
            )))
            .map_err(fail(title))?;
    }
    Ok(())
}

/// `label` in `style` at the data point `at`, moved by `offset` pixels.
pub(super) fn note<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    title: &str,
    at: (f64, f64),
    offset: (i32, i32),
    label: &str,
    style: TextStyle<'static>,
) -> Result<(), ChartError>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(std::iter::once(
            EmptyElement::at(at) + Text::new(label.to_string(), offset, style),
        ))
        .map_err(fail(title))?;
    Ok(())
}
