//! Scenario files: the schema with defaults, loading with precise errors,
//! validation, and dotted-path access to keys.

pub mod meta;
pub mod path;
mod schema;
mod set;
pub mod validate;
pub mod year;

pub use schema::*;
pub use set::{SetError, SetProblem, with_sets};
pub use validate::validate;
pub use year::{Year, capacity};

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The T County default scenario as a commented TOML file, built into the
/// binary. `Scenario::default()` holds the same values.
pub const DEFAULT_SCENARIO_TOML: &str = include_str!("../../../../scenarios/t_county.toml");

/// A validated scenario and where it came from: the only thing the engine,
/// the population and every experiment accept.
///
/// It can only be built by [`Params::new`] (or [`Params::default`]), which
/// runs every check of [`validate()`]; its scenario is read-only, so
/// nothing downstream can run a scenario that was not validated, and
/// validation runs once. Change a value by taking the scenario out
/// ([`Params::to_scenario`]), editing it, and validating again.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    scenario: Scenario,
    source: Option<PathBuf>,
}

impl Default for Params {
    /// The built-in default scenario (T County), which is valid.
    fn default() -> Self {
        Params {
            scenario: Scenario::default(),
            source: None,
        }
    }
}

impl Params {
    /// Validate `scenario`. `source` is the file it was read from, if any:
    /// it names the scenario in errors, and a relative population file
    /// resolves against its directory.
    pub fn new(scenario: Scenario, source: Option<PathBuf>) -> Result<Params> {
        Params::checked(scenario, source.clone()).map_err(|problems| Error::Invalid {
            path: source.unwrap_or_else(|| PathBuf::from(BUILTIN_NAME)),
            problems,
        })
    }

    /// [`Params::new`], with the problems found as they are (for callers
    /// that report them in their own words, such as a sweep's failures).
    pub fn checked(
        scenario: Scenario,
        source: Option<PathBuf>,
    ) -> std::result::Result<Params, Vec<crate::error::Problem>> {
        validate(&scenario)?;
        Ok(Params { scenario, source })
    }

    /// The validated scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// A copy of the scenario, to edit and validate again.
    pub fn to_scenario(&self) -> Scenario {
        self.scenario.clone()
    }

    /// What the scenario holds that cannot act (see [`validate::warnings`]),
    /// for the caller to show.
    pub fn warnings(&self) -> Vec<String> {
        validate::warnings(&self.scenario)
    }

    /// The file the scenario was read from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// How errors name this scenario: its file, or the built-in default.
    pub fn source_name(&self) -> &Path {
        self.source.as_deref().unwrap_or(Path::new(BUILTIN_NAME))
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

/// How errors name the built-in default scenario.
pub const BUILTIN_NAME: &str = "<built-in default>";

/// Parse scenario TOML text (not yet validated). `path` only names the
/// source in errors.
pub fn parse(text: &str, path: &Path) -> Result<Scenario> {
    parse_shaped_as(text, path, &Scenario::default())
}

/// Parse a TOML document into `T`, refusing an array or a value where
/// `template` (any value of `T`, usually its default) has a table: serde
/// would otherwise fill a table's fields from an array by position
/// (`economy = [1, 2, 3]` setting the first three economy keys).
pub fn parse_shaped_as<T: serde::de::DeserializeOwned + serde::Serialize>(
    text: &str,
    path: &Path,
    template: &T,
) -> Result<T> {
    let doc: toml::Table = parse_toml_as(text, path)?;
    if let Ok(toml::Value::Table(shape)) = toml::Value::try_from(template)
        && let Some((key, found)) = misshapen_table(&doc, &shape, "")
    {
        let offset = key_line_offset(text, &key).unwrap_or(0);
        let (line, column) = line_column(text, offset);
        return Err(Error::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: format!("`{key}`: expected a table (`[{key}]`), found {found}"),
        });
    }
    parse_toml_as(text, path)
}

/// The first key of `doc` that `shape` has as a table but `doc` does not,
/// with what `doc` has there.
fn misshapen_table(
    doc: &toml::Table,
    shape: &toml::Table,
    prefix: &str,
) -> Option<(String, String)> {
    for (key, value) in doc {
        let Some(toml::Value::Table(inner_shape)) = shape.get(key) else {
            continue;
        };
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => {
                if let Some(found) = misshapen_table(inner, inner_shape, &path) {
                    return Some(found);
                }
            }
            other => return Some((path, format!("{} {other}", other.type_str()))),
        }
    }
    None
}

/// The offset of the line that sets the last segment of dotted `key` (or
/// opens its table), for error positions.
fn key_line_offset(text: &str, key: &str) -> Option<usize> {
    let last = key.rsplit('.').next()?;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(last)
            && rest.trim_start().starts_with('=')
        {
            return Some(offset + (line.len() - trimmed.len()));
        }
        offset += line.len();
    }
    None
}

/// Parse and validate scenario TOML text; `source` names it in errors and
/// anchors its relative population file.
pub fn from_toml(text: &str, source: Option<PathBuf>) -> Result<Params> {
    let name = source
        .clone()
        .unwrap_or_else(|| PathBuf::from(BUILTIN_NAME));
    let scenario = parse(text, &name)?;
    Params::new(scenario, source)
}

/// Parse any TOML document into `T`, with errors that name the file, the
/// line and column, the dotted key (from `serde_path_to_error`, so an
/// `[[events]]` entry is named by its index), and the closest valid key
/// for an unknown one.
pub fn parse_toml_as<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T> {
    let deserializer =
        toml::de::Deserializer::parse(text).map_err(|err| parse_error(text, path, &err, None))?;
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let key = err.path().to_string();
        let key = (!key.is_empty() && key != ".").then_some(key);
        parse_error(text, path, err.inner(), key)
    })
}

/// Serialize a scenario to TOML with every key (the resolved form written
/// next to results). A failure is an error, never an empty text: an empty
/// scenario parses as the default one, so a manifest holding one would
/// silently rerun T County.
pub fn to_toml(scenario: &Scenario) -> Result<String> {
    toml::to_string(scenario).map_err(|e| Error::Serialize {
        what: "the scenario".to_string(),
        message: e.to_string(),
    })
}

fn parse_error(text: &str, path: &Path, err: &toml::de::Error, key: Option<String>) -> Error {
    // No TOML document starts with `{` or `[{`: this is JSON, most likely
    // a run's manifest given where a TOML file is read.
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    if json && key.is_none() {
        return Error::Parse {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "this is JSON, not TOML: `validate`, `sweep` and `calibrate` take scenario, \
                      sweep or calibration TOML files (`migflow run manifest.json` reruns a run \
                      from its manifest)"
                .to_string(),
        };
    }
    let message = err.message().to_string();
    // A check on a whole table reports the table's span; when the message
    // names a key of it (`design.points`), point at that key's line.
    // An entry of an array of tables (`[[events]]`, `[[factors]]`) that
    // fails as a whole is reported with the document's span: point at the
    // entry's header instead.
    let whole_document = err.span().is_none_or(|span| span.start == 0);
    // There, a key the message names (`sites` does not apply …) is pointed
    // at within the entry.
    let start = match key.as_deref().and_then(|k| array_entry_offset(text, k)) {
        Some(offset) if whole_document => {
            Some(named_key_offset(text, offset..text.len(), &message).unwrap_or(offset))
        }
        _ => err
            .span()
            .map(|span| named_key_offset(text, span.clone(), &message).unwrap_or(span.start)),
    };
    let (line, column) = match start {
        Some(offset) => line_column(text, offset),
        None => (1, 1),
    };
    let mut message = message;
    // toml names neither the key nor the table written twice: its span
    // holds the name.
    if message.starts_with("duplicate key")
        && let Some(name) = err
            .span()
            .and_then(|span| text.get(span))
            .map(|name| name.trim().trim_matches(['[', ']']).trim())
            .filter(|name| !name.is_empty() && !name.contains('\n'))
    {
        message = format!("duplicate key `{name}`: a key or table may be given only once");
    }
    // A TOML integer is signed 64-bit: name the value and the range.
    if message.contains("value was too large")
        && let Some(found) = err.span().and_then(|span| text.get(span))
    {
        message = format!(
            "{} is too large: expected an integer from 0 to {} (TOML integers are signed 64-bit)",
            found.trim(),
            i64::MAX
        );
    }
    if let Some(key) = key
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

/// The offset of the header of the array-of-tables entry a dotted path
/// such as `events[1].year` names (its `[[events]]` line, counted from 0).
fn array_entry_offset(text: &str, key: &str) -> Option<usize> {
    let (table, rest) = key.split_once('[')?;
    let index: usize = rest.split(']').next()?.parse().ok()?;
    let header = format!("[[{table}]]");
    let mut offset = 0;
    let mut seen = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == header {
            if seen == index {
                return Some(offset + (line.len() - line.trim_start().len()));
            }
            seen += 1;
        }
        offset += line.len();
    }
    None
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
    fn reference_v1_toml_is_the_version_1_settings() {
        let text = include_str!("../../../../scenarios/reference_v1.toml");
        let parsed = parse(text, Path::new("reference_v1.toml")).unwrap();
        assert_eq!(parsed, Scenario::version_1());
        assert_ne!(parsed, Scenario::default());
    }

    #[test]
    fn builtin_toml_equals_default_struct() {
        let parsed = parse(DEFAULT_SCENARIO_TOML, Path::new("t_county.toml")).unwrap();
        assert_eq!(parsed, Scenario::default());
    }

    #[test]
    fn builtin_toml_states_every_key() {
        let full: toml::Value = toml::from_str(&to_toml(&Scenario::default()).unwrap()).unwrap();
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
    fn a_bad_event_is_named_by_its_index_and_line() {
        let text = "[[events]]\nkind = \"drought\"\nyear = 2024\nharvest_factor = 0.5\n\n[[events]]\nkind = \"drought\"\nyear = \"x\"\nharvest_factor = 0.5\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(
            err.starts_with("s.toml:8:8: `events[1].year`: invalid type: string \"x\""),
            "{err}"
        );
    }

    #[test]
    fn a_bad_element_of_an_events_array_is_named_by_its_key_line_and_value() {
        let event = "[[events]]\nkind = \"drought\"\nyear = 2024\nharvest_factor = 0.5\n";
        for (sites, value) in [
            ("[-1]", "integer `-1`"),
            ("[0, 4294967296]", "integer `4294967296`"),
            ("[0, 1.5]", "floating point `1.5`"),
            ("[0, \"x\"]", "string \"x\""),
        ] {
            let text = format!("[run]\nyears = 4\n\n{event}\n{event}sites = {sites}\n");
            let err = parse(&text, Path::new("s.toml")).unwrap_err().to_string();
            let index = usize::from(sites.contains(','));
            assert!(
                err.starts_with(&format!(
                    "s.toml:13:{}: `events[1].sites[{index}]`: ",
                    10 + 3 * index
                )),
                "{sites}: {err}"
            );
            assert!(
                err.contains(value)
                    && err.contains("expected a site number (sites are numbered from 0"),
                "{sites}: {err}"
            );
        }
        let text = format!("{event}sites = -1\n");
        let err = parse(&text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "s.toml:5:9: `events[0].sites`: invalid type: integer `-1`, expected a sequence"
            ),
            "{err}"
        );
    }

    #[test]
    fn an_event_missing_a_key_or_with_another_kinds_key_is_refused_by_name() {
        let text = "[[events]]\nkind = \"drought\"\nyear = 2024\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(
            err.starts_with("s.toml:1:1: `events[0]`: missing field `harvest_factor`"),
            "{err}"
        );
        let text =
            "[[events]]\nkind = \"east_demand\"\nyear = 2024\njob_loss_factor = 2.0\nsites = [0]\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "s.toml:5:1: `events[0]`: `sites` does not apply to an east_demand event"
            ),
            "{err}"
        );
        let text = "[[events]]\nkind = \"flood\"\nyear = 2024\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(
            err.starts_with("s.toml:2:8: `events[0].kind`: unknown variant `flood`, expected `east_demand` or `drought`"),
            "{err}"
        );
        let text =
            "[[events]]\nkind = \"drought\"\nyear = 2024\nharvest_factor = 0.5\nsitez = [0]\n";
        let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
        assert!(
            err.starts_with("s.toml:5:1: unknown field `sitez`")
                && err.contains("did you mean `sites`?"),
            "{err}"
        );
    }

    #[test]
    fn an_array_where_a_table_belongs_is_refused() {
        for (text, key) in [
            ("economy = [1, 2, 3]\n", "economy"),
            ("population = [5]\n", "population"),
            (
                "[population]\ninitial_shares = [0.2, 0.2, 0.2, 0.2, 0.2]\n",
                "population.initial_shares",
            ),
            ("levers = 3\n", "levers"),
        ] {
            let err = parse(text, Path::new("s.toml")).unwrap_err().to_string();
            assert!(
                err.contains(&format!("`{key}`: expected a table")),
                "{text}: {err}"
            );
        }
        let err = parse("\n\neconomy = [1, 2, 3]\n", Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("s.toml:3:1:"), "{err}");
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
