//! `GET /api/schema`: the scenario's keys as the page's controls need
//! them, from the scenario itself (its leaf paths, kinds and values) and
//! the validation's bounds ([`migflow_core::params::meta`]).

use crate::error::ApiError;
use crate::{Config, limits};
use axum::extract::State;
use axum::response::IntoResponse;
use migflow_core::params::meta::{self, KeyInfo};
use migflow_core::params::path::{self, KeyKind};
use migflow_core::params::{Event, Scenario};
use serde_json::{Value, json};
use std::sync::Arc;

/// The keys a request sets with its own fields, or not at all: the seed,
/// the replicates and the households are fields of `POST /api/run`; the
/// population file would be a path the user names; the years must be the
/// same in both arms for paired differences.
pub const NOT_SETTABLE: [(&str, &str); 6] = [
    ("run.seed", "set the seed with the request's `seed`"),
    (
        "run.replicates",
        "set the replicates with the request's `replicates`",
    ),
    (
        "population.households",
        "set the households with the request's `households`",
    ),
    (
        "population.file",
        "the explorer reads no file a request names: start `migflow serve` with a scenario that names it",
    ),
    (
        "run.start_year",
        "both arms must cover the same years: start `migflow serve` with a scenario of other years",
    ),
    (
        "run.years",
        "both arms must cover the same years: start `migflow serve` with a scenario of other years",
    ),
];

/// The kind's name in the schema.
pub fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Float => "float",
        KeyKind::Integer => "integer",
        KeyKind::Bool => "bool",
        KeyKind::String => "string",
        // Only a drought's `sites` (a list of site numbers) is one.
        KeyKind::Compound => "integer_list",
    }
}

/// A toml value as JSON (non-finite floats as null).
pub fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => num(Some(*f)),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// A number as JSON: null when absent or not finite (NaN is not JSON).
pub fn num(x: Option<f64>) -> Value {
    match x {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

fn key_json(path: &str, shown: &str, kind: KeyKind, value: Value, info: &KeyInfo) -> Value {
    json!({
        "path": shown,
        "kind": kind_name(kind),
        "value": value,
        "unit": info.unit,
        "min": num(info.min),
        "min_exclusive": info.min_exclusive,
        "max": num(info.max),
        "expected": info.expected,
        "doc": info.doc,
        "key": path,
    })
}

/// A key of `s` by its dotted path.
fn key_of(
    s: &Scenario,
    path: &str,
    infos: &std::collections::BTreeMap<String, KeyInfo>,
) -> Option<Value> {
    let kind = path::kind_of(s, path).ok()?;
    let value = path::get(s, path).ok()?;
    let info = infos.get(path)?;
    let mut k = key_json(path, path, kind, toml_to_json(&value), info);
    if let Some(o) = k.as_object_mut() {
        o.remove("key");
    }
    Some(k)
}

/// The levers' names, in the order of `[levers]`.
pub fn lever_names(s: &Scenario) -> Vec<&'static str> {
    s.levers.windows().iter().map(|(n, _)| *n).collect()
}

/// An event as the scenario file has it (`{"kind": "drought", …}`).
pub fn event_json(e: &Event) -> Value {
    toml::Value::try_from(e)
        .map(|v| toml_to_json(&v))
        .unwrap_or(Value::Null)
}

/// One event of each kind, for the kinds' fields: the scenario's first of
/// that kind, else a typical one in the run's second year.
fn template_events(s: &Scenario) -> Vec<Event> {
    let year = s.run.start_year + 1;
    let east = s
        .events
        .iter()
        .find(|e| matches!(e, Event::EastDemand { .. }))
        .cloned()
        .unwrap_or(Event::EastDemand {
            year,
            job_loss_factor: 2.0,
        });
    let drought = s
        .events
        .iter()
        .find(|e| matches!(e, Event::Drought { .. }))
        .cloned()
        .unwrap_or(Event::Drought {
            year,
            harvest_factor: 0.7,
            sites: None,
        });
    vec![east, drought]
}

/// Build the schema of `config`'s scenario.
pub fn build(config: &Config) -> Result<Value, ApiError> {
    let s = config.params.scenario();
    let paths = path::leaf_paths(s);
    let infos = meta::key_infos(s, &paths);

    let levers: Vec<Value> = lever_names(s)
        .into_iter()
        .map(|name| {
            let prefix = format!("levers.{name}.");
            let mut mine: Vec<&String> = paths.iter().filter(|p| p.starts_with(&prefix)).collect();
            // The window first, then the lever's own parameters in file order.
            let rank = |p: &str| match p.strip_prefix(&prefix) {
                Some("enabled") => 0,
                Some("start_year") => 1,
                Some("end_year") => 2,
                _ => 3,
            };
            mine.sort_by_key(|p| rank(p));
            json!({
                "name": name,
                "title": meta::lever_title(name),
                "doc": meta::lever_doc(name),
                "keys": mine.iter().filter_map(|p| key_of(s, p, &infos)).collect::<Vec<_>>(),
            })
        })
        .collect();

    let mut template = s.clone();
    template.events = template_events(s);
    let event_paths = path::leaf_paths(&template);
    let event_infos = meta::key_infos(&template, &event_paths);
    let kinds: Vec<Value> = meta::EVENT_KINDS
        .iter()
        .map(|(kind, title, fields)| {
            let index = template
                .events
                .iter()
                .position(|e| event_json(e)["kind"] == *kind)
                .unwrap_or(0);
            let fields: Vec<Value> = fields
                .iter()
                .map(|field| {
                    let p = format!("events.{index}.{field}");
                    let info = event_infos
                        .get(&p)
                        .cloned()
                        .unwrap_or_else(|| meta::key_info(&template, &p));
                    let (kind, value) = match path::get(&template, &p) {
                        Ok(v) => (
                            path::kind_of(&template, &p).unwrap_or(KeyKind::Compound),
                            toml_to_json(&v),
                        ),
                        // `sites` absent: every site.
                        Err(_) => (KeyKind::Compound, Value::Null),
                    };
                    let mut k = key_json(&p, field, kind, value, &info);
                    if let Some(o) = k.as_object_mut() {
                        o.remove("key");
                    }
                    k
                })
                .collect();
            json!({"kind": kind, "title": title, "fields": fields})
        })
        .collect();

    let other: Vec<Value> = paths
        .iter()
        .filter(|p| !p.starts_with("levers.") && !p.starts_with("events."))
        .filter(|p| !NOT_SETTABLE.iter().any(|(k, _)| k == p))
        .filter(|p| path::kind_of(s, p).is_ok())
        .filter_map(|p| key_of(s, p, &infos))
        .collect();

    Ok(json!({
        "migflow_version": env!("CARGO_PKG_VERSION"),
        "scenario_name": config.params.source_name().display().to_string(),
        "scenario_toml": migflow_core::params::to_toml(s).map_err(|e| ApiError::internal(e.to_string()))?,
        "start_year": s.run.start_year,
        "end_year": s.run.end_year(),
        "limits": limits::json(config.timeout.as_secs()),
        "defaults": {
            "replicates": limits::DEFAULT_REPLICATES,
            "households": crate::run::default_households(s),
            "seed": s.run.seed,
        },
        "levers": levers,
        "events": {
            "current": s.events.iter().map(event_json).collect::<Vec<_>>(),
            "kinds": kinds,
        },
        "other": other,
    }))
}

/// `GET /api/schema`.
pub async fn get_schema(State(state): State<Arc<crate::state::State>>) -> impl IntoResponse {
    axum::Json(state.schema.clone())
}
