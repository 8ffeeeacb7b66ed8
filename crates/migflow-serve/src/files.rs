//! `GET /api/files/{run_id}/{name}`: the files `migflow run` wrote for a
//! kept run's modified scenario. Only names of the fixed list are served,
//! so no name a request gives reaches the file system as a path.

use crate::error::ApiError;
use crate::state::State;
use axum::extract::{Path, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        Some("toml") => "application/toml; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /api/files/{run_id}/{name}`.
pub async fn get_file(
    Extract(state): Extract<Arc<State>>,
    Path((run_id, name)): Path<(String, String)>,
) -> Response {
    let known = name == "manifest.json"
        || name == "scenario.toml"
        || migflow_experiments::run::RUN_FILES.contains(&name.as_str());
    if !known {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "no file {name:?}: a run's files are manifest.json, scenario.toml and {}",
                migflow_experiments::run::RUN_FILES.join(", ")
            ),
        )
        .into_response();
    }
    let found = state.with_run(&run_id, |run| {
        if name == "scenario.toml" {
            return Some(run.scenario_toml.clone().into_bytes());
        }
        let listed = name == "manifest.json"
            || run
                .arm
                .results
                .manifest
                .files
                .iter()
                .any(|f| f.name == name);
        // The name is one of the fixed list: joining it names a file of
        // the run's own directory.
        listed
            .then(|| std::fs::read(run.arm.path().join(&name)).ok())
            .flatten()
    });
    match found {
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "no run {run_id:?}: the server keeps the files of its last {} runs",
                state.config.kept_runs
            ),
        )
        .into_response(),
        Some(None) => ApiError::new(
            StatusCode::NOT_FOUND,
            format!("run {run_id} wrote no {name}"),
        )
        .into_response(),
        Some(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, content_type(&name).to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
    }
}
