//! The sweep file and its plan: the base scenario, the factors, the design's
//! points, and the runs (point × replicate) with their scenarios.
//!
//! A sweep may name **policies** (`[[policies]]`: a name and key overrides,
//! or a scenario file) and **uncertainties** (`[[uncertainties]]`, another
//! name for `[[factors]]`). Then every policy runs at every point of the
//! design over the uncertainties, with common random numbers: point
//! `u · P + p` is policy `p` at uncertainty point `u`, and its first factor
//! column, `policy`, holds the policy's name.

use super::design::{self, Design, Factor, Point};
use migflow_core::params::path::{self, KeyKind};
use migflow_core::params::{self, Params, Scenario};
use migflow_core::run::PopulationSource;
use migflow_io::error::{Error, Problem, Result};
use migflow_io::journal::PlannedInput;
use migflow_io::sha256_hex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Most runs one sweep may have.
pub const MAX_RUNS: u64 = 100_000_000;

fn default_base() -> String {
    "default".to_string()
}

fn default_seed() -> u64 {
    1
}

fn default_replicates() -> u32 {
    1
}

/// A sweep file (`SWEEP.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The base scenario: a path (relative to the sweep file) or `default`.
    #[serde(default = "default_base")]
    pub base: String,
    /// Master seed of every run.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Replicates per point (common random numbers across points).
    #[serde(default = "default_replicates")]
    pub replicates: u32,
    /// The design.
    pub design: Design,
    /// The factors (`[[factors]]`, or `[[uncertainties]]` in a sweep of
    /// policies: the same thing under the name of its role).
    #[serde(default, alias = "uncertainties")]
    pub factors: Vec<Factor>,
    /// The policies, each run at every point of the design.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
}

/// One policy of a sweep (`[[policies]]`): a name and what it changes in
/// the base scenario (a scenario file of its own, key overrides, or both:
/// the file first, then the overrides).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Its name in outputs (letters, digits, `_`, `-` and `.`).
    pub name: String,
    /// A scenario file, relative to the sweep file, to start from instead
    /// of the sweep's base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Scenario keys (dotted paths) and their values.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub set: std::collections::BTreeMap<String, toml::Value>,
}

/// The name of the factor column that holds a point's policy.
pub const POLICY_COLUMN: &str = "policy";

/// A policy after loading: its name and its scenario (before the
/// uncertainties are set).
#[derive(Debug, Clone)]
pub struct LoadedPolicy {
    /// The policy's name.
    pub name: String,
    /// The base scenario with the policy applied.
    pub scenario: Params,
}

/// One run of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId {
    /// Global run number: `point · replicates + replicate`.
    pub run: u64,
    /// Design point.
    pub point: u64,
    /// Replicate at that point.
    pub replicate: u32,
}

/// A loaded, checked sweep: everything needed to run any of its runs.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The sweep file.
    pub file: PathBuf,
    /// Its parsed content.
    pub sweep: SweepFile,
    /// The base scenario.
    pub base: Params,
    /// The kind of each factor's key.
    pub kinds: Vec<KeyKind>,
    /// The design's points; in a sweep of policies, every policy at every
    /// point of the design (the policy's name first among the values).
    pub points: Vec<Point>,
    /// The policies, in the sweep file's order (none for a plain sweep).
    pub policies: Vec<LoadedPolicy>,
    /// Hex SHA-256 of the resolved sweep (file, base scenario, points).
    pub hash: String,
    /// The base's population file, read once and shared by every run, when
    /// no factor varies a `population` key (so every point reads the same
    /// households).
    shared_population: std::sync::OnceLock<Arc<PopulationSource>>,
    /// The input files as hashed when the sweep's directory was opened
    /// (see [`SweepPlan::planned_inputs`]): every population file a run
    /// reads must still have these bytes.
    planned: std::sync::OnceLock<Planned>,
}

/// The input files of a sweep as planned, and the state file recording
/// them.
#[derive(Debug, Clone)]
struct Planned {
    state: PathBuf,
    inputs: Vec<PlannedInput>,
}

/// What each input file of a sweep is, in its state file and messages.
pub const BASE_POPULATION: &str = "the population file";
/// A population file that a factor sets for some design points.
pub const POINT_POPULATION: &str = "a design point's population file";
/// The CSV file of a table design.
pub const TABLE_FILE: &str = "the table design's file";

fn invalid(path: &Path, key: String, value: String, expected: String) -> Error {
    Error::Core(migflow_core::Error::Invalid {
        path: path.to_path_buf(),
        problems: vec![Problem {
            key,
            value,
            expected,
        }],
    })
}

/// Why a run key cannot be a factor (or a calibrated parameter): the sweep
/// or calibration sets it for every run, so varying it would change
/// nothing, or compare outputs of different calendar years as one year.
pub fn run_key_reason(path: &str) -> Option<&'static str> {
    match path {
        "run.seed" => Some(
            "every run's seed comes from the file's `seed` and the run's replicate (common random numbers); vary `seed` by running it again",
        ),
        "run.replicates" => Some("every point runs the file's `replicates`"),
        "run.start_year" => {
            Some("outputs are compared year by year, so every run must start in the same year")
        }
        _ => None,
    }
}

/// `expected` with the scenario key of the factor that `key` (such as
/// `factors[0].min`) belongs to, unless it already names it.
fn naming_factor(factors: &[Factor], key: &str, expected: String) -> String {
    let factor = key
        .strip_prefix("factors[")
        .and_then(|rest| rest.split_once("]."))
        .filter(|(_, field)| *field != "path")
        .and_then(|(i, _)| i.parse::<usize>().ok())
        .and_then(|i| factors.get(i).map(|f| (i, f)));
    match factor {
        Some((i, f)) if !expected.contains(&format!("`{}`", f.path)) => {
            format!("{expected} (`factors[{i}]` is `{}`)", f.path)
        }
        _ => expected,
    }
}

/// Refuse, before any point runs, a factor level that no point could run
/// with: one that the base scenario with only that level set refuses at the
/// factor's own key, by a rule of the value alone (a rule relating it to
/// another key, named in backticks, may hold at other levels of that key).
fn check_levels(file: &Path, factors: &[Factor], base: &Params) -> Result<()> {
    let varies_file = factors.iter().any(|f| f.path == "population.file");
    for (i, f) in factors.iter().enumerate() {
        let Some(levels) = &f.levels else { continue };
        if f.path == "population.file" || (varies_file && f.path == "population.households") {
            continue;
        }
        for (j, v) in levels.iter().enumerate() {
            let problems = match assign(base.scenario(), base.source(), &[(f.path.as_str(), v)]) {
                Ok(_) => continue,
                Err(PointError::Invalid(problems)) => problems,
                Err(PointError::Key { error, .. }) => {
                    let expected = if path::coerce(v, KeyKind::Integer)
                        .is_ok_and(|n| n.as_integer().is_some_and(|n| n < 0))
                    {
                        format!("an integer ≥ 0 (a level of `{}`, a count)", f.path)
                    } else {
                        let error = error.to_string();
                        let first = error.lines().next().unwrap_or_default();
                        format!("a value `{}` can hold ({first})", f.path)
                    };
                    return Err(invalid(
                        file,
                        format!("factors[{i}].levels[{j}]"),
                        value_text(v),
                        expected,
                    ));
                }
            };
            if let Some(p) = problems
                .iter()
                .find(|p| p.key == f.path && !p.expected.contains('`'))
            {
                return Err(invalid(
                    file,
                    format!("factors[{i}].levels[{j}]"),
                    p.value.clone(),
                    format!("{} (a level of `{}`)", p.expected, f.path),
                ));
            }
        }
    }
    Ok(())
}

/// Why a design point's scenario cannot run (written to `failures.csv`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointError {
    /// A factor's value does not fit its key.
    #[error("`{key}`: {error}")]
    Key {
        /// The factor's path.
        key: String,
        /// What is wrong.
        error: path::PathError,
    },
    /// The point's scenario breaks the model's constraints.
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
}

/// `base` with the values at `assignments` set, validated: the one way a
/// sweep point or a calibration sample becomes [`Params`]. `source` is the
/// base scenario's file (for its relative population file).
pub fn assign(
    base: &Scenario,
    source: Option<&Path>,
    assignments: &[(&str, &toml::Value)],
) -> std::result::Result<Params, PointError> {
    let scenario = path::with_values(base, assignments)
        .map_err(|(key, error)| PointError::Key { key, error })?;
    Params::checked(scenario, source.map(Path::to_path_buf)).map_err(PointError::Invalid)
}

/// The sweep file as TOML; a failure is an error, never an empty text.
fn sweep_toml(sweep: &SweepFile) -> Result<String> {
    toml::to_string(sweep).map_err(|e| {
        Error::Core(migflow_core::Error::Serialize {
            what: "the sweep".to_string(),
            message: e.to_string(),
        })
    })
}

/// Text of a TOML scalar as written in CSV columns.
pub(crate) fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(f) => format!("{f}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Check and load the sweep's policies: each a unique, plain name, a
/// scenario file that runs the same years as the base, and overrides of
/// scenario keys that no factor varies.
fn load_policies(
    file: &Path,
    dir: &Path,
    sweep: &SweepFile,
    base: &Params,
    sets: &[(String, toml::Value)],
) -> Result<Vec<LoadedPolicy>> {
    if sweep.policies.is_empty() {
        return Ok(Vec::new());
    }
    if matches!(
        sweep.design,
        Design::Sobol { .. } | Design::SobolTable { .. } | Design::Morris { .. }
    ) {
        return Err(invalid(
            file,
            "design.kind".into(),
            format!("{:?}", sweep.design.name()),
            "grid, lhs or table in a sweep of `[[policies]]` (every policy runs at every point; Saltelli's and Morris's schemes are for sensitivity analysis of one scenario)".into(),
        ));
    }
    let mut loaded: Vec<LoadedPolicy> = Vec::with_capacity(sweep.policies.len());
    for (i, policy) in sweep.policies.iter().enumerate() {
        let key = |field: &str| format!("policies[{i}].{field}");
        let name_ok = !policy.name.is_empty()
            && policy.name.len() <= 64
            && policy
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !name_ok {
            return Err(invalid(
                file,
                key("name"),
                format!("{:?}", policy.name),
                "a name of 1 to 64 letters, digits, `_`, `-` or `.` (it names the policy in every output)".into(),
            ));
        }
        if let Some(j) = sweep.policies[..i]
            .iter()
            .position(|p| p.name == policy.name)
        {
            return Err(invalid(
                file,
                key("name"),
                format!("{:?}", policy.name),
                format!("a name no other policy has (`policies[{j}]` has it too)"),
            ));
        }
        let start = match &policy.scenario {
            None => base.clone(),
            Some(path) => {
                let p = PathBuf::from(path);
                let p = if p.is_absolute() { p } else { dir.join(p) };
                let loaded = migflow_io::files::load_scenario(&p).map_err(|e| match e {
                    Error::Read { source, .. } => invalid(
                        file,
                        key("scenario"),
                        format!("{path:?}"),
                        format!("a scenario file (cannot read {}: {source})", p.display()),
                    ),
                    other => other,
                })?;
                let (b, l) = (&base.scenario().run, &loaded.scenario().run);
                if (b.start_year, b.years) != (l.start_year, l.years) {
                    return Err(invalid(
                        file,
                        key("scenario"),
                        format!("{path:?}"),
                        format!(
                            "a scenario of the base's years ({} from {}; it runs {} from {}): policies are compared year by year",
                            b.years, b.start_year, l.years, l.start_year
                        ),
                    ));
                }
                with_sets(file, sweep, loaded, sets)?
            }
        };
        for k in policy.set.keys() {
            let at = format!("policies[{i}].set.{k:?}");
            if let Some(reason) = run_key_reason(k) {
                return Err(invalid(
                    file,
                    at,
                    format!("{k:?}"),
                    format!("a model key, not `{k}`: {reason}"),
                ));
            }
            if k == "run.years" {
                return Err(invalid(
                    file,
                    at,
                    format!("{k:?}"),
                    "a model key: policies are compared year by year, so every policy runs the base's years".into(),
                ));
            }
            if let Err(e) = path::kind_of(start.scenario(), k) {
                return Err(invalid(
                    file,
                    at,
                    format!("{k:?}"),
                    format!("a scenario key: {e}"),
                ));
            }
            if sweep.factors.iter().any(|f| f.path == *k) {
                return Err(invalid(
                    file,
                    at,
                    format!("{k:?}"),
                    format!("a key no uncertainty varies (`{k}` is a factor of the design)"),
                ));
            }
        }
        let assignments: Vec<(&str, &toml::Value)> =
            policy.set.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let scenario = assign(start.scenario(), start.source(), &assignments).map_err(|e| {
            invalid(
                file,
                format!("policies[{i}]"),
                format!("{:?}", policy.name),
                format!("a policy whose scenario is valid: {e}"),
            )
        })?;
        loaded.push(LoadedPolicy {
            name: policy.name.clone(),
            scenario,
        });
    }
    Ok(loaded)
}

/// `params` with the command line's `--set` keys, each checked as in a
/// scenario file; a key that a factor varies is refused (the design sets
/// it at every point).
fn with_sets(
    file: &Path,
    sweep: &SweepFile,
    params: Params,
    sets: &[(String, toml::Value)],
) -> Result<Params> {
    if sets.is_empty() {
        return Ok(params);
    }
    for (key, value) in sets {
        if sweep.factors.iter().any(|f| f.path == *key) {
            return Err(invalid(
                file,
                format!("--set {key}"),
                value_text(value),
                format!("a key no factor of {} varies", file.display()),
            ));
        }
    }
    let mut params = params;
    for (key, value) in sets {
        params =
            assign(params.scenario(), params.source(), &[(key.as_str(), value)]).map_err(|e| {
                match e {
                    PointError::Invalid(problems) => {
                        let p = problems.first();
                        invalid(
                            file,
                            format!("--set {key}"),
                            p.map_or_else(|| value_text(value), |p| p.value.clone()),
                            p.map_or_else(String::new, |p| p.expected.clone()),
                        )
                    }
                    PointError::Key { error, .. } => invalid(
                        file,
                        format!("--set {key}"),
                        value_text(value),
                        error.to_string(),
                    ),
                }
            })?;
    }
    Ok(params)
}

/// Every policy at every design point: point `u · P + p` is policy `p` at
/// design point `u`, its name the first value.
fn with_policies(points: Vec<Point>, policies: &[LoadedPolicy]) -> Vec<Point> {
    if policies.is_empty() {
        return points;
    }
    let mut out = Vec::with_capacity(points.len() * policies.len());
    for point in points {
        for policy in policies {
            let mut values = Vec::with_capacity(point.values.len() + 1);
            values.push(toml::Value::String(policy.name.clone()));
            values.extend(point.values.iter().cloned());
            out.push(Point {
                values,
                role: point.role.clone(),
            });
        }
    }
    out
}

impl SweepPlan {
    /// Read and check a sweep file, its base scenario and its design.
    pub fn load(file: &Path) -> Result<SweepPlan> {
        Self::load_with(file, &[])
    }

    /// [`load`](Self::load), with scenario keys set (the CLI's `--set`) in
    /// the base scenario and in each policy's scenario file before anything
    /// else: they are part of what the sweep runs, so of its hash.
    pub fn load_with(file: &Path, sets: &[(String, toml::Value)]) -> Result<SweepPlan> {
        let text = migflow_io::files::read_toml_text(file)?;
        Self::from_text_with(&text, file, sets)
    }

    /// Check a sweep given as text; `file` names it in errors and anchors
    /// relative paths.
    pub fn from_text(text: &str, file: &Path) -> Result<SweepPlan> {
        Self::from_text_with(text, file, &[])
    }

    /// [`from_text`](Self::from_text) with `sets` (see
    /// [`load_with`](Self::load_with)).
    pub fn from_text_with(
        text: &str,
        file: &Path,
        sets: &[(String, toml::Value)],
    ) -> Result<SweepPlan> {
        let sweep: SweepFile = params::parse_toml_as(text, file)?;
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if sweep.base == "default" {
            Params::default()
        } else {
            let p = PathBuf::from(&sweep.base);
            let p = if p.is_absolute() { p } else { dir.join(p) };
            migflow_io::files::load_scenario(&p).map_err(|e| match e {
                Error::Read { source, .. } => invalid(
                    file,
                    "base".into(),
                    format!("{:?}", sweep.base),
                    format!(
                        "`default` or a scenario file (cannot read {}: {source})",
                        p.display()
                    ),
                ),
                other => other,
            })?
        };
        let base = with_sets(file, &sweep, base, sets)?;
        if !(1..=migflow_core::params::validate::MAX_REPLICATES).contains(&sweep.replicates) {
            return Err(invalid(
                file,
                "replicates".into(),
                sweep.replicates.to_string(),
                format!(
                    "an integer from 1 to {}",
                    migflow_core::params::validate::MAX_REPLICATES
                ),
            ));
        }
        if sweep.seed > migflow_core::params::validate::MAX_SEED {
            return Err(invalid(
                file,
                "seed".into(),
                sweep.seed.to_string(),
                format!(
                    "an integer from 0 to {} (the largest seed a manifest can store and rerun)",
                    migflow_core::params::validate::MAX_SEED
                ),
            ));
        }
        let mut kinds = Vec::with_capacity(sweep.factors.len());
        for (i, f) in sweep.factors.iter().enumerate() {
            if let Some(reason) = run_key_reason(&f.path) {
                return Err(invalid(
                    file,
                    format!("factors[{i}].path"),
                    format!("{:?}", f.path),
                    format!("a model key, not `{}`: {reason}", f.path),
                ));
            }
            match path::kind_of(base.scenario(), &f.path) {
                Ok(kind) => kinds.push(kind),
                Err(e) => {
                    return Err(invalid(
                        file,
                        format!("factors[{i}].path"),
                        format!("{:?}", f.path),
                        format!("a scenario key: {e}"),
                    ));
                }
            }
            if sweep.factors[..i].iter().any(|g| g.path == f.path) {
                return Err(invalid(
                    file,
                    format!("factors[{i}].path"),
                    format!("{:?}", f.path),
                    "a key not already varied by an earlier factor".into(),
                ));
            }
        }
        let points = if sweep.factors.is_empty() && !sweep.policies.is_empty() {
            // Policies alone: one point, the base's uncertainties.
            vec![Point {
                values: Vec::new(),
                role: design::PointRole::Plain,
            }]
        } else {
            design::generate(&sweep.design, &sweep.factors, &kinds, sweep.seed, &dir).map_err(
                |e| {
                    invalid(
                        file,
                        e.key.clone(),
                        e.value.clone(),
                        naming_factor(&sweep.factors, &e.key, e.expected.clone()),
                    )
                },
            )?
        };
        check_levels(file, &sweep.factors, &base)?;
        let policies = load_policies(file, &dir, &sweep, &base, sets)?;
        let points = with_policies(points, &policies);
        let runs = points.len() as u64 * u64::from(sweep.replicates);
        if runs == 0 || runs > MAX_RUNS {
            return Err(invalid(
                file,
                "design".into(),
                format!("{runs} runs"),
                format!("from 1 to {MAX_RUNS} runs (points × replicates)"),
            ));
        }
        let hash = Self::compute_hash(&sweep, base.scenario(), &policies, &points)?;
        Ok(SweepPlan {
            file: file.to_path_buf(),
            sweep,
            base,
            kinds,
            points,
            policies,
            hash,
            shared_population: std::sync::OnceLock::new(),
            planned: std::sync::OnceLock::new(),
        })
    }

    /// The input files the sweep's runs read besides the sweep file and the
    /// base scenario (whose content the sweep's hash covers), each with what
    /// it is: the table design's file, and the population file of the base
    /// scenario, or, when a factor varies `population.file`, each population
    /// file a design point names (in the order of the points; a point whose
    /// scenario is invalid reads none).
    pub fn input_files(&self) -> Vec<(&'static str, PathBuf)> {
        let mut files = Vec::new();
        if let Some(file) = design::design_file(&self.sweep.design) {
            let p = PathBuf::from(file);
            let dir = self
                .file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            files.push((TABLE_FILE, if p.is_absolute() { p } else { dir.join(p) }));
        }
        match self
            .factor_paths()
            .iter()
            .position(|p| *p == "population.file")
        {
            None => {
                if let Some(p) = self.base.population_file() {
                    files.push((BASE_POPULATION, p));
                }
                for policy in &self.policies {
                    if let Some(p) = policy.scenario.population_file()
                        && !files.iter().any(|(_, f)| *f == p)
                    {
                        files.push((POINT_POPULATION, p));
                    }
                }
            }
            Some(k) => {
                let mut seen = std::collections::HashSet::new();
                for (i, point) in self.points.iter().enumerate() {
                    let Some(value) = point.values.get(k) else {
                        continue;
                    };
                    if !seen.insert(value_text(value)) {
                        continue;
                    }
                    if let Some(p) = self
                        .scenario_for(i as u64)
                        .ok()
                        .and_then(|s| s.population_file())
                        && !files.iter().any(|(_, f)| *f == p)
                    {
                        files.push((POINT_POPULATION, p));
                    }
                }
            }
        }
        files
    }

    /// The [input files](Self::input_files) hashed as they are now, the
    /// first time this is called for the plan (later calls return the same
    /// hashes): from then on, every population file a run of the plan reads
    /// must have the bytes hashed here, or the run stops the sweep with an
    /// [`Error::WorkInputChanged`] naming `state`, the state file recording
    /// them (see [`population_for`](Self::population_for)).
    pub fn planned_inputs(&self, state: &Path) -> &[PlannedInput] {
        if let Some(p) = self.planned.get() {
            return &p.inputs;
        }
        let inputs = self
            .input_files()
            .into_iter()
            .map(|(what, file)| PlannedInput::hash(what, &file))
            .collect();
        &self
            .planned
            .get_or_init(|| Planned {
                state: state.to_path_buf(),
                inputs,
            })
            .inputs
    }

    /// The households run `point`'s scenario `loaded` starts from. A
    /// population file is read once for the whole sweep when no factor
    /// varies a `population` key; otherwise, and for synthetic populations
    /// (drawn per replicate), per run.
    ///
    /// Once the plan's inputs are [planned](Self::planned_inputs), the bytes
    /// read from a population file must be the planned ones: a file edited
    /// while the sweep runs is an [`Error::WorkInputChanged`] (which stops
    /// the sweep, see [`crate::execute::run_sweep`]) instead of runs of two
    /// populations in one sweep.
    pub fn population_for(&self, loaded: &Params) -> Result<Arc<PopulationSource>> {
        let shared = self.base.population_file().is_some()
            && self
                .policies
                .iter()
                .all(|p| p.scenario.population_file() == self.base.population_file())
            && !self
                .sweep
                .factors
                .iter()
                .any(|f| f.path.starts_with("population."));
        if !shared {
            return Ok(Arc::new(self.read_population(loaded)?));
        }
        if let Some(p) = self.shared_population.get() {
            return Ok(Arc::clone(p));
        }
        // Two workers may both read it on first use; one copy is kept.
        let read = Arc::new(self.read_population(loaded)?);
        Ok(Arc::clone(self.shared_population.get_or_init(|| read)))
    }

    /// Read the households of `loaded`, checking a population file's bytes
    /// against the planned hash.
    fn read_population(&self, loaded: &Params) -> Result<PopulationSource> {
        let (source, sha256) = migflow_io::files::population_source_hashed(loaded)?;
        if let (Some(planned), Some(path)) = (self.planned.get(), loaded.population_file())
            && let Some(input) = planned.inputs.iter().find(|i| i.file == path)
        {
            input.check_read(sha256.as_deref(), &planned.state)?;
        }
        Ok(source)
    }

    fn compute_hash(
        sweep: &SweepFile,
        base: &Scenario,
        policies: &[LoadedPolicy],
        points: &[Point],
    ) -> Result<String> {
        let mut canonical = String::new();
        canonical.push_str(&sweep_toml(sweep)?);
        canonical.push_str("\n# base\n");
        canonical.push_str(&params::to_toml(base)?);
        // A policy's scenario file is part of what the sweep runs.
        for p in policies {
            canonical.push_str(&format!("\n# policy {}\n", p.name));
            canonical.push_str(&params::to_toml(p.scenario.scenario())?);
        }
        canonical.push_str("\n# points\n");
        for p in points {
            let row: Vec<String> = p.values.iter().map(value_text).collect();
            canonical.push_str(&row.join(","));
            canonical.push('\n');
        }
        Ok(sha256_hex(canonical.as_bytes()))
    }

    /// The sweep file as resolved (for the manifest).
    pub fn resolved_toml(&self) -> Result<String> {
        sweep_toml(&self.sweep)
    }

    /// Replicates per point.
    pub fn replicates(&self) -> u32 {
        self.sweep.replicates
    }

    /// Total runs.
    pub fn runs(&self) -> u64 {
        self.points.len() as u64 * u64::from(self.sweep.replicates)
    }

    /// The point and replicate of run `run`.
    pub fn run_id(&self, run: u64) -> RunId {
        let r = u64::from(self.sweep.replicates);
        RunId {
            run,
            point: run / r,
            replicate: (run % r) as u32,
        }
    }

    /// The factors' paths, the factor columns of every output.
    pub fn factor_paths(&self) -> Vec<&str> {
        let policy = (!self.policies.is_empty()).then_some(POLICY_COLUMN);
        policy
            .into_iter()
            .chain(self.sweep.factors.iter().map(|f| f.path.as_str()))
            .collect()
    }

    /// The policy of a point (none in a plain sweep).
    pub fn policy_of(&self, point: u64) -> Option<&LoadedPolicy> {
        if self.policies.is_empty() {
            return None;
        }
        self.policies
            .get((point % self.policies.len() as u64) as usize)
    }

    /// The factor values of a point as CSV cells: string levels that a
    /// spreadsheet would run as formulas neutralised
    /// ([`migflow_io::tables::csv_user_text`]; the hash uses the values).
    pub fn point_cells(&self, point: u64) -> Vec<String> {
        self.points[point as usize]
            .values
            .iter()
            .map(|v| migflow_io::tables::csv_user_text(&value_text(v)))
            .collect()
    }

    /// The validated scenario of a point.
    pub fn scenario_for(&self, point: u64) -> std::result::Result<Params, PointError> {
        let p = &self.points[point as usize];
        let (base, values) = match self.policy_of(point) {
            Some(policy) => (&policy.scenario, &p.values[1..]),
            None => (&self.base, &p.values[..]),
        };
        let assignments: Vec<(&str, &toml::Value)> = self
            .sweep
            .factors
            .iter()
            .map(|f| f.path.as_str())
            .zip(values.iter())
            .collect();
        assign(base.scenario(), base.source(), &assignments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep_with_factor(path: &str) -> String {
        format!(
            "base = \"default\"\nseed = 1\nreplicates = 1\n[design]\nkind = \"grid\"\n[[factors]]\npath = \"{path}\"\nlevels = [1, 2]\n"
        )
    }

    #[test]
    fn run_keys_that_the_sweep_sets_are_refused_as_factors() {
        for key in ["run.seed", "run.replicates", "run.start_year"] {
            let err = SweepPlan::from_text(&sweep_with_factor(key), Path::new("s.toml"))
                .expect_err(key)
                .to_string();
            assert!(
                err.contains("factors[0].path") && err.contains(&format!("not `{key}`")),
                "{key}: {err}"
            );
        }
        let ok = SweepPlan::from_text(&sweep_with_factor("run.years"), Path::new("s.toml"));
        assert!(ok.is_ok(), "{:?}", ok.err());
    }
}
