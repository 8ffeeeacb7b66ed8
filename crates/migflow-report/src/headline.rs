//! One sentence on what a change to a scenario does to poverty, with its
//! 95 % interval and what it costs a year: "Extending the
//! poverty-alleviation workshops to 2030 lowers the 2026–2030 poverty
//! share by 0.6 points (95 % CI 0.5–0.7), at 2.1 million yuan a year."
//! The explorer (`migflow serve`) heads its results with it.
//!
//! The number is the paired window effect of [`effects::window_effects`]
//! (per replicate, the mean over the window of policy − base; then the
//! mean over replicates and its Student-t interval), on the poor share of
//! all households; the cost is the paired mean extra lever cost over the
//! window, divided by its years.

use crate::build::thousands;
use migflow_analysis::effects::{self, Window};
use migflow_core::metrics::Metric;
use migflow_core::params::Scenario;
use migflow_core::record::ALL_GROUP;
use migflow_io::results::{LeverWindow, RunResults, lever_windows};

/// The headline of a comparison: its sentence and its number.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The sentence.
    pub text: String,
    /// The metric of the number (`poor_share`).
    pub metric: &'static str,
    /// The paired mean effect over the window (policy − base), as a share.
    pub mean: Option<f64>,
    /// Its 95 % interval's lower end.
    pub lo: Option<f64>,
    /// Its 95 % interval's upper end.
    pub hi: Option<f64>,
}

/// The years a comparison's headline averages over: the years in which a
/// lever acts differently in the two scenarios (extending a lever from
/// 2025 to 2030 gives 2026–2030), within the run's years; every year of
/// the run when no lever differs (or only events and other settings do).
pub fn default_window(base: &Scenario, policy: &Scenario) -> Window {
    let (first, last) = (base.run.start_year, base.run.end_year());
    let (lb, lp) = (lever_windows(base), lever_windows(policy));
    let acting = |ws: &[LeverWindow], lever: &str, year: i32| {
        ws.iter()
            .find(|w| w.lever == lever && w.start <= year && year <= w.end)
            .map(|w| w.detail.clone())
    };
    let levers: Vec<&str> = lb.iter().chain(&lp).map(|w| w.lever).collect();
    let differs: Vec<i32> = (first..=last)
        .filter(|&y| {
            levers
                .iter()
                .any(|l| acting(&lb, l, y) != acting(&lp, l, y))
        })
        .collect();
    match (differs.first(), differs.last()) {
        (Some(&start), Some(&end)) => Window { start, end },
        _ => Window {
            start: first,
            end: last,
        },
    }
}

/// What the policy changes, as the subject of the sentence ("Extending
/// the poverty-alleviation workshops to 2030"); none when the scenarios
/// are equal.
pub fn change_words(base: &Scenario, policy: &Scenario) -> Option<String> {
    let (lb, lp) = (lever_windows(base), lever_windows(policy));
    let mut items: Vec<String> = Vec::new();
    for p in &lp {
        match lb.iter().find(|b| b.lever == p.lever) {
            None => items.push(format!(
                "adding {} ({}–{}, {})",
                p.title, p.start, p.end, p.detail
            )),
            Some(b) if b == p => {}
            Some(b) => {
                let mut what = Vec::new();
                if p.end > b.end {
                    what.push(format!("extending {} to {}", p.title, p.end));
                } else if p.end < b.end {
                    what.push(format!("ending {} in {}", p.title, p.end));
                }
                if p.start < b.start {
                    what.push(format!("starting {} in {}", p.title, p.start));
                } else if p.start > b.start {
                    what.push(format!("delaying {} to {}", p.title, p.start));
                }
                if p.detail != b.detail {
                    what.push(format!(
                        "changing {} to {} (the base: {})",
                        p.title, p.detail, b.detail
                    ));
                }
                items.push(and_list(&what));
            }
        }
    }
    for b in lb.iter().filter(|b| !lp.iter().any(|p| p.lever == b.lever)) {
        items.push(format!("removing {} ({}–{})", b.title, b.start, b.end));
    }
    if base.events != policy.events {
        items.push("changing the events".into());
    }
    let mut rest = policy.clone();
    rest.events = base.events.clone();
    rest.levers = base.levers.clone();
    rest.run.seed = base.run.seed;
    rest.run.replicates = base.run.replicates;
    let levers_alike = lb == lp;
    if rest != *base || (policy.levers != base.levers && levers_alike) {
        items.push("changing other settings".into());
    }
    if items.is_empty() {
        return None;
    }
    let text = and_list(&items);
    let mut chars = text.chars();
    Some(match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => text,
    })
}

fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Points with one decimal (two below 0.1 points), without a sign.
fn points(x: f64) -> String {
    let p = (x * 100.0).abs();
    if p < 0.1 && p > 0.0 {
        format!("{p:.2}")
    } else {
        format!("{p:.1}")
    }
}

/// Yuan a year in words: "2.1 million yuan", "350,000 yuan".
fn yuan_words(x: f64) -> String {
    let a = x.abs();
    if a >= 1e8 {
        format!("{:.1} hundred million yuan", a / 1e8)
    } else if a >= 1e6 {
        format!("{:.1} million yuan", a / 1e6)
    } else {
        format!("{} yuan", thousands(a))
    }
}

/// The headline of `policy` against `base` over `window`, from the paired
/// replicates of the two runs; `base_costs` and `policy_costs` are the
/// total lever costs per replicate and year (`costs[r][t]`, nominal yuan),
/// when the runs have them.
pub fn headline(
    base: &RunResults,
    policy: &RunResults,
    base_costs: Option<&[Vec<f64>]>,
    policy_costs: Option<&[Vec<f64>]>,
    window: Window,
) -> Headline {
    let metric = Metric::PoorShare;
    let effect = effects::window_effects(base, policy, "policy", window)
        .into_iter()
        .find(|e| e.group == ALL_GROUP && e.metric == metric);
    let (mean, ci) = effect
        .as_ref()
        .map_or((None, None), |e| (e.stats.diff_mean, e.stats.ci));
    let subject = change_words(&base.scenario, &policy.scenario);
    let span = if window.start == window.end {
        window.start.to_string()
    } else {
        format!("{}–{}", window.start, window.end)
    };
    let Some(subject) = subject else {
        return Headline {
            text: format!(
                "The settings equal the base scenario's: the two runs share their random draws, so there is no difference to show (the {span} poverty share is the same)."
            ),
            metric: metric.name(),
            mean,
            lo: ci.map(|c| c.0),
            hi: ci.map(|c| c.1),
        };
    };
    let Some(m) = mean else {
        return Headline {
            text: format!(
                "{subject}: the {span} poverty share cannot be compared (no replicate has it in every year)."
            ),
            metric: metric.name(),
            mean,
            lo: None,
            hi: None,
        };
    };
    let change = match ci {
        Some((lo, hi)) if hi < 0.0 => format!(
            "lowers the {span} poverty share by {} points (95 % CI {}–{})",
            points(m),
            points(hi),
            points(lo)
        ),
        Some((lo, hi)) if lo > 0.0 => format!(
            "raises the {span} poverty share by {} points (95 % CI {}–{})",
            points(m),
            points(lo),
            points(hi)
        ),
        Some((lo, hi)) => format!(
            "changes the {span} poverty share by {}{} points (95 % CI {}{} to {}{}, which includes zero: no clear effect)",
            sign(m),
            points(m),
            sign(lo),
            points(lo),
            sign(hi),
            points(hi)
        ),
        None => format!(
            "changes the {span} poverty share by {}{} points (one pair of runs: no interval)",
            sign(m),
            points(m)
        ),
    };
    let years = f64::from(window.end - window.start + 1);
    let cost = match (base_costs, policy_costs) {
        (Some(b), Some(p)) => {
            let in_window = |costs: &[Vec<f64>]| -> Vec<f64> {
                costs
                    .iter()
                    .map(|rep| {
                        rep.iter()
                            .zip(&base.years)
                            .filter(|(_, y)| window.contains(**y))
                            .map(|(c, _)| *c)
                            .sum::<f64>()
                    })
                    .collect()
            };
            let pairs: Vec<(f64, f64)> = in_window(b).into_iter().zip(in_window(p)).collect();
            effects::paired(&pairs).diff_mean.map(|d| d / years)
        }
        _ => None,
    };
    let cost_words = match cost {
        Some(c) if c.abs() < 0.5 => ", at no extra cost".to_string(),
        Some(c) if c > 0.0 => format!(", at {} a year", yuan_words(c)),
        Some(c) => format!(", saving {} a year", yuan_words(c)),
        None => String::new(),
    };
    Headline {
        text: format!("{subject} {change}{cost_words}."),
        metric: metric.name(),
        mean,
        lo: ci.map(|c| c.0),
        hi: ci.map(|c| c.1),
    }
}

fn sign(x: f64) -> &'static str {
    if x < 0.0 && points(x).chars().any(|c| c.is_ascii_digit() && c != '0') {
        "−"
    } else if x > 0.0 && points(x).chars().any(|c| c.is_ascii_digit() && c != '0') {
        "+"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extending_a_lever_is_said_and_its_years_are_the_window() {
        let base = Scenario::default();
        let mut policy = base.clone();
        policy.levers.workshops.end_year = 2030;
        assert_eq!(
            change_words(&base, &policy).unwrap(),
            "Extending poverty-alleviation workshops to 2030"
        );
        assert_eq!(
            default_window(&base, &policy),
            Window {
                start: 2026,
                end: 2030
            }
        );
        assert_eq!(change_words(&base, &base), None);
        assert_eq!(
            default_window(&base, &base),
            Window {
                start: 2021,
                end: 2035
            }
        );
    }

    #[test]
    fn removing_a_lever_and_other_settings_are_said() {
        let base = Scenario::default();
        let mut policy = base.clone();
        policy.levers.workshops.enabled = false;
        policy.decision.beta_net += 0.1;
        let words = change_words(&base, &policy).unwrap();
        assert!(
            words.starts_with("Removing poverty-alleviation workshops (2021–2025)"),
            "{words}"
        );
        assert!(words.ends_with("and changing other settings"), "{words}");
    }

    #[test]
    fn numbers_read_as_points_and_yuan() {
        assert_eq!(points(-0.006), "0.6");
        assert_eq!(points(0.0004), "0.04");
        assert_eq!(yuan_words(2_100_000.0), "2.1 million yuan");
        assert_eq!(yuan_words(350_000.0), "350,000 yuan");
    }
}
