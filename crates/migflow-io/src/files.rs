//! Reading the inputs a run depends on: TOML files (scenario, sweep,
//! calibration) with a size bound, the population CSV file (hashed as it is
//! read), and the manifest of a run to repeat (checked against the hashes
//! it records).

use crate::error::{Error, Result};
use migflow_core::params::{self, Params};
use migflow_core::population::LoadedPopulation;
use migflow_core::run::PopulationSource;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// The largest TOML file migflow reads (scenario, sweep, calibration): far
/// above any real one, it keeps a wrong path (a device, a data file) from
/// filling memory.
pub const MAX_TOML_BYTES: u64 = 16 << 20;

/// Read a TOML input file as text, refusing one larger than
/// [`MAX_TOML_BYTES`].
pub fn read_toml_text(path: &Path) -> Result<String> {
    crate::input::read_text(
        path,
        MAX_TOML_BYTES,
        "a TOML scenario, sweep or calibration file",
    )
}

/// Read, parse and validate a scenario file.
pub fn load_scenario(path: &Path) -> Result<Params> {
    let text = read_toml_text(path)?;
    let scenario = params::parse(&text, path)?;
    Ok(Params::new(scenario, Some(path.to_path_buf()))?)
}

/// Load the households (and survey ids) of a population CSV file for
/// `params` (see [`migflow_core::population::read_csv`] for the format),
/// within the memory available.
pub fn load_population_csv(path: &Path, params: &Params) -> Result<LoadedPopulation> {
    load_population_csv_hashed(path, params).map(|(population, _)| population)
}

/// [`load_population_csv`], and the hex SHA-256 of the file's bytes as they
/// were read (so that the hash a manifest records is the one of the
/// households the run used, even when the file changes meanwhile).
pub fn load_population_csv_hashed(
    path: &Path,
    params: &Params,
) -> Result<(LoadedPopulation, String)> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    // A regular file; its size is bounded by the memory check as it is
    // read (a population can be large).
    let file = crate::input::open_streamed(path, "a population CSV file")?;
    let mut reader = HashingReader {
        inner: std::io::BufReader::new(file),
        hasher: Sha256::new(),
    };
    let population = migflow_core::population::read_csv(
        &mut reader,
        path,
        params,
        crate::resources::available_memory(),
    )?;
    // The reader may stop before the end (trailing empty lines): the hash
    // covers the whole file.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(read_err)?;
    let digest = reader.hasher.finalize();
    Ok((
        population,
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The households a run of `params` starts from: its population file's
/// (loaded once and shared by every replicate) or the synthetic population.
pub fn population_source(params: &Params) -> Result<PopulationSource> {
    population_source_hashed(params).map(|(source, _)| source)
}

/// [`population_source`], and for a population file the SHA-256 of the
/// bytes loaded.
pub fn population_source_hashed(params: &Params) -> Result<(PopulationSource, Option<String>)> {
    match params.population_file() {
        Some(path) => {
            let (population, sha256) = load_population_csv_hashed(&path, params)?;
            Ok((PopulationSource::Loaded(population), Some(sha256)))
        }
        None => Ok((PopulationSource::Synthetic, None)),
    }
}

/// A recorded run to repeat: the scenario of the `manifest.json` at `path`
/// (with the seed and replicates it ran with; a relative population file
/// is found from the manifest's directory), and the SHA-256 its population
/// file must have. A `scenario_toml` that is not the one `scenario_sha256`
/// records (it was edited) is an [`Error::InputChanged`]; so is, when the
/// run loads it, a population file with another hash than the recorded one.
pub fn load_manifest(path: &Path) -> Result<(Params, Option<String>)> {
    let manifest = crate::manifest::read_manifest(path)?;
    let found = crate::manifest::sha256_hex(manifest.scenario_toml.as_bytes());
    if found != manifest.scenario_sha256 {
        return Err(Error::InputChanged {
            path: path.to_path_buf(),
            what: "its scenario_toml (hashed as scenario_sha256)",
            manifest: path.to_path_buf(),
            expected: manifest.scenario_sha256,
            found,
        });
    }
    let scenario = params::parse(&manifest.scenario_toml, path)?;
    let params = Params::new(scenario, Some(path.to_path_buf()))?;
    let expected = match (params.population_file(), manifest.population_file) {
        (None, _) => None,
        (Some(_), Some(entry)) => Some(entry.sha256),
        (Some(file), None) => {
            return Err(Error::Damaged {
                path: path.to_path_buf(),
                message: format!(
                    "records no SHA-256 of its population file {}, so a rerun cannot check it: \
                     run the scenario file instead",
                    file.display()
                ),
            });
        }
    };
    Ok((params, expected))
}
