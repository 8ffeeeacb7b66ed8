//! The parts of the report of a run: the key numbers and findings, the
//! scenario in short, the headline table, the comparison with another run
//! and the manifest.

use super::numbers::{ci_words, pct, plural, pp, pp_n, yuan};
use super::{Comparison, Header, Part, figure_list, files_table, kv_table, mono, provenance_rows};
use crate::build::{Section, group_share, thousands};
use maud::{Markup, html};
use migflow_core::record::ALL_GROUP;
use migflow_core::stats::summarize;
use migflow_io::error::Result;
use migflow_io::results::{
    COMPARED_METRICS, GROUP_NAMES, RunResults, event_detail, event_label, lever_windows,
    metric_index, shaded_windows,
};

/// The livelihood groups without "all".
const LIVELIHOODS: usize = 5;

/// Mean over replicates of a metric.
fn mean(r: &RunResults, t: usize, g: usize, metric: &str) -> Option<f64> {
    let m = metric_index(metric)?;
    summarize(&r.values(t, g, m)).0
}

/// The first, a middle and the last year's indices (distinct).
fn headline_years(n: usize) -> Vec<usize> {
    let mut v = vec![0, n / 2, n - 1];
    v.dedup();
    v
}

/// The title, the line above it and the lede.
pub(super) fn header(r: &RunResults) -> Header {
    let (y0, y1) = (r.years[0], r.years[r.years.len() - 1]);
    let m = &r.manifest;
    Header {
        title: format!("Relocated households' livelihoods and poverty, {y0}–{y1}"),
        kicker: html! {
            "migflow " (m.migflow_version) " · simulation report · " (m.scenario_source)
        },
        lede: html! {
            (thousands(m.households as f64)) " households at "
            (plural(u64::from(r.scenario.population.sites), "resettlement site"))
            ", simulated year by year from " (y0) " to " (y1) "; "
            (plural(r.replicates as u64, "replicate")) ", seed " (m.seed)
            ". Every figure below is read from the run's files in "
            (mono(&r.dir.display().to_string())) "."
        },
    }
}

/// The key numbers, the scenario in short and the headline table.
pub(super) fn overview(r: &RunResults) -> Vec<Part> {
    vec![
        Part::new("key", "Key numbers", key_numbers(r)),
        Part::new("scenario", "The scenario in short", scenario(r)),
        Part::new("headline", "Headline table", headline(r)),
    ]
}

/// Cards with the key numbers, the findings in words, and what the
/// intervals mean.
fn key_numbers(r: &RunResults) -> Markup {
    let n = r.years.len();
    let t1 = n - 1;
    let (y0, y1) = (r.years[0], r.years[t1]);
    let poor = metric_index("poor_share").unwrap_or(0);
    let e0 = r.estimate(0, ALL_GROUP, poor);
    let e1 = r.estimate(t1, ALL_GROUP, poor);
    let wl = metric_index("with_labor").unwrap_or(0);
    let employed: Vec<f64> = r
        .trajectories
        .iter()
        .filter_map(|rep| {
            let all = rep[t1][ALL_GROUP][wl]?;
            (all > 0.0).then(|| 1.0 - rep[t1][4][wl].unwrap_or(0.0) / all)
        })
        .collect();
    let cards = [
        (
            pct(e1.mean),
            format!(
                "of households below the poverty line in {y1} ({} in {y0})",
                pct(e0.mean)
            ),
        ),
        (
            pct(mean(r, t1, ALL_GROUP, "ever_poor_share")),
            format!("have been poor in some year by {y1}"),
        ),
        (
            pct(mean(r, t1, ALL_GROUP, "return_rate")),
            format!("of the non-poor of {} fell into poverty in {y1}", y1 - 1),
        ),
        (
            pct(summarize(&employed).0),
            format!("of households with labour have a livelihood in {y1}"),
        ),
        (
            yuan(mean(r, t1, ALL_GROUP, "median_income_pc")),
            format!(
                "median yuan per person in {y1}; poverty line {}",
                thousands(r.lines(y1).0)
            ),
        ),
    ];
    html! {
        div.cards {
            @for (v, k) in &cards {
                div.card { div.v { (v) } div.k { (k) } }
            }
        }
        ul.findings { @for f in findings(r) { li { (f) } } }
        @if r.replicates > 1 {
            p.small {
                "Means over " (r.replicates) " replicates; intervals are Student-t 95% confidence "
                "intervals of the mean over replicates (they show simulation noise, not "
                "uncertainty in the model's parameters)."
            }
        } @else {
            p.small {
                "One replicate: no confidence intervals. Run with " code { "--replicates 4" }
                " or more to see the simulation noise."
            }
        }
    }
}

/// The findings in words: poverty from the first to the last year, the
/// livelihoods most and least poor, those that grow and shrink most, and
/// the moves of the poverty share when levers end and events strike.
fn findings(r: &RunResults) -> Vec<Markup> {
    let s = &r.scenario;
    let n = r.years.len();
    let (t0, t1) = (0, n - 1);
    let (y0, y1) = (r.years[t0], r.years[t1]);
    let poor = metric_index("poor_share").unwrap_or(0);
    let e0 = r.estimate(t0, ALL_GROUP, poor);
    let e1 = r.estimate(t1, ALL_GROUP, poor);
    let mut findings = vec![html! {
        "The share of households below the poverty line goes from " (pct(e0.mean))
        (ci_words(&e0)) " in " (y0) " to " (pct(e1.mean)) (ci_words(&e1)) " in " (y1) "."
    }];
    let poverty: Vec<(usize, f64)> = (0..LIVELIHOODS)
        .filter_map(|g| Some((g, mean(r, t1, g, "poor_share")?)))
        .filter(|(g, _)| group_share(r, t1, *g).unwrap_or(0.0) > 0.0)
        .collect();
    let worst = poverty.iter().max_by(|a, b| a.1.total_cmp(&b.1));
    let best = poverty.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(&(gw, w)), Some(&(gb, b))) = (worst, best) {
        findings.push(html! {
            "In " (y1) " poverty is highest among " b { (GROUP_NAMES[gw]) } " households ("
            (pct(Some(w))) ") and lowest among " b { (GROUP_NAMES[gb]) } " households ("
            (pct(Some(b))) ")."
        });
    }
    if n > 1 {
        let changes: Vec<(usize, f64)> = (0..LIVELIHOODS)
            .filter_map(|g| Some((g, group_share(r, t1, g)? - group_share(r, t0, g)?)))
            .collect();
        if let (Some(up), Some(down)) = (
            changes.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            changes.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        ) {
            findings.push(html! {
                "From " (y0) " to " (y1) " the " b { (GROUP_NAMES[up.0]) } " livelihood grows most ("
                (pp_n(Some(up.1), 1)) ") and " b { (GROUP_NAMES[down.0]) } " shrinks most ("
                (pp_n(Some(down.1), 1)) ")."
            });
        }
    }
    let windows = shaded_windows(s, y0, y1);
    if let Some(end) = windows.iter().map(|w| w.1).max()
        && let (Some(ta), Some(tb)) = (r.year_index(end), r.year_index(end + 1))
    {
        let a = r.estimate(ta, ALL_GROUP, poor);
        let b = r.estimate(tb, ALL_GROUP, poor);
        findings.push(html! {
            "When the time-limited levers end after " (end) ", the poverty share moves from "
            (pct(a.mean)) " (" (end) ") to " (pct(b.mean)) " (" (end + 1) ")."
        });
    }
    for e in &s.events {
        if let (Some(t), true) = (r.year_index(e.year()), e.year() > y0) {
            let before = r.estimate(t - 1, ALL_GROUP, poor);
            let during = r.estimate(t, ALL_GROUP, poor);
            findings.push(html! {
                "In " (e.year()) " (" (event_label(e)) "), the poverty share moves from "
                (pct(before.mean)) " to " (pct(during.mean)) "."
            });
        }
    }
    findings
}

/// Each livelihood's share of the households the run started from (the
/// "from" side of the first year's flows), mean over replicates.
fn start_shares(r: &RunResults) -> Vec<Option<f64>> {
    let per_replicate: Vec<[f64; LIVELIHOODS]> = r
        .flows
        .iter()
        .filter_map(|years| {
            let first = years.first()?;
            let counts: Vec<f64> = (0..LIVELIHOODS).map(|g| first[g].iter().sum()).collect();
            let total: f64 = counts.iter().sum();
            (total > 0.0).then(|| std::array::from_fn(|g| counts[g] / total))
        })
        .collect();
    (0..LIVELIHOODS)
        .map(|g| summarize(&per_replicate.iter().map(|s| s[g]).collect::<Vec<_>>()).0)
        .collect()
}

/// The population, years, lines and source; the levers and the events.
fn scenario(r: &RunResults) -> Markup {
    let s = &r.scenario;
    let p = &s.population;
    let n = r.years.len();
    let (y0, y1) = (r.years[0], r.years[n - 1]);
    let (pl, ml) = r.lines(y0);
    let mix = |shares: &[Option<f64>]| {
        GROUP_NAMES[..LIVELIHOODS]
            .iter()
            .zip(shares)
            .map(|(g, v)| format!("{g} {}", pct(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The households the run started from, not the scenario's shares: a
    // population file's households bring their own states, and synthetic
    // ones without land or labour do not follow the shares.
    let start_mix = mix(&start_shares(r));
    let drawn_from: Vec<Option<f64>> = p.initial_shares.as_array().map(Some).to_vec();
    let rows = [
        (
            "Population",
            html! {
                (thousands(r.manifest.households as f64)) " households at "
                (plural(u64::from(p.sites), "resettlement site")) ", "
                (u64::from(p.sites) * u64::from(p.villages_per_site)) " origin villages"
                @if p.file.is_some() { " (households from a population file)" }
            },
        ),
        (
            "Livelihoods at the start",
            html! {
                (start_mix)
                @if p.file.is_some() {
                    " (the households of the population file)"
                } @else {
                    " (drawn with the scenario's initial shares " (mix(&drawn_from))
                    "; households without land or labour start elsewhere)"
                }
            },
        ),
        ("Years", html! { (y0) "–" (y1) " (" (n) " years)" }),
        (
            "Replicates and seed",
            html! { (plural(r.replicates as u64, "replicate")) ", seed " (r.manifest.seed) },
        ),
        (
            "Poverty and monitoring lines",
            html! {
                (thousands(pl)) " and " (thousands(ml)) " yuan per person per year in " (y0)
                ", growing " (format!("{:.1}\u{202f}%", s.economy.line_growth * 100.0)) " a year"
            },
        ),
        ("Scenario source", mono(&r.manifest.scenario_source)),
    ];
    let levers = lever_windows(s);
    html! {
        (kv_table(&rows))
        h3 { "Levers" }
        @if levers.is_empty() {
            p { "No lever acts in this scenario." }
        } @else {
            table.text {
                thead { tr { th { "lever" } th { "years" } th { "what it does" } } }
                tbody {
                    @for l in &levers {
                        tr { td { (l.title) } td { (l.start) "–" (l.end) } td { (l.detail) } }
                    }
                }
            }
        }
        h3 { "Events" }
        @if s.events.is_empty() {
            p { "No events." }
        } @else {
            ul { @for e in &s.events { li { (event_detail(e)) } } }
        }
    }
}

/// Per livelihood in the first, a middle and the last year: the share of
/// households, their mean income, the share poor and those who returned.
fn headline(r: &RunResults) -> Markup {
    let ts = headline_years(r.years.len());
    let years = ts
        .iter()
        .map(|&t| r.years[t].to_string())
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        p {
            "Per livelihood in " (years) ": the share of households, their mean per-capita "
            "income (yuan per person per year), the share below the poverty line, and the "
            "households that fell into poverty that year"
            @if r.replicates > 1 { " (means over " (r.replicates) " replicates)" }
            "."
        }
        table.headline {
            thead {
                tr.group {
                    th {}
                    @for &t in &ts { th.y colspan="4" { (r.years[t]) } }
                }
                tr {
                    th { "livelihood" }
                    @for _ in &ts {
                        th.y { "share" } th { "mean income" } th { "poor" } th { "returned" }
                    }
                }
            }
            tbody {
                @for (g, name) in GROUP_NAMES.iter().enumerate() {
                    tr class=[(g == ALL_GROUP).then_some("all")] {
                        td { (name) }
                        @for &t in &ts {
                            td.y { (pct(group_share(r, t, g))) }
                            td { (yuan(mean(r, t, g, "mean_income_pc"))) }
                            td { (pct(mean(r, t, g, "poor_share"))) }
                            td { (yuan(mean(r, t, g, "returned"))) }
                        }
                    }
                }
            }
        }
    }
}

/// The policy run against the base: the runs, the levers that differ,
/// the table of paired differences and the comparison charts (numbered on
/// from `n`).
pub(super) fn comparison(base: &RunResults, cmp: Comparison<'_>, n: &mut usize) -> Result<Part> {
    let levers_b = lever_windows(&base.scenario);
    let changed: Vec<String> = lever_windows(&cmp.policy.scenario)
        .iter()
        .filter(|l| !levers_b.contains(l))
        .map(|l| format!("{} {}–{}: {}", l.title, l.start, l.end, l.detail))
        .collect();
    let ts = headline_years(base.years.len());
    let mut rows = Vec::new();
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
            rows.push([
                metric.replace('_', " "),
                year.to_string(),
                fmt(d.base_mean),
                fmt(d.policy_mean),
                fd(d.diff_mean),
                match d.ci {
                    Some((lo, hi)) => format!("{} to {}", fd(Some(lo)), fd(Some(hi))),
                    None => "–".into(),
                },
            ]);
        }
    }
    let figures = figure_list(&cmp.figures.figures, n)?;
    let run = |r: &RunResults| {
        html! { (mono(&r.dir.display().to_string())) " (" (r.manifest.scenario_source) ")" }
    };
    let body = html! {
        p {
            "Base: " (run(base)) ". Policy: " (run(cmp.policy))
            ". Differences are policy − base, paired replicate by replicate"
            @if base.replicates > 1 {
                ", with Student-t 95% CIs over " (base.replicates) " pairs"
            }
            "."
        }
        @if !changed.is_empty() {
            p { "Levers of the policy run that differ from the base:" }
            ul { @for c in &changed { li { (c) } } }
        }
        table {
            thead {
                tr {
                    th { "all households" } th { "year" } th { "base" } th { "policy" }
                    th { "difference" } th { "95% CI" }
                }
            }
            tbody { @for row in &rows { tr { @for cell in row { td { (cell) } } } } }
        }
        p.small {
            "Shares in per cent; differences of shares in percentage points (pp); incomes in "
            "yuan per person per year. Every year and livelihood is in " code { "differences.csv" }
            " (" code { "migflow compare" } ")."
        }
        (figures)
    };
    Ok(Part::new("comparison", Section::Comparison.heading(), body))
}

/// The manifest: how to repeat the run, its provenance and its files.
pub(super) fn manifest(r: &RunResults) -> Part {
    let m = &r.manifest;
    let mut rows = provenance_rows(&m.migflow_version, m.git_commit.as_deref(), m.seed);
    rows.push(("replicates", html! { (m.replicates) }));
    rows.push(("scenario SHA-256", mono(&m.scenario_sha256)));
    if let Some(p) = &m.population_file {
        rows.push((
            "population file",
            mono(&format!("{} ({})", p.name, p.sha256)),
        ));
    }
    rows.push(("started", html! { (m.start_time) }));
    rows.push(("finished", html! { (m.end_time) }));
    rows.push((
        "wall time",
        html! {
            (format!(
                "{:.2} s on {} thread(s), {:.2} M household-years per second",
                m.wall_seconds,
                m.threads,
                m.household_years_per_second / 1e6
            ))
        },
    ));
    rows.push(("command", mono(&m.command.join(" "))));
    let body = html! {
        p {
            "The run repeats exactly, byte for byte, with "
            code { "migflow run manifest.json" } "."
        }
        (kv_table(&rows))
        (files_table(&m.files))
    };
    Part::new("manifest", "Provenance: the manifest", body)
}

#[cfg(test)]
mod tests {
    use super::headline_years;

    #[test]
    fn headline_years_are_first_middle_last() {
        assert_eq!(headline_years(15), vec![0, 7, 14]);
        assert_eq!(headline_years(2), vec![0, 1]);
        assert_eq!(headline_years(1), vec![0]);
    }
}
