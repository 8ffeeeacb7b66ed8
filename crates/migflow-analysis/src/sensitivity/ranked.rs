//! The rank-based analysis of an `lhs`, `grid` or `table` sweep: which
//! factors enter, the policies' separate samples, and the rows and charts
//! of PRCC, its p-value, SRRC and the rank regression's R².

use std::path::Path;

use migflow_experiments::design;
use migflow_experiments::store::SweepManifest;
use migflow_experiments::sweep::SweepFile;
use migflow_io::error::Result;

use super::analyze::{Analysis, IndexChart, Options, Row, short_labels};
use super::estimators::Estimate;
use super::output::fmt3;
use super::ranks::{RankError, RankResult, check_design, rank_indices};
use super::read::{PointRuns, cell_f64, input, read_point_cells};

/// The factor cell of a rank row that is about the whole regression
/// (`SRRC_R2`), not one factor.
pub const ALL_FACTORS: &str = "(all)";

/// The name of the leading factor column of a sweep with `[[policies]]`.
pub const POLICY_COLUMN: &str = "policy";

/// Below this R² the rank regression explains too little of the output's
/// ranks for its SRRC to be read (a note says so).
pub const SRRC_MIN_R2: f64 = 0.7;

/// The factors of a rank analysis: their columns among the manifest's
/// factors and their values per point.
struct RankFactors {
    /// Index into the manifest's factors.
    columns: Vec<usize>,
    /// Per factor, per point, the value.
    values: Vec<Vec<f64>>,
}

/// The numeric factor columns with more than one value; the others are
/// constants (left out silently) or non-numeric (left out with a note).
/// With an `lhs` design each factor with `min` and `max` must be among
/// them.
fn rank_factors(
    dir: &Path,
    manifest: &SweepManifest,
    sweep: &SweepFile,
    cells: &[Vec<String>],
    notes: &mut Vec<String>,
) -> Result<RankFactors> {
    let mut columns = Vec::new();
    let mut values = Vec::new();
    for (c, path) in manifest.factors.iter().enumerate() {
        if path == POLICY_COLUMN {
            continue;
        }
        let column: Vec<&str> = cells.iter().map(|p| p[c].as_str()).collect();
        let first = column.first().copied().unwrap_or("");
        if column.iter().all(|v| *v == first) {
            continue;
        }
        let numbers: Option<Vec<f64>> = column.iter().map(|v| cell_f64(v)).collect();
        match numbers {
            Some(v) => {
                columns.push(c);
                values.push(v);
            }
            None => {
                let mut levels: Vec<&str> = Vec::new();
                for v in &column {
                    if !levels.contains(v) && levels.len() < 4 {
                        levels.push(v);
                    }
                }
                notes.push(format!(
                    "factor `{path}` is left out: its levels ({}{}) are not numbers, and ranks need an order",
                    levels.join(", "),
                    if levels.len() == 4 { ", …" } else { "" }
                ));
            }
        }
    }
    if manifest.design == "lhs" {
        for i in design::varied_factors(&sweep.factors) {
            let path = &sweep.factors[i].path;
            let Some(c) = manifest.factors.iter().position(|f| f == path) else {
                continue;
            };
            if !columns.contains(&c) {
                return Err(input(
                    &migflow_io::columnar::present_table(dir, "points.csv"),
                    format!(
                        "factor `{path}` (min {} to max {}) takes the single value {} at every point: expected it to vary (an integer key over a range narrower than 1?)",
                        sweep.factors[i].min.unwrap_or(f64::NAN),
                        sweep.factors[i].max.unwrap_or(f64::NAN),
                        cells.first().map_or("", |p| p[c].as_str())
                    ),
                ));
            }
        }
    }
    if columns.is_empty() {
        return Err(input(
            &migflow_io::columnar::present_table(dir, "points.csv"),
            "varies no numeric factor: rank-based indices need at least one factor with more than one numeric value",
        ));
    }
    Ok(RankFactors { columns, values })
}

/// The points of each policy, in order of the policy's first point, or
/// all points as one unnamed group without a `policy` column.
fn policy_groups(
    manifest: &SweepManifest,
    cells: &[Vec<String>],
) -> Vec<(Option<String>, Vec<usize>)> {
    let Some(c) = manifest.factors.iter().position(|f| f == POLICY_COLUMN) else {
        return vec![(None, (0..cells.len()).collect())];
    };
    let mut groups: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    for (p, row) in cells.iter().enumerate() {
        let name = migflow_io::tables::user_text_from_csv(&row[c]).to_string();
        match groups
            .iter_mut()
            .find(|g| g.0.as_deref() == Some(name.as_str()))
        {
            Some(g) => g.1.push(p),
            None => groups.push((Some(name), vec![p])),
        }
    }
    groups
}

/// A file-name-safe form of a policy name for a chart's stem.
fn stem_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A design-level refusal of the factors at `points` (of `group`).
fn refuse_design(
    dir: &Path,
    e: RankError,
    factor_paths: &[String],
    points: usize,
    group: &str,
) -> migflow_io::Error {
    let path = migflow_io::columnar::present_table(dir, "points.csv");
    match e {
        RankError::TooFewPoints { points, factors } => input(
            &path,
            format!(
                "has {points} points{group} for {factors} varied factor(s) ({}): PRCC needs at least factors + 3 = {} points (a Latin hypercube with more points, or a larger grid or table)",
                factor_paths.join(", "),
                factors + 3
            ),
        ),
        RankError::ConstantFactor { factor, value } => input(
            &path,
            format!(
                "factor `{}` takes the single value {value} at all {points} points{group}: expected it to vary",
                factor_paths[factor]
            ),
        ),
        RankError::Collinear { factor } => input(
            &path,
            format!(
                "the design is singular{group}: the ranks of factor `{}` are a linear combination of those of {} (e.g. a table whose columns move together); vary the factors independently",
                factor_paths[factor],
                factor_paths[..factor]
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        RankError::ConstantOutput { value } => {
            input(&path, format!("the output takes the single value {value}"))
        }
    }
}

/// Analyse an `lhs`, `grid` or `table` sweep by ranks (see the module docs
/// of `sensitivity`). `metrics` are resolved, `notes` hold the notes so far.
pub(crate) fn analyze_ranks(
    dir: &Path,
    manifest: &SweepManifest,
    sweep: &SweepFile,
    opts: &Options,
    metrics: Vec<String>,
    mut notes: Vec<String>,
    per_point: impl FnOnce() -> Result<PointRuns>,
) -> Result<Analysis> {
    let cells = read_point_cells(dir, manifest)?;
    let factors = rank_factors(dir, manifest, sweep, &cells, &mut notes)?;
    let factor_paths: Vec<String> = factors
        .columns
        .iter()
        .map(|&c| manifest.factors[c].clone())
        .collect();
    let k = factor_paths.len();
    let groups = policy_groups(manifest, &cells);
    let in_group = |name: &Option<String>| {
        name.as_ref()
            .map_or(String::new(), |n| format!(" of policy `{n}`"))
    };
    for (name, points) in &groups {
        let x: Vec<Vec<f64>> = factors
            .values
            .iter()
            .map(|col| points.iter().map(|&p| col[p]).collect())
            .collect();
        let check = if points.len() < k + 3 {
            Err(RankError::TooFewPoints {
                points: points.len(),
                factors: k,
            })
        } else {
            check_design(&x)
        };
        if let Err(e) = check {
            return Err(refuse_design(
                dir,
                e,
                &factor_paths,
                points.len(),
                &in_group(name),
            ));
        }
    }
    let per_point = per_point()?;
    let labels = short_labels(&factor_paths);
    let when = opts.year.map_or(String::new(), |y| format!(" in {y}"));
    let mut rows = Vec::new();
    let mut charts: Vec<IndexChart> = Vec::new();
    let mut shown_metrics = Vec::new();
    let mut empty_reasons = Vec::new();
    let mut any_value = false;
    for (name, points) in &groups {
        for (m, metric) in metrics.iter().enumerate() {
            let shown = match name {
                Some(n) => format!("{n}:{metric}"),
                None => metric.clone(),
            };
            shown_metrics.push(shown.clone());
            let with_value: Vec<(usize, f64)> = points
                .iter()
                .filter_map(|&p| {
                    per_point[m]
                        .get(&(p as u64))
                        .filter(|v| !v.is_empty())
                        .map(|v| (p, v.iter().sum::<f64>() / v.len() as f64))
                })
                .collect();
            if with_value.len() < points.len() {
                notes.push(format!(
                    "{shown}: {} of {} points have no value (failed runs, or an empty livelihood): analysed the other {}",
                    points.len() - with_value.len(),
                    points.len(),
                    with_value.len()
                ));
            }
            let x: Vec<Vec<f64>> = factors
                .values
                .iter()
                .map(|col| with_value.iter().map(|&(p, _)| col[p]).collect())
                .collect();
            let y: Vec<f64> = with_value.iter().map(|&(_, v)| v).collect();
            let result = rank_indices(&x, &y, opts.bootstrap, manifest.seed);
            let r = match result {
                Ok(r) => Some(r),
                Err(e) => {
                    let why = match e {
                        RankError::ConstantOutput { value } => format!(
                            "{shown}{when} does not vary over the {} points (every value {value}): its rank indices are undefined (left empty)",
                            y.len()
                        ),
                        RankError::TooFewPoints { points, factors } => format!(
                            "{shown}: {points} points with a value, fewer than factors + 3 = {}: no rank indices (left empty)",
                            factors + 3
                        ),
                        RankError::ConstantFactor { factor, value } => format!(
                            "{shown}: at its {} points with a value, factor `{}` takes the single value {value}: no rank indices (left empty)",
                            y.len(),
                            factor_paths[factor]
                        ),
                        RankError::Collinear { factor } => format!(
                            "{shown}: at its {} points with a value the design is singular (factor `{}` is collinear with the ones before it): no rank indices (left empty)",
                            y.len(),
                            factor_paths[factor]
                        ),
                    };
                    notes.push(why.clone());
                    empty_reasons.push(why);
                    None
                }
            };
            let none = Estimate::default();
            let mut push = |factor: &str, index: &'static str, estimate: Estimate| {
                any_value |= estimate.value.is_some();
                rows.push(Row {
                    metric: shown.clone(),
                    factor: factor.to_string(),
                    index,
                    estimate,
                });
            };
            for (j, path) in factor_paths.iter().enumerate() {
                let get =
                    |f: fn(&RankResult, usize) -> Estimate| r.as_ref().map_or(none, |r| f(r, j));
                push(path, "PRCC", get(|r, j| r.prcc[j]));
                push(
                    path,
                    "PRCC_p",
                    get(|r, j| Estimate {
                        value: r.prcc_p[j],
                        ci95: None,
                    }),
                );
                push(path, "SRRC", get(|r, j| r.srrc[j]));
            }
            push(ALL_FACTORS, "SRRC_R2", r.as_ref().map_or(none, |r| r.r2));
            let Some(r) = r else { continue };
            let r2 = r.r2.value.unwrap_or(f64::NAN);
            if r2 < SRRC_MIN_R2 {
                notes.push(format!(
                    "{shown}{when}: the rank regression explains R² = {} of the output's ranks, below {SRRC_MIN_R2}: the relation is not monotone and additive, so read PRCC with care and do not read SRRC as shares",
                    fmt3(r2)
                ));
            }
            if r.prcc.iter().any(|e| e.value.is_none()) {
                notes.push(format!(
                    "{shown}: the output's ranks are an exact linear function of the factors' ranks: the PRCC of a factor whose partial residual vanishes is undefined (left empty)"
                ));
            }
            let bars = (0..k)
                .flat_map(|j| {
                    [("PRCC", r.prcc[j]), ("SRRC", r.srrc[j])].map(|(ix, e)| {
                        (
                            format!("{} {ix}", labels[j]),
                            e.value.unwrap_or(f64::NAN),
                            e.ci95,
                        )
                    })
                })
                .collect();
            let mut stem = match name {
                Some(n) => format!("sensitivity_{}_{metric}", stem_part(n)),
                None => format!("sensitivity_{metric}"),
            };
            if charts.iter().any(|c| c.stem == stem) {
                stem = format!("{stem}_{}", charts.len());
            }
            charts.push(IndexChart {
                stem,
                title: format!(
                    "PRCC and SRRC of {shown}{when} (rank regression R² = {})",
                    fmt3(r2)
                ),
                x_label: "factor".to_string(),
                y_label: "rank coefficient (−1 to 1), 95% CI".to_string(),
                bars,
            });
        }
    }
    if !any_value {
        return Err(input(
            dir,
            format!(
                "no metric has a single index: {}",
                if empty_reasons.is_empty() {
                    "every point lacks a value".to_string()
                } else {
                    empty_reasons.join("; ")
                }
            ),
        ));
    }
    Ok(Analysis {
        design: manifest.design.clone(),
        factors: factor_paths,
        metrics: shown_metrics,
        year: opts.year,
        rows,
        charts,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use migflow_io::manifest::{FileEntry, RunStatus, sha256_hex};

    /// Write a hand-made finished sweep of two policies (`up`, `down`) at
    /// each of 10 uncertainty points, the policy first among the factor
    /// columns and the points interleaved (`u · 2 + p`), as a sweep of
    /// `[[policies]]` writes them. Under `up` the output rises with
    /// `decision.beta_net`, under `down` it falls.
    fn policy_fixture(dir: &Path) {
        let x1 = [3.0, 7.0, 1.0, 9.0, 5.0, 2.0, 10.0, 4.0, 8.0, 6.0];
        let x2 = [0.6, 0.2, 0.9, 0.4, 0.1, 0.8, 0.3, 0.7, 0.5, 1.0];
        let mut points = String::from("point_id,policy,decision.beta_net,decision.kappa\n");
        let mut runs = String::from(
            "run_id,point_id,replicate,seed,status,policy,decision.beta_net,decision.kappa,all_mean_poor_share\n",
        );
        for u in 0..10 {
            for (p, name) in ["up", "down"].iter().enumerate() {
                let id = u * 2 + p;
                let sign = if p == 0 { 1.0 } else { -1.0 };
                let y = sign * x1[u] + 2.0 * x2[u];
                points.push_str(&format!("{id},{name},{},{}\n", x1[u], x2[u]));
                runs.push_str(&format!(
                    "{id},{id},0,3,ok,{name},{},{},{y}\n",
                    x1[u], x2[u]
                ));
            }
        }
        std::fs::write(dir.join("points.csv"), &points).expect("write");
        std::fs::write(dir.join("runs.csv"), &runs).expect("write");
        let manifest = SweepManifest {
            migflow_version: "0".into(),
            git_commit: None,
            sweep_toml: "seed = 3\n[design]\nkind = \"lhs\"\npoints = 10\n\
                [[uncertainties]]\npath = \"decision.beta_net\"\nmin = 1.0\nmax = 10.0\n\
                [[uncertainties]]\npath = \"decision.kappa\"\nmin = 0.1\nmax = 1.0\n\
                [[policies]]\nname = \"up\"\n[[policies]]\nname = \"down\"\n"
                .into(),
            sweep_sha256: String::new(),
            base_scenario_toml: String::new(),
            design: "lhs".into(),
            seed: 3,
            replicates: 1,
            factors: vec![
                POLICY_COLUMN.into(),
                "decision.beta_net".into(),
                "decision.kappa".into(),
            ],
            policies: vec!["up".into(), "down".into()],
            points: 20,
            runs: 20,
            shard: None,
            completed: 20,
            failed: 0,
            run_status: (0..20).map(|r| (r, RunStatus::Ok)).collect(),
            files: [("points.csv", &points), ("runs.csv", &runs)]
                .map(|(name, text)| FileEntry {
                    name: name.into(),
                    sha256: sha256_hex(text.as_bytes()),
                })
                .to_vec(),
        };
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).expect("json"),
        )
        .expect("write");
    }

    #[test]
    fn a_sweep_of_policies_is_analysed_policy_by_policy_with_prefixed_metrics() {
        let tmp = tempfile::tempdir().expect("tmp");
        policy_fixture(tmp.path());
        let opts = Options {
            metrics: vec!["all_mean_poor_share".into()],
            year: None,
            bootstrap: 50,
        };
        let a = crate::sensitivity::analyze(tmp.path(), &opts).expect("analysis");
        // The policy is not a factor; each policy's points are a sample.
        assert_eq!(a.factors, ["decision.beta_net", "decision.kappa"]);
        assert_eq!(
            a.metrics,
            ["up:all_mean_poor_share", "down:all_mean_poor_share"]
        );
        let prcc = |metric: &str| {
            a.rows
                .iter()
                .find(|r| {
                    r.metric == metric && r.factor == "decision.beta_net" && r.index == "PRCC"
                })
                .and_then(|r| r.estimate.value)
                .expect("a PRCC")
        };
        // Pooled, the two policies would cancel to about 0.
        assert!(prcc("up:all_mean_poor_share") > 0.9);
        assert!(prcc("down:all_mean_poor_share") < -0.9);
        let stems: Vec<&str> = a.charts.iter().map(|c| c.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "sensitivity_up_all_mean_poor_share",
                "sensitivity_down_all_mean_poor_share"
            ]
        );
    }

    #[test]
    fn policy_names_make_safe_chart_stems() {
        assert_eq!(stem_part("work shops/2"), "work_shops_2");
        assert_eq!(stem_part("a-b_c"), "a-b_c");
    }
}
