//! Reading the inputs a run depends on: TOML files (scenario, sweep,
//! calibration) with a size bound, and the population CSV file.

use crate::error::{Error, Result};
use migflow_core::model::Household;
use migflow_core::params::{self, Params};
use migflow_core::run::PopulationSource;
use std::path::Path;

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
pub fn load_scenario(path: &Path) -> Result<Params> {
    let text = read_toml_text(path)?;
    let scenario = params::parse(&text, path)?;
    Ok(Params::new(scenario, Some(path.to_path_buf()))?)
}

/// Load the households of a population CSV file for `params` (see
/// [`migflow_core::population::read_csv`] for the format), within the
/// memory available.
pub fn load_population_csv(path: &Path, params: &Params) -> Result<Vec<Household>> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(migflow_core::population::read_csv(
        std::io::BufReader::new(file),
        path,
        params,
        crate::resources::available_memory(),
    )?)
}

/// The households a run of `params` starts from: its population file's
/// (loaded once and shared by every replicate) or the synthetic population.
pub fn population_source(params: &Params) -> Result<PopulationSource> {
    match params.population_file() {
        Some(path) => Ok(PopulationSource::Loaded(load_population_csv(
            &path, params,
        )?)),
        None => Ok(PopulationSource::Synthetic),
    }
}
