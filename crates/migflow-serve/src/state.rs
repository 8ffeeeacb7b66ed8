//! What the server keeps between requests: the worker pool, the one
//! simulation slot, the runs in flight by client, the cached base run and
//! the files of the last runs.

use crate::error::ApiError;
use crate::run::Arm;
use crate::{Config, schema};
use migflow_core::run::Cancel;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A run in flight of one client: raising `cancel` stops it; `superseded`
/// tells it why (a newer request of the same client, not the timeout).
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Which request holds it.
    pub id: u64,
    /// Stops the run (both arms).
    pub cancel: Cancel,
    /// Set before `cancel` is raised by a newer request.
    pub superseded: Arc<AtomicBool>,
}

/// A finished run whose files can be downloaded.
#[derive(Debug)]
pub struct KeptRun {
    /// `r7`.
    pub id: String,
    /// The modified arm's directory (deleted when dropped).
    pub arm: Arc<Arm>,
    /// The scenario as returned (`scenario.toml`).
    pub scenario_toml: String,
}

/// The server's state.
pub struct State {
    /// As started.
    pub config: Config,
    /// The simulations' pool, made once.
    pub pool: rayon::ThreadPool,
    /// One simulation at a time for the whole server: the machine has
    /// few cores, and two runs at once would make both late.
    pub slot: Arc<tokio::sync::Semaphore>,
    /// `GET /api/schema`, built once.
    pub schema: serde_json::Value,
    /// The households of the scenario's population file, when it has one.
    pub file_households: Option<u64>,
    clients: Mutex<HashMap<String, Ticket>>,
    next_id: AtomicU64,
    next_run: AtomicU64,
    /// The last base run, keyed by what determines it.
    base: Mutex<Option<(String, Arc<Arm>)>>,
    runs: Mutex<VecDeque<KeptRun>>,
}

/// A lock, also when a thread panicked holding it: what it guards stays
/// consistent (every update is one assignment).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    /// Start the pool and build the schema.
    pub fn new(config: Config) -> Result<State, ApiError> {
        let mut b = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("migflow-serve-{i}"));
        if config.threads > 0 {
            b = b.num_threads(config.threads);
        }
        let pool = b.build().map_err(|e| {
            ApiError::internal(format!("cannot start {} threads: {e}", config.threads))
        })?;
        let schema = schema::build(&config)?;
        let file_households = match config.params.population_file() {
            Some(_) => Some(
                migflow_io::files::population_source(&config.params)
                    .map_err(|e| ApiError::internal(e.to_string()))?
                    .households(&config.params),
            ),
            None => None,
        };
        Ok(State {
            file_households,
            config,
            pool,
            slot: Arc::new(tokio::sync::Semaphore::new(1)),
            schema,
            clients: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            next_run: AtomicU64::new(1),
            base: Mutex::new(None),
            runs: Mutex::new(VecDeque::new()),
        })
    }

    /// A new request id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A new run id: `r1`, `r2`, …
    pub fn next_run_id(&self) -> String {
        format!("r{}", self.next_run.fetch_add(1, Ordering::Relaxed))
    }

    /// Register a run of `client`, cancelling its run in flight (which
    /// then answers 409).
    pub fn register(&self, client: &str) -> Ticket {
        let ticket = Ticket {
            id: self.next_id(),
            cancel: Cancel::new(),
            superseded: Arc::new(AtomicBool::new(false)),
        };
        if let Some(old) = lock(&self.clients).insert(client.to_string(), ticket.clone()) {
            old.superseded.store(true, Ordering::SeqCst);
            old.cancel.request();
        }
        ticket
    }

    /// Forget a finished run of `client` (unless a newer one replaced it).
    pub fn unregister(&self, client: &str, id: u64) {
        let mut clients = lock(&self.clients);
        if clients.get(client).is_some_and(|t| t.id == id) {
            clients.remove(client);
        }
    }

    /// The cached base run with this key.
    pub fn cached_base(&self, key: &str) -> Option<Arc<Arm>> {
        lock(&self.base)
            .as_ref()
            .filter(|(k, _)| k == key)
            .map(|(_, a)| a.clone())
    }

    /// Cache a base run (replacing the one before).
    pub fn cache_base(&self, key: String, arm: Arc<Arm>) {
        *lock(&self.base) = Some((key, arm));
    }

    /// Keep a run's files, deleting the oldest beyond the limit.
    pub fn keep(&self, run: KeptRun) {
        let mut runs = lock(&self.runs);
        runs.push_back(run);
        while runs.len() > self.config.kept_runs.max(1) {
            runs.pop_front();
        }
    }

    /// A kept run's file: its bytes, or none when the run or the file is
    /// not kept.
    pub fn with_run<T>(&self, id: &str, f: impl FnOnce(&KeptRun) -> T) -> Option<T> {
        lock(&self.runs).iter().find(|r| r.id == id).map(f)
    }
}
