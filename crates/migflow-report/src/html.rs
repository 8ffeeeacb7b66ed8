//! The self-contained HTML report: one file with inline CSS and inline SVG
//! charts, no script and no external reference, readable on screen and in
//! print. It holds the scenario in short, the key numbers, the headline
//! table, every chart (and a note for each chart skipped), an optional
//! comparison with another run, and the manifest.

use super::build::{self, Figure, Figures, Section, thousands};
use migflow_core::record::ALL_GROUP;
use migflow_core::stats::summarize;
use migflow_io::error::{Error, Result};
use migflow_io::results::{
    COMPARED_METRICS, Difference, GROUP_NAMES, Results, RunResults, SweepResults, event_detail,
    lever_windows, metric_index, shaded_windows,
};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Another run compared with the report's run (the report's run is the
/// base).
#[derive(Debug, Clone, Copy)]
pub struct Comparison<'a> {
    /// The other (policy) run.
    pub policy: &'a RunResults,
    /// Paired differences, policy − base.
    pub diffs: &'a [Difference],
    /// The comparison charts.
    pub figures: &'a Figures,
}

/// Read `dir` (and `compare`), build every chart, and return the report's
/// HTML and the notes on charts skipped.
pub fn report(
    dir: &Path,
    compare: Option<&Path>,
    years: Option<&[i32]>,
    outcome: Option<&str>,
) -> Result<(String, Vec<String>)> {
    let results = Results::read(dir, years)?;
    let figures = build::charts(&results, outcome)?;
    let mut notes = figures.notes.clone();
    let html = match (compare, &results) {
        (None, _) => render(&results, &figures, None)?,
        (Some(other), Results::Run(base)) => {
            let policy = match Results::read(other, None)? {
                Results::Run(r) => r,
                Results::Sweep(_) => {
                    return Err(Error::Input {
                        path: other.to_path_buf(),
                        message: "is a sweep: --compare takes the results of `migflow run`".into(),
                    });
                }
            };
            let diffs = migflow_io::results::differences(base, &policy)?;
            let cmp = build::comparison_charts(base, &policy, &diffs);
            notes.extend(cmp.notes.iter().cloned());
            render(
                &results,
                &figures,
                Some(Comparison {
                    policy: &policy,
                    diffs: &diffs,
                    figures: &cmp,
                }),
            )?
        }
        (Some(_), Results::Sweep(_)) => {
            return Err(Error::Input {
                path: dir.to_path_buf(),
                message: "is a sweep: --compare compares the results of two `migflow run`s".into(),
            });
        }
    };
    Ok((html, notes))
}

/// Write `text` to `path` atomically: a temporary file in the same
/// directory, synced, then renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            message: "not a file name".into(),
        })?;
    let tmp = migflow_io::atomic::temp_path(&dir, &name);
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// "1 replicate", "4 replicates".
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n as f64))
    }
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| format!("{:.1}&#8239;%", v * 100.0))
}

/// A difference of shares in percentage points, with `digits` decimals.
fn pp_n(x: Option<f64>, digits: usize) -> String {
    x.map_or("–".into(), |v| {
        let s = format!("{:+.digits$}", v * 100.0);
        // No sign on a difference that rounds to zero.
        let s = if s[1..].chars().all(|c| c == '0' || c == '.') {
            s[1..].to_string()
        } else {
            s.replace('-', "−")
        };
        format!("{s}&#8239;pp")
    })
}

fn pp(x: Option<f64>) -> String {
    pp_n(x, 2)
}

fn yuan(x: Option<f64>) -> String {
    x.map_or("–".into(), thousands)
}

/// Make a chart's SVG fit the page: no XML prolog, no fixed size (the
/// viewBox keeps the aspect ratio), a role and a label.
pub fn inline_svg(svg: &str, title: &str) -> String {
    let svg = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    let Some(end) = svg.find('>') else {
        return svg.to_string();
    };
    let (open, rest) = svg.split_at(end);
    let mut width = None;
    let mut height = None;
    let mut attrs = String::new();
    let mut has_viewbox = false;
    // Rebuild the opening tag attribute by attribute.
    let body = open.trim_start_matches("<svg");
    let mut s = body;
    while let Some(eq) = s.find('=') {
        let name = s[..eq].trim();
        let after = s[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(close) = after[1..].find(q) else {
            break;
        };
        let value = &after[1..1 + close];
        match name {
            "width" => width = Some(value.to_string()),
            "height" => height = Some(value.to_string()),
            _ => {
                if name == "viewBox" {
                    has_viewbox = true;
                }
                let _ = write!(attrs, " {name}=\"{value}\"");
            }
        }
        s = &after[close + 2..];
    }
    if !has_viewbox && let (Some(w), Some(h)) = (&width, &height) {
        let _ = write!(attrs, " viewBox=\"0 0 {w} {h}\"");
    }
    format!(
        "<svg{attrs} role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\"{rest}",
        esc(title)
    )
}

const CSS: &str = r#"
:root { --ink: #1b2430; --muted: #5a6472; --rule: #d9dee5; --soft: #f3f5f8; --accent: #1f5f99; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #eef1f4; color: var(--ink);
  font: 16px/1.55 "Noto Sans", "Segoe UI", "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
main { max-width: 1080px; margin: 24px auto; background: #fff; padding: 40px 56px 56px;
  box-shadow: 0 1px 3px rgba(0,0,0,.08); border-radius: 4px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 14px; margin-bottom: 8px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .78rem; color: var(--accent); margin: 0 0 6px; font-weight: 600; }
h1 { font-size: 1.85rem; line-height: 1.2; margin: 0 0 8px; }
.lede { font-size: 1.05rem; color: var(--muted); margin: 0; }
h2 { font-size: 1.35rem; margin: 2.2em 0 .6em; padding-bottom: .25em; border-bottom: 1px solid var(--rule); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 1.05rem; margin: 1.6em 0 .4em; break-after: avoid; }
p { margin: .5em 0 .8em; }
nav ol { columns: 2; margin: 12px 0 0; padding-left: 1.3em; color: var(--muted); font-size: .95rem; }
nav a { color: var(--accent); text-decoration: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(165px, 1fr)); gap: 12px; margin: 16px 0 8px; }
.card { border: 1px solid var(--rule); border-left: 4px solid var(--accent); border-radius: 4px; padding: 10px 14px; background: #fff; break-inside: avoid; }
.card .v { font-size: 1.5rem; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.card .k { font-size: .85rem; color: var(--muted); }
ul.findings { padding-left: 1.2em; }
ul.findings li { margin: .25em 0; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1em; font-size: .9rem; font-variant-numeric: tabular-nums; break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--rule); text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid var(--ink); font-weight: 600; vertical-align: bottom; }
thead tr.group th { border-bottom: 1px solid var(--rule); text-align: center; font-size: .95rem; }
th.y, td.y { border-left: 1px solid var(--rule); }
tbody tr:nth-child(even) td { background: var(--soft); }
tr.all td { font-weight: 600; border-top: 2px solid var(--ink); }
table.kv th { text-align: left; font-weight: 600; width: 28%; color: var(--muted); }
table.kv td { text-align: left; }
table.text td, table.text th { text-align: left; }
.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .82rem; word-break: break-all; }
figure { margin: 20px 0 28px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 3px; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: 6px; }
figcaption b { color: var(--ink); }
.note { background: #fff8e6; border-left: 4px solid #d9a400; padding: 8px 12px; font-size: .9rem; }
.small { font-size: .85rem; color: var(--muted); }
footer { margin-top: 3em; padding-top: 10px; border-top: 1px solid var(--rule); font-size: .82rem; color: var(--muted); }
@media (max-width: 720px) { main { padding: 20px 16px; margin: 0; } nav ol { columns: 1; } table { font-size: .8rem; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  figure svg { border: none; }
  tbody tr:nth-child(even) td { background: none; }
  h2 { break-before: auto; }
}
"#;

/// The report of some results, with an optional comparison.
pub fn render(
    results: &Results,
    figures: &Figures,
    comparison: Option<Comparison<'_>>,
) -> Result<String> {
    let mut body = String::new();
    let mut toc: Vec<(String, String)> = Vec::new();
    let title = match results {
        Results::Run(r) => format!(
            "Relocated households' livelihoods and poverty, {}–{}",
            r.years[0],
            r.years[r.years.len() - 1]
        ),
        Results::Sweep(s) => format!(
            "Parameter sweep: {} design, {} points × {} replicates",
            s.manifest.design, s.manifest.points, s.manifest.replicates
        ),
    };
    match results {
        Results::Run(r) => run_overview(r, &mut body, &mut toc),
        Results::Sweep(s) => sweep_overview(s, &mut body, &mut toc),
    }

    // Charts by section.
    let mut n = 0;
    let mut sections: Vec<Section> = figures.figures.iter().map(|f| f.section).collect();
    sections.sort();
    sections.dedup();
    for section in sections {
        let id = format!("s-{section:?}").to_lowercase();
        toc.push((id.clone(), section.heading().into()));
        let _ = writeln!(body, "<h2 id=\"{id}\">{}</h2>", esc(section.heading()));
        for f in figures.figures.iter().filter(|f| f.section == section) {
            n += 1;
            figure(&mut body, f, n)?;
        }
    }
    if let Some(cmp) = comparison
        && let Results::Run(base) = results
    {
        toc.push(("comparison".into(), Section::Comparison.heading().into()));
        comparison_section(base, cmp, &mut body, &mut n)?;
    }
    let mut notes: Vec<&String> = figures.notes.iter().collect();
    if let Some(c) = comparison {
        notes.extend(c.figures.notes.iter());
    }
    if !notes.is_empty() {
        toc.push(("notes".into(), "Charts not shown, and notes".into()));
        let _ = writeln!(
            body,
            "<h2 id=\"notes\">Charts not shown, and notes</h2><ul>"
        );
        for note in notes {
            let _ = writeln!(body, "<li>{}</li>", esc(note));
        }
        body.push_str("</ul>\n");
    }
    toc.push(("manifest".into(), "Provenance: the manifest".into()));
    match results {
        Results::Run(r) => run_manifest(r, &mut body),
        Results::Sweep(s) => sweep_manifest(s, &mut body),
    }

    let (kicker, lede) = match results {
        Results::Run(r) => {
            let s = &r.scenario;
            (
                format!(
                    "migflow {} · simulation report · {}",
                    esc(&r.manifest.migflow_version),
                    esc(&r.manifest.scenario_source)
                ),
                format!(
                    "{} households at {}, simulated year by year from {} to {}; {}, seed {}. Every figure below is read from the run's files in <span class=\"mono\">{}</span>.",
                    thousands(r.manifest.households as f64),
                    plural(u64::from(s.population.sites), "resettlement site"),
                    r.years[0],
                    r.years[r.years.len() - 1],
                    plural(r.replicates as u64, "replicate"),
                    r.manifest.seed,
                    esc(&r.dir.display().to_string())
                ),
            )
        }
        Results::Sweep(s) => (
            format!(
                "migflow {} · sweep report",
                esc(&s.manifest.migflow_version)
            ),
            format!(
                "{} runs ({} completed, {} failed) over the factors {}; seed {}. Read from <span class=\"mono\">{}</span>.",
                s.manifest.runs,
                s.manifest.completed,
                s.manifest.failed,
                s.factors
                    .iter()
                    .map(|f| format!("<code>{}</code>", esc(f)))
                    .collect::<Vec<_>>()
                    .join(", "),
                s.manifest.seed,
                esc(&s.dir.display().to_string())
            ),
        ),
    };
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"migflow report\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <header>\n<p class=\"kicker\">{kicker}</p>\n<h1>{}</h1>\n<p class=\"lede\">{lede}</p>\n</header>\n",
        esc(&title),
        esc(&title),
    );
    html.push_str("<nav aria-label=\"Contents\"><ol>\n");
    for (id, label) in &toc {
        let _ = writeln!(html, "<li><a href=\"#{id}\">{}</a></li>", esc(label));
    }
    html.push_str("</ol></nav>\n");
    html.push_str(&body);
    let _ = write!(
        html,
        "<footer>Made by <code>migflow report</code> from the result files alone; \
         the charts are SVG inside this file, which needs no network and no script. \
         Shares are of households; incomes are per-capita net incomes in nominal yuan per person per year.</footer>\n\
         </main>\n</body>\n</html>\n"
    );
    Ok(html)
}

fn figure(body: &mut String, f: &Figure, n: usize) -> Result<()> {
    let svg = f.svg()?;
    let title = f.chart.title().to_string();
    let _ = writeln!(
        body,
        "<figure id=\"fig-{}\">\n{}\n<figcaption><b>Figure {n}.</b> {}</figcaption>\n</figure>",
        esc(&f.name),
        inline_svg(&svg, &title),
        esc(&f.caption)
    );
    Ok(())
}

/// Mean over replicates of a metric.
fn mean(r: &RunResults, t: usize, g: usize, metric: &str) -> Option<f64> {
    let m = metric_index(metric)?;
    summarize(&r.values(t, g, m)).0
}

/// Share of all households in group `g`, mean over replicates.
fn share(r: &RunResults, t: usize, g: usize) -> Option<f64> {
    let m = metric_index("households")?;
    let v: Vec<f64> = r
        .trajectories
        .iter()
        .filter_map(|rep| {
            let all = rep[t][ALL_GROUP][m]?;
            (all > 0.0).then(|| rep[t][g][m].unwrap_or(0.0) / all)
        })
        .collect();
    summarize(&v).0
}

/// The first, a middle and the last year's indices (distinct).
fn headline_years(n: usize) -> Vec<usize> {
    let mut v = vec![0, n / 2, n - 1];
    v.dedup();
    v
}

fn ci_words(e: &migflow_io::results::Estimate) -> String {
    match e.ci {
        Some((lo, hi)) => format!(" (95% CI {:.1}–{:.1}&#8239;%)", lo * 100.0, hi * 100.0),
        None => String::new(),
    }
}

fn run_overview(r: &RunResults, body: &mut String, toc: &mut Vec<(String, String)>) {
    let s = &r.scenario;
    let n = r.years.len();
    let (t0, t1) = (0, n - 1);
    let (y0, y1) = (r.years[t0], r.years[t1]);
    let poor = metric_index("poor_share").unwrap_or(0);
    let e0 = r.estimate(t0, ALL_GROUP, poor);
    let e1 = r.estimate(t1, ALL_GROUP, poor);

    // Key numbers.
    toc.push(("key".into(), "Key numbers".into()));
    let _ = writeln!(body, "<h2 id=\"key\">Key numbers</h2>");
    body.push_str("<div class=\"cards\">\n");
    let card = |body: &mut String, v: String, k: String| {
        let _ = writeln!(
            body,
            "<div class=\"card\"><div class=\"v\">{v}</div><div class=\"k\">{k}</div></div>"
        );
    };
    card(
        body,
        pct(e1.mean),
        format!(
            "of households below the poverty line in {y1} ({} in {y0})",
            pct(e0.mean)
        ),
    );
    card(
        body,
        pct(mean(r, t1, ALL_GROUP, "ever_poor_share")),
        format!("have been poor in some year by {y1}"),
    );
    card(
        body,
        pct(mean(r, t1, ALL_GROUP, "return_rate")),
        format!("of the non-poor of {} fell into poverty in {y1}", y1 - 1),
    );
    let wl = metric_index("with_labor").unwrap_or(0);
    let employed: Vec<f64> = r
        .trajectories
        .iter()
        .filter_map(|rep| {
            let all = rep[t1][ALL_GROUP][wl]?;
            (all > 0.0).then(|| 1.0 - rep[t1][4][wl].unwrap_or(0.0) / all)
        })
        .collect();
    card(
        body,
        pct(summarize(&employed).0),
        format!("of households with labour have a livelihood in {y1}"),
    );
    card(
        body,
        yuan(mean(r, t1, ALL_GROUP, "median_income_pc")),
        format!(
            "median yuan per person in {y1}; poverty line {}",
            thousands(r.lines(y1).0)
        ),
    );
    body.push_str("</div>\n");

    // Findings in words.
    let mut findings = Vec::new();
    findings.push(format!(
        "The share of households below the poverty line goes from {}{} in {y0} to {}{} in {y1}.",
        pct(e0.mean),
        ci_words(&e0),
        pct(e1.mean),
        ci_words(&e1)
    ));
    let worst = (0..5)
        .filter_map(|g| Some((g, mean(r, t1, g, "poor_share")?)))
        .filter(|(g, _)| share(r, t1, *g).unwrap_or(0.0) > 0.0)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let best = (0..5)
        .filter_map(|g| Some((g, mean(r, t1, g, "poor_share")?)))
        .filter(|(g, _)| share(r, t1, *g).unwrap_or(0.0) > 0.0)
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some((gw, w)), Some((gb, b))) = (worst, best) {
        findings.push(format!(
            "In {y1} poverty is highest among <b>{}</b> households ({}) and lowest among <b>{}</b> households ({}).",
            GROUP_NAMES[gw],
            pct(Some(w)),
            GROUP_NAMES[gb],
            pct(Some(b))
        ));
    }
    if n > 1 {
        let changes: Vec<(usize, f64)> = (0..5)
            .filter_map(|g| Some((g, share(r, t1, g)? - share(r, t0, g)?)))
            .collect();
        if let (Some(up), Some(down)) = (
            changes.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            changes.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        ) {
            findings.push(format!(
                "From {y0} to {y1} the <b>{}</b> livelihood grows most ({}) and <b>{}</b> shrinks most ({}).",
                GROUP_NAMES[up.0],
                pp_n(Some(up.1), 1),
                GROUP_NAMES[down.0],
                pp_n(Some(down.1), 1)
            ));
        }
    }
    let windows = shaded_windows(s, y0, y1);
    if let Some(end) = windows.iter().map(|w| w.1).max()
        && let (Some(ta), Some(tb)) = (r.year_index(end), r.year_index(end + 1))
    {
        let a = r.estimate(ta, ALL_GROUP, poor);
        let b = r.estimate(tb, ALL_GROUP, poor);
        findings.push(format!(
            "When the time-limited levers end after {end}, the poverty share moves from {} ({end}) to {} ({}).",
            pct(a.mean),
            pct(b.mean),
            end + 1
        ));
    }
    for e in &s.events {
        if let (Some(t), true) = (r.year_index(e.year()), e.year() > y0) {
            let before = r.estimate(t - 1, ALL_GROUP, poor);
            let during = r.estimate(t, ALL_GROUP, poor);
            findings.push(format!(
                "In {} ({}), the poverty share moves from {} to {}.",
                e.year(),
                esc(&migflow_io::results::event_label(e)),
                pct(before.mean),
                pct(during.mean)
            ));
        }
    }
    body.push_str("<ul class=\"findings\">\n");
    for f in findings {
        let _ = writeln!(body, "<li>{f}</li>");
    }
    body.push_str("</ul>\n");
    if r.replicates > 1 {
        let _ = writeln!(
            body,
            "<p class=\"small\">Means over {} replicates; intervals are Student-t 95% confidence intervals of the mean over replicates (they show simulation noise, not uncertainty in the model's parameters).</p>",
            r.replicates
        );
    } else {
        body.push_str("<p class=\"small\">One replicate: no confidence intervals. Run with <code>--replicates 4</code> or more to see the simulation noise.</p>\n");
    }

    // The scenario in short.
    toc.push(("scenario".into(), "The scenario in short".into()));
    let p = &s.population;
    let sh = p.initial_shares.as_array();
    let (pl, ml) = r.lines(y0);
    let _ = writeln!(
        body,
        "<h2 id=\"scenario\">The scenario in short</h2>\n<table class=\"kv\"><tbody>\n\
         <tr><th>Population</th><td>{} households at {}, {} origin villages{}</td></tr>\n\
         <tr><th>Livelihoods at the start</th><td>{}</td></tr>\n\
         <tr><th>Years</th><td>{y0}–{y1} ({n} years)</td></tr>\n\
         <tr><th>Replicates and seed</th><td>{}, seed {}</td></tr>\n\
         <tr><th>Poverty and monitoring lines</th><td>{} and {} yuan per person per year in {y0}, growing {:.1}&#8239;% a year</td></tr>\n\
         <tr><th>Scenario source</th><td class=\"mono\">{}</td></tr>\n\
         </tbody></table>",
        thousands(r.manifest.households as f64),
        plural(u64::from(p.sites), "resettlement site"),
        u64::from(p.sites) * u64::from(p.villages_per_site),
        if p.file.is_some() {
            " (households from a population file)"
        } else {
            ""
        },
        GROUP_NAMES[..5]
            .iter()
            .zip(sh)
            .map(|(g, v)| format!("{g} {}", pct(Some(v))))
            .collect::<Vec<_>>()
            .join(", "),
        plural(r.replicates as u64, "replicate"),
        r.manifest.seed,
        thousands(pl),
        thousands(ml),
        s.economy.line_growth * 100.0,
        esc(&r.manifest.scenario_source),
    );
    let levers = lever_windows(s);
    body.push_str("<h3>Levers</h3>\n");
    if levers.is_empty() {
        body.push_str("<p>No lever acts in this scenario.</p>\n");
    } else {
        body.push_str(
            "<table class=\"text\"><thead><tr><th>lever</th><th>years</th><th>what it does</th></tr></thead><tbody>\n",
        );
        for l in &levers {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}–{}</td><td>{}</td></tr>",
                esc(l.title),
                l.start,
                l.end,
                esc(&l.detail)
            );
        }
        body.push_str("</tbody></table>\n");
    }
    body.push_str("<h3>Events</h3>\n");
    if s.events.is_empty() {
        body.push_str("<p>No events.</p>\n");
    } else {
        body.push_str("<ul>\n");
        for e in &s.events {
            let _ = writeln!(body, "<li>{}</li>", esc(&event_detail(e)));
        }
        body.push_str("</ul>\n");
    }

    // The headline table.
    toc.push(("headline".into(), "Headline table".into()));
    let ts = headline_years(n);
    let _ = writeln!(
        body,
        "<h2 id=\"headline\">Headline table</h2>\n<p>Per livelihood in {}: the share of households, their mean per-capita income (yuan per person per year), the share below the poverty line, and the households that fell into poverty that year{}.</p>",
        ts.iter()
            .map(|&t| r.years[t].to_string())
            .collect::<Vec<_>>()
            .join(", "),
        if r.replicates > 1 {
            format!(" (means over {} replicates)", r.replicates)
        } else {
            String::new()
        }
    );
    body.push_str("<table class=\"headline\"><thead><tr class=\"group\"><th></th>");
    for &t in &ts {
        let _ = write!(body, "<th class=\"y\" colspan=\"4\">{}</th>", r.years[t]);
    }
    body.push_str("</tr><tr><th>livelihood</th>");
    for _ in &ts {
        body.push_str(
            "<th class=\"y\">share</th><th>mean income</th><th>poor</th><th>returned</th>",
        );
    }
    body.push_str("</tr></thead><tbody>\n");
    for (g, name) in GROUP_NAMES.iter().enumerate() {
        let _ = write!(
            body,
            "<tr{}><td>{}</td>",
            if g == ALL_GROUP { " class=\"all\"" } else { "" },
            name
        );
        for &t in &ts {
            let _ = write!(
                body,
                "<td class=\"y\">{}</td><td>{}</td><td>{}</td><td>{}</td>",
                pct(share(r, t, g)),
                yuan(mean(r, t, g, "mean_income_pc")),
                pct(mean(r, t, g, "poor_share")),
                yuan(mean(r, t, g, "returned")),
            );
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table>\n");
}

fn sweep_overview(s: &SweepResults, body: &mut String, toc: &mut Vec<(String, String)>) {
    toc.push(("scenario".into(), "The sweep in short".into()));
    let m = &s.manifest;
    let b = &s.base;
    let _ = writeln!(
        body,
        "<h2 id=\"scenario\">The sweep in short</h2>\n<table class=\"kv\"><tbody>\n\
         <tr><th>Design</th><td>{}: {} points × {} replicates = {} runs</td></tr>\n\
         <tr><th>Runs</th><td>{} completed, {} failed</td></tr>\n\
         <tr><th>Factors</th><td>{}</td></tr>\n\
         <tr><th>Base scenario</th><td>{} households at {}, {}–{}</td></tr>\n\
         <tr><th>Seed</th><td>{}</td></tr>\n\
         </tbody></table>",
        esc(&m.design),
        m.points,
        m.replicates,
        m.runs,
        m.completed,
        m.failed,
        s.factors
            .iter()
            .map(|f| format!("<code>{}</code>", esc(f)))
            .collect::<Vec<_>>()
            .join(", "),
        thousands(b.population.households as f64),
        plural(u64::from(b.population.sites), "resettlement site"),
        b.run.start_year,
        b.run.end_year(),
        m.seed,
    );
    // Per point: the mean of the default outcome.
    let Ok(o) = s.outcome(build::DEFAULT_OUTCOME) else {
        return;
    };
    toc.push(("headline".into(), "Design points".into()));
    const MAX_ROWS: usize = 40;
    let _ = writeln!(
        body,
        "<h2 id=\"headline\">Design points</h2>\n<p>{} of each design point: mean over its completed replicates, with the Student-t 95% CI.</p>",
        esc(&build::outcome_label(build::DEFAULT_OUTCOME))
    );
    body.push_str("<table><thead><tr><th>point</th>");
    for f in &s.factors {
        let _ = write!(body, "<th>{}</th>", esc(build::short_factor(f)));
    }
    body.push_str("<th>runs</th><th>mean</th><th>95% CI</th></tr></thead><tbody>\n");
    for (p, values) in s.points.iter().take(MAX_ROWS) {
        let v: Vec<f64> = s
            .runs
            .iter()
            .filter(|r| r.point == *p && r.ok)
            .filter_map(|r| r.outcomes[o])
            .collect();
        let (mean, _, lo, hi, n) = summarize(&v);
        let _ = write!(body, "<tr><td>{p}</td>");
        for v in values {
            let shown = v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && v.len() > 6)
                .map_or_else(|| v.clone(), build::short);
            let _ = write!(body, "<td>{}</td>", esc(&shown));
        }
        let _ = writeln!(
            body,
            "<td>{n}</td><td>{}</td><td>{}</td></tr>",
            pct(mean),
            match lo.zip(hi) {
                Some((lo, hi)) => format!("{:.2}–{:.2}&#8239;%", lo * 100.0, hi * 100.0),
                None => "–".into(),
            }
        );
    }
    body.push_str("</tbody></table>\n");
    if s.points.len() > MAX_ROWS {
        let _ = writeln!(
            body,
            "<p class=\"small\">The first {MAX_ROWS} of {} points; all are in points.csv and runs.csv.</p>",
            s.points.len()
        );
    }
}

fn comparison_section(
    base: &RunResults,
    cmp: Comparison<'_>,
    body: &mut String,
    n: &mut usize,
) -> Result<()> {
    let _ = writeln!(
        body,
        "<h2 id=\"comparison\">{}</h2>\n<p>Base: <span class=\"mono\">{}</span> ({}). Policy: <span class=\"mono\">{}</span> ({}). Differences are policy − base, paired replicate by replicate{}.</p>",
        Section::Comparison.heading(),
        esc(&base.dir.display().to_string()),
        esc(&base.manifest.scenario_source),
        esc(&cmp.policy.dir.display().to_string()),
        esc(&cmp.policy.manifest.scenario_source),
        if base.replicates > 1 {
            format!(", with Student-t 95% CIs over {} pairs", base.replicates)
        } else {
            String::new()
        }
    );
    let levers_b = lever_windows(&base.scenario);
    let levers_p = lever_windows(&cmp.policy.scenario);
    let changed: Vec<String> = levers_p
        .iter()
        .filter(|l| !levers_b.contains(l))
        .map(|l| format!("{} {}–{}: {}", l.title, l.start, l.end, l.detail))
        .collect();
    if !changed.is_empty() {
        body.push_str("<p>Levers of the policy run that differ from the base:</p><ul>\n");
        for c in changed {
            let _ = writeln!(body, "<li>{}</li>", esc(&c));
        }
        body.push_str("</ul>\n");
    }
    let ts = headline_years(base.years.len());
    body.push_str("<table><thead><tr><th>all households</th><th>year</th><th>base</th><th>policy</th><th>difference</th><th>95% CI</th></tr></thead><tbody>\n");
    for metric in COMPARED_METRICS {
        for &t in &ts {
            let year = base.years[t];
            let Some(d) = cmp
                .diffs
                .iter()
                .find(|d| d.year == year && d.group == ALL_GROUP && d.metric == metric)
            else {
                continue;
            };
            let money = metric == "mean_income_pc";
            let fmt = |x: Option<f64>| if money { yuan(x) } else { pct(x) };
            let fd = |x: Option<f64>| {
                if money {
                    x.map_or("–".into(), |v| {
                        format!("{}{}", if v >= 0.0 { "+" } else { "" }, thousands(v))
                    })
                } else {
                    pp(x)
                }
            };
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{year}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                metric.replace('_', " "),
                fmt(d.base_mean),
                fmt(d.policy_mean),
                fd(d.diff_mean),
                match d.ci {
                    Some((lo, hi)) => format!("{} to {}", fd(Some(lo)), fd(Some(hi))),
                    None => "–".into(),
                }
            );
        }
    }
    body.push_str("</tbody></table>\n<p class=\"small\">Shares in per cent; differences of shares in percentage points (pp); incomes in yuan per person per year. Every year and livelihood is in <code>differences.csv</code> (<code>migflow compare</code>).</p>\n");
    for f in &cmp.figures.figures {
        *n += 1;
        figure(body, f, *n)?;
    }
    Ok(())
}

fn kv(body: &mut String, k: &str, v: &str) {
    let _ = writeln!(body, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
}

fn run_manifest(r: &RunResults, body: &mut String) {
    let m = &r.manifest;
    body.push_str("<h2 id=\"manifest\">Provenance: the manifest</h2>\n<p>The run repeats exactly, byte for byte, with <code>migflow run manifest.json</code>.</p>\n<table class=\"kv\"><tbody>\n");
    kv(body, "migflow version", &esc(&m.migflow_version));
    kv(
        body,
        "git commit",
        &format!(
            "<span class=\"mono\">{}</span>",
            esc(m.git_commit.as_deref().unwrap_or("unknown"))
        ),
    );
    kv(body, "seed", &m.seed.to_string());
    kv(body, "replicates", &m.replicates.to_string());
    kv(
        body,
        "scenario SHA-256",
        &format!("<span class=\"mono\">{}</span>", esc(&m.scenario_sha256)),
    );
    if let Some(p) = &m.population_file {
        kv(
            body,
            "population file",
            &format!(
                "<span class=\"mono\">{} ({})</span>",
                esc(&p.name),
                esc(&p.sha256)
            ),
        );
    }
    kv(body, "started", &esc(&m.start_time));
    kv(body, "finished", &esc(&m.end_time));
    kv(
        body,
        "wall time",
        &format!(
            "{:.2} s on {} thread(s), {:.2} M household-years per second",
            m.wall_seconds,
            m.threads,
            m.household_years_per_second / 1e6
        ),
    );
    kv(
        body,
        "command",
        &format!("<span class=\"mono\">{}</span>", esc(&m.command.join(" "))),
    );
    body.push_str("</tbody></table>\n");
    files_table(body, &m.files);
}

fn sweep_manifest(s: &SweepResults, body: &mut String) {
    let m = &s.manifest;
    body.push_str(
        "<h2 id=\"manifest\">Provenance: the manifest</h2>\n<table class=\"kv\"><tbody>\n",
    );
    kv(body, "migflow version", &esc(&m.migflow_version));
    kv(
        body,
        "git commit",
        &format!(
            "<span class=\"mono\">{}</span>",
            esc(m.git_commit.as_deref().unwrap_or("unknown"))
        ),
    );
    kv(body, "seed", &m.seed.to_string());
    kv(
        body,
        "sweep SHA-256",
        &format!("<span class=\"mono\">{}</span>", esc(&m.sweep_sha256)),
    );
    kv(
        body,
        "runs",
        &format!(
            "{} ({} completed, {} failed)",
            m.runs, m.completed, m.failed
        ),
    );
    body.push_str("</tbody></table>\n<h3>The sweep file, as resolved</h3>\n");
    let _ = writeln!(body, "<pre class=\"mono\">{}</pre>", esc(&m.sweep_toml));
    files_table(body, &m.files);
}

fn files_table(body: &mut String, files: &[migflow_io::manifest::FileEntry]) {
    if files.is_empty() {
        return;
    }
    body.push_str("<h3>Files</h3>\n<table class=\"text\"><thead><tr><th>file</th><th>SHA-256</th></tr></thead><tbody>\n");
    for f in files {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td class=\"mono\">{}</td></tr>",
            esc(&f.name),
            esc(&f.sha256)
        );
    }
    body.push_str("</tbody></table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_made_responsive() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"800\" height=\"600\" xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>";
        let out = inline_svg(svg, "A & B");
        assert!(out.starts_with("<svg"), "{out}");
        assert!(!out.contains("width=\"800\""), "{out}");
        assert!(out.contains("viewBox=\"0 0 800 600\""), "{out}");
        assert!(out.contains("aria-label=\"A &amp; B\""), "{out}");
        assert!(out.ends_with("<rect/></svg>"), "{out}");
    }

    #[test]
    fn escapes() {
        assert_eq!(esc("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    }

    #[test]
    fn differences_read_well() {
        assert_eq!(pp(Some(-0.0123)), "−1.23&#8239;pp");
        assert_eq!(pp(Some(-0.000001)), "0.00&#8239;pp");
        assert_eq!(pp(Some(0.005)), "+0.50&#8239;pp");
        assert_eq!(headline_years(15), vec![0, 7, 14]);
        assert_eq!(headline_years(2), vec![0, 1]);
        assert_eq!(headline_years(1), vec![0]);
    }
}
