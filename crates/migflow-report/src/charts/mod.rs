//! Chart primitives: line charts with confidence ribbons (alone or as
//! panels with their own scales), forest plots, stacked areas,
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
//!
//! Each kind of chart has its own file; they share the title and legend
//! (`frame`) and the plot area, axes and grid (`axes`), which every kind
//! builds with one builder.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle};

mod axes;
mod bars;
mod boxplot;
mod forest;
mod frame;
mod heatmap;
mod line;
mod multiples;
mod panels;
mod scatter;
mod stacked;
#[cfg(test)]
mod tests;
mod trajectory;
mod winner_map;

pub use bars::Bars;
pub use boxplot::BoxPlots;
pub use forest::{ForestPlot, ForestRow};
pub use heatmap::HeatMap;
pub use line::{LineChart, Series};
pub use multiples::SmallMultiples;
pub use panels::{LinePanels, Panel};
pub use scatter::{PointGroup, Rect, Scatter};
pub use stacked::StackedArea;
pub use trajectory::{BoxLimits, LimitRow, PeelingTrajectory, TrajectoryPoint};
pub use winner_map::WinnerMap;

/// Output size in pixels; default (960, 540) prints well at 16 cm wide.
pub const DEFAULT_SIZE: (u32, u32) = (960, 540);

/// Smallest output size accepted, in pixels.
pub const MIN_SIZE: (u32, u32) = (200, 150);

/// Largest output width and height accepted, in pixels.
const MAX_SIDE: u32 = 20_000;

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

/// Any chart this module draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Lines over a numeric x axis.
    Line(LineChart),
    /// Stacked areas.
    Stacked(StackedArea),
    /// One heat map.
    Heat(HeatMap),
    /// Box plots.
    Box(BoxPlots),
    /// Bars from zero.
    Bars(Bars),
    /// Heat maps side by side.
    Multiples(SmallMultiples),
    /// Points in named groups, with rectangles.
    Scatter(Scatter),
    /// PRIM's peeling trajectory.
    Trajectory(PeelingTrajectory),
    /// A box's limits against the factors' ranges.
    BoxLimits(BoxLimits),
    /// Estimates with intervals, one row each, against zero.
    Forest(ForestPlot),
    /// Line charts side by side, each with its own y scale.
    Panels(LinePanels),
    /// Points coloured by the category that wins there.
    WinnerMap(WinnerMap),
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
            Chart::Scatter(c) => &c.title,
            Chart::Trajectory(c) => &c.title,
            Chart::BoxLimits(c) => &c.title,
            Chart::Forest(c) => &c.title,
            Chart::Panels(c) => &c.title,
            Chart::WinnerMap(c) => &c.title,
        }
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, Clone, thiserror::Error)]
#[error("chart `{title}`: {message}")]
pub struct ChartError {
    /// The title of the chart.
    pub title: String,
    /// What is wrong with its data or size.
    pub message: String,
}

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
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), ChartError> {
    ensure_font().map_err(|m| error(chart.title(), m))?;
    match chart {
        Chart::Line(c) => line::draw(root, c),
        Chart::Stacked(c) => stacked::draw(root, c),
        Chart::Heat(c) => heatmap::draw(root, c),
        Chart::Box(c) => boxplot::draw(root, c),
        Chart::Bars(c) => bars::draw(root, c),
        Chart::Multiples(c) => multiples::draw(root, c),
        Chart::Scatter(c) => scatter::draw(root, c),
        Chart::Trajectory(c) => trajectory::draw(root, c),
        Chart::BoxLimits(c) => trajectory::draw_limits(root, c),
        Chart::Forest(c) => forest::draw(root, c),
        Chart::Panels(c) => panels::draw(root, c),
        Chart::WinnerMap(c) => winner_map::draw(root, c),
    }
}

fn prepare(chart: &Chart, size: (u32, u32)) -> Result<(), ChartError> {
    if size.0 < MIN_SIZE.0 || size.1 < MIN_SIZE.1 || size.0 > MAX_SIDE || size.1 > MAX_SIDE {
        return Err(error(
            chart.title(),
            format!(
                "size {}x{} px is outside {}x{} ..= {MAX_SIDE}x{MAX_SIDE}",
                size.0, size.1, MIN_SIZE.0, MIN_SIZE.1
            ),
        ));
    }
    ensure_font().map_err(|m| error(chart.title(), m))
}

// ---------------------------------------------------------------- text

/// Whether the embedded font registered (once per process).
static FONT: OnceLock<bool> = OnceLock::new();

/// Register the embedded DejaVu Sans as "sans-serif" (once per process).
fn ensure_font() -> Result<(), &'static str> {
    let loaded = *FONT.get_or_init(|| {
        plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        )
        .is_ok()
    });
    if loaded {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font could not be loaded")
    }
}

/// Font sizes in pixels: the title, axis descriptions, tick labels, notes.
const TITLE_PX: f64 = 24.0;
const LABEL_PX: f64 = 16.0;
const TICK_PX: f64 = 14.0;
const NOTE_PX: f64 = 13.0;
/// Text colours: ink, and grey for ticks and notes.
const INK: (u8, u8, u8) = (30, 30, 30);
const GREY_TEXT: (u8, u8, u8) = (70, 70, 70);

fn error(title: &str, message: impl Into<String>) -> ChartError {
    ChartError {
        title: title.to_string(),
        message: message.into(),
    }
}

/// An error unless there are `items` (`what`) to draw.
fn nonempty<T>(title: &str, items: &[T], what: &str) -> Result<(), ChartError> {
    if items.is_empty() {
        Err(error(title, format!("no {what} to draw")))
    } else {
        Ok(())
    }
}

/// A `map_err` adapter naming the chart.
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

// ---------------------------------------------------------------- numbers

/// Tick label: integers without decimals, others with ~5 significant digits.
fn fmt_tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    fmt_significant(v, 4, 12)
}

/// Cell value: integers as such, others with ~3 significant digits.
fn fmt_value(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    fmt_significant(v, 2, 8)
}

/// `v` without decimals if it is an integer, else with `digits − ⌊log₁₀|v|⌋`
/// decimals (at most `max_decimals`), trailing zeros dropped.
fn fmt_significant(v: f64, digits: i32, max_decimals: i32) -> String {
    let r = v.round();
    if (v - r).abs() <= 1e-9 * v.abs().max(1.0) {
        return format!("{r:.0}");
    }
    let decimals = (digits - v.abs().log10().floor() as i32).clamp(0, max_decimals) as usize;
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
