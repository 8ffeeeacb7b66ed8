//! The robustness of a sweep's policies (`migflow robust`): its charts, and
//! the section of the sweep report that shows them.
//!
//! [`figures`] draws the charts of an analysis; `migflow robust` writes
//! them and [`section`] shows the same ones. The section is made from the
//! analysis that `SWEEP_DIR/robust/manifest.json` records (its outcome and
//! options), run again on the sweep: the analysis is deterministic, so the
//! numbers and charts are those of the files, and a `runs.csv` changed
//! since is said.

use maud::{Markup, html};
use migflow_analysis::robust::{
    self as rb, Direction, INFLUENCE_RULE, Options, PERCENTILE_DEFINITION, Robustness, TIE_RULE,
};
use std::path::Path;

use super::inline_svg;
use crate::build::{self, Figure, Figures, Section};
use crate::charts::{Bars, BoxPlots, Chart, DEFAULT_SIZE, WinnerMap};

/// The stems of the charts, in report order.
pub const CHARTS: [&str; 4] = [
    "robust_outcome",
    "robust_regret",
    "robust_regret_max",
    "robust_winners",
];

/// The charts of an analysis: the outcome's distribution per policy and
/// the regret's (box plots, whiskers at the 5th and 95th percentiles), the
/// largest regret per policy (bars), and the policy that wins at each
/// point over the most influential uncertainties (a map; see
/// [`Robustness::map_axes`]).
pub fn figures(r: &Robustness) -> Figures {
    let label = build::outcome_label(&r.outcome);
    let better = match r.options.direction {
        Direction::Minimise => "lower is better",
        Direction::Maximise => "higher is better",
    };
    let n = r.points.len();
    let boxes = |q: fn(&rb::PolicyStats) -> [f64; 5]| {
        r.stats
            .iter()
            .map(|s| {
                let [p05, p25, p50, p75, p95] = q(s);
                (s.policy.clone(), [p05, p25, p50, p75, p95])
            })
            .collect::<Vec<_>>()
    };
    let mut lines = Vec::new();
    if let Some(t) = r.options.threshold {
        lines.push((t, format!("threshold {}", build::short(t))));
    }
    let mut out = vec![
        Figure {
            name: CHARTS[0].into(),
            chart: Chart::Box(BoxPlots {
                title: format!("{label} across the uncertainties"),
                x_label: "policy".into(),
                y_label: format!("{} ({better})", r.outcome),
                boxes: boxes(|s| s.percentiles),
                lines,
            }),
            size: DEFAULT_SIZE,
            caption: format!(
                "The outcome of each policy over {n} uncertainty points (each the mean of its \
                 completed replicates): the box spans the 25th to 75th percentile with the median, \
                 the whiskers the 5th to 95th ({PERCENTILE_DEFINITION}); dashed, the threshold."
            ),
            section: Section::Sweep,
        },
        Figure {
            name: CHARTS[1].into(),
            chart: Chart::Box(BoxPlots {
                title: "Regret: distance from the best policy at each point".into(),
                x_label: "policy".into(),
                y_label: format!("regret in {}", r.outcome),
                boxes: boxes(|s| s.regret_percentiles),
                lines: Vec::new(),
            }),
            size: DEFAULT_SIZE,
            caption: format!(
                "At each of the {n} points a policy's regret is how far its outcome is from the \
                 best policy's there (0 for the best); box 25th–75th percentile with the median, \
                 whiskers 5th–95th."
            ),
            section: Section::Sweep,
        },
        Figure {
            name: CHARTS[2].into(),
            chart: Chart::Bars(Bars {
                title: "Largest regret of each policy".into(),
                x_label: "policy".into(),
                y_label: format!("max regret in {}", r.outcome),
                bars: r
                    .stats
                    .iter()
                    .map(|s| (s.policy.clone(), s.regret_max, None))
                    .collect(),
            }),
            size: DEFAULT_SIZE,
            caption: "The worst case of each policy relative to the best at the same point: the \
                      policy with the smallest bar is the minimax-regret choice."
                .into(),
            section: Section::Sweep,
        },
    ];
    let mut notes = Vec::new();
    match winner_map(r) {
        Some(map) => out.push(map),
        None => notes.push(format!(
            "{}.svg not drawn: no uncertainty with numeric values",
            CHARTS[3]
        )),
    }
    Figures {
        figures: out,
        notes,
    }
}

/// The map of winners over [`Robustness::map_axes`]; with one such
/// uncertainty its y axis is the winning outcome.
fn winner_map(r: &Robustness) -> Option<Figure> {
    let num = |v: &str| match v.trim() {
        "true" => Some(1.0),
        "false" => Some(0.0),
        v => v.parse::<f64>().ok(),
    };
    let &x = r.map_axes.first()?;
    let y = r.map_axes.get(1).copied();
    let points = r
        .points
        .iter()
        .filter_map(|row| {
            let px = num(&row.values[x])?;
            let py = match y {
                Some(y) => num(&row.values[y])?,
                None => row.outcomes[*row.best.first()?],
            };
            let winner = (row.best.len() == 1).then(|| row.best[0]);
            Some((px, py, winner))
        })
        .collect();
    let rho = |j: usize| {
        r.influence
            .iter()
            .find(|i| i.uncertainty == j)
            .and_then(|i| i.rho)
            .map_or("–".to_string(), |v| format!("{v:.2}"))
    };
    let (y_label, axes) = match y {
        Some(y) => (
            r.uncertainties[y].clone(),
            format!(
                "{} (|ρ| {}) and {} (|ρ| {})",
                r.uncertainties[x],
                rho(x),
                r.uncertainties[y],
                rho(y)
            ),
        ),
        None => (
            format!("{} of the best policy", r.outcome),
            format!("{} (|ρ| {})", r.uncertainties[x], rho(x)),
        ),
    };
    Some(Figure {
        name: CHARTS[3].into(),
        chart: Chart::WinnerMap(WinnerMap {
            title: "The best policy at each uncertainty point".into(),
            x_label: r.uncertainties[x].clone(),
            y_label,
            categories: r.policies.clone(),
            points,
        }),
        size: DEFAULT_SIZE,
        caption: format!(
            "Each dot is an uncertainty point, coloured by the policy with the best {} there \
             (grey: a tie). The axes are {axes}: {INFLUENCE_RULE}.",
            r.outcome
        ),
        section: Section::Sweep,
    })
}

/// The robustness section of the sweep report for the sweep in `dir`, or
/// none when `dir/robust/manifest.json` is absent. Its figures are
/// numbered from 1 ("Figure R1").
pub fn section(dir: &Path) -> Option<Markup> {
    let mut n = 0;
    section_numbered(dir, &mut n)
}

/// [`section`], its figures numbered on from `n`.
pub fn section_numbered(dir: &Path, n: &mut usize) -> Option<Markup> {
    let path = dir.join("robust").join(rb::MANIFEST);
    let text = std::fs::read_to_string(&path).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    if manifest.get("analysis").and_then(|a| a.as_str()) != Some("robust") {
        return None;
    }
    let problem = |message: String| Some(html! { p { (path.display()) ": " (message) } });
    let Some(outcome) = manifest.get("outcome").and_then(|o| o.as_str()) else {
        return problem("records no outcome".into());
    };
    let direction = match manifest.get("direction").and_then(|d| d.as_str()) {
        Some("maximise") => Direction::Maximise,
        _ => Direction::Minimise,
    };
    let threshold = manifest.get("threshold").and_then(|t| t.as_f64());
    let opts = Options {
        direction,
        threshold,
    };
    let analysis = rb::read_table(dir, outcome).and_then(|(table, mut notes)| {
        let mut r = rb::analyse(&table, &opts)?;
        notes.append(&mut r.notes);
        r.notes = notes;
        Ok(r)
    });
    let r = match analysis {
        Ok(r) => r,
        Err(e) => return problem(format!("the analysis cannot be made again: {e}")),
    };
    let recorded = manifest.get("runs_csv_sha256").and_then(|s| s.as_str());
    let current =
        migflow_io::manifest::sha256_file(&migflow_io::columnar::present_table(dir, "runs.csv"))
            .ok();
    let stale = recorded.is_some() && recorded != current.as_deref();
    let figs = figures(&r);
    let mut shown = Vec::new();
    for f in &figs.figures {
        let Ok(svg) = f.svg() else { continue };
        *n += 1;
        shown.push(html! {
            figure id={ "fig-" (f.name) } {
                (inline_svg(&svg, f.chart.title()))
                figcaption { b { "Figure R" (*n) "." } " " (f.caption) }
            }
        });
    }
    Some(render(&r, stale, &shown, &figs.notes))
}

/// The table, the definitions, the notes and the figures.
fn render(r: &Robustness, stale: bool, figures: &[Markup], chart_notes: &[String]) -> Markup {
    let sat = r.options.threshold;
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let side = match r.options.direction {
        Direction::Minimise => "≤",
        Direction::Maximise => "≥",
    };
    html! {
        p {
            "How each policy fares across " (r.points.len()) " uncertainty points ("
            code { (r.outcome) } ", " (r.options.direction.name()) "). Regret is the distance "
            "from the best policy at the same point; best share is how often a policy is the "
            "best (" (TIE_RULE) ")."
            @if let Some(t) = sat { " Satisficing: the share of points with " code { (r.outcome) } " " (side) " " (t) "." }
        }
        @if stale {
            p { b { "Note: " } "runs.csv has changed since " code { "migflow robust" }
                " wrote its files; the numbers below are of runs.csv as it is now." }
        }
        table {
            thead {
                tr {
                    th { "policy" } th { "mean" } th { "p05" } th { "p50" } th { "p95" }
                    th { "regret mean" } th { "regret p90" } th { "regret max" } th { "best" }
                    @if sat.is_some() { th { "satisficing" } }
                }
            }
            tbody {
                @for s in &r.stats {
                    tr {
                        td { (s.policy) }
                        td { (build::short(s.mean)) }
                        td { (build::short(s.percentiles[0])) }
                        td { (build::short(s.percentiles[2])) }
                        td { (build::short(s.percentiles[4])) }
                        td { (build::short(s.regret_mean)) }
                        td { (build::short(s.regret_p90)) }
                        td { (build::short(s.regret_max)) }
                        td { (pct(s.best_share)) }
                        @if let Some(x) = s.satisficing_share { td { (pct(x)) } }
                    }
                }
            }
        }
        p.small { "Percentiles: " (PERCENTILE_DEFINITION) "." }
        @if !r.notes.is_empty() || !chart_notes.is_empty() {
            ul { @for note in r.notes.iter().chain(chart_notes) { li { (note) } } }
        }
        @for f in figures { (f) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migflow_analysis::robust::{Table, analyse};

    fn toy(values: [&str; 3]) -> Robustness {
        let table = Table {
            outcome: "all_mean_poor_share".into(),
            policies: vec!["a".into(), "b".into()],
            uncertainties: vec!["x.u".into(), "x.v".into()],
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u64, vec![v.to_string(), (i * 2).to_string()]))
                .collect(),
            outcomes: vec![
                vec![Some(0.1), Some(0.2), Some(0.3)],
                vec![Some(0.2), Some(0.2), Some(0.1)],
            ],
        };
        analyse(
            &table,
            &Options {
                direction: Direction::Minimise,
                threshold: Some(0.15),
            },
        )
        .unwrap()
    }

    #[test]
    fn robust_figures_are_drawn() {
        let r = toy(["1", "2", "3"]);
        let figs = figures(&r);
        let names: Vec<&str> = figs.figures.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, CHARTS);
        for f in &figs.figures {
            let svg = f.svg().unwrap();
            assert!(svg.contains("<svg"), "{}", f.name);
        }
        // The tie at the second point is grey and has a legend entry.
        let map = figs.figures[3].svg().unwrap();
        // plotters writes text on its own line.
        assert!(map.contains("\ntie\n"), "no tie in the legend");
        assert!(figs.notes.is_empty());
    }

    #[test]
    fn robust_no_map_without_numbers() {
        let table = toy(["low", "mid", "high"]);
        // x.v is numeric: one axis.
        assert_eq!(table.map_axes, vec![1]);
        let mut r = table;
        r.map_axes.clear();
        let figs = figures(&r);
        assert_eq!(figs.figures.len(), 3);
        assert_eq!(figs.notes.len(), 1);
    }
}
