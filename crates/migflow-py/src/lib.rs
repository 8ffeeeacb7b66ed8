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
use migflow_experiments::run::{RunOptions, run_to_dir};
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use pyo3::{IntoPyObjectExt, create_exception};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

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
#[pyo3(signature = (scenario, out, replicates=1, seed=None, threads=None, households_out=false, by_site=false, cohort_years=None))]
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
) -> PyResult<()> {
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
    if let Some(n) = threads {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let most = cores.saturating_mul(THREADS_PER_CORE);
        if !(1..=most).contains(&n) {
            return Err(InputError::new_err(format!(
                "threads={n}: expected a whole number from 1 to {most} ({THREADS_PER_CORE} × the \
                 {cores} cores this process may use); results do not depend on it"
            )));
        }
    }
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
    command.push(format!("--out={}", out.display()));
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
        cancel: Default::default(),
    };
    py.detach(|| run_to_dir(&opts, &|| {}))
        .map(drop)
        .map_err(input_error)
}

/// Check that `dir` is a complete migflow results directory whose files
/// match its manifest (`migflow_io::results::Results::read`); raises
/// `ResultsError` naming what is wrong.
#[pyfunction]
fn verify(py: Python<'_>, dir: PathBuf) -> PyResult<()> {
    py.detach(|| migflow_io::results::Results::read(&dir, None))
        .map(drop)
        .map_err(|e| ResultsError::new_err(e.to_string()))
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
    m.add_function(wrap_pyfunction!(default_scenario_toml, m)?)?;
    Ok(())
}
