//! The analysis of a sweep directory: what to analyse ([`Options`]), and
//! [`analyze`], which reads the sweep, runs the estimators per metric and
//! assembles the rows of `sensitivity.csv` and the charts' data.

use std::path::Path;

use migflow_core::record::{GROUPS, group_name};
use migflow_experiments::design;
use migflow_experiments::store::{SweepManifest, read_sweep_manifest};

use super::ranked::analyze_ranks;
use migflow_experiments::sweep::SweepFile;
use migflow_io::error::Result;

use super::estimators::{Estimate, morris_effects, morris_indices, sobol_blocks, sobol_indices};
use super::output::fmt3;
use super::read::{input, read_points, read_runs, read_trajectories};

/// Bootstrap resamples unless told otherwise.
pub const DEFAULT_BOOTSTRAP: usize = 500;
/// Most bootstrap resamples accepted.
pub const MAX_BOOTSTRAP: usize = 100_000;
/// The outcomes analysed by default, for each livelihood and `all`.
pub const DEFAULT_OUTCOMES: [&str; 2] = ["mean_poor_share", "cum_returned"];

/// The default metrics: `<livelihood>_mean_poor_share` and
/// `<livelihood>_cum_returned` for the five livelihoods and `all`.
pub fn default_metrics() -> Vec<String> {
    (0..GROUPS)
        .flat_map(|g| {
            DEFAULT_OUTCOMES
                .iter()
                .map(move |o| format!("{}_{o}", group_name(g)))
        })
        .collect()
}

/// What to analyse.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Output metrics (empty: [`default_metrics`]).
    pub metrics: Vec<String>,
    /// Take the metrics at this calendar year from `trajectories.csv`
    /// instead of the whole-run outcomes of `runs.csv`.
    pub year: Option<i32>,
    /// Bootstrap resamples (0: no intervals).
    pub bootstrap: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            metrics: Vec::new(),
            year: None,
            bootstrap: DEFAULT_BOOTSTRAP,
        }
    }
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The output metric.
    pub metric: String,
    /// The factor's path.
    pub factor: String,
    /// `S1`, `ST`, `mu_star`, `mu` or `sigma`.
    pub index: &'static str,
    /// The estimate and its interval.
    pub estimate: Estimate,
}

/// The result of [`analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// `sobol` or `morris`.
    pub design: String,
    /// The varied factors' paths.
    pub factors: Vec<String>,
    /// The metrics analysed.
    pub metrics: Vec<String>,
    /// The year, when the metrics were taken at one.
    pub year: Option<i32>,
    /// The rows of `sensitivity.csv`, metric by metric, factor by factor.
    pub rows: Vec<Row>,
    /// One chart per metric that has a value: (file stem, chart).
    pub charts: Vec<IndexChart>,
    /// What was skipped or is undefined, and why.
    pub notes: Vec<String>,
}

/// The data of one index chart (bars per factor with their intervals); the
/// report crate draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexChart {
    /// File stem of the chart.
    pub stem: String,
    /// Title.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// (factor, index, optional 95 % interval) per bar.
    #[allow(clippy::type_complexity)]
    pub bars: Vec<(String, f64, Option<(f64, f64)>)>,
}

/// A short label for each factor: the last part of its path, or the whole
/// path where two last parts are the same.
pub(crate) fn short_labels(paths: &[String]) -> Vec<String> {
    let last = |p: &str| p.rsplit('.').next().unwrap_or(p).to_string();
    paths
        .iter()
        .map(|p| {
            let l = last(p);
            if paths.iter().filter(|q| last(q) == l).count() > 1 {
                p.clone()
            } else {
                l
            }
        })
        .collect()
}

/// A bar of an [`IndexChart`]: name, value, interval.
type Bar = (String, f64, Option<(f64, f64)>);

/// The metrics asked for, each once, or [`default_metrics`].
fn resolve_metrics(opts: &Options) -> Vec<String> {
    if opts.metrics.is_empty() {
        default_metrics()
    } else {
        let mut m: Vec<String> = Vec::new();
        for x in &opts.metrics {
            if !m.contains(x) {
                m.push(x.clone());
            }
        }
        m
    }
}

/// The notes on a shard or failed runs, or an error for a manifest beyond
/// a sweep's limits.
fn run_notes(dir: &Path, manifest: &SweepManifest) -> Result<Vec<String>> {
    let manifest_path = dir.join("manifest.json");
    let mut notes = Vec::new();
    if let Some(shard) = manifest.shard {
        notes.push(format!(
            "{} holds shard {}/{} of the sweep only: merge the shards (`migflow merge`) for the whole design; the points of other shards count as missing",
            dir.display(),
            shard.index,
            shard.count
        ));
    }
    if manifest.failed > 0 {
        notes.push(format!(
            "{} of {} runs failed (see failures.csv): each point is averaged over its completed replicates, and a point with none is missing",
            manifest.failed, manifest.runs
        ));
    }
    if manifest.points > migflow_experiments::design::MAX_POINTS as u64
        || manifest.runs > migflow_experiments::sweep::MAX_RUNS
    {
        return Err(input(
            &manifest_path,
            format!(
                "records {} points and {} runs: expected at most {} points and {} runs",
                manifest.points,
                manifest.runs,
                migflow_experiments::design::MAX_POINTS,
                migflow_experiments::sweep::MAX_RUNS
            ),
        ));
    }
    Ok(notes)
}

/// Analyse a finished sweep directory: `sobol` and `morris` by their own
/// estimators, `lhs`, `grid` and `table` by ranks (PRCC, SRRC).
pub fn analyze(dir: &Path, opts: &Options) -> Result<Analysis> {
    let manifest = read_sweep_manifest(dir)?;
    for name in ["runs.csv", "points.csv", "trajectories.csv"] {
        migflow_io::manifest::table_file(dir, &manifest.files, name)?;
    }
    let manifest_path = dir.join("manifest.json");
    // None: a sample analysed by ranks (lhs, grid, table).
    let sobol = match manifest.design.as_str() {
        "sobol" => Some(true),
        "morris" => Some(false),
        "lhs" | "grid" | "table" => None,
        other => {
            return Err(input(
                dir,
                format!(
                    "holds a `{other}` sweep: sensitivity needs a `sobol`, `morris`, `lhs`, `grid` or `table` sweep"
                ),
            ));
        }
    };
    if opts.bootstrap > MAX_BOOTSTRAP {
        return Err(input(
            dir,
            format!(
                "--bootstrap {}: expected at most {MAX_BOOTSTRAP}",
                opts.bootstrap
            ),
        ));
    }
    let sweep: SweepFile = toml::from_str(&manifest.sweep_toml).map_err(|e| {
        input(
            &manifest_path,
            format!("its `sweep_toml` is not a sweep: {e}"),
        )
    })?;
    let Some(sobol) = sobol else {
        let metrics = resolve_metrics(opts);
        let notes = run_notes(dir, &manifest)?;
        let factors = manifest.factors.len();
        return analyze_ranks(
            dir,
            &manifest,
            &sweep,
            opts,
            metrics.clone(),
            notes,
            || match opts.year {
                None => read_runs(dir, &metrics, factors),
                Some(y) => read_trajectories(dir, &metrics, factors, y),
            },
        );
    };
    // A sweep refuses `[[policies]]` with Saltelli's and Morris's schemes;
    // a directory whose resolved sweep holds both anyway (not written by
    // this migflow) would repeat every role once per policy, which the
    // estimators would mix.
    if !sweep.policies.is_empty() {
        return Err(input(
            &manifest_path,
            format!(
                "records a `{}` sweep of {} `[[policies]]`: Sobol and Morris indices are of one scenario's design (run the sweep once per policy, without `[[policies]]`)",
                manifest.design,
                sweep.policies.len()
            ),
        ));
    }
    let varied = design::varied_factors(&sweep.factors);
    let k = varied.len();
    let factor_paths: Vec<String> = varied
        .iter()
        .map(|&i| sweep.factors[i].path.clone())
        .collect();
    if k == 0 {
        return Err(input(&manifest_path, "the sweep varies no factor"));
    }
    let metrics = resolve_metrics(opts);
    let mut notes = run_notes(dir, &manifest)?;
    let points = read_points(dir, &manifest, &sweep.factors, sobol)?;
    let per_point = match opts.year {
        None => read_runs(dir, &metrics, manifest.factors.len())?,
        Some(y) => read_trajectories(dir, &metrics, manifest.factors.len(), y)?,
    };
    // Morris: unit coordinates from the values actually run.
    let unit: Vec<Vec<f64>> = points
        .values
        .iter()
        .map(|v| {
            v.iter()
                .zip(&varied)
                .map(|(x, &i)| {
                    let f = &sweep.factors[i];
                    let (lo, hi) = (f.min.unwrap_or(0.0), f.max.unwrap_or(1.0));
                    (x - lo) / (hi - lo)
                })
                .collect()
        })
        .collect();
    let labels = short_labels(&factor_paths);
    let when = opts.year.map_or(String::new(), |y| format!(" in {y}"));
    let mut rows = Vec::new();
    let mut charts = Vec::new();
    let mut any_value = false;
    for (m, metric) in metrics.iter().enumerate() {
        let y: Vec<Option<f64>> = (0..manifest.points)
            .map(|p| {
                per_point[m]
                    .get(&p)
                    .filter(|v| !v.is_empty())
                    .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            })
            .collect();
        let mut push = |f: usize, index: &'static str, estimate: Estimate| {
            any_value |= estimate.value.is_some();
            rows.push(Row {
                metric: metric.clone(),
                factor: factor_paths[f].clone(),
                index,
                estimate,
            });
        };
        let bars: Vec<Bar>;
        let (title, y_label);
        if sobol {
            let (blocks, skipped) = sobol_blocks(&points.roles, &y, k);
            if !skipped.is_empty() {
                notes.push(format!(
                    "{metric}: skipped {} of {} base points (a Saltelli block needs all k + 2 = {} points with a value; missing points come from failed runs or an empty livelihood)",
                    skipped.len(),
                    skipped.len() + blocks.len(),
                    k + 2
                ));
            }
            let r = sobol_indices(&blocks, k, opts.bootstrap, manifest.seed);
            if r.s1.iter().all(|e| e.value.is_none()) {
                notes.push(if blocks.len() < 2 {
                    format!("{metric}: fewer than 2 complete base points: no indices")
                } else {
                    format!("{metric}: does not vary over the design: its indices are undefined (left empty)")
                });
            }
            for j in 0..k {
                push(j, "S1", r.s1[j]);
                push(j, "ST", r.st[j]);
            }
            bars = (0..k)
                .flat_map(|j| {
                    [("S1", r.s1[j]), ("ST", r.st[j])].map(|(ix, e)| {
                        (
                            format!("{} {ix}", labels[j]),
                            e.value.unwrap_or(f64::NAN),
                            e.ci95,
                        )
                    })
                })
                .collect();
            title = format!("Sobol indices of {metric}{when}");
            y_label = "share of output variance (S1 first order, ST total)".to_string();
        } else {
            let (effects, missing) = morris_effects(&points.roles, &unit, &y, k);
            if missing > 0 {
                notes.push(format!(
                    "{metric}: {missing} of {} elementary effects missing (a point without a value, or an integer factor that did not move)",
                    effects.len() * k
                ));
            }
            let r = morris_indices(&effects, k, opts.bootstrap, manifest.seed);
            if r.mu_star.iter().all(|e| e.value.is_none()) {
                notes.push(format!("{metric}: no elementary effect: no measures"));
            }
            for j in 0..k {
                push(j, "mu_star", r.mu_star[j]);
                push(j, "mu", r.mu[j]);
                push(j, "sigma", r.sigma[j]);
            }
            bars = (0..k)
                .map(|j| {
                    let sigma = r.sigma[j].value.map_or("–".to_string(), fmt3);
                    (
                        format!("{} (σ {sigma})", labels[j]),
                        r.mu_star[j].value.unwrap_or(f64::NAN),
                        r.mu_star[j].ci95,
                    )
                })
                .collect();
            title = format!("Morris μ* of {metric}{when}");
            y_label = format!("μ* (change of {metric} per full factor range)");
        }
        if bars.iter().any(|b| b.1.is_finite()) {
            charts.push(IndexChart {
                stem: format!("sensitivity_{metric}"),
                title,
                x_label: "factor".to_string(),
                y_label,
                bars,
            });
        }
    }
    if !any_value {
        return Err(input(
            dir,
            "no metric has a single index: every point lacks a value (all runs failed, or the metrics are of empty livelihoods)",
        ));
    }
    Ok(Analysis {
        design: manifest.design.clone(),
        factors: factor_paths,
        metrics,
        year: opts.year,
        rows,
        charts,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_labels_keep_the_path_where_last_parts_clash() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            short_labels(&p(&["a.b.share", "c.d.share", "e.kappa"])),
            p(&["a.b.share", "c.d.share", "kappa"])
        );
    }
}
