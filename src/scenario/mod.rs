//! Scenario files: the schema with defaults, loading with precise errors,
//! validation, and dotted-path access to keys.

pub mod path;
mod schema;
pub mod validate;

pub use schema::*;
pub use validate::validate;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The T County default scenario as a commented TOML file, built into the
/// binary. `Scenario::default()` holds the same values.
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../scenarios/t_county.toml");

/// A validated scenario and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    /// The validated scenario.
    pub scenario: Scenario,
    /// The file it was read from, if any (relative paths in it resolve
    /// against this file's directory).
    pub source: Option<PathBuf>,
}

impl LoadedScenario {
    /// The built-in default scenario.
    pub fn builtin_default() -> Self {
        LoadedScenario {
            scenario: Scenario::default(),
            source: None,
        }
    }

    /// The population file, resolved against the scenario's directory.
    pub fn population_file(&self) -> Option<PathBuf> {
        let file = self.scenario.population.file.as_ref()?;
        let path = PathBuf::from(file);
        if path.is_absolute() {
            return Some(path);
        }
        match self.source.as_ref().and_then(|s| s.parent()) {
            Some(dir) => Some(dir.join(path)),
            None => Some(path),
        }
    }
}

/// The largest TOML file migflow reads (scenario, sweep, calibration): far
/// above any real one, it keeps a wrong path (a device, a data file) from
/// filling memory.
pub const MAX_TOML_BYTES: u64 = 16 << 20;

/// Read a TOML input file as text, refusing one larger than
/// [`MAX_TOML_BYTES`].
pub fn read_toml_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(MAX_TOML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_TOML_BYTES {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "larger than {} MiB: expected a TOML scenario, sweep or calibration file",
                MAX_TOML_BYTES >> 20
            ),
        });
    }
    String::from_utf8(bytes).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: format!(
            "not UTF-8 text (byte {}): expected a TOML file",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Read, parse and validate a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario> {
    let text = read_toml_text(path)?;
    let scenario = parse(&text, path)?;
    validate(&scenario).map_err(|problems| Error::Invalid {
        path: path.to_path_buf(),
        problems,
    })?;
    Ok(LoadedScenario {
        scenario,
        source: Some(path.to_path_buf()),
    })
}

/// Parse scenario TOML text (not yet validated). `path` only names the
/// source in errors.
pub fn parse(text: &str, path: &Path) -> Result<Scenario> {
    parse_toml_as(text, path)
}

/// Parse any TOML document into `T`, with errors that name the file, the
/// line and column, the dotted key, and the closest valid key for an
/// unknown one.
pub fn parse_toml_as<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T> {
    toml::from_str::<T>(text).map_err(|err| parse_error(text, path, &err))
}

/// Serialize a scenario to TOML with every key (the resolved form written
/// next to results).
pub fn to_toml(scenario: &Scenario) -> String {
    // Serializing plain structs of numbers and strings cannot fail.
    toml::to_string(scenario).unwrap_or_default()
}

fn parse_error(text: &str, path: &Path, err: &toml::de::Error) -> Error {
    let message = err.message().to_string();
    // A check on a whole table reports the table's span; when the message
    // names a key of it (`design.points`), point at that key's line.
    let start = err
        .span()
        .map(|span| named_key_offset(text, span.clone(), &message).unwrap_or(span.start));
    let (line, column) = match start {
        Some(offset) => line_column(text, offset),
        None => (1, 1),
    };
    let mut message = message;
    if let Some(key) = err.span().and_then(|span| key_at(text, span.start))
        && !message.starts_with("unknown field")
    {
        message = format!("`{key}`: {message}");
    }
    if let Some(suggestion) = suggest_unknown_field(&message) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    Error::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// The offset of the line `key = …`, in the table that starts at `span`, of
/// a backticked key named in `message` (its last dotted segment).
fn named_key_offset(text: &str, span: std::ops::Range<usize>, message: &str) -> Option<usize> {
    if span.is_empty() {
        return None;
    }
    // The table runs from the span's start to the next table header.
    let region = text.get(span.start..)?;
    message.split('`').skip(1).step_by(2).find_map(|token| {
        let key = token.rsplit('.').next()?;
        let mut offset = span.start;
        for (n, line) in region.split_inclusive('\n').enumerate() {
            let trimmed = line.trim_start();
            if n > 0 && trimmed.starts_with('[') {
                break;
            }
            if let Some(rest) = trimmed.strip_prefix(key)
                && rest.trim_start().starts_with('=')
            {
                return Some(offset + (line.len() - trimmed.len()));
            }
            offset += line.len();
        }
        None
    })
}

/// The dotted path of the `key = value` line holding byte `offset`: the
/// last table header above it, then the key.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('#') {
        return None;
    }
    let header = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find_map(|l| {
            l.strip_prefix("[[")
                .and_then(|h| h.split_once("]]"))
                .or_else(|| l.strip_prefix('[').and_then(|h| h.split_once(']')))
                .map(|(h, _)| h.trim().to_string())
        });
    Some(match header {
        Some(h) => format!("{h}.{key}"),
        None => key.to_string(),
    })
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// serde says "unknown field `x`, expected one of `a`, `b`" (or "expected
/// `a`"): pick the closest expected name.
fn suggest_unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_toml_equals_default_struct() {
        let parsed = parse(DEFAULT_SCENARIO_TOML, Path::new("t_county.toml")).unwrap();
        assert_eq!(parsed, Scenario::default());
    }

    #[test]
    fn builtin_toml_states_every_key() {
        let full: toml::Value = toml::from_str(&to_toml(&Scenario::default())).unwrap();
        let written: toml::Value = toml::from_str(DEFAULT_SCENARIO_TOML).unwrap();
        fn walk(
            full: &toml::Value,
            written: &toml::Value,
            prefix: &str,
            missing: &mut Vec<String>,
        ) {
            if let (Some(f), Some(w)) = (full.as_table(), written.as_table()) {
                for (k, v) in f {
                    let path = format!("{prefix}{k}");
                    match w.get(k) {
                        Some(wv) => walk(v, wv, &format!("{path}."), missing),
                        None => missing.push(path),
                    }
                }
            }
        }
        let mut missing = Vec::new();
        walk(&full, &written, "", &mut missing);
        assert!(
            missing.is_empty(),
            "keys missing from t_county.toml: {missing:?}"
        );
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(parse("", Path::new("x.toml")).unwrap(), Scenario::default());
    }

    #[test]
    fn unknown_key_names_line_and_suggestion() {
        let text = "[population]\nhouseholds = 10\nvilages_per_site = 3\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(err.starts_with("s.toml:3:1:"), "{err}");
        assert!(err.contains("did you mean `villages_per_site`"), "{err}");
    }

    #[test]
    fn wrong_type_is_reported_with_position() {
        let text = "[run]\nyears = \"ten\"\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(err.starts_with("s.toml:2:"), "{err}");
        assert!(err.contains("invalid type"), "{err}");
        assert!(err.contains("`run.years`"), "{err}");
    }

    #[test]
    fn events_parse_by_kind() {
        let text =
            "[[events]]\nkind = \"drought\"\nyear = 2024\nharvest_factor = 0.5\nsites = [0]\n";
        let s = parse(text, Path::new("s.toml")).unwrap();
        assert_eq!(
            s.events,
            vec![Event::Drought {
                year: 2024,
                harvest_factor: 0.5,
                sites: Some(vec![0])
            }]
        );
    }
}
