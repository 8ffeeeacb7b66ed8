//! The calibration file, its parameters and targets (and the targets CSV),
//! their checks, and the loaded plan.

use super::prior::{PriorBox, PriorRange};
use migflow_core::params::path::{self, KeyKind};
use migflow_core::params::{self, Params, Scenario, validate::readable};
use migflow_core::record::{ALL_GROUP, GROUPS, YearRecord, group_name};
use migflow_core::run::PopulationSource;
use migflow_experiments::sweep::{PointError, assign, run_key_reason};
use migflow_io::error::{Error, Problem, Result};
use migflow_io::{self, SUMMARY_METRICS};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The metrics a target may name besides the columns of `trajectories.csv`.
pub const EXTRA_METRICS: [&str; 2] = ["employment_rate", "share"];

/// The smallest `sd` of a target: far below the uncertainty of any
/// observed value, and large enough that a target's term of the distance,
/// ((simulated − observed) / sd)², stays finite for any difference up to
/// 1e140 (a subnormal sd would make every distance infinite).
pub const MIN_SD: f64 = 1e-12;

/// Why a run key cannot be a calibrated parameter: the sweep's reasons
/// ([`run_key_reason`]), and `run.years`, which samples do not simulate.
fn calibration_run_key_reason(path: &str) -> Option<&'static str> {
    match path {
        "run.years" => Some(
            "samples simulate only to the last target year, so the run's length cannot change what the targets see (and best_fit.toml would silently shorten the run)",
        ),
        _ => run_key_reason(path),
    }
}

/// The largest targets file read: far above any real one, it keeps a wrong
/// path from filling memory.
pub const MAX_TARGETS_BYTES: u64 = 64 << 20;

fn default_base() -> String {
    "default".to_string()
}
fn default_seed() -> u64 {
    1
}
fn default_replicates() -> u32 {
    2
}
fn default_fit_replicates() -> u32 {
    10
}
fn default_livelihood() -> String {
    "all".to_string()
}
fn default_weight() -> f64 {
    1.0
}

/// A calibration file (`CALIB.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationFile {
    /// The base scenario: a path (relative to the calibration file) or
    /// `default`.
    #[serde(default = "default_base")]
    pub base: String,
    /// Master seed of the draws and of every simulation.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Replicates per parameter set (their mean is compared with the targets).
    #[serde(default = "default_replicates")]
    pub replicates: u32,
    /// Replicates of the run at the posterior mean that `fit.csv` reports.
    #[serde(default = "default_fit_replicates")]
    pub fit_replicates: u32,
    /// A CSV file of more targets (columns `metric, year, livelihood, value,
    /// weight, sd`), relative to the calibration file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets_file: Option<String>,
    /// The free parameters and their uniform priors.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The observed targets.
    #[serde(default)]
    pub targets: Vec<Target>,
}

/// A free parameter with a uniform prior on `[min, max]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Dotted path of the scenario key.
    pub path: String,
    /// Lower end of the prior.
    pub min: f64,
    /// Upper end of the prior.
    pub max: f64,
}

/// An observed value of an output metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// A column of `trajectories.csv` (`mean_income_pc`, `poor_share`, …),
    /// `employment_rate` (1 − none.with_labor / all.with_labor, livelihood
    /// `all`), or `share` (the livelihood's share of all households).
    pub metric: String,
    /// Calendar year.
    pub year: i32,
    /// A livelihood or `all`.
    #[serde(default = "default_livelihood")]
    pub livelihood: String,
    /// The observed value.
    pub value: f64,
    /// Weight in the distance.
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Uncertainty of the observed value (the distance's unit).
    pub sd: f64,
}

/// What a target's metric reads from a year's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetricKind {
    /// Index into [`SUMMARY_METRICS`].
    Column(usize),
    EmploymentRate,
    Share,
}

/// A checked target.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedTarget {
    /// The target as written.
    pub target: Target,
    /// Where it was written (`targets[2]`, `targets.csv row 3`).
    pub origin: String,
    kind: MetricKind,
    group: usize,
    year_index: usize,
    /// Why the observed value cannot be fitted, when it is out of the
    /// metric's range.
    pub range_warning: Option<String>,
}

impl ResolvedTarget {
    /// `metric livelihood year`, for messages.
    pub fn label(&self) -> String {
        format!(
            "{} {} {}",
            self.target.metric, self.target.livelihood, self.target.year
        )
    }

    /// Column name in `samples.csv`.
    pub(crate) fn column(&self) -> String {
        format!(
            "sim_{}_{}_{}",
            self.target.metric, self.target.livelihood, self.target.year
        )
    }

    /// The metric in one replicate's records.
    pub(crate) fn value_in(&self, records: &[YearRecord]) -> Option<f64> {
        let rec = records.get(self.year_index)?;
        let g = &rec.groups[self.group];
        match self.kind {
            MetricKind::Column(m) => migflow_io::group_metric_values(g)[m],
            MetricKind::EmploymentRate => migflow_core::metrics::employment_rate(rec),
            MetricKind::Share => migflow_core::metrics::share(rec, self.group),
        }
    }

    /// Mean over the replicates that have a value.
    pub(crate) fn replicate_mean(&self, runs: &[Vec<YearRecord>]) -> Option<f64> {
        let values: Vec<f64> = runs.iter().filter_map(|r| self.value_in(r)).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// A loaded, checked calibration.
#[derive(Debug, Clone)]
pub struct CalibrationPlan {
    /// The calibration file.
    pub file: PathBuf,
    /// Its parsed content.
    pub calib: CalibrationFile,
    /// The base scenario as loaded.
    pub base: Params,
    /// The base cut to the years the targets need (what samples simulate).
    pub sim_base: Scenario,
    /// The kind of each parameter's key.
    pub kinds: Vec<KeyKind>,
    /// Every target (the file's, then the CSV file's).
    pub targets: Vec<ResolvedTarget>,
    /// Where each replicate's households come from.
    pub(crate) source: PopulationSource,
    /// The SHA-256 of the population file's bytes that `source` holds (none
    /// for a synthetic population): part of the identity a resume checks.
    pub(crate) population_sha256: Option<String>,
}

fn invalid(
    path: &Path,
    key: impl Into<String>,
    value: impl Into<String>,
    expected: impl Into<String>,
) -> Error {
    Error::Core(migflow_core::Error::Invalid {
        path: path.to_path_buf(),
        problems: vec![Problem {
            key: key.into(),
            value: value.into(),
            expected: expected.into(),
        }],
    })
}

fn metric_kind(name: &str) -> Option<MetricKind> {
    match name {
        "employment_rate" => Some(MetricKind::EmploymentRate),
        "share" => Some(MetricKind::Share),
        _ => SUMMARY_METRICS
            .iter()
            .position(|m| *m == name)
            .map(MetricKind::Column),
    }
}

fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(s, _)| *s > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The range of values a metric can take, for the impossible-target check.
fn metric_range(kind: MetricKind) -> (Option<f64>, Option<f64>) {
    match kind {
        MetricKind::EmploymentRate | MetricKind::Share => (Some(0.0), Some(1.0)),
        MetricKind::Column(m) => match SUMMARY_METRICS[m] {
            "households"
            | "persons"
            | "with_labor"
            | "laborers"
            | "weighted_households"
            | "returned"
            | "dissolved" => (Some(0.0), None),
            "poor_share" | "at_risk_share" | "dibao_share" | "stayed_share" | "return_rate"
            | "ever_poor_share" => (Some(0.0), Some(1.0)),
            _ => (None, None),
        },
    }
}

impl CalibrationPlan {
    /// Read and check a calibration file, its base scenario and its targets.
    pub fn load(file: &Path) -> Result<CalibrationPlan> {
        let text = migflow_io::files::read_toml_text(file)?;
        Self::from_text(&text, file)
    }

    /// Check a calibration given as text; `file` names it in errors and
    /// anchors relative paths.
    pub fn from_text(text: &str, file: &Path) -> Result<CalibrationPlan> {
        let calib: CalibrationFile = params::parse_toml_as(text, file)?;
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let resolve = |p: &str| {
            let p = PathBuf::from(p);
            if p.is_absolute() { p } else { dir.join(p) }
        };
        let base = if calib.base == "default" {
            Params::default()
        } else {
            let p = resolve(&calib.base);
            migflow_io::files::load_scenario(&p).map_err(|e| match e {
                Error::Read { source, .. } => invalid(
                    file,
                    "base",
                    format!("{:?}", calib.base),
                    format!(
                        "`default` or a scenario file (cannot read {}: {source})",
                        p.display()
                    ),
                ),
                other => other,
            })?
        };
        let max_seed = params::validate::MAX_SEED;
        if calib.seed > max_seed {
            return Err(invalid(
                file,
                "seed",
                calib.seed.to_string(),
                format!(
                    "an integer from 0 to {max_seed} (the largest seed a manifest can store and rerun)"
                ),
            ));
        }
        let max_reps = params::validate::MAX_REPLICATES;
        for (key, n) in [
            ("replicates", calib.replicates),
            ("fit_replicates", calib.fit_replicates),
        ] {
            if !(1..=max_reps).contains(&n) {
                return Err(invalid(
                    file,
                    key,
                    n.to_string(),
                    format!("an integer from 1 to {max_reps}"),
                ));
            }
        }

        let mut problems = Vec::new();
        let mut problem = |key: String, value: String, expected: String| {
            problems.push(Problem {
                key,
                value,
                expected,
            })
        };
        if calib.parameters.is_empty() {
            problem(
                "parameters".into(),
                "none".into(),
                "at least one `[[parameters]]` table with `path`, `min` and `max`".into(),
            );
        }
        let mut kinds = Vec::new();
        for (i, p) in calib.parameters.iter().enumerate() {
            let key = format!("parameters[{i}]");
            if let Some(reason) = calibration_run_key_reason(&p.path) {
                problem(
                    format!("{key}.path"),
                    format!("{:?}", p.path),
                    format!("a model key, not `{}`: {reason}", p.path),
                );
            }
            match path::kind_of(base.scenario(), &p.path) {
                Ok(kind) if kind.is_numeric() => kinds.push(kind),
                Ok(kind) => {
                    problem(
                        format!("{key}.path"),
                        format!("{:?}", p.path),
                        format!("a numeric scenario key (it holds {})", kind.name()),
                    );
                    kinds.push(kind);
                }
                Err(e) => {
                    problem(
                        format!("{key}.path"),
                        format!("{:?}", p.path),
                        format!("a scenario key: {e}"),
                    );
                    kinds.push(KeyKind::Float);
                }
            }
            if !(p.min.is_finite() && p.max.is_finite() && p.min < p.max) {
                problem(
                    format!("{key}.max ({})", p.path),
                    readable(p.max),
                    format!("a finite number above `{key}.min` ({})", readable(p.min)),
                );
            } else if kinds[i] == KeyKind::Integer && p.min.ceil() > p.max.floor() {
                problem(
                    format!("{key}.min ({})", p.path),
                    readable(p.min),
                    format!(
                        "a range holding a whole number: `{}` is an integer key and no integer lies between {} and `{key}.max` ({})",
                        p.path,
                        readable(p.min),
                        readable(p.max)
                    ),
                );
            }
            if calib.parameters[..i].iter().any(|q| q.path == p.path) {
                problem(
                    format!("{key}.path"),
                    format!("{:?}", p.path),
                    "a key not already a parameter".into(),
                );
            }
        }

        let mut raw: Vec<(String, Target)> = calib
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("targets[{i}]"), t.clone()))
            .collect();
        if let Some(tf) = &calib.targets_file {
            let p = resolve(tf);
            let rows = read_targets_csv(&p)?;
            if rows.is_empty() {
                problem(
                    "targets_file".into(),
                    format!("{tf:?}"),
                    "a targets file with at least one target row (it has a header and no targets)"
                        .into(),
                );
            }
            raw.extend(rows);
        }
        if raw.is_empty() {
            // An empty targets file was named above.
            if calib.targets_file.is_none() {
                problem(
                    "targets".into(),
                    "none".into(),
                    "at least one `[[targets]]` table or a `targets_file`".into(),
                );
            }
        } else if raw.iter().all(|(_, t)| t.weight == 0.0) {
            // Every sample would be at distance 0: the posterior would be
            // the prior, whatever the model does.
            let (key, value) = match (&calib.targets_file, calib.targets.is_empty()) {
                (Some(tf), true) => ("targets_file", format!("{tf:?}")),
                _ => (
                    "targets",
                    format!("{} target(s), every weight 0", raw.len()),
                ),
            };
            problem(
                key.into(),
                value,
                "at least one target with a weight above 0 (with every weight 0 every sample is at distance 0 and the posterior is the prior)".into(),
            );
        }
        let run = &base.scenario().run;
        let mut targets: Vec<ResolvedTarget> = Vec::new();
        for (origin, t) in raw {
            let Some(kind) = metric_kind(&t.metric) else {
                let all = SUMMARY_METRICS.iter().chain(EXTRA_METRICS.iter()).copied();
                let hint = closest(&t.metric, all)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                problem(
                    format!("{origin}.metric"),
                    format!("{:?}", t.metric),
                    format!(
                        "a metric: {}, {}{hint}",
                        SUMMARY_METRICS.join(", "),
                        EXTRA_METRICS.join(", ")
                    ),
                );
                continue;
            };
            let group = (0..GROUPS).find(|&g| group_name(g) == t.livelihood);
            let Some(group) = group else {
                problem(
                    format!("{origin}.livelihood"),
                    format!("{:?}", t.livelihood),
                    "outbound, local, farm, mixed, none or all".into(),
                );
                continue;
            };
            if kind == MetricKind::EmploymentRate && group != ALL_GROUP {
                problem(
                    format!("{origin}.livelihood"),
                    format!("{:?}", t.livelihood),
                    "`all`: the employment rate is of all households with labour".into(),
                );
            }
            if kind == MetricKind::Share && group == ALL_GROUP {
                problem(
                    format!("{origin}.livelihood"),
                    format!("{:?}", t.livelihood),
                    "a livelihood (the share of `all` is 1)".into(),
                );
            }
            if !(run.start_year..=run.end_year()).contains(&t.year) {
                problem(
                    format!("{origin}.year"),
                    t.year.to_string(),
                    format!(
                        "a year the base scenario simulates, {} to {}",
                        run.start_year,
                        run.end_year()
                    ),
                );
            }
            if !t.value.is_finite() {
                problem(
                    format!("{origin}.value"),
                    readable(t.value),
                    "a finite number".into(),
                );
            }
            if !(t.sd.is_finite() && t.sd >= MIN_SD) {
                problem(
                    format!("{origin}.sd"),
                    readable(t.sd),
                    format!(
                        "a finite number of at least {} (the uncertainty of the observed value)",
                        readable(MIN_SD)
                    ),
                );
            }
            if !(t.weight.is_finite() && t.weight >= 0.0) {
                problem(
                    format!("{origin}.weight"),
                    readable(t.weight),
                    "a finite number, 0 or more".into(),
                );
            }
            if let Some(prev) = targets.iter().find(|p| {
                p.target.metric == t.metric
                    && p.target.livelihood == t.livelihood
                    && p.target.year == t.year
            }) {
                problem(
                    origin.clone(),
                    format!("{} {} {}", t.metric, t.livelihood, t.year),
                    format!("a target not already given by {}", prev.origin),
                );
            }
            let (lo, hi) = metric_range(kind);
            let outside = lo.is_some_and(|lo| t.value < lo) || hi.is_some_and(|hi| t.value > hi);
            let range_warning = outside.then(|| {
                let range = match (lo, hi) {
                    (Some(lo), Some(hi)) => format!("[{lo}, {hi}]"),
                    (Some(lo), None) => format!("{lo} or more"),
                    (None, Some(hi)) => format!("{hi} or less"),
                    (None, None) => String::new(),
                };
                format!(
                    "the observed value {} is outside {range}, the values {} can take: no parameter set can fit it",
                    t.value, t.metric
                )
            });
            targets.push(ResolvedTarget {
                year_index: (t.year - run.start_year).max(0) as usize,
                target: t,
                origin,
                kind,
                group,
                range_warning,
            });
        }
        if !problems.is_empty() {
            return Err(Error::Core(migflow_core::Error::Invalid {
                path: file.to_path_buf(),
                problems,
            }));
        }

        // Samples simulate only up to the last target year: the years after
        // it cannot change what the targets see.
        let mut sim_base = base.to_scenario();
        let last = targets
            .iter()
            .map(|t| t.target.year)
            .max()
            .unwrap_or(run.start_year);
        sim_base = sim_base.shortened((last - run.start_year + 1) as u32);
        let (source, population_sha256) = migflow_io::files::population_source_hashed(&base)?;
        let plan = CalibrationPlan {
            file: file.to_path_buf(),
            calib,
            base,
            sim_base,
            kinds,
            targets,
            source,
            population_sha256,
        };
        // Each prior's ends must give a valid scenario.
        for (i, p) in plan.calib.parameters.iter().enumerate() {
            for (end, v) in [("min", p.min), ("max", p.max)] {
                let mut theta: Vec<f64> = plan
                    .calib
                    .parameters
                    .iter()
                    .map(|q| {
                        path::get(&plan.sim_base, &q.path)
                            .ok()
                            .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
                            .unwrap_or(q.min)
                    })
                    .collect();
                theta[i] = v;
                if let Err(msg) = plan.scenario_for(&theta) {
                    return Err(invalid(
                        file,
                        format!("parameters[{i}].{end} ({})", p.path),
                        readable(v),
                        format!("a value that gives a valid scenario ({msg})"),
                    ));
                }
            }
        }
        Ok(plan)
    }

    /// The parameters' paths.
    pub fn parameter_paths(&self) -> Vec<&str> {
        self.calib
            .parameters
            .iter()
            .map(|p| p.path.as_str())
            .collect()
    }

    /// `scenario` with the parameter values `theta` (integers rounded).
    pub(crate) fn with_theta(
        &self,
        scenario: &Scenario,
        theta: &[f64],
    ) -> std::result::Result<Params, PointError> {
        let values: Vec<toml::Value> = theta
            .iter()
            .zip(&self.kinds)
            .map(|(v, k)| match k {
                KeyKind::Integer => toml::Value::Integer(v.round() as i64),
                _ => toml::Value::Float(*v),
            })
            .collect();
        let assignments: Vec<(&str, &toml::Value)> = self
            .calib
            .parameters
            .iter()
            .map(|p| p.path.as_str())
            .zip(values.iter())
            .collect();
        assign(scenario, self.base.source(), &assignments)
    }

    /// The validated (shortened) scenario a sample simulates.
    pub(crate) fn scenario_for(&self, theta: &[f64]) -> std::result::Result<Params, PointError> {
        self.with_theta(&self.sim_base, theta)
    }

    /// The distance of simulated target values from the observed ones
    /// (infinite when a weighted target has no simulated value).
    pub fn distance(&self, sims: &[Option<f64>]) -> f64 {
        let mut sum = 0.0;
        for (t, sim) in self.targets.iter().zip(sims) {
            if t.target.weight == 0.0 {
                continue;
            }
            match sim {
                Some(s) => sum += t.target.weight * ((s - t.target.value) / t.target.sd).powi(2),
                None => return f64::INFINITY,
            }
        }
        sum.sqrt()
    }

    /// The prior: the parameters' ranges and the seed of the draws.
    pub fn prior_box(&self) -> PriorBox {
        PriorBox {
            seed: self.calib.seed,
            ranges: self
                .calib
                .parameters
                .iter()
                .zip(&self.kinds)
                .map(|(p, k)| PriorRange {
                    min: p.min,
                    max: p.max,
                    integer: matches!(k, KeyKind::Integer),
                })
                .collect(),
        }
    }
}

/// Read a targets CSV (columns `metric, year, livelihood, value, weight,
/// sd`; `livelihood` and `weight` optional).
pub fn read_targets_csv(path: &Path) -> Result<Vec<(String, Target)>> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    const COLUMNS: &str = "the columns are metric, year, livelihood, value, weight, sd";
    let mut csv = migflow_io::NamedCsv::options()
        .trim()
        .rows()
        .max_bytes(MAX_TARGETS_BYTES)
        .open(path)?;
    for required in ["metric", "year", "value", "sd"] {
        if !csv.header().iter().any(|h| h == required) {
            return Err(csv.input(format!("no column `{required}` ({COLUMNS})")));
        }
    }
    if let Some(unknown) = csv
        .header()
        .iter()
        .find(|h| !["metric", "year", "livelihood", "value", "weight", "sd"].contains(&h.as_str()))
    {
        return Err(csv.input(format!("unknown column `{unknown}` ({COLUMNS})")));
    }
    let [metric, year, value, sd] = ["metric", "year", "value", "sd"].map(|c| csv.column(c));
    let (metric, year, value, sd) = (metric?, year?, value?, sd?);
    let optional = |c: &str| {
        csv.header()
            .iter()
            .any(|h| h == c)
            .then(|| csv.column(c))
            .transpose()
    };
    let (livelihood, weight) = (optional("livelihood")?, optional("weight")?);
    // A cell as a finite number, or an error naming the file, the row, the
    // column, the value as written and what was expected.
    fn finite(row: &migflow_io::csvread::Row<'_>, col: usize, expected: &str) -> Result<f64> {
        let cell = row.str(col)?;
        cell.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| row.error(col, cell, expected))
    }
    let mut out = Vec::new();
    while let Some(row) = csv.next_row()? {
        let target = Target {
            metric: row.str(metric)?.to_string(),
            year: row.parse(year, "a year (an integer)")?,
            livelihood: match livelihood {
                Some(c) => row.str(c)?.to_string(),
                None => default_livelihood(),
            },
            value: finite(&row, value, "a finite number (the observed value)")?,
            weight: match weight {
                Some(c) => finite(&row, c, "a finite number, 0 or more (the weight)")?,
                None => default_weight(),
            },
            sd: finite(&row, sd, "a finite number above 0 (the uncertainty)")?,
        };
        out.push((format!("{name} {}", row.place()), target));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<CalibrationPlan> {
        CalibrationPlan::from_text(text, Path::new("calib.toml"))
    }

    const OK: &str = "replicates = 1\n[[parameters]]\npath = \"decision.alpha_none\"\nmin = -2.0\nmax = 0.0\n\
        [[targets]]\nmetric = \"employment_rate\"\nyear = 2022\nvalue = 0.93\nsd = 0.01\n";

    #[test]
    fn loads_and_cuts_years() {
        let p = plan(OK).unwrap();
        assert_eq!(p.sim_base.run.years, 2);
        assert_eq!(p.targets[0].target.livelihood, "all");
        assert!(p.targets[0].range_warning.is_none());
    }

    #[test]
    fn bad_keys_are_named() {
        let err = plan(&OK.replace("alpha_none", "alpha_nnone"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("parameters[0].path"), "{err}");
        assert!(err.contains("decision.alpha_none"), "{err}");
        let err = plan(&OK.replace("employment_rate", "poor_shares"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("targets[0].metric") && err.contains("did you mean `poor_share`"),
            "{err}"
        );
        let err = plan(&OK.replace("sd = 0.01", "sd = 0"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("targets[0].sd"), "{err}");
        let err = plan(&OK.replace("year = 2022", "year = 2040"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("targets[0].year"), "{err}");
        let err = plan(&OK.replace("sd = 0.01", "sd = 0.01\nsdd = 1"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("calib.toml:"), "{err}");
        let err = plan(&OK.replace("min = -2.0", "min = 1.0"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("parameters[0].max"), "{err}");
    }

    #[test]
    fn out_of_range_target_is_flagged() {
        let p = plan(&OK.replace("value = 0.93", "value = 1.5")).unwrap();
        assert!(
            p.targets[0]
                .range_warning
                .as_deref()
                .unwrap()
                .contains("outside [0, 1]")
        );
    }

    #[test]
    fn version_2_metrics_are_targets_with_their_ranges() {
        // Per-person income and persistence, as the shipped calibration
        // targets them, load without a warning.
        for (metric, value) in [("mean_income_pp", "13615.0"), ("stayed_share", "0.85")] {
            let p = plan(
                &OK.replace("employment_rate", metric)
                    .replace("value = 0.93", &format!("value = {value}")),
            )
            .unwrap();
            assert!(p.targets[0].range_warning.is_none(), "{metric}");
        }
        // Shares of households lie in [0, 1], counts are 0 or more.
        for (metric, value, range) in [
            ("stayed_share", "1.2", "outside [0, 1]"),
            ("dibao_share", "-0.1", "outside [0, 1]"),
            ("laborers", "-1.0", "outside 0 or more"),
            ("weighted_households", "-1.0", "outside 0 or more"),
            ("dissolved", "-1.0", "outside 0 or more"),
        ] {
            let p = plan(
                &OK.replace("employment_rate", metric)
                    .replace("value = 0.93", &format!("value = {value}")),
            )
            .unwrap();
            let warning = p.targets[0].range_warning.as_deref().unwrap_or("");
            assert!(warning.contains(range), "{metric}: {warning:?}");
        }
        // Per-person income has no bound (a household's income can be negative).
        let p = plan(
            &OK.replace("employment_rate", "mean_income_pp")
                .replace("value = 0.93", "value = -500.0"),
        )
        .unwrap();
        assert!(p.targets[0].range_warning.is_none());
    }

    #[test]
    fn distance_is_weighted_and_standardised() {
        let text = format!(
            "{OK}[[targets]]\nmetric = \"poor_share\"\nyear = 2021\nvalue = 0.1\nsd = 0.05\nweight = 4\n"
        );
        let p = plan(&text).unwrap();
        let d = p.distance(&[Some(0.95), Some(0.2)]);
        assert!((d - (4.0f64 + 4.0 * 4.0).sqrt()).abs() < 1e-12, "{d}");
        assert!(p.distance(&[None, Some(0.1)]).is_infinite());
    }

    #[test]
    fn run_keys_are_refused_as_parameters() {
        for (key, min, max) in [
            ("run.seed", "1", "100"),
            ("run.replicates", "1", "8"),
            ("run.start_year", "2019", "2021"),
        ] {
            let text = OK
                .replace("decision.alpha_none", key)
                .replace("-2.0", min)
                .replace("max = 0.0", &format!("max = {max}"));
            let err = plan(&text).unwrap_err().to_string();
            let reason = run_key_reason(key).unwrap();
            assert!(
                err.contains("parameters[0].path") && err.contains(reason),
                "{key}: {err}"
            );
        }
    }

    #[test]
    fn an_integer_parameter_needs_a_whole_number_in_its_range() {
        let text = OK
            .replace("decision.alpha_none", "population.size_extra_trials")
            .replace("min = -2.0\nmax = 0.0", "min = 0.3\nmax = 0.7");
        let err = plan(&text).unwrap_err().to_string();
        assert!(
            err.contains("parameters[0].min") && err.contains("integer"),
            "{err}"
        );
        // A range holding one whole number is enough.
        let p = plan(&text.replace("max = 0.7", "max = 1.2")).unwrap();
        assert_eq!(p.kinds, vec![KeyKind::Integer]);
        let r = p.prior_box().ranges[0];
        assert_eq!((r.round(0.3), r.round(1.2)), (1.0, 1.0));
    }

    #[test]
    fn targets_that_all_weigh_nothing_are_refused() {
        let err = plan(&OK.replace("sd = 0.01", "sd = 0.01\nweight = 0"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`targets`") && err.contains("weight above 0"),
            "{err}"
        );
        // One weighted target is enough.
        let text = format!(
            "{OK}[[targets]]\nmetric = \"poor_share\"\nyear = 2021\nvalue = 0.1\nsd = 0.05\nweight = 0\n"
        );
        assert!(plan(&text).is_ok());
        // Only a targets file: it is named.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("targets.csv"),
            "metric,year,value,weight,sd\nemployment_rate,2022,0.93,0,0.01\npoor_share,2021,0.1,0,0.05\n",
        )
        .unwrap();
        let text = "replicates = 1\ntargets_file = \"targets.csv\"\n[[parameters]]\npath = \"decision.alpha_none\"\nmin = -2.0\nmax = 0.0\n";
        let err = CalibrationPlan::from_text(text, &dir.path().join("calib.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`targets_file` = \"targets.csv\"") && err.contains("weight above 0"),
            "{err}"
        );
    }
}
