//! What a calibration found: the posterior summary of each parameter, the
//! run at the posterior mean and `fit.csv`'s rows, and the best-fit
//! scenario (`best_fit.toml`).

use super::plan::CalibrationPlan;
use super::smc::{Method, Population};
use super::store::SampleRow;
use migflow_core::engine::run_replicate;
use migflow_core::params::{self, Params, Scenario};
use migflow_core::record::YearRecord;
use migflow_io::error::{Error, Result};
use migflow_io::format_float;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// A target whose closest accepted sample is farther than this many sd
/// gets a warning.
pub const UNREACHABLE_SD: f64 = 3.0;

/// A parameter's prior and posterior, in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParameterSummary {
    /// Dotted path.
    pub path: String,
    /// Prior lower end.
    pub prior_min: f64,
    /// Prior upper end.
    pub prior_max: f64,
    /// Weighted posterior mean (the value in `best_fit.toml`).
    pub mean: f64,
    /// Weighted posterior sd.
    pub sd: f64,
    /// 2.5% weighted quantile.
    pub q025: f64,
    /// 97.5% weighted quantile.
    pub q975: f64,
    /// The value of the closest sample.
    pub closest: f64,
}

/// One row of `fit.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRow {
    /// `metric livelihood year`, or `all_targets`.
    pub label: String,
    /// Metric name (`all_targets` on the summary row).
    pub metric: String,
    /// Calendar year (none on the summary row).
    pub year: Option<i32>,
    /// Livelihood.
    pub livelihood: String,
    /// Observed value.
    pub observed: Option<f64>,
    /// Its sd.
    pub sd: Option<f64>,
    /// Its weight.
    pub weight: Option<f64>,
    /// Mean over the fit replicates at the posterior mean.
    pub simulated_mean: Option<f64>,
    /// 95% CI of that mean (Student t).
    pub ci95_low: Option<f64>,
    /// Upper end.
    pub ci95_high: Option<f64>,
    /// simulated − observed.
    pub error: Option<f64>,
    /// error / sd.
    pub z: Option<f64>,
    /// Root mean square error over the fit replicates (the summary row: RMS
    /// of the z-scores).
    pub rmse: Option<f64>,
    /// |error| / |observed| (the summary row: their mean, ARD).
    pub relative_difference: Option<f64>,
    /// |error| over the naive predictor's MAE (the summary row: the mean).
    pub mase: Option<f64>,
    /// Why this target may be impossible to fit.
    pub warning: String,
}

/// `fit.csv`'s header.
pub const FIT_HEADER: [&str; 15] = [
    "metric",
    "year",
    "livelihood",
    "observed",
    "sd",
    "weight",
    "simulated_mean",
    "ci95_low",
    "ci95_high",
    "error",
    "z",
    "rmse",
    "relative_difference",
    "mase",
    "warning",
];

/// Each parameter's prior and posterior: the posterior's weighted mean
/// (rounded as the key takes it), sd and 95% interval, and the value of
/// the closest particle. `post_rows` are the posterior generation's
/// samples.
pub(crate) fn parameter_summaries(
    plan: &CalibrationPlan,
    posterior: &Population,
    post_rows: &[SampleRow],
) -> Vec<ParameterSummary> {
    let best = posterior
        .members
        .iter()
        .copied()
        .min_by(|&a, &b| {
            post_rows[a]
                .distance
                .total_cmp(&post_rows[b].distance)
                .then(a.cmp(&b))
        })
        .unwrap_or(0);
    let prior = plan.prior_box();
    plan.calib
        .parameters
        .iter()
        .zip(&prior.ranges)
        .enumerate()
        .map(|(p, (par, range))| {
            let (mean, var) = posterior.moments(p);
            ParameterSummary {
                path: par.path.clone(),
                prior_min: par.min,
                prior_max: par.max,
                mean: range.round(mean),
                sd: var.sqrt(),
                q025: posterior.quantile(p, 0.025),
                q975: posterior.quantile(p, 0.975),
                closest: post_rows[best].params[p],
            }
        })
        .collect()
}

/// `scenario` with the posterior means of `parameters`.
fn at_posterior_mean(
    plan: &CalibrationPlan,
    scenario: &Scenario,
    parameters: &[ParameterSummary],
) -> Result<Params> {
    let theta: Vec<f64> = parameters.iter().map(|p| p.mean).collect();
    plan.with_theta(scenario, &theta)
        .map_err(|message| Error::Input {
            path: plan.file.clone(),
            message: format!("the posterior mean gives an invalid scenario: {message}"),
        })
}

/// `fit.csv`'s rows: the file's `fit_replicates` runs at the posterior mean
/// (in `pool`), compared with each target.
pub(crate) fn fit(
    plan: &CalibrationPlan,
    pool: &rayon::ThreadPool,
    parameters: &[ParameterSummary],
    posterior: &Population,
    all_rows: &[Vec<SampleRow>],
) -> Result<Vec<FitRow>> {
    let loaded = at_posterior_mean(plan, &plan.sim_base, parameters)?;
    let seed = plan.calib.seed;
    let runs: Vec<Vec<YearRecord>> = pool.install(|| {
        (0..plan.calib.fit_replicates)
            .into_par_iter()
            .map(|r| {
                let households = plan.source.households_for(&loaded, seed, r);
                run_replicate(&loaded, households, seed, r, |_, _| {})
            })
            .collect()
    });
    let post_rows = &all_rows[posterior.generation as usize];
    Ok(fit_rows(plan, &runs, posterior, post_rows, all_rows))
}

/// The bytes of `fit.csv`.
pub(crate) fn fit_csv(fit: &[FitRow]) -> Vec<u8> {
    let mut bytes = migflow_experiments::store::csv_line(&FIT_HEADER);
    for f in fit {
        bytes.extend(migflow_experiments::store::csv_line(&[
            f.metric.clone(),
            f.year.map(|y| y.to_string()).unwrap_or_default(),
            f.livelihood.clone(),
            format_float(f.observed),
            format_float(f.sd),
            format_float(f.weight),
            format_float(f.simulated_mean),
            format_float(f.ci95_low),
            format_float(f.ci95_high),
            format_float(f.error),
            format_float(f.z),
            format_float(f.rmse),
            format_float(f.relative_difference),
            format_float(f.mase),
            f.warning.clone(),
        ]));
    }
    bytes
}

/// `best_fit.toml`: the full base scenario with the posterior mean, after
/// a comment on where it came from.
pub(crate) fn best_fit_toml(
    plan: &CalibrationPlan,
    method: Method,
    parameters: &[ParameterSummary],
) -> Result<String> {
    let mut best = at_posterior_mean(plan, plan.base.scenario(), parameters)?.to_scenario();
    if let Some(p) = plan.base.population_file() {
        let abs = std::fs::canonicalize(&p).unwrap_or(p);
        best.population.file = Some(abs.display().to_string());
    }
    let mut text = format!(
        "# The best fit of {} (migflow calibrate, method {}, seed {}):\n# the base scenario ({}) with the posterior mean of\n",
        plan.file.display(),
        method.name(),
        plan.calib.seed,
        plan.base
            .source()
            .map_or("built-in default".to_string(), |p| p.display().to_string()),
    );
    for p in parameters {
        text.push_str(&format!(
            "#   {} = {} (posterior sd {}, 95% interval {} to {}; prior {} to {})\n",
            p.path,
            p.mean,
            sig(p.sd),
            sig(p.q025),
            sig(p.q975),
            p.prior_min,
            p.prior_max
        ));
    }
    text.push_str("# Run it with: migflow run best_fit.toml\n\n");
    text.push_str(&params::to_toml(&best)?);
    Ok(text)
}

/// Four significant digits, for comments.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// `fit.csv`'s rows from the fit `runs`: per target the simulated mean and
/// its CI, the errors and the warnings (how close the posterior's and all
/// samples came), then the `all_targets` summary row.
fn fit_rows(
    plan: &CalibrationPlan,
    runs: &[Vec<YearRecord>],
    posterior: &Population,
    post_rows: &[SampleRow],
    all_rows: &[Vec<SampleRow>],
) -> Vec<FitRow> {
    // The naive predictor's MAE per metric: predict the mean of the
    // metric's observed targets.
    let naive_mae = |metric: &str| -> Option<f64> {
        let obs: Vec<f64> = plan
            .targets
            .iter()
            .filter(|t| t.target.metric == metric)
            .map(|t| t.target.value)
            .collect();
        if obs.len() < 2 {
            return None;
        }
        let mean = obs.iter().sum::<f64>() / obs.len() as f64;
        let mae = obs.iter().map(|o| (o - mean).abs()).sum::<f64>() / obs.len() as f64;
        (mae > 0.0).then_some(mae)
    };
    let mut rows = Vec::new();
    for (i, t) in plan.targets.iter().enumerate() {
        let obs = t.target.value;
        let values: Vec<f64> = runs.iter().filter_map(|r| t.value_in(r)).collect();
        let (mean, _, lo, hi, _) = migflow_core::stats::summarize(&values);
        let error = mean.map(|m| m - obs);
        let rmse = (!values.is_empty()).then(|| {
            (values.iter().map(|v| (v - obs).powi(2)).sum::<f64>() / values.len() as f64).sqrt()
        });
        // How close the accepted samples and all samples came, in sd.
        let z_of = |r: &SampleRow| r.sims[i].map(|s| ((s - obs) / t.target.sd).abs());
        let best_accepted = posterior
            .members
            .iter()
            .filter_map(|&m| z_of(&post_rows[m]))
            .fold(f64::INFINITY, f64::min);
        let best_any = all_rows
            .iter()
            .flatten()
            .filter_map(z_of)
            .fold(f64::INFINITY, f64::min);
        let mut warnings: Vec<String> = t.range_warning.iter().cloned().collect();
        if best_accepted > UNREACHABLE_SD {
            let mut w = format!(
                "no accepted sample comes within {UNREACHABLE_SD} sd of the observed value (the closest is {} sd away)",
                sig(best_accepted)
            );
            if best_any <= UNREACHABLE_SD {
                w.push_str(&format!(
                    "; some prior draws do (closest {} sd), but not together with the other targets",
                    sig(best_any)
                ));
            } else if t.range_warning.is_none() {
                w.push_str(&format!(
                    "; no sample at all does (closest {} sd): the model cannot reach it with these parameters and priors",
                    sig(best_any)
                ));
            }
            warnings.push(w);
        }
        rows.push(FitRow {
            label: t.label(),
            metric: t.target.metric.clone(),
            year: Some(t.target.year),
            livelihood: t.target.livelihood.clone(),
            observed: Some(obs),
            sd: Some(t.target.sd),
            weight: Some(t.target.weight),
            simulated_mean: mean,
            ci95_low: lo,
            ci95_high: hi,
            error,
            z: error.map(|e| e / t.target.sd),
            rmse,
            relative_difference: error.filter(|_| obs != 0.0).map(|e| e.abs() / obs.abs()),
            mase: error.and_then(|e| naive_mae(&t.target.metric).map(|d| e.abs() / d)),
            warning: warnings.join("; "),
        });
    }
    let mean_of = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    let zs: Vec<f64> = rows.iter().filter_map(|r| r.z).collect();
    let summary = FitRow {
        label: "all_targets".into(),
        metric: "all_targets".into(),
        year: None,
        livelihood: String::new(),
        observed: None,
        sd: None,
        weight: None,
        simulated_mean: None,
        ci95_low: None,
        ci95_high: None,
        error: None,
        z: None,
        rmse: mean_of(zs.iter().map(|z| z * z).collect()).map(f64::sqrt),
        relative_difference: mean_of(rows.iter().filter_map(|r| r.relative_difference).collect()),
        mase: mean_of(rows.iter().filter_map(|r| r.mase).collect()),
        warning: String::new(),
    };
    rows.push(summary);
    rows
}
