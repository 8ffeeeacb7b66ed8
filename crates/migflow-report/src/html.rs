//! The self-contained HTML report: one file with inline CSS and inline SVG
//! charts, no script and no external reference, readable on screen and in
//! print. It holds the scenario in short, the key numbers, the headline
//! table, every chart (and a note for each chart skipped), an optional
//! comparison with one or more policy runs, and the manifest.
//!
//! The page is written with [`maud`] templates, which escape every value
//! put into them (paths, names, notes, the manifest) by construction. Only
//! markup made here goes in as it is ([`PreEscaped`]): the style sheet and
//! the SVG of the charts, each use saying why it is safe.

pub mod discover;
mod numbers;
pub mod robust;
mod run;
mod sweep;

use super::build::{self, Figure, Figures, Section};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use migflow_analysis::effects::{Effect, Window, window_effects};
use migflow_io::error::{Error, Result};
use migflow_io::results::{CohortDifference, Difference, Results, RunResults};
use std::path::{Path, PathBuf};

/// A policy run compared with the report's run (the base).
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Its name in the report (see [`build::policy_names`]).
    pub name: &'a str,
    /// The run.
    pub run: &'a RunResults,
    /// Paired differences, policy − base.
    pub diffs: &'a [Difference],
    /// Paired differences of the cohorts, policy − base.
    pub cohort_diffs: &'a [CohortDifference],
    /// Paired effects over the report's window (see [`report`]).
    pub effects: &'a [Effect],
}

/// Policy runs compared with the report's run (the base), paired
/// replicate by replicate.
#[derive(Debug, Clone, Copy)]
pub struct Comparison<'a> {
    /// The policies, in the order given.
    pub policies: &'a [Policy<'a>],
    /// The comparison charts ([`build::policy_comparison_charts`]).
    pub figures: &'a Figures,
}

/// Read `dir` (and each run of `compare`, the policies compared with it,
/// paired replicate by replicate), build every chart, and return the
/// report's HTML and the notes on charts skipped. A policy is named by
/// its scenario file ([`build::policy_names`]); its effects are taken over
/// every year of the runs, as `migflow compare` does without `--window`.
pub fn report(
    dir: &Path,
    compare: &[PathBuf],
    years: Option<&[i32]>,
    outcome: Option<&str>,
) -> Result<(String, Vec<String>)> {
    let results = Results::read(dir, years)?;
    let figures = build::charts(&results, outcome)?;
    let mut notes = figures.notes.clone();
    let base = match (&results, compare) {
        (_, []) => return Ok((render(&results, &figures, None)?, notes)),
        (Results::Run(base), _) => base,
        (Results::Sweep(_), _) => {
            return Err(Error::Option {
                option: migflow_io::OptionName::Compare,
                message: format!(
                    "{}: is a sweep: a comparison compares the results of `migflow run`s",
                    dir.display()
                ),
            });
        }
    };
    let mut runs = Vec::with_capacity(compare.len());
    for other in compare {
        match Results::read(other, None)? {
            Results::Run(r) => runs.push(r),
            Results::Sweep(_) => {
                return Err(Error::Option {
                    option: migflow_io::OptionName::Compare,
                    message: format!(
                        "{}: is a sweep: a comparison takes the results of `migflow run`",
                        other.display()
                    ),
                });
            }
        }
    }
    let names = build::policy_names(&runs.iter().map(|r| &**r).collect::<Vec<_>>());
    let window = Window {
        start: base.years[0],
        end: base.years[base.years.len() - 1],
    };
    let mut diffs = Vec::with_capacity(runs.len());
    let mut cohort_diffs = Vec::with_capacity(runs.len());
    let mut effects = Vec::with_capacity(runs.len());
    for (run, name) in runs.iter().zip(&names) {
        diffs.push(migflow_io::results::differences(base, run)?);
        cohort_diffs.push(migflow_io::results::cohort_differences(base, run)?);
        effects.push(window_effects(base, run, name, window));
    }
    let charted: Vec<(&str, &RunResults, &[Difference])> = (0..runs.len())
        .map(|i| (names[i].as_str(), &*runs[i], diffs[i].as_slice()))
        .collect();
    let cmp = build::policy_comparison_charts(base, &charted, &effects.concat());
    notes.extend(cmp.notes.iter().cloned());
    let policies: Vec<Policy<'_>> = (0..runs.len())
        .map(|i| Policy {
            name: &names[i],
            run: &runs[i],
            diffs: &diffs[i],
            cohort_diffs: &cohort_diffs[i],
            effects: &effects[i],
        })
        .collect();
    let comparison = Comparison {
        policies: &policies,
        figures: &cmp,
    };
    Ok((render(&results, &figures, Some(comparison))?, notes))
}

/// The style sheet, inlined in the page's `<style>`.
const CSS: &str = include_str!("html/report.css");

/// The top of the page: the title, the line above it and the lede below.
struct Header {
    title: String,
    kicker: Markup,
    lede: Markup,
}

/// A section of the report: its anchor, its heading (also in the table of
/// contents) and its content.
struct Part {
    id: String,
    heading: String,
    body: Markup,
}

impl Part {
    fn new(id: impl Into<String>, heading: impl Into<String>, body: Markup) -> Part {
        Part {
            id: id.into(),
            heading: heading.into(),
            body,
        }
    }
}

/// The report of some results, with an optional comparison.
pub fn render(
    results: &Results,
    figures: &Figures,
    comparison: Option<Comparison<'_>>,
) -> Result<String> {
    let (top, mut parts) = match results {
        Results::Run(r) => (run::header(r), run::overview(r, comparison.as_ref())),
        Results::Sweep(s) => (sweep::header(s), sweep::overview(s)),
    };

    // Charts by section, numbered through the report.
    let mut n = 0;
    let mut sections: Vec<Section> = figures.figures.iter().map(|f| f.section).collect();
    if let Results::Run(_) = results {
        // A run's cohort section is there even without cohorts (it says so).
        sections.push(Section::Cohorts);
    }
    sections.sort();
    sections.dedup();
    for section in sections {
        let shown = figures.figures.iter().filter(|f| f.section == section);
        if section == Section::Cohorts
            && let Results::Run(r) = results
        {
            parts.push(run::cohorts(r, comparison.as_ref(), shown, &mut n)?);
            continue;
        }
        let body = figure_list(shown, &mut n)?;
        let id = format!("s-{section:?}").to_lowercase();
        parts.push(Part::new(id, section.heading(), body));
    }
    if let Some(cmp) = comparison
        && let Results::Run(base) = results
    {
        parts.push(run::comparison(base, cmp, &mut n)?);
    }
    let mut notes: Vec<&String> = figures.notes.iter().collect();
    if let Some(c) = comparison {
        notes.extend(c.figures.notes.iter());
    }
    // The analyses of a sweep written in their default places
    // (SWEEP_DIR/robust, SWEEP_DIR/discover), each made again from the
    // sweep's files and its recorded options.
    if let Results::Sweep(s) = results {
        if let Some(body) = robust::section_numbered(&s.dir, &mut n) {
            parts.push(Part::new("robustness", "Robustness of the policies", body));
        }
        if let Some(body) = discover::section(&s.dir.join("discover")) {
            parts.push(Part::new(
                "discovery",
                "Scenario discovery: where the outcome is bad",
                body,
            ));
        }
    }
    if !notes.is_empty() {
        let body = html! { ul { @for note in &notes { li { (note) } } } };
        parts.push(Part::new("notes", "Charts not shown, and notes", body));
    }
    parts.push(match results {
        Results::Run(r) => run::manifest(r),
        Results::Sweep(s) => sweep::manifest(s),
    });

    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="generator" content="migflow report";
                title { (top.title) }
                // PreEscaped: the style sheet is a constant of this crate
                // with no `</style>` in it, and browsers do not unescape the
                // text of a <style> element (escaping would break its
                // quoted font names).
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    header {
                        p.kicker { (top.kicker) }
                        h1 { (top.title) }
                        p.lede { (top.lede) }
                    }
                    nav aria-label="Contents" {
                        ol {
                            @for p in &parts {
                                li { a href={ "#" (p.id) } { (p.heading) } }
                            }
                        }
                    }
                    @for p in &parts {
                        h2 id=(p.id) { (p.heading) }
                        (p.body)
                    }
                    footer {
                        "Made by " code { "migflow report" } " from the result files alone; "
                        "the charts are SVG inside this file, which needs no network and no script. "
                        "Shares are of households; incomes are per-capita net incomes in nominal "
                        "yuan per person per year."
                    }
                }
            }
        }
    };
    Ok(page.into_string())
}

/// The figures, numbered on from `n`.
fn figure_list<'a>(figures: impl IntoIterator<Item = &'a Figure>, n: &mut usize) -> Result<Markup> {
    let mut shown = Vec::new();
    for f in figures {
        *n += 1;
        shown.push(figure(f, *n)?);
    }
    Ok(html! { @for f in &shown { (f) } })
}

/// A chart with its number and caption.
fn figure(f: &Figure, n: usize) -> Result<Markup> {
    let svg = f.svg()?;
    Ok(html! {
        figure id={ "fig-" (f.name) } {
            (inline_svg(&svg, f.chart.title()))
            figcaption { b { "Figure " (n) "." } " " (f.caption) }
        }
    })
}

/// Make a chart's SVG fit the page: no XML prolog, no fixed size (the
/// viewBox keeps the aspect ratio), a role and a label.
pub(crate) fn inline_svg(svg: &str, title: &str) -> Markup {
    let svg = svg.find("<svg").map_or(svg, |i| &svg[i..]);
    let parts = svg.find('>').and_then(|end| {
        let inner = svg[end + 1..].trim_end().strip_suffix("</svg>")?;
        Some((&svg[..end], inner))
    });
    let Some((open, inner)) = parts else {
        // Not a whole SVG document: shown as text, escaped.
        return html! { (svg) };
    };
    let view_box = attribute(open, "viewBox").map(str::to_string).or_else(|| {
        let (w, h) = (attribute(open, "width")?, attribute(open, "height")?);
        Some(format!("0 0 {w} {h}"))
    });
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=[view_box] role="img"
            aria-label=(title) preserveAspectRatio="xMidYMid meet" {
            // PreEscaped: the drawing as plotters wrote it from our chart
            // data; its SVG backend escapes every text and attribute value
            // it writes (titles, names and labels come from result files).
            (PreEscaped(inner))
        }
    }
}

/// The value of the attribute `name="…"` in an opening tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// A table of names (left) and values.
fn kv_table(rows: &[(&str, Markup)]) -> Markup {
    html! {
        table.kv { tbody { @for (k, v) in rows { tr { th { (k) } td { (v) } } } } }
    }
}

/// `text` in the monospace font (paths, hashes, commands).
fn mono(text: &str) -> Markup {
    html! { span.mono { (text) } }
}

/// The rows of the manifest that runs and sweeps share.
fn provenance_rows(version: &str, commit: Option<&str>, seed: u64) -> Vec<(&'static str, Markup)> {
    vec![
        ("migflow version", html! { (version) }),
        ("git commit", mono(commit.unwrap_or("unknown"))),
        ("seed", html! { (seed) }),
    ]
}

/// Items as code, separated by commas.
fn code_list(items: &[String]) -> Markup {
    html! {
        @for (i, item) in items.iter().enumerate() {
            @if i > 0 { ", " }
            code { (item) }
        }
    }
}

/// The files of a manifest with their hashes.
fn files_table(files: &[migflow_io::manifest::FileEntry]) -> Markup {
    html! {
        @if !files.is_empty() {
            h3 { "Files" }
            table.text {
                thead { tr { th { "file" } th { "SHA-256" } } }
                tbody {
                    @for f in files {
                        tr { td { (f.name) } td.mono { (f.sha256) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
