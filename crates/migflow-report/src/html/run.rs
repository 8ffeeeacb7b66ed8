//! The parts of the report of a run: the key numbers and findings, the
//! scenario in short, the headline table, the comparison with another run
//! and the manifest.

use super::numbers::{ci_words, count, pct, pct_interval, plural, pp, pp_n, yuan};
use super::{
    Comparison, Header, Part, Policy, figure_list, files_table, kv_table, mono, provenance_rows,
};
use crate::build::{
    Figure, POLICY_GROUP_ORDER, Section, cohort_table_years, group_share, report_cohort_year,
    thousands,
};
use maud::{Markup, html};
use migflow_analysis::effects::Effect;
use migflow_core::metrics::METRICS;
use migflow_core::params::Event;
use migflow_core::record::{ALL_GROUP, GROUPS};
use migflow_core::stats::summarize;
use migflow_io::error::Result;
use migflow_io::results::{
    COMPARED_METRICS, Difference, GROUP_NAMES, RunResults, event_detail, event_label,
    lever_windows, metric_index, shaded_windows,
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

/// The key numbers (with the findings, and with a comparison its paired
/// effects), the scenario in short, the headline table and all
/// households year by year.
pub(super) fn overview(r: &RunResults, cmp: Option<&Comparison<'_>>) -> Vec<Part> {
    vec![
        Part::new("key", "Key numbers", key_numbers(r, cmp)),
        Part::new("scenario", "The scenario in short", scenario(r)),
        Part::new("headline", "Headline table", headline(r)),
        Part::new("households", "All households year by year", by_year(r)),
    ]
}

/// Cards with the key numbers, the findings in words, and what the
/// intervals mean.
fn key_numbers(r: &RunResults, cmp: Option<&Comparison<'_>>) -> Markup {
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
    let dissolved = dissolved_in(r, 0..=t1);
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
            pct(mean(r, t1, ALL_GROUP, "dibao_share")),
            format!(
                "of households receive dibao in {y1} ({} in {y0})",
                pct(mean(r, 0, ALL_GROUP, "dibao_share"))
            ),
        ),
        (
            pct(summarize(&employed).0),
            format!("of households with labour have a livelihood in {y1}"),
        ),
        (
            pct(mean(r, t1, ALL_GROUP, "stayed_share")),
            format!("of households kept last year's livelihood in {y1}"),
        ),
        (
            yuan(mean(r, t1, ALL_GROUP, "mean_income_pp")),
            format!(
                "yuan income per person in {y1} ({} in {y0}), as statistics offices publish it",
                yuan(mean(r, 0, ALL_GROUP, "mean_income_pp"))
            ),
        ),
        (
            yuan(mean(r, t1, ALL_GROUP, "median_income_pc")),
            format!(
                "median yuan per person in {y1}; poverty line {}",
                thousands(r.lines(y1).0)
            ),
        ),
        (
            count(mean(r, t1, ALL_GROUP, "households")),
            format!(
                "households alive in {y1} of {} at the start; {} dissolved as their last members died",
                thousands(r.manifest.households as f64),
                count(dissolved)
            ),
        ),
    ];
    html! {
        div.cards {
            @for (v, k) in &cards {
                div.card { div.v { (v) } div.k { (k) } }
            }
        }
        ul.findings { @for f in findings(r, cmp) { li { (f) } } }
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

/// One replicate's years of `trajectories.csv`.
type Year = [[Option<f64>; METRICS]; GROUPS];

/// A metric of group `g` in a replicate's year.
fn cell(y: &Year, g: usize, metric: &str) -> Option<f64> {
    y[g][metric_index(metric)?]
}

/// `f` of each replicate's years, mean over the replicates with a value.
fn over_replicates(r: &RunResults, f: impl Fn(&[Year]) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = r.trajectories.iter().filter_map(|rep| f(rep)).collect();
    summarize(&v).0
}

/// The share of households without a laborer in year `t` (all
/// households: `1 − with_labor / households`).
fn without_labor(r: &RunResults, t: usize) -> Option<f64> {
    over_replicates(r, |rep| {
        let all = cell(&rep[t], ALL_GROUP, "households")?;
        (all > 0.0).then(|| 1.0 - cell(&rep[t], ALL_GROUP, "with_labor").unwrap_or(0.0) / all)
    })
}

/// Laborers per 100 persons in year `t` (all households).
fn laborers_per_100(r: &RunResults, t: usize) -> Option<f64> {
    over_replicates(r, |rep| {
        let persons = cell(&rep[t], ALL_GROUP, "persons")?;
        (persons > 0.0)
            .then(|| 100.0 * cell(&rep[t], ALL_GROUP, "laborers").unwrap_or(0.0) / persons)
    })
}

/// Households dissolved in the years `ts` (indices), mean over replicates.
fn dissolved_in(r: &RunResults, ts: std::ops::RangeInclusive<usize>) -> Option<f64> {
    over_replicates(r, |rep| {
        ts.clone()
            .map(|t| cell(&rep[t], ALL_GROUP, "dissolved"))
            .sum::<Option<f64>>()
    })
}

/// "rises from 1.0 % to 2.0 %", "falls from …", "stays at 1.0 %".
fn moves(a: String, b: String, up: Option<bool>) -> String {
    match up {
        _ if a == b => format!("stays at {a}"),
        Some(true) => format!("rises from {a} to {b}"),
        Some(false) => format!("falls from {a} to {b}"),
        None => format!("goes from {a} to {b}"),
    }
}

/// [`moves`] of two values.
fn moves_of(a: Option<f64>, b: Option<f64>, f: impl Fn(Option<f64>) -> String) -> String {
    let up = a.zip(b).map(|(a, b)| b > a);
    moves(f(a), f(b), up)
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    and_list_with(items, ", ")
}

/// [`and_list`] with another separator: "a; b; and c".
fn and_list_with(items: &[String], sep: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!(
            "{a}{} and {b}",
            if sep == ", " { "" } else { sep.trim_end() }
        ),
        [rest @ .., last] => format!(
            "{}{}and {last}",
            rest.join(sep),
            if sep == ", " { " " } else { sep }
        ),
    }
}

/// The livelihood whose share of households changes most from year `ta`
/// to `tb`, with both shares.
fn most_moved(r: &RunResults, ta: usize, tb: usize) -> Option<(usize, f64, f64)> {
    (0..LIVELIHOODS)
        .filter_map(|g| Some((g, group_share(r, ta, g)?, group_share(r, tb, g)?)))
        .max_by(|a, b| (a.2 - a.1).abs().total_cmp(&(b.2 - b.1).abs()))
}

/// The livelihood an event strikes first.
fn event_livelihood(e: &Event) -> usize {
    match e {
        Event::EastDemand { .. } => 0,
        Event::Drought { .. } => 2,
    }
}

/// What a change from year `ta` to year `tb` (indices) of a single run
/// cannot be told apart from: the ageing of the households, their deaths,
/// the events of those years and the lever windows that start or end in
/// them, each in words. `from_start`: count from the start of year `ta`
/// (the households the run began with), not its end. The event
/// `own_event` and the windows ending in `own_end` are what the finding is
/// about and are left out.
fn drivers(
    r: &RunResults,
    ta: usize,
    tb: usize,
    from_start: bool,
    own_event: Option<usize>,
    own_end: Option<i32>,
) -> Vec<String> {
    let (ya, yb) = (r.years[ta], r.years[tb]);
    let mut out = Vec::new();
    // Ageing (and sickness): households left without a laborer.
    let (wa, wb) = (without_labor(r, ta), without_labor(r, tb));
    let (la, lb) = (laborers_per_100(r, ta), laborers_per_100(r, tb));
    if wa.is_some() || wb.is_some() {
        let mut s = format!(
            "the share of households without a laborer {}",
            moves_of(wa, wb, pct)
        );
        if let (Some(la), Some(lb)) = (la, lb) {
            s.push_str(&format!(
                " (laborers per 100 persons: {:.0} in {ya}, {:.0} in {yb})",
                la, lb
            ));
        }
        out.push(s);
    }
    // Deaths.
    let first = if from_start { ta } else { ta + 1 };
    let hh = |t: usize| mean(r, t, ALL_GROUP, "households");
    if let Some(d) = (first <= tb).then(|| dissolved_in(r, first..=tb)).flatten() {
        let before = if from_start {
            format!(
                "{} at the start of {ya}",
                thousands(r.manifest.households as f64)
            )
        } else {
            format!("{} in {ya}", count(hh(ta)))
        };
        let alive = format!("households alive: {before}, {} in {yb}", count(hh(tb)));
        out.push(if d > 0.0 {
            format!(
                "{} household{} dissolve{} as their last members die ({alive})",
                count(Some(d)),
                if d == 1.0 { "" } else { "s" },
                if d == 1.0 { "s" } else { "" }
            )
        } else {
            format!("no household dissolves ({alive})")
        });
    }
    // Events.
    for (i, e) in r.scenario.events.iter().enumerate() {
        if Some(i) != own_event && (ya..=yb).contains(&e.year()) {
            out.push(format!("the {} of {}", event_label(e), e.year()));
        }
    }
    // Lever windows that start or end.
    let levers = lever_windows(&r.scenario);
    let mut ends: Vec<i32> = levers
        .iter()
        .map(|l| l.end)
        .filter(|&e| (ya..yb).contains(&e) && Some(e) != own_end)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    for end in ends {
        let names: Vec<String> = levers
            .iter()
            .filter(|l| l.end == end)
            .map(|l| l.title.to_string())
            .collect();
        out.push(format!(
            "{} end{} after {end}",
            and_list(&names),
            if names.len() == 1 { "s" } else { "" }
        ));
    }
    for l in levers.iter().filter(|l| l.start > ya && l.start <= yb) {
        out.push(format!("{} starts in {}", l.title, l.start));
    }
    out
}

/// The sentence after a change seen in a single run: the other drivers
/// of the same years, and that one run cannot tell them apart; with a
/// comparison, where the paired effect is.
fn also(
    r: &RunResults,
    items: &[String],
    span: (i32, i32),
    without: &str,
    cmp: Option<&Comparison<'_>>,
) -> Markup {
    let (ya, yb) = span;
    html! {
        " In the same years (" (ya) "–" (yb) ") "
        @if items.is_empty() {
            "nothing else the run's files show changes"
        } @else {
            "also: " (and_list_with(items, "; "))
        }
        ". This run alone cannot say which of them caused the change; "
        @if let Some(c) = cmp {
            "the paired comparison with "
            @for (i, p) in c.policies.iter().enumerate() {
                @if i > 0 { ", " }
                (mono(&p.run.dir.display().to_string()))
            }
            " (below) gives the effect of what "
            @if c.policies.len() == 1 { "the two runs differ" } @else { "each policy differs from the base" }
            " in."
        } @else {
            "compare with a run without " (without) " ("
            code { "migflow report BASE --compare " (r.dir.display()) }
            ", where BASE is that run, with the same seed and replicates)."
        }
    }
}

/// The findings in words. Of the run alone: poverty from the first to
/// the last year, the livelihoods most and least poor, those that grow
/// and shrink most, and what changes when the time-limited levers end and
/// around each event, each with the other drivers of the same years
/// (ageing, deaths, events, lever windows), never credited to one of
/// them. With a comparison: the paired effects (policy − base) with their
/// 95% CIs.
fn findings(r: &RunResults, cmp: Option<&Comparison<'_>>) -> Vec<Markup> {
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
    if n > 1 {
        let changes: Vec<(usize, f64)> = (0..LIVELIHOODS)
            .filter_map(|g| Some((g, group_share(r, t1, g)? - group_share(r, t0, g)?)))
            .collect();
        if let (Some(up), Some(down)) = (
            changes.iter().max_by(|a, b| a.1.total_cmp(&b.1)),
            changes.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        ) {
            let items = drivers(r, t0, t1, true, None, None);
            findings.push(html! {
                "From " (y0) " to " (y1) " the " b { (GROUP_NAMES[up.0]) } " livelihood grows most ("
                (pp_n(Some(up.1), 1)) ") and " b { (GROUP_NAMES[down.0]) } " shrinks most ("
                (pp_n(Some(down.1), 1)) ")."
                (also(r, &items, (y0, y1), "the lever or event in question", cmp))
            });
        }
    }
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
    // The years after the time-limited levers end.
    let mut ends: Vec<i32> = shaded_windows(s, y0, y1).iter().map(|w| w.1).collect();
    ends.sort_unstable();
    ends.dedup();
    let levers = lever_windows(s);
    for end in ends {
        let (Some(ta), Some(tb)) = (r.year_index(end), r.year_index(end + 1)) else {
            continue;
        };
        let names: Vec<String> = levers
            .iter()
            .filter(|l| l.end == end)
            .map(|l| l.title.to_string())
            .collect();
        let a = r.estimate(ta, ALL_GROUP, poor);
        let b = r.estimate(tb, ALL_GROUP, poor);
        let items = drivers(r, ta, tb, false, None, Some(end));
        let without = if names.len() == 1 {
            "this lever"
        } else {
            "these levers"
        };
        findings.push(html! {
            "From " (end) ", the last year of " (and_list(&names)) ", to " (end + 1)
            ", the poverty share " (moves_of(a.mean, b.mean, pct))
            @if let Some((g, sa, sb)) = most_moved(r, ta, tb) {
                " and the share of " b { (GROUP_NAMES[g]) } " households "
                (moves_of(Some(sa), Some(sb), pct))
            }
            "."
            (also(r, &items, (end, end + 1), without, cmp))
        });
    }
    // Around each event: the year before, the year of the event and the
    // year after (an event changes what households do the next year).
    for (i, e) in s.events.iter().enumerate() {
        let Some(t) = r.year_index(e.year()) else {
            continue;
        };
        let (ta, tb) = (t.saturating_sub(1), (t + 1).min(n - 1));
        if ta == tb {
            continue;
        }
        let path = |f: &dyn Fn(usize) -> Option<f64>| {
            let steps: Vec<String> = (ta..=tb)
                .map(|k| format!("{} ({})", pct(f(k)), r.years[k]))
                .collect();
            and_list(&steps)
        };
        let g = event_livelihood(e);
        let items = drivers(r, ta, tb, false, Some(i), None);
        findings.push(html! {
            "Around the " (event_label(e)) " of " (e.year()) ", the poverty share is "
            (path(&|k| r.estimate(k, ALL_GROUP, poor).mean))
            ", and the share of " b { (GROUP_NAMES[g]) } " households "
            (path(&|k| group_share(r, k, g))) "."
            (also(r, &items, (r.years[ta], r.years[tb]), "the event", cmp))
        });
    }
    if let Some(c) = cmp {
        let named = c.policies.len() > 1;
        for p in c.policies {
            findings.extend(paired_findings(r, p, named));
        }
    }
    findings
}

/// What the policy run's scenario differs from the base's in, in words,
/// and whether every difference is a lever's window or amount.
fn what_differs(base: &RunResults, policy: &RunResults) -> (Vec<String>, bool) {
    let (lb, lp) = (
        lever_windows(&base.scenario),
        lever_windows(&policy.scenario),
    );
    let words =
        |l: &migflow_io::results::LeverWindow| format!("{}–{}, {}", l.start, l.end, l.detail);
    let mut items = Vec::new();
    for l in lp.iter().filter(|l| !lb.contains(l)) {
        items.push(match lb.iter().find(|b| b.lever == l.lever) {
            Some(b) => format!("{} ({}; the base: {})", l.title, words(l), words(b)),
            None => format!("{} ({}; none in the base)", l.title, words(l)),
        });
    }
    for b in lb
        .iter()
        .filter(|b| !lp.contains(b) && !lp.iter().any(|l| l.lever == b.lever))
    {
        items.push(format!("no {} (the base: {})", b.title, words(b)));
    }
    let mut only_levers = true;
    let (sb, sp) = (&base.scenario, &policy.scenario);
    if sb.events != sp.events {
        only_levers = false;
        let list = |s: &migflow_core::params::Scenario| {
            let v: Vec<String> = s.events.iter().map(event_detail).collect();
            if v.is_empty() {
                "no event".to_string()
            } else {
                v.join("; ")
            }
        };
        items.push(format!("events ({} instead of {})", list(sp), list(sb)));
    }
    let mut rest = sp.clone();
    rest.events = sb.events.clone();
    rest.levers = sb.levers.clone();
    rest.run.seed = sb.run.seed;
    if rest != *sb || (sp.levers != sb.levers && lb == lp) {
        only_levers = false;
        items.push("other settings of the scenario (see the two manifests' scenario_toml)".into());
    }
    (items, only_levers)
}

/// "by −0.80 pp (95% CI −1.10 pp to −0.50 pp)", from a paired difference.
fn effect(
    diff: Option<f64>,
    ci: Option<(f64, f64)>,
    fmt: &dyn Fn(Option<f64>) -> String,
) -> String {
    let ci = match ci {
        Some((lo, hi)) => format!(
            " (95% CI {} to {}{})",
            fmt(Some(lo)),
            fmt(Some(hi)),
            if lo <= 0.0 && hi >= 0.0 {
                ", which includes zero"
            } else {
                ""
            }
        ),
        None => " (1 replicate: no CI)".into(),
    };
    format!("by {}{ci}", fmt(diff))
}

/// A signed yuan difference, "+320 yuan".
fn yuan_diff(x: Option<f64>) -> String {
    x.map_or("–".into(), |v| {
        format!(
            "{}{}\u{202f}yuan",
            if v >= 0.0 { "+" } else { "" },
            thousands(v)
        )
    })
}

/// The paired effects of the policy run against the base (the report's
/// run): the poverty share of all households in the years the differing
/// levers end, the year after and the last year; in the first year after
/// they end (or the last year), the livelihood share that moves most, the
/// at-risk share and the mean income. `named`: the findings begin with
/// the policy's name (when there are several).
fn paired_findings(base: &RunResults, c: &Policy<'_>, named: bool) -> Vec<Markup> {
    let policy = c.run;
    let who = |m: Markup| {
        html! {
            @if named { b { (c.name) } ": " }
            (m)
        }
    };
    let (items, only_levers) = what_differs(base, policy);
    let pairs = plural(base.replicates as u64, "pair");
    if items.is_empty() {
        return vec![who(html! {
            "The policy run " (mono(&policy.dir.display().to_string()))
            " has the base's scenario: its differences from the base (below) are simulation "
            "noise only and measure no lever."
        })];
    }
    let (y0, y1) = (base.years[0], base.years[base.years.len() - 1]);
    let mut windows = lever_windows(&base.scenario);
    windows.extend(lever_windows(&policy.scenario));
    let (lb, lp) = (
        lever_windows(&base.scenario),
        lever_windows(&policy.scenario),
    );
    let differing: Vec<_> = windows
        .iter()
        .filter(|l| !(lb.contains(l) && lp.contains(l)))
        .collect();
    let mut years: Vec<i32> = differing
        .iter()
        .flat_map(|l| [l.end, l.end + 1])
        .filter(|y| (y0..=y1).contains(y))
        .collect();
    years.push(y1);
    years.sort_unstable();
    years.dedup();
    let key = differing
        .iter()
        .map(|l| l.end + 1)
        .filter(|y| (y0..=y1).contains(y))
        .min()
        .unwrap_or(y1);
    let find = |year: i32, metric: &str| {
        c.diffs
            .iter()
            .find(|d| d.year == year && d.group == ALL_GROUP && d.metric == metric)
    };
    let subject = match (only_levers, items.len()) {
        (true, 1) => "This lever changes",
        (true, _) => "These levers change",
        _ => "These differences change",
    };
    let per_year: Vec<String> = years
        .iter()
        .filter_map(|&y| {
            let d = find(y, "poor_share")?;
            Some(format!("in {y} {}", effect(d.diff_mean, d.ci, &|x| pp(x))))
        })
        .collect();
    let mut out = vec![html! {
        "Policy " @if named { (c.name) " " } "− base, paired replicate by replicate (" (pairs)
        "): the policy run "
        (mono(&policy.dir.display().to_string())) " differs from the base in "
        (and_list(&items)) ". " (subject) " the poverty share of all households "
        (and_list(&per_year)) "."
    }];
    let they = if only_levers {
        "they"
    } else {
        "these differences"
    };
    for year in [key - 1, key] {
        if !(y0..=y1).contains(&year) || (year == key - 1 && !years.contains(&year)) {
            continue;
        }
        let mut then = Vec::new();
        if let Some((g, d, ci)) = share_effect(base, policy, year) {
            then.push(format!(
                "the share of {} households {}",
                GROUP_NAMES[g],
                effect(Some(d), ci, &|x| pp(x))
            ));
        }
        if let Some(d) = find(year, "at_risk_share") {
            then.push(format!(
                "the at-risk share {}",
                effect(d.diff_mean, d.ci, &|x| pp(x))
            ));
        }
        if let Some(d) = find(year, "mean_income_pc") {
            then.push(format!(
                "the mean per-capita income {}",
                effect(d.diff_mean, d.ci, &yuan_diff)
            ));
        }
        if !then.is_empty() {
            out.push(who(html! {
                "In " (year) " " (they) " change " (and_list(&then)) "."
            }));
        }
    }
    out
}

/// A 95% interval, when there is one.
type Interval = Option<(f64, f64)>;

/// The livelihood whose share of households the policy changes most in
/// `year` (mean of the paired differences), with that mean and its 95%
/// interval.
fn share_effect(
    base: &RunResults,
    policy: &RunResults,
    year: i32,
) -> Option<(usize, f64, Interval)> {
    let t = base.year_index(year)?;
    let share = |y: &Year, g: usize| {
        let all = cell(y, ALL_GROUP, "households")?;
        (all > 0.0).then(|| cell(y, g, "households").unwrap_or(0.0) / all)
    };
    (0..LIVELIHOODS)
        .filter_map(|g| {
            let pairs: Vec<f64> = base
                .trajectories
                .iter()
                .zip(&policy.trajectories)
                .filter_map(|(b, p)| Some(share(&p[t], g)? - share(&b[t], g)?))
                .collect();
            let (m, _, lo, hi, _) = summarize(&pairs);
            Some((g, m?, lo.zip(hi)))
        })
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
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
/// households, their income per person, the shares poor, on dibao and in
/// the same livelihood as last year, and those who returned to poverty.
fn headline(r: &RunResults) -> Markup {
    let ts = headline_years(r.years.len());
    let years = ts
        .iter()
        .map(|&t| r.years[t].to_string())
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        p {
            "Per livelihood in " (years) ": the share of households, their income per person "
            "(yuan per person per year, as statistics offices publish it: "
            code { "mean_income_pp" } "), the shares below the poverty line, receiving dibao "
            "and in the same livelihood as the year before (" code { "stayed_share" }
            "), and the households that fell into poverty that year"
            @if r.replicates > 1 { " (means over " (r.replicates) " replicates)" }
            "."
        }
        table.headline {
            thead {
                tr.group {
                    th {}
                    @for &t in &ts { th.y colspan="6" { (r.years[t]) } }
                }
                tr {
                    th { "livelihood" }
                    @for _ in &ts {
                        th.y { "share" } th { "income per person" } th { "poor" }
                        th { "dibao" } th { "kept" } th { "returned" }
                    }
                }
            }
            tbody {
                @for (g, name) in GROUP_NAMES.iter().enumerate() {
                    tr class=[(g == ALL_GROUP).then_some("all")] {
                        td { (name) }
                        @for &t in &ts {
                            td.y { (pct(group_share(r, t, g))) }
                            td { (yuan(mean(r, t, g, "mean_income_pp"))) }
                            td { (pct(mean(r, t, g, "poor_share"))) }
                            td { (pct(mean(r, t, g, "dibao_share"))) }
                            td { (pct(mean(r, t, g, "stayed_share"))) }
                            td { (count(mean(r, t, g, "returned"))) }
                        }
                    }
                }
            }
        }
    }
}

/// All households year by year: alive and dissolved, without a laborer,
/// persons, incomes (per person, mean and median per capita), and the
/// shares poor, on dibao and in the same livelihood as last year.
fn by_year(r: &RunResults) -> Markup {
    let m = |t: usize, metric: &str| mean(r, t, ALL_GROUP, metric);
    html! {
        p {
            "Every household alive at the end of each year"
            @if r.replicates > 1 { " (means over " (r.replicates) " replicates)" }
            ". Dissolved: households whose last member died that year (they are not among "
            "that year's households). Without a laborer: " code { "1 − with_labor / households" }
            ", which rises as the households age. Incomes in yuan per person per year."
        }
        table.headline {
            thead {
                tr {
                    th { "year" } th.y { "households" } th { "dissolved" }
                    th { "without a laborer" } th { "persons" } th.y { "income per person" }
                    th { "mean per capita" } th { "median per capita" } th.y { "poor" }
                    th { "dibao" } th { "kept" }
                }
            }
            tbody {
                @for (t, year) in r.years.iter().enumerate() {
                    tr {
                        td { (year) }
                        td.y { (count(m(t, "households"))) }
                        td { (count(m(t, "dissolved"))) }
                        td { (pct(without_labor(r, t))) }
                        td { (count(m(t, "persons"))) }
                        td.y { (yuan(m(t, "mean_income_pp"))) }
                        td { (yuan(m(t, "mean_income_pc"))) }
                        td { (yuan(m(t, "median_income_pc"))) }
                        td.y { (pct(m(t, "poor_share"))) }
                        td { (pct(m(t, "dibao_share"))) }
                        td { (pct(m(t, "stayed_share"))) }
                    }
                }
            }
        }
    }
}

/// The years the levers change: the last year of each time-limited lever
/// of the base or of a policy and the year after, and the last year of
/// the run, in order.
pub(crate) fn lever_change_years(base: &RunResults, policies: &[&RunResults]) -> Vec<i32> {
    let (y0, y1) = (base.years[0], base.years[base.years.len() - 1]);
    let mut years: Vec<i32> = std::iter::once(base)
        .chain(policies.iter().copied())
        .flat_map(|r| shaded_windows(&r.scenario, y0, y1))
        .flat_map(|(_, end, _)| [end, end + 1])
        .filter(|y| (y0..=y1).contains(y))
        .collect();
    years.push(y1);
    years.sort_unstable();
    years.dedup();
    years
}

/// A metric's value as the comparison tables show it: yuan or per cent.
fn level(metric: &str, x: Option<f64>) -> String {
    if metric.contains("income") {
        yuan(x)
    } else {
        pct(x)
    }
}

/// A metric's difference: signed yuan or percentage points.
fn change(metric: &str, x: Option<f64>) -> String {
    if metric.contains("income") {
        x.map_or("–".into(), |v| {
            format!("{}{}", if v >= 0.0 { "+" } else { "" }, thousands(v))
        })
    } else {
        pp(x)
    }
}

/// "−1.00 pp to +0.20 pp", or "–".
fn interval(metric: &str, ci: Option<(f64, f64)>) -> String {
    match ci {
        Some((lo, hi)) => format!(
            "{} to {}",
            change(metric, Some(lo)),
            change(metric, Some(hi))
        ),
        None => "–".into(),
    }
}

/// The policy runs against the base: the runs, the levers that differ,
/// the table of paired differences of all households in the years the
/// levers change ([`lever_change_years`]), the table of the effects over
/// the window per livelihood, and the comparison charts (numbered on from
/// `n`).
pub(super) fn comparison<'a>(
    base: &RunResults,
    cmp: Comparison<'a>,
    n: &mut usize,
) -> Result<Part> {
    let levers_b = lever_windows(&base.scenario);
    let changed: Vec<(&str, Vec<String>)> = cmp
        .policies
        .iter()
        .map(|p| {
            let items = lever_windows(&p.run.scenario)
                .iter()
                .filter(|l| !levers_b.contains(l))
                .map(|l| format!("{} {}–{}: {}", l.title, l.start, l.end, l.detail))
                .collect();
            (p.name, items)
        })
        .collect();
    let runs: Vec<&RunResults> = cmp.policies.iter().map(|p| p.run).collect();
    let years = lever_change_years(base, &runs);
    let ends: Vec<String> = {
        let (y0, y1) = (base.years[0], base.years[base.years.len() - 1]);
        let mut e: Vec<i32> = std::iter::once(base)
            .chain(runs.iter().copied())
            .flat_map(|r| shaded_windows(&r.scenario, y0, y1))
            .map(|w| w.1)
            .filter(|&y| y < y1)
            .collect();
        e.sort_unstable();
        e.dedup();
        e.iter().map(|y| format!("{y} and {}", y + 1)).collect()
    };
    let find = |p: &Policy<'a>, year: i32, metric: &str| -> Option<&'a Difference> {
        p.diffs
            .iter()
            .find(|d| d.year == year && d.group == ALL_GROUP && d.metric == metric)
    };
    let window = cmp
        .policies
        .iter()
        .flat_map(|p| p.effects.iter())
        .find(|e| e.cohort_year.is_none())
        .map(|e| e.window);
    let effect_of = |p: &Policy<'a>, g: usize, metric: &str| -> Option<&'a Effect> {
        p.effects
            .iter()
            .find(|e| e.cohort_year.is_none() && e.group == g && e.metric.name() == metric)
    };
    let figures = figure_list(&cmp.figures.figures, n)?;
    let run = |r: &RunResults| {
        html! { (mono(&r.dir.display().to_string())) " (" (r.manifest.scenario_source) ")" }
    };
    let body = html! {
        p {
            "Base: " (run(base)) ". "
            @if cmp.policies.len() == 1 { "Policy: " } @else { "Policies: " }
            @for (i, p) in cmp.policies.iter().enumerate() {
                @if i > 0 { "; " }
                b { (p.name) } ", " (run(p.run))
            }
            ". Differences are policy − base, paired replicate by replicate"
            @if base.replicates > 1 {
                ", with Student-t 95% CIs over " (base.replicates) " pairs"
            }
            "."
        }
        @for (name, items) in &changed {
            @if !items.is_empty() {
                p { "Levers of " b { (name) } " that differ from the base:" }
                ul { @for c in items { li { (c) } } }
            }
        }
        h3 { "When the levers change" }
        p {
            "All households in "
            @if ends.is_empty() {
                "the last year (no time-limited lever ends within the run)"
            } @else {
                (and_list(&ends)) " (the last year of time-limited levers and the year after) "
                "and the last year"
            }
            ": each run's mean and each policy's paired difference from the base."
        }
        table.compared.lever-years {
            thead {
                tr.group {
                    th colspan="3" {}
                    @for p in cmp.policies { th.y colspan="3" { (p.name) } }
                }
                tr {
                    th { "all households" } th { "year" } th { "base" }
                    @for _ in cmp.policies {
                        th.y { "policy" } th { "difference" } th { "95% CI" }
                    }
                }
            }
            tbody {
                @for metric in COMPARED_METRICS {
                    @for &year in &years {
                        @let first = cmp.policies.iter().find_map(|p| find(p, year, metric));
                        @if let Some(d0) = first {
                            tr {
                                td { (metric.replace('_', " ")) }
                                td { (year) }
                                td { (level(metric, d0.base_mean)) }
                                @for p in cmp.policies {
                                    @let d = find(p, year, metric);
                                    td.y { (level(metric, d.and_then(|d| d.policy_mean))) }
                                    td { (change(metric, d.and_then(|d| d.diff_mean))) }
                                    td { (interval(metric, d.and_then(|d| d.ci))) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(w) = window {
            h3 { "Effects over " (w) ", by livelihood" }
            p {
                "Per livelihood, the mean over " (w) " of the paired difference, policy − base, "
                "with its Student-t 95% CI over the replicates (as " code { "effects.csv" }
                " of " code { "migflow compare" } " gives it), in percentage points."
            }
            table.compared.effects {
                thead {
                    tr.group {
                        th {}
                        @for p in cmp.policies { th.y colspan="4" { (p.name) } }
                    }
                    tr {
                        th { "livelihood" }
                        @for _ in cmp.policies {
                            th.y { "poor share" } th { "95% CI" }
                            th.y { "return rate" } th { "95% CI" }
                        }
                    }
                }
                tbody {
                    @for g in POLICY_GROUP_ORDER {
                        tr class=[(g == ALL_GROUP).then_some("all")] {
                            td { (GROUP_NAMES[g]) }
                            @for p in cmp.policies {
                                @for metric in ["poor_share", "return_rate"] {
                                    @let e = effect_of(p, g, metric);
                                    td.y { (pp(e.and_then(|e| e.stats.diff_mean))) }
                                    td { (interval(metric, e.and_then(|e| e.stats.ci))) }
                                }
                            }
                        }
                    }
                }
            }
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

/// The households of livelihood `g` in the cohort year `c` (mean over
/// replicates): from `trajectories.csv` for a year of the run, from the
/// first year's flows for the initial state.
fn cohort_size(r: &RunResults, c: i32, g: usize) -> Option<f64> {
    if let Some(t) = r.year_index(c) {
        return mean(r, t, g, "households");
    }
    let sizes: Vec<f64> = r
        .flows
        .iter()
        .filter_map(|years| {
            let first = years.first()?;
            Some(if g == ALL_GROUP {
                first.iter().flatten().sum()
            } else {
                first.get(g)?.iter().sum()
            })
        })
        .collect();
    summarize(&sizes).0
}

/// The cohorts of the report's cohort year ([`report_cohort_year`]): a
/// table of each cohort's poor share with its 95% CI, households alive and
/// the share that kept last year's livelihood in the years after (with a
/// comparison, the paired difference of the poor share), and the chart.
pub(super) fn cohorts<'a, 'b>(
    r: &RunResults,
    cmp: Option<&Comparison<'b>>,
    figures: impl IntoIterator<Item = &'a Figure>,
    n: &mut usize,
) -> Result<Part> {
    let heading = Section::Cohorts.heading();
    let (Some(cohorts), Some(c)) = (&r.cohorts, report_cohort_year(r)) else {
        let body = html! {
            p.note {
                "Cohorts are absent: this results directory has no " code { "cohorts.csv" }
                " (a run of migflow before version 2 writes none). Run the scenario again "
                "with this migflow to follow the households by their livelihood in a year."
            }
        };
        return Ok(Part::new("cohorts", heading, body));
    };
    let Some(traj) = cohorts.get(c) else {
        return Ok(Part::new("cohorts", heading, html! {}));
    };
    let years = cohort_table_years(&traj.years, c);
    let ending: Vec<&str> = lever_windows(&r.scenario)
        .iter()
        .filter(|l| l.end == c)
        .map(|l| l.title)
        .collect();
    let initial = c == r.years[0] - 1;
    let when = if initial {
        format!("{c} (the initial state, before the first simulated year)")
    } else if ending.is_empty() {
        c.to_string()
    } else {
        let names: Vec<String> = ending.iter().map(|t| t.to_string()).collect();
        format!("{c}, the last year of {}", and_list(&names))
    };
    let (poor, hh, kept) = (
        metric_index("poor_share").unwrap_or(0),
        metric_index("households").unwrap_or(0),
        metric_index("stayed_share").unwrap_or(0),
    );
    let summary = |g: usize, y: i32, m: usize| cohorts.summary_of(c, g, y, m);
    let diff = |p: &Policy<'b>, g: usize, y: i32| -> Option<&'b Difference> {
        p.cohort_diffs
            .iter()
            .find(|d| {
                d.cohort_year == c
                    && d.difference.group == g
                    && d.difference.year == y
                    && d.difference.metric == "poor_share"
            })
            .map(|d| &d.difference)
    };
    let all: &[Policy<'b>] = cmp.map_or(&[], |c| c.policies);
    let with: Vec<&Policy<'b>> = all.iter().filter(|p| !p.cohort_diffs.is_empty()).collect();
    let lacking: Vec<String> = all
        .iter()
        .filter(|p| p.cohort_diffs.is_empty())
        .map(|p| p.name.to_string())
        .collect();
    let compared = !with.is_empty();
    let one = all.len() == 1;
    let shown: Vec<String> = years.iter().map(|y| format!("{y} (+{})", y - c)).collect();
    let figures = figure_list(figures, n)?;
    let body = html! {
        p {
            "A cohort is a group of households by their livelihood in " (when)
            ", followed wherever they went: the local cohort is the households that were local in "
            (c) ", whatever livelihood they took up later. Each later year counts the cohort's "
            "households still alive (all: every household alive in " (c) ")."
        }
        p {
            "The " (c) " cohorts in " (and_list(&shown)) ": the share below the poverty line, "
            "mean over " (plural(r.replicates as u64, "replicate"))
            @if r.replicates > 1 { " with its Student-t 95% CI" }
            ", the cohort's households still alive (of those in " (c)
            "), and the share that kept the previous year's livelihood ("
            code { "stayed_share" } ")"
            @if compared {
                "; and the paired difference of the poor share, policy − base, with its 95% CI"
            }
            ". Every year is in " code { "cohorts.csv" } "."
        }
        // One replicate has no interval (as everywhere in the report).
        @let intervals = r.replicates > 1;
        table.headline.cohorts {
            thead {
                tr {
                    th { "cohort (" (c) ")" } th { "year" } th.y { "poor" }
                    @if intervals { th { "95% CI" } }
                    th.y { "alive" } th { "kept" }
                    @for p in &with {
                        th.y { "poor: " @if one { "policy" } @else { (p.name) } " − base" }
                        th { "95% CI" }
                    }
                }
            }
            tbody {
                @for (g, name) in GROUP_NAMES.iter().enumerate() {
                    @for (i, &y) in years.iter().enumerate() {
                        tr class=[(g == ALL_GROUP).then_some("all")] {
                            @if i == 0 {
                                td rowspan=(years.len()) {
                                    (name) br;
                                    span.small { (count(cohort_size(r, c, g))) " in " (c) }
                                }
                            }
                            td { (y) " (+" (y - c) ")" }
                            @let p = summary(g, y, poor);
                            td.y { (pct(p.and_then(|p| p.mean))) }
                            @if intervals {
                                td { (pct_interval(p.and_then(|p| p.ci95_low.zip(p.ci95_high)))) }
                            }
                            td.y { (count(summary(g, y, hh).and_then(|p| p.mean))) }
                            td { (pct(summary(g, y, kept).and_then(|p| p.mean))) }
                            @for p in &with {
                                @let d = diff(p, g, y);
                                td.y { (pp(d.and_then(|d| d.diff_mean))) }
                                td {
                                    @match d.and_then(|d| d.ci) {
                                        Some((lo, hi)) => { (pp(Some(lo))) " to " (pp(Some(hi))) }
                                        None => { "–" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !lacking.is_empty() {
            p.note {
                @if one { "The policy run follows" } @else { (and_list(&lacking)) " follow" }
                " no cohort year that the base follows (no "
                code { "cohorts.csv" } ", or other cohort years): no cohort difference."
            }
        }
        (figures)
    };
    Ok(Part::new("cohorts", heading, body))
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
