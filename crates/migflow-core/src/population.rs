//! Households at relocation: the synthetic population of MODEL.md §2, or a
//! CSV file of survey micro-data.

use crate::error::{Error, Result};
use crate::model::constants::LAST_WORK_AGE;
use crate::model::{Household, Livelihood, MAX_MEMBERS};
use crate::params::{
    Params, PopulationSettings, Scenario,
    validate::{MAX_HOUSEHOLDS, MAX_MAGNITUDE, readable},
};
use crate::rng::{Purpose, SETUP_YEAR, Stream};
use rand_distr::{Beta, Binomial, Distribution, Gamma};
use rayon::prelude::*;
use std::path::Path;

/// Site and global village index of household `i` (MODEL.md §1).
pub(crate) fn home_of(i: u64, p: &PopulationSettings) -> (u32, u32) {
    let sites = u64::from(p.sites);
    let site = (i % sites) as u32;
    let village = ((i / sites) % u64::from(p.villages_per_site)) as u32;
    (site, site * p.villages_per_site + village)
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
    let (site, village) = home_of(i, p);
    Household::new(
        &ages[..size],
        site,
        village,
        skill,
        land_mu,
        attachment,
        state,
    )
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

/// The columns of a population CSV file, in any order.
pub const CSV_COLUMNS: [&str; 7] = [
    "site",
    "village",
    "ages",
    "skill",
    "land_mu",
    "attachment",
    "state",
];

/// Read households from a CSV source with the columns [`CSV_COLUMNS`]:
/// `site` (0-based), `village` (0-based within the site), `ages` (members'
/// ages separated by `;`), `skill` and `attachment` in [0, 1], `land_mu` ≥ 0,
/// and `state` (outbound, local, farm, mixed or none). `path` only names
/// the source in errors; `available` is the memory budget in bytes (none:
/// unbounded), checked as the buffer grows, so a file larger than memory is
/// refused at the row where it stops fitting.
pub fn read_csv<R: std::io::Read>(
    input: R,
    path: &Path,
    params: &Params,
    available: Option<u64>,
) -> Result<Vec<Household>> {
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
/// the larger buffer, next to the one it replaces, would not fit in the
/// `available` bytes, or when the allocation fails: a file larger than
/// memory is refused while it is read, not by an aborted allocation.
fn grow_within_memory(
    households: &mut Vec<Household>,
    available: Option<u64>,
) -> std::result::Result<(), MemoryShortfall> {
    let size = std::mem::size_of::<Household>() as u64;
    let len = households.len() as u64;
    let grow = len.max(1024).min(MAX_HOUSEHOLDS.saturating_sub(len).max(1));
    let shortfall = |available: u64| MemoryShortfall {
        households: len + grow,
        needed: (2 * len + grow).saturating_mul(size),
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

fn read_csv_within<R: std::io::Read>(
    input: R,
    path: &Path,
    s: &Scenario,
    available: Option<u64>,
) -> Result<Vec<Household>> {
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
    if let Some(dup) = headers
        .iter()
        .enumerate()
        .find_map(|(j, h)| headers.iter().take(j).any(|g| g == h).then_some(h))
    {
        return Err(bad(0, dup, dup, "each column named once in the header"));
    }
    let mut index = [0usize; 7];
    for (slot, name) in index.iter_mut().zip(CSV_COLUMNS) {
        *slot = headers.iter().position(|h| h == name).ok_or_else(|| {
            bad(
                0,
                name,
                "(missing)",
                &format!("a header with the columns {}", CSV_COLUMNS.join(", ")),
            )
        })?;
    }
    if let Some(extra) = headers.iter().find(|h| !CSV_COLUMNS.contains(h)) {
        return Err(bad(
            0,
            extra,
            extra,
            &format!("only the columns {}", CSV_COLUMNS.join(", ")),
        ));
    }
    let p = &s.population;
    let mut households = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 1;
        if households.len() == households.capacity() {
            grow_within_memory(&mut households, available)
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
        let field = |c: usize| record.get(index[c]).unwrap_or("");
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
        households.push(Household::new(
            &ages,
            site,
            site * p.villages_per_site + village,
            skill,
            land_mu,
            attachment,
            state,
        ));
    }
    if households.is_empty() {
        return Err(bad(1, "(row)", "(no rows)", "at least one household"));
    }
    Ok(households)
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
        assert_eq!(all.len(), 5000);
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
        assert_eq!(home_of(5, &s.population), (1, 22));
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
