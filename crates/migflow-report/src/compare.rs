//! Policies against one base run (`migflow compare`): paired differences
//! per year and cohort, effects over a window with their 95 % CIs, what
//! the effects cost, charts, and a manifest naming the inputs by SHA-256,
//! all committed together. Here rather than in `migflow-analysis` because
//! it draws; the command line and the Python package both call
//! [`compare`].

use std::path::{Path, PathBuf};

use migflow_analysis::effects::{self, Window};
use migflow_io::manifest::sha256_hex;
use migflow_io::results::{self, Results, RunResults};

/// Why a comparison could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// The results could not be read or written, or are not comparable.
    #[error(transparent)]
    Io(#[from] migflow_io::Error),
    /// An input or option that cannot be used (the message names it).
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, CompareError>;

/// What to compare and where to write it.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The base run's results directory.
    pub base: PathBuf,
    /// The policy runs' results directories.
    pub policies: Vec<PathBuf>,
    /// The output directory.
    pub out: PathBuf,
    /// The years the effects average over, as `2021-2025` or one year
    /// (default: every year of the runs).
    pub window: Option<String>,
    /// Also the effects on the cohorts of this year.
    pub cohort_year: Option<i32>,
    /// The policies' names, in order (empty: their scenario files' names,
    /// see [`crate::build::policy_names`]).
    pub names: Vec<String>,
    /// Also write each chart as PNG.
    pub png: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
}

/// What a comparison wrote.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The policies' names, in order.
    pub names: Vec<String>,
    /// The window of the effects.
    pub window: Window,
    /// Every file written, `manifest.json` included.
    pub written: Vec<PathBuf>,
    /// Notes: empty tables and charts not drawn.
    pub notes: Vec<String>,
}

fn read_run(dir: &Path) -> Result<Box<RunResults>> {
    match Results::read(dir, None)? {
        Results::Run(r) => Ok(r),
        Results::Sweep(_) => Err(CompareError::Invalid(format!(
            "{}: is a sweep; `migflow compare` takes the results of `migflow run`s (for a sweep of policies, see `migflow robust`)",
            dir.display()
        ))),
    }
}

/// The policies' names: `names` in order, else as the report names them
/// ([`crate::build::policy_names`]: their scenario files' names, else
/// their directories').
fn policy_names(names: &[String], runs: &[Box<RunResults>]) -> Result<Vec<String>> {
    let bad = |m: String| Err(CompareError::Invalid(m));
    if !names.is_empty() {
        if names.len() != runs.len() {
            return bad(format!(
                "--name: {} name(s) for {} policies: give one --name per policy, in order, or none",
                names.len(),
                runs.len()
            ));
        }
        for (i, name) in names.iter().enumerate() {
            if name.trim().is_empty() || name.contains([',', '"', '\n']) {
                return bad(format!(
                    "--name {name:?}: expected a name without commas, quotes or line breaks"
                ));
            }
            if names[..i].contains(name) {
                return bad(format!(
                    "--name {name:?}: given twice; each policy needs its own name"
                ));
            }
        }
        return Ok(names.to_vec());
    }
    let refs: Vec<&RunResults> = runs.iter().map(|r| r.as_ref()).collect();
    Ok(crate::build::policy_names(&refs))
}

/// A compared run as the manifest names it: its name, its directory as
/// given, and the SHA-256 of its manifest.json (which holds the SHA-256 of
/// each of its files, checked when they were read).
fn input(name: &str, dir: &Path) -> Result<serde_json::Value> {
    let manifest = dir.join(migflow_io::manifest::MANIFEST);
    let bytes = std::fs::read(&manifest)
        .map_err(|e| CompareError::Invalid(format!("cannot read {}: {e}", manifest.display())))?;
    Ok(serde_json::json!({
        "name": name,
        "path": dir.display().to_string(),
        "manifest_sha256": sha256_hex(&bytes),
    }))
}

/// Each replicate's total lever cost in each year of `run` (`costs.csv`,
/// checked against its manifest), or none for a run made before costs.
pub fn total_costs(run: &RunResults) -> Result<Option<Vec<Vec<f64>>>> {
    use migflow_io::costs::{TOTAL, read_costs};
    const FILE: &str = "costs.csv";
    let Some(table) = read_costs(&run.dir, &run.manifest.files)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(run.replicates);
    for r in 0..run.replicates as u32 {
        let mut years = Vec::with_capacity(run.years.len());
        for &year in &run.years {
            match table.cost(r, None, year, TOTAL, TOTAL) {
                Some(c) => years.push(c),
                None => {
                    return Err(CompareError::Invalid(format!(
                        "{}: {FILE} has no total for replicate {r} in {year}: expected one per replicate and year of trajectories.csv",
                        run.dir.join(FILE).display()
                    )));
                }
            }
        }
        out.push(years);
    }
    Ok(Some(out))
}

/// Compare the policy runs with the base run, paired replicate by
/// replicate, and write `differences.csv`, `cohort_differences.csv`,
/// `effects.csv`, `cost_effectiveness.csv`, the charts and
/// `manifest.json` into `opts.out`, all committed together. Nothing is
/// written when an input cannot be read or compared.
pub fn compare(opts: &CompareOptions) -> Result<Comparison> {
    let base = read_run(&opts.base)?;
    let runs: Vec<Box<RunResults>> = opts
        .policies
        .iter()
        .map(|p| read_run(p))
        .collect::<Result<_>>()?;
    let names = policy_names(&opts.names, &runs)?;
    for run in &runs {
        effects::check_paired(&base, run)?;
    }
    let window = match &opts.window {
        Some(text) => Window::parse(text).map_err(CompareError::Invalid)?,
        None => match (base.years.first(), base.years.last()) {
            (Some(&start), Some(&end)) => Window { start, end },
            _ => {
                return Err(CompareError::Invalid(format!(
                    "{}: the run has no years",
                    opts.base.display()
                )));
            }
        },
    };
    effects::check_window(&base, window)?;
    let mut notes = Vec::new();
    let mut diffs = Vec::with_capacity(runs.len());
    let mut cohort_diffs = Vec::with_capacity(runs.len());
    let mut all_effects = Vec::new();
    for (run, name) in runs.iter().zip(&names) {
        diffs.push(results::differences(&base, run)?);
        let cd = results::cohort_differences(&base, run)?;
        if cd.is_empty() {
            notes.push(format!(
                "cohort_differences.csv has no rows for {name}: the base and {} follow no cohort year in common",
                run.dir.display()
            ));
        }
        cohort_diffs.push(cd);
        all_effects.extend(effects::window_effects(&base, run, name, window));
        if let Some(c) = opts.cohort_year {
            all_effects.extend(effects::cohort_window_effects(&base, run, name, window, c)?);
        }
    }
    // Cost-effectiveness needs every run's costs; it is written (the
    // header alone, with a note) even without, so that no earlier
    // comparison's file is left beside these.
    let mut cost_rows = Vec::new();
    match total_costs(&base)? {
        None => notes.push(format!(
            "cost_effectiveness.csv has no rows: the base {} has no costs.csv (made before migflow counted lever costs)",
            opts.base.display()
        )),
        Some(base_costs) => {
            for (run, name) in runs.iter().zip(&names) {
                match total_costs(run)? {
                    Some(costs) => cost_rows.extend(effects::cost_effectiveness(
                        &base,
                        &base_costs,
                        run,
                        &costs,
                        name,
                        window,
                    )),
                    None => notes.push(format!(
                        "cost_effectiveness.csv has no rows for {name}: {} has no costs.csv",
                        run.dir.display()
                    )),
                }
            }
        }
    }
    let named_diffs: Vec<(&str, &[results::Difference])> = names
        .iter()
        .map(String::as_str)
        .zip(diffs.iter().map(Vec::as_slice))
        .collect();
    let named_cohorts: Vec<(&str, &[results::CohortDifference])> = names
        .iter()
        .map(String::as_str)
        .zip(cohort_diffs.iter().map(Vec::as_slice))
        .collect();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "differences.csv".into(),
            results::differences_csv(&named_diffs).into_bytes(),
        ),
        (
            "cohort_differences.csv".into(),
            results::cohort_differences_csv(&named_cohorts).into_bytes(),
        ),
        (
            "effects.csv".into(),
            effects::effects_csv(&all_effects).into_bytes(),
        ),
        (
            "cost_effectiveness.csv".into(),
            effects::cost_effectiveness_csv(&cost_rows).into_bytes(),
        ),
    ];
    let charted: Vec<(&str, &RunResults, &[results::Difference])> = names
        .iter()
        .zip(&runs)
        .zip(&diffs)
        .map(|((n, r), d)| (n.as_str(), r.as_ref(), d.as_slice()))
        .collect();
    let by_state: Vec<effects::Effect> = all_effects
        .iter()
        .filter(|e| e.cohort_year.is_none())
        .cloned()
        .collect();
    let figures = crate::build::policy_comparison_charts(&base, &charted, &by_state);
    notes.extend(figures.notes.iter().cloned());
    let mut inputs: Vec<PathBuf> = crate::output::recorded_files(&opts.base);
    for p in &opts.policies {
        inputs.extend(crate::output::recorded_files(p));
    }
    let file_entries: Vec<serde_json::Value> = files
        .iter()
        .map(|(name, bytes)| serde_json::json!({"name": name, "sha256": sha256_hex(bytes)}))
        .collect();
    let policies: Vec<serde_json::Value> = names
        .iter()
        .zip(&opts.policies)
        .map(|(n, p)| input(n, p))
        .collect::<Result<_>>()?;
    // Named so that no reader takes it for a run's or a sweep's manifest.
    let manifest = serde_json::json!({
        "migflow_comparison": env!("CARGO_PKG_VERSION"),
        "git_commit": migflow_io::manifest::git_commit(),
        "command": opts.command,
        "base": input("base", &opts.base)?,
        "policies": policies,
        "window": [window.start, window.end],
        "cohort_year": opts.cohort_year,
        "files": file_entries,
    });
    let manifest = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| CompareError::Invalid(format!("cannot write the manifest: {e}")))?;
    files.push((migflow_io::manifest::MANIFEST.into(), manifest));
    let extra: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let written = crate::output::write_figures(
        &opts.out,
        &figures.figures,
        opts.png,
        &extra,
        "a comparison",
        &inputs,
    )?;
    Ok(Comparison {
        names,
        window,
        written,
        notes,
    })
}
