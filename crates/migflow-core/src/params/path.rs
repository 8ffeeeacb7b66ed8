//! Dotted-path access to scenario keys, for sweeps and calibration:
//! `levers.workshops.workshop_jobs_share`, `decision.beta_net`,
//! `events.0.job_loss_factor` (array elements by 0-based index).

use super::Scenario;

/// The kind of value a key holds, for type checks of sweep levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A float.
    Float,
    /// An integer.
    Integer,
    /// A boolean.
    Bool,
    /// A string.
    String,
    /// An array or table (not addressable as one value).
    Compound,
}

impl KeyKind {
    fn of(v: &toml::Value) -> KeyKind {
        match v {
            toml::Value::Float(_) => KeyKind::Float,
            toml::Value::Integer(_) => KeyKind::Integer,
            toml::Value::Boolean(_) => KeyKind::Bool,
            toml::Value::String(_) => KeyKind::String,
            _ => KeyKind::Compound,
        }
    }

    /// Whether values of this kind can vary continuously (lhs, sobol, morris).
    pub fn is_numeric(self) -> bool {
        matches!(self, KeyKind::Float | KeyKind::Integer)
    }

    /// A name for error messages.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Float => "a number",
            KeyKind::Integer => "an integer",
            KeyKind::Bool => "a boolean",
            KeyKind::String => "a string",
            KeyKind::Compound => "a table or array",
        }
    }
}

/// Why a path could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum PathError {
    /// No such key; the closest valid paths.
    Unknown {
        /// The closest valid paths, best first.
        suggestions: Vec<String>,
    },
    /// The key holds a table or array, not a value.
    NotAValue,
    /// The value has the wrong type.
    WrongType {
        /// What the key holds.
        expected: KeyKind,
        /// What was given.
        found: String,
    },
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathError::Unknown { suggestions } if suggestions.is_empty() => {
                write!(f, "no such scenario key")
            }
            PathError::Unknown { suggestions } => write!(
                f,
                "no such scenario key; the closest are {}",
                suggestions
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PathError::NotAValue => write!(f, "the key holds a table or array, not a single value"),
            PathError::WrongType { expected, found } => {
                write!(f, "expected {}, found {found}", expected.name())
            }
        }
    }
}

fn as_value(s: &Scenario) -> toml::Value {
    // A scenario is plain numbers, strings and tables, so this does not
    // fail; if it ever did, the empty table makes every path unknown: an
    // error for the caller, never a wrong value.
    toml::Value::try_from(s).unwrap_or(toml::Value::Table(Default::default()))
}

/// Every addressable leaf path of a scenario, in file order.
pub fn leaf_paths(s: &Scenario) -> Vec<String> {
    fn walk(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(v, &p, out);
                }
            }
            toml::Value::Array(a) if a.iter().all(|x| x.is_table()) && !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    walk(v, &format!("{prefix}.{i}"), out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    let mut out = Vec::new();
    walk(&as_value(s), "", &mut out);
    out
}

fn locate<'v>(root: &'v mut toml::Value, path: &str) -> Option<&'v mut toml::Value> {
    let mut cur = root;
    for seg in path.split('.') {
        cur = match cur {
            toml::Value::Table(t) => t.get_mut(seg)?,
            toml::Value::Array(a) => a.get_mut(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn unknown(s: &Scenario, path: &str) -> PathError {
    let mut scored: Vec<(f64, String)> = leaf_paths(s)
        .into_iter()
        .map(|p| {
            let last = p.rsplit('.').next().unwrap_or("");
            let wanted_last = path.rsplit('.').next().unwrap_or("");
            let score =
                strsim::jaro_winkler(path, &p).max(strsim::jaro_winkler(wanted_last, last) - 0.05);
            (score, p)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    PathError::Unknown {
        suggestions: scored.into_iter().take(3).map(|(_, p)| p).collect(),
    }
}

/// The kind of value at `path`.
pub fn kind_of(s: &Scenario, path: &str) -> Result<KeyKind, PathError> {
    let mut root = as_value(s);
    match locate(&mut root, path) {
        Some(v) => match KeyKind::of(v) {
            KeyKind::Compound => Err(PathError::NotAValue),
            k => Ok(k),
        },
        None => Err(unknown(s, path)),
    }
}

/// The value at `path`.
pub fn get(s: &Scenario, path: &str) -> Result<toml::Value, PathError> {
    let mut root = as_value(s);
    match locate(&mut root, path) {
        Some(v) if KeyKind::of(v) != KeyKind::Compound => Ok(v.clone()),
        Some(_) => Err(PathError::NotAValue),
        None => Err(unknown(s, path)),
    }
}

/// Convert `value` to the kind a key holds: integers are accepted for
/// floats, and integral floats for integers.
pub fn coerce(value: &toml::Value, kind: KeyKind) -> Result<toml::Value, PathError> {
    let wrong = || PathError::WrongType {
        expected: kind,
        found: value.to_string(),
    };
    Ok(match (kind, value) {
        (KeyKind::Float, toml::Value::Float(_)) => value.clone(),
        (KeyKind::Float, toml::Value::Integer(i)) => toml::Value::Float(*i as f64),
        (KeyKind::Integer, toml::Value::Integer(_)) => value.clone(),
        (KeyKind::Integer, toml::Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
            toml::Value::Integer(*f as i64)
        }
        (KeyKind::Bool, toml::Value::Boolean(_)) | (KeyKind::String, toml::Value::String(_)) => {
            value.clone()
        }
        _ => return Err(wrong()),
    })
}

/// A copy of `s` with the values at `paths` replaced (not validated: the
/// caller validates the result). Values are coerced to the key's kind.
pub fn with_values(
    s: &Scenario,
    assignments: &[(&str, &toml::Value)],
) -> Result<Scenario, (String, PathError)> {
    let mut root = as_value(s);
    for (path, value) in assignments {
        let kind = match locate(&mut root, path) {
            Some(v) => KeyKind::of(v),
            None => return Err((path.to_string(), unknown(s, path))),
        };
        if kind == KeyKind::Compound {
            return Err((path.to_string(), PathError::NotAValue));
        }
        let value = coerce(value, kind).map_err(|e| (path.to_string(), e))?;
        if let Some(slot) = locate(&mut root, path) {
            *slot = value;
        }
    }
    root.try_into::<Scenario>().map_err(|e| {
        (
            assignments
                .first()
                .map(|(p, _)| p.to_string())
                .unwrap_or_default(),
            PathError::WrongType {
                expected: KeyKind::Compound,
                found: e.to_string(),
            },
        )
    })
}

/// Parse `KEY=VALUE` (the CLI's `--set`): the value as a TOML value
/// (`0.16`, `20000`, `true`, `"text"`, `[1, 2]`), or as text when it is not
/// one (`population.file=pop.csv`). The value is coerced to the key's kind
/// when it is set ([`with_values`]).
pub fn parse_assignment(text: &str) -> Result<(String, toml::Value), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!(
            "{text:?}: expected KEY=VALUE, a dotted scenario key and its value, e.g. levers.workshops.workshop_jobs_share=0.16"
        ));
    };
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() {
        return Err(format!("{text:?}: the key before `=` is empty"));
    }
    let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    Ok((key.to_string(), parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_as_toml_values_or_text() {
        assert_eq!(
            parse_assignment("a.b=0.16"),
            Ok(("a.b".into(), toml::Value::Float(0.16)))
        );
        assert_eq!(
            parse_assignment("a.b = 20000"),
            Ok(("a.b".into(), toml::Value::Integer(20000)))
        );
        assert_eq!(
            parse_assignment("a=true"),
            Ok(("a".into(), toml::Value::Boolean(true)))
        );
        assert_eq!(
            parse_assignment("population.file=pop.csv"),
            Ok((
                "population.file".into(),
                toml::Value::String("pop.csv".into())
            ))
        );
        assert!(
            parse_assignment("no_equals")
                .unwrap_err()
                .contains("KEY=VALUE")
        );
        assert!(parse_assignment("=1").unwrap_err().contains("empty"));
    }

    #[test]
    fn get_and_set_by_path() {
        let s = Scenario::default();
        assert_eq!(
            get(&s, "levers.workshops.workshop_jobs_share").unwrap(),
            toml::Value::Float(0.08)
        );
        assert_eq!(
            get(&s, "events.0.job_loss_factor").unwrap(),
            toml::Value::Float(2.0)
        );
        let v = toml::Value::Float(0.2);
        let n = toml::Value::Integer(500);
        let t = with_values(
            &s,
            &[
                ("levers.workshops.workshop_jobs_share", &v),
                ("population.households", &n),
            ],
        )
        .unwrap();
        assert_eq!(t.levers.workshops.workshop_jobs_share, 0.2);
        assert_eq!(t.population.households, 500);
        let one = toml::Value::Integer(1);
        let t = with_values(&s, &[("decision.beta_net", &one)]).unwrap();
        assert_eq!(t.decision.beta_net, 1.0);
    }

    #[test]
    fn unknown_path_suggests_the_closest() {
        let s = Scenario::default();
        match kind_of(&s, "levers.workshop.workshop_jobs_share") {
            Err(PathError::Unknown { suggestions }) => {
                assert_eq!(suggestions[0], "levers.workshops.workshop_jobs_share")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(kind_of(&s, "levers.workshops"), Err(PathError::NotAValue));
    }

    #[test]
    fn wrong_type_is_refused() {
        let s = Scenario::default();
        let v = toml::Value::String("many".into());
        let err = with_values(&s, &[("population.households", &v)]).unwrap_err();
        assert!(matches!(
            err.1,
            PathError::WrongType {
                expected: KeyKind::Integer,
                ..
            }
        ));
        let half = toml::Value::Float(0.5);
        assert!(with_values(&s, &[("population.households", &half)]).is_err());
    }
}
