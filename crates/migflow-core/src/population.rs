//! Households at relocation: the synthetic population of MODEL.md §2, or a
//! CSV file of survey micro-data.

use crate::error::{Error, Result};
use crate::model::constants::LAST_WORK_AGE;
use crate::model::{Household, Livelihood, MAX_MEMBERS, SurveyFacts};
use crate::params::{
    Params, PopulationSettings, Scenario,
    validate::{MAX_HOUSEHOLDS, MAX_MAGNITUDE, readable},
};
use crate::rng::{Purpose, SETUP_YEAR, Stream};
use rand_distr::{Beta, Binomial, Distribution, Gamma};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Global village index of household `i` (MODEL.md §1): site `i mod
/// sites`, and within it village `(i div sites) mod villages_per_site`.
pub(crate) fn home_of(i: u64, p: &PopulationSettings) -> u32 {
    let sites = u64::from(p.sites);
    let site = (i % sites) as u32;
    let village = ((i / sites) % u64::from(p.villages_per_site)) as u32;
    site * p.villages_per_site + village
}

/// Whether a household has a laborer at its initial ages (nobody sick).
pub(crate) fn has_initial_laborer(ages: &[u8], work_age: u8) -> bool {
    ages.iter().any(|a| (work_age..=LAST_WORK_AGE).contains(a))
}

/// The distributions of the synthetic population, built once.
struct Draws {
    size_extra: Binomial,
    skill: Beta<f64>,
    attachment: Beta<f64>,
    land: Gamma<f64>,
}

impl Draws {
    fn new(p: &PopulationSettings) -> Option<Draws> {
        Some(Draws {
            size_extra: Binomial::new(u64::from(p.size_extra_trials), p.size_extra_p).ok()?,
            skill: Beta::new(p.skill_alpha, p.skill_beta).ok()?,
            attachment: Beta::new(p.attachment_alpha, p.attachment_beta).ok()?,
            land: Gamma::new(p.land_shape, p.land_scale).ok()?,
        })
    }
}

/// Draw household `i` of a synthetic population.
fn synthetic_household(i: u64, s: &Scenario, d: &Draws, seed: u64, replicate: u32) -> Household {
    let p = &s.population;
    let mut rng = Stream::new(seed, replicate, i, SETUP_YEAR, Purpose::Population);
    let size = 1 + d.size_extra.sample(&mut rng) as usize;
    let mut ages = [0u8; MAX_MEMBERS];
    let uniform_age =
        |rng: &mut Stream, lo: u32, hi: u32| rng.int_inclusive(lo.into(), hi.into()) as u8;
    ages[0] = uniform_age(&mut rng, p.head_age_min, p.head_age_max);
    if size > 1 {
        let gap = i64::from(p.spouse_age_gap);
        ages[1] = (i64::from(ages[0]) + rng.int_inclusive(-gap, gap)) as u8;
    }
    for age in ages.iter_mut().take(size).skip(2) {
        *age = if rng.bernoulli(p.p_child) {
            uniform_age(&mut rng, 0, p.child_age_max)
        } else if rng.bernoulli(p.p_elder) {
            uniform_age(&mut rng, p.elder_age_min, p.elder_age_max)
        } else {
            uniform_age(&mut rng, p.adult_age_min, p.adult_age_max)
        };
    }
    let skill = d.skill.sample(&mut rng);
    let attachment = d.attachment.sample(&mut rng);
    let land_mu = if rng.bernoulli(p.p_landless) {
        0.0
    } else {
        d.land.sample(&mut rng)
    };
    let work_age = s.economy.work_age as u8;
    let state = if !has_initial_laborer(&ages[..size], work_age) {
        Livelihood::None
    } else {
        initial_state(&p.initial_shares.as_array(), land_mu > 0.0, rng.uniform())
    };
    let village = home_of(i, p);
    Household::new(&ages[..size], village, skill, land_mu, attachment, state)
}

/// Draw an initial state from the shares with one uniform `u`; without land
/// only outbound, local and none, renormalised.
pub(crate) fn initial_state(shares: &[f64; 5], has_land: bool, u: f64) -> Livelihood {
    let allowed = |k: Livelihood| has_land || !matches!(k, Livelihood::Farm | Livelihood::Mixed);
    let total: f64 = Livelihood::ALL
        .iter()
        .filter(|&&k| allowed(k))
        .map(|k| shares[k.index()])
        .sum();
    if total <= 0.0 {
        return Livelihood::None;
    }
    let mut acc = 0.0;
    let mut last = Livelihood::None;
    for k in Livelihood::ALL.into_iter().filter(|&k| allowed(k)) {
        if shares[k.index()] <= 0.0 {
            continue;
        }
        acc += shares[k.index()] / total;
        last = k;
        if u < acc {
            return k;
        }
    }
    last
}

/// The synthetic population of a scenario, in household order.
pub fn synthetic(params: &Params, seed: u64, replicate: u32) -> Vec<Household> {
    let s = params.scenario();
    let Some(draws) = Draws::new(&s.population) else {
        // Validation rejects every parameter the distributions refuse.
        return Vec::new();
    };
    (0..s.population.households)
        .into_par_iter()
        .map(|i| synthetic_household(i, s, &draws, seed, replicate))
        .collect()
}

/// The columns every population CSV file has, in any order.
pub const CSV_COLUMNS: [&str; 7] = [
    "site",
    "village",
    "ages",
    "skill",
    "land_mu",
    "attachment",
    "state",
];

/// The columns a population CSV file may have besides [`CSV_COLUMNS`]
/// (MODEL.md §2): `id`, the survey's household identifier; `weight`, the
/// survey weight; `distance_km`, the household's own distance to its
/// origin village.
pub const OPTIONAL_CSV_COLUMNS: [&str; 3] = ["id", "weight", "distance_km"];

/// Whether the model reads the column `name` of a population file (so
/// `population.ignore_columns` may not name it).
pub fn is_model_column(name: &str) -> bool {
    CSV_COLUMNS.contains(&name) || OPTIONAL_CSV_COLUMNS.contains(&name)
}

/// The households of a population CSV file, in row order: household `i`
/// (its household number) is data row `i + 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPopulation {
    /// One per data row, in row order.
    pub households: Vec<Household>,
    /// The file's `id` column, indexed by household number (`survey_ids[i]`
    /// is household `i`'s), each non-empty and unique within the file; none
    /// for a file without that column. Shared, not copied, by the runs of
    /// the population.
    pub survey_ids: Option<Arc<[String]>>,
    /// The file's `weight` and `distance_km` columns, by household number.
    pub survey: SurveyFacts,
}

impl LoadedPopulation {
    /// The survey's identifier of household number `household`, if the
    /// file has an `id` column and such a household.
    pub fn survey_id(&self, household: u32) -> Option<&str> {
        self.survey_ids
            .as_deref()
            .and_then(|ids| ids.get(household as usize))
            .map(String::as_str)
    }
}

/// Read households from a CSV source with the columns [`CSV_COLUMNS`]:
/// `site` (0-based), `village` (0-based within the site), `ages` (members'
/// ages separated by `;`), `skill` and `attachment` in [0, 1], `land_mu` ≥ 0,
/// and `state` (outbound, local, farm, mixed or none); and optionally
/// ([`OPTIONAL_CSV_COLUMNS`]) `id` (any non-empty text, unique within the
/// file), `weight` (a number > 0; 1 without the column) and `distance_km`
/// (a number ≥ 0; without the column, the village's distance). A column
/// the model does not read is refused unless the scenario lists it in
/// `population.ignore_columns`; an entry of that list that is not a
/// column of the file, or that is a column the model reads, is refused.
/// `path` only names the source in errors; `available` is the memory
/// budget in bytes (none: unbounded), checked as the buffers grow, so a
/// file larger than memory is refused at the row where it stops fitting.
pub fn read_csv<R: std::io::Read>(
    input: R,
    path: &Path,
    params: &Params,
    available: Option<u64>,
) -> Result<LoadedPopulation> {
    read_csv_within(input, path, params.scenario(), available)
}

/// The longest line a population CSV may have (a household row is well
/// under 100 bytes).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A reader that fails once a line grows past [`MAX_LINE_BYTES`], so that a
/// binary file or a device given as the population is refused instead of
/// being buffered whole as one record.
struct LineLimited<R> {
    inner: R,
    line: usize,
}

impl<R: std::io::Read> std::io::Read for LineLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let too_long = match (
            chunk.iter().position(|&b| b == b'\n'),
            chunk.iter().rposition(|&b| b == b'\n'),
        ) {
            (Some(first), Some(last)) => {
                let long = self.line + first > MAX_LINE_BYTES;
                self.line = n - last - 1;
                long
            }
            _ => {
                self.line += n;
                self.line > MAX_LINE_BYTES
            }
        };
        if too_long {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "a line longer than {} MiB: not a population CSV",
                    MAX_LINE_BYTES >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// Make room for more households, refusing (with what was expected) when
/// the larger buffer, next to the one it replaces and the `held` bytes
/// that the survey ids read so far take, would not fit in the `available`
/// bytes, or when the allocation fails: a file larger than memory is
/// refused while it is read, not by an aborted allocation.
fn grow_within_memory(
    households: &mut Vec<Household>,
    held: u64,
    available: Option<u64>,
) -> std::result::Result<(), MemoryShortfall> {
    let size = std::mem::size_of::<Household>() as u64;
    let len = households.len() as u64;
    let grow = len.max(1024).min(MAX_HOUSEHOLDS.saturating_sub(len).max(1));
    let shortfall = |available: u64| MemoryShortfall {
        households: len + grow,
        needed: (2 * len + grow).saturating_mul(size).saturating_add(held),
        available,
    };
    if let Some(available) = available
        && shortfall(available).needed > available
    {
        return Err(shortfall(available));
    }
    households
        .try_reserve_exact(grow as usize)
        .map_err(|_| shortfall(available.unwrap_or(0)))
}

/// About what one survey id takes while the file is read, besides its
/// text: its entry in the table of ids seen (with the table's slack) and
/// its place in the final list.
const ID_ENTRY_BYTES: u64 = 3 * std::mem::size_of::<(String, usize)>() as u64;

/// A population that does not fit in the memory available, as the row
/// error's "expected" text states it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MemoryShortfall {
    households: u64,
    needed: u64,
    available: u64,
}

impl std::fmt::Display for MemoryShortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a population that fits in memory: {} households need about {} \
             to load, and {} is available",
            self.households,
            crate::stats::gigabytes(self.needed),
            crate::stats::gigabytes(self.available)
        )
    }
}

/// Where the columns the model reads are in the header.
struct Columns {
    /// The index of each of [`CSV_COLUMNS`].
    required: [usize; 7],
    id: Option<usize>,
    weight: Option<usize>,
    distance_km: Option<usize>,
}

/// Check a population file's header against the model's columns and the
/// scenario's `ignore_columns`; where each column the model reads is.
/// `bad(column, value, expected)` makes the header's error.
fn header_columns(
    headers: &csv::StringRecord,
    ignore: &[String],
    bad: impl Fn(&str, &str, &str) -> Error,
) -> Result<Columns> {
    if let Some(dup) = headers
        .iter()
        .enumerate()
        .find_map(|(j, h)| headers.iter().take(j).any(|g| g == h).then_some(h))
    {
        return Err(bad(dup, dup, "each column named once in the header"));
    }
    if let Some(model) = ignore.iter().find(|c| is_model_column(c)) {
        return Err(bad(
            model,
            model,
            &format!(
                "only survey-only columns in population.ignore_columns: the model reads \
                 `{model}`, and ignoring it would drop its data"
            ),
        ));
    }
    let position = |name: &str| headers.iter().position(|h| h == name);
    let mut required = [0usize; 7];
    for (slot, name) in required.iter_mut().zip(CSV_COLUMNS) {
        *slot = position(name).ok_or_else(|| {
            bad(
                name,
                "(missing)",
                &format!("a header with the columns {}", CSV_COLUMNS.join(", ")),
            )
        })?;
    }
    let file_columns = || headers.iter().collect::<Vec<_>>().join(", ");
    if let Some(absent) = ignore.iter().find(|c| position(c).is_none()) {
        return Err(bad(
            absent,
            "(missing)",
            &format!(
                "each population.ignore_columns entry to be a column of the file, whose \
                 columns are {}",
                file_columns()
            ),
        ));
    }
    if let Some(extra) = headers
        .iter()
        .find(|h| !is_model_column(h) && !ignore.iter().any(|c| c == h))
    {
        return Err(bad(
            extra,
            extra,
            &format!(
                "only the columns {}, the optional {}, and the survey's own columns \
                 listed in population.ignore_columns (add `{extra}` there to read past it)",
                CSV_COLUMNS.join(", "),
                OPTIONAL_CSV_COLUMNS.join(", ")
            ),
        ));
    }
    Ok(Columns {
        required,
        id: position("id"),
        weight: position("weight"),
        distance_km: position("distance_km"),
    })
}

fn read_csv_within<R: std::io::Read>(
    input: R,
    path: &Path,
    s: &Scenario,
    available: Option<u64>,
) -> Result<LoadedPopulation> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(LineLimited {
            inner: input,
            line: 0,
        });
    let bad = |row: usize, column: &str, value: &str, expected: &str| Error::PopulationRow {
        path: path.to_path_buf(),
        row,
        column: column.to_string(),
        value: value.to_string(),
        expected: expected.to_string(),
    };
    let headers = reader
        .headers()
        .map_err(|e| bad(0, "header", &e.to_string(), "a CSV header row"))?
        .clone();
    let p = &s.population;
    let columns = header_columns(&headers, &p.ignore_columns, |column, value, expected| {
        bad(0, column, value, expected)
    })?;
    let index = columns.required;
    let mut households = Vec::new();
    let mut weights = Vec::new();
    let mut distances_km = Vec::new();
    // Each survey id, with the index of its household, while the rows are
    // read; and the bytes the ids take (for the memory check).
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut id_bytes = 0u64;
    for (n, record) in reader.records().enumerate() {
        let row = n + 1;
        if households.len() == households.capacity() {
            grow_within_memory(&mut households, id_bytes, available)
                .map_err(|need| bad(row, "(row)", "more rows", &need.to_string()))?;
        }
        let record =
            record.map_err(|e| bad(row, "(row)", &e.to_string(), "a well-formed CSV row"))?;
        if households.len() as u64 >= MAX_HOUSEHOLDS {
            return Err(bad(
                row,
                "(row)",
                "more rows",
                &format!("at most {MAX_HOUSEHOLDS} households"),
            ));
        }
        let at = |i: usize| record.get(i).unwrap_or("");
        let field = |c: usize| at(index[c]);
        let int = |c: usize, max: u32| -> Result<u32> {
            let v = field(c);
            v.parse::<u32>().ok().filter(|x| *x < max).ok_or_else(|| {
                bad(
                    row,
                    CSV_COLUMNS[c],
                    v,
                    &format!("an integer from 0 to {}", max - 1),
                )
            })
        };
        let unit = |c: usize| -> Result<f64> {
            let v = field(c);
            v.parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or_else(|| bad(row, CSV_COLUMNS[c], v, "a number in [0, 1]"))
        };
        let site = int(0, p.sites)?;
        let village = int(1, p.villages_per_site)?;
        let ages_text = field(2);
        let ages: Vec<u8> = ages_text
            .split(';')
            .map(|a| a.trim().parse::<u8>().ok().filter(|a| *a <= 120))
            .collect::<Option<Vec<u8>>>()
            .filter(|a| (1..=MAX_MEMBERS).contains(&a.len()))
            .ok_or_else(|| {
                bad(
                    row,
                    "ages",
                    ages_text,
                    "1 to 8 ages from 0 to 120 separated by `;`",
                )
            })?;
        let skill = unit(3)?;
        let land_text = field(4);
        let land_mu = land_text
            .parse::<f64>()
            .ok()
            .filter(|x| (0.0..=MAX_MAGNITUDE).contains(x))
            .ok_or_else(|| {
                bad(
                    row,
                    "land_mu",
                    land_text,
                    &format!("a number from 0 to {}", readable(MAX_MAGNITUDE)),
                )
            })?;
        let attachment = unit(5)?;
        let state_text = field(6);
        let state = Livelihood::from_name(state_text).ok_or_else(|| {
            bad(
                row,
                "state",
                state_text,
                "one of outbound, local, farm, mixed, none",
            )
        })?;
        if land_mu == 0.0 && matches!(state, Livelihood::Farm | Livelihood::Mixed) {
            return Err(bad(
                row,
                "state",
                state_text,
                "outbound, local or none for a household without land",
            ));
        }
        let weight = match columns.weight {
            None => 1.0,
            Some(i) => {
                let v = at(i);
                v.parse::<f64>()
                    .ok()
                    .filter(|w| *w > 0.0 && *w <= MAX_MAGNITUDE)
                    .ok_or_else(|| {
                        bad(
                            row,
                            "weight",
                            v,
                            &format!(
                                "a survey weight: a number > 0 and at most {}",
                                readable(MAX_MAGNITUDE)
                            ),
                        )
                    })?
            }
        };
        let distance_km = match columns.distance_km {
            None => None,
            Some(i) => {
                let v = at(i);
                Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|d| (0.0..=MAX_MAGNITUDE).contains(d))
                        .ok_or_else(|| {
                            bad(
                                row,
                                "distance_km",
                                v,
                                &format!(
                                    "a distance in km: a number from 0 to {}",
                                    readable(MAX_MAGNITUDE)
                                ),
                            )
                        })?,
                )
            }
        };
        if let Some(i) = columns.id {
            let id = at(i);
            if id.is_empty() {
                return Err(bad(row, "id", id, "a household identifier: non-empty text"));
            }
            if let Some(&first) = seen_ids.get(id) {
                return Err(bad(
                    row,
                    "id",
                    id,
                    &format!(
                        "an id of one household only: row {} has the id {id:?} too",
                        first + 1
                    ),
                ));
            }
            id_bytes = id_bytes.saturating_add(id.len() as u64 + ID_ENTRY_BYTES);
            let size = std::mem::size_of::<Household>() as u64;
            let needed = (households.capacity() as u64)
                .saturating_mul(size)
                .saturating_add(id_bytes);
            let shortfall = |available: u64| MemoryShortfall {
                households: households.len() as u64 + 1,
                needed,
                available,
            };
            if let Some(available) = available
                && needed > available
            {
                return Err(bad(
                    row,
                    "(row)",
                    "more rows",
                    &shortfall(available).to_string(),
                ));
            }
            seen_ids.try_reserve(1).map_err(|_| {
                bad(
                    row,
                    "(row)",
                    "more rows",
                    &shortfall(available.unwrap_or(0)).to_string(),
                )
            })?;
            seen_ids.insert(id.to_string(), households.len());
        }
        let household = Household::new(
            &ages,
            site * p.villages_per_site + village,
            skill,
            land_mu,
            attachment,
            state,
        );
        weights.push(weight);
        distances_km.push(distance_km.unwrap_or(0.0));
        households.push(household);
    }
    if households.is_empty() {
        return Err(bad(1, "(row)", "(no rows)", "at least one household"));
    }
    let survey_ids = columns.id.map(|_| {
        let mut ids = vec![String::new(); households.len()];
        for (id, i) in seen_ids {
            ids[i] = id;
        }
        Arc::from(ids)
    });
    let survey = SurveyFacts {
        weights: columns.weight.map(|_| Arc::from(weights)),
        distances_km: columns.distance_km.map(|_| Arc::from(distances_km)),
    };
    Ok(LoadedPopulation {
        households,
        survey_ids,
        survey,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_population_larger_than_memory_is_refused_while_read_naming_the_row() {
        let s = Scenario::default();
        let mut csv = String::from("site,village,ages,skill,land_mu,attachment,state\n");
        for _ in 0..5000 {
            csv.push_str("0,0,30;28;5,0.5,1,0.5,farm\n");
        }
        let path = Path::new("big.csv");
        let err = read_csv_within(csv.as_bytes(), path, &s, Some(200_000))
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("big.csv") && err.contains("row ") && err.contains("fits in memory"),
            "{err}"
        );
        let all = read_csv_within(csv.as_bytes(), path, &s, Some(u64::MAX)).expect("fits");
        assert_eq!(all.households.len(), 5000);
    }

    const HEADER: &str = "site,village,ages,skill,land_mu,attachment,state";
    const ROW: &str = "0,1,40;38;10,0.5,2,0.4,farm";

    /// Read `csv` as `pop.csv` for the default scenario with
    /// `population.ignore_columns = ignore`.
    fn read(csv: &str, ignore: &[&str]) -> Result<LoadedPopulation> {
        let mut s = Scenario::default();
        s.population.ignore_columns = ignore.iter().map(|c| c.to_string()).collect();
        read_csv_within(csv.as_bytes(), Path::new("pop.csv"), &s, None)
    }

    /// The error text of reading `csv`, which must be refused, naming the
    /// file and each of `parts`.
    fn refused(csv: &str, ignore: &[&str], parts: &[&str]) -> String {
        let err = read(csv, ignore).expect_err("refused").to_string();
        for part in std::iter::once("pop.csv").chain(parts.iter().copied()) {
            assert!(err.contains(part), "missing {part:?} in: {err}");
        }
        err
    }

    #[test]
    fn a_file_without_the_optional_columns_has_weight_1_no_distance_and_no_ids() {
        let p = read(&format!("{HEADER}\n{ROW}\n{ROW}\n"), &[]).expect("read");
        assert_eq!(p.households.len(), 2);
        assert_eq!(p.survey, SurveyFacts::default());
        assert_eq!(p.survey_ids, None);
        assert_eq!(p.survey_id(0), None);
    }

    #[test]
    fn id_weight_and_distance_km_are_read_in_any_order() {
        let csv = format!(
            "weight,id,{HEADER},distance_km\n\
             2.5,GX-0001,{ROW},12.5\n\
             0.25, GX 0002 ,{ROW},0\n\
             1e3,=1+1,{ROW},1e9\n"
        );
        let p = read(&csv, &[]).expect("read");
        let weights: Vec<f64> = (0..3).map(|i| p.survey.weight(i)).collect();
        assert_eq!(weights, [2.5, 0.25, 1000.0]);
        let distances: Vec<Option<f64>> = (0..3).map(|i| p.survey.own_distance(i)).collect();
        assert_eq!(distances, [Some(12.5), Some(0.0), Some(1e9)]);
        // Ids are trimmed; the panel, not the loader, neutralises formulas.
        assert_eq!(
            p.survey_ids.as_deref(),
            Some(&["GX-0001".to_string(), "GX 0002".into(), "=1+1".into()][..])
        );
        assert_eq!(p.survey_id(1), Some("GX 0002"));
        assert_eq!(p.survey_id(3), None);
        // The other columns are still read where they are.
        assert!(p.households.iter().all(|h| h.village == 1 && h.size == 3));
    }

    #[test]
    fn a_bad_weight_is_refused_naming_row_column_value_and_expectation() {
        for bad in ["0", "-1", "abc", "NaN", "inf", "-inf", "", "1e10", "-0"] {
            let csv = format!("{HEADER},weight\n{ROW},1\n{ROW},{bad}\n");
            refused(
                &csv,
                &[],
                &[
                    "row 2",
                    "column `weight`",
                    &format!("{bad:?}"),
                    "a number > 0",
                ],
            );
        }
    }

    #[test]
    fn a_bad_distance_is_refused_naming_row_column_value_and_expectation() {
        for bad in ["-1", "abc", "NaN", "inf", "", "2e9"] {
            let csv = format!("{HEADER},distance_km\n{ROW},3\n{ROW},4\n{ROW},{bad}\n");
            refused(
                &csv,
                &[],
                &[
                    "row 3",
                    "column `distance_km`",
                    &format!("{bad:?}"),
                    "a number from 0 to 1e9",
                ],
            );
        }
    }

    #[test]
    fn a_repeated_id_is_refused_naming_both_rows() {
        let csv = format!("id,{HEADER}\nA-1,{ROW}\nB-2,{ROW}\nC-3,{ROW}\nB-2,{ROW}\n");
        refused(
            &csv,
            &[],
            &["row 4", "column `id`", "\"B-2\"", "row 2 has the id"],
        );
        // The same id after trimming is the same id.
        let csv = format!("id,{HEADER}\nA-1,{ROW}\n A-1 ,{ROW}\n");
        refused(&csv, &[], &["row 2", "column `id`", "row 1 has the id"]);
    }

    #[test]
    fn an_empty_id_is_refused() {
        for empty in ["", "   "] {
            let csv = format!("id,{HEADER}\nA-1,{ROW}\n{empty},{ROW}\n");
            refused(
                &csv,
                &[],
                &["row 2", "column `id`", "found \"\"", "non-empty"],
            );
        }
    }

    #[test]
    fn an_unknown_column_is_refused_unless_ignored() {
        let csv = format!("{HEADER},township\n{ROW},Longsheng\n{ROW},Xing'an\n");
        let err = refused(
            &csv,
            &[],
            &["header", "column `township`", "population.ignore_columns"],
        );
        assert!(!err.contains("row 0"), "{err}");
        let p = read(&csv, &["township"]).expect("ignored");
        assert_eq!(p.households.len(), 2);
        // A second unknown column is refused while the first is ignored.
        let csv = format!("{HEADER},township,income\n{ROW},Longsheng,5\n");
        refused(&csv, &["township"], &["header", "column `income`"]);
    }

    #[test]
    fn an_ignored_column_that_the_file_lacks_is_refused_naming_the_file_columns() {
        let csv = format!("{HEADER},township\n{ROW},Longsheng\n");
        refused(
            &csv,
            &["township", "county"],
            &[
                "header",
                "column `county`",
                "(missing)",
                "site, village, ages, skill, land_mu, attachment, state, township",
            ],
        );
    }

    #[test]
    fn an_ignored_column_that_the_model_reads_is_refused() {
        for model in ["site", "ages", "state", "id", "weight", "distance_km"] {
            let csv = format!("id,weight,distance_km,{HEADER}\nA,1,2,{ROW}\n");
            refused(
                &csv,
                &[model],
                &[
                    "header",
                    &format!("column `{model}`"),
                    "population.ignore_columns",
                    "drop its data",
                ],
            );
        }
    }

    #[test]
    fn survey_ids_count_against_the_memory_available() {
        let s = Scenario::default();
        let long = "x".repeat(10_000);
        let mut csv = format!("id,{HEADER}\n");
        for i in 0..200 {
            csv.push_str(&format!("{long}{i},{ROW}\n"));
        }
        let path = Path::new("ids.csv");
        // 1024 households fit in the budget; 2 MB of ids do not.
        let budget = 1024 * std::mem::size_of::<Household>() as u64 + 1_000_000;
        let err = read_csv_within(csv.as_bytes(), path, &s, Some(budget))
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("row ") && err.contains("fits in memory"),
            "{err}"
        );
        let p = read_csv_within(csv.as_bytes(), path, &s, Some(u64::MAX)).expect("fits");
        assert_eq!(p.survey_ids.map(|ids| ids.len()), Some(200));
    }

    #[test]
    fn an_endless_line_is_refused_instead_of_buffered() {
        use std::io::Read;
        let s = Scenario::default();
        let zeros = std::io::repeat(0).take(64 << 20);
        let err = read_csv_within(zeros, Path::new("/dev/zero"), &s, None)
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("/dev/zero") && err.contains("longer than 1 MiB"),
            "{err}"
        );
        let mut header = String::from("site,village,ages,skill,land_mu,attachment,state\n");
        header.push_str(&"0,0,30,0.5,1,0.5,farm\n".repeat(100_000));
        assert_eq!(
            read_csv_within(header.as_bytes(), Path::new("ok.csv"), &s, None)
                .expect("many short lines are fine")
                .households
                .len(),
            100_000
        );
    }

    #[test]
    fn synthetic_population_matches_the_spec() {
        let mut s = Scenario::default();
        s.population.households = 20_000;
        let hh = synthetic(&Params::new(s.clone(), None).unwrap(), 1, 0);
        let n = hh.len() as f64;
        let mean_size = hh.iter().map(|h| f64::from(h.size)).sum::<f64>() / n;
        assert!((mean_size - 4.395).abs() < 0.05, "{mean_size}");
        let landless = hh.iter().filter(|h| h.land_mu == 0.0).count() as f64 / n;
        assert!((landless - 0.15).abs() < 0.01);
        let skill = hh.iter().map(|h| h.skill).sum::<f64>() / n;
        assert!((skill - 2.0 / 7.0).abs() < 0.01);
        for h in &hh {
            assert!((25..=55).contains(&h.ages[0]));
            if h.size > 1 {
                assert!((i32::from(h.ages[1]) - i32::from(h.ages[0])).abs() <= 3);
            }
            if !h.has_land() {
                assert!(!matches!(h.state, Livelihood::Farm | Livelihood::Mixed));
            }
        }
        // Household 5 of 2 sites: site 1, village 2 of that site (global 20 + 2).
        assert_eq!(home_of(5, &s.population), 22);
    }

    #[test]
    fn initial_state_renormalises_without_land() {
        let shares = [0.42, 0.22, 0.10, 0.16, 0.10];
        assert_eq!(initial_state(&shares, false, 0.0), Livelihood::Outbound);
        assert_eq!(
            initial_state(&shares, false, 0.42 / 0.74 + 1e-9),
            Livelihood::Local
        );
        assert_eq!(initial_state(&shares, false, 0.999), Livelihood::None);
        assert_eq!(initial_state(&shares, true, 0.65), Livelihood::Farm);
    }
}
