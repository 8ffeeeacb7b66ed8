//! Which charts from which results: every chart the files allow, each with
//! a file name, a caption and the section of the report it belongs to, and
//! a note for every chart that the results do not allow.

use super::charts::{
    Bars, BoxPlots, Chart, DEFAULT_SIZE, ForestPlot, ForestRow, HeatMap, LineChart, LinePanels,
    Panel, Series, SmallMultiples, StackedArea,
};
use migflow_analysis::effects::Effect;
use migflow_core::metrics::Metric;
use migflow_core::record::{ALL_GROUP, GROUPS};
use migflow_core::stats::summarize;
use migflow_io::SUMMARY_METRICS;
use migflow_io::error::{Error, Result};
use migflow_io::results::{
    Difference, GROUP_NAMES, Results, RunResults, STATES, SweepResults, event_markers,
    metric_index, shaded_windows,
};

/// The x-axis label of every chart over years.
pub(crate) const YEAR: &str = "year";
/// The unit of incomes.
pub(crate) const YUAN: &str = "yuan per person per year";
/// The unit of shares.
pub(crate) const SHARE: &str = "share of households";

/// The default outcome of a sweep's response charts.
pub const DEFAULT_OUTCOME: &str = "all_mean_poor_share";

/// Where a chart goes in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Poverty, return to poverty, being at risk.
    Poverty,
    /// Livelihood composition and flows.
    Livelihoods,
    /// Incomes.
    Incomes,
    /// Households alive and dissolved, ageing.
    Population,
    /// The cohorts of a cohort year followed through the later years.
    Cohorts,
    /// Two runs compared.
    Comparison,
    /// A sweep's responses.
    Sweep,
}

impl Section {
    /// The heading of the section.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Poverty => "Poverty and return to poverty",
            Section::Livelihoods => "Livelihoods and flows between them",
            Section::Incomes => "Incomes",
            Section::Population => "Population: ageing and dissolved households",
            Section::Cohorts => "Cohorts",
            Section::Comparison => "Policy compared with the base",
            Section::Sweep => "Responses across the sweep",
        }
    }
}

/// A chart with its file name (without extension), size and caption.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem, e.g. `poverty_poor_share`.
    pub name: String,
    /// The chart.
    pub chart: Chart,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// What it shows, in a sentence or two.
    pub caption: String,
    /// The report section.
    pub section: Section,
}

impl Figure {
    /// The chart as SVG.
    pub fn svg(&self) -> Result<String> {
        super::charts::render_svg(&self.chart, self.size).map_err(|e| Error::Input {
            path: format!("{}.svg", self.name).into(),
            message: format!("cannot draw the chart: {e}"),
        })
    }

    /// The chart as PNG.
    pub fn png(&self) -> Result<Vec<u8>> {
        super::charts::render_png(&self.chart, self.size).map_err(|e| Error::Input {
            path: format!("{}.png", self.name).into(),
            message: format!("cannot draw the chart: {e}"),
        })
    }
}

/// The charts of some results and the notes on those skipped.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// The charts, in report order.
    pub figures: Vec<Figure>,
    /// One line per chart skipped, or per approximation.
    pub notes: Vec<String>,
}

/// Every chart the results allow. `outcome` is a sweep's outcome column
/// (default [`DEFAULT_OUTCOME`]).
pub fn charts(results: &Results, outcome: Option<&str>) -> Result<Figures> {
    // Every count a chart or the report states must be the files' count.
    match results {
        Results::Run(r) => {
            crate::counts::check_run(r)?;
            Ok(run_charts(r))
        }
        Results::Sweep(s) => {
            crate::counts::check_sweep(s)?;
            sweep_charts(s, outcome.unwrap_or(DEFAULT_OUTCOME))
        }
    }
}

/// "mean of 4 replicates, 95% CI", or "1 replicate".
fn replicate_phrase(r: usize) -> String {
    if r > 1 {
        format!("mean of {r} replicates, shaded: 95% CI")
    } else {
        "1 replicate".into()
    }
}

/// Group `g`'s trajectory of a metric: mean over replicates, with the 95%
/// interval as a band when there are replicates.
fn metric_series(r: &RunResults, g: usize, metric: usize, name: &str) -> Option<Series> {
    let mut points = Vec::new();
    let mut band = Vec::new();
    // A share's interval is drawn within [0, 1].
    let share = SUMMARY_METRICS
        .get(metric)
        .is_some_and(|m| m.ends_with("_share") || m.ends_with("_rate"));
    for (t, &year) in r.years.iter().enumerate() {
        let e = r.estimate(t, g, metric);
        if let Some(m) = e.mean {
            points.push((f64::from(year), m));
            if let Some((lo, hi)) = e.ci {
                let (lo, hi) = if share {
                    (lo.max(0.0), hi.min(1.0))
                } else {
                    (lo, hi)
                };
                band.push((f64::from(year), lo, hi));
            }
        }
    }
    (!points.is_empty()).then(|| Series {
        name: name.to_string(),
        points,
        band: (r.replicates > 1 && !band.is_empty()).then_some(band),
    })
}

/// Shaded windows and event markers of a line chart.
type Decorations = (Vec<(f64, f64, String)>, Vec<(f64, String)>);

/// Lines over the years, with shaded windows and event markers.
fn over_years(
    title: String,
    y_label: &str,
    series: Vec<Series>,
    (windows, markers): &Decorations,
) -> LineChart {
    LineChart {
        title,
        x_label: YEAR.into(),
        y_label: y_label.into(),
        series,
        windows: windows.clone(),
        markers: markers.clone(),
        zero_line: false,
    }
}

/// Shaded lever windows (a year's band is the year ± ½, kept inside the
/// axis) and event markers of a run.
fn windows_and_markers(s: &migflow_core::params::Scenario, years: &[i32]) -> Decorations {
    let (first, last) = (years[0], years[years.len() - 1]);
    let (x0, x1) = (f64::from(first), f64::from(last));
    let windows = shaded_windows(s, first, last)
        .into_iter()
        .map(|(a, b, label)| {
            (
                (f64::from(a) - 0.5).max(x0),
                (f64::from(b) + 0.5).min(x1),
                label,
            )
        })
        .filter(|(a, b, _)| b > a)
        .collect();
    let markers = event_markers(s, first, last)
        .into_iter()
        .map(|(y, label)| (f64::from(y), label))
        .collect();
    (windows, markers)
}

/// " Grey band: … act (2021–2025)." for the shaded windows of a run.
fn window_caption(s: &migflow_core::params::Scenario, years: &[i32]) -> String {
    let (first, last) = (years[0], years[years.len() - 1]);
    let shaded = shaded_windows(s, first, last);
    if shaded.is_empty() {
        return String::new();
    }
    let levers = migflow_io::results::lever_windows(s);
    let parts: Vec<String> = shaded
        .iter()
        .map(|(a, b, _)| {
            let names: Vec<&str> = levers
                .iter()
                .filter(|l| l.start.max(first) == *a && l.end.min(last) == *b)
                .map(|l| l.title)
                .collect();
            format!("{} ({a}–{b})", names.join(", "))
        })
        .collect();
    format!(
        " Grey band{}: the years the time-limited levers act: {}.",
        if shaded.len() > 1 { "s" } else { "" },
        parts.join("; ")
    )
}

/// Share of all households in group `g` in year `t`, mean over the
/// replicates that have households.
pub fn group_share(r: &RunResults, t: usize, g: usize) -> Option<f64> {
    let hh = metric_index("households")?;
    let shares: Vec<f64> = r
        .trajectories
        .iter()
        .filter_map(|rep| {
            let all = rep[t][ALL_GROUP][hh]?;
            (all > 0.0).then(|| rep[t][g][hh].unwrap_or(0.0) / all)
        })
        .collect();
    summarize(&shares).0
}

fn metric(name: &str) -> usize {
    metric_index(name).unwrap_or(0)
}

/// The charts of a run.
pub fn run_charts(r: &RunResults) -> Figures {
    let mut out = Figures {
        figures: Vec::new(),
        notes: r.notes.clone(),
    };
    let decorations = windows_and_markers(&r.scenario, &r.years);
    let reps = replicate_phrase(r.replicates);
    let window_words = window_caption(&r.scenario, &r.years);
    let marker_words = if decorations.1.is_empty() {
        String::new()
    } else {
        " Vertical lines: events.".into()
    };
    let by_livelihood = |m: usize| -> Vec<Series> {
        (0..GROUPS)
            .filter_map(|g| metric_series(r, g, m, GROUP_NAMES[g]))
            .collect()
    };

    // Poverty trajectories.
    for (name, m, title, y_label, what) in [
        (
            "poverty_poor_share",
            "poor_share",
            "Poverty by livelihood",
            "share of households below the poverty line",
            "Share of each livelihood's households below the poverty line, by year",
        ),
        (
            "poverty_return_rate",
            "return_rate",
            "Return to poverty by livelihood",
            "share of households not poor last year",
            "Share of last year's non-poor households of each livelihood that fell below the poverty line this year (in the first year: every poor household)",
        ),
        (
            "poverty_at_risk_share",
            "at_risk_share",
            "At risk of poverty by livelihood",
            "share of households below the monitoring line",
            "Share of each livelihood's households below the monitoring line (the poor included), by year",
        ),
        (
            "poverty_dibao_share",
            "dibao_share",
            "Dibao by livelihood",
            "share of households receiving dibao",
            "Share of each livelihood's households enrolled in the dibao (minimum living guarantee), by year",
        ),
    ] {
        let series = by_livelihood(metric(m));
        if series.is_empty() {
            out.notes
                .push(format!("{name} skipped: trajectories.csv has no {m} value"));
            continue;
        }
        // When the households without a livelihood dwarf the others, a
        // second chart leaves them out so that the others can be read.
        let top = |s: &Series| s.points.iter().map(|p| p.1).fold(0.0, f64::max);
        let none_top = series
            .iter()
            .filter(|s| s.name == "none")
            .map(top)
            .fold(0.0, f64::max);
        let rest_top = series
            .iter()
            .filter(|s| s.name != "none")
            .map(top)
            .fold(0.0, f64::max);
        let zoom = matches!(name, "poverty_poor_share" | "poverty_return_rate")
            && none_top > 3.0 * rest_top
            && rest_top > 0.0;
        let working: Vec<Series> = series
            .iter()
            .filter(|s| s.name != "none")
            .cloned()
            .collect();
        out.figures.push(Figure {
            name: name.into(),
            chart: Chart::Line(over_years(
                format!("{title} ({reps})"),
                y_label,
                series,
                &decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!("{what}; {reps}.{window_words}{marker_words}"),
            section: Section::Poverty,
        });
        if zoom {
            out.figures.push(Figure {
                name: format!("{name}_with_livelihood"),
                chart: Chart::Line(over_years(
                    format!("{title}: households with a livelihood ({reps})"),
                    y_label,
                    working,
                    &decorations,
                )),
                size: DEFAULT_SIZE,
                caption: format!(
                    "The chart above without the households that have no livelihood (“none”), on a finer scale; “all” still counts every household.{window_words}{marker_words}"
                ),
                section: Section::Poverty,
            });
        }
    }

    // Composition.
    let xs: Vec<f64> = r.years.iter().map(|&y| f64::from(y)).collect();
    let layers: Vec<(String, Vec<f64>)> = (0..STATES)
        .map(|g| {
            let shares = (0..r.years.len())
                .map(|t| group_share(r, t, g).unwrap_or(0.0))
                .collect();
            (GROUP_NAMES[g].to_string(), shares)
        })
        .collect();
    out.figures.push(Figure {
        name: "livelihood_composition".into(),
        chart: Chart::Stacked(StackedArea {
            title: format!(
                "Livelihood composition ({})",
                if r.replicates > 1 {
                    format!("mean of {} replicates", r.replicates)
                } else {
                    "1 replicate".into()
                }
            ),
            x_label: YEAR.into(),
            y_label: SHARE.into(),
            xs,
            layers,
        }),
        size: DEFAULT_SIZE,
        caption: "Share of households in each livelihood, by year (this year's livelihood, after job search).".into(),
        section: Section::Livelihoods,
    });

    // Persistence.
    let stayed = by_livelihood(metric("stayed_share"));
    if stayed.is_empty() {
        out.notes.push(
            "livelihood_stayed_share skipped: trajectories.csv has no stayed_share value".into(),
        );
    } else {
        out.figures.push(Figure {
            name: "livelihood_stayed_share".into(),
            chart: Chart::Line(over_years(
                format!("Livelihood persistence by livelihood ({reps})"),
                "share of households in the same livelihood as last year",
                stayed,
                &decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "Share of each livelihood's households whose livelihood last year was this one (for “all”, each household's own); in the first year, last year is the initial livelihood; {reps}.{window_words}{marker_words}"
            ),
            section: Section::Livelihoods,
        });
    }

    // Flows.
    let states: Vec<String> = GROUP_NAMES[..STATES]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mean_word = if r.replicates > 1 {
        format!(", mean of {} replicates", r.replicates)
    } else {
        String::new()
    };
    let flow_map = |t: usize, title: String, annotate: bool| {
        let m = r.mean_flows(t);
        HeatMap {
            title,
            x_label: if annotate {
                "this year's livelihood".into()
            } else {
                String::new()
            },
            y_label: match (annotate, t) {
                (false, _) => String::new(),
                (true, 0) => "initial livelihood".into(),
                (true, _) => "last year's livelihood".into(),
            },
            x_names: states.clone(),
            y_names: states.clone(),
            values: m
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|v| if annotate { v.round() } else { *v })
                        .collect()
                })
                .collect(),
            annotate,
        }
    };
    for &year in &r.chosen_years {
        let Some(t) = r.year_index(year) else {
            continue;
        };
        let stayed: f64 = (0..STATES).map(|k| r.mean_flows(t)[k][k]).sum();
        let total: f64 = r.mean_flows(t).iter().flatten().sum();
        out.figures.push(Figure {
            name: format!("flows_{year}"),
            chart: Chart::Heat(flow_map(
                t,
                format!(
                    "Livelihood flows in {year} (households{mean_word}{})",
                    if r.replicates > 1 { ", rounded" } else { "" }
                ),
                true,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "Households by {} (rows) and livelihood in {year} (columns){mean_word}. {:.0} % kept their livelihood.",
                if t == 0 { "initial livelihood" } else { "the previous year's livelihood" },
                if total > 0.0 { 100.0 * stayed / total } else { 0.0 }
            ),
            section: Section::Livelihoods,
        });
    }
    if r.years.len() > 1 {
        let columns = r.years.len().clamp(1, 5);
        let rows = r.years.len().div_ceil(columns) as u32;
        let panels = (0..r.years.len())
            .map(|t| flow_map(t, r.years[t].to_string(), false))
            .collect();
        out.figures.push(Figure {
            name: "flows_by_year".into(),
            chart: Chart::Multiples(SmallMultiples {
                title: format!("Livelihood flows, every year (rows: from, columns: to; households{mean_word})"),
                panels,
                columns,
            }),
            size: (DEFAULT_SIZE.0.max(1100), 110 + rows * 250),
            caption: "The flow matrix of every year on one colour scale: the diagonal holds the households that kept their livelihood.".into(),
            section: Section::Livelihoods,
        });
    }

    // Incomes: means and income per person (always), distributions (with
    // the panel).
    for (name, m, title, what) in [
        (
            "income_means",
            "mean_income_pc",
            "Mean per-capita income by livelihood",
            "Mean over households (weighted) of per-capita net income after dibao, nominal yuan",
        ),
        (
            "income_per_person",
            "mean_income_pp",
            "Income per person by livelihood",
            "Income per person as statistics offices publish it (the households' incomes over their members, Σ weight · size · income per capita ÷ Σ weight · size), nominal yuan",
        ),
    ] {
        let mut income_series = by_livelihood(metric(m));
        if income_series.is_empty() {
            out.notes
                .push(format!("{name} skipped: trajectories.csv has no {m} value"));
            continue;
        }
        // The poverty line goes fifth, where the palette gives it a colour
        // (blue) that no livelihood has.
        let at = income_series.len().min(4);
        income_series.insert(
            at,
            Series {
                name: "poverty line".into(),
                points: r
                    .years
                    .iter()
                    .map(|&y| (f64::from(y), r.lines(y).0))
                    .collect(),
                band: None,
            },
        );
        out.figures.push(Figure {
            name: name.into(),
            chart: Chart::Line(over_years(
                format!("{title} ({reps})"),
                YUAN,
                income_series,
                &decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "{what}; {reps}. The poverty line (blue) grows {:.1} % a year.{window_words}{marker_words}",
                r.scenario.economy.line_growth * 100.0
            ),
            section: Section::Incomes,
        });
    }
    if let Some(inc) = &r.incomes {
        for (k, &year) in inc.years.iter().enumerate() {
            let mut boxes = Vec::new();
            let mut counts = Vec::new();
            for (g, name) in GROUP_NAMES.iter().enumerate() {
                let mut v = inc.values[k][g].clone();
                if v.is_empty() {
                    continue;
                }
                v.sort_by(f64::total_cmp);
                let q = |p: f64| quantile(&v, p);
                boxes.push((
                    name.to_string(),
                    [q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)],
                ));
                counts.push(format!("{} {}", name, thousands(v.len() as f64)));
            }
            if boxes.is_empty() {
                out.notes.push(format!(
                    "incomes_{year} skipped: households.csv has no row for {year}"
                ));
                continue;
            }
            let (pl, ml) = r.lines(year);
            out.figures.push(Figure {
                name: format!("incomes_{year}"),
                chart: Chart::Box(BoxPlots {
                    title: format!(
                        "Per-capita income by livelihood, {year} (box: quartiles; whiskers: 5th–95th percentile)"
                    ),
                    x_label: "livelihood".into(),
                    y_label: YUAN.into(),
                    boxes,
                    lines: vec![
                        (pl, format!("poverty line {}", thousands(pl))),
                        (ml, format!("monitoring line {}", thousands(ml))),
                    ],
                }),
                size: DEFAULT_SIZE,
                caption: format!(
                    "Distribution of per-capita net income of the household panel in {year}, pooled over {} replicate(s); boxes from the 25th to the 75th percentile with the median, whiskers from the 5th to the 95th. Household-years: {}.",
                    r.replicates,
                    counts.join(", ")
                ),
                section: Section::Incomes,
            });
        }
    }
    population_charts(r, &mut out, &decorations, &reps);
    cohort_charts(r, &mut out, &reps);
    out
}

/// The cohort year the report follows: the latest one other than the
/// initial state (`start_year − 1`), or the initial state when it is the
/// only one; `None` for a run without `cohorts.csv` (version 1).
pub(crate) fn report_cohort_year(r: &RunResults) -> Option<i32> {
    let years = r.cohorts.as_ref()?.cohort_years();
    let initial = r.years[0] - 1;
    years
        .iter()
        .copied()
        .filter(|&c| c != initial)
        .max()
        .or_else(|| years.last().copied())
}

/// The years after cohort year `c` that the report's table shows: every
/// followed year up to `c + 5`, and the last.
pub(crate) fn cohort_table_years(followed: &[i32], c: i32) -> Vec<i32> {
    let last = followed.last().copied();
    followed
        .iter()
        .copied()
        .filter(|&y| y <= c + 5 || Some(y) == last)
        .collect()
}

/// The poor share of each cohort of the report's cohort year over the
/// years after it (mean over replicates, the 95% interval as a band).
fn cohort_charts(r: &RunResults, out: &mut Figures, reps: &str) {
    let (Some(cohorts), Some(c)) = (&r.cohorts, report_cohort_year(r)) else {
        return;
    };
    let Some(traj) = cohorts.get(c) else {
        return;
    };
    let poor = metric("poor_share");
    let series: Vec<Series> = (0..GROUPS)
        .filter_map(|g| {
            let mut points = Vec::new();
            let mut band = Vec::new();
            for &year in &traj.years {
                let Some(row) = cohorts.summary_of(c, g, year, poor) else {
                    continue;
                };
                let Some(m) = row.mean else { continue };
                points.push((f64::from(year), m));
                if let (Some(lo), Some(hi)) = (row.ci95_low, row.ci95_high) {
                    band.push((f64::from(year), lo.max(0.0), hi.min(1.0)));
                }
            }
            (!points.is_empty()).then(|| Series {
                name: GROUP_NAMES[g].into(),
                points,
                band: (r.replicates > 1 && !band.is_empty()).then_some(band),
            })
        })
        .collect();
    if series.is_empty() {
        out.notes.push(format!(
            "cohort_poor_share skipped: cohorts.csv has no poor_share value of the {c} cohorts"
        ));
        return;
    }
    out.figures.push(Figure {
        name: "cohort_poor_share".into(),
        chart: Chart::Line(LineChart {
            title: format!("Poverty of the households by their livelihood in {c} ({reps})"),
            x_label: YEAR.into(),
            y_label: "share of the cohort's households below the poverty line".into(),
            series,
            windows: Vec::new(),
            markers: Vec::new(),
            zero_line: false,
        }),
        size: DEFAULT_SIZE,
        caption: format!(
            "Each line is a cohort: the households by their livelihood in {c} (all: every household alive then), followed wherever they went; its share below the poverty line in each later year, over the cohort's households still alive; {reps}."
        ),
        section: Section::Cohorts,
    });
}

/// A per-replicate measure of all households over the years (mean, and
/// the 95% interval as a band when there are replicates).
fn derived_series(
    r: &RunResults,
    name: &str,
    f: impl Fn(&[Option<f64>; migflow_core::metrics::METRICS]) -> Option<f64>,
) -> Option<Series> {
    let mut points = Vec::new();
    let mut band = Vec::new();
    for (t, &year) in r.years.iter().enumerate() {
        let v: Vec<f64> = r
            .trajectories
            .iter()
            .filter_map(|rep| f(&rep[t][ALL_GROUP]))
            .collect();
        let (mean, _, lo, hi, _) = summarize(&v);
        if let Some(m) = mean {
            points.push((f64::from(year), m));
            if let (Some(lo), Some(hi)) = (lo, hi) {
                band.push((f64::from(year), lo, hi));
            }
        }
    }
    (!points.is_empty()).then(|| Series {
        name: name.to_string(),
        points,
        band: (r.replicates > 1 && !band.is_empty()).then_some(band),
    })
}

/// The households alive, those dissolved each year, and the share without
/// a laborer (ageing): the demography that acts in the same years as the
/// levers and events.
fn population_charts(r: &RunResults, out: &mut Figures, decorations: &Decorations, reps: &str) {
    let (hh, wl, d) = (
        metric("households"),
        metric("with_labor"),
        metric("dissolved"),
    );
    if let Some(series) = derived_series(r, "households alive", |g| g[hh]) {
        out.figures.push(Figure {
            name: "population_households".into(),
            chart: Chart::Line(over_years(
                format!("Households alive at the end of each year ({reps})"),
                "households",
                vec![series],
                decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "All households alive at the end of each year ({} at the start); a household is dissolved when its last member dies; {reps}.",
                thousands(r.manifest.households as f64)
            ),
            section: Section::Population,
        });
    }
    let bars: Vec<_> = (0..r.years.len())
        .filter_map(|t| {
            let e = r.estimate(t, ALL_GROUP, d);
            // A count's interval is drawn from zero up.
            let ci = e.ci.map(|(lo, hi)| (lo.max(0.0), hi));
            Some((r.years[t].to_string(), e.mean?, ci))
        })
        .collect();
    if bars.is_empty() {
        out.notes
            .push("population_dissolved skipped: trajectories.csv has no dissolved value".into());
    } else {
        out.figures.push(Figure {
            name: "population_dissolved".into(),
            chart: Chart::Bars(Bars {
                title: format!(
                    "Households dissolved each year ({})",
                    if r.replicates > 1 {
                        format!("mean of {} replicates, whiskers: 95% CI", r.replicates)
                    } else {
                        "1 replicate".into()
                    }
                ),
                x_label: YEAR.into(),
                y_label: "households dissolved".into(),
                bars,
            }),
            size: DEFAULT_SIZE,
            caption: format!(
                "Households whose last member died that year (not among that year's households); {reps}."
            ),
            section: Section::Population,
        });
    }
    let without = derived_series(r, "all", |g| {
        let all = g[hh]?;
        (all > 0.0).then(|| 1.0 - g[wl].unwrap_or(0.0) / all)
    });
    if let Some(series) = without {
        out.figures.push(Figure {
            name: "population_without_labor".into(),
            chart: Chart::Line(over_years(
                format!("Households without a laborer ({reps})"),
                SHARE,
                vec![series],
                decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "Share of households without a laborer this year (1 − with_labor / households, all households): it rises as the households age, whatever the levers do; {reps}."
            ),
            section: Section::Population,
        });
    }
}

/// The `p`-quantile of sorted values, interpolating linearly between order
/// statistics (R's type 7).
pub(crate) fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// 12345.6 → "12,346".
pub(crate) fn thousands(v: f64) -> String {
    let neg = v < 0.0;
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("−{out}") } else { out }
}

// ---------------------------------------------------------------------------
// Two runs.

/// The comparison charts of two runs, from their paired differences.
pub fn comparison_charts(base: &RunResults, policy: &RunResults, diffs: &[Difference]) -> Figures {
    let mut out = Figures::default();
    let decorations = windows_and_markers(&policy.scenario, &policy.years);
    let r = base.replicates;
    let ci_words = if r > 1 {
        format!("mean of {r} paired differences, shaded: 95% CI")
    } else {
        "1 replicate, no CI".into()
    };
    let ci_short = if r > 1 {
        format!("{r} pairs, 95% CI")
    } else {
        "1 replicate".into()
    };
    for (name, m, title, y_label) in [
        (
            "difference_poor_share",
            "poor_share",
            "Difference in poverty share, policy − base",
            "share of households below the poverty line (policy − base)",
        ),
        (
            "difference_at_risk_share",
            "at_risk_share",
            "Difference in at-risk share, policy − base",
            "share of households below the monitoring line (policy − base)",
        ),
        (
            "difference_mean_income",
            "mean_income_pc",
            "Difference in mean per-capita income, policy − base",
            "yuan per person per year (policy − base)",
        ),
    ] {
        let series: Vec<Series> = (0..GROUPS)
            .filter_map(|g| {
                let rows: Vec<&Difference> = diffs
                    .iter()
                    .filter(|d| d.group == g && d.metric == m)
                    .collect();
                let points: Vec<(f64, f64)> = rows
                    .iter()
                    .filter_map(|d| Some((f64::from(d.year), d.diff_mean?)))
                    .collect();
                let band: Vec<(f64, f64, f64)> = rows
                    .iter()
                    .filter_map(|d| d.ci.map(|(lo, hi)| (f64::from(d.year), lo, hi)))
                    .collect();
                (!points.is_empty()).then(|| Series {
                    name: GROUP_NAMES[g].into(),
                    points,
                    band: (!band.is_empty()).then_some(band),
                })
            })
            .collect();
        if series.is_empty() {
            out.notes.push(format!("{name} skipped: no paired values"));
            continue;
        }
        out.figures.push(Figure {
            name: name.into(),
            chart: Chart::Line(LineChart {
                zero_line: true,
                ..over_years(
                    format!("{title} ({ci_short})"),
                    y_label,
                    series,
                    &decorations,
                )
            }),
            size: DEFAULT_SIZE,
            caption: format!(
                "Per livelihood, the policy run's value minus the base run's, replicate by replicate (replicate r of both shares its random streams when the seeds are equal); {ci_words}. {}",
                if m == "mean_income_pc" {
                    "Above zero: incomes are higher under the policy."
                } else {
                    "Below zero: fewer households are poor or at risk under the policy."
                }
            ),
            section: Section::Comparison,
        });
    }
    let m = metric("poor_share");
    let both: Vec<Series> = [("base", base), ("policy", policy)]
        .into_iter()
        .filter_map(|(label, run)| metric_series(run, ALL_GROUP, m, label))
        .collect();
    if both.len() == 2 {
        out.figures.push(Figure {
            name: "compare_poor_share".into(),
            chart: Chart::Line(over_years(
                format!(
                    "Poverty share of all households, base and policy ({})",
                    replicate_phrase(r)
                ),
                "share of households below the poverty line",
                both,
                &decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "All households: base ({}) and policy ({}); {}.",
                base.dir.display(),
                policy.dir.display(),
                replicate_phrase(r)
            ),
            section: Section::Comparison,
        });
    }
    if base.manifest.seed != policy.manifest.seed {
        out.notes.push(format!(
            "the runs have different seeds ({} and {}): the differences are paired by replicate number but do not share random streams, so their CIs are wider than with one seed",
            base.manifest.seed, policy.manifest.seed
        ));
    }
    out
}

/// The metrics of the forest plots and of the per-year panels of a
/// comparison of policies.
pub const POLICY_METRICS: [&str; 2] = ["poor_share", "return_rate"];

/// The groups in the order of a comparison's forest plots and panels:
/// `all` first (the headline effect leads), then the livelihoods.
pub const POLICY_GROUP_ORDER: [usize; GROUPS] = [ALL_GROUP, 0, 1, 2, 3, 4];

/// The policies' names: their scenario files' stems (`default` for the
/// built-in scenario), else, where two share one, their directories'
/// names, else the name with ` (2)`, ` (3)`, … so that every name is
/// unique.
pub fn policy_names(policies: &[&RunResults]) -> Vec<String> {
    let stem = |r: &RunResults| {
        let source = &r.manifest.scenario_source;
        if source == "built-in default" {
            return "default".to_string();
        }
        std::path::Path::new(source)
            .file_stem()
            .map_or_else(|| source.clone(), |s| s.to_string_lossy().into_owned())
    };
    let dir = |r: &RunResults| {
        r.dir.file_name().map_or_else(
            || r.dir.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        )
    };
    let stems: Vec<String> = policies.iter().map(|r| stem(r)).collect();
    let clash = |names: &[String], i: usize| names.iter().filter(|n| **n == names[i]).count() > 1;
    let named: Vec<String> = (0..policies.len())
        .map(|i| {
            if clash(&stems, i) {
                dir(policies[i])
            } else {
                stems[i].clone()
            }
        })
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(named.len());
    for name in named {
        let mut unique = name.clone();
        let mut k = 2;
        while out.contains(&unique) {
            unique = format!("{name} ({k})");
            k += 1;
        }
        out.push(unique);
    }
    out
}

/// A share or rate metric, drawn in percentage points.
fn is_share(metric: &str) -> bool {
    metric.ends_with("_share") || metric.ends_with("_rate")
}

/// "the poor share", "the return rate" (for titles).
fn metric_words(metric: &str) -> String {
    format!("the {}", metric.replace('_', " "))
}

/// The shaded windows and markers of several runs over `years`: each
/// window and marker once (the first label of a span wins).
fn union_decorations(scenarios: &[&migflow_core::params::Scenario], years: &[i32]) -> Decorations {
    let mut windows: Vec<(f64, f64, String)> = Vec::new();
    let mut markers: Vec<(f64, String)> = Vec::new();
    for s in scenarios {
        let (w, m) = windows_and_markers(s, years);
        for w in w {
            if !windows.iter().any(|v| v.0 == w.0 && v.1 == w.1) {
                windows.push(w);
            }
        }
        for m in m {
            if !markers.contains(&m) {
                markers.push(m);
            }
        }
    }
    (windows, markers)
}

/// The charts of a comparison of policies with one base, paired replicate
/// by replicate. `policies` are (name, run, its differences from the base
/// by [`migflow_io::results::differences`]); `effects` are the window
/// effects of [`migflow_analysis::effects::window_effects`] of every
/// policy (those of cohorts are left out), named as in `policies`.
///
/// - A forest plot per metric of [`POLICY_METRICS`] (`forest_poor_share`,
///   `forest_return_rate`): the mean paired difference over the window
///   with its 95% CI, one row per livelihood × policy, `all` first, the
///   policies within each livelihood in the order given. None without
///   effects.
/// - Panels per metric of [`POLICY_METRICS`] (`panels_poor_share`,
///   `panels_return_rate`): the per-year paired difference, one panel per
///   livelihood (`all` first) each with its own y scale, one line per
///   policy with its 95% CI band.
/// - With one policy, the charts of [`comparison_charts`] as they were
///   (per livelihood, and base against policy); with more, the same
///   differences of all households with one line per policy
///   (`difference_poor_share`, …) and every run's poverty share
///   (`compare_poor_share`).
pub fn policy_comparison_charts(
    base: &RunResults,
    policies: &[(&str, &RunResults, &[Difference])],
    effects: &[Effect],
) -> Figures {
    let mut out = Figures::default();
    let mut scenarios = vec![&base.scenario];
    scenarios.extend(policies.iter().map(|p| &p.1.scenario));
    let decorations = union_decorations(&scenarios, &base.years);
    let windows_words = {
        let mut w: Vec<String> = Vec::new();
        for s in &scenarios {
            let c = window_caption(s, &base.years);
            if !c.is_empty() && !w.contains(&c) {
                w.push(c);
            }
        }
        w.concat()
    };
    let r = base.replicates;
    let paired_words = format!(
        "policy − base, paired replicate by replicate (replicate r of every run shares its random streams with the base's: the same seed){}",
        if r > 1 {
            format!("; the mean of {r} paired differences")
        } else {
            "; 1 replicate, so no CI".to_string()
        }
    );
    for metric in POLICY_METRICS {
        forest(base, policies, effects, metric, &paired_words, &mut out);
    }
    for metric in POLICY_METRICS {
        panels(
            policies,
            metric,
            &decorations,
            &format!("{paired_words}{windows_words}"),
            r,
            &mut out,
        );
    }
    match policies {
        [(_, policy, diffs)] => {
            let single = comparison_charts(base, policy, diffs);
            out.figures.extend(single.figures);
            out.notes.extend(single.notes);
        }
        _ => {
            many_policy_lines(base, policies, &decorations, &mut out);
            for (name, p, _) in policies {
                if base.manifest.seed != p.manifest.seed {
                    out.notes.push(format!(
                        "{name} has seed {} and the base {}: its differences are paired by replicate number but do not share random streams, so their CIs are wider than with one seed",
                        p.manifest.seed, base.manifest.seed
                    ));
                }
            }
        }
    }
    out
}

/// The forest plot of `metric`'s window effects.
fn forest(
    base: &RunResults,
    policies: &[(&str, &RunResults, &[Difference])],
    effects: &[Effect],
    metric: &str,
    paired_words: &str,
    out: &mut Figures,
) {
    let Some(m) = Metric::from_name(metric) else {
        return;
    };
    let of = |e: &&Effect| e.cohort_year.is_none() && e.metric == m;
    let Some(window) = effects.iter().find(of).map(|e| e.window) else {
        return;
    };
    let scale = if is_share(metric) { 100.0 } else { 1.0 };
    let mut rows = Vec::new();
    for g in POLICY_GROUP_ORDER {
        for (name, _, _) in policies {
            let Some(e) = effects
                .iter()
                .filter(of)
                .find(|e| e.group == g && e.policy == *name && e.window == window)
            else {
                continue;
            };
            rows.push(ForestRow {
                group: GROUP_NAMES[g].into(),
                label: (*name).to_string(),
                value: e.stats.diff_mean.map_or(f64::NAN, |v| v * scale),
                ci: e.stats.ci.map(|(lo, hi)| (lo * scale, hi * scale)),
            });
        }
    }
    let stem = format!("forest_{metric}");
    if !rows.iter().any(|r| r.value.is_finite()) {
        out.notes
            .push(format!("{stem} skipped: no paired effect over {window}"));
        return;
    }
    let lines = if policies.len() > 1 {
        rows.len() + GROUPS
    } else {
        rows.len()
    };
    let height = (110 + 24 * lines as u32).clamp(DEFAULT_SIZE.1 / 2, 4000);
    let unit = if is_share(metric) {
        "percentage points"
    } else {
        "policy − base"
    };
    out.figures.push(Figure {
        name: stem,
        chart: Chart::Forest(ForestPlot {
            title: format!(
                "Effect on {}, {window} (policy − base, 95 % CI)",
                metric_words(metric)
            ),
            x_label: format!("mean over {window} of {} ({unit})", metric.replace('_', " ")),
            rows,
        }),
        size: (DEFAULT_SIZE.0, height),
        caption: format!(
            "Per livelihood (all first) and policy: the mean over {window} of {}, {paired_words}; the dot is that mean and the line its Student-t 95% CI over the replicates{}. The vertical line is zero: a line that crosses it is an effect the replicates cannot tell from none. The base is {}.",
            metric.replace('_', " "),
            if is_share(metric) {
                ", in percentage points"
            } else {
                ""
            },
            base.dir.display()
        ),
        section: Section::Comparison,
    });
}

/// The per-year panels of `metric`'s paired differences.
fn panels(
    policies: &[(&str, &RunResults, &[Difference])],
    metric: &str,
    decorations: &Decorations,
    words: &str,
    replicates: usize,
    out: &mut Figures,
) {
    let scale = if is_share(metric) { 100.0 } else { 1.0 };
    let panels: Vec<Panel> = POLICY_GROUP_ORDER
        .iter()
        .map(|&g| Panel {
            title: GROUP_NAMES[g].into(),
            series: policies
                .iter()
                .filter_map(|(name, _, diffs)| {
                    let rows: Vec<&Difference> = diffs
                        .iter()
                        .filter(|d| d.group == g && d.metric == metric)
                        .collect();
                    let points: Vec<(f64, f64)> = rows
                        .iter()
                        .map(|d| {
                            (
                                f64::from(d.year),
                                d.diff_mean.map_or(f64::NAN, |v| v * scale),
                            )
                        })
                        .collect();
                    let band: Vec<(f64, f64, f64)> = rows
                        .iter()
                        .filter_map(|d| {
                            d.ci.map(|(lo, hi)| (f64::from(d.year), lo * scale, hi * scale))
                        })
                        .collect();
                    points.iter().any(|p| p.1.is_finite()).then(|| Series {
                        name: (*name).to_string(),
                        points,
                        band: (!band.is_empty()).then_some(band),
                    })
                })
                .collect(),
        })
        .collect();
    let stem = format!("panels_{metric}");
    if panels.iter().all(|p| p.series.is_empty()) {
        out.notes.push(format!("{stem} skipped: no paired values"));
        return;
    }
    let (windows, markers) = decorations.clone();
    let unit = if is_share(metric) {
        "percentage points"
    } else {
        "per year"
    };
    let band = if replicates > 1 {
        "shaded: its 95% CI"
    } else {
        "no CI"
    };
    out.figures.push(Figure {
        name: stem,
        chart: Chart::Panels(LinePanels {
            title: format!(
                "Difference in {} by year and livelihood, policy − base ({band})",
                metric.replace('_', " ")
            ),
            y_label: format!(
                "{} (policy − base, {unit}); each panel has its own scale",
                metric.replace('_', " ")
            ),
            panels,
            columns: 3,
            windows,
            markers,
            zero_line: true,
        }),
        size: (DEFAULT_SIZE.0, DEFAULT_SIZE.1 * 3 / 2),
        caption: format!(
            "One panel per livelihood (all first), each with its own y scale (a livelihood whose values are far larger does not flatten the others: compare the scales, not the heights), one line per policy: the {} of each year, {words}; {band}.",
            metric.replace('_', " ")
        ),
        section: Section::Comparison,
    });
}

/// With several policies: the differences of all households, one line
/// per policy, and every run's poverty share.
fn many_policy_lines(
    base: &RunResults,
    policies: &[(&str, &RunResults, &[Difference])],
    decorations: &Decorations,
    out: &mut Figures,
) {
    let r = base.replicates;
    let band = if r > 1 {
        format!("{r} pairs, 95% CI")
    } else {
        "1 replicate".into()
    };
    for (name, m, title, y_label) in [
        (
            "difference_poor_share",
            "poor_share",
            "Difference in poverty share of all households, policy − base",
            "share of households below the poverty line (policy − base)",
        ),
        (
            "difference_at_risk_share",
            "at_risk_share",
            "Difference in at-risk share of all households, policy − base",
            "share of households below the monitoring line (policy − base)",
        ),
        (
            "difference_mean_income",
            "mean_income_pc",
            "Difference in mean per-capita income of all households, policy − base",
            "yuan per person per year (policy − base)",
        ),
    ] {
        let series: Vec<Series> = policies
            .iter()
            .filter_map(|(policy, _, diffs)| {
                let rows: Vec<&Difference> = diffs
                    .iter()
                    .filter(|d| d.group == ALL_GROUP && d.metric == m)
                    .collect();
                let points: Vec<(f64, f64)> = rows
                    .iter()
                    .filter_map(|d| Some((f64::from(d.year), d.diff_mean?)))
                    .collect();
                let band: Vec<(f64, f64, f64)> = rows
                    .iter()
                    .filter_map(|d| d.ci.map(|(lo, hi)| (f64::from(d.year), lo, hi)))
                    .collect();
                (!points.is_empty()).then(|| Series {
                    name: (*policy).to_string(),
                    points,
                    band: (!band.is_empty()).then_some(band),
                })
            })
            .collect();
        if series.is_empty() {
            out.notes.push(format!("{name} skipped: no paired values"));
            continue;
        }
        out.figures.push(Figure {
            name: name.into(),
            chart: Chart::Line(LineChart {
                zero_line: true,
                ..over_years(format!("{title} ({band})"), y_label, series, decorations)
            }),
            size: DEFAULT_SIZE,
            caption: format!(
                "All households, one line per policy: its value minus the base's, replicate by replicate (replicate r of both shares its random streams when the seeds are equal); {}.",
                if r > 1 {
                    format!("mean of {r} paired differences, shaded: 95% CI")
                } else {
                    "1 replicate, no CI".into()
                }
            ),
            section: Section::Comparison,
        });
    }
    let m = metric("poor_share");
    let mut runs: Vec<Series> = metric_series(base, ALL_GROUP, m, "base")
        .into_iter()
        .collect();
    runs.extend(
        policies
            .iter()
            .filter_map(|(name, run, _)| metric_series(run, ALL_GROUP, m, name)),
    );
    if runs.len() > 1 {
        out.figures.push(Figure {
            name: "compare_poor_share".into(),
            chart: Chart::Line(over_years(
                format!(
                    "Poverty share of all households, base and policies ({})",
                    replicate_phrase(r)
                ),
                "share of households below the poverty line",
                runs,
                decorations,
            )),
            size: DEFAULT_SIZE,
            caption: format!(
                "All households: the base ({}) and each policy, each run's own level (not its paired difference from the base, replicate by replicate, of the charts above); {}.",
                base.dir.display(),
                replicate_phrase(r)
            ),
            section: Section::Comparison,
        });
    }
}

// ---------------------------------------------------------------------------
// A sweep.

/// The levels of a factor as charted: numeric factors with more than
/// [`MAX_LEVELS`] distinct values are binned.
#[derive(Debug, Clone)]
struct Levels {
    /// Label of each level (or bin).
    labels: Vec<String>,
    /// Position of each level on a numeric axis, when numeric.
    xs: Option<Vec<f64>>,
    /// Each distinct value → its level.
    assign: Vec<(String, usize)>,
    binned: bool,
}

/// At most this many levels (or bins) on a response chart.
pub(crate) const MAX_LEVELS: usize = 10;

impl Levels {
    /// Numeric factors with more than `max` distinct values go into `max`
    /// equal-width bins.
    fn at_most(values: &[&str], max: usize) -> Levels {
        let max = max.max(2);
        let mut distinct: Vec<&str> = values.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let nums: Option<Vec<f64>> = distinct
            .iter()
            .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect();
        match nums {
            Some(nums) => {
                let mut pairs: Vec<(f64, &str)> = nums.into_iter().zip(distinct).collect();
                pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
                if pairs.len() <= max {
                    Levels {
                        labels: pairs.iter().map(|p| p.1.to_string()).collect(),
                        xs: Some(pairs.iter().map(|p| p.0).collect()),
                        assign: pairs
                            .iter()
                            .enumerate()
                            .map(|(i, p)| (p.1.to_string(), i))
                            .collect(),
                        binned: false,
                    }
                } else {
                    let (lo, hi) = (pairs[0].0, pairs[pairs.len() - 1].0);
                    let width = (hi - lo) / max as f64;
                    let bin = |x: f64| (((x - lo) / width) as usize).min(max - 1);
                    Levels {
                        labels: (0..max)
                            .map(|b| {
                                format!(
                                    "{}–{}",
                                    sig3(lo + width * b as f64),
                                    sig3(lo + width * (b + 1) as f64)
                                )
                            })
                            .collect(),
                        xs: Some((0..max).map(|b| lo + width * (b as f64 + 0.5)).collect()),
                        assign: pairs.iter().map(|p| (p.1.to_string(), bin(p.0))).collect(),
                        binned: true,
                    }
                }
            }
            None => Levels {
                labels: distinct.iter().map(|s| s.to_string()).collect(),
                xs: None,
                assign: distinct
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.to_string(), i))
                    .collect(),
                binned: false,
            },
        }
    }

    fn index(&self, value: &str) -> Option<usize> {
        self.assign.iter().find(|a| a.0 == value).map(|a| a.1)
    }
}

/// A number in four significant digits, without trailing zeros.
pub(crate) fn short(x: f64) -> String {
    significant(x, 4)
}

/// A number in three significant digits, without trailing zeros.
fn sig3(x: f64) -> String {
    significant(x, 3)
}

fn significant(x: f64, n: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (n - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The last segment of a factor's dotted path.
pub(crate) fn short_factor(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// What an outcome column of `runs.csv` measures, with its unit.
pub(crate) fn outcome_label(col: &str) -> String {
    let (group, what) = match col.split_once('_') {
        Some((g, w)) if GROUP_NAMES.contains(&g) => (g, w),
        _ => return col.to_string(),
    };
    let who = if group == "all" {
        "all households".to_string()
    } else {
        format!("{group} households")
    };
    match what {
        "final_share" => format!("share of households in {group}, last year"),
        "final_poor_share" => format!("poverty share of {who}, last year"),
        "mean_poor_share" => format!("poverty share of {who}, mean over the years"),
        "cum_returned" => format!("households of {group} returned to poverty, sum over the years"),
        _ => col.to_string(),
    }
}

/// For a shard's manifest, "shard I/N of a sweep of R runs: this directory
/// holds M of them; merge the shards for the whole sweep"; none for a
/// whole sweep or a merge.
pub fn shard_sentence(m: &migflow_io::manifest::SweepManifest) -> Option<String> {
    m.shard.map(|sh| {
        format!(
            "shard {}/{} of a sweep of {} runs: this directory holds {} of them; merge the shards for the whole sweep",
            sh.index,
            sh.count,
            m.runs,
            m.run_status.len()
        )
    })
}

/// The charts of a sweep: the response of `outcome` to each factor, a
/// two-factor heat map, and the poverty trajectory of each design point.
pub fn sweep_charts(s: &SweepResults, outcome: &str) -> Result<Figures> {
    let o = s.outcome(outcome)?;
    let mut out = Figures {
        figures: Vec::new(),
        notes: s.notes.clone(),
    };
    // A shard holds only some replicates of each point: its charts would
    // show partial means as if they were the sweep's.
    if let Some(shard) = shard_sentence(&s.manifest) {
        out.notes.push(format!(
            "{shard}. No charts are drawn for a shard: each design point's replicates are spread over the shards"
        ));
        return Ok(out);
    }
    let label = outcome_label(outcome);
    let ok: Vec<&migflow_io::results::SweepRun> = s
        .runs
        .iter()
        .filter(|r| r.ok && r.outcomes[o].is_some())
        .collect();
    let failed = s.runs.iter().filter(|r| !r.ok).count();
    if failed > 0 {
        out.notes.push(format!(
            "{failed} failed run(s) left out (see failures.csv)"
        ));
    }
    let mut varying = Vec::new();
    // Binned factors: about four design points a bin, at most MAX_LEVELS.
    let bins = (s.points.len() / 4).clamp(2, MAX_LEVELS);
    for (f, path) in s.factors.iter().enumerate() {
        let values: Vec<&str> = ok.iter().map(|r| r.factors[f].as_str()).collect();
        let levels = Levels::at_most(&values, bins);
        if levels.labels.len() < 2 {
            out.notes.push(format!(
                "response to {path} skipped: it has a single level ({})",
                levels.labels.first().map_or("", String::as_str)
            ));
            continue;
        }
        varying.push((f, levels));
    }
    for (f, levels) in &varying {
        let path = &s.factors[*f];
        let mut per_level: Vec<Vec<f64>> = vec![Vec::new(); levels.labels.len()];
        for r in &ok {
            if let (Some(k), Some(v)) = (levels.index(&r.factors[*f]), r.outcomes[o]) {
                per_level[k].push(v);
            }
        }
        let stats: Vec<_> = per_level.iter().map(|v| summarize(v)).collect();
        let title = format!(
            "Response of {} to {} (mean, 95% CI{})",
            outcome,
            short_factor(path),
            if levels.binned { ", binned" } else { "" }
        );
        let chart = match &levels.xs {
            Some(xs) => {
                let points: Vec<(f64, f64)> = xs
                    .iter()
                    .zip(&stats)
                    .filter_map(|(&x, st)| Some((x, st.0?)))
                    .collect();
                let band: Vec<(f64, f64, f64)> = xs
                    .iter()
                    .zip(&stats)
                    .filter_map(|(&x, st)| Some((x, st.2?, st.3?)))
                    .collect();
                Chart::Line(LineChart {
                    title,
                    x_label: path.clone(),
                    y_label: label.clone(),
                    series: vec![Series {
                        name: outcome.to_string(),
                        points,
                        band: (!band.is_empty()).then_some(band),
                    }],
                    windows: Vec::new(),
                    markers: Vec::new(),
                    zero_line: false,
                })
            }
            None => Chart::Bars(Bars {
                title,
                x_label: path.clone(),
                y_label: label.clone(),
                bars: levels
                    .labels
                    .iter()
                    .zip(&stats)
                    .filter_map(|(l, st)| Some((l.clone(), st.0?, st.2.zip(st.3))))
                    .collect(),
            }),
        };
        let counts: Vec<String> = levels
            .labels
            .iter()
            .zip(&per_level)
            .map(|(l, v)| format!("{l}: {}", v.len()))
            .collect();
        out.figures.push(Figure {
            name: format!("sweep_response_{}", file_safe(short_factor(path))),
            chart,
            size: DEFAULT_SIZE,
            caption: format!(
                "{label} ({outcome} of runs.csv) at each level of {path}{}, averaged over every run there (other factors and replicates); Student-t 95% CI. Runs per level: {}.",
                if levels.binned {
                    format!(" in {} equal-width bins", levels.labels.len())
                } else {
                    String::new()
                },
                counts.join(", ")
            ),
            section: Section::Sweep,
        });
    }
    if varying.len() >= 2 {
        // Few enough bins that most cells hold a run: about √points a side.
        let side = ((s.points.len() as f64).sqrt().floor() as usize).clamp(2, MAX_LEVELS);
        let heat_levels = |f: usize| {
            let values: Vec<&str> = ok.iter().map(|r| r.factors[f].as_str()).collect();
            Levels::at_most(&values, side)
        };
        let (fx, lx) = (&varying[0].0, &heat_levels(varying[0].0));
        let (fy, ly) = (&varying[1].0, &heat_levels(varying[1].0));
        let overall = summarize(&ok.iter().filter_map(|r| r.outcomes[o]).collect::<Vec<_>>())
            .0
            .unwrap_or(0.0);
        let mut cells = vec![vec![Vec::new(); lx.labels.len()]; ly.labels.len()];
        for r in &ok {
            if let (Some(i), Some(j), Some(v)) = (
                lx.index(&r.factors[*fx]),
                ly.index(&r.factors[*fy]),
                r.outcomes[o],
            ) {
                cells[j][i].push(v);
            }
        }
        let values: Vec<Vec<f64>> = cells
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| summarize(v).0.map_or(f64::NAN, |m| m - overall))
                    .collect()
            })
            .collect();
        let (px, py) = (&s.factors[*fx], &s.factors[*fy]);
        out.figures.push(Figure {
            name: "sweep_heatmap".into(),
            chart: Chart::Heat(HeatMap {
                title: format!(
                    "Mean {outcome} per cell, minus the overall mean {}",
                    short(overall)
                ),
                x_label: px.clone(),
                y_label: py.clone(),
                x_names: lx.labels.clone(),
                y_names: ly.labels.clone(),
                values,
                annotate: true,
            }),
            size: DEFAULT_SIZE,
            caption: format!(
                "{label}: mean over the runs in each cell of {px} × {py} (other factors and replicates averaged), minus the mean of all runs ({}), so that red cells are above the mean and blue ones below{}; grey cells have no run.",
                short(overall),
                if lx.binned || ly.binned { "; numeric factors in equal-width bins" } else { "" }
            ),
            section: Section::Sweep,
        });
    } else {
        out.notes.push(format!(
            "two-factor heat map skipped: the sweep varies {} factor(s), it needs two",
            varying.len()
        ));
    }
    // Trajectories by design point.
    if let Some(summary) = &s.point_summary {
        const MAX_POINTS: usize = 8;
        if s.points.len() > MAX_POINTS {
            out.notes.push(format!(
                "poverty trajectories by design point skipped: {} points (at most {MAX_POINTS} are drawn)",
                s.points.len()
            ));
        } else {
            let m = metric("poor_share");
            let varying_f: Vec<usize> = varying.iter().map(|v| v.0).collect();
            let series: Vec<Series> = s
                .points
                .iter()
                .filter_map(|(p, values)| {
                    let name = if varying_f.is_empty() {
                        format!("point {p}")
                    } else {
                        varying_f
                            .iter()
                            .map(|&f| format!("{} = {}", short_factor(&s.factors[f]), values[f]))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let mut points = Vec::new();
                    let mut band = Vec::new();
                    for &y in &s.years {
                        if let Some(e) = summary.get(&(*p, y, m)) {
                            if let Some(mean) = e.mean {
                                points.push((f64::from(y), mean));
                            }
                            if let Some((lo, hi)) = e.ci {
                                band.push((f64::from(y), lo, hi));
                            }
                        }
                    }
                    (!points.is_empty()).then(|| Series {
                        name,
                        points,
                        band: (!band.is_empty()).then_some(band),
                    })
                })
                .collect();
            if series.is_empty() {
                out.notes.push(
                    "poverty trajectories by design point skipped: points_summary.csv has no poor_share of all".into(),
                );
            } else {
                let reps = s.manifest.replicates as usize;
                out.figures.push(Figure {
                    name: "sweep_poor_share_by_point".into(),
                    chart: Chart::Line(over_years(
                        format!(
                            "Poverty share of all households by design point ({})",
                            replicate_phrase(reps)
                        ),
                        "share of households below the poverty line",
                        series,
                        &Decorations::default(),
                    )),
                    size: DEFAULT_SIZE,
                    caption: format!(
                        "The poverty share of all households at each design point, by year (points_summary.csv); {}.",
                        replicate_phrase(reps)
                    ),
                    section: Section::Sweep,
                });
            }
        }
    }
    Ok(out)
}

/// A name safe in a file name.
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.25), 2.0);
        assert!((quantile(&v, 0.05) - 1.2).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.95), 7.0);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(12345.6), "12,346");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(short(0.123456), "0.1235");
        assert_eq!(short(2000.0), "2000");
    }

    #[test]
    fn many_numeric_levels_are_binned() {
        let values: Vec<String> = (0..30).map(|i| format!("{}", i as f64 / 10.0)).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let l = Levels::at_most(&refs, MAX_LEVELS);
        assert!(l.binned);
        assert_eq!(l.labels.len(), MAX_LEVELS);
        assert_eq!(l.index("0"), Some(0));
        assert_eq!(l.index("2.9"), Some(MAX_LEVELS - 1));
        let l = Levels::at_most(&["true", "false", "true"], MAX_LEVELS);
        assert_eq!(l.labels, vec!["false", "true"]);
        assert!(l.xs.is_none());
    }
}
