//! `migflow serve`: a local web server for exploring a scenario.
//!
//! The page (`assets/`, built from `web/`) asks `GET /api/schema` for
//! the scenario's keys with their ranges, and `POST /api/run` for a base
//! and a modified run of it; the server runs both exactly as `migflow run`
//! would (into temporary directories it owns), reads them back as
//! `migflow compare` does and answers with the paired differences. The
//! contract between the two is the API section of `docs/serve.md`.

#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod assets;
mod error;
mod files;
pub mod limits;
mod response;
mod run;
mod schema;
mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use migflow_core::params::Params;
use std::sync::Arc;
use std::time::Duration;

pub use error::ApiError;

/// What the server serves and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// The base scenario, validated (with the command line's `--set`
    /// applied): both arms of every run start from it.
    pub params: Params,
    /// Worker threads of the simulations (0: one a core).
    pub threads: usize,
    /// The longest a run may take before it is cancelled (504).
    pub timeout: Duration,
    /// How long a request waits for another client's run to finish before
    /// it is answered 503.
    pub busy_wait: Duration,
    /// How many runs' files are kept for download (older ones are
    /// deleted).
    pub kept_runs: usize,
}

impl Config {
    /// The defaults of `migflow serve` for `params`.
    pub fn new(params: Params) -> Config {
        Config {
            params,
            threads: 0,
            timeout: Duration::from_secs(limits::TIMEOUT_SECONDS),
            busy_wait: Duration::from_secs(5),
            kept_runs: limits::KEPT_RUNS,
        }
    }
}

/// The server's routes: the page, its two assets and the API. Fails when
/// the worker threads cannot be started or the scenario's schema cannot be
/// built.
pub fn router(config: Config) -> Result<Router, ApiError> {
    let state = Arc::new(state::State::new(config)?);
    Ok(Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/app.js", get(assets::app_js))
        .route("/app.css", get(assets::app_css))
        .route("/api/schema", get(schema::get_schema))
        .route("/api/run", post(run::post_run))
        .route("/api/files/{run_id}/{name}", get(files::get_file))
        .fallback(error::not_found)
        // The limit applies to the body as it arrives, so an oversized
        // request is refused before it is read whole.
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .with_state(state))
}

/// Serve `router` on `listener` until `shutdown` completes (then finish
/// the requests in flight and return).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Serve on a bound listener until Ctrl-C, on a runtime of its own: what
/// `migflow serve` calls after printing the address.
pub fn serve(config: Config, listener: std::net::TcpListener) -> Result<(), ApiError> {
    let router = router(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // The requests only wait; the simulations run on their own pool.
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ApiError::internal(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(|e| ApiError::internal(format!("cannot listen: {e}")))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| ApiError::internal(format!("cannot listen: {e}")))?;
        let ctrl_c = async {
            // Without a Ctrl-C handler the server runs until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        serve_on(listener, router, ctrl_c)
            .await
            .map_err(|e| ApiError::internal(format!("the server stopped: {e}")))
    })
}
