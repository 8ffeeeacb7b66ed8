//! Chart primitives: line charts with confidence ribbons, stacked areas,
//! heat maps (alone or as small multiples), box plots and bar charts.
//!
//! Every chart is drawn by one generic routine over a plotters
//! `DrawingArea`, so the SVG ([`render_svg`]) and PNG ([`render_png`])
//! outputs are the same picture. Text uses the embedded DejaVu Sans font
//! (registered once as "sans-serif"), so no system font library is needed;
//! SVG output names the family `sans-serif` and leaves the choice of glyphs
//! to the viewer.
//!
//! Data are checked, never trusted: empty input is a [`ChartError`], and
//! non-finite numbers (NaN, ±∞) are skipped wherever they occur.

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle};

/// Output size in pixels; default (960, 540) prints well at 16 cm wide.
pub const DEFAULT_SIZE: (u32, u32) = (960, 540);

/// Okabe–Ito colour-blind-safe palette.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0xE6, 0x9F, 0x00), // orange
    (0x56, 0xB4, 0xE9), // sky blue
    (0x00, 0x9E, 0x73), // bluish green
    (0xF0, 0xE4, 0x42), // yellow
    (0x00, 0x72, 0xB2), // blue
    (0xD5, 0x5E, 0x00), // vermillion
    (0xCC, 0x79, 0xA7), // reddish purple
    (0x00, 0x00, 0x00), // black
];

/// A colour per livelihood name ("outbound", "local", "farm", "mixed",
/// "none", "all"; case-insensitive) from [`PALETTE`]; any other name takes
/// `PALETTE[index % 8]`.
pub fn livelihood_colour(name: &str, index: usize) -> (u8, u8, u8) {
    match name.trim().to_ascii_lowercase().as_str() {
        "outbound" => PALETTE[0],
        "local" => PALETTE[1],
        "farm" => PALETTE[2],
        "mixed" => PALETTE[6],
        "none" => PALETTE[5],
        "all" => PALETTE[7],
        _ => PALETTE[index % PALETTE.len()],
    }
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// optional 95% CI band as (x, low, high)
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// Lines over a numeric x axis (usually years), with optional ribbons,
/// shaded windows, event markers and a zero line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Shaded x-intervals with a label (policy windows), e.g. (2021.0, 2025.0, "workshops")
    pub windows: Vec<(f64, f64, String)>,
    /// Vertical markers with a label (event years)
    pub markers: Vec<(f64, String)>,
    /// Draw a horizontal zero line (for difference charts)
    pub zero_line: bool,
}

/// Stacked areas (e.g. livelihood shares over years).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackedArea {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub xs: Vec<f64>,
    /// layers bottom to top; each (name, values at xs)
    pub layers: Vec<(String, Vec<f64>)>,
}

/// A matrix of coloured cells, row names on the y axis (first row at the
/// top), column names on the x axis.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatMap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_names: Vec<String>,
    pub y_names: Vec<String>,
    /// values[y][x]
    pub values: Vec<Vec<f64>>,
    /// write each cell's value as text (counts)
    pub annotate: bool,
}

/// Box plots from precomputed five-number summaries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoxPlots {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// one box per group: (group name, [min, q1, median, q3, max])
    pub boxes: Vec<(String, [f64; 5])>,
    /// horizontal reference lines with labels (poverty line, monitoring line)
    pub lines: Vec<(f64, String)>,
}

/// Vertical bars from zero, with optional interval whiskers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bars {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// (name, value, optional (low, high) CI)
    #[allow(clippy::type_complexity)]
    pub bars: Vec<(String, f64, Option<(f64, f64)>)>,
}

/// Small multiples: several heat maps side by side in one image (e.g. flows
/// per year) sharing one colour scale. Each panel's own `title` is drawn as
/// a small caption above it (leave it empty for none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmallMultiples {
    pub title: String,
    pub panels: Vec<HeatMap>,
    /// panels per row (0 means a near-square grid)
    pub columns: usize,
}

/// Any chart this module draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Line(LineChart),
    Stacked(StackedArea),
    Heat(HeatMap),
    Box(BoxPlots),
    Bars(Bars),
    Multiples(SmallMultiples),
}

impl Chart {
    /// The chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Stacked(c) => &c.title,
            Chart::Heat(c) => &c.title,
            Chart::Box(c) => &c.title,
            Chart::Bars(c) => &c.title,
            Chart::Multiples(c) => &c.title,
        }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, thiserror::Error)]
#[error("chart `{title}`: {message}")]
pub struct ChartError {
    pub title: String,
    pub message: String,
}

/// Smallest output size accepted, in pixels.
pub const MIN_SIZE: (u32, u32) = (200, 150);

/// Render to an SVG document (a String), `size` in pixels.
pub fn render_svg(chart: &Chart, size: (u32, u32)) -> Result<String, ChartError> {
    prepare(chart, size)?;
    let title = chart.title();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root, chart)?;
        root.present().map_err(fail(title))?;
    }
    Ok(out)
}

/// Render to PNG bytes (8-bit RGB), `size` in pixels.
pub fn render_png(chart: &Chart, size: (u32, u32)) -> Result<Vec<u8>, ChartError> {
    use image::ImageEncoder;

    prepare(chart, size)?;
    let title = chart.title();
    let mut pixels = vec![255u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        draw(&root, chart)?;
        root.present().map_err(fail(title))?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, size.0, size.1, image::ColorType::Rgb8)
        .map_err(fail(title))?;
    Ok(png)
}

/// Draw `chart` on any plotters drawing area (both renderers use this).
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), ChartError> {
    ensure_font().map_err(|m| error(chart.title(), m))?;
    match chart {
        Chart::Line(c) => draw_line(root, c),
        Chart::Stacked(c) => draw_stacked(root, c),
        Chart::Heat(c) => draw_heat(root, c),
        Chart::Box(c) => draw_boxes(root, c),
        Chart::Bars(c) => draw_bars(root, c),
        Chart::Multiples(c) => draw_multiples(root, c),
    }
}

fn prepare(chart: &Chart, size: (u32, u32)) -> Result<(), ChartError> {
    if size.0 < MIN_SIZE.0 || size.1 < MIN_SIZE.1 || size.0 > 20_000 || size.1 > 20_000 {
        return Err(error(
            chart.title(),
            format!(
                "size {}x{} px is outside {}x{} ..= 20000x20000",
                size.0, size.1, MIN_SIZE.0, MIN_SIZE.1
            ),
        ));
    }
    ensure_font().map_err(|m| error(chart.title(), m))
}

// ---------------------------------------------------------------- basics

static FONT: OnceLock<Result<(), String>> = OnceLock::new();

/// Register the embedded DejaVu Sans as "sans-serif" (once per process).
fn ensure_font() -> Result<(), String> {
    FONT.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../assets/fonts/DejaVuSans.ttf"),
        )
        .map_err(|_| "the embedded DejaVu Sans font could not be loaded".to_string())
    })
    .clone()
}

const TITLE_PX: f64 = 24.0;
const LABEL_PX: f64 = 16.0;
const TICK_PX: f64 = 14.0;
const NOTE_PX: f64 = 13.0;
const INK: (u8, u8, u8) = (30, 30, 30);
const GREY_TEXT: (u8, u8, u8) = (70, 70, 70);

fn error(title: &str, message: impl Into<String>) -> ChartError {
    ChartError {
        title: title.to_string(),
        message: message.into(),
    }
}

fn fail<E: std::fmt::Display>(title: &str) -> impl Fn(E) -> ChartError + '_ {
    move |e| error(title, e.to_string())
}

fn rgb(c: (u8, u8, u8)) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Normal)
}

fn text(size: f64, colour: (u8, u8, u8), h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: font(size),
        color: rgb(colour).to_backend_color(),
        pos: Pos::new(h, v),
    }
}

fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    size: f64,
) -> Result<u32, ChartError> {
    if s.is_empty() {
        return Ok(0);
    }
    area.estimate_text_size(s, &text(size, INK, HPos::Left, VPos::Top))
        .map(|(w, _)| w)
        .map_err(|e| error("", e.to_string()))
}

fn max_text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: impl IntoIterator<Item = String>,
    size: f64,
) -> Result<u32, ChartError> {
    let mut w = 0;
    for s in items {
        w = w.max(text_width(area, &s, size)?);
    }
    Ok(w)
}

/// Tick label: integers without decimals, others with ~5 significant digits.
fn fmt_tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let r = v.round();
    if (v - r).abs() <= 1e-9 * v.abs().max(1.0) {
        return format!("{r:.0}");
    }
    let decimals = (4 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

/// Cell value: integers as such, others with ~3 significant digits.
fn fmt_value(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let r = v.round();
    if (v - r).abs() <= 1e-9 * v.abs().max(1.0) {
        return format!("{r:.0}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

fn trim_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// Min and max of the finite values, if any.
fn finite_bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A value axis from data bounds: shares (all in [0, 1]) get [0, max·1.05];
/// otherwise a 5 % margin each side, except that a side pinned at zero
/// (with `include_zero`) stays at zero.
fn value_range(
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
    if range.start.is_finite() && range.end.is_finite() && range.end > range.start {
        Ok(range)
    } else {
        Err(error(title, "values too large to draw"))
    }
}

/// An x axis spanning the data exactly (widened if it is a single value).
fn span_range(title: &str, lo: f64, hi: f64) -> Result<Range<f64>, ChartError> {
    let range = if hi > lo { lo..hi } else { lo - 0.5..hi + 0.5 };
    if range.start.is_finite() && range.end.is_finite() && range.end > range.start {
        Ok(range)
    } else {
        Err(error(title, "x values too large to draw"))
    }
}

/// Categories on an axis at 0, 1, …, n−1, each owning [i−0.5, i+0.5];
/// `reversed` puts category 0 at the far end (top of a y axis).
#[derive(Clone, Copy)]
struct Categories {
    n: usize,
    reversed: bool,
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
fn y_label_area<DB: DrawingBackend>(
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
fn row_labels(row_px: f64, max_px: f64) -> (f64, usize) {
    let px = (row_px / 1.25).floor().clamp(9.0, max_px);
    let step = (px * 1.25 / row_px.max(1.0)).ceil().max(1.0) as usize;
    (px, step)
}

/// `s` shortened with an ellipsis to fit `max_w` pixels at `px`.
fn fit_text<DB: DrawingBackend>(
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
struct XLabels {
    px: f64,
    /// every `step`-th name is written
    step: usize,
    /// written vertically (reading upwards) because they do not fit across
    rotated: bool,
    names: Vec<String>,
    /// pixels taken below the axis by the tick labels
    height: u32,
}

/// The step `Categories::key_points` takes for `n` names and a label budget
/// of `n.div_ceil(step)`: the same names are written by both paths.
fn category_step(n: usize, step: usize) -> usize {
    let budget = n.div_ceil(step.max(1)).max(1);
    n.div_ceil(budget).max(1)
}

fn plan_x_labels<DB: DrawingBackend>(
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

/// Write rotated category names below the axis whose bottom value is `y`.
fn draw_rotated_labels<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Categories, Y>>,
    title: &str,
    labels: &XLabels,
    y: f64,
    colour: (u8, u8, u8),
) -> Result<(), ChartError> {
    if !labels.rotated {
        return Ok(());
    }
    let step = category_step(labels.names.len(), labels.step);
    let style =
        text(labels.px, colour, HPos::Right, VPos::Center).transform(FontTransform::Rotate270);
    chart
        .draw_series(
            labels
                .names
                .iter()
                .enumerate()
                .step_by(step)
                .map(|(i, name)| {
                    EmptyElement::at((i as f64, y)) + Text::new(name.clone(), (0, 9), style.clone())
                }),
        )
        .map_err(fail(title))?;
    Ok(())
}

// ---------------------------------------------------------------- frame

#[derive(Clone, Copy, PartialEq)]
enum Swatch {
    Line,
    LineWithBand,
    Fill,
}

struct LegendEntry {
    name: String,
    colour: (u8, u8, u8),
    swatch: Swatch,
}

const LEGEND_ROW: i32 = 24;

/// The body of a chart and, if any, its legend column.
type Framed<DB> = (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>);

/// White background, the title on top; returns the body and, if there is a
/// legend, its column on the right.
fn frame<DB: DrawingBackend>(
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

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[LegendEntry],
    top: i32,
) -> Result<(), ChartError> {
    let f = fail(title);
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

fn mesh_line_styles() -> (ShapeStyle, ShapeStyle, ShapeStyle) {
    (
        RGBColor(215, 215, 215).stroke_width(1),
        RGBColor(238, 238, 238).stroke_width(1),
        RGBColor(90, 90, 90).stroke_width(1),
    )
}

// ---------------------------------------------------------------- lines

fn draw_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &LineChart,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    if c.series.is_empty() {
        return Err(error(title, "no series to draw"));
    }
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

    let legend: Vec<LegendEntry> = if c.series.len() >= 2 {
        c.series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                name: s.name.clone(),
                colour: livelihood_colour(&s.name, i),
                swatch: if bands[i].len() >= 2 {
                    Swatch::LineWithBand
                } else {
                    Swatch::Line
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let (main, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let yl = y_label_area(root, &yr, !c.y_label.is_empty())?;
    let mut chart = ChartBuilder::on(&main)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(if c.x_label.is_empty() { 30 } else { 50 })
        .y_label_area_size(yl)
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(&f)?;
    let (bold, light, axis) = mesh_line_styles();
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .axis_desc_style(text(LABEL_PX, INK, HPos::Center, VPos::Center))
        .label_style(text(TICK_PX, GREY_TEXT, HPos::Center, VPos::Center))
        .x_label_formatter(&|v| fmt_tick(*v))
        .y_label_formatter(&|v| fmt_tick(*v))
        .bold_line_style(bold)
        .light_line_style(light)
        .max_light_lines(2)
        .axis_style(axis)
        .draw()
        .map_err(&f)?;

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
    if c.zero_line && yr.start < 0.0 && yr.end > 0.0 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(xr.start, 0.0), (xr.end, 0.0)],
                BLACK.stroke_width(1),
            )))
            .map_err(&f)?;
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
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((*x, yr.end))
                    + Text::new(
                        label.clone(),
                        (dx, 26),
                        text(NOTE_PX, GREY_TEXT, h, VPos::Top),
                    ),
            ))
            .map_err(&f)?;
    }
    for (a, b, label) in &windows {
        chart
            .draw_series(std::iter::once(
                EmptyElement::at(((a + b) / 2.0, yr.end))
                    + Text::new(
                        label.to_string(),
                        (0, 5),
                        text(NOTE_PX, GREY_TEXT, HPos::Center, VPos::Top),
                    ),
            ))
            .map_err(&f)?;
    }
    if let Some(side) = side {
        draw_legend(&side, title, &legend, 10)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- stacked

fn draw_stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &StackedArea,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    if c.layers.is_empty() {
        return Err(error(title, "no layers to draw"));
    }
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

    let legend: Vec<LegendEntry> = if c.layers.len() >= 2 {
        c.layers
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (name, _))| LegendEntry {
                name: name.clone(),
                colour: livelihood_colour(name, i),
                swatch: Swatch::Fill,
            })
            .collect()
    } else {
        Vec::new()
    };
    let (main, side) = frame(root, title, &legend)?;
    let f = fail(title);
    let yl = y_label_area(root, &yr, !c.y_label.is_empty())?;
    let mut chart = ChartBuilder::on(&main)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(if c.x_label.is_empty() { 30 } else { 50 })
        .y_label_area_size(yl)
        .build_cartesian_2d(xr.clone(), yr.clone())
        .map_err(&f)?;
    let (bold, light, axis) = mesh_line_styles();
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .axis_desc_style(text(LABEL_PX, INK, HPos::Center, VPos::Center))
        .label_style(text(TICK_PX, GREY_TEXT, HPos::Center, VPos::Center))
        .x_label_formatter(&|v| fmt_tick(*v))
        .y_label_formatter(&|v| fmt_tick(*v))
        .bold_line_style(bold)
        .light_line_style(light)
        .max_light_lines(2)
        .axis_style(axis)
        .draw()
        .map_err(&f)?;
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
    if let Some(side) = side {
        draw_legend(&side, title, &legend, 10)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- heat maps

/// Colour scale shared by the cells and the colour bar.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    diverging: bool,
}

impl Scale {
    fn from_values(
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

fn ink_on(bg: (u8, u8, u8)) -> (u8, u8, u8) {
    let l = 0.299 * f64::from(bg.0) + 0.587 * f64::from(bg.1) + 0.114 * f64::from(bg.2);
    if l < 140.0 { (255, 255, 255) } else { INK }
}

fn check_heat(title: &str, h: &HeatMap) -> Result<(), ChartError> {
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
struct HeatLayout {
    caption_px: f64,
    tick_px: f64,
    label_px: f64,
    margin: i32,
}

fn heat_x_desc(layout: &HeatLayout, h: &HeatMap) -> u32 {
    if h.x_label.is_empty() {
        0
    } else {
        layout.label_px as u32 + 14
    }
}

/// Draws one heat map in `area`; returns the height of its x label area
/// (so that a colour bar can line up with the cells).
fn draw_heat_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    caption: &str,
    h: &HeatMap,
    scale: &Scale,
    layout: &HeatLayout,
) -> Result<u32, ChartError> {
    let f = fail(title);
    let (aw, ah) = area.dim_in_pixel();
    let (nx, ny) = (h.x_names.len(), h.y_names.len());
    let caption_h = if caption.is_empty() {
        0.0
    } else {
        layout.caption_px + 10.0
    };
    let y_desc_w = if h.y_label.is_empty() {
        0
    } else {
        layout.label_px as u32 + 14
    };
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
    let xl0 = layout.tick_px as u32 + 16 + heat_x_desc(layout, h);
    let (mut y_tick, mut y_step, mut y_names, mut yl) = plan_y(xl0)?;
    let plot_w = (aw as f64 - yl as f64 - 2.0 * layout.margin as f64).max(10.0);
    let xlabels = plan_x_labels(area, &h.x_names, plot_w, layout.tick_px, ah / 4)?;
    let xl = xlabels.height + heat_x_desc(layout, h);
    if xl != xl0 {
        (y_tick, y_step, y_names, yl) = plan_y(xl)?;
    }

    let mut builder = ChartBuilder::on(area);
    builder
        .margin(layout.margin)
        .x_label_area_size(xl)
        .y_label_area_size(yl);
    if !caption.is_empty() {
        builder.caption(
            caption,
            text(layout.caption_px, INK, HPos::Center, VPos::Top),
        );
    }
    let mut chart = builder
        .build_cartesian_2d(
            Categories {
                n: nx,
                reversed: false,
            },
            Categories {
                n: ny,
                reversed: true,
            },
        )
        .map_err(&f)?;
    let xf = |v: &f64| {
        if xlabels.rotated {
            String::new()
        } else {
            category_name(&xlabels.names, *v)
        }
    };
    let yf = |v: &f64| category_name(&y_names, *v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx.div_ceil(xlabels.step))
        .y_labels(ny.div_ceil(y_step))
        .x_desc(h.x_label.as_str())
        .y_desc(h.y_label.as_str())
        .axis_desc_style(text(layout.label_px, INK, HPos::Center, VPos::Center))
        .x_label_style(text(xlabels.px, GREY_TEXT, HPos::Center, VPos::Center))
        .y_label_style(text(y_tick, GREY_TEXT, HPos::Center, VPos::Center))
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .axis_style(RGBColor(90, 90, 90).stroke_width(1))
        .draw()
        .map_err(&f)?;
    draw_rotated_labels(&mut chart, title, &xlabels, ny as f64 - 0.5, GREY_TEXT)?;

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

fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    scale: &Scale,
    top: i32,
    bottom: i32,
) -> Result<(), ChartError> {
    let f = fail(title);
    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_bottom(bottom)
        .margin_left(8)
        .margin_right(4)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0f64..1f64, scale.lo..scale.hi)
        .map_err(&f)?;
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
        .map_err(&f)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| fmt_tick(*v))
        .label_style(text(13.0, GREY_TEXT, HPos::Center, VPos::Center))
        .axis_style(RGBColor(90, 90, 90).stroke_width(1))
        .draw()
        .map_err(&f)?;
    Ok(())
}

const COLOUR_BAR_W: i32 = 84;

fn draw_heat<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &HeatMap,
) -> Result<(), ChartError> {
    let title = h.title.as_str();
    check_heat(title, h)?;
    let scale = Scale::from_values(title, h.values.iter().flatten().copied())?;
    let (body, _) = frame(root, title, &[])?;
    let (bw, _) = body.dim_in_pixel();
    let (main, bar) = body.split_horizontally(bw as i32 - COLOUR_BAR_W);
    let layout = HeatLayout {
        caption_px: LABEL_PX,
        tick_px: TICK_PX,
        label_px: LABEL_PX,
        margin: 10,
    };
    let xl = draw_heat_panel(&main, title, "", h, &scale, &layout)?;
    draw_colour_bar(
        &bar,
        title,
        &scale,
        layout.margin,
        layout.margin + xl as i32,
    )
}

fn draw_multiples<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &SmallMultiples,
) -> Result<(), ChartError> {
    let title = m.title.as_str();
    if m.panels.is_empty() {
        return Err(error(title, "no panels to draw"));
    }
    for (i, p) in m.panels.iter().enumerate() {
        check_heat(title, p).map_err(|e| {
            error(
                title,
                format!("panel {} (`{}`): {}", i + 1, p.title, e.message),
            )
        })?;
    }
    let scale = Scale::from_values(
        title,
        m.panels
            .iter()
            .flat_map(|p| p.values.iter().flatten().copied()),
    )?;
    let n = m.panels.len();
    let cols = if m.columns == 0 {
        (n as f64).sqrt().ceil() as usize
    } else {
        m.columns.min(n)
    };
    let rows = n.div_ceil(cols);
    let (body, _) = frame(root, title, &[])?;
    let (bw, _) = body.dim_in_pixel();
    let (grid, bar) = body.split_horizontally(bw as i32 - COLOUR_BAR_W);
    let compact = rows * cols > 1;
    let layout = if compact {
        HeatLayout {
            caption_px: 15.0,
            tick_px: 11.0,
            label_px: 12.0,
            margin: 6,
        }
    } else {
        HeatLayout {
            caption_px: LABEL_PX,
            tick_px: TICK_PX,
            label_px: LABEL_PX,
            margin: 10,
        }
    };
    let cells = grid.split_evenly((rows, cols));
    for (p, cell) in m.panels.iter().zip(&cells) {
        draw_heat_panel(cell, title, &p.title, p, &scale, &layout)?;
    }
    draw_colour_bar(&bar, title, &scale, 10, 10)
}

// ---------------------------------------------------------------- boxes and bars

/// Frame, mesh and categorical x axis shared by box plots and bars.
fn category_chart<'a, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    main: &'a DrawingArea<DB, Shift>,
    title: &str,
    (x_label, y_label): (&str, &str),
    names: &[String],
    yr: &Range<f64>,
) -> Result<ChartContext<'a, DB, Cartesian2d<Categories, RangedCoordf64>>, ChartError> {
    let f = fail(title);
    let yl = y_label_area(root, yr, !y_label.is_empty())?;
    let (mw, mh) = main.dim_in_pixel();
    let xlabels = plan_x_labels(root, names, mw as f64 - yl as f64 - 34.0, TICK_PX, mh / 3)?;
    let x_desc_h = if x_label.is_empty() {
        0
    } else {
        LABEL_PX as u32 + 18
    };
    let mut chart = ChartBuilder::on(main)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(xlabels.height + x_desc_h)
        .y_label_area_size(yl)
        .build_cartesian_2d(
            Categories {
                n: names.len(),
                reversed: false,
            },
            yr.clone(),
        )
        .map_err(&f)?;
    let (bold, light, axis) = mesh_line_styles();
    let xf = |v: &f64| {
        if xlabels.rotated {
            String::new()
        } else {
            category_name(&xlabels.names, *v)
        }
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len().div_ceil(xlabels.step))
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style(text(LABEL_PX, INK, HPos::Center, VPos::Center))
        .x_label_style(text(xlabels.px, INK, HPos::Center, VPos::Center))
        .y_label_style(text(TICK_PX, GREY_TEXT, HPos::Center, VPos::Center))
        .x_label_formatter(&xf)
        .y_label_formatter(&|v| fmt_tick(*v))
        .bold_line_style(bold)
        .light_line_style(light)
        .max_light_lines(2)
        .axis_style(axis)
        .draw()
        .map_err(&f)?;
    draw_rotated_labels(&mut chart, title, &xlabels, yr.start, INK)?;
    Ok(chart)
}

fn draw_boxes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &BoxPlots,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    if c.boxes.is_empty() {
        return Err(error(title, "no boxes to draw"));
    }
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
    let mut chart = category_chart(root, &main, title, (&c.x_label, &c.y_label), &names, &yr)?;
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
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((n - 0.5, *line_y))
                    + Text::new(
                        label.clone(),
                        (-4, -4),
                        text(NOTE_PX, GREY_TEXT, HPos::Right, VPos::Bottom),
                    ),
            ))
            .map_err(&f)?;
    }
    Ok(())
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Bars,
) -> Result<(), ChartError> {
    let title = c.title.as_str();
    if c.bars.is_empty() {
        return Err(error(title, "no bars to draw"));
    }
    let cis: Vec<Option<(f64, f64)>> = c
        .bars
        .iter()
        .map(|(_, _, ci)| {
            ci.filter(|(l, h)| l.is_finite() && h.is_finite())
                .map(|(l, h)| (l.min(h), l.max(h)))
        })
        .collect();
    let values = c.bars.iter().map(|b| b.1);
    if finite_bounds(values.clone()).is_none() {
        return Err(error(title, "no bar with a finite value"));
    }
    let Some((y0, y1)) =
        finite_bounds(values.chain(cis.iter().flatten().flat_map(|(l, h)| [*l, *h])))
    else {
        return Err(error(title, "no bar with a finite value"));
    };
    let yr = value_range(title, y0, y1, true)?;
    let names: Vec<String> = c.bars.iter().map(|(n, _, _)| n.clone()).collect();
    let (main, _) = frame(root, title, &[])?;
    let f = fail(title);
    let mut chart = category_chart(root, &main, title, (&c.x_label, &c.y_label), &names, &yr)?;
    for (i, (name, v, _)) in c.bars.iter().enumerate() {
        let x = i as f64;
        if v.is_finite() {
            let colour = rgb(livelihood_colour(name, i));
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.32, 0.0), (x + 0.32, *v)],
                    colour.filled(),
                )))
                .map_err(&f)?;
        }
        if let Some((lo, hi)) = cis[i] {
            let style = RGBColor(30, 30, 30).stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], style),
                    PathElement::new(vec![(x - 0.1, lo), (x + 0.1, lo)], style),
                    PathElement::new(vec![(x - 0.1, hi), (x + 0.1, hi)], style),
                ])
                .map_err(&f)?;
        }
    }
    if yr.start < 0.0 && yr.end > 0.0 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(-0.5, 0.0), (names.len() as f64 - 0.5, 0.0)],
                BLACK.stroke_width(1),
            )))
            .map_err(&f)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- tests

#[cfg(test)]
mod tests {
    use super::*;

    fn line_chart() -> LineChart {
        let years: Vec<f64> = (2015..=2035).map(f64::from).collect();
        let series = ["outbound", "local", "farm"]
            .iter()
            .enumerate()
            .map(|(k, name)| Series {
                name: name.to_string(),
                points: years
                    .iter()
                    .map(|&y| (y, 0.2 + 0.1 * k as f64 + 0.005 * (y - 2015.0)))
                    .collect(),
                band: (k == 0).then(|| {
                    years
                        .iter()
                        .map(|&y| {
                            let m = 0.2 + 0.005 * (y - 2015.0);
                            (y, m - 0.03, m + 0.03)
                        })
                        .collect()
                }),
            })
            .collect();
        LineChart {
            title: "Livelihood shares by year".into(),
            x_label: "Year".into(),
            y_label: "Share of households".into(),
            series,
            windows: vec![(2021.0, 2025.0, "workshops".into())],
            markers: vec![(2028.0, "flood".into())],
            zero_line: false,
        }
    }

    fn stacked() -> StackedArea {
        let xs: Vec<f64> = (2015..=2035).map(f64::from).collect();
        let names = ["outbound", "local", "farm", "mixed", "none"];
        let layers = names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let v = xs
                    .iter()
                    .map(|x| (0.1 + 0.02 * k as f64) + 0.002 * (x - 2015.0) * (k as f64 - 2.0))
                    .collect();
                (n.to_string(), v)
            })
            .collect();
        StackedArea {
            title: "Livelihood mix".into(),
            x_label: "Year".into(),
            y_label: "Share of households".into(),
            xs,
            layers,
        }
    }

    fn heat(title: &str, scale: f64) -> HeatMap {
        let names: Vec<String> = ["outbound", "local", "farm", "mixed", "none"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let values = (0..5)
            .map(|i| {
                (0..5)
                    .map(|j| {
                        ((i * 7 + j * 13) % 40) as f64 * scale + if i == j { 300.0 } else { 0.0 }
                    })
                    .collect()
            })
            .collect();
        HeatMap {
            title: title.into(),
            x_label: "Livelihood after".into(),
            y_label: "Livelihood before".into(),
            x_names: names.clone(),
            y_names: names,
            values,
            annotate: true,
        }
    }

    fn boxes() -> BoxPlots {
        BoxPlots {
            title: "Household income by livelihood".into(),
            x_label: "Livelihood".into(),
            y_label: "Income per head (yuan/year)".into(),
            boxes: vec![
                (
                    "outbound".into(),
                    [3000.0, 6000.0, 8000.0, 11000.0, 18000.0],
                ),
                ("local".into(), [2500.0, 5000.0, 6500.0, 8000.0, 12000.0]),
                ("farm".into(), [1500.0, 3000.0, 4200.0, 5500.0, 9000.0]),
                ("none".into(), [800.0, 1800.0, 2600.0, 3500.0, 6000.0]),
            ],
            lines: vec![
                (4000.0, "poverty line".into()),
                (6000.0, "monitoring line".into()),
            ],
        }
    }

    fn bars() -> Bars {
        Bars {
            title: "Poverty return rate by scenario".into(),
            x_label: "Scenario".into(),
            y_label: "Households returned to poverty (%)".into(),
            bars: vec![
                ("baseline".into(), 6.2, Some((5.1, 7.4))),
                ("workshops".into(), 4.8, Some((3.9, 5.9))),
                ("subsidy".into(), 3.1, Some((2.4, 3.9))),
                ("both".into(), 2.2, None),
            ],
        }
    }

    fn multiples() -> SmallMultiples {
        SmallMultiples {
            title: "Livelihood flows per year".into(),
            panels: (0..6)
                .map(|k| heat(&format!("{}", 2020 + k), 1.0 + k as f64 * 0.3))
                .collect(),
            columns: 3,
        }
    }

    fn png_size(png: &[u8]) -> (u32, u32) {
        let img =
            image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("decodes");
        (img.width(), img.height())
    }

    #[test]
    fn svg_line_chart_has_title_legend_labels_and_band() {
        let c = line_chart();
        let svg = render_svg(&Chart::Line(c.clone()), DEFAULT_SIZE).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for needle in [
            "Livelihood shares by year",
            "outbound",
            "local",
            "farm",
            "Year",
            "Share of households",
            "workshops",
            "flood",
        ] {
            assert!(
                svg.contains(&format!(">{needle}<")) || svg.contains(needle),
                "missing {needle}"
            );
        }
        assert!(svg.contains("<polygon"), "band polygon missing");
    }

    #[test]
    fn stacked_area_has_one_filled_layer_per_name() {
        let c = stacked();
        let svg = render_svg(&Chart::Stacked(c.clone()), DEFAULT_SIZE).unwrap();
        assert_eq!(svg.matches("<polygon").count(), c.layers.len());
        for (name, _) in &c.layers {
            assert!(svg.contains(name.as_str()), "legend lacks {name}");
        }
    }

    #[test]
    fn heat_map_annotates_counts() {
        let h = heat("Livelihood transitions", 1.0);
        let svg = render_svg(&Chart::Heat(h.clone()), DEFAULT_SIZE).unwrap();
        for row in &h.values {
            for v in row {
                let t = fmt_value(*v);
                assert!(
                    svg.contains(&format!(">{t}<")) || svg.contains(&format!(">\n{t}\n<")),
                    "count {t} missing"
                );
            }
        }
        assert!(svg.contains("Livelihood after") && svg.contains("Livelihood before"));
    }

    #[test]
    fn png_rendering_has_signature_and_requested_size() {
        for (chart, size) in [
            (Chart::Line(line_chart()), DEFAULT_SIZE),
            (Chart::Heat(heat("t", 1.0)), (640, 480)),
            (Chart::Bars(bars()), (401, 301)),
        ] {
            let png = render_png(&chart, size).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            assert_eq!(png_size(&png), size);
        }
    }

    #[test]
    fn empty_series_is_an_error() {
        let mut c = line_chart();
        c.series.clear();
        let e = render_svg(&Chart::Line(c.clone()), DEFAULT_SIZE).unwrap_err();
        assert!(e.to_string().contains(&c.title), "{e}");
        c.series = vec![Series {
            name: "a".into(),
            points: vec![],
            band: None,
        }];
        assert!(render_png(&Chart::Line(c), DEFAULT_SIZE).is_err());
        let nan_only = Series {
            name: "a".into(),
            points: vec![(f64::NAN, 1.0), (2.0, f64::INFINITY)],
            band: None,
        };
        let c = LineChart {
            title: "x".into(),
            series: vec![nan_only],
            ..Default::default()
        };
        assert!(render_svg(&Chart::Line(c), DEFAULT_SIZE).is_err());
        assert!(render_svg(&Chart::Stacked(StackedArea::default()), DEFAULT_SIZE).is_err());
        assert!(render_svg(&Chart::Heat(HeatMap::default()), DEFAULT_SIZE).is_err());
        assert!(render_svg(&Chart::Box(BoxPlots::default()), DEFAULT_SIZE).is_err());
        assert!(render_svg(&Chart::Bars(Bars::default()), DEFAULT_SIZE).is_err());
        assert!(render_svg(&Chart::Multiples(SmallMultiples::default()), DEFAULT_SIZE).is_err());
        let mut ragged = heat("r", 1.0);
        ragged.values[2].pop();
        assert!(render_svg(&Chart::Heat(ragged), DEFAULT_SIZE).is_err());
        assert!(render_svg(&Chart::Line(line_chart()), (10, 10)).is_err());
    }

    #[test]
    fn nan_values_are_skipped() {
        let mut c = line_chart();
        c.series[0].points[3].1 = f64::NAN;
        c.series[1].points[5].0 = f64::INFINITY;
        c.series[2].points[7].1 = f64::NEG_INFINITY;
        if let Some(b) = c.series[0].band.as_mut() {
            b[4].1 = f64::NAN;
        }
        c.windows.push((f64::NAN, 2020.0, "bad".into()));
        c.markers.push((f64::INFINITY, "bad marker".into()));
        let svg = render_svg(&Chart::Line(c.clone()), DEFAULT_SIZE).unwrap();
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "non-finite leaked"
        );
        assert!(!svg.contains("bad marker"));
        render_png(&Chart::Line(c), (480, 320)).unwrap();

        let mut s = stacked();
        s.layers[1].1[2] = f64::NAN;
        s.xs[4] = f64::NAN;
        render_svg(&Chart::Stacked(s), DEFAULT_SIZE).unwrap();
        let mut h = heat("h", 1.0);
        h.values[1][1] = f64::NAN;
        let svg = render_svg(&Chart::Heat(h), DEFAULT_SIZE).unwrap();
        assert!(!svg.contains("NaN"));
        let mut b = boxes();
        b.boxes[1].1[2] = f64::NAN;
        b.lines.push((f64::NAN, "nan line".into()));
        let svg = render_svg(&Chart::Box(b), DEFAULT_SIZE).unwrap();
        assert!(!svg.contains("nan line"));
        let mut r = bars();
        r.bars[0].1 = f64::NAN;
        r.bars[1].2 = Some((f64::NAN, 3.0));
        render_svg(&Chart::Bars(r), DEFAULT_SIZE).unwrap();
    }

    #[test]
    fn every_chart_kind_renders_both_formats() {
        let single = LineChart {
            title: "Difference from baseline".into(),
            x_label: "Year".into(),
            y_label: "Percentage points".into(),
            series: vec![Series {
                name: "workshops − baseline".into(),
                points: (0..15)
                    .map(|i| (2020.0 + i as f64, (i as f64 - 5.0) * 0.4))
                    .collect(),
                band: Some(
                    (0..15)
                        .map(|i| {
                            (
                                2020.0 + i as f64,
                                (i as f64 - 5.0) * 0.4 - 1.0,
                                (i as f64 - 5.0) * 0.4 + 1.0,
                            )
                        })
                        .collect(),
                ),
            }],
            windows: vec![],
            markers: vec![(2024.0, "policy start".into())],
            zero_line: true,
        };
        let charts = [
            ("line", Chart::Line(line_chart())),
            ("difference", Chart::Line(single)),
            ("stacked", Chart::Stacked(stacked())),
            (
                "heat",
                Chart::Heat(heat("Livelihood transitions, 2015–2035 (households)", 1.0)),
            ),
            ("box", Chart::Box(boxes())),
            ("bars", Chart::Bars(bars())),
            ("multiples", Chart::Multiples(multiples())),
        ];
        let dir = std::env::var_os("MIGFLOW_CHART_DIR").map(std::path::PathBuf::from);
        for (name, chart) in &charts {
            let svg = render_svg(chart, DEFAULT_SIZE).unwrap();
            assert!(svg.contains(chart.title()), "{name}: title missing");
            let png = render_png(chart, DEFAULT_SIZE).unwrap();
            assert_eq!(png_size(&png), DEFAULT_SIZE);
            if let Some(dir) = &dir {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join(format!("{name}.svg")), &svg).unwrap();
                std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
            }
        }
    }

    #[test]
    fn edge_cases_do_not_panic() {
        let one = |title: &str, pts: Vec<(f64, f64)>| {
            Chart::Line(LineChart {
                title: title.into(),
                series: vec![Series {
                    name: "all".into(),
                    points: pts,
                    band: None,
                }],
                windows: vec![(0.0, 10.0, "w".into())],
                markers: vec![(1.0, "m".into())],
                zero_line: true,
                ..Default::default()
            })
        };
        let long: Vec<String> = (0..60)
            .map(|i| format!("village with a long name {i}"))
            .collect();
        let charts = vec![
            one("single point", vec![(1.0, 5.0)]),
            one("constant", vec![(1.0, 5.0), (2.0, 5.0)]),
            one("zeros", vec![(1.0, 0.0), (2.0, 0.0)]),
            one("huge", vec![(1.0, 1e300), (2.0, -1e300)]),
            one("overflow", vec![(1.0, f64::MAX), (2.0, -f64::MAX)]),
            Chart::Stacked(StackedArea {
                title: "one x".into(),
                xs: vec![3.0],
                layers: vec![("a".into(), vec![1.0]), ("b".into(), vec![f64::NAN])],
                ..Default::default()
            }),
            Chart::Heat(HeatMap {
                title: "1x1".into(),
                x_names: vec!["a".into()],
                y_names: vec!["b".into()],
                values: vec![vec![-2.5]],
                annotate: true,
                ..Default::default()
            }),
            Chart::Heat(HeatMap {
                title: "60x60".into(),
                x_names: long.clone(),
                y_names: long.clone(),
                values: (0..60)
                    .map(|i| (0..60).map(|j| (i * j) as f64).collect())
                    .collect(),
                annotate: true,
                ..Default::default()
            }),
            Chart::Bars(Bars {
                title: "many".into(),
                bars: long
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.clone(), i as f64 - 30.0, None))
                    .collect(),
                ..Default::default()
            }),
            Chart::Box(BoxPlots {
                title: "one box".into(),
                boxes: vec![("x".into(), [5.0, 4.0, 3.0, 2.0, 1.0])],
                ..Default::default()
            }),
            Chart::Multiples(SmallMultiples {
                columns: 0,
                ..multiples()
            }),
            Chart::Multiples(SmallMultiples {
                columns: 99,
                ..multiples()
            }),
        ];
        let dir = std::env::var_os("MIGFLOW_CHART_DIR").map(std::path::PathBuf::from);
        for (k, c) in charts.iter().enumerate() {
            if let (Some(dir), Ok(png)) = (&dir, render_png(c, DEFAULT_SIZE)) {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join(format!("edge{k}.png")), png).unwrap();
            }
            for size in [MIN_SIZE, DEFAULT_SIZE] {
                let svg = render_svg(c, size);
                let png = render_png(c, size);
                if c.title() == "huge" {
                    // Either outcome is fine; not panicking is the point.
                    assert_eq!(svg.is_ok(), png.is_ok());
                } else {
                    let expect_ok = c.title() != "overflow";
                    assert_eq!(svg.is_ok(), expect_ok, "{}: {:?}", c.title(), svg.err());
                    assert_eq!(png.is_ok(), expect_ok, "{}: {:?}", c.title(), png.err());
                }
            }
        }
    }

    #[test]
    fn colours_and_formatting() {
        assert_eq!(livelihood_colour("Outbound", 5), PALETTE[0]);
        assert_eq!(livelihood_colour("village 9", 9), PALETTE[1]);
        assert_eq!(fmt_tick(2020.0), "2020");
        assert_eq!(fmt_tick(0.15000000000000002), "0.15");
        assert_eq!(fmt_tick(-0.0), "0");
        assert_eq!(fmt_value(12.0), "12");
        assert_eq!(fmt_value(0.4567), "0.457");
        let r = value_range("t", 0.2, 0.6, false).unwrap();
        assert!(r.start == 0.0 && (r.end - 0.63).abs() < 1e-12);
        let r = value_range("t", 10.0, 20.0, false).unwrap();
        assert!((r.start - 9.5).abs() < 1e-12 && (r.end - 20.5).abs() < 1e-12);
    }
}
