//! `migflow._migflow`: the compiled half of the `migflow` Python package.
//!
//! A thin edge over the library crates, as the CLI is: scenarios are
//! validated by `migflow-core` at the door, runs go through the same
//! [`migflow_experiments::run::run_to_dir`] as `migflow run` (so the files
//! are byte-identical to the CLI's), and results are checked by
//! [`migflow_io::results::Results::read`]. Library errors become the
//! `migflow.Error` hierarchy with the library's message. The pure-Python
//! package (`python/migflow/`) wraps this module and reads the CSV files
//! into Arrow tables.

use migflow_core::params::{self, Params, path};
use migflow_core::run::Cancel;
use migflow_experiments::execute::{self, SweepOptions};
use migflow_experiments::run::{RunOptions, run_to_dir};
use migflow_experiments::sweep::SweepPlan;
use migflow_io::TableFormat;
use pyo3::exceptions::{PyException, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::{IntoPyObjectExt, create_exception};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

create_exception!(
    migflow,
    Error,
    PyException,
    "The base of every error migflow raises; its message is the library's (the file, the key or row, the value, and what was expected)."
);
create_exception!(
    migflow,
    ScenarioError,
    Error,
    "A scenario that does not parse or validate, or a key or value that `Scenario.set` refuses."
);
create_exception!(
    migflow,
    InputError,
    Error,
    "An input that cannot be used: an unreadable file, a bad population row, a run option out of range, or an output directory the run may not write."
);
create_exception!(
    migflow,
    ResultsError,
    Error,
    "A directory that is not a complete, unchanged migflow results directory."
);

/// Most worker threads per core, as the CLI's `--threads` allows.
const THREADS_PER_CORE: usize = 4;

/// A library error as a Python exception of the matching class.
fn input_error(err: migflow_io::Error) -> PyErr {
    use migflow_core::Error as Core;
    match &err {
        migflow_io::Error::Core(Core::Parse { .. } | Core::Invalid { .. }) => {
            ScenarioError::new_err(err.to_string())
        }
        _ => InputError::new_err(err.to_string()),
    }
}

fn core_error(err: migflow_core::Error) -> PyErr {
    input_error(migflow_io::Error::Core(err))
}

/// What errors call a scenario given as text.
const TEXT_NAME: &str = "<TOML text>";

/// A scenario from TOML text, named [`TEXT_NAME`] in errors (not as the
/// built-in default, which `params::from_toml` names a source-less one).
fn from_text(text: &str) -> PyResult<Params> {
    let name = Path::new(TEXT_NAME);
    let scenario = params::parse(text, name).map_err(core_error)?;
    Params::checked(scenario, None).map_err(|problems| {
        core_error(migflow_core::Error::Invalid {
            path: name.to_path_buf(),
            problems,
        })
    })
}

/// A TOML value as the Python value it reads as.
fn to_python(py: Python<'_>, value: &toml::Value) -> PyResult<Py<PyAny>> {
    match value {
        toml::Value::Float(f) => f.into_py_any(py),
        toml::Value::Integer(i) => i.into_py_any(py),
        toml::Value::Boolean(b) => b.into_py_any(py),
        toml::Value::String(s) => s.into_py_any(py),
        other => other.to_string().into_py_any(py),
    }
}

/// A Python value as the TOML value a key may be set to.
fn to_toml_value(value: &Bound<'_, PyAny>) -> PyResult<toml::Value> {
    // `bool` is a subclass of `int`: test it first.
    if value.is_instance_of::<PyBool>() {
        Ok(toml::Value::Boolean(value.extract()?))
    } else if value.is_instance_of::<PyInt>() {
        Ok(toml::Value::Integer(value.extract()?))
    } else if value.is_instance_of::<PyFloat>() {
        Ok(toml::Value::Float(value.extract()?))
    } else if value.is_instance_of::<PyString>() {
        Ok(toml::Value::String(value.extract()?))
    } else {
        Err(PyTypeError::new_err(format!(
            "expected a float, int, bool or str value, found {}",
            value.get_type().name()?
        )))
    }
}

/// Problems of a validation, joined as the CLI's `--set` joins them.
fn problems_text(problems: &[migflow_core::error::Problem]) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A validated migflow scenario: the TOML schema of `scenarios/t_county.toml`.
///
/// Make one with `Scenario.default()` (the built-in T County scenario) or
/// `Scenario.from_toml(path_or_text)`; read and change keys by the dotted
/// paths of sweeps (`levers.workshops.workshop_jobs_share`,
/// `events.0.job_loss_factor`) with `get` and `set`; write it back with
/// `to_toml`. Every change is validated at once.
#[pyclass(module = "migflow")]
struct Scenario {
    params: Params,
}

#[pymethods]
impl Scenario {
    /// The built-in default scenario (T County), as `migflow run` runs
    /// without a scenario file.
    #[staticmethod]
    fn default() -> Scenario {
        Scenario {
            params: Params::default(),
        }
    }

    /// A scenario from a TOML file (when `source` names a file that exists)
    /// or from TOML text. A relative population file resolves against the
    /// file's directory (the working directory for text). Raises
    /// `ScenarioError` for a scenario that does not parse or validate, and
    /// `InputError` for a file that cannot be read.
    #[staticmethod]
    fn from_toml(source: &Bound<'_, PyAny>) -> PyResult<Scenario> {
        let params = if let Ok(text) = source.extract::<String>() {
            if Path::new(&text).is_file() {
                migflow_io::files::load_scenario(Path::new(&text)).map_err(input_error)?
            } else {
                from_text(&text)?
            }
        } else {
            let path: PathBuf = source.extract()?;
            migflow_io::files::load_scenario(&path).map_err(input_error)?
        };
        Ok(Scenario { params })
    }

    /// The value of the key at a dotted `path` (a float, int, bool or str).
    /// Raises `ScenarioError` for an unknown key (naming the closest) or a
    /// key that holds a table or array.
    fn get(&self, py: Python<'_>, path: &str) -> PyResult<Py<PyAny>> {
        let value = path::get(self.params.scenario(), path)
            .map_err(|e| ScenarioError::new_err(format!("`{path}`: {e}")))?;
        to_python(py, &value)
    }

    /// Set the key at a dotted `path` to `value`, as the CLI's
    /// `--set PATH=VALUE` does: the value is converted to the key's kind
    /// (an int for a float key; an integral float for an int key) and the
    /// whole scenario is validated at once. Raises `ScenarioError` naming
    /// the key, the value and what was expected; the scenario is then
    /// unchanged.
    fn set(&mut self, path: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = to_toml_value(value)?;
        let text = format!("{path}={value}");
        let scenario = path::with_values(self.params.scenario(), &[(path, &value)])
            .map_err(|(key, e)| ScenarioError::new_err(format!("{text}: `{key}`: {e}")))?;
        let source = self.params.source().map(Path::to_path_buf);
        self.params = Params::checked(scenario, source).map_err(|problems| {
            ScenarioError::new_err(format!("{text}: {}", problems_text(&problems)))
        })?;
        Ok(())
    }

    /// The scenario as TOML text with every key (the form a run's manifest
    /// records); `Scenario.from_toml` reads it back.
    fn to_toml(&self) -> PyResult<String> {
        params::to_toml(self.params.scenario()).map_err(core_error)
    }

    /// Every addressable dotted path of the scenario, in file order.
    fn paths(&self) -> Vec<String> {
        path::leaf_paths(self.params.scenario())
    }

    /// The file the scenario was read from, or None (the built-in default or
    /// TOML text).
    #[getter]
    fn source(&self) -> Option<PathBuf> {
        self.params.source().map(Path::to_path_buf)
    }

    /// Warnings about what the scenario holds that cannot act (as
    /// `migflow run` prints them).
    fn warnings(&self) -> Vec<String> {
        self.params.warnings()
    }

    fn __repr__(&self) -> String {
        let s = self.params.scenario();
        format!(
            "Scenario(source={:?}, households={}, years={} from {}, seed={})",
            self.params.source_name().display().to_string(),
            s.population.households,
            s.run.years,
            s.run.start_year,
            s.run.seed
        )
    }
}

/// Run `scenario` into the directory `out`, as `migflow run` does (the same
/// files, byte for byte), with the GIL released. `seed` defaults to the
/// scenario's; `threads` of None uses every core (results do not depend on
/// it). The `migflow.run` wrapper reads the results.
#[pyfunction]
#[pyo3(signature = (scenario, out, replicates=1, seed=None, threads=None, households_out=false, by_site=false, cohort_years=None, format="csv"))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    scenario: PyRef<'_, Scenario>,
    out: PathBuf,
    replicates: u32,
    seed: Option<u64>,
    threads: Option<usize>,
    households_out: bool,
    by_site: bool,
    cohort_years: Option<Vec<i32>>,
    format: &str,
) -> PyResult<()> {
    let format = table_format(format)?;
    let loaded = scenario.params.clone();
    drop(scenario);
    let most = params::validate::MAX_REPLICATES;
    if !(1..=most).contains(&replicates) {
        return Err(InputError::new_err(format!(
            "replicates={replicates}: expected an integer from 1 to {most}"
        )));
    }
    let seed = seed.unwrap_or(loaded.scenario().run.seed);
    let most_seed = params::validate::MAX_SEED;
    if seed > most_seed {
        return Err(InputError::new_err(format!(
            "seed={seed}: expected a whole number from 0 to {most_seed} (the largest seed a manifest can store and rerun)"
        )));
    }
    check_threads(threads)?;
    let mut command = vec![
        "migflow.run".to_string(),
        loaded.source_name().display().to_string(),
        format!("--seed={seed}"),
        format!("--replicates={replicates}"),
    ];
    if let Some(n) = threads {
        command.push(format!("--threads={n}"));
    }
    if households_out {
        command.push("--households-out".into());
    }
    if by_site {
        command.push("--by-site".into());
    }
    if format != TableFormat::Csv {
        command.push(format!("--format={format}"));
    }
    command.push(format!("--out={}", out.display()));
    let cancel = Cancel::new();
    let opts = RunOptions {
        loaded,
        seed,
        replicates,
        threads: threads.unwrap_or(0),
        out,
        households_out,
        cohort_years,
        by_site,
        command,
        force: false,
        population_sha256: None,
        cancel: cancel.clone(),
        format,
    };
    interruptible(py, &cancel, || run_to_dir(&opts, &|| {}), |_| Ok(()))?
        .map(drop)
        .map_err(input_error)
}

/// How often the calling thread wakes while the library works: to let
/// Ctrl-C through (`check_signals`) and to redraw the progress.
const POLL: Duration = Duration::from_millis(100);

/// Run `work` on a worker thread with the GIL released, waking every
/// [`POLL`] to check for signals (Ctrl-C) and to call `poll` (progress).
/// When either raises, `cancel` is requested, the worker is waited for
/// (the library then leaves what its `Interrupted` error says: nothing of
/// a run, the finished runs of a sweep) and that exception is raised: the
/// real `KeyboardInterrupt` for Ctrl-C.
fn interruptible<T: Send>(
    py: Python<'_>,
    cancel: &Cancel,
    work: impl FnOnce() -> T + Send,
    mut poll: impl FnMut(Python<'_>) -> PyResult<()>,
) -> PyResult<T> {
    std::thread::scope(|scope| {
        let (tx, mut rx) = mpsc::channel();
        let worker = scope.spawn(move || {
            // Sending fails only when the caller has stopped waiting.
            let _ = tx.send(work());
        });
        loop {
            // The receiver moves into the GIL-free closure and back: a
            // `Receiver` is `Send` but not `Sync`.
            let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
            rx = back;
            match got {
                Ok(value) => {
                    let _ = py.detach(move || worker.join());
                    poll(py)?;
                    return Ok(value);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // The worker ended without a result: it panicked.
                    let _ = py.detach(move || worker.join());
                    return Err(PyRuntimeError::new_err(
                        "the migflow worker thread stopped without a result (a bug: please report it)",
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Err(e) = py.check_signals().and_then(|()| poll(py)) {
                cancel.request();
                let _ = py.detach(move || worker.join());
                return Err(e);
            }
        }
    })
}

/// Check `threads` as the CLI's `--threads` does: from 1 to
/// [`THREADS_PER_CORE`] × the cores this process may use.
fn check_threads(threads: Option<usize>) -> PyResult<usize> {
    let Some(n) = threads else { return Ok(0) };
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let most = cores.saturating_mul(THREADS_PER_CORE);
    if !(1..=most).contains(&n) {
        return Err(InputError::new_err(format!(
            "threads={n}: expected a whole number from 1 to {most} ({THREADS_PER_CORE} × the \
             {cores} cores this process may use); results do not depend on it"
        )));
    }
    Ok(n)
}

/// A progress counter shared by the library's callbacks (on its worker
/// threads) and the polling loop: `done` of `total`.
#[derive(Default)]
struct Counter {
    done: AtomicU64,
    total: AtomicU64,
}

impl Counter {
    /// The library's `started(done, total)`: where a resumed work begins.
    fn start(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    /// The library's `progress()`: one more finished.
    fn tick(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Call the Python `progress(done, total)` callback, if any, when the
    /// count has changed since it was last called (`shown`).
    fn report(
        &self,
        py: Python<'_>,
        progress: Option<&Py<PyAny>>,
        shown: &mut Option<(u64, u64)>,
    ) -> PyResult<()> {
        let Some(f) = progress else { return Ok(()) };
        let now = (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        );
        if now.1 > 0 && *shown != Some(now) {
            *shown = Some(now);
            f.call1(py, now)?;
        }
        Ok(())
    }
}

/// A library error of reading or analysing results as the matching class:
/// files that changed or are damaged are `ResultsError`, the rest (an
/// unreadable or unsuitable input, an option out of range, an output that
/// may not be written) `InputError`.
fn analysis_error(err: migflow_io::Error) -> PyErr {
    use migflow_io::Error as E;
    match &err {
        E::Changed { .. } | E::Damaged { .. } => ResultsError::new_err(err.to_string()),
        _ => input_error(err),
    }
}

/// What the sweep TOML given as text or a dict is named in errors; its
/// relative paths resolve against the working directory.
const SWEEP_TEXT_NAME: &str = "<sweep TOML>";

/// A Python value (a dict of dicts, lists and scalars, paths as text) as a
/// TOML value; `at` names where it is, for errors.
fn to_toml_any(value: &Bound<'_, PyAny>, at: &str) -> PyResult<toml::Value> {
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut table = toml::Table::new();
        for (k, v) in dict.iter() {
            let key: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "{at}: expected str keys, found {}",
                    k.repr().map_or_else(|_| "?".into(), |r| r.to_string())
                ))
            })?;
            let inner = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            table.insert(key, to_toml_any(&v, &inner)?);
        }
        return Ok(toml::Value::Table(table));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in value.try_iter()?.enumerate() {
            items.push(to_toml_any(&item?, &format!("{at}[{i}]"))?);
        }
        return Ok(toml::Value::Array(items));
    }
    if let Ok(v) = to_toml_value(value) {
        return Ok(v);
    }
    if let Ok(path) = value.extract::<PathBuf>() {
        return Ok(toml::Value::String(path.display().to_string()));
    }
    Err(PyTypeError::new_err(format!(
        "{at}: expected a dict, list, float, int, bool, str or path, found {}",
        value.get_type().name()?
    )))
}

/// A sweep plan from a path to a sweep TOML file, its text, or a dict.
fn sweep_plan(sweep: &Bound<'_, PyAny>) -> PyResult<SweepPlan> {
    let text_plan =
        |text: &str| SweepPlan::from_text(text, Path::new(SWEEP_TEXT_NAME)).map_err(input_error);
    if sweep.is_instance_of::<PyDict>() {
        let toml::Value::Table(table) = to_toml_any(sweep, "")? else {
            return Err(PyTypeError::new_err("sweep: expected a dict"));
        };
        let text = toml::to_string(&table).map_err(|e| {
            InputError::new_err(format!("sweep: cannot write the dict as TOML: {e}"))
        })?;
        return text_plan(&text);
    }
    if let Ok(text) = sweep.extract::<String>() {
        if Path::new(&text).is_file() {
            return SweepPlan::load(Path::new(&text)).map_err(input_error);
        }
        return text_plan(&text);
    }
    let path: PathBuf = sweep.extract()?;
    SweepPlan::load(&path).map_err(input_error)
}

/// Run the sweep (a sweep TOML file's path, its text, or a dict) into
/// `out`, as `migflow sweep` does, with the same files byte for byte:
/// every run streamed to disk, finished runs committed so that
/// `resume=True` finishes an interrupted sweep. `progress(done, total)` is
/// called from the waiting loop when the count of finished runs changes.
/// Ctrl-C stops it with `KeyboardInterrupt`, keeping the finished runs.
/// Returns `(completed, failed, executed, timing_error)`.
#[pyfunction]
#[pyo3(signature = (sweep, out, resume=false, threads=None, progress=None, format="csv"))]
fn sweep(
    py: Python<'_>,
    sweep: &Bound<'_, PyAny>,
    out: PathBuf,
    resume: bool,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
    format: &str,
) -> PyResult<(u64, u64, u64, Option<String>)> {
    // The options first, as the CLI parses its flags before reading files.
    let threads = check_threads(threads)?;
    let format = table_format(format)?;
    let plan = sweep_plan(sweep)?;
    let cancel = Cancel::new();
    let opts = SweepOptions {
        out,
        resume,
        shard: None,
        threads,
        cancel: cancel.clone(),
        format,
    };
    let counter = Counter::default();
    counter.start(0, plan.runs());
    let mut shown = None;
    let report = interruptible(
        py,
        &cancel,
        || {
            execute::run_sweep(
                &plan,
                &opts,
                &|done, total| counter.start(done, total),
                &|| counter.tick(),
            )
        },
        |py| counter.report(py, progress.as_ref(), &mut shown),
    )?
    .map_err(input_error)?;
    let m = &report.manifest;
    Ok((
        m.completed,
        m.failed,
        report.executed,
        report.timing_error.as_ref().map(|e| e.to_string()),
    ))
}

/// Fit a calibration file's free parameters to its targets into `out`, as
/// `migflow calibrate` does (`method` is `"rejection"` or `"smc"`).
/// `progress(done, total)` counts samples. Returns the warnings the CLI
/// prints: targets out of range, unreachable targets, kernel fallbacks.
#[pyfunction]
#[pyo3(signature = (calibration, out, samples=1000, method="rejection", accept=0.1, generations=4, resume=false, threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn calibrate(
    py: Python<'_>,
    calibration: PathBuf,
    out: PathBuf,
    samples: u64,
    method: &str,
    accept: f64,
    generations: u32,
    resume: bool,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Vec<String>> {
    use migflow_analysis::calibrate::{self as calib, CalibrateOptions, CalibrationPlan, Method};
    let method = match method {
        "rejection" => Method::Rejection,
        "smc" => Method::Smc,
        other => {
            return Err(InputError::new_err(format!(
                "method={other:?}: expected \"rejection\" or \"smc\""
            )));
        }
    };
    let plan = CalibrationPlan::load(&calibration).map_err(input_error)?;
    let opts = CalibrateOptions {
        out,
        method,
        samples,
        accept,
        generations,
        resume,
        threads: check_threads(threads)?,
    };
    let mut warnings: Vec<String> = plan
        .targets
        .iter()
        .filter_map(|t| {
            t.range_warning
                .as_ref()
                .map(|w| format!("target {} ({}): {w}", t.label(), t.origin))
        })
        .collect();
    let counter = Counter::default();
    counter.start(0, samples);
    let mut shown = None;
    // A calibration cannot be stopped part-way: Ctrl-C waits for its end
    // (its samples are committed as they finish, so a killed one resumes).
    let report = interruptible(
        py,
        &Cancel::new(),
        || {
            calib::calibrate(
                &plan,
                &opts,
                &|done, total| counter.start(done, total),
                &|| counter.tick(),
            )
        },
        |py| counter.report(py, progress.as_ref(), &mut shown),
    );
    let report = report?.map_err(input_error)?;
    for f in report.fit.iter().filter(|f| !f.warning.is_empty()) {
        warnings.push(format!("target {}: {}", f.label, f.warning));
    }
    let fallbacks = report.manifest.kernel_fallbacks();
    if fallbacks > 0 {
        warnings.push(calib::fallback_warning(fallbacks));
    }
    Ok(warnings)
}

/// The global sensitivity of the sweep in `sweep_dir` (`migflow
/// sensitivity`), written into `out` (default `SWEEP_DIR/sensitivity`).
/// Returns `(out, summary, notes)`: the directory written, the text the
/// CLI prints, and its notes.
#[pyfunction]
#[pyo3(signature = (sweep_dir, out=None, metrics=Vec::new(), year=None, bootstrap=migflow_analysis::sensitivity::DEFAULT_BOOTSTRAP))]
fn sensitivity(
    py: Python<'_>,
    sweep_dir: PathBuf,
    out: Option<PathBuf>,
    metrics: Vec<String>,
    year: Option<i32>,
    bootstrap: usize,
) -> PyResult<(PathBuf, String, Vec<String>)> {
    use migflow_analysis::sensitivity as sa;
    let opts = sa::Options {
        metrics,
        year,
        bootstrap,
    };
    let done = py
        .detach(|| migflow_report::analyses::sensitivity(&sweep_dir, &opts, out.as_deref()))
        .map_err(analysis_error)?;
    Ok((done.out, sa::summary(&done.analysis), done.notes))
}

/// Scenario discovery on the sweep in `sweep_dir` (`migflow discover`):
/// which factor combinations lead to the runs whose `outcome` meets
/// `where` (e.g. `"> 0.05"`), by PRIM or CART, written into `out`
/// (default `SWEEP_DIR/discover`). Returns `(out, summary, notes)`.
#[pyfunction]
#[pyo3(signature = (sweep_dir, outcome, r#where, policy=None, method="prim", alpha=0.05, box_index=None, threshold=0.8, min_mass=0.05, max_depth=3, out=None))]
#[allow(clippy::too_many_arguments)]
fn discover(
    py: Python<'_>,
    sweep_dir: PathBuf,
    outcome: String,
    r#where: &str,
    policy: Option<String>,
    method: &str,
    alpha: f64,
    box_index: Option<usize>,
    threshold: f64,
    min_mass: f64,
    max_depth: usize,
    out: Option<PathBuf>,
) -> PyResult<(PathBuf, String, Vec<String>)> {
    use migflow_analysis::discover as sd;
    let condition = sd::Condition::parse(r#where)
        .map_err(|m| InputError::new_err(format!("where={where:?}: {m}")))?;
    let method: sd::Method = method
        .parse()
        .map_err(|m| InputError::new_err(format!("method: {m}")))?;
    let opts = sd::Options {
        outcome,
        condition,
        policy,
        method,
        prim: sd::PrimOptions {
            peel_alpha: alpha,
            mass_min: min_mass,
            threshold,
            ..sd::PrimOptions::default()
        },
        box_index,
        max_depth,
    };
    let done = py
        .detach(|| migflow_report::analyses::discover(&sweep_dir, &opts, out.as_deref()))
        .map_err(analysis_error)?;
    Ok((done.out, sd::summary(&done.analysis), done.notes))
}

/// The robustness of the policies of the sweep in `sweep_dir` for
/// `outcome` (`migflow robust`), written into `out` (default
/// `SWEEP_DIR/robust`). Returns `(out, summary, notes)`.
#[pyfunction]
#[pyo3(signature = (sweep_dir, outcome, threshold=None, maximise=false, out=None))]
fn robust(
    py: Python<'_>,
    sweep_dir: PathBuf,
    outcome: String,
    threshold: Option<f64>,
    maximise: bool,
    out: Option<PathBuf>,
) -> PyResult<(PathBuf, String, Vec<String>)> {
    use migflow_analysis::robust as rb;
    let opts = rb::Options {
        direction: if maximise {
            rb::Direction::Maximise
        } else {
            rb::Direction::Minimise
        },
        threshold,
    };
    let done = py
        .detach(|| migflow_report::analyses::robust(&sweep_dir, &outcome, &opts, out.as_deref()))
        .map_err(|e| match e {
            rb::RobustError::Io(e) => analysis_error(e),
            other => InputError::new_err(other.to_string()),
        })?;
    Ok((done.out, rb::summary(&done.analysis), done.notes))
}

/// Compare policy runs with a base run, paired replicate by replicate
/// (`migflow compare`), written into `out`. Returns `(names, notes)`.
#[pyfunction]
#[pyo3(signature = (base, policies, out, window=None, cohort_year=None, names=Vec::new(), png=false))]
#[allow(clippy::too_many_arguments)]
fn compare(
    py: Python<'_>,
    base: PathBuf,
    policies: Vec<PathBuf>,
    out: PathBuf,
    window: Option<String>,
    cohort_year: Option<i32>,
    names: Vec<String>,
    png: bool,
) -> PyResult<(Vec<String>, Vec<String>)> {
    use migflow_report::compare::{self as cmp, CompareError, CompareOptions};
    if policies.is_empty() {
        return Err(InputError::new_err(
            "policy_dirs: expected at least one policy run's results directory",
        ));
    }
    let mut command = vec!["migflow.compare".to_string(), base.display().to_string()];
    command.extend(policies.iter().map(|p| p.display().to_string()));
    command.push(format!("--out={}", out.display()));
    let opts = CompareOptions {
        base,
        policies,
        out,
        window,
        cohort_year,
        names,
        png,
        command,
    };
    let done = py.detach(|| cmp::compare(&opts)).map_err(|e| match e {
        CompareError::Io(e) => analysis_error(e),
        other => InputError::new_err(other.to_string()),
    })?;
    Ok((done.names, done.notes))
}

/// Check that `dir` is a complete migflow results directory whose files
/// match its manifest (`migflow_io::results::Results::read`, and the
/// SHA-256 of every file the manifest lists); returns `"run"` or
/// `"sweep"`. Raises `ResultsError` naming what is wrong.
#[pyfunction]
fn verify(py: Python<'_>, dir: PathBuf) -> PyResult<&'static str> {
    use migflow_io::results::Results;
    py.detach(|| {
        let (kind, files) = match Results::read(&dir, None)? {
            Results::Run(r) => ("run", r.manifest.files),
            Results::Sweep(s) => ("sweep", s.manifest.files),
        };
        for f in &files {
            migflow_io::manifest::verify_file(&dir, &files, &f.name)?;
        }
        Ok(kind)
    })
    .map_err(|e: migflow_io::Error| ResultsError::new_err(e.to_string()))
}
/// `format=` as a [`TableFormat`], or `InputError` naming it.
fn table_format(format: &str) -> PyResult<TableFormat> {
    format
        .parse()
        .map_err(|e: String| InputError::new_err(format!("format={e}")))
}

/// Write the run in `src` into `dst` with its tables in `format` (`"csv"`
/// or `"parquet"`): the files `migflow run --format FORMAT` writes for the
/// same run, and its manifest with the new files' SHA-256.
#[pyfunction]
fn save_as(py: Python<'_>, src: PathBuf, dst: PathBuf, format: &str) -> PyResult<()> {
    let format = table_format(format)?;
    py.detach(|| migflow_experiments::run::save_run_as(&src, &dst, format, false))
        .map(drop)
        .map_err(input_error)
}

/// The scenario TOML of the built-in default, with every key commented.
#[pyfunction]
fn default_scenario_toml() -> &'static str {
    params::DEFAULT_SCENARIO_TOML
}

/// The compiled half of the `migflow` package; use `migflow` itself.
#[pymodule]
fn _migflow(m: &Bound<'_, PyModule>) -> PyResult<()> {
    migflow_io::manifest::set_program_commit(env!("MIGFLOW_GIT_COMMIT"));
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ResultsError", py.get_type::<ResultsError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Scenario>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(save_as, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    m.add_function(wrap_pyfunction!(robust, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(default_scenario_toml, m)?)?;
    Ok(())
}
