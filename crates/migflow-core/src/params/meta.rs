//! What a user interface shows beside a scenario key: its unit, the range
//! the validation allows, and a line of documentation.
//!
//! Nothing here is a second copy of a rule. The ranges are the bounds
//! [`validate::bounds`] records while it checks (so a control can never
//! offer a value a run refuses, nor refuse one it accepts); the
//! documentation is the comment above the key in the built-in commented
//! scenario [`DEFAULT_SCENARIO_TOML`], which states every key; the units
//! follow that file's conventions (a key ending in `_month` is yuan a
//! month, money otherwise yuan a year, land in mu, distances in km).

use super::{DEFAULT_SCENARIO_TOML, Scenario, validate};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A key's unit, range and documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyInfo {
    /// Its unit in words ("yuan a month", "share (0–1)", "year"), or ""
    /// for a pure number (a weight, a factor) or a switch.
    pub unit: &'static str,
    /// Smallest value the validation allows, if any.
    pub min: Option<f64>,
    /// Whether `min` itself is refused.
    pub min_exclusive: bool,
    /// Largest value the validation allows, if any.
    pub max: Option<f64>,
    /// The validation's words for what it expects, every bound of the key
    /// joined ("a probability or share in [0, 1]").
    pub expected: String,
    /// One line from the commented default scenario ("" if none).
    pub doc: &'static str,
}

/// The levers' names (their tables under `[levers]`) and titles, in table
/// order.
pub const LEVERS: [(&str, &str); 8] = [
    ("labor_cooperation", "East–West labor cooperation"),
    (
        "industrial_cooperation",
        "Industrial cooperation (firms brought in)",
    ),
    ("workshops", "Poverty-alleviation workshops"),
    ("agricultural_support", "Agricultural support"),
    ("training", "Skill training"),
    ("asset_income", "Asset-income dividends"),
    ("social_protection", "Social protection (dibao, medical)"),
    ("targeting", "Targeting of last year's poor"),
];

/// The title of a lever by its name (`workshops`), or the name itself
/// for an unknown one.
pub fn lever_title(name: &str) -> &str {
    LEVERS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(name, |(_, t)| t)
}

/// What a lever does, from the comment under its table in the default
/// scenario ("" for an unknown lever).
pub fn lever_doc(name: &str) -> &'static str {
    docs()
        .tables
        .get(&format!("levers.{name}"))
        .map_or("", String::as_str)
}

/// The event kinds with their titles and fields, in the order a scenario
/// file writes them.
pub const EVENT_KINDS: [(&str, &str, &[&str]); 2] = [
    (
        "east_demand",
        "Eastern labor demand falls",
        &["year", "job_loss_factor"],
    ),
    ("drought", "Drought", &["year", "harvest_factor", "sites"]),
];

/// The documentation of an event's field.
fn event_field_doc(field: &str) -> &'static str {
    match field {
        "kind" => "The kind of event: east_demand or drought.",
        "year" => "Calendar year of the event (households do not expect it when they decide).",
        "job_loss_factor" => "Multiplier of the outbound job-loss probability that year.",
        "harvest_factor" => "Multiplier of the harvest factor that year.",
        "sites" => "Affected sites (numbered from 0); all sites when absent.",
        _ => "",
    }
}

/// The unit, range and documentation of the key at the dotted `path` of
/// `s` (`levers.workshops.end_year`, `events.0.harvest_factor`). The
/// ranges are `s`'s own: a bound that relates two keys uses the other
/// key's value in `s`.
pub fn key_info(s: &Scenario, path: &str) -> KeyInfo {
    let bounds = validate::bounds(s);
    info_from(&bounds, path)
}

/// [`key_info`] of many keys at once (the validation runs once).
pub fn key_infos(s: &Scenario, paths: &[String]) -> BTreeMap<String, KeyInfo> {
    let bounds = validate::bounds(s);
    paths
        .iter()
        .map(|p| (p.clone(), info_from(&bounds, p)))
        .collect()
}

fn info_from(bounds: &[validate::Bound], path: &str) -> KeyInfo {
    let key = validation_key(path);
    let mut info = KeyInfo {
        unit: unit_of(path),
        min: None,
        min_exclusive: false,
        max: None,
        expected: String::new(),
        doc: doc_of(path),
    };
    let mut words: Vec<&str> = Vec::new();
    for b in bounds.iter().filter(|b| b.key == key) {
        if let Some(min) = b.min {
            match info.min {
                Some(m) if m > min || (m == min && info.min_exclusive) => {}
                _ => {
                    info.min = Some(min);
                    info.min_exclusive = b.min_exclusive;
                }
            }
        }
        if let Some(max) = b.max {
            info.max = Some(info.max.map_or(max, |m| m.min(max)));
        }
        if !words.contains(&b.expected.as_str()) {
            words.push(&b.expected);
        }
    }
    info.expected = words.join("; ");
    info
}

/// The key as the validation names it: `events[0].year` for the dotted
/// `events.0.year`.
fn validation_key(path: &str) -> String {
    let mut parts = path.split('.');
    match (parts.next(), parts.next()) {
        (Some("events"), Some(i)) if i.parse::<usize>().is_ok() => {
            let rest: Vec<&str> = parts.collect();
            let mut key = format!("events[{i}]");
            for p in rest {
                key.push('.');
                key.push_str(p);
            }
            key
        }
        _ => path.to_string(),
    }
}

/// The unit of a key, by the conventions of the commented default
/// scenario.
fn unit_of(path: &str) -> &'static str {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    if path.starts_with("events.") {
        return match leaf {
            "year" => "year",
            "sites" => "site numbers",
            _ => "factor",
        };
    }
    if path == "run.years" {
        return "years";
    }
    if leaf == "start_year" || leaf == "end_year" {
        return "year";
    }
    if path.starts_with("costs.") {
        return match leaf {
            "grow_with_wages" => "",
            "per_training_slot" => "yuan a slot (start year)",
            "extension_per_mu" | "insurance_premium_per_mu" => "yuan a mu a year (start year)",
            _ => "yuan a laborer-year (start year)",
        };
    }
    if leaf.ends_with("_month") {
        return "yuan a month";
    }
    if leaf.ends_with("_km") {
        return "km";
    }
    if leaf == "commute_per_km" {
        return "yuan a km a year";
    }
    if leaf == "subsidy_per_mu" || leaf == "farm_net_per_mu" {
        return "yuan a mu a year";
    }
    if leaf.contains("age")
        && !leaf.contains("wage")
        && !leaf.starts_with("p_")
        && !leaf.starts_with("beta")
    {
        return "years of age";
    }
    if leaf.ends_with("_share")
        || leaf == "dibao_coverage"
        || leaf == "reimbursement"
        || leaf == "transport_support"
        || leaf == "rho_mixed"
    {
        return "share (0–1)";
    }
    if leaf.starts_with("p_")
        || leaf == "dibao_exit"
        || leaf == "placement_stability"
        || leaf == "rights_protection"
        || leaf == "f_arrears"
    {
        return "probability (0–1)";
    }
    if leaf.ends_with("_growth") {
        return "rate a year";
    }
    if matches!(
        leaf,
        "travel_subsidy"
            | "stipend"
            | "dividend"
            | "dibao_line"
            | "poverty_line"
            | "monitoring_line"
            | "farm_other"
            | "medical_mean"
            | "medical_sd"
            | "c_train"
    ) {
        return "yuan a year";
    }
    if leaf.starts_with("land_") {
        return "mu";
    }
    ""
}

/// The comments of the default scenario, by key and by table.
struct Docs {
    keys: BTreeMap<String, String>,
    tables: BTreeMap<String, String>,
}

fn docs() -> &'static Docs {
    static DOCS: OnceLock<Docs> = OnceLock::new();
    DOCS.get_or_init(|| parse_docs(DEFAULT_SCENARIO_TOML))
}

fn doc_of(path: &str) -> &'static str {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    if path.starts_with("events.") {
        return event_field_doc(leaf);
    }
    if path.starts_with("levers.") {
        match leaf {
            "enabled" => return "Whether the lever exists in this scenario (off: it never acts).",
            "start_year" => return "First year the lever acts.",
            "end_year" => return "Last year the lever acts (inclusive).",
            _ => {}
        }
    }
    docs().keys.get(path).map_or("", String::as_str)
}

/// Each key's comment: the `#` lines right above it, joined. A lever
/// table's first comment describes the lever (its `enabled` key follows
/// at once), so it is the table's.
fn parse_docs(text: &str) -> Docs {
    let mut docs = Docs {
        keys: BTreeMap::new(),
        tables: BTreeMap::new(),
    };
    let mut table = String::new();
    let mut fresh_table = false;
    let mut pending: Vec<&str> = Vec::new();
    // Keys written one under another share the comment above the first
    // (`alpha_local`, `alpha_farm`, … under `alpha_outbound`'s).
    let mut previous: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            pending.clear();
            previous = None;
        } else if let Some(comment) = line.strip_prefix('#') {
            pending.push(comment.trim());
            previous = None;
        } else if line.starts_with('[') {
            table = line.trim_matches(|c| c == '[' || c == ']').to_string();
            fresh_table = true;
            pending.clear();
            previous = None;
        } else if let Some((key, _)) = line.split_once('=') {
            let doc = match (&previous, pending.is_empty()) {
                (Some(doc), true) => doc.clone(),
                _ => pending.join(" "),
            };
            previous = Some(doc.clone());
            if fresh_table && table.starts_with("levers.") {
                docs.tables.insert(table.clone(), doc);
            } else if !doc.is_empty() {
                let path = if table.is_empty() {
                    key.trim().to_string()
                } else {
                    format!("{table}.{}", key.trim())
                };
                docs.keys.insert(path, doc);
            }
            fresh_table = false;
            pending.clear();
        }
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::path::{self, KeyKind};

    /// Every numeric key's range is the validation's own: a value just
    /// outside a bound is refused, the bound itself (when inclusive) is
    /// accepted.
    #[test]
    fn every_range_is_validations_own() {
        let s = Scenario::default();
        let mut checked = 0;
        for key in path::leaf_paths(&s) {
            let Ok(kind) = path::kind_of(&s, &key) else {
                continue;
            };
            if !kind.is_numeric() {
                continue;
            }
            let info = key_info(&s, &key);
            let refused_under = |v: f64| -> Option<bool> {
                let value = match kind {
                    KeyKind::Integer => {
                        // Beyond 2^53 a float cannot step by one.
                        if v.fract() != 0.0 || v.abs() > 9_007_199_254_740_992.0 {
                            return None;
                        }
                        toml::Value::Integer(v as i64)
                    }
                    _ => toml::Value::Float(v),
                };
                // A value the key's type cannot hold is refused by the
                // file's parser, not by a range.
                let changed = path::with_values(&s, &[(key.as_str(), &value)]).ok()?;
                // A bound that relates two keys is reported under one of
                // them (an end year before the start year, under the
                // start year): the default is valid, so any problem is
                // this value's.
                Some(validate::validate(&changed).is_err())
            };
            let step = |x: f64| {
                if kind == KeyKind::Integer {
                    1.0
                } else {
                    (x.abs() * 1e-9).max(1e-9)
                }
            };
            if let Some(min) = info.min {
                if let Some(refused) = refused_under(min - step(min)) {
                    assert!(
                        refused,
                        "{key}: {} below its min {min} is accepted",
                        min - step(min)
                    );
                    checked += 1;
                }
                // The initial shares must also sum to 1, so one alone
                // cannot move to its bound.
                let joint = key.starts_with("population.initial_shares.");
                if !info.min_exclusive
                    && !joint
                    && let Some(refused) = refused_under(min)
                {
                    assert!(!refused, "{key}: its min {min} is refused");
                }
            }
            if let Some(max) = info.max {
                if let Some(refused) = refused_under(max + step(max)) {
                    assert!(
                        refused,
                        "{key}: {} above its max {max} is accepted",
                        max + step(max)
                    );
                    checked += 1;
                }
                if !key.starts_with("population.initial_shares.")
                    && let Some(refused) = refused_under(max)
                {
                    assert!(!refused, "{key}: its max {max} is refused");
                }
            }
        }
        assert!(checked > 100, "only {checked} bounds were checked");
    }

    #[test]
    fn every_key_of_the_default_scenario_has_a_doc() {
        let s = Scenario::default();
        let missing: Vec<String> = path::leaf_paths(&s)
            .into_iter()
            .filter(|k| doc_of(k).is_empty())
            .collect();
        assert!(missing.is_empty(), "keys without a doc: {missing:?}");
        for (lever, _) in LEVERS {
            assert!(!lever_doc(lever).is_empty(), "{lever} has no doc");
        }
    }

    #[test]
    fn money_shares_and_years_have_their_units() {
        let s = Scenario::default();
        assert_eq!(
            key_info(&s, "levers.workshops.w_workshop_month").unit,
            "yuan a month"
        );
        assert_eq!(key_info(&s, "levers.workshops.end_year").unit, "year");
        assert_eq!(key_info(&s, "levers.training.stipend").unit, "yuan a year");
        let share = key_info(&s, "levers.workshops.workshop_jobs_share");
        assert_eq!(share.unit, "share (0–1)");
        assert_eq!((share.min, share.max), (Some(0.0), Some(1.0)));
        let window = key_info(&s, "levers.workshops.start_year");
        assert_eq!(window.max, Some(2025.0), "not after end_year");
        let event = key_info(&s, "events.0.job_loss_factor");
        assert_eq!((event.min, event.unit), (Some(0.0), "factor"));
    }
}
