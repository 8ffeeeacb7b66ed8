//! Small multiples: heat maps in a grid, sharing one colour scale.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::heatmap::{
    self, HeatMap, Layout, Scale, draw_colour_bar, draw_panel, frame_with_colour_bar,
};
use super::{ChartError, error, nonempty};

/// Small multiples: several heat maps side by side in one image (e.g. flows
/// per year) sharing one colour scale. Each panel's own `title` is drawn as
/// a small caption above it (leave it empty for none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmallMultiples {
    /// The title above the grid.
    pub title: String,
    /// The heat maps, row by row.
    pub panels: Vec<HeatMap>,
    /// Panels per row (0 means a near-square grid).
    pub columns: usize,
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    m: &SmallMultiples,
) -> Result<(), ChartError> {
    let title = m.title.as_str();
    nonempty(title, &m.panels, "panels")?;
    for (i, p) in m.panels.iter().enumerate() {
        heatmap::check(title, p).map_err(|e| {
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
    let (grid, bar) = frame_with_colour_bar(root, title)?;
    let layout = if rows * cols > 1 {
        Layout::COMPACT
    } else {
        Layout::FULL
    };
    let cells = grid.split_evenly((rows, cols));
    for (p, cell) in m.panels.iter().zip(&cells) {
        draw_panel(cell, title, &p.title, p, &scale, &layout)?;
    }
    draw_colour_bar(&bar, title, &scale, 10, 10)
}
