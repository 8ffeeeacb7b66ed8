//! Reading a results directory back: the files of `migflow run` (the
//! manifest with its scenario, `trajectories.csv`, `flows.csv`,
//! `cohorts.csv` (from version 2 on), and when they exist `summary.csv`,
//! `sites.csv` and `households.csv`) or of `migflow sweep` /
//! `migflow merge` (the manifest with its sweep, `runs.csv`,
//! `trajectories.csv`, `points.csv`, `points_summary.csv`).
//!
//! Everything is read from the files, never from memory of the run, so the
//! charts and the report work on results made earlier or elsewhere. Only
//! the files the manifest lists are read, each checked against the SHA-256
//! it records ([`table_file`]): a file beside them that it does not list
//! is refused, and so is a directory whose manifest marks an interrupted
//! commit. A missing or malformed file is an [`Error::Input`] that names
//! the file and what is wrong (the missing column, the line of a bad
//! value); an optional file that is absent (and not listed) leaves a note
//! and its charts are skipped.

use crate::csvread::{NamedCsv, Row};
use crate::error::{Error, Result};
use crate::manifest::SweepManifest;
use crate::manifest::table_file;
use crate::tables::{SummaryRow, summarize_metrics};
use crate::{Manifest, SUMMARY_METRICS};
use migflow_core::metrics::METRICS;
use migflow_core::params::{self, Event, Scenario};
use migflow_core::record::{ALL_GROUP, GROUPS, group_name};
use migflow_core::stats::summarize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The livelihoods in file order, then `all` (the groups of
/// `trajectories.csv`).
pub const GROUP_NAMES: [&str; GROUPS] = ["outbound", "local", "farm", "mixed", "none", "all"];
/// The five livelihoods (the states of `flows.csv`).
pub const STATES: usize = 5;

/// Index of a metric in [`SUMMARY_METRICS`].
pub fn metric_index(name: &str) -> Option<usize> {
    SUMMARY_METRICS.iter().position(|m| *m == name)
}

fn group_index(name: &str) -> Option<usize> {
    GROUP_NAMES.iter().position(|g| *g == name)
}

/// A results directory of either kind.
#[derive(Debug)]
pub enum Results {
    /// Made by `migflow run`.
    Run(Box<RunResults>),
    /// Made by `migflow sweep` or `migflow merge`.
    Sweep(Box<SweepResults>),
}

impl Results {
    /// Read a results directory; `years` chooses the years of the flow and
    /// income charts of a run (default: see [`RunResults::read`]).
    pub fn read(dir: &Path, years: Option<&[i32]>) -> Result<Results> {
        let path = dir.join("manifest.json");
        if !dir.is_dir() {
            return Err(Error::Input {
                path: dir.to_path_buf(),
                message: "not a directory: expected the results directory of `migflow run` or `migflow sweep`".into(),
            });
        }
        let kind = manifest_kind(&path)?;
        if kind.scenario_toml.is_some() {
            Ok(Results::Run(Box::new(RunResults::read(dir, years)?)))
        } else if kind.sweep_toml.is_some() {
            if years.is_some() {
                return Err(Error::Option {
                    option: crate::OptionName::Years,
                    message: format!(
                        "{}: years apply to the results of `migflow run`; this is a sweep",
                        dir.display()
                    ),
                });
            }
            Ok(Results::Sweep(Box::new(SweepResults::read(dir)?)))
        } else {
            Err(Error::Input {
                path,
                message:
                    "neither a run's manifest (no `scenario_toml`) nor a sweep's (no `sweep_toml`)"
                        .into(),
            })
        }
    }

    /// The notes of the reading (optional files absent, and so on).
    pub fn notes(&self) -> &[String] {
        match self {
            Results::Run(r) => &r.notes,
            Results::Sweep(s) => &s.notes,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        match self {
            Results::Run(r) => &r.dir,
            Results::Sweep(s) => &s.dir,
        }
    }
}

/// What a results directory's manifest is: the keys that tell a run's
/// from a sweep's (parsed as the file is read: a sweep's manifest can be
/// gigabytes).
#[derive(serde::Deserialize)]
struct ManifestKind {
    #[serde(default)]
    scenario_toml: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    sweep_toml: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    migflow_incomplete: Option<serde::de::IgnoredAny>,
}

fn manifest_kind(path: &Path) -> Result<ManifestKind> {
    use crate::input::{JsonError, MAX_SWEEP_MANIFEST_BYTES, read_json};
    let kind: ManifestKind = match read_json(
        path,
        MAX_SWEEP_MANIFEST_BYTES,
        "the manifest.json of `migflow run` or `migflow sweep`",
    ) {
        Ok(k) => k,
        Err(JsonError::Refused(Error::Read { source, .. }))
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: "not found: a results directory of `migflow run` or `migflow sweep` holds manifest.json".into(),
            });
        }
        Err(JsonError::Refused(e)) => return Err(e),
        Err(JsonError::NotThis { message, .. }) => {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: format!("not valid JSON: {message}"),
            });
        }
    };
    if kind.migflow_incomplete.is_some() {
        return Err(crate::manifest::incomplete_error(path));
    }
    Ok(kind)
}

// ---------------------------------------------------------------------------
// CSV reading with errors that name the file, the column and the line
// (migflow's one reader, [`NamedCsv`]).

/// Open a results file; `why` says who writes it, for the error when it is
/// missing.
fn open_csv(path: &Path, why: &str) -> Result<NamedCsv> {
    NamedCsv::options().not_found(why).open(path)
}

/// The cells of results files that are checked against their manifest.
trait ResultCells {
    fn int<T: std::str::FromStr>(&self, col: usize, expected: &str) -> Result<T>;
    fn replicate_and_year(
        &self,
        rep_col: usize,
        year_col: usize,
        replicates: usize,
        years: &[i32],
    ) -> Result<(usize, usize)>;
    fn group(&self, col: usize) -> Result<usize>;
    fn state(&self, col: usize) -> Result<usize>;
}

impl ResultCells for Row<'_> {
    fn int<T: std::str::FromStr>(&self, col: usize, expected: &str) -> Result<T> {
        self.parse(col, expected)
    }

    /// The replicate (column `rep_col`) and year index (column `year_col`)
    /// of a run's row, checked against the manifest's replicates and years.
    fn replicate_and_year(
        &self,
        rep_col: usize,
        year_col: usize,
        replicates: usize,
        years: &[i32],
    ) -> Result<(usize, usize)> {
        let r: usize = self.int(rep_col, "a replicate number")?;
        if r >= replicates {
            return Err(self.error(
                rep_col,
                &r.to_string(),
                &format!("a replicate below {replicates} (manifest.json)"),
            ));
        }
        let y: i32 = self.int(year_col, "a year")?;
        let t = usize::try_from(y - years[0])
            .ok()
            .filter(|&t| t < years.len())
            .ok_or_else(|| {
                self.error(
                    year_col,
                    &y.to_string(),
                    &format!(
                        "a year of the run, {}–{} (manifest.json)",
                        years[0],
                        years[years.len() - 1]
                    ),
                )
            })?;
        Ok((r, t))
    }

    fn group(&self, col: usize) -> Result<usize> {
        let s = self.str(col)?;
        group_index(s).ok_or_else(|| {
            self.error(
                col,
                s,
                "a livelihood: outbound, local, farm, mixed, none or all",
            )
        })
    }

    fn state(&self, col: usize) -> Result<usize> {
        let s = self.str(col)?;
        group_index(s)
            .filter(|&g| g < STATES)
            .ok_or_else(|| self.error(col, s, "a livelihood: outbound, local, farm, mixed or none"))
    }
}

// ---------------------------------------------------------------------------
// A run.

/// Mean and 95% interval of a metric over replicates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean over replicates with a value.
    pub mean: Option<f64>,
    /// Student-t 95% interval of the mean (two replicates or more).
    pub ci: Option<(f64, f64)>,
    /// Replicates with a value.
    pub n: usize,
}

/// Per-capita incomes of the household panel in the chosen years.
#[derive(Debug, Clone)]
pub struct Incomes {
    /// The years, as chosen.
    pub years: Vec<i32>,
    /// `[year][group]`: every household-year's per-capita income, pooled
    /// over replicates (the group `all` holds every household).
    pub values: Vec<Vec<Vec<f64>>>,
}

/// The results of `migflow run`.
#[derive(Debug, Clone)]
pub struct RunResults {
    /// The directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The scenario the run resolved (from the manifest).
    pub scenario: Scenario,
    /// The calendar years, in order.
    pub years: Vec<i32>,
    /// Replicates.
    pub replicates: usize,
    /// `[replicate][year][group][metric]` of `trajectories.csv`, metrics as
    /// in [`SUMMARY_METRICS`].
    pub trajectories: Trajectories,
    /// `[replicate][year][from][to]` households of `flows.csv`.
    pub flows: Vec<Vec<[[f64; STATES]; STATES]>>,
    /// `summary.csv` when present: (year, group, metric) → estimate.
    pub summary: Option<BTreeMap<(i32, usize, usize), Estimate>>,
    /// `cohorts.csv`, when the manifest lists it (every run of version 2;
    /// a run of version 1 has none, and a note says so).
    pub cohorts: Option<Cohorts>,
    /// The years chosen for the flow and income charts.
    pub chosen_years: Vec<i32>,
    /// From `households.csv`, when present.
    pub incomes: Option<Incomes>,
    /// What was absent or approximated.
    pub notes: Vec<String>,
}

const RUN_FILES: &str =
    "a results directory of `migflow run` holds manifest.json, trajectories.csv and flows.csv";

impl RunResults {
    /// Read a run's directory. `years` chooses the years of the flow and
    /// income charts; by default the first year, and the first year after
    /// the time-limited levers end (or, when they outlast the run, the last
    /// year).
    pub fn read(dir: &Path, years: Option<&[i32]>) -> Result<RunResults> {
        let manifest_path = dir.join("manifest.json");
        let manifest: Manifest = crate::manifest::read_manifest_json(
            &manifest_path,
            crate::input::MAX_RUN_MANIFEST_BYTES,
            "a `migflow run` manifest",
        )?;
        // The counts that size what is read must be the scenario's own (and
        // so within its limits), not whatever a damaged manifest says.
        let scenario = params::Params::new(
            params::parse(&manifest.scenario_toml, &manifest_path)?,
            Some(manifest_path.clone()),
        )?
        .to_scenario();
        if manifest.years != scenario.run.years || manifest.replicates != scenario.run.replicates {
            return Err(Error::Input {
                path: manifest_path,
                message: format!(
                    "records {} years and {} replicates, but its scenario_toml has {} and {}",
                    manifest.years,
                    manifest.replicates,
                    scenario.run.years,
                    scenario.run.replicates
                ),
            });
        }
        let start = scenario.run.start_year;
        let run_years: Vec<i32> = (0..manifest.years as i32).map(|t| start + t).collect();
        if run_years.is_empty() || manifest.replicates == 0 {
            return Err(Error::Input {
                path: manifest_path,
                message: "records no years or no replicates".into(),
            });
        }
        let replicates = manifest.replicates as usize;
        let mut notes = Vec::new();

        let table = |name: &str| table_file(dir, &manifest.files, name);
        let trajectories = read_trajectories(&table("trajectories.csv")?, &run_years, replicates)?;
        let flows = read_flows(&table("flows.csv")?, &run_years, replicates)?;
        let summary_path = table("summary.csv")?;
        let summary = if summary_path.exists() {
            Some(read_summary(&summary_path, &run_years)?)
        } else {
            if replicates > 1 {
                notes.push(format!(
                    "{} is absent: confidence intervals are computed from trajectories.csv",
                    summary_path.display()
                ));
            }
            None
        };

        let chosen_years = match years {
            Some(ys) => {
                for y in ys {
                    if !run_years.contains(y) {
                        return Err(Error::Option {
                            option: crate::OptionName::Years,
                            message: format!(
                                "{}: {y} is not a year of this run ({}–{})",
                                dir.display(),
                                run_years[0],
                                run_years[run_years.len() - 1]
                            ),
                        });
                    }
                }
                let mut seen = Vec::new();
                for &y in ys {
                    if !seen.contains(&y) {
                        seen.push(y);
                    }
                }
                seen
            }
            None => default_years(&scenario, &run_years),
        };

        let cohorts = read_cohorts(dir, &manifest, &scenario, &run_years, replicates)?;
        if cohorts.is_none() {
            notes.push(format!(
                "no cohorts: {} is absent (a run of migflow before version 2 writes none)",
                dir.join("cohorts.csv").display()
            ));
        }
        // sites.csv (`migflow run --by-site`): checked against the manifest
        // and for its columns; nothing here reads its rows yet.
        let sites_path = table("sites.csv")?;
        if sites_path.exists() {
            let csv = open_csv(&sites_path, "written by `migflow run --by-site`")?;
            csv.columns(&crate::cohorts::SITE_HEADER)?;
        }

        let panel_path = table("households.csv")?;
        let incomes = if panel_path.exists() {
            Some(read_incomes(&panel_path, &chosen_years)?)
        } else {
            notes.push(format!(
                "income distributions skipped: {} is absent (run with --households-out to write it)",
                panel_path.display()
            ));
            None
        };

        Ok(RunResults {
            dir: dir.to_path_buf(),
            manifest,
            scenario,
            years: run_years,
            replicates,
            trajectories,
            flows,
            summary,
            cohorts,
            chosen_years,
            incomes,
            notes,
        })
    }

    /// Index of a calendar year.
    pub fn year_index(&self, year: i32) -> Option<usize> {
        self.years.iter().position(|&y| y == year)
    }

    /// A metric's values over replicates (those with a value).
    pub fn values(&self, year: usize, group: usize, metric: usize) -> Vec<f64> {
        self.trajectories
            .iter()
            .filter_map(|rep| rep[year][group][metric])
            .collect()
    }

    /// Mean and 95% interval over replicates, from `summary.csv` when
    /// present, else computed the same way (Student-t).
    pub fn estimate(&self, year: usize, group: usize, metric: usize) -> Estimate {
        if let Some(e) = self
            .summary
            .as_ref()
            .and_then(|s| s.get(&(self.years[year], group, metric)))
        {
            return *e;
        }
        let (mean, _, lo, hi, n) = summarize(&self.values(year, group, metric));
        Estimate {
            mean,
            ci: lo.zip(hi),
            n,
        }
    }

    /// Mean over replicates of the households flowing `from → to`.
    pub fn mean_flows(&self, year: usize) -> [[f64; STATES]; STATES] {
        let mut m = [[0.0; STATES]; STATES];
        for rep in &self.flows {
            for (f, row) in rep[year].iter().enumerate() {
                for (t, v) in row.iter().enumerate() {
                    m[f][t] += v;
                }
            }
        }
        let r = self.flows.len().max(1) as f64;
        m.iter_mut().flatten().for_each(|v| *v /= r);
        m
    }

    /// The poverty and monitoring lines of a year (grown with
    /// `economy.line_growth`), yuan per person per year.
    pub fn lines(&self, year: i32) -> (f64, f64) {
        lines(&self.scenario, year)
    }
}

/// The poverty and monitoring lines of a calendar year of a scenario.
pub fn lines(s: &Scenario, year: i32) -> (f64, f64) {
    let e = &s.economy;
    let g = (1.0 + e.line_growth).powi(year - s.run.start_year);
    (e.poverty_line * g, e.monitoring_line * g)
}

/// `[replicate][year][group][metric]`.
type Trajectories = Vec<Vec<[[Option<f64>; METRICS]; GROUPS]>>;

fn read_trajectories(path: &Path, years: &[i32], replicates: usize) -> Result<Trajectories> {
    let mut csv = open_csv(path, RUN_FILES)?;
    let key = csv.columns(&["replicate", "year", "livelihood"])?;
    let metrics = csv.columns(&SUMMARY_METRICS)?;
    let mut out = vec![vec![[[None; METRICS]; GROUPS]; years.len()]; replicates];
    let mut seen = vec![vec![[false; GROUPS]; years.len()]; replicates];
    csv.for_each(|c| {
        let (r, t) = c.replicate_and_year(key[0], key[1], replicates, years)?;
        let g = c.group(key[2])?;
        if std::mem::replace(&mut seen[r][t][g], true) {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: format!(
                    "line {}: a second row for replicate {r}, year {}, livelihood {}",
                    c.line(),
                    years[t],
                    GROUP_NAMES[g]
                ),
            });
        }
        for (m, &col) in metrics.iter().enumerate() {
            out[r][t][g][m] = c.opt_f64(col)?;
        }
        Ok(())
    })?;
    for (r, rep) in seen.iter().enumerate() {
        for (t, year) in rep.iter().enumerate() {
            if let Some(g) = year.iter().position(|s| !s) {
                return Err(Error::Input {
                    path: path.to_path_buf(),
                    message: format!(
                        "incomplete: no row for replicate {r}, year {}, livelihood {} (the manifest records {replicates} replicate(s) of {} years)",
                        years[t],
                        GROUP_NAMES[g],
                        years.len()
                    ),
                });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Cohorts (`cohorts.csv`, MODEL.md §6).

/// One cohort year's cohorts: the households grouped by their state in
/// the cohort year (and `all`), followed through every later year.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortTrajectories {
    /// The cohort year (`start_year − 1` for the initial state).
    pub cohort_year: i32,
    /// The years followed: from the year after the cohort year to the
    /// run's last year, in order.
    pub years: Vec<i32>,
    /// `[replicate][year][cohort][metric]`: years as in `years`, cohorts as
    /// in [`GROUP_NAMES`] (the state in the cohort year, then `all`),
    /// metrics as in [`SUMMARY_METRICS`].
    pub values: Vec<Vec<[[Option<f64>; METRICS]; GROUPS]>>,
}

impl CohortTrajectories {
    /// Index of a calendar year among [`years`](Self::years).
    pub fn year_index(&self, year: i32) -> Option<usize> {
        self.years.iter().position(|&y| y == year)
    }
}

/// The key of a cohort's summary: (cohort year, cohort as in
/// [`GROUP_NAMES`], calendar year, metric as in [`SUMMARY_METRICS`]).
pub type CohortKey = (i32, usize, i32, usize);

/// The cohorts of a run, from `cohorts.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohorts {
    /// One entry a cohort year, ascending (the manifest's `cohort_years`).
    pub by_year: Vec<CohortTrajectories>,
    /// Mean, sd and Student-t 95% interval over replicates of every cohort
    /// year × cohort × year × metric, made as `summary.csv` is
    /// ([`crate::tables::summarize_metrics`]).
    pub summary: BTreeMap<CohortKey, SummaryRow>,
}

impl Cohorts {
    /// The cohort years, ascending.
    pub fn cohort_years(&self) -> Vec<i32> {
        self.by_year.iter().map(|c| c.cohort_year).collect()
    }

    /// The cohorts of one cohort year.
    pub fn get(&self, cohort_year: i32) -> Option<&CohortTrajectories> {
        self.by_year.iter().find(|c| c.cohort_year == cohort_year)
    }

    /// A cohort metric's values over replicates (those with a value); empty
    /// when the cohort year or the year is not followed.
    pub fn values(&self, cohort_year: i32, cohort: usize, year: i32, metric: usize) -> Vec<f64> {
        let Some(c) = self.get(cohort_year) else {
            return Vec::new();
        };
        let Some(t) = c.year_index(year) else {
            return Vec::new();
        };
        c.values
            .iter()
            .filter_map(|rep| rep[t][cohort][metric])
            .collect()
    }

    /// The summary over replicates of a cohort metric in a year.
    pub fn summary_of(
        &self,
        cohort_year: i32,
        cohort: usize,
        year: i32,
        metric: usize,
    ) -> Option<&SummaryRow> {
        self.summary.get(&(cohort_year, cohort, year, metric))
    }
}

/// Read `cohorts.csv` of a run, when its manifest lists it: every row's
/// replicate, cohort year, cohort and year checked against the manifest, no
/// row twice and none missing (for each cohort year, every later year of
/// the run, all six cohorts). `None` for a run of version 1 (no file, no
/// `cohort_years`).
fn read_cohorts(
    dir: &Path,
    manifest: &Manifest,
    scenario: &Scenario,
    years: &[i32],
    replicates: usize,
) -> Result<Option<Cohorts>> {
    let manifest_path = dir.join("manifest.json");
    let path = table_file(dir, &manifest.files, "cohorts.csv")?;
    let listed = path.exists();
    match (listed, manifest.cohort_years.is_empty()) {
        (false, true) => return Ok(None),
        (true, true) => {
            return Err(Error::Input {
                path: manifest_path,
                message: "lists cohorts.csv but records no `cohort_years`: expected the cohort years the file follows".into(),
            });
        }
        (false, false) => {
            return Err(Error::Input {
                path: manifest_path,
                message: format!(
                    "records the cohort years {} but does not list cohorts.csv, which `migflow run` writes with them",
                    year_list(&manifest.cohort_years)
                ),
            });
        }
        (true, false) => {}
    }
    let range = migflow_core::cohorts::cohort_year_range(scenario);
    if let Some(bad) = manifest.cohort_years.iter().find(|y| !range.contains(*y)) {
        return Err(Error::Input {
            path: manifest_path,
            message: format!(
                "`cohort_years`: found {bad}, expected cohort years from {} (the initial state) to {} (the year before the run's last)",
                range.start(),
                range.end()
            ),
        });
    }
    let mut cohort_years = manifest.cohort_years.clone();
    cohort_years.sort_unstable();
    cohort_years.dedup();
    let (first, last) = (years[0], years[years.len() - 1]);
    let followed = |c: i32| ((c + 1)..=last).collect::<Vec<i32>>();

    let mut csv = open_csv(
        &path,
        "written by `migflow run` (version 2 on), which lists it in manifest.json",
    )?;
    let key = csv.columns(&["replicate", "cohort_year", "cohort", "year"])?;
    let metrics = csv.columns(&SUMMARY_METRICS)?;
    let mut values: Vec<Trajectories> = cohort_years
        .iter()
        .map(|&c| vec![vec![[[None; METRICS]; GROUPS]; followed(c).len()]; replicates])
        .collect();
    let mut seen: Vec<Vec<Vec<[bool; GROUPS]>>> = cohort_years
        .iter()
        .map(|&c| vec![vec![[false; GROUPS]; followed(c).len()]; replicates])
        .collect();
    csv.for_each(|row| {
        let (r, t) = row.replicate_and_year(key[0], key[3], replicates, years)?;
        let c: i32 = row.int(key[1], "a cohort year")?;
        let k = cohort_years.iter().position(|&y| y == c).ok_or_else(|| {
            row.error(
                key[1],
                &c.to_string(),
                &format!(
                    "one of the cohort years of the run, {} (manifest.json `cohort_years`)",
                    year_list(&cohort_years)
                ),
            )
        })?;
        let year = years[t];
        if year <= c {
            return Err(row.error(
                key[3],
                &year.to_string(),
                &format!("a year after the cohort year {c}, {}–{last}", c + 1),
            ));
        }
        let g = row.group(key[2])?;
        // The cohorts of year c are followed from c + 1 (≥ the first year).
        let ti = (year - (c + 1)) as usize;
        debug_assert!(c + 1 >= first);
        if std::mem::replace(&mut seen[k][r][ti][g], true) {
            return Err(Error::Input {
                path: path.clone(),
                message: format!(
                    "line {}: a second row for replicate {r}, cohort year {c}, cohort {}, year {year}",
                    row.line(),
                    GROUP_NAMES[g]
                ),
            });
        }
        for (m, &col) in metrics.iter().enumerate() {
            values[k][r][ti][g][m] = row.opt_f64(col)?;
        }
        Ok(())
    })?;
    for (k, &c) in cohort_years.iter().enumerate() {
        for (r, rep) in seen[k].iter().enumerate() {
            for (ti, groups) in rep.iter().enumerate() {
                if let Some(g) = groups.iter().position(|s| !s) {
                    return Err(Error::Input {
                        path,
                        message: format!(
                            "incomplete: no row for replicate {r}, cohort year {c}, cohort {}, year {} (the manifest records {replicates} replicate(s) and the cohort years {}, each followed in every later year to {last}, in six cohorts)",
                            GROUP_NAMES[g],
                            c + 1 + ti as i32,
                            year_list(&cohort_years)
                        ),
                    });
                }
            }
        }
    }

    let mut by_year = Vec::with_capacity(cohort_years.len());
    let mut summary = BTreeMap::new();
    for (&c, values) in cohort_years.iter().zip(values) {
        let followed = followed(c);
        for (ti, &year) in followed.iter().enumerate() {
            for g in 0..GROUPS {
                let per_rep: Vec<[Option<f64>; METRICS]> =
                    values.iter().map(|rep| rep[ti][g]).collect();
                for (m, row) in summarize_metrics(year, g, &per_rep).enumerate() {
                    summary.insert((c, g, year, m), row);
                }
            }
        }
        by_year.push(CohortTrajectories {
            cohort_year: c,
            years: followed,
            values,
        });
    }
    Ok(Some(Cohorts { by_year, summary }))
}

/// Years in words: `2020, 2025`.
fn year_list(years: &[i32]) -> String {
    years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn read_flows(
    path: &Path,
    years: &[i32],
    replicates: usize,
) -> Result<Vec<Vec<[[f64; STATES]; STATES]>>> {
    let mut csv = open_csv(path, RUN_FILES)?;
    let cols = csv.columns(&["replicate", "year", "from", "to", "households"])?;
    let mut out = vec![vec![[[0.0; STATES]; STATES]; years.len()]; replicates];
    let mut seen = vec![vec![false; years.len()]; replicates];
    csv.for_each(|c| {
        let (r, t) = c.replicate_and_year(cols[0], cols[1], replicates, years)?;
        let from = c.state(cols[2])?;
        let to = c.state(cols[3])?;
        let n: u64 = c.int(cols[4], "a count of households")?;
        out[r][t][from][to] = n as f64;
        seen[r][t] = true;
        Ok(())
    })?;
    for (r, rep) in seen.iter().enumerate() {
        if let Some(t) = rep.iter().position(|s| !s) {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: format!("incomplete: no rows for replicate {r}, year {}", years[t]),
            });
        }
    }
    Ok(out)
}

fn read_summary(path: &Path, years: &[i32]) -> Result<BTreeMap<(i32, usize, usize), Estimate>> {
    let mut csv = open_csv(path, "written by `migflow run` with 2 replicates or more")?;
    let cols = csv.columns(&[
        "year",
        "livelihood",
        "metric",
        "mean",
        "ci95_low",
        "ci95_high",
        "n",
    ])?;
    let mut out = BTreeMap::new();
    csv.for_each(|c| {
        let y: i32 = c.int(cols[0], "a year")?;
        if !years.contains(&y) {
            return Err(c.error(cols[0], &y.to_string(), "a year of the run (manifest.json)"));
        }
        let g = c.group(cols[1])?;
        // Metrics this version does not chart are passed over.
        let Some(m) = metric_index(c.str(cols[2])?) else {
            return Ok(());
        };
        let mean = c.opt_f64(cols[3])?;
        let lo = c.opt_f64(cols[4])?;
        let hi = c.opt_f64(cols[5])?;
        let n: usize = c.int(cols[6], "a count of replicates")?;
        out.insert(
            (y, g, m),
            Estimate {
                mean,
                ci: lo.zip(hi),
                n,
            },
        );
        Ok(())
    })?;
    Ok(out)
}

fn read_incomes(path: &Path, years: &[i32]) -> Result<Incomes> {
    let mut csv = open_csv(path, "written by `migflow run --households-out`")?;
    let cols = csv.columns(&["year", "state", "income_pc"])?;
    let mut values = vec![vec![Vec::new(); GROUPS]; years.len()];
    csv.for_each(|c| {
        let y: i32 = c.int(cols[0], "a year")?;
        let Some(t) = years.iter().position(|&k| k == y) else {
            return Ok(());
        };
        let s = c.state(cols[1])?;
        let v = c.f64(cols[2])?;
        values[t][s].push(v);
        values[t][ALL_GROUP].push(v);
        Ok(())
    })?;
    Ok(Incomes {
        years: years.to_vec(),
        values,
    })
}

// ---------------------------------------------------------------------------
// Levers and events of a scenario, for shading and the report.

/// A lever that acts in some years with a non-zero amount.
#[derive(Debug, Clone, PartialEq)]
pub struct LeverWindow {
    /// The lever's key, e.g. `workshops`.
    pub lever: &'static str,
    /// A human name, e.g. "poverty-alleviation workshops".
    pub title: &'static str,
    /// First year (inclusive).
    pub start: i32,
    /// Last year (inclusive).
    pub end: i32,
    /// Its main parameters, in words.
    pub detail: String,
}

/// The enabled levers with a non-zero amount, in schema order.
pub fn lever_windows(s: &Scenario) -> Vec<LeverWindow> {
    let lv = &s.levers;
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let mut out = Vec::new();
    let mut push = |lever, title, w: params::Window, on: bool, detail: String| {
        if w.enabled && on && w.start_year <= w.end_year {
            out.push(LeverWindow {
                lever,
                title,
                start: w.start_year,
                end: w.end_year,
                detail,
            });
        }
    };
    let l = &lv.labor_cooperation;
    push(
        "labor_cooperation",
        "East–West labor cooperation",
        l.window(),
        l.placements_share > 0.0 || l.travel_subsidy > 0.0,
        format!(
            "placements for {} of laborers, wage premium {}",
            pct(l.placements_share),
            pct(l.wage_premium)
        ),
    );
    let l = &lv.industrial_cooperation;
    push(
        "industrial_cooperation",
        "industrial cooperation (firms brought in)",
        l.window(),
        l.firm_jobs_share > 0.0,
        format!(
            "firm jobs for {} of laborers at {:.0} yuan a month",
            pct(l.firm_jobs_share),
            l.w_firm_month
        ),
    );
    let l = &lv.workshops;
    push(
        "workshops",
        "poverty-alleviation workshops",
        l.window(),
        l.workshop_jobs_share > 0.0,
        format!(
            "jobs for {} of laborers at {:.0} yuan a month",
            pct(l.workshop_jobs_share),
            l.w_workshop_month
        ),
    );
    let l = &lv.agricultural_support;
    push(
        "agricultural_support",
        "agricultural support",
        l.window(),
        l.subsidy_per_mu > 0.0 || l.yield_gain > 0.0 || l.insurance || l.transport_support > 0.0,
        format!(
            "{:.0} yuan per mu, yield +{}{}",
            l.subsidy_per_mu,
            pct(l.yield_gain),
            if l.insurance { ", crop insurance" } else { "" }
        ),
    );
    let l = &lv.training;
    push(
        "training",
        "skill training",
        l.window(),
        l.training_share > 0.0,
        format!(
            "places for {} of households a year, stipend {:.0} yuan",
            pct(l.training_share),
            l.stipend
        ),
    );
    let l = &lv.asset_income;
    push(
        "asset_income",
        "asset-income dividends",
        l.window(),
        l.dividend > 0.0,
        format!("{:.0} yuan per household a year", l.dividend),
    );
    let l = &lv.social_protection;
    push(
        "social_protection",
        "social protection (dibao, medical)",
        l.window(),
        l.dibao_coverage > 0.0 || l.reimbursement > 0.0,
        format!(
            "dibao line {:.0} yuan, coverage {}, {} of medical costs reimbursed",
            l.dibao_line,
            pct(l.dibao_coverage),
            pct(l.reimbursement)
        ),
    );
    let l = &lv.targeting;
    push(
        "targeting",
        "targeting of last year's poor",
        l.window(),
        l.target_at_risk,
        "the poor go first in the job and placement lotteries".into(),
    );
    out
}

/// The policy windows worth shading on a chart of years `first..=last`:
/// the windows of [`lever_windows`] that do not cover the whole run (a
/// lever acting every year, like social protection by default, would shade
/// everything), merged when they coincide, as `(start, end, label)`.
pub fn shaded_windows(s: &Scenario, first: i32, last: i32) -> Vec<(i32, i32, String)> {
    let mut merged: Vec<(i32, i32, Vec<&'static str>)> = Vec::new();
    for w in lever_windows(s) {
        let (a, b) = (w.start.max(first), w.end.min(last));
        if a > b || (w.start <= first && w.end >= last) {
            continue;
        }
        match merged.iter_mut().find(|m| m.0 == a && m.1 == b) {
            Some(m) => m.2.push(w.lever),
            None => merged.push((a, b, vec![w.lever])),
        }
    }
    merged
        .into_iter()
        .map(|(a, b, levers)| {
            let label = if levers.len() == 1 {
                format!("{} {a}–{b}", levers[0].replace('_', " "))
            } else {
                format!("{} levers {a}–{b}", levers.len())
            };
            (a, b, label)
        })
        .collect()
}

/// The levers acting in every year of the run (not shaded).
pub fn permanent_levers(s: &Scenario, first: i32, last: i32) -> Vec<LeverWindow> {
    lever_windows(s)
        .into_iter()
        .filter(|w| w.start <= first && w.end >= last)
        .collect()
}

/// The events of a scenario in years `first..=last`, as (year, label).
pub fn event_markers(s: &Scenario, first: i32, last: i32) -> Vec<(i32, String)> {
    s.events
        .iter()
        .filter(|e| (first..=last).contains(&e.year()))
        .map(|e| (e.year(), event_label(e)))
        .collect()
}

/// A short name of an event.
pub fn event_label(e: &Event) -> String {
    match e {
        Event::EastDemand { .. } => "eastern demand shock".into(),
        Event::Drought { .. } => "drought".into(),
    }
}

/// An event in words, for the report.
pub fn event_detail(e: &Event) -> String {
    match e {
        Event::EastDemand {
            year,
            job_loss_factor,
        } => format!(
            "{year}: eastern labor demand falls; outbound job-loss risk × {job_loss_factor}"
        ),
        Event::Drought {
            year,
            harvest_factor,
            sites,
        } => format!(
            "{year}: drought; harvest × {harvest_factor} {}",
            match sites {
                Some(s) => format!(
                    "at site(s) {}",
                    s.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                ),
                None => "at every site".into(),
            }
        ),
    }
}

/// The first year, and the first year after the time-limited levers end
/// (the last year when they outlast the run).
fn default_years(s: &Scenario, years: &[i32]) -> Vec<i32> {
    let (first, last) = (years[0], years[years.len() - 1]);
    let mut out = vec![first];
    let after = shaded_windows(s, first, last)
        .iter()
        .map(|w| w.1 + 1)
        .max()
        .filter(|&y| y <= last);
    match after {
        Some(y) if y > first => out.push(y),
        _ if last > first => out.push(last),
        _ => {}
    }
    out
}

// ---------------------------------------------------------------------------
// Two runs compared.

/// The metrics compared by `migflow compare`.
pub const COMPARED_METRICS: [&str; 7] = [
    "poor_share",
    "at_risk_share",
    "return_rate",
    "mean_income_pc",
    "mean_income_pp",
    "dibao_share",
    "stayed_share",
];

/// One row of `differences.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Calendar year.
    pub year: i32,
    /// Group index (see [`GROUP_NAMES`]).
    pub group: usize,
    /// Metric name.
    pub metric: &'static str,
    /// Mean over the base run's replicates.
    pub base_mean: Option<f64>,
    /// Mean over the policy run's replicates.
    pub policy_mean: Option<f64>,
    /// Mean of the paired per-replicate differences, policy − base.
    pub diff_mean: Option<f64>,
    /// Their sample sd.
    pub diff_sd: Option<f64>,
    /// Student-t 95% interval of the mean difference.
    pub ci: Option<(f64, f64)>,
    /// Pairs with both values.
    pub n: usize,
}

/// Header of `differences.csv`.
pub const DIFFERENCES_HEADER: [&str; 11] = [
    "policy",
    "year",
    "livelihood",
    "metric",
    "base_mean",
    "policy_mean",
    "diff_mean",
    "diff_sd",
    "ci95_low",
    "ci95_high",
    "n",
];

/// Check that two runs can be compared: the same replicates and years.
fn comparable(base: &RunResults, policy: &RunResults) -> Result<()> {
    if base.replicates != policy.replicates {
        return Err(Error::Input {
            path: policy.dir.clone(),
            message: format!(
                "has {} replicate(s) and the base {} has {}: compare runs with the same replicates (and the same seed, for paired differences)",
                policy.replicates,
                base.dir.display(),
                base.replicates
            ),
        });
    }
    if base.years != policy.years {
        let span = |y: &[i32]| format!("{}–{}", y[0], y[y.len() - 1]);
        return Err(Error::Input {
            path: policy.dir.clone(),
            message: format!(
                "covers the years {} and the base {} covers {}: compare runs of the same years",
                span(&policy.years),
                base.dir.display(),
                span(&base.years)
            ),
        });
    }
    Ok(())
}

/// The paired difference of one metric of one group in one year from the
/// base's and the policy's values, replicate by replicate (`base[r]` and
/// `policy[r]` of replicate `r`).
fn paired_difference(
    year: i32,
    group: usize,
    metric: &'static str,
    base: &[Option<f64>],
    policy: &[Option<f64>],
) -> Difference {
    let pairs: Vec<f64> = base
        .iter()
        .zip(policy)
        .filter_map(|(b, p)| Some((*p)? - (*b)?))
        .collect();
    let present = |v: &[Option<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
    let (diff_mean, diff_sd, lo, hi, n) = summarize(&pairs);
    Difference {
        year,
        group,
        metric,
        base_mean: summarize(&present(base)).0,
        policy_mean: summarize(&present(policy)).0,
        diff_mean,
        diff_sd,
        ci: lo.zip(hi),
        n,
    }
}

/// Paired differences (policy − base, replicate by replicate) of the
/// metrics (every column of `trajectories.csv`). The runs must have the
/// same replicates and years.
pub fn differences(base: &RunResults, policy: &RunResults) -> Result<Vec<Difference>> {
    comparable(base, policy)?;
    let mut out = Vec::new();
    for (t, &year) in base.years.iter().enumerate() {
        for group in 0..GROUPS {
            for metric in migflow_core::metrics::Metric::NAMES {
                let m = metric_index(metric).unwrap_or(0);
                let of = |r: &RunResults| -> Vec<Option<f64>> {
                    r.trajectories.iter().map(|rep| rep[t][group][m]).collect()
                };
                out.push(paired_difference(
                    year,
                    group,
                    metric,
                    &of(base),
                    &of(policy),
                ));
            }
        }
    }
    Ok(out)
}

/// The cells of a difference after its year and group (metric … n).
fn difference_cells(d: &Difference) -> [String; 8] {
    use crate::format_float;
    [
        d.metric.to_string(),
        format_float(d.base_mean),
        format_float(d.policy_mean),
        format_float(d.diff_mean),
        format_float(d.diff_sd),
        format_float(d.ci.map(|c| c.0)),
        format_float(d.ci.map(|c| c.1)),
        d.n.to_string(),
    ]
}

/// `differences.csv` as text: each policy's differences from the base, in
/// the order given.
pub fn differences_csv(policies: &[(&str, &[Difference])]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(DIFFERENCES_HEADER);
    for (policy, rows) in policies {
        for d in *rows {
            let _ = w.write_record(
                [
                    policy.to_string(),
                    d.year.to_string(),
                    group_name(d.group).to_string(),
                ]
                .into_iter()
                .chain(difference_cells(d)),
            );
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One row of `cohort_differences.csv`: a [`Difference`] of a cohort
/// (its `group` is the cohort: the state in the cohort year, or `all`).
#[derive(Debug, Clone, PartialEq)]
pub struct CohortDifference {
    /// The cohort year.
    pub cohort_year: i32,
    /// The paired difference of the cohort's metric in a later year.
    pub difference: Difference,
}

/// Header of `cohort_differences.csv`.
pub const COHORT_DIFFERENCES_HEADER: [&str; 12] = [
    "policy",
    "cohort_year",
    "cohort",
    "year",
    "metric",
    "base_mean",
    "policy_mean",
    "diff_mean",
    "diff_sd",
    "ci95_low",
    "ci95_high",
    "n",
];

/// The cohort years that both runs follow, ascending (none when either is
/// a run of version 1, without `cohorts.csv`).
pub fn common_cohort_years(base: &RunResults, policy: &RunResults) -> Vec<i32> {
    let (Some(b), Some(p)) = (&base.cohorts, &policy.cohorts) else {
        return Vec::new();
    };
    let theirs = p.cohort_years();
    b.cohort_years()
        .into_iter()
        .filter(|c| theirs.contains(c))
        .collect()
}

/// Paired differences (policy − base, replicate by replicate) of the
/// [`COMPARED_METRICS`] of the cohorts of every cohort year both runs
/// follow ([`common_cohort_years`]), by cohort year, cohort and year. The
/// runs must have the same replicates and years, as for [`differences`];
/// empty when they follow no cohort year in common.
pub fn cohort_differences(base: &RunResults, policy: &RunResults) -> Result<Vec<CohortDifference>> {
    comparable(base, policy)?;
    let mut out = Vec::new();
    let (Some(b), Some(p)) = (&base.cohorts, &policy.cohorts) else {
        return Ok(out);
    };
    for c in common_cohort_years(base, policy) {
        let (Some(bc), Some(pc)) = (b.get(c), p.get(c)) else {
            continue;
        };
        for group in 0..GROUPS {
            for (t, &year) in bc.years.iter().enumerate() {
                for metric in migflow_core::metrics::Metric::NAMES {
                    let m = metric_index(metric).unwrap_or(0);
                    let of = |c: &CohortTrajectories| -> Vec<Option<f64>> {
                        c.values.iter().map(|rep| rep[t][group][m]).collect()
                    };
                    out.push(CohortDifference {
                        cohort_year: c,
                        difference: paired_difference(year, group, metric, &of(bc), &of(pc)),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// `cohort_differences.csv` as text (the header alone when `rows` is
/// empty).
pub fn cohort_differences_csv(policies: &[(&str, &[CohortDifference])]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COHORT_DIFFERENCES_HEADER);
    for (policy, rows) in policies {
        for row in *rows {
            let d = &row.difference;
            let _ = w.write_record(
                [
                    policy.to_string(),
                    row.cohort_year.to_string(),
                    group_name(d.group).to_string(),
                    d.year.to_string(),
                ]
                .into_iter()
                .chain(difference_cells(d)),
            );
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// A sweep.

/// One row of a sweep's `runs.csv`.
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// The design point.
    pub point: u64,
    /// The replicate.
    pub replicate: u32,
    /// Whether it completed.
    pub ok: bool,
    /// The factors' values, as the sweep file wrote them (a cell's
    /// formula-neutralising `'` removed: [`crate::tables::csv_user_text`]).
    pub factors: Vec<String>,
    /// The outcome columns' values.
    pub outcomes: Vec<Option<f64>>,
}

/// The results of `migflow sweep` or `migflow merge`.
#[derive(Debug, Clone)]
pub struct SweepResults {
    /// The directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: SweepManifest,
    /// The base scenario (from the manifest).
    pub base: Scenario,
    /// The factor paths.
    pub factors: Vec<String>,
    /// The outcome columns of `runs.csv` (after the factors).
    pub outcome_names: Vec<String>,
    /// The rows of `runs.csv`.
    pub runs: Vec<SweepRun>,
    /// The design points of `points.csv`: (point, factor values).
    pub points: Vec<(u64, Vec<String>)>,
    /// From `points_summary.csv` when present: (point, year, metric) →
    /// estimate, for the group `all`.
    pub point_summary: Option<BTreeMap<(u64, i32, usize), Estimate>>,
    /// The years of `points_summary.csv`.
    pub years: Vec<i32>,
    /// What was absent.
    pub notes: Vec<String>,
}

const SWEEP_FILES: &str = "a results directory of `migflow sweep` holds manifest.json, runs.csv, trajectories.csv and points.csv";

impl SweepResults {
    /// Read a sweep's directory.
    pub fn read(dir: &Path) -> Result<SweepResults> {
        let manifest_path = dir.join("manifest.json");
        let manifest: SweepManifest = crate::manifest::read_sweep_manifest_at(&manifest_path)?;
        let base = params::parse(&manifest.base_scenario_toml, &manifest_path)?;
        let factors = manifest.factors.clone();
        let mut notes = Vec::new();
        let [
            runs_path,
            trajectories_path,
            points_path,
            points_summary_path,
        ] = [
            "runs.csv",
            "trajectories.csv",
            "points.csv",
            "points_summary.csv",
        ]
        .map(|name| table_file(dir, &manifest.files, name));

        // runs.csv
        let path = runs_path?;
        let mut csv = open_csv(&path, SWEEP_FILES)?;
        let key = csv.columns(&["run_id", "point_id", "replicate", "status"])?;
        let fcols = csv.columns(&factors.iter().map(String::as_str).collect::<Vec<_>>())?;
        let first_outcome = fcols.iter().chain(&key).max().copied().unwrap_or(0) + 1;
        let outcome_names: Vec<String> = csv.header()[first_outcome..].to_vec();
        if outcome_names.is_empty() {
            return Err(Error::Input {
                path,
                message:
                    "no outcome columns after the factors (expected e.g. `all_mean_poor_share`)"
                        .into(),
            });
        }
        let mut runs = Vec::new();
        csv.for_each(|c| {
            let point: u64 = c.int(key[1], "a point number")?;
            let replicate: u32 = c.int(key[2], "a replicate number")?;
            let ok = c.str(key[3])? == "ok";
            let factors = fcols
                .iter()
                .map(|&f| {
                    c.str(f)
                        .map(|v| crate::tables::user_text_from_csv(v).to_string())
                })
                .collect::<Result<Vec<_>>>()?;
            let outcomes = if ok {
                (first_outcome..first_outcome + outcome_names.len())
                    .map(|k| c.opt_f64(k))
                    .collect::<Result<Vec<_>>>()?
            } else {
                vec![None; outcome_names.len()]
            };
            runs.push(SweepRun {
                point,
                replicate,
                ok,
                factors,
                outcomes,
            });
            Ok(())
        })?;
        if !runs.iter().any(|r| r.ok) {
            return Err(Error::Input {
                path,
                message: "no completed run (status `ok`): nothing to chart".into(),
            });
        }

        // trajectories.csv: checked, not loaded (points_summary.csv has its
        // means).
        let path = trajectories_path?;
        let csv = open_csv(&path, SWEEP_FILES)?;
        csv.columns(&["run_id", "point_id", "replicate", "year", "livelihood"])?;
        csv.columns(&factors.iter().map(String::as_str).collect::<Vec<_>>())?;
        csv.columns(&SUMMARY_METRICS)?;

        // points.csv
        let path = points_path?;
        let mut csv = open_csv(&path, SWEEP_FILES)?;
        let pid = csv.column("point_id")?;
        let fcols = csv.columns(&factors.iter().map(String::as_str).collect::<Vec<_>>())?;
        let mut points = Vec::new();
        csv.for_each(|c| {
            let p: u64 = c.int(pid, "a point number")?;
            let values = fcols
                .iter()
                .map(|&f| {
                    c.str(f)
                        .map(|v| crate::tables::user_text_from_csv(v).to_string())
                })
                .collect::<Result<Vec<_>>>()?;
            points.push((p, values));
            Ok(())
        })?;

        // points_summary.csv (a whole sweep; a shard has none)
        let path = points_summary_path?;
        let mut years = Vec::new();
        let point_summary = if path.exists() {
            let mut csv = open_csv(&path, SWEEP_FILES)?;
            let cols = csv.columns(&[
                "point_id",
                "year",
                "livelihood",
                "metric",
                "mean",
                "ci95_low",
                "ci95_high",
                "n",
            ])?;
            let mut map = BTreeMap::new();
            csv.for_each(|c| {
                if c.group(cols[2])? != ALL_GROUP {
                    return Ok(());
                }
                let Some(m) = metric_index(c.str(cols[3])?) else {
                    return Ok(());
                };
                let p: u64 = c.int(cols[0], "a point number")?;
                let y: i32 = c.int(cols[1], "a year")?;
                if !years.contains(&y) {
                    years.push(y);
                }
                let est = Estimate {
                    mean: c.opt_f64(cols[4])?,
                    ci: c.opt_f64(cols[5])?.zip(c.opt_f64(cols[6])?),
                    n: c.int(cols[7], "a count of replicates")?,
                };
                map.insert((p, y, m), est);
                Ok(())
            })?;
            years.sort_unstable();
            Some(map)
        } else {
            notes.push(format!(
                "trajectories by design point skipped: {} is absent (a shard has none; `migflow merge` writes it)",
                path.display()
            ));
            None
        };

        Ok(SweepResults {
            dir: dir.to_path_buf(),
            manifest,
            base,
            factors,
            outcome_names,
            runs,
            points,
            point_summary,
            years,
            notes,
        })
    }

    /// The column index of an outcome, or an error listing them.
    pub fn outcome(&self, name: &str) -> Result<usize> {
        self.outcome_names
            .iter()
            .position(|o| o == name)
            .ok_or_else(|| Error::Input {
                path: self.dir.join("runs.csv"),
                message: format!(
                    "no outcome column `{name}` (choose one of: {})",
                    self.outcome_names.join(", ")
                ),
            })
    }
}
