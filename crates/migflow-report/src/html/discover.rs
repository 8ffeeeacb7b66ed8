//! Scenario discovery (`migflow discover`): its charts, and the section of
//! the sweep report that shows them.
//!
//! [`figures`] draws the charts of a discovery; `migflow discover` writes
//! them and [`section`] shows the same ones. The section is made from the
//! discovery that `DISCOVER_DIR/manifest.json` records (its sweep, outcome,
//! condition and options), run again on the sweep: the analysis is
//! deterministic, so the numbers and charts are those of the files, and a
//! `runs.csv` changed since is said.

use maud::{Markup, html};
use migflow_analysis::discover::{
    self as sd, Column, Condition, Discovery, Limit, Method, Options, PrimOptions, PrimResult,
};
use std::path::{Path, PathBuf};

use super::inline_svg;
use crate::build::{Figure, Figures, Section};
use crate::charts::{
    BoxLimits, Chart, DEFAULT_SIZE, LimitRow, PeelingTrajectory, PointGroup, Rect, Scatter,
    TrajectoryPoint,
};

/// The most pairwise scatter plots drawn (of the restricted factors).
pub const MAX_PAIRS: usize = 3;

fn figure(name: &str, chart: Chart, caption: String) -> Figure {
    Figure {
        name: name.to_string(),
        chart,
        size: DEFAULT_SIZE,
        caption,
        section: Section::Sweep,
    }
}

/// A factor's value in a row as a number on its axis: the value, or a
/// category's index.
fn coordinate(col: &Column, i: usize) -> f64 {
    match col {
        Column::Numeric { values, .. } => values[i],
        Column::Categorical { codes, .. } => codes[i] as f64,
    }
}

/// A limit as an interval on the factor's axis ([`coordinate`]); a set of
/// categories as the span from its first to its last index.
fn interval(l: &Limit) -> (f64, f64) {
    match l {
        Limit::Range(a, b) => (*a, *b),
        Limit::Set(s) => {
            let lo = s.first().copied().unwrap_or(0) as f64;
            let hi = s.last().copied().unwrap_or(0) as f64;
            (lo - 0.4, hi + 0.4)
        }
    }
}

fn prim_figures(d: &Discovery, p: &PrimResult, figs: &mut Figures) {
    let t = &p.trajectory;
    let chart = PeelingTrajectory {
        title: format!("PRIM peeling trajectory: {}", d.options.outcome),
        points: t
            .stats
            .iter()
            .map(|s| TrajectoryPoint {
                coverage: s.coverage,
                density: s.density,
                res_dim: s.res_dim,
            })
            .collect(),
        chosen: Some(p.chosen),
    };
    figs.figures.push(figure(
        "discover_trajectory",
        Chart::Trajectory(chart),
        format!(
            "Each box of PRIM's peeling and pasting trajectory: the share of all cases it holds (coverage) against the share of its points that are cases (density), coloured by how many factors it restricts. Box {} is chosen.",
            p.chosen
        ),
    ));
    let table = &d.cases.table;
    let lims = &t.boxes[p.chosen];
    let restricted: Vec<usize> = (0..lims.len())
        .filter(|&j| lims[j] != p.initial[j])
        .collect();
    if restricted.is_empty() {
        figs.notes
            .push("the chosen box restricts no factor: no limits or scatter plots to draw".into());
        return;
    }
    let rows = restricted
        .iter()
        .map(|&j| {
            let col = &table.columns[j];
            let span = match (&lims[j], &p.initial[j]) {
                (Limit::Range(lo, hi), Limit::Range(min, max)) if max > min => {
                    ((lo - min) / (max - min), (hi - min) / (max - min))
                }
                (Limit::Set(s), Limit::Set(all)) if !all.is_empty() => {
                    (0.0, s.len() as f64 / all.len() as f64)
                }
                _ => (0.0, 1.0),
            };
            LimitRow {
                name: table.names[j].clone(),
                box_span: span,
                label: format!(
                    "{} of {}",
                    sd::limit_text(col, &lims[j]),
                    sd::limit_text(col, &p.initial[j])
                ),
            }
        })
        .collect();
    figs.figures.push(figure(
        "discover_box_limits",
        Chart::BoxLimits(BoxLimits {
            title: format!("Box {}: limits of the restricted factors", p.chosen),
            rows,
        }),
        "The chosen box on each factor it restricts (dark), against the factor's full range in the sweep (light), as shares of that range; a categorical factor shows the share of its categories kept.".into(),
    ));
    let mut pairs = Vec::new();
    for (a, &i) in restricted.iter().enumerate() {
        for &j in &restricted[a + 1..] {
            pairs.push((i, j));
        }
    }
    for (n, (i, j)) in pairs.into_iter().take(MAX_PAIRS).enumerate() {
        let (ci, cj) = (&table.columns[i], &table.columns[j]);
        let rows = 0..d.cases.points.len();
        let group = |case: bool, name: &str| PointGroup {
            name: name.into(),
            points: rows
                .clone()
                .filter(|&r| d.cases.cases[r] == case)
                .map(|r| (coordinate(ci, r), coordinate(cj, r)))
                .collect(),
        };
        let label = |k: usize, col: &Column| match col {
            Column::Categorical { levels, .. } => {
                format!("{} (categories 0–{})", table.names[k], levels.len() - 1)
            }
            Column::Numeric { .. } => table.names[k].clone(),
        };
        let ranges = (interval(&p.initial[i]), interval(&p.initial[j]));
        figs.figures.push(figure(
            &format!("discover_scatter_{}", n + 1),
            Chart::Scatter(Scatter {
                title: format!("{} and {}", table.names[i], table.names[j]),
                x_label: label(i, ci),
                y_label: label(j, cj),
                groups: vec![group(false, "not a case"), group(true, "case")],
                rects: vec![Rect {
                    x: interval(&lims[i]),
                    y: interval(&lims[j]),
                    label: format!("box {}", p.chosen),
                }],
                ranges: Some(ranges),
            }),
            format!(
                "The design points over two restricted factors, cases ({} {}) apart from the rest, and the chosen box.",
                d.options.outcome, d.options.condition
            ),
        ));
    }
}

/// The charts of a discovery: for PRIM, the peeling trajectory, the chosen
/// box's limits and up to [`MAX_PAIRS`] scatter plots of its restricted
/// factors; for CART, a scatter plot of the two factors the tree uses
/// first, with its case-dominated leaves.
pub fn figures(d: &Discovery) -> Figures {
    let mut figs = Figures::default();
    if let Some(p) = &d.prim {
        prim_figures(d, p, &mut figs);
    }
    if let Some(leaves) = &d.leaves {
        let table = &d.cases.table;
        let mut used: Vec<usize> = Vec::new();
        for l in leaves {
            for (j, b) in l.bounds.iter().enumerate() {
                if *b != sd::Bound::Free && !used.contains(&j) {
                    used.push(j);
                }
            }
        }
        used.sort_unstable();
        if let [i, j, ..] = used[..] {
            let init = sd::prim::initial_box(table);
            let (ci, cj) = (&table.columns[i], &table.columns[j]);
            let rows = 0..d.cases.points.len();
            let group = |case: bool, name: &str| PointGroup {
                name: name.into(),
                points: rows
                    .clone()
                    .filter(|&r| d.cases.cases[r] == case)
                    .map(|r| (coordinate(ci, r), coordinate(cj, r)))
                    .collect(),
            };
            let rects = leaves
                .iter()
                .enumerate()
                .filter(|(_, l)| l.case_dominated())
                .map(|(k, l)| {
                    let b = l.as_box(table);
                    Rect {
                        x: interval(&b[i]),
                        y: interval(&b[j]),
                        label: format!("leaf {k}"),
                    }
                })
                .collect();
            figs.figures.push(figure(
                "discover_cart",
                Chart::Scatter(Scatter {
                    title: format!("CART leaves over {} and {}", table.names[i], table.names[j]),
                    x_label: table.names[i].clone(),
                    y_label: table.names[j].clone(),
                    groups: vec![group(false, "not a case"), group(true, "case")],
                    rects,
                    ranges: Some((interval(&init[i]), interval(&init[j]))),
                }),
                "The design points over the first two factors the tree splits on, and its case-dominated leaves (other factors' limits not shown).".into(),
            ));
        } else {
            figs.notes
                .push("the tree splits on fewer than two factors: no scatter plot".into());
        }
    }
    figs
}

/// The charts of a discovery as SVG files (name, bytes), and a note for
/// each chart that could not be drawn.
pub fn charts(d: &Discovery) -> (Vec<(String, Vec<u8>)>, Vec<String>) {
    let figs = figures(d);
    let mut notes = figs.notes.clone();
    let mut files = Vec::new();
    for f in &figs.figures {
        match f.svg() {
            Ok(svg) => files.push((format!("{}.svg", f.name), svg.into_bytes())),
            Err(e) => notes.push(format!("{}.svg not drawn: {e}", f.name)),
        }
    }
    (files, notes)
}

/// The options a discovery's manifest records.
fn recorded(manifest: &serde_json::Value) -> Option<(Options, Option<PathBuf>)> {
    let o = manifest.get("options")?;
    let s = |k: &str| o.get(k).and_then(|v| v.as_str());
    let f = |k: &str| o.get(k).and_then(|v| v.as_f64());
    let method = match s("method")? {
        "cart" => Method::Cart,
        _ => Method::Prim,
    };
    let opts = Options {
        outcome: s("outcome")?.to_string(),
        condition: Condition::parse(s("condition")?).ok()?,
        policy: s("policy").map(str::to_string),
        method,
        prim: PrimOptions {
            peel_alpha: f("peel_alpha")?,
            paste_alpha: f("paste_alpha")?,
            mass_min: f("mass_min")?,
            threshold: f("threshold")?,
        },
        box_index: o
            .get("chosen_box")
            .and_then(|v| v.as_u64())
            .map(|v| v as usize),
        max_depth: o.get("max_depth").and_then(|v| v.as_u64())? as usize,
    };
    let sweep = manifest
        .get("sweep")
        .and_then(|s| s.get("path"))
        .and_then(|p| p.as_str())
        .map(PathBuf::from);
    Some((opts, sweep))
}

/// The report's section on the discovery written to `dir` (the output
/// directory of `migflow discover`), or `None` if `dir` holds none. A
/// discovery that cannot be made again (its sweep moved or changed) is
/// said in the section.
pub fn section(dir: &Path) -> Option<Markup> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    if manifest.get("analysis").and_then(|a| a.as_str()) != Some("discover") {
        return None;
    }
    let problem = |message: String| Some(html! { p { (path.display()) ": " (message) } });
    let Some((opts, sweep)) = recorded(&manifest) else {
        return problem("records no complete set of discovery options".into());
    };
    // The recorded path, else the directory above (the default layout,
    // SWEEP_DIR/discover, moved as a whole).
    let sweep_dir = sweep
        .filter(|p| migflow_io::columnar::present_table(p, "runs.csv").is_file())
        .or_else(|| dir.parent().map(Path::to_path_buf))?;
    let d = match sd::analyze(&sweep_dir, &opts) {
        Ok(d) => d,
        Err(e) => return problem(format!("the discovery cannot be made again: {e}")),
    };
    let recorded_sha = manifest
        .get("sweep")
        .and_then(|s| s.get("runs_csv_sha256"))
        .and_then(|s| s.as_str());
    let stale = recorded_sha.is_some_and(|r| r != d.runs_sha256);
    let figs = figures(&d);
    let mut shown = Vec::new();
    for (n, f) in figs.figures.iter().enumerate() {
        let Ok(svg) = f.svg() else { continue };
        shown.push(html! {
            figure id={ "fig-" (f.name) } {
                (inline_svg(&svg, f.chart.title()))
                figcaption { b { "Figure D" (n + 1) "." } " " (f.caption) }
            }
        });
    }
    Some(render(&d, stale, &shown, &figs.notes))
}

fn render(d: &Discovery, stale: bool, figures: &[Markup], chart_notes: &[String]) -> Markup {
    let c = &d.cases;
    let k = c.cases.iter().filter(|x| **x).count();
    html! {
        p {
            "Scenario discovery: which factor combinations lead to the cases of interest, "
            "the " (k) " of " (c.points.len()) " design points where the mean of "
            code { (d.options.outcome) } " over the completed replicates is "
            (d.options.condition.to_string())
            @if let Some(p) = &d.options.policy { " (policy " code { (p) } ")" }
            "."
        }
        @if stale {
            p { "Note: the sweep's runs.csv changed since the discovery was written; this section shows the discovery made again on it." }
        }
        @if let Some(p) = &d.prim {
            @let s = &p.trajectory.stats[p.chosen];
            p {
                "PRIM (as the EMA Workbench 2.5.3): box " (p.chosen) " of " (p.trajectory.stats.len())
                ", coverage " (format!("{:.3}", s.coverage)) ", density " (format!("{:.3}", s.density))
                ", mass " (format!("{:.3}", s.mass)) ", " (s.res_dim) " restricted factor(s)."
            }
            table {
                thead { tr { th { "factor" } th { "box" } th { "full range" } th { "quasi-p" } } }
                tbody {
                    @for j in 0..c.table.names.len() {
                        @let l = &p.trajectory.boxes[p.chosen][j];
                        @if *l != p.initial[j] {
                            @let col = &c.table.columns[j];
                            tr {
                                td { (c.table.names[j]) }
                                td { (sd::limit_text(col, l)) }
                                td { (sd::limit_text(col, &p.initial[j])) }
                                td { ([p.qp[j].0, p.qp[j].1].iter().flatten().map(|q| format!("{q:.2e}")).collect::<Vec<_>>().join(", ")) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(leaves) = &d.leaves {
            table {
                thead { tr { th { "leaf" } th { "coverage" } th { "density" } th { "mass" } th { "rule" } } }
                tbody {
                    @for (i, l) in leaves.iter().enumerate() {
                        tr {
                            td { (i) @if l.case_dominated() { " (cases)" } }
                            td { (format!("{:.3}", l.coverage)) }
                            td { (format!("{:.3}", l.density)) }
                            td { (format!("{:.3}", l.mass)) }
                            td { (sd::leaf_rule(&c.table, l)) }
                        }
                    }
                }
            }
        }
        @for f in figures { (f) }
        @for n in d.notes.iter().chain(chart_notes) { p.note { "Note: " (n) } }
    }
}
