//! `manifest.json`: everything needed to repeat a run exactly.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

static PROGRAM_COMMIT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Record the source tree of the program linking this library (the CLI
/// passes its build's `git describe --always --dirty`), for every manifest
/// it writes. The first call wins; an empty text means unknown.
pub fn set_program_commit(commit: &str) {
    let _ = PROGRAM_COMMIT.set(commit.to_string());
}

/// The source tree of this build, when known: a commit, with `-dirty` when
/// the tree had changes that were not committed.
pub fn git_commit() -> Option<String> {
    PROGRAM_COMMIT.get().filter(|c| !c.is_empty()).cloned()
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One output file and its checksum.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// File name in the results directory.
    pub name: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// The manifest of a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// migflow's version.
    pub migflow_version: String,
    /// The git commit migflow was built from, when known.
    pub git_commit: Option<String>,
    /// The command line.
    pub command: Vec<String>,
    /// Where the scenario came from (a path, or `built-in default`).
    pub scenario_source: String,
    /// The fully resolved scenario, every key, as TOML (with the run's seed
    /// and replicates): `migflow run manifest.json` repeats the run.
    pub scenario_toml: String,
    /// Hex SHA-256 of `scenario_toml`.
    pub scenario_sha256: String,
    /// The population file and its SHA-256, when one was used.
    pub population_file: Option<FileEntry>,
    /// Master seed.
    pub seed: u64,
    /// Replicates.
    pub replicates: u32,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    /// Households per replicate.
    pub households: u64,
    /// Simulated years.
    pub years: u32,
    /// Start time, RFC 3339.
    pub start_time: String,
    /// End time, RFC 3339.
    pub end_time: String,
    /// Wall time of the simulation and the writing, seconds.
    pub wall_seconds: f64,
    /// Household-years simulated per second of wall time.
    pub household_years_per_second: f64,
    /// The output files and their checksums.
    pub files: Vec<FileEntry>,
}

/// Read a manifest.
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: format!("not a migflow manifest: {e}"),
    })
}

/// Hex SHA-256 of a file's bytes, read in blocks (results files can be
/// gigabytes).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Check that `dir/name` still has the SHA-256 its manifest recorded, so
/// that a file edited or damaged after migflow wrote it is never read as
/// a result. A file the manifest does not list, or that is missing, is
/// left to the reader (which names what it needs).
pub fn verify_file(dir: &Path, files: &[FileEntry], name: &str) -> Result<()> {
    let Some(entry) = files.iter().find(|f| f.name == name) else {
        return Ok(());
    };
    let path = dir.join(name);
    if !path.exists() {
        return Ok(());
    }
    let found = sha256_file(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    if found != entry.sha256 {
        return Err(Error::Input {
            path,
            message: format!(
                "changed since migflow wrote it: its SHA-256 is {found}, but {} records {}. \
                 Restore it, or repeat the work that wrote it",
                dir.join("manifest.json").display(),
                entry.sha256
            ),
        });
    }
    Ok(())
}

/// A shard: the runs `index, index + count, index + 2·count, …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// First run, 0-based, below `count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Whether run `run` belongs to the shard.
    pub fn contains(&self, run: u64) -> bool {
        run % self.count == self.index
    }
}

/// Status of a finished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Completed with results.
    Ok,
    /// Failed; its error is in `failures.csv`.
    Failed,
}

/// The manifest of a finished sweep directory. It holds no times or thread
/// counts, so that the same sweep gives the same bytes however it was run
/// (the timings are in `timing.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepManifest {
    /// migflow's version.
    pub migflow_version: String,
    /// The git commit of the build, when known.
    pub git_commit: Option<String>,
    /// The sweep file as resolved.
    pub sweep_toml: String,
    /// Hex SHA-256 of the resolved sweep (file, base scenario, points).
    pub sweep_sha256: String,
    /// The base scenario, every key.
    pub base_scenario_toml: String,
    /// The design kind.
    pub design: String,
    /// Master seed.
    pub seed: u64,
    /// Replicates per point.
    pub replicates: u32,
    /// Factor paths.
    pub factors: Vec<String>,
    /// Design points.
    pub points: u64,
    /// Runs in the whole sweep.
    pub runs: u64,
    /// The shard this directory holds, or none for a whole sweep.
    pub shard: Option<Shard>,
    /// Runs completed with results.
    pub completed: u64,
    /// Runs that failed.
    pub failed: u64,
    /// Every run of this directory and its status, in run order.
    pub run_status: Vec<(u64, RunStatus)>,
    /// SHA-256 of each output file.
    pub files: Vec<FileEntry>,
}

/// Read a finished sweep directory's manifest.
pub fn read_sweep_manifest(dir: &Path) -> Result<SweepManifest> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        path,
        message: format!("not a finished migflow sweep: {e}"),
    })
}

/// `value` as pretty JSON, the form of every manifest and state file; a
/// failure is an error, never an empty file.
pub fn to_json<T: Serialize>(value: &T, what: &str) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| {
        Error::Core(migflow_core::Error::Serialize {
            what: what.to_string(),
            message: e.to_string(),
        })
    })
}

/// `value` as TOML (a resolved sweep or calibration file); a failure is an
/// error, never an empty text that would parse as the defaults.
pub fn to_toml_text<T: Serialize>(value: &T, what: &str) -> Result<String> {
    toml::to_string(value).map_err(|e| {
        Error::Core(migflow_core::Error::Serialize {
            what: what.to_string(),
            message: e.to_string(),
        })
    })
}
