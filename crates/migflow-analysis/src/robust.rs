//! Robustness of a sweep's policies across its uncertainties.
//!
//! A sweep of `[[policies]]` runs every policy at every point of a design
//! over its `[[uncertainties]]`, with common random numbers. Here each
//! (policy, uncertainty point) is one scenario: its outcome is the mean
//! over the point's completed replicates (the replicates are noise, not
//! scenarios). [`analyse`] is a pure function of a [`Table`] of those
//! means (`policies × points`); [`read_table`] builds the table from a
//! sweep's results directory, and [`write()`] puts the outputs on disk.
//!
//! Definitions, as the outputs state them:
//!
//! - **Percentiles** interpolate linearly between order statistics
//!   (Hyndman and Fan's type 7, numpy's and R's default): the `q`-th
//!   percentile of `n` sorted values `x₀ ≤ … ≤ xₙ₋₁` is at rank
//!   `h = (n − 1)·q`, `x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋+1 − x⌊h⌋)`.
//! - **Regret** of a policy at a point is its distance from the best policy
//!   there: `outcome − min` when minimising, `max − outcome` when
//!   maximising; it is never negative, and zero for the best.
//! - **Best share**: the share of points where a policy is the best. Ties
//!   (policies with exactly the same outcome, regret 0) share the win: each
//!   of `k` tied policies counts `1/k` of the point, so the shares of all
//!   policies sum to one.
//! - **Satisficing share**: the share of points where the outcome meets the
//!   threshold (`≤` when minimising, `≥` when maximising).
//! - **Influence** of an uncertainty (for the map of winners): the largest
//!   absolute Spearman rank correlation, over the policies, between the
//!   uncertainty's values and the policy's regret across the points (ties
//!   take average ranks; a policy whose regret does not vary is skipped).
//!   Regret is what decides the winner, so the two uncertainties that move
//!   some policy's regret most are the two axes of the map. Equal
//!   influences keep the sweep file's order.
//!
//! A point where some policy has no completed replicate (a failed run, a
//! shard) is left out for every policy, so that every statistic of every
//! policy is over the same points; a note says how many.

use std::io::Write;
use std::path::{Path, PathBuf};

use migflow_io::error::Error;
use migflow_io::results::SweepResults;
use migflow_io::tables::csv_user_text;
use migflow_io::{OutputDir, format_float};
use serde::Serialize;

/// Which outcomes are better.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better (poverty shares, returns to poverty).
    #[default]
    Minimise,
    /// Higher is better.
    Maximise,
}

impl Direction {
    /// `minimise` or `maximise`.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Minimise => "minimise",
            Direction::Maximise => "maximise",
        }
    }
}

/// The options of an analysis.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Options {
    /// Which outcomes are better.
    pub direction: Direction,
    /// The satisficing threshold, if any (finite).
    pub threshold: Option<f64>,
}

/// The outcome of every policy at every uncertainty point.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The outcome's name (a `runs.csv` column).
    pub outcome: String,
    /// The policies, in the sweep file's order.
    pub policies: Vec<String>,
    /// The uncertainties (scenario paths), in the sweep file's order.
    pub uncertainties: Vec<String>,
    /// The uncertainty points: their index in the design (`u`, the sweep's
    /// point `u · P + p` for policy `p`) and their values as written, one
    /// per uncertainty.
    pub points: Vec<(u64, Vec<String>)>,
    /// `outcomes[p][i]`: policy `p` at `points[i]`, the mean over its
    /// completed replicates; `None` (or a non-finite value) when it has none.
    pub outcomes: Vec<Vec<Option<f64>>>,
}

/// Why an analysis could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RobustError {
    /// The results could not be read, or are not a sweep of policies.
    #[error(transparent)]
    Io(#[from] Error),
    /// An option is out of its range.
    #[error("{option} {value}: expected {expected}")]
    Option {
        /// The option.
        option: &'static str,
        /// The value given.
        value: String,
        /// What it must be.
        expected: String,
    },
    /// The table cannot be analysed (the wrong shape, too few policies).
    #[error("{0}")]
    Table(String),
}

/// The robustness statistics of one policy, over the points used.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStats {
    /// The policy.
    pub policy: String,
    /// The points its statistics are over (the same for every policy).
    pub points: usize,
    /// Mean outcome.
    pub mean: f64,
    /// Percentiles of the outcome (type 7): 5th, 25th, 50th, 75th, 95th.
    pub percentiles: [f64; 5],
    /// Smallest outcome.
    pub min: f64,
    /// Largest outcome.
    pub max: f64,
    /// Mean regret.
    pub regret_mean: f64,
    /// 90th percentile of the regret (type 7).
    pub regret_p90: f64,
    /// Largest regret.
    pub regret_max: f64,
    /// Percentiles of the regret (5th, 25th, 50th, 75th, 95th), for charts.
    pub regret_percentiles: [f64; 5],
    /// Share of the points where it is the best (ties share the win).
    pub best_share: f64,
    /// Share of the points where the outcome meets the threshold.
    pub satisficing_share: Option<f64>,
}

/// One uncertainty point used: the outcomes and regrets of every policy.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRow {
    /// Its index in the design (`u`).
    pub point: u64,
    /// The uncertainties' values as written.
    pub values: Vec<String>,
    /// The outcome of each policy.
    pub outcomes: Vec<f64>,
    /// The regret of each policy.
    pub regrets: Vec<f64>,
    /// The best policies (more than one on a tie), in policy order.
    pub best: Vec<usize>,
}

/// How much an uncertainty moves the policies' regrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Influence {
    /// Index into [`Robustness::uncertainties`].
    pub uncertainty: usize,
    /// The largest |Spearman ρ| over the policies between its values and
    /// the policy's regret; `None` when its values are not numbers or no
    /// correlation is defined (a constant).
    pub rho: Option<f64>,
}

/// What [`analyse`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Robustness {
    /// The outcome.
    pub outcome: String,
    /// The options.
    pub options: Options,
    /// The policies.
    pub policies: Vec<String>,
    /// The uncertainties.
    pub uncertainties: Vec<String>,
    /// Per policy, in policy order.
    pub stats: Vec<PolicyStats>,
    /// The points used, in design order.
    pub points: Vec<PointRow>,
    /// Points left out because some policy has no outcome there.
    pub left_out: usize,
    /// Every uncertainty, most influential first (see the module docs).
    pub influence: Vec<Influence>,
    /// The axes of the map of winners: the one or two most influential
    /// uncertainties with numeric values (indices into `uncertainties`).
    pub map_axes: Vec<usize>,
    /// What the reader should know (points left out, an unmet threshold).
    pub notes: Vec<String>,
}

/// The percentile definition, as the outputs state it.
pub const PERCENTILE_DEFINITION: &str =
    "linear interpolation between order statistics (type 7, numpy's and R's default)";
/// How ties for the best share a point, as the outputs state it.
pub const TIE_RULE: &str =
    "policies with exactly the same best outcome share the point: each of k counts 1/k";
/// The rule for the axes of the map of winners, as the outputs state it.
pub const INFLUENCE_RULE: &str = "the uncertainties with the largest absolute Spearman rank correlation between their values and some policy's regret across the points";

/// The `q`-th quantile (`q` in [0, 1]) of sorted, finite `x` by linear
/// interpolation (type 7); `NaN` for no values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Average ranks (from 1) of `x`: tied values share the mean of their ranks.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation of `x` and `y` (average ranks for ties);
/// `None` when either is constant or there are fewer than 3 pairs.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// An uncertainty's value as a number: a decimal, or a boolean as 0 / 1.
fn numeric(value: &str) -> Option<f64> {
    match value.trim() {
        "true" => Some(1.0),
        "false" => Some(0.0),
        v => v.parse::<f64>().ok().filter(|x| x.is_finite()),
    }
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The robustness of the table's policies (see the module docs for the
/// definitions). Refused: fewer than two policies, a table of the wrong
/// shape, a non-finite threshold, and no point where every policy has an
/// outcome.
pub fn analyse(table: &Table, opts: &Options) -> Result<Robustness, RobustError> {
    let np = table.policies.len();
    if np < 2 {
        return Err(RobustError::Table(format!(
            "{} polic{} ({}): robustness compares policies; name two or more [[policies]] in the sweep file",
            np,
            if np == 1 { "y only" } else { "ies" },
            table.policies.join(", ")
        )));
    }
    if let Some(t) = opts.threshold.filter(|t| !t.is_finite()) {
        return Err(RobustError::Option {
            option: "threshold",
            value: t.to_string(),
            expected: "a finite number".into(),
        });
    }
    if table.outcomes.len() != np
        || table.outcomes.iter().any(|o| o.len() != table.points.len())
        || table
            .points
            .iter()
            .any(|(_, v)| v.len() != table.uncertainties.len())
    {
        return Err(RobustError::Table(format!(
            "the table is not policies × points: {np} policies, {} points, {} uncertainties",
            table.points.len(),
            table.uncertainties.len()
        )));
    }
    let mut rows = Vec::new();
    let mut left_out = 0;
    for (i, (point, values)) in table.points.iter().enumerate() {
        let outcomes: Option<Vec<f64>> = table
            .outcomes
            .iter()
            .map(|o| o[i].filter(|v| v.is_finite()))
            .collect();
        let Some(outcomes) = outcomes else {
            left_out += 1;
            continue;
        };
        let best_value = match opts.direction {
            Direction::Minimise => outcomes.iter().copied().fold(f64::INFINITY, f64::min),
            Direction::Maximise => outcomes.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        };
        let regrets: Vec<f64> = outcomes
            .iter()
            .map(|&v| match opts.direction {
                Direction::Minimise => v - best_value,
                Direction::Maximise => best_value - v,
            })
            .collect();
        let best = (0..np).filter(|&p| outcomes[p] == best_value).collect();
        rows.push(PointRow {
            point: *point,
            values: values.clone(),
            outcomes,
            regrets,
            best,
        });
    }
    if rows.is_empty() {
        return Err(RobustError::Table(format!(
            "no uncertainty point where every policy has a completed run ({} points, all left out)",
            table.points.len()
        )));
    }
    let n = rows.len();
    let mut notes = Vec::new();
    if left_out > 0 {
        notes.push(format!(
            "{left_out} of {} uncertainty points left out for every policy: some policy has no completed replicate there; the statistics are over the other {n}",
            table.points.len()
        ));
    }
    let stats: Vec<PolicyStats> = (0..np)
        .map(|p| {
            let y: Vec<f64> = rows.iter().map(|r| r.outcomes[p]).collect();
            let regret: Vec<f64> = rows.iter().map(|r| r.regrets[p]).collect();
            let ys = sorted(y.clone());
            let rs = sorted(regret.clone());
            let q = |s: &[f64]| [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| quantile(s, q));
            let wins = rows
                .iter()
                .filter(|r| r.best.contains(&p))
                // From +0.0: an empty `sum` of floats is −0.0.
                .fold(0.0, |acc, r| acc + 1.0 / r.best.len() as f64);
            let satisficing = opts.threshold.map(|t| {
                let met = y
                    .iter()
                    .filter(|&&v| match opts.direction {
                        Direction::Minimise => v <= t,
                        Direction::Maximise => v >= t,
                    })
                    .count();
                met as f64 / n as f64
            });
            PolicyStats {
                policy: table.policies[p].clone(),
                points: n,
                mean: mean(&y),
                percentiles: q(&ys),
                min: ys[0],
                max: ys[n - 1],
                regret_mean: mean(&regret),
                regret_p90: quantile(&rs, 0.9),
                regret_max: rs[n - 1],
                regret_percentiles: q(&rs),
                best_share: wins / n as f64,
                satisficing_share: satisficing,
            }
        })
        .collect();
    if let Some(t) = opts.threshold
        && stats.iter().all(|s| s.satisficing_share == Some(0.0))
    {
        let side = match opts.direction {
            Direction::Minimise => "≤",
            Direction::Maximise => "≥",
        };
        notes.push(format!(
            "no point of any policy meets the threshold ({} {side} {t}): every satisficing share is 0",
            table.outcome
        ));
    }
    let (influence, map_axes) = influence(&table.uncertainties, &rows, np);
    if map_axes.is_empty() {
        notes.push(
            "no uncertainty has numeric values: the map of winning policies is not drawn".into(),
        );
    }
    Ok(Robustness {
        outcome: table.outcome.clone(),
        options: *opts,
        policies: table.policies.clone(),
        uncertainties: table.uncertainties.clone(),
        stats,
        points: rows,
        left_out,
        influence,
        map_axes,
        notes,
    })
}

/// The influence of every uncertainty (most influential first) and the
/// axes of the map of winners (see the module docs).
fn influence(
    uncertainties: &[String],
    rows: &[PointRow],
    np: usize,
) -> (Vec<Influence>, Vec<usize>) {
    let mut all: Vec<(Influence, bool)> = (0..uncertainties.len())
        .map(|j| {
            let x: Option<Vec<f64>> = rows.iter().map(|r| numeric(&r.values[j])).collect();
            let Some(x) = x else {
                return (
                    Influence {
                        uncertainty: j,
                        rho: None,
                    },
                    false,
                );
            };
            let rho = (0..np)
                .filter_map(|p| {
                    let regret: Vec<f64> = rows.iter().map(|r| r.regrets[p]).collect();
                    spearman(&x, &regret).map(f64::abs)
                })
                .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
            (
                Influence {
                    uncertainty: j,
                    rho,
                },
                true,
            )
        })
        .collect();
    // A stable sort keeps the sweep file's order among equals.
    all.sort_by(|(a, _), (b, _)| {
        let key = |i: &Influence| i.rho.unwrap_or(-1.0);
        key(b).total_cmp(&key(a))
    });
    let axes = all
        .iter()
        .filter(|(_, numeric)| *numeric)
        .map(|(i, _)| i.uncertainty)
        .take(2)
        .collect();
    (all.into_iter().map(|(i, _)| i).collect(), axes)
}

/// Read the table of a finished sweep of policies in `dir` for the
/// `runs.csv` column `outcome`, with notes on the runs (a shard, failures).
/// Refused, naming the file: a sweep without policies, with one policy
/// only, or varying no uncertainty; an unknown outcome (a few valid ones
/// are listed).
pub fn read_table(dir: &Path, outcome: &str) -> Result<(Table, Vec<String>), RobustError> {
    let results = SweepResults::read(dir)?;
    let manifest_path = dir.join("manifest.json");
    let runs_path = migflow_io::columnar::present_table(dir, "runs.csv");
    let m = &results.manifest;
    let input = |path: &Path, message: String| {
        RobustError::Io(Error::Input {
            path: path.to_path_buf(),
            message,
        })
    };
    if m.policies.is_empty()
        || results.factors.first().map(String::as_str)
            != Some(migflow_experiments::sweep::POLICY_COLUMN)
    {
        return Err(input(
            &manifest_path,
            "a sweep without policies: name [[policies]] in the sweep file".into(),
        ));
    }
    let np = m.policies.len();
    if np < 2 {
        return Err(input(
            &manifest_path,
            format!(
                "a sweep with one policy only (`{}`): robustness compares policies; name two or more [[policies]] in the sweep file",
                m.policies[0]
            ),
        ));
    }
    let uncertainties: Vec<String> = results.factors[1..].to_vec();
    let varies = (1..results.factors.len()).any(|c| {
        let mut values = results.points.iter().map(|(_, v)| &v[c]);
        values
            .next()
            .is_some_and(|first| values.any(|v| v != first))
    });
    if !varies {
        return Err(input(
            &manifest_path,
            "a sweep without uncertainties: no factor but `policy` varies; name [[uncertainties]] in the sweep file".into(),
        ));
    }
    let Some(k) = results.outcome_names.iter().position(|o| o == outcome) else {
        return Err(input(
            &runs_path,
            unknown_outcome(outcome, &results.outcome_names),
        ));
    };
    if m.points % np as u64 != 0 {
        return Err(RobustError::Io(Error::Damaged {
            path: manifest_path,
            message: format!(
                "records {} points for {np} policies: a sweep of policies has a multiple of its policies",
                m.points
            ),
        }));
    }
    let nu = m.points / np as u64;
    let mut values: Vec<Option<Vec<String>>> = vec![None; nu as usize];
    for (point, v) in &results.points {
        if let Some(slot) = values.get_mut((*point / np as u64) as usize)
            && slot.is_none()
        {
            *slot = Some(v[1..].to_vec());
        }
    }
    let mut sums = vec![vec![(0.0, 0u32); nu as usize]; np];
    for r in &results.runs {
        let (u, p) = (
            (r.point / np as u64) as usize,
            (r.point % np as u64) as usize,
        );
        if u >= nu as usize || r.factors.first() != Some(&m.policies[p]) {
            return Err(RobustError::Io(Error::Damaged {
                path: runs_path,
                message: format!(
                    "point {} is policy `{}`, but the manifest makes it `{}` (point u · P + p)",
                    r.point,
                    r.factors.first().map_or("", String::as_str),
                    m.policies.get(p).map_or("", String::as_str)
                ),
            }));
        }
        if let Some(v) = r.outcomes[k].filter(|v| r.ok && v.is_finite()) {
            sums[p][u].0 += v;
            sums[p][u].1 += 1;
        }
    }
    let mut notes = results.notes.clone();
    if let Some(s) = m.shard {
        notes.push(format!(
            "{} holds shard {}/{} of the sweep only: the points of the other shards are missing (`migflow merge` the shards)",
            dir.display(),
            s.index,
            s.count
        ));
    }
    if m.failed > 0 {
        notes.push(format!(
            "{} of {} runs failed (see failures.csv): each point is averaged over its completed replicates",
            m.failed, m.runs
        ));
    }
    let mut points = Vec::new();
    let mut outcomes = vec![Vec::new(); np];
    let mut unknown = 0;
    for (u, v) in values.into_iter().enumerate() {
        let Some(v) = v else {
            unknown += 1;
            continue;
        };
        points.push((u as u64, v));
        for p in 0..np {
            let (s, n) = sums[p][u];
            outcomes[p].push((n > 0).then(|| s / f64::from(n)));
        }
    }
    if unknown > 0 {
        notes.push(format!(
            "{unknown} of {nu} uncertainty points are not in points.csv (another shard's): left out"
        ));
    }
    Ok((
        Table {
            outcome: outcome.to_string(),
            policies: m.policies.clone(),
            uncertainties,
            points,
            outcomes,
        },
        notes,
    ))
}

/// The message for an unknown outcome: the nearest names and a few valid
/// ones (the `all_` columns first: they are the county's).
fn unknown_outcome(outcome: &str, names: &[String]) -> String {
    let mut near: Vec<(f64, &String)> = names
        .iter()
        .map(|n| (strsim::jaro_winkler(outcome, n), n))
        .filter(|(s, _)| *s > 0.85)
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut few: Vec<&str> = names
        .iter()
        .filter(|n| n.starts_with("all_"))
        .map(String::as_str)
        .collect();
    if few.is_empty() {
        few = names.iter().map(String::as_str).collect();
    }
    few.truncate(4);
    let hint = near
        .first()
        .map_or(String::new(), |(_, n)| format!("did you mean `{n}`? "));
    format!(
        "no outcome column `{outcome}`: {hint}expected one of the {} outcome columns, e.g. {}",
        names.len(),
        few.join(", ")
    )
}

// ------------------------------------------------------------------ output

/// The per-policy table.
pub const ROBUST_CSV: &str = "robust.csv";
/// Its header.
pub const ROBUST_HEADER: [&str; 15] = [
    "policy",
    "points",
    "mean",
    "p05",
    "p25",
    "p50",
    "p75",
    "p95",
    "min",
    "max",
    "regret_mean",
    "regret_p90",
    "regret_max",
    "best_share",
    "satisficing_share",
];
/// The per-point table.
pub const REGRET_CSV: &str = "regret.csv";
/// The manifest of the outputs.
pub const MANIFEST: &str = "manifest.json";

fn csv_string(w: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `robust.csv` as text: one row per policy, columns [`ROBUST_HEADER`]
/// (`satisficing_share` empty without a threshold).
pub fn robust_csv(r: &Robustness) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(ROBUST_HEADER);
    for s in &r.stats {
        let f = |x: f64| format_float(Some(x));
        let mut row = vec![csv_user_text(&s.policy), s.points.to_string(), f(s.mean)];
        row.extend(s.percentiles.iter().map(|&x| f(x)));
        row.extend([
            f(s.min),
            f(s.max),
            f(s.regret_mean),
            f(s.regret_p90),
            f(s.regret_max),
            f(s.best_share),
            format_float(s.satisficing_share),
        ]);
        let _ = w.write_record(row);
    }
    csv_string(w)
}

/// `regret.csv` as text: one row per uncertainty point and policy, in
/// design then policy order: `uncertainty_point`, `point_id` (the sweep's
/// point, `u · P + p`), the uncertainties' values, `policy`, `outcome`,
/// `regret`, `best_policy` (the best at the point; tied ones joined by `+`).
pub fn regret_csv(r: &Robustness) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["uncertainty_point".to_string(), "point_id".to_string()];
    header.extend(r.uncertainties.iter().map(|u| csv_user_text(u)));
    header.extend(["policy", "outcome", "regret", "best_policy"].map(String::from));
    let _ = w.write_record(&header);
    let np = r.policies.len() as u64;
    for row in &r.points {
        let best = best_names(r, row);
        for (p, name) in r.policies.iter().enumerate() {
            let mut cells = vec![
                row.point.to_string(),
                (row.point * np + p as u64).to_string(),
            ];
            cells.extend(row.values.iter().map(|v| csv_user_text(v)));
            cells.extend([
                csv_user_text(name),
                format_float(Some(row.outcomes[p])),
                format_float(Some(row.regrets[p])),
                csv_user_text(&best),
            ]);
            let _ = w.write_record(cells);
        }
    }
    csv_string(w)
}

/// The best policies of a point, tied ones joined by `+`.
pub fn best_names(r: &Robustness, row: &PointRow) -> String {
    row.best
        .iter()
        .map(|&p| r.policies[p].as_str())
        .collect::<Vec<_>>()
        .join("+")
}

/// A number for the terminal: four significant decimals, or scientific
/// notation for very small or large magnitudes.
fn short(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// A plain-text table of the analysis, for the terminal.
pub fn summary(r: &Robustness) -> String {
    let width = r
        .policies
        .iter()
        .map(|p| p.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let better = match r.options.direction {
        Direction::Minimise => "lower is better",
        Direction::Maximise => "higher is better",
    };
    let mut s = format!(
        "{} over {} uncertainty points ({better})\n",
        r.outcome,
        r.points.len()
    );
    let sat = r.options.threshold.is_some();
    s.push_str(&format!(
        "  {:<width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6}{}\n",
        "policy",
        "mean",
        "p50",
        "p95",
        "regret",
        "regret p90",
        "regret max",
        "best",
        if sat { "  satisficing" } else { "" }
    ));
    for st in &r.stats {
        s.push_str(&format!(
            "  {:<width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>5.0}%{}\n",
            st.policy,
            short(st.mean),
            short(st.percentiles[2]),
            short(st.percentiles[4]),
            short(st.regret_mean),
            short(st.regret_p90),
            short(st.regret_max),
            st.best_share * 100.0,
            st.satisficing_share
                .map_or(String::new(), |x| format!("  {:>10.0}%", x * 100.0))
        ));
    }
    s
}

/// What was read, for the manifest of the outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The sweep's results directory, as given.
    pub sweep_dir: PathBuf,
    /// Hex SHA-256 of its `runs.csv`.
    pub runs_sha256: String,
}

/// The manifest of the outputs: the input, the options, the definitions
/// and every file with its SHA-256. It holds no time, so that the same
/// analysis writes the same bytes.
fn manifest_json(r: &Robustness, input: &Input, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(name, bytes)| {
            serde_json::json!({ "name": name, "sha256": migflow_io::sha256_hex(bytes) })
        })
        .collect();
    let value = serde_json::json!({
        "analysis": "robust",
        "migflow_version": env!("CARGO_PKG_VERSION"),
        "git_commit": migflow_io::manifest::git_commit(),
        "sweep_dir": input.sweep_dir.display().to_string(),
        "runs_csv_sha256": input.runs_sha256,
        "outcome": r.outcome,
        "direction": r.options.direction,
        "threshold": r.options.threshold,
        "policies": r.policies,
        "uncertainties": r.uncertainties,
        "points_used": r.points.len(),
        "points_left_out": r.left_out,
        "map_axes": r.map_axes.iter().map(|&j| &r.uncertainties[j]).collect::<Vec<_>>(),
        "percentiles": PERCENTILE_DEFINITION,
        "ties": TIE_RULE,
        "influence": INFLUENCE_RULE,
        "notes": r.notes,
        "files": files,
    });
    let mut text = serde_json::to_vec_pretty(&value).unwrap_or_default();
    text.push(b'\n');
    text
}

/// Write `robust.csv`, `regret.csv`, the drawn `charts` (file name and
/// bytes) and `manifest.json` into `out`, all staged under temporary names
/// and renamed into place together. Returns the paths written.
pub fn write(
    r: &Robustness,
    input: &Input,
    charts: Vec<(String, Vec<u8>)>,
    out: &Path,
) -> migflow_io::Result<Vec<PathBuf>> {
    let mut files = vec![
        (ROBUST_CSV.to_string(), robust_csv(r).into_bytes()),
        (REGRET_CSV.to_string(), regret_csv(r).into_bytes()),
    ];
    files.extend(charts);
    let manifest = manifest_json(r, input, &files);
    files.push((MANIFEST.to_string(), manifest));
    let mut dir = OutputDir::create(out)?;
    for (name, bytes) in &files {
        let (mut w, tmp) = dir.stage(name)?;
        w.write_all(bytes).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        migflow_io::atomic::finish(w, &tmp)?;
    }
    dir.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// 3 policies × 4 points, by hand:
    ///
    /// ```text
    ///        u0   u1   u2   u3
    /// a      1    4    2    3
    /// b      2    2    2    5
    /// c      3    2    1    1
    /// min    1    2    1    1   (u1: b and c tie)
    /// ```
    fn toy() -> Table {
        let v = |x: &str, y: &str| vec![x.to_string(), y.to_string()];
        Table {
            outcome: "y".into(),
            policies: vec!["a".into(), "b".into(), "c".into()],
            uncertainties: vec!["u.x".into(), "u.y".into()],
            points: vec![
                (0, v("0.1", "10")),
                (1, v("0.2", "30")),
                (2, v("0.3", "20")),
                (3, v("0.4", "40")),
            ],
            outcomes: vec![
                vec![Some(1.0), Some(4.0), Some(2.0), Some(3.0)],
                vec![Some(2.0), Some(2.0), Some(2.0), Some(5.0)],
                vec![Some(3.0), Some(2.0), Some(1.0), Some(1.0)],
            ],
        }
    }

    #[test]
    fn robust_quantile_is_type_7() {
        let x = [1.0, 2.0, 3.0, 4.0];
        // h = 3q: q = 0.05 → 0.15 → 1.15; q = 0.25 → 0.75 → 1.75.
        assert!(close(quantile(&x, 0.05), 1.15));
        assert!(close(quantile(&x, 0.25), 1.75));
        assert!(close(quantile(&x, 0.5), 2.5));
        assert!(close(quantile(&x, 0.9), 3.7));
        assert!(close(quantile(&x, 1.0), 4.0));
        assert!(close(quantile(&[7.0], 0.3), 7.0));
        assert!(quantile(&[], 0.5).is_nan());
    }

    #[test]
    fn robust_toy_minimise() {
        let t = toy();
        let r = analyse(
            &t,
            &Options {
                direction: Direction::Minimise,
                threshold: Some(2.0),
            },
        )
        .unwrap();
        // Bests: u0 a (1); u1 b and c tie (2); u2 c (1); u3 c (1).
        let best: Vec<Vec<usize>> = r.points.iter().map(|p| p.best.clone()).collect();
        assert_eq!(best, vec![vec![0], vec![1, 2], vec![2], vec![2]]);
        let [a, b, c] = [&r.stats[0], &r.stats[1], &r.stats[2]];
        // a: 1 4 2 3 → sorted 1 2 3 4.
        assert!(close(a.mean, 2.5));
        assert!(close(a.percentiles[0], 1.15));
        assert!(close(a.percentiles[1], 1.75));
        assert!(close(a.percentiles[2], 2.5));
        assert!(close(a.percentiles[3], 3.25));
        assert!(close(a.percentiles[4], 3.85));
        assert_eq!((a.min, a.max), (1.0, 4.0));
        // Regrets a: 0 2 1 2 → sorted 0 1 2 2: p90 at h = 2.7 → 2.
        assert!(close(a.regret_mean, 1.25));
        assert!(close(a.regret_p90, 2.0));
        assert!(close(a.regret_max, 2.0));
        // b: regrets 1 0 1 4 → sorted 0 1 1 4: p90 at h = 2.7 → 1 + 0.7·3.
        assert!(close(b.regret_mean, 1.5));
        assert!(close(b.regret_p90, 3.1));
        assert!(close(b.regret_max, 4.0));
        // c: regrets 2 0 0 0.
        assert!(close(c.regret_mean, 0.5));
        assert!(close(c.regret_p90, 1.4));
        assert!(close(c.regret_max, 2.0));
        // Best shares: a 1/4; b ½ of u1 → 1/8; c ½ + 1 + 1 → 2.5/4.
        assert!(close(a.best_share, 0.25));
        assert!(close(b.best_share, 0.125));
        assert!(close(c.best_share, 0.625));
        let total: f64 = r.stats.iter().map(|s| s.best_share).sum();
        assert!(close(total, 1.0));
        // Satisficing y ≤ 2: a 1,2 → 2/4; b 2,2,2 → 3/4; c 2,1,1 → 3/4.
        assert_eq!(a.satisficing_share, Some(0.5));
        assert_eq!(b.satisficing_share, Some(0.75));
        assert_eq!(c.satisficing_share, Some(0.75));
        assert!(r.notes.is_empty(), "{:?}", r.notes);
        assert_eq!(r.left_out, 0);
    }

    #[test]
    fn robust_toy_maximise() {
        let r = analyse(
            &toy(),
            &Options {
                direction: Direction::Maximise,
                threshold: Some(3.0),
            },
        )
        .unwrap();
        // Bests: u0 c (3); u1 a (4); u2 a and b tie (2); u3 b (5).
        let best: Vec<Vec<usize>> = r.points.iter().map(|p| p.best.clone()).collect();
        assert_eq!(best, vec![vec![2], vec![0], vec![0, 1], vec![1]]);
        let [a, b, c] = [&r.stats[0], &r.stats[1], &r.stats[2]];
        // a: regrets 2 0 0 2; b: 1 2 0 0; c: 0 2 1 4.
        assert!(close(a.regret_mean, 1.0));
        assert!(close(a.regret_max, 2.0));
        assert!(close(b.regret_mean, 0.75));
        assert!(close(b.regret_p90, 1.7));
        assert!(close(c.regret_mean, 1.75));
        assert!(close(c.regret_p90, 3.4));
        assert!(close(c.regret_max, 4.0));
        assert!(close(a.best_share, 0.375));
        assert!(close(b.best_share, 0.375));
        assert!(close(c.best_share, 0.25));
        // y ≥ 3: a 4,3 → 1/2; b 5 → 1/4; c 3 → 1/4.
        assert_eq!(a.satisficing_share, Some(0.5));
        assert_eq!(b.satisficing_share, Some(0.25));
        assert_eq!(c.satisficing_share, Some(0.25));
    }

    #[test]
    fn robust_missing_point_left_out_for_all() {
        let mut t = toy();
        t.outcomes[1][3] = None;
        let r = analyse(&t, &Options::default()).unwrap();
        assert_eq!(r.left_out, 1);
        assert!(r.stats.iter().all(|s| s.points == 3));
        // a over u0..u2 only: 1 4 2.
        assert!(close(r.stats[0].mean, 7.0 / 3.0));
        assert!(close(r.stats[2].max, 3.0));
        assert!(
            r.notes[0].contains("1 of 4 uncertainty points left out"),
            "{:?}",
            r.notes
        );
        assert!(r.stats[0].satisficing_share.is_none());
    }

    #[test]
    fn robust_unmet_threshold_is_a_note() {
        let r = analyse(
            &toy(),
            &Options {
                direction: Direction::Minimise,
                threshold: Some(0.5),
            },
        )
        .unwrap();
        assert!(r.stats.iter().all(|s| s.satisficing_share == Some(0.0)));
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("no point of any policy meets"))
        );
    }

    #[test]
    fn robust_refuses_bad_tables_and_options() {
        let mut one = toy();
        one.policies.truncate(1);
        one.outcomes.truncate(1);
        let e = analyse(&one, &Options::default()).unwrap_err().to_string();
        assert!(e.contains("1 policy only (a)"), "{e}");
        let e = analyse(
            &toy(),
            &Options {
                threshold: Some(f64::NAN),
                ..Options::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("threshold NaN: expected a finite number"), "{e}");
        let mut empty = toy();
        for o in &mut empty.outcomes[0] {
            *o = None;
        }
        assert!(analyse(&empty, &Options::default()).is_err());
        let mut ragged = toy();
        ragged.outcomes[2].pop();
        assert!(analyse(&ragged, &Options::default()).is_err());
    }

    #[test]
    fn robust_spearman_and_influence() {
        assert!(close(
            spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]).unwrap(),
            1.0
        ));
        assert!(close(
            spearman(&[1.0, 2.0, 3.0], &[9.0, 4.0, 1.0]).unwrap(),
            -1.0
        ));
        // Ties take average ranks: x ranks 1 2 3 4, y ranks 1.5 1.5 3 4.
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[5.0, 5.0, 6.0, 7.0]).unwrap();
        assert!(close(rho, 4.5 / (5.0f64 * 4.5).sqrt()), "{rho}");
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[1.0, 1.0, 1.0]), None);
        // Minimising the toy: a's regret 0 2 1 2 and b's 1 0 1 4 follow u.x
        // (ranks 1 2 3 4) more than u.y (10 30 20 40 → 1 3 2 4).
        let r = analyse(&toy(), &Options::default()).unwrap();
        let rho = |j: usize| r.influence.iter().find(|i| i.uncertainty == j).unwrap().rho;
        // b vs u.x: ranks 2.5 1 2.5 4 against 1 2 3 4.
        let bx = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 0.0, 1.0, 4.0]).unwrap();
        let ax = spearman(&[1.0, 2.0, 3.0, 4.0], &[0.0, 2.0, 1.0, 2.0]).unwrap();
        let cx = spearman(&[1.0, 2.0, 3.0, 4.0], &[2.0, 0.0, 0.0, 0.0]).unwrap();
        let expect_x = [ax, bx, cx].map(f64::abs).into_iter().fold(0.0, f64::max);
        assert!(close(rho(0).unwrap(), expect_x));
        assert_eq!(r.map_axes.len(), 2);
        assert_eq!(r.influence[0].uncertainty, r.map_axes[0]);
        assert!(r.influence[0].rho >= r.influence[1].rho);
    }

    #[test]
    fn robust_csv_columns() {
        let r = analyse(&toy(), &Options::default()).unwrap();
        let text = robust_csv(&r);
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), ROBUST_HEADER.join(","));
        assert_eq!(
            lines.next().unwrap(),
            // 3 + 0.85 · 1 in floating point, written in full.
            "a,4,2.5,1.15,1.75,2.5,3.25,3.8499999999999996,1,4,1.25,2,2,0.25,"
        );
        let regret = regret_csv(&r);
        let rows: Vec<&str> = regret.lines().collect();
        assert_eq!(
            rows[0],
            "uncertainty_point,point_id,u.x,u.y,policy,outcome,regret,best_policy"
        );
        assert_eq!(rows[4], "1,3,0.2,30,a,4,2,b+c");
        assert_eq!(rows.len(), 1 + 4 * 3);
    }
}
