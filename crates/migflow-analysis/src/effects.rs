//! Policies against one baseline: paired effects over a window of years,
//! and what the effects cost.
//!
//! Every statistic here is paired replicate by replicate: replicate `r` of
//! the base and of a policy share their random streams (the same seed), so
//! their difference removes the noise they share. The runs must have the
//! same seed, replicates and years ([`check_paired`]).
//!
//! - **Window effects** ([`window_effects`]): per replicate, the mean over
//!   the window's years of `policy − base`; then the mean of those over the
//!   replicates, its sample sd and its Student-t 95 % interval. A replicate
//!   enters only if both runs have the metric in every year of the window
//!   (an empty livelihood has none), so `n` may be below the replicates.
//! - **Cost-effectiveness** ([`cost_effectiveness`]): per replicate, the
//!   extra cost `ΔC` (the policy's total lever cost over the window minus
//!   the base's, nominal yuan) and the poverty averted `ΔP` (the base's
//!   poor household-years over the window minus the policy's, or the
//!   base's returns to poverty minus the policy's). The ratio of the means
//!   `mean ΔC / mean ΔP` has a 95 % interval by Fieller's theorem (paired:
//!   with the covariance of `ΔC` and `ΔP` over replicates and a Student-t
//!   quantile with `n − 1` degrees of freedom). When the interval of
//!   `mean ΔP` includes zero, Fieller's interval is unbounded and the ratio
//!   means nothing: no ratio is given, and the note says why.

use migflow_core::metrics::{METRICS, Metric};
use migflow_core::record::{ALL_GROUP, GROUPS};
use migflow_io::error::{Error, Result};
use migflow_io::results::RunResults;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::path::Path;

/// A span of calendar years, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First year.
    pub start: i32,
    /// Last year.
    pub end: i32,
}

impl Window {
    /// Parse `2021-2025` (or one year, `2025`).
    pub fn parse(text: &str) -> std::result::Result<Window, String> {
        let bad = || {
            format!(
                "--window {text:?}: expected two years joined by `-`, e.g. 2021-2025, or one year"
            )
        };
        let (a, b) = match text.trim().split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (text.trim(), text.trim()),
        };
        let start: i32 = a.parse().map_err(|_| bad())?;
        let end: i32 = b.parse().map_err(|_| bad())?;
        if start > end {
            return Err(format!(
                "--window {text:?}: the first year ({start}) is after the last ({end})"
            ));
        }
        Ok(Window { start, end })
    }

    /// Whether `year` is in the window.
    pub fn contains(&self, year: i32) -> bool {
        (self.start..=self.end).contains(&year)
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}–{}", self.start, self.end)
    }
}

fn input(path: &Path, message: String) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message,
    }
}

/// Check that `policy` can be paired with `base`: the same seed (so that
/// replicate `r` of both shares its streams), replicates and years.
pub fn check_paired(base: &RunResults, policy: &RunResults) -> Result<()> {
    if base.manifest.seed != policy.manifest.seed {
        return Err(input(
            &policy.dir,
            format!(
                "was run with seed {} and the base {} with seed {}: paired differences need the same seed (replicate r of both shares its random streams); rerun one with --seed {}",
                policy.manifest.seed,
                base.dir.display(),
                base.manifest.seed,
                base.manifest.seed
            ),
        ));
    }
    if base.replicates != policy.replicates {
        return Err(input(
            &policy.dir,
            format!(
                "has {} replicate(s) and the base {} has {}: compare runs with the same replicates",
                policy.replicates,
                base.dir.display(),
                base.replicates
            ),
        ));
    }
    if base.years != policy.years {
        let span = |y: &[i32]| match (y.first(), y.last()) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "no years".to_string(),
        };
        return Err(input(
            &policy.dir,
            format!(
                "covers the years {} and the base {} covers {}: compare runs of the same years",
                span(&policy.years),
                base.dir.display(),
                span(&base.years)
            ),
        ));
    }
    Ok(())
}

/// Check that `window` lies within the runs' years.
pub fn check_window(base: &RunResults, window: Window) -> Result<()> {
    let (Some(&first), Some(&last)) = (base.years.first(), base.years.last()) else {
        return Err(input(&base.dir, "has no years".into()));
    };
    if window.start < first || window.end > last {
        return Err(input(
            &base.dir,
            format!("--window {window}: expected years within the runs' {first}–{last}"),
        ));
    }
    Ok(())
}

/// The paired statistics of one quantity: the mean of the per-replicate
/// differences (policy − base), their sd and Student-t 95 % interval, and
/// the means of the base and the policy over the same replicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Mean of the base's values.
    pub base_mean: Option<f64>,
    /// Mean of the policy's values.
    pub policy_mean: Option<f64>,
    /// Mean difference, policy − base.
    pub diff_mean: Option<f64>,
    /// Sample sd of the differences.
    pub diff_sd: Option<f64>,
    /// Student-t 95 % interval of the mean difference.
    pub ci: Option<(f64, f64)>,
    /// Replicates with both values.
    pub n: usize,
}

/// Paired statistics of (base, policy) values, one pair a replicate.
pub fn paired(pairs: &[(f64, f64)]) -> Paired {
    let diffs: Vec<f64> = pairs.iter().map(|(b, p)| p - b).collect();
    let bases: Vec<f64> = pairs.iter().map(|(b, _)| *b).collect();
    let policies: Vec<f64> = pairs.iter().map(|(_, p)| *p).collect();
    let (diff_mean, diff_sd, lo, hi, n) = migflow_core::stats::summarize(&diffs);
    Paired {
        base_mean: migflow_core::stats::summarize(&bases).0,
        policy_mean: migflow_core::stats::summarize(&policies).0,
        diff_mean,
        diff_sd,
        ci: lo.zip(hi),
        n,
    }
}

/// One row of `effects.csv`: a policy's paired effect on one metric of one
/// livelihood (or cohort) over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The policy's name.
    pub policy: String,
    /// The cohort year, for a cohort's effect; none for the livelihoods of
    /// each year.
    pub cohort_year: Option<i32>,
    /// The livelihood (or the cohort's livelihood in its year), or `all`.
    pub group: usize,
    /// The metric.
    pub metric: Metric,
    /// The window.
    pub window: Window,
    /// The statistics.
    pub stats: Paired,
}

/// The window means of `values[r][t]` (one per replicate, over the years
/// `t` of `years` in the window), for the replicates with every year.
fn window_means(values: &[Vec<Option<f64>>], years: &[i32], window: Window) -> Vec<Option<f64>> {
    values
        .iter()
        .map(|rep| {
            let in_window: Vec<Option<f64>> = rep
                .iter()
                .zip(years)
                .filter(|(_, y)| window.contains(**y))
                .map(|(v, _)| *v)
                .collect();
            if in_window.is_empty() || in_window.iter().any(Option::is_none) {
                return None;
            }
            Some(in_window.iter().flatten().sum::<f64>() / in_window.len() as f64)
        })
        .collect()
}

fn pairs_of(base: &[Option<f64>], policy: &[Option<f64>]) -> Vec<(f64, f64)> {
    base.iter()
        .zip(policy)
        .filter_map(|(b, p)| Some(((*b)?, (*p)?)))
        .collect()
}

/// The paired effect of `policy` over `window` on every metric of every
/// livelihood and `all`, by livelihood then metric (the order of
/// `trajectories.csv`).
pub fn window_effects(
    base: &RunResults,
    policy: &RunResults,
    name: &str,
    window: Window,
) -> Vec<Effect> {
    let mut out = Vec::with_capacity(GROUPS * METRICS);
    for group in 0..GROUPS {
        for metric in Metric::ALL {
            let m = metric as usize;
            let of = |r: &RunResults| -> Vec<Vec<Option<f64>>> {
                r.trajectories
                    .iter()
                    .map(|rep| rep.iter().map(|year| year[group][m]).collect())
                    .collect()
            };
            let b = window_means(&of(base), &base.years, window);
            let p = window_means(&of(policy), &policy.years, window);
            out.push(Effect {
                policy: name.to_string(),
                cohort_year: None,
                group,
                metric,
                window,
                stats: paired(&pairs_of(&b, &p)),
            });
        }
    }
    out
}

/// The paired effect of `policy` over the window on every metric of the
/// cohorts of `cohort_year` (each cohort by its livelihood in that year,
/// and `all`). The window's years must follow the cohort year; an error
/// names the cohort years a run follows when it does not follow this one.
pub fn cohort_window_effects(
    base: &RunResults,
    policy: &RunResults,
    name: &str,
    window: Window,
    cohort_year: i32,
) -> Result<Vec<Effect>> {
    fn cohort(
        r: &RunResults,
        cohort_year: i32,
    ) -> Result<&migflow_io::results::CohortTrajectories> {
        let follows = r.cohorts.as_ref().and_then(|c| c.get(cohort_year));
        follows.ok_or_else(|| {
            let years = r.cohorts.as_ref().map_or("none (no cohorts.csv)".to_string(), |c| {
                c.cohort_years()
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            });
            input(
                &r.dir,
                format!(
                    "--cohort-year {cohort_year}: the run follows no cohort of that year (it follows: {years}); rerun with --cohort-years {cohort_year}"
                ),
            )
        })
    }
    let (bc, pc) = (cohort(base, cohort_year)?, cohort(policy, cohort_year)?);
    if window.start <= cohort_year {
        return Err(input(
            &base.dir,
            format!(
                "--window {window} with --cohort-year {cohort_year}: a cohort has values only in the years after it forms; start the window in {} or later",
                cohort_year + 1
            ),
        ));
    }
    let mut out = Vec::with_capacity(GROUPS * METRICS);
    for group in 0..GROUPS {
        for metric in Metric::ALL {
            let m = metric as usize;
            let of = |c: &migflow_io::results::CohortTrajectories| -> Vec<Vec<Option<f64>>> {
                c.values
                    .iter()
                    .map(|rep| rep.iter().map(|year| year[group][m]).collect())
                    .collect()
            };
            let b = window_means(&of(bc), &bc.years, window);
            let p = window_means(&of(pc), &pc.years, window);
            out.push(Effect {
                policy: name.to_string(),
                cohort_year: Some(cohort_year),
                group,
                metric,
                window,
                stats: paired(&pairs_of(&b, &p)),
            });
        }
    }
    Ok(out)
}

/// What is averted in [`cost_effectiveness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Averted {
    /// Household-years of poverty: the weighted households of `all` times
    /// their poor share, summed over the window's years.
    PoorHouseholdYears,
    /// Returns to poverty: the `returned` households of `all` (poor this
    /// year, not last year; a count of households), summed over the window.
    Returns,
}

impl Averted {
    /// Both, in output order.
    pub const ALL: [Averted; 2] = [Averted::PoorHouseholdYears, Averted::Returns];

    /// Its name in `cost_effectiveness.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Averted::PoorHouseholdYears => "poor_household_year",
            Averted::Returns => "return_to_poverty",
        }
    }

    /// Its total over the window, per replicate.
    fn totals(self, r: &RunResults, window: Window) -> Vec<Option<f64>> {
        r.trajectories
            .iter()
            .map(|rep| {
                let mut total = 0.0;
                for (year, stats) in r.years.iter().zip(rep) {
                    if !window.contains(*year) {
                        continue;
                    }
                    let all = &stats[ALL_GROUP];
                    total += match self {
                        Averted::PoorHouseholdYears => {
                            all[Metric::WeightedHouseholds as usize]?
                                * all[Metric::PoorShare as usize]?
                        }
                        Averted::Returns => all[Metric::Returned as usize]?,
                    };
                }
                Some(total)
            })
            .collect()
    }
}

/// A policy's cost per unit of poverty averted over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEffectiveness {
    /// The policy's name.
    pub policy: String,
    /// The window.
    pub window: Window,
    /// What is averted.
    pub averted: Averted,
    /// The extra cost over the window (policy − base), nominal yuan.
    pub extra_cost: Paired,
    /// The poverty averted (base − policy): its `diff_mean` and interval
    /// are of `base − policy`.
    pub averted_stats: Paired,
    /// `mean ΔC / mean ΔP`, when meaningful.
    pub ratio: Option<f64>,
    /// Fieller's 95 % interval of the ratio, when bounded.
    pub ratio_ci: Option<(f64, f64)>,
    /// Why there is no ratio (or what to read into it).
    pub note: String,
}

/// The cost-effectiveness of `policy` against `base` over `window`, from
/// the total lever cost of each replicate and year (`costs[r][t]`, nominal
/// yuan, `t` over the runs' years), for both kinds of [`Averted`].
pub fn cost_effectiveness(
    base: &RunResults,
    base_costs: &[Vec<f64>],
    policy: &RunResults,
    policy_costs: &[Vec<f64>],
    name: &str,
    window: Window,
) -> Vec<CostEffectiveness> {
    let total = |r: &RunResults, costs: &[Vec<f64>]| -> Vec<Option<f64>> {
        costs
            .iter()
            .map(|rep| {
                Some(
                    rep.iter()
                        .zip(&r.years)
                        .filter(|(_, y)| window.contains(**y))
                        .map(|(c, _)| *c)
                        .sum(),
                )
            })
            .collect()
    };
    let (base_cost, policy_cost) = (total(base, base_costs), total(policy, policy_costs));
    Averted::ALL
        .iter()
        .map(|&averted| {
            let b = averted.totals(base, window);
            let p = averted.totals(policy, window);
            // Replicates with all four values, so that the cost and the
            // poverty averted of a replicate stay paired.
            let mut cost_pairs = Vec::new();
            let mut averted_pairs = Vec::new();
            for r in 0..base_cost
                .len()
                .min(policy_cost.len())
                .min(b.len())
                .min(p.len())
            {
                if let (Some(cb), Some(cp), Some(pb), Some(pp)) =
                    (base_cost[r], policy_cost[r], b[r], p[r])
                {
                    cost_pairs.push((cb, cp));
                    // Averted is base − policy: paired as (policy, base).
                    averted_pairs.push((pp, pb));
                }
            }
            let both: Vec<(f64, f64)> = cost_pairs
                .iter()
                .zip(&averted_pairs)
                .map(|((cb, cp), (pp, pb))| (cp - cb, pb - pp))
                .collect();
            let extra_cost = paired(&cost_pairs);
            let averted_stats = paired(&averted_pairs);
            let (ratio, ratio_ci, note) = fieller(&both, &averted_stats);
            CostEffectiveness {
                policy: name.to_string(),
                window,
                averted,
                extra_cost,
                averted_stats,
                ratio,
                ratio_ci,
                note,
            }
        })
        .collect()
}

/// `cost_effectiveness.csv` as text (the header alone for no rows).
pub fn cost_effectiveness_csv(rows: &[CostEffectiveness]) -> String {
    use migflow_io::format_float;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COST_EFFECTIVENESS_HEADER);
    for c in rows {
        let (e, a) = (&c.extra_cost, &c.averted_stats);
        let _ = w.write_record([
            c.policy.clone(),
            c.window.start.to_string(),
            c.window.end.to_string(),
            c.averted.name().to_string(),
            format_float(e.base_mean),
            format_float(e.policy_mean),
            format_float(e.diff_mean),
            format_float(e.ci.map(|x| x.0)),
            format_float(e.ci.map(|x| x.1)),
            format_float(a.diff_mean),
            format_float(a.ci.map(|x| x.0)),
            format_float(a.ci.map(|x| x.1)),
            format_float(c.ratio),
            format_float(c.ratio_ci.map(|x| x.0)),
            format_float(c.ratio_ci.map(|x| x.1)),
            a.n.to_string(),
            c.note.clone(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Header of `cost_effectiveness.csv`: per policy and kind of poverty
/// averted, the base's and the policy's lever cost over the window (mean
/// over replicates, nominal yuan), the extra cost and the poverty averted
/// (paired means with Student-t 95 % CIs), and the cost per unit averted
/// with Fieller's 95 % CI, or a note saying why there is none.
pub const COST_EFFECTIVENESS_HEADER: [&str; 17] = [
    "policy",
    "window_start",
    "window_end",
    "averted",
    "base_cost",
    "policy_cost",
    "extra_cost",
    "extra_cost_ci95_low",
    "extra_cost_ci95_high",
    "averted_mean",
    "averted_ci95_low",
    "averted_ci95_high",
    "cost_per_averted",
    "cost_per_averted_ci95_low",
    "cost_per_averted_ci95_high",
    "n",
    "note",
];

/// The ratio of the means of `(ΔC, ΔP)` over replicates and its Fieller
/// 95 % interval, or why there is none.
fn fieller(both: &[(f64, f64)], averted: &Paired) -> (Option<f64>, Option<(f64, f64)>, String) {
    let n = both.len();
    if n < 2 {
        return (
            None,
            None,
            format!("{n} replicate(s): an interval needs at least 2"),
        );
    }
    let nf = n as f64;
    let mc = both.iter().map(|x| x.0).sum::<f64>() / nf;
    let mp = both.iter().map(|x| x.1).sum::<f64>() / nf;
    let (mut scc, mut spp, mut scp) = (0.0, 0.0, 0.0);
    for (c, p) in both {
        scc += (c - mc) * (c - mc);
        spp += (p - mp) * (p - mp);
        scp += (c - mc) * (p - mp);
    }
    // Variances and covariance of the means.
    let (v11, v22, v12) = (
        scc / (nf - 1.0) / nf,
        spp / (nf - 1.0) / nf,
        scp / (nf - 1.0) / nf,
    );
    let q = StudentsT::new(0.0, 1.0, nf - 1.0)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(f64::NAN);
    let includes_zero = averted.ci.is_none_or(|(lo, hi)| lo <= 0.0 && hi >= 0.0);
    if includes_zero {
        return (
            None,
            None,
            "the effect's 95% CI includes zero: no cost per unit averted is given".into(),
        );
    }
    if mp < 0.0 {
        return (
            None,
            None,
            "the policy adds poverty (the effect's 95% CI is below zero): no cost per unit averted is given".into(),
        );
    }
    let ratio = mc / mp;
    let g = q * q * v22 / (mp * mp);
    if g >= 1.0 {
        return (Some(ratio), None, "Fieller's interval is unbounded".into());
    }
    let disc = v11 - 2.0 * ratio * v12 + ratio * ratio * v22
        - g * (v11 - v12 * v12 / v22.max(f64::MIN_POSITIVE));
    let centre = ratio - g * v12 / v22.max(f64::MIN_POSITIVE);
    let half = (q / mp.abs()) * disc.max(0.0).sqrt();
    let ci = ((centre - half) / (1.0 - g), (centre + half) / (1.0 - g));
    let note = if mc < 0.0 {
        "the policy saves money and averts poverty (a negative cost per unit averted)".into()
    } else {
        String::new()
    };
    (Some(ratio), Some(ci), note)
}

/// `effects.csv` as text.
pub fn effects_csv(effects: &[Effect]) -> String {
    use migflow_io::format_float;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "policy",
        "cohort_year",
        "livelihood",
        "metric",
        "window_start",
        "window_end",
        "base_mean",
        "policy_mean",
        "diff_mean",
        "diff_sd",
        "ci95_low",
        "ci95_high",
        "n",
    ]);
    for e in effects {
        let s = &e.stats;
        let _ = w.write_record([
            e.policy.clone(),
            e.cohort_year.map_or(String::new(), |c| c.to_string()),
            migflow_core::record::group_name(e.group).to_string(),
            e.metric.name().to_string(),
            e.window.start.to_string(),
            e.window.end.to_string(),
            format_float(s.base_mean),
            format_float(s.policy_mean),
            format_float(s.diff_mean),
            format_float(s.diff_sd),
            format_float(s.ci.map(|c| c.0)),
            format_float(s.ci.map(|c| c.1)),
            s.n.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_statistics_are_those_of_the_differences() {
        let p = paired(&[(1.0, 2.0), (2.0, 4.0), (3.0, 3.0)]);
        // Differences 1, 2, 0: mean 1, sd 1; t(2, .975) = 4.302653.
        assert_eq!(p.diff_mean, Some(1.0));
        assert_eq!(p.diff_sd, Some(1.0));
        let (lo, hi) = p.ci.unwrap();
        let half = 4.302652729911275 / 3f64.sqrt();
        assert!((lo - (1.0 - half)).abs() < 1e-9 && (hi - (1.0 + half)).abs() < 1e-9);
        assert_eq!((p.base_mean, p.policy_mean, p.n), (Some(2.0), Some(3.0), 3));
    }

    #[test]
    fn window_means_need_every_year_of_the_window() {
        let years = [2021, 2022, 2023];
        let w = Window::parse("2022-2023").unwrap();
        let values = vec![
            vec![Some(1.0), Some(2.0), Some(4.0)],
            vec![Some(1.0), None, Some(4.0)],
            vec![None, Some(5.0), Some(7.0)],
        ];
        assert_eq!(
            window_means(&values, &years, w),
            vec![Some(3.0), None, Some(6.0)]
        );
    }

    #[test]
    fn windows_parse_and_refuse_what_is_not_one() {
        assert_eq!(
            Window::parse("2021-2025"),
            Ok(Window {
                start: 2021,
                end: 2025
            })
        );
        assert_eq!(
            Window::parse("2030"),
            Ok(Window {
                start: 2030,
                end: 2030
            })
        );
        assert!(Window::parse("2025-2021").unwrap_err().contains("after"));
        assert!(Window::parse("soon").unwrap_err().contains("two years"));
    }

    #[test]
    fn fieller_gives_the_ratio_and_an_interval_around_it_and_none_when_the_effect_may_be_zero() {
        // ΔC exactly 100 × ΔP: the ratio is 100 with a zero-width interval.
        let both = [(1000.0, 10.0), (1100.0, 11.0), (1200.0, 12.0)];
        let averted = paired(&[(0.0, 10.0), (0.0, 11.0), (0.0, 12.0)]);
        let (ratio, ci, note) = fieller(&both, &averted);
        assert_eq!(ratio, Some(100.0));
        let (lo, hi) = ci.unwrap();
        assert!(
            (lo - 100.0).abs() < 1e-6 && (hi - 100.0).abs() < 1e-6,
            "{lo} {hi}"
        );
        assert!(note.is_empty());
        // Noisy costs: the interval contains the ratio.
        let both = [
            (900.0, 10.0),
            (1130.0, 11.0),
            (1180.0, 12.0),
            (1390.0, 13.1),
        ];
        let averted = paired(&[(0.0, 10.0), (0.0, 11.0), (0.0, 12.0), (0.0, 13.1)]);
        let (ratio, ci, _) = fieller(&both, &averted);
        let (lo, hi) = ci.unwrap();
        assert!(lo < ratio.unwrap() && ratio.unwrap() < hi);
        // An effect whose interval includes zero: no ratio.
        let both = [(100.0, 1.0), (100.0, -1.0), (100.0, 0.5)];
        let averted = paired(&[(0.0, 1.0), (0.0, -1.0), (0.0, 0.5)]);
        let (ratio, ci, note) = fieller(&both, &averted);
        assert_eq!((ratio, ci), (None, None));
        assert!(note.contains("includes zero"), "{note}");
    }
}
