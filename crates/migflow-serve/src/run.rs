//! `POST /api/run`: check the request, run the base and the modified
//! scenario as `migflow run` would, and answer with what the page shows.

use crate::error::ApiError;
use crate::limits::{self, MAX_HOUSEHOLD_YEARS, MAX_HOUSEHOLDS, MAX_REPLICATES, MIN_REPLICATES};
use crate::schema::NOT_SETTABLE;
use crate::state::{KeptRun, State, Ticket};
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use migflow_analysis::effects::Window;
use migflow_core::params::{self, Event, Params, Scenario};
use migflow_core::run::Cancel;
use migflow_experiments::run::{RunOptions, run_to_dir};
use migflow_io::costs::CostTable;
use migflow_io::results::RunResults;
use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// The households of a run by default: the scenario's, at most the cap.
pub fn default_households(s: &Scenario) -> u64 {
    s.population.households.min(MAX_HOUSEHOLDS)
}

/// The request, as the contract has it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    #[serde(default)]
    client: Option<String>,
    #[serde(default)]
    set: Option<Assignments>,
    #[serde(default)]
    events: Option<Vec<Value>>,
    #[serde(default)]
    replicates: Option<u32>,
    #[serde(default)]
    households: Option<u64>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    flows_year: Option<i32>,
}

/// `set`: dotted paths and values, in the order the page wrote them (the
/// assignments are checked in that order, as `--set` arguments are).
#[derive(Debug, Default)]
struct Assignments(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Assignments {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Assignments;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "an object of dotted scenario keys and their values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Assignments, A::Error> {
                let mut out: Vec<(String, Value)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(serde::de::Error::custom(format!("`{k}` is set twice")));
                    }
                    out.push((k, v));
                }
                Ok(Assignments(out))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A JSON value as the TOML value `--set` would parse: integers stay
/// integers (a float key takes them, see [`params::path::coerce`]).
fn json_to_toml(v: &Value) -> Result<toml::Value, String> {
    Ok(match v {
        Value::Null => {
            return Err("null is not a value: leave the key out to keep the scenario's".into());
        }
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(f)) if n.is_f64() => toml::Value::Float(f),
            _ => return Err(format!("{n} is too large")),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => {
            toml::Value::Array(a.iter().map(json_to_toml).collect::<Result<_, _>>()?)
        }
        Value::Object(o) => toml::Value::Table(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), json_to_toml(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// A checked request, ready to run.
#[derive(Debug, Clone)]
pub struct Job {
    client: String,
    base: Params,
    modified: Params,
    seed: u64,
    replicates: u32,
    households: u64,
    window: Window,
    flows_year: i32,
    cohort_year: Option<i32>,
    base_cohorts: Vec<i32>,
    modified_cohorts: Vec<i32>,
    base_key: String,
    scenario_toml: String,
}

fn problems_error(problems: &[migflow_core::error::Problem]) -> ApiError {
    ApiError::bad(
        problems.first().map(|p| p.key.clone()).unwrap_or_default(),
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// Parse a request body.
fn parse(body: &[u8]) -> Result<RunRequest, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let req: RunRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." { String::new() } else { key };
        ApiError::bad(key, format!("the request is not valid: {}", e.inner()))
    })?;
    de.end()
        .map_err(|e| ApiError::bad("", format!("the request is not valid: {e}")))?;
    Ok(req)
}

/// The levers whose settings differ between the scenarios.
fn changed_levers(base: &Scenario, modified: &Scenario) -> Vec<&'static str> {
    let (Ok(b), Ok(m)) = (
        toml::Value::try_from(&base.levers),
        toml::Value::try_from(&modified.levers),
    ) else {
        return Vec::new();
    };
    crate::schema::lever_names(base)
        .into_iter()
        .filter(|n| b.get(n) != m.get(n))
        .collect()
}

/// The cohort year the page follows: the last year the changed levers
/// acted in the base (when a lever only starts in the modified scenario,
/// the year before it starts), within the years a cohort can form.
fn cohort_year(base: &Scenario, modified: &Scenario, changed: &[&str]) -> Option<i32> {
    let range = migflow_core::cohorts::cohort_year_range(base);
    let windows = |s: &Scenario| s.levers.windows();
    let (bw, mw) = (windows(base), windows(modified));
    changed
        .iter()
        .filter_map(|name| {
            let b = bw.iter().find(|(n, _)| n == name)?.1;
            let m = mw.iter().find(|(n, _)| n == name)?.1;
            Some(if b.enabled {
                b.end_year
            } else {
                m.start_year - 1
            })
        })
        .max()
        .map(|y| y.clamp(*range.start(), *range.end()))
}

fn with_cohort(mut years: Vec<i32>, cohort: Option<i32>) -> Vec<i32> {
    if let Some(c) = cohort
        && !years.contains(&c)
    {
        years.push(c);
        years.sort_unstable();
    }
    years
}

/// Check a request and make its two scenarios.
fn prepare(state: &State, req: RunRequest) -> Result<Job, ApiError> {
    let client = req.client.unwrap_or_default();
    if client.chars().count() > limits::MAX_CLIENT_CHARS {
        return Err(ApiError::bad(
            "client",
            format!(
                "`client`: expected at most {} characters",
                limits::MAX_CLIENT_CHARS
            ),
        ));
    }
    let base_params = &state.config.params;
    let s = base_params.scenario();
    let replicates = req.replicates.unwrap_or(limits::DEFAULT_REPLICATES);
    if !(MIN_REPLICATES..=MAX_REPLICATES).contains(&replicates) {
        return Err(ApiError::bad(
            "replicates",
            format!(
                "`replicates` = {replicates}: expected an integer from {MIN_REPLICATES} to {MAX_REPLICATES}"
            ),
        ));
    }
    let from_file = s.population.file.is_some();
    let households = match (req.households, from_file) {
        (Some(_), true) => {
            return Err(ApiError::bad(
                "households",
                "`households`: the scenario reads its households from a file, so their number is the file's",
            ));
        }
        (Some(h), false) => h,
        (None, false) => default_households(s),
        (None, true) => state.file_households.unwrap_or(s.population.households),
    };
    if households == 0 {
        return Err(ApiError::bad(
            "households",
            "`households` = 0: expected an integer from 1 to 10000",
        ));
    }
    if households > MAX_HOUSEHOLDS {
        return Err(ApiError::too_large(
            Some("households"),
            format!(
                "`households` = {households}: the explorer runs at most {MAX_HOUSEHOLDS} households ({})",
                limits::WHY
            ),
        ));
    }
    let seed = req.seed.unwrap_or(s.run.seed);
    if seed > params::validate::MAX_SEED {
        return Err(ApiError::bad(
            "seed",
            format!(
                "`seed` = {seed}: expected an integer from 0 to {}",
                params::validate::MAX_SEED
            ),
        ));
    }
    let years = u64::from(s.run.years);
    let household_years = households * u64::from(replicates) * years;
    if household_years > MAX_HOUSEHOLD_YEARS {
        return Err(ApiError::too_large(
            Some("households"),
            format!(
                "{households} households × {replicates} replicates × {years} years = {household_years} household-years an arm, more than the explorer's {MAX_HOUSEHOLD_YEARS}: use fewer households or replicates, or `migflow run` for a larger study"
            ),
        ));
    }

    // The base: the server's scenario at the request's size and seed.
    let mut base = s.clone();
    base.run.seed = seed;
    base.run.replicates = replicates;
    if !from_file {
        base.population.households = households;
    }
    let base = Params::checked(base, base_params.source().map(PathBuf::from))
        .map_err(|p| problems_error(&p))?;

    // The modified scenario: the events first (a `set` may then address
    // `events.N.…`), then the assignments, checked as `--set` checks them.
    let mut modified = base.clone();
    if let Some(events) = &req.events {
        let list = json_to_toml(&Value::Array(events.clone()))
            .map_err(|e| ApiError::bad("events", format!("`events`: {e}")))?;
        let parsed: Vec<Event> = serde_path_to_error::deserialize(list).map_err(|e| {
            let key = format!("events{}", e.path()).replace("events.[", "events[");
            ApiError::bad(key.clone(), format!("`{key}`: {}", e.inner()))
        })?;
        let mut scenario = modified.to_scenario();
        scenario.events = parsed;
        modified = Params::checked(scenario, modified.source().map(PathBuf::from))
            .map_err(|p| problems_error(&p))?;
    }
    let set = req.set.unwrap_or_default().0;
    let mut assignments = Vec::with_capacity(set.len());
    for (key, value) in &set {
        if let Some((k, why)) = NOT_SETTABLE.iter().find(|(k, _)| k == key) {
            return Err(ApiError::bad(*k, format!("`{k}`: {why}")));
        }
        let v =
            json_to_toml(value).map_err(|e| ApiError::bad(key.clone(), format!("`{key}`: {e}")))?;
        assignments.push((key.clone(), v));
    }
    let modified = params::with_sets(modified, &assignments)
        .map_err(|e| ApiError::bad(e.key.clone(), e.to_string()))?;

    let (b, m) = (base.scenario(), modified.scenario());
    let (first, last) = (b.run.start_year, b.run.end_year());
    let window = match &req.window {
        Some(text) => {
            let w = Window::parse(text)
                .map_err(|e| ApiError::bad("window", e.replacen("--window", "`window`", 1)))?;
            if w.start < first || w.end > last {
                return Err(ApiError::bad(
                    "window",
                    format!("`window` {w}: expected years within the run's {first}–{last}"),
                ));
            }
            w
        }
        None => migflow_report::headline::default_window(b, m),
    };
    let flows_year = req.flows_year.unwrap_or(window.start);
    if !(first..=last).contains(&flows_year) {
        return Err(ApiError::bad(
            "flows_year",
            format!("`flows_year` = {flows_year}: expected a year of the run, {first}–{last}"),
        ));
    }
    let changed = changed_levers(b, m);
    let cohort = cohort_year(b, m, &changed);
    let base_cohorts = with_cohort(migflow_core::cohorts::default_cohort_years(b), cohort);
    let modified_cohorts = with_cohort(migflow_core::cohorts::default_cohort_years(m), cohort);
    let toml_of = |s: &Scenario| params::to_toml(s).map_err(|e| ApiError::internal(e.to_string()));
    let base_key = format!(
        "{}\n{seed} {replicates} {households} {base_cohorts:?}",
        toml_of(b)?
    );
    let scenario_toml = toml_of(&migflow_experiments::run::resolved_scenario(&options(
        &modified,
        seed,
        replicates,
        &modified_cohorts,
        PathBuf::from("."),
        Cancel::default(),
        0,
    )))?;
    Ok(Job {
        client,
        base,
        modified,
        seed,
        replicates,
        households,
        window,
        flows_year,
        cohort_year: cohort,
        base_cohorts,
        modified_cohorts,
        base_key,
        scenario_toml,
    })
}

/// The options of `migflow run SCENARIO --seed S --replicates R
/// --cohort-years …` into `out`.
fn options(
    loaded: &Params,
    seed: u64,
    replicates: u32,
    cohort_years: &[i32],
    out: PathBuf,
    cancel: Cancel,
    threads: usize,
) -> RunOptions {
    let years: Vec<String> = cohort_years.iter().map(i32::to_string).collect();
    RunOptions {
        loaded: loaded.clone(),
        seed,
        replicates,
        threads,
        out,
        households_out: false,
        cohort_years: Some(cohort_years.to_vec()),
        by_site: false,
        command: vec![
            "migflow".into(),
            "run".into(),
            "scenario.toml".into(),
            "--seed".into(),
            seed.to_string(),
            "--replicates".into(),
            replicates.to_string(),
            "--cohort-years".into(),
            years.join(","),
        ],
        force: false,
        population_sha256: None,
        cancel,
        format: migflow_io::TableFormat::Csv,
    }
}

/// One arm's run: its directory (deleted when dropped) and its results
/// as read back from it.
#[derive(Debug)]
pub struct Arm {
    dir: tempfile::TempDir,
    /// As `migflow compare` reads them.
    pub results: RunResults,
    /// `costs.csv`, when written.
    pub costs: Option<CostTable>,
}

impl Arm {
    /// The results directory.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("run")
    }
}

/// Why a run did not finish.
enum Stopped {
    /// Its cancel flag was raised.
    Cancelled,
    /// It failed.
    Failed(ApiError),
}

fn run_arm(
    state: &State,
    loaded: &Params,
    job: &Job,
    cohorts: &[i32],
    cancel: &Cancel,
) -> Result<Arm, Stopped> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        Stopped::Failed(ApiError::internal(format!("{what}: {e}")))
    };
    let dir = tempfile::Builder::new()
        .prefix("migflow-serve-")
        .tempdir()
        .map_err(|e| failed("cannot make a temporary directory", &e))?;
    let out = dir.path().join("run");
    let opts = options(
        loaded,
        job.seed,
        job.replicates,
        cohorts,
        out.clone(),
        cancel.clone(),
        state.pool.current_num_threads(),
    );
    match state.pool.install(|| run_to_dir(&opts, &|| {})) {
        Ok(_) => {}
        Err(_) if cancel.is_requested() => return Err(Stopped::Cancelled),
        Err(e) => return Err(failed("the run failed", &e)),
    }
    let results =
        RunResults::read(&out, None).map_err(|e| failed("cannot read the run back", &e))?;
    let costs = migflow_io::costs::read_costs(&out, &results.manifest.files)
        .map_err(|e| failed("cannot read the costs back", &e))?;
    Ok(Arm {
        dir,
        results,
        costs,
    })
}

/// Run the base (unless cached) and the modified scenario.
fn simulate(state: &State, job: &Job, cancel: &Cancel) -> Result<(Arc<Arm>, Arc<Arm>), Stopped> {
    let base = match state.cached_base(&job.base_key) {
        Some(b) => b,
        None => {
            let b = Arc::new(run_arm(state, &job.base, job, &job.base_cohorts, cancel)?);
            state.cache_base(job.base_key.clone(), b.clone());
            b
        }
    };
    let modified = Arc::new(run_arm(
        state,
        &job.modified,
        job,
        &job.modified_cohorts,
        cancel,
    )?);
    Ok((base, modified))
}

/// Wait for the simulation slot: up to the configured time, and only as
/// long as this request is not superseded.
async fn acquire(
    state: &State,
    ticket: &Ticket,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    let until = Instant::now() + state.config.busy_wait;
    loop {
        if ticket.cancel.is_requested() {
            return Err(superseded());
        }
        let left = until.saturating_duration_since(Instant::now());
        let slice = left.min(Duration::from_millis(50));
        if let Ok(Ok(permit)) =
            tokio::time::timeout(slice, state.slot.clone().acquire_owned()).await
        {
            return Ok(permit);
        }
        if left.is_zero() {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is busy with another run (it runs one at a time) and it did not finish within {} s: try again",
                    state.config.busy_wait.as_secs_f64()
                ),
            ));
        }
    }
}

fn superseded() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "superseded by a newer request of the same client",
    )
}

/// `POST /api/run`.
pub async fn post_run(
    Extract(state): Extract<Arc<State>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match answer(state, body).await {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn answer(state: Arc<State>, body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let started = Instant::now();
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(
                None,
                format!(
                    "the request is larger than the {} bytes allowed",
                    limits::MAX_BODY_BYTES
                ),
            )
        } else {
            ApiError::new(
                r.status(),
                format!("cannot read the request: {}", r.body_text()),
            )
        }
    })?;
    if body.len() > limits::MAX_BODY_BYTES {
        return Err(ApiError::too_large(
            None,
            format!(
                "the request is larger than the {} bytes allowed",
                limits::MAX_BODY_BYTES
            ),
        ));
    }
    let req = parse(&body)?;
    let job = prepare(&state, req)?;
    let ticket = state.register(&job.client);
    let result = run_job(&state, &job, &ticket, started).await;
    state.unregister(&job.client, ticket.id);
    result
}

async fn run_job(
    state: &Arc<State>,
    job: &Job,
    ticket: &Ticket,
    started: Instant,
) -> Result<Value, ApiError> {
    let permit = acquire(state, ticket).await?;
    let (st, jb, cancel) = (state.clone(), job.clone(), ticket.cancel.clone());
    let mut handle = tokio::task::spawn_blocking(move || {
        // The slot is held until the simulation has stopped, also when
        // the request timed out and answered already.
        let _permit = permit;
        let arms = simulate(&st, &jb, &cancel)?;
        Ok::<_, Stopped>(arms)
    });
    let joined = match tokio::time::timeout(state.config.timeout, &mut handle).await {
        Ok(joined) => joined,
        Err(_) => {
            ticket.cancel.request();
            let _ = handle.await;
            if ticket.superseded.load(Ordering::SeqCst) {
                return Err(superseded());
            }
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "the run took longer than {} s and was stopped: use fewer households or replicates",
                    state.config.timeout.as_secs_f64()
                ),
            ));
        }
    };
    let (base, modified) = match joined {
        Ok(Ok(arms)) => arms,
        Ok(Err(Stopped::Cancelled)) => return Err(superseded()),
        Ok(Err(Stopped::Failed(e))) => return Err(e),
        Err(e) => {
            return Err(ApiError::internal(format!(
                "the run stopped unexpectedly: {e}"
            )));
        }
    };
    let run_id = state.next_run_id();
    let mut response = crate::response::build(job_view(job), &base, &modified, &run_id)?;
    let elapsed = started.elapsed().as_millis() as u64;
    if let Some(o) = response.as_object_mut() {
        o.insert("elapsed_ms".into(), Value::from(elapsed));
    }
    state.keep(KeptRun {
        id: run_id,
        arm: modified,
        scenario_toml: job.scenario_toml.clone(),
    });
    Ok(response)
}

/// What the response needs of a job.
pub struct JobView<'a> {
    /// As run.
    pub seed: u64,
    /// As run.
    pub replicates: u32,
    /// As run.
    pub households: u64,
    /// The headline's years.
    pub window: Window,
    /// The flows' year.
    pub flows_year: i32,
    /// The cohorts' year.
    pub cohort_year: Option<i32>,
    /// The modified scenario, resolved.
    pub scenario_toml: &'a str,
}

fn job_view(job: &Job) -> JobView<'_> {
    JobView {
        seed: job.seed,
        replicates: job.replicates,
        households: job.households,
        window: job.window,
        flows_year: job.flows_year,
        cohort_year: job.cohort_year,
        scenario_toml: &job.scenario_toml,
    }
}
