//! The API of `migflow serve` against its contract (docs/serve.md).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use migflow_core::params::{self, Params, path};
use migflow_serve::{Config, router};
use serde_json::{Value, json};
use std::time::Duration;
use tower::ServiceExt;

/// A small run: quick, and still two replicates for intervals.
const SMALL: (u64, u32) = (300, 2);

fn app() -> Router {
    app_with(|_| {})
}

fn app_with(f: impl FnOnce(&mut Config)) -> Router {
    let mut config = Config::new(Params::default());
    config.threads = 2;
    f(&mut config);
    router(config).unwrap()
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, bytes.to_vec(), headers)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post_raw(app: &Router, body: impl Into<Body>) -> (StatusCode, Value) {
    let req = Request::post("/api/run")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap();
    let (status, bytes, _) = send(app, req).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn post(app: &Router, body: Value) -> (StatusCode, Value) {
    post_raw(app, body.to_string()).await
}

fn small(mut body: Value) -> Value {
    body["households"] = json!(SMALL.0);
    body["replicates"] = json!(SMALL.1);
    body
}

async fn schema(app: &Router) -> Value {
    let (status, bytes, _) = get(app, "/api/schema").await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn schema_lists_every_lever_and_event_kind() {
    let s = schema(&app()).await;
    let levers: Vec<&str> = s["levers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        levers,
        [
            "labor_cooperation",
            "industrial_cooperation",
            "workshops",
            "agricultural_support",
            "training",
            "asset_income",
            "social_protection",
            "targeting"
        ]
    );
    let scenario = params::Scenario::default();
    for lever in s["levers"].as_array().unwrap() {
        let name = lever["name"].as_str().unwrap();
        assert!(!lever["title"].as_str().unwrap().is_empty());
        let keys: Vec<&str> = lever["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["path"].as_str().unwrap())
            .collect();
        let window: Vec<String> = ["enabled", "start_year", "end_year"]
            .iter()
            .map(|k| format!("levers.{name}.{k}"))
            .collect();
        assert_eq!(keys[..3], window, "{name}: the window comes first");
        // Every key of the lever, none missing.
        let all = path::leaf_paths(&scenario)
            .into_iter()
            .filter(|p| p.starts_with(&format!("levers.{name}.")))
            .count();
        assert_eq!(keys.len(), all, "{name}");
    }
    let kinds: Vec<&str> = s["events"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["east_demand", "drought"]);
    let fields = |kind: usize| -> Vec<&str> {
        s["events"]["kinds"][kind]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect()
    };
    assert_eq!(fields(0), ["year", "job_loss_factor"]);
    assert_eq!(fields(1), ["year", "harvest_factor", "sites"]);
    assert_eq!(s["events"]["current"][0]["kind"], "east_demand");
    let other: Vec<&str> = s["other"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["path"].as_str().unwrap())
        .collect();
    assert!(other.contains(&"decision.beta_net"));
    for hidden in ["run.seed", "run.replicates", "population.households"] {
        assert!(!other.contains(&hidden), "{hidden}");
    }
    assert!(
        other
            .iter()
            .all(|p| !p.starts_with("levers.") && !p.starts_with("events."))
    );
    assert_eq!(s["limits"]["max_households"], 10_000);
    assert_eq!(s["limits"]["max_body_bytes"], 65_536);
    assert!(!s["limits"]["why"].as_str().unwrap().is_empty());
}

/// A value just outside a bound.
fn outside(kind: &str, bound: f64, below: bool) -> Value {
    let step = if kind == "integer" {
        1.0
    } else {
        1e-6 * bound.abs().max(1.0)
    };
    let v = if below { bound - step } else { bound + step };
    if kind == "integer" {
        json!(v as i64)
    } else {
        json!(v)
    }
}

#[tokio::test]
async fn every_range_is_what_validation_accepts() {
    let app = app();
    let s = schema(&app).await;
    let mut keys: Vec<&Value> = s["other"].as_array().unwrap().iter().collect();
    for lever in s["levers"].as_array().unwrap() {
        keys.extend(lever["keys"].as_array().unwrap());
    }
    let mut checked = 0;
    for key in keys {
        let p = key["path"].as_str().unwrap();
        let kind = key["kind"].as_str().unwrap();
        if kind != "integer" && kind != "float" {
            continue;
        }
        let exclusive = key["min_exclusive"].as_bool().unwrap();
        for (bound, below) in [(key["min"].as_f64(), true), (key["max"].as_f64(), false)] {
            let Some(bound) = bound else { continue };
            // Far bounds (±1e9) of integer keys may not fit their type.
            if bound.abs() >= 1e9 && kind == "integer" {
                continue;
            }
            // Just outside: refused, in the validation's words.
            let bad = if below && exclusive {
                if kind == "integer" {
                    json!(bound as i64)
                } else {
                    json!(bound)
                }
            } else {
                outside(kind, bound, below)
            };
            let (status, body) = post(&app, json!({"set": {p: bad}})).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{p} = {bad}: {body}");
            let message = body["error"].as_str().unwrap();
            let expected = params::with_sets(
                Params::default(),
                &[(
                    p.to_string(),
                    path::parse_assignment(&format!("{p}={bad}")).unwrap().1,
                )],
            )
            .unwrap_err()
            .to_string();
            assert_eq!(message, expected, "{p}");
            assert!(message.contains(p), "{p}: {message}");
            // The bound itself (when allowed): accepted by the same check.
            if !(below && exclusive) {
                let at = if kind == "integer" {
                    toml::Value::Integer(bound as i64)
                } else {
                    toml::Value::Float(bound)
                };
                // A rule tying several keys (shares summing to 1) may
                // refuse the scenario, but not this key's value.
                match params::with_sets(Params::default(), &[(p.to_string(), at.clone())]) {
                    Ok(_) => {}
                    Err(e) => match &e.problem {
                        params::SetProblem::Invalid(problems) => {
                            assert!(problems.iter().all(|q| q.key != p), "{p} = {at}: {e}")
                        }
                        params::SetProblem::Path(_) => panic!("{p} = {at}: {e}"),
                    },
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} bounds checked");

    // An event's field out of range.
    let (status, body) = post(
        &app,
        json!({"events": [{"kind": "drought", "year": 2027, "harvest_factor": -0.5}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("harvest_factor"),
        "{body}"
    );
}

#[tokio::test]
async fn a_run_is_migflow_run_of_its_scenario() {
    let app = app();
    let (status, body) = post(
        &app,
        small(json!({"client": "t", "set": {"levers.workshops.end_year": 2030}, "seed": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["seed"], 7);
    assert_eq!(body["window"], json!({"start": 2026, "end": 2030}));
    assert_eq!(body["groups"].as_array().unwrap().len(), 6);
    assert!(body["headline"].as_str().unwrap().contains("2030"));
    let run_id = body["run_id"].as_str().unwrap();

    // The same run by hand, as `migflow run` does it.
    let loaded = params::from_toml(body["scenario_toml"].as_str().unwrap(), None).unwrap();
    assert_eq!(loaded.scenario().population.households, SMALL.0);
    assert_eq!(loaded.scenario().levers.workshops.end_year, 2030);
    let dir = tempfile::tempdir().unwrap();
    let opts = migflow_experiments::run::RunOptions {
        loaded: loaded.clone(),
        seed: 7,
        replicates: SMALL.1,
        threads: 1,
        out: dir.path().to_path_buf(),
        households_out: false,
        cohort_years: None,
        by_site: false,
        command: vec![],
        force: false,
        population_sha256: None,
        cancel: Default::default(),
        format: Default::default(),
    };
    migflow_experiments::run::run_to_dir(&opts, &|| {}).unwrap();
    for name in ["trajectories.csv", "flows.csv", "costs.csv"] {
        let (status, served, headers) = get(&app, &format!("/api/files/{run_id}/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(
            headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(
            served,
            std::fs::read(dir.path().join(name)).unwrap(),
            "{name}"
        );
    }
    // The numbers are those of the files.
    let fresh = migflow_io::results::RunResults::read(dir.path(), None).unwrap();
    let m = migflow_io::results::metric_index("poor_share").unwrap();
    for t in 0..fresh.years.len() {
        let e = fresh.estimate(t, 5, m);
        let served = &body["series"]["modified"]["poor_share"];
        assert_eq!(served["mean"][5][t].as_f64(), e.mean, "year {t}");
        assert_eq!(served["lo"][5][t].as_f64(), e.ci.map(|c| c.0), "year {t}");
    }
    // And the base is the server's scenario at the same size and seed.
    let (_, toml, _) = get(&app, &format!("/api/files/{run_id}/scenario.toml")).await;
    assert_eq!(
        String::from_utf8(toml).unwrap(),
        body["scenario_toml"].as_str().unwrap()
    );
    let mut base = Params::default().to_scenario();
    base.population.households = SMALL.0;
    let base = Params::new(base, None).unwrap();
    let base_dir = tempfile::tempdir().unwrap();
    let base_opts = migflow_experiments::run::RunOptions {
        loaded: base,
        out: base_dir.path().to_path_buf(),
        ..opts
    };
    migflow_experiments::run::run_to_dir(&base_opts, &|| {}).unwrap();
    let base_results = migflow_io::results::RunResults::read(base_dir.path(), None).unwrap();
    let diffs = migflow_io::results::differences(&base_results, &fresh).unwrap();
    let d = diffs
        .iter()
        .find(|d| d.year == 2028 && d.group == 5 && d.metric == "poor_share")
        .unwrap();
    assert_eq!(
        body["difference"]["poor_share"]["mean"][5][7].as_f64(),
        d.diff_mean
    );

    // A second move reuses the cached base: the same base numbers.
    let (status, again) = post(
        &app,
        small(json!({"client": "t", "set": {"levers.workshops.end_year": 2029}, "seed": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["series"]["base"], body["series"]["base"]);
    assert_ne!(again["run_id"], body["run_id"]);
}

#[tokio::test]
async fn invalid_input_is_refused_with_the_message() {
    let app = app();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"set": {"levers.workshop.end_year": 2030}}),
            "levers.workshop.end_year",
            "no such scenario key",
        ),
        (
            json!({"set": {"decision.beta_net": "high"}}),
            "decision.beta_net",
            "expected a number",
        ),
        (
            json!({"set": {"levers.workshops.workshop_jobs_share": 1.5}}),
            "levers.workshops.workshop_jobs_share",
            "expected a probability",
        ),
        (json!({"sett": {}}), "sett", "unknown field"),
        (json!({"replicates": 1}), "replicates", "from 2 to 32"),
        (json!({"replicates": "8"}), "replicates", "invalid type"),
        (
            json!({"set": {"population.file": "/etc/passwd"}}),
            "population.file",
            "reads no file",
        ),
        (json!({"window": "2030-2026"}), "window", "after the last"),
        (
            json!({"events": [{"kind": "flood", "year": 2027}]}),
            "events[0].kind",
            "unknown variant",
        ),
    ];
    for (body, key, words) in cases {
        let (status, answer) = post(&app, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["key"], key, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(words),
            "{body}: {answer}"
        );
    }
    let (status, answer) = post_raw(&app, "{\"set\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"].as_str().unwrap().contains("EOF"),
        "{answer}"
    );
    let (status, _) = post_raw(&app, "[1, 2]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The CLI's words, without its `--set KEY=VALUE:` prefix.
    let (_, answer) = post(&app, json!({"set": {"levers.workshops.start_year": 2030}})).await;
    assert_eq!(
        answer["error"],
        "`levers.workshops.start_year` = 2030: expected a year not after `levers.workshops.end_year` (2025)"
    );
}

#[tokio::test]
async fn oversized_requests_are_413() {
    let app = app();
    let big = json!({"client": "x".repeat(70 * 1024)}).to_string();
    let (status, answer) = post_raw(&app, big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("65536"),
        "{answer}"
    );
    let (status, answer) = post(&app, json!({"households": 10_000, "replicates": 17})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let message = answer["error"].as_str().unwrap();
    assert!(
        message.contains("10000 households × 17 replicates × 15 years"),
        "{message}"
    );
    assert!(message.contains("2400000"), "{message}");
    let (status, _) = post(&app, json!({"households": 10_001, "replicates": 2})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // At the limit: 10,000 × 16 × 15 = 2,400,000 passes the check (refused
    // later for the window only, so that nothing runs).
    let (status, answer) = post(
        &app,
        json!({"households": 10_000, "replicates": 16, "window": "1990"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn a_newer_request_of_the_same_client_supersedes_the_older() {
    let app = app_with(|c| c.threads = 1);
    let first = {
        let app = app.clone();
        tokio::spawn(async move {
            post(
                &app,
                json!({"client": "page", "households": 10_000, "replicates": 8}),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, answer) = post(&app, small(json!({"client": "page"}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = first.await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("superseded"));
}

#[tokio::test]
async fn another_client_waits_then_gets_503() {
    let app = app_with(|c| {
        c.threads = 1;
        c.busy_wait = Duration::from_millis(100);
    });
    let first = {
        let app = app.clone();
        tokio::spawn(async move {
            post(
                &app,
                json!({"client": "a", "households": 10_000, "replicates": 8}),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, answer) = post(&app, small(json!({"client": "b"}))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
}

#[tokio::test]
async fn a_run_past_the_time_limit_is_504() {
    let app = app_with(|c| c.timeout = Duration::from_millis(5));
    let (status, answer) = post(
        &app,
        json!({"client": "slow", "households": 4000, "replicates": 4}),
    )
    .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("longer than"));
}

#[tokio::test]
async fn files_are_only_those_of_kept_runs() {
    let app = app_with(|c| c.kept_runs = 1);
    let (status, body) = post(&app, small(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["run_id"].as_str().unwrap().to_string();
    let files: Vec<&str> = body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"manifest.json") && files.contains(&"trajectories.csv"));
    for name in &files {
        let (status, _, _) = get(&app, &format!("/api/files/{id}/{name}")).await;
        assert_eq!(status, StatusCode::OK, "{name}");
    }
    for uri in [
        format!("/api/files/{id}/secret.txt"),
        format!("/api/files/{id}/households.csv"), // a run file this run did not write
        format!("/api/files/{id}/..%2F..%2F..%2Fetc%2Fpasswd"),
        format!("/api/files/{id}/%2Fetc%2Fpasswd"),
        format!("/api/files/{id}/../trajectories.csv"),
        format!("/api/files/{id}/..%2Frun%2Fmanifest.json"),
        "/api/files/r999/trajectories.csv".to_string(),
        "/api/files/..%2Fr1/trajectories.csv".to_string(),
        "/etc/passwd".to_string(),
        "/../Cargo.toml".to_string(),
    ] {
        let (status, bytes, _) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(answer["error"].is_string(), "{uri}");
    }
    // Only the last run is kept: the first one's files are gone.
    let (status, _) = post(&app, small(json!({}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&app, &format!("/api/files/{id}/trajectories.csv")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_is_served_with_its_types() {
    let app = app();
    for (uri, ty) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
    ] {
        let (status, _, headers) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(ty),
            "{uri}"
        );
    }
}
