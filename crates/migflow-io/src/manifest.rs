//! `manifest.json`: everything needed to repeat a run exactly.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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
    /// The cohort years `cohorts.csv` follows (`start_year − 1` for the
    /// initial state), so that a rerun from this manifest follows the same.
    #[serde(default)]
    pub cohort_years: Vec<i32>,
}

/// The name of a results directory's manifest.
pub const MANIFEST: &str = "manifest.json";

/// The key of the `manifest.json` that marks a set of files being
/// committed (see [`crate::atomic::OutputDir`]): until the commit's last
/// rename puts the real manifest in its place, the directory's files are
/// not one run's results, and every reader refuses them.
pub const INCOMPLETE_KEY: &str = "migflow_incomplete";

/// The `manifest.json` of a set being committed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Incomplete {
    /// What it means, for a person who opens the file.
    pub migflow_incomplete: String,
    /// Every file of the set being replaced and of the set replacing it.
    pub files: Vec<String>,
}

/// The error of a reader that finds a set being committed.
pub(crate) fn incomplete_error(path: &Path) -> Error {
    Error::Damaged {
        path: path.to_path_buf(),
        message: "an interrupted write: migflow was replacing the files of this directory \
                  and stopped before it finished, so they are not one run's results: \
                  run the work again (into this directory or another)"
            .into(),
    }
}

/// Refuse the text of a `manifest.json` that marks a set being committed.
pub(crate) fn refuse_incomplete(path: &Path, text: &str) -> Result<()> {
    let marked = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .is_some_and(|v| v.get(INCOMPLETE_KEY).is_some());
    if marked {
        return Err(incomplete_error(path));
    }
    Ok(())
}

/// What the `manifest.json` of a directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A `migflow run`'s.
    Run,
    /// A sweep's or a merge's.
    Sweep,
    /// A calibration's.
    Calibration,
    /// A set being committed.
    Incomplete,
    /// Not one migflow writes.
    Other,
}

impl Kind {
    /// The work, in words.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
            Kind::Calibration => "calibration",
            Kind::Incomplete => "interrupted run",
            Kind::Other => "manifest",
        }
    }
}

/// A directory's `manifest.json`: its kind and the files it lists.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub kind: Kind,
    /// The names it lists (as written: not checked to be file names).
    pub listed: Vec<String>,
}

/// Read `dir/manifest.json` to find what it is, or `None` when there is
/// none (or it cannot be read).
pub(crate) fn inspect_manifest(dir: &Path) -> Option<Found> {
    // The kind and the list of files, parsed as the file is read (a
    // sweep's manifest can be gigabytes).
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        migflow_incomplete: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        scenario_toml: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        sweep_toml: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        calibration_toml: Option<serde::de::IgnoredAny>,
        #[serde(default)]
        files: Option<Vec<serde_json::Value>>,
    }
    let path = dir.join(MANIFEST);
    let other = Found {
        kind: Kind::Other,
        listed: Vec::new(),
    };
    let probe = match crate::input::read_json::<Probe>(
        &path,
        crate::input::MAX_SWEEP_MANIFEST_BYTES,
        "a migflow manifest",
    ) {
        Ok(p) => p,
        Err(crate::input::JsonError::NotThis { .. }) => return Some(other),
        Err(crate::input::JsonError::Refused(Error::Read { .. })) => return None,
        // A device, a directory or a huge file named manifest.json: not
        // one migflow wrote.
        Err(crate::input::JsonError::Refused(_)) => return Some(other),
    };
    let kind = if probe.migflow_incomplete.is_some() {
        Kind::Incomplete
    } else if probe.scenario_toml.is_some() {
        Kind::Run
    } else if probe.sweep_toml.is_some() {
        Kind::Sweep
    } else if probe.calibration_toml.is_some() {
        Kind::Calibration
    } else {
        return Some(other);
    };
    let listed = probe
        .files
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.as_str().or_else(|| f.get("name")?.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Some(Found { kind, listed })
}

/// Parse a manifest of type `T` from `path` (at most `max` bytes), as it
/// is read; one that marks an interrupted commit is refused, and one that
/// is not a `T` is an [`Error::Input`] `not WHAT: …`.
pub(crate) fn read_manifest_json<T: serde::de::DeserializeOwned + ListsFiles>(
    path: &Path,
    max: u64,
    what: &str,
) -> Result<T> {
    match crate::input::read_json::<T>(path, max, "a JSON manifest written by migflow") {
        Ok(value) => {
            check_listed_files(path, value.listed_files())?;
            Ok(value)
        }
        Err(crate::input::JsonError::Refused(e)) => Err(e),
        Err(crate::input::JsonError::NotThis { message, mut file }) => {
            // A marker of an interrupted commit is small.
            if let Some(text) = crate::input::head_text(&mut file, 1 << 20) {
                refuse_incomplete(path, &text)?;
            }
            Err(Error::Input {
                path: path.to_path_buf(),
                message: format!("not {what}: {message}"),
            })
        }
    }
}

/// A manifest that lists the files of its directory.
pub trait ListsFiles {
    /// Its `files`.
    fn listed_files(&self) -> &[FileEntry];
}

impl ListsFiles for Manifest {
    fn listed_files(&self) -> &[FileEntry] {
        &self.files
    }
}

impl ListsFiles for SweepManifest {
    fn listed_files(&self) -> &[FileEntry] {
        &self.files
    }
}

/// Refuse a manifest (at `path`) whose `files` are not the files of its
/// directory: every entry must be a plain file name in it (no path
/// separator, not `.` or `..`, not hidden, not `manifest.json` itself),
/// listed once, with a SHA-256 of 64 lowercase hex digits. Every reader
/// checks the whole list, not only the files it reads.
pub fn check_listed_files(path: &Path, files: &[FileEntry]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for entry in files {
        let name = entry.name.as_str();
        let why = if name.is_empty() {
            Some("an empty name".to_string())
        } else if name.contains(['/', '\\', '\0']) {
            Some("a path, not the name of a file in its directory".to_string())
        } else if name == "." || name == ".." {
            Some("not the name of a file".to_string())
        } else if name.starts_with('.') {
            Some("a hidden name, which migflow never writes".to_string())
        } else if name == MANIFEST {
            Some("the manifest itself".to_string())
        } else if !seen.insert(name) {
            Some("listed more than once".to_string())
        } else if entry.sha256.len() != 64
            || !entry
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Some(format!(
                "its sha256 {:?} is not 64 lowercase hex digits",
                entry.sha256
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(Error::Damaged {
                path: path.to_path_buf(),
                message: format!("its `files` entry {name:?} is refused: {why}"),
            });
        }
    }
    Ok(())
}

/// Read a manifest. One that marks an interrupted commit is refused.
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    read_manifest_json(
        path,
        crate::input::MAX_RUN_MANIFEST_BYTES,
        "a migflow manifest",
    )
}

/// Hex SHA-256 of a file's bytes, read in blocks (results files can be
/// gigabytes).
pub fn sha256_file(path: &Path) -> Result<String> {
    // A regular file (a device listed in a manifest would be hashed without
    // end), streamed.
    let mut file = crate::input::open_streamed(path, "a file migflow wrote")?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut file, &mut buf).map_err(|e| file.read_error(e))?;
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

/// Check `dir/name` against its manifest's list `files` before it is read,
/// so that only the files the manifest lists are read, each with the
/// SHA-256 it records: a listed file must be there with that hash (one
/// edited or damaged after migflow wrote it is refused), and a file the
/// manifest does not list must not be there (it is not part of the results
/// the manifest records: left by an earlier run, or its entry deleted).
/// When this returns `Ok`, `dir/name` exists exactly when it is listed.
pub fn verify_file(dir: &Path, files: &[FileEntry], name: &str) -> Result<()> {
    let path = dir.join(name);
    let present = path.symlink_metadata().is_ok();
    let Some(entry) = files.iter().find(|f| f.name == name) else {
        if present {
            return Err(Error::Input {
                path,
                message: format!(
                    "not listed in {}: it is not part of the results the manifest records \
                     (a file of an earlier run, or its entry was removed), so it is not read. \
                     Remove it, or repeat the work that wrote the directory",
                    dir.join(MANIFEST).display()
                ),
            });
        }
        return Ok(());
    };
    if !present {
        return Err(Error::Input {
            path,
            message: format!(
                "missing, but {} lists it: restore it, or repeat the work that wrote it",
                dir.join(MANIFEST).display()
            ),
        });
    }
    let found = sha256_file(&path)?;
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

/// The file that holds the table `name` (`trajectories.csv`) in `dir`:
/// the one of its formats ([`TableFormat`](crate::columnar::TableFormat))
/// that the manifest lists, checked as [`verify_file`] checks it, with its
/// twin in the other format checked too (so a stale file of the other
/// format beside it is refused, not read in its place). When neither is
/// listed the path is that of `name`, which is then absent.
pub fn table_file(dir: &Path, files: &[FileEntry], name: &str) -> Result<PathBuf> {
    use crate::columnar::TableFormat;
    let mut chosen = None;
    for format in TableFormat::ALL {
        let file = format.file_name(name);
        verify_file(dir, files, &file)?;
        if chosen.is_none() && files.iter().any(|f| f.name == file) {
            chosen = Some(file);
        }
    }
    Ok(dir.join(chosen.unwrap_or_else(|| name.to_string())))
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
    /// Factor paths (in a sweep of policies, `policy` first).
    pub factors: Vec<String>,
    /// The policies of a sweep of `[[policies]]`, in the sweep file's order
    /// (the values of the `policy` factor); empty for a plain sweep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
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

/// Read a finished sweep directory's manifest (of a whole sweep, a shard
/// or a merge), checked to be within the limits of a sweep: at most
/// [`MAX_SWEEP_POINTS`](crate::input::MAX_SWEEP_POINTS) points and
/// [`MAX_SWEEP_RUNS`](crate::input::MAX_SWEEP_RUNS) runs, a shard of those
/// runs, and run numbers and counts that fit them (they size what readers
/// allocate).
pub fn read_sweep_manifest(dir: &Path) -> Result<SweepManifest> {
    read_sweep_manifest_at(&dir.join(MANIFEST))
}

/// [`read_sweep_manifest`] of the manifest at `path`.
pub fn read_sweep_manifest_at(path: &Path) -> Result<SweepManifest> {
    let m: SweepManifest = read_manifest_json(
        path,
        crate::input::MAX_SWEEP_MANIFEST_BYTES,
        "a finished migflow sweep",
    )?;
    check_sweep_counts(path, &m)?;
    Ok(m)
}

/// Refuse a sweep manifest whose counts are outside a sweep's limits or
/// disagree with each other.
fn check_sweep_counts(path: &Path, m: &SweepManifest) -> Result<()> {
    use crate::input::{MAX_SWEEP_POINTS, MAX_SWEEP_RUNS};
    let refuse = |message: String| {
        Err(Error::Damaged {
            path: path.to_path_buf(),
            message,
        })
    };
    if m.points == 0 || m.points > MAX_SWEEP_POINTS {
        return refuse(format!(
            "records {} points: a sweep has 1 to {MAX_SWEEP_POINTS}",
            m.points
        ));
    }
    if m.runs == 0 || m.runs > MAX_SWEEP_RUNS {
        return refuse(format!(
            "records {} runs: a sweep has 1 to {MAX_SWEEP_RUNS}",
            m.runs
        ));
    }
    if u64::from(m.replicates).checked_mul(m.points) != Some(m.runs) {
        return refuse(format!(
            "records {} runs, but {} points × {} replicates",
            m.runs, m.points, m.replicates
        ));
    }
    if let Some(s) = m.shard
        && (s.count == 0 || s.count > MAX_SWEEP_RUNS || s.index >= s.count)
    {
        // More shards than runs is allowed (the extra shards are empty).
        return refuse(format!(
            "records shard {}/{}: a shard is I/N with I below N and N from 1 to {MAX_SWEEP_RUNS}",
            s.index, s.count
        ));
    }
    if let Some(&(run, _)) = m.run_status.iter().find(|(r, _)| *r >= m.runs) {
        return refuse(format!(
            "records run {run} in `run_status`, but the sweep has runs 0 to {}",
            m.runs - 1
        ));
    }
    let failed = m
        .run_status
        .iter()
        .filter(|(_, s)| *s == RunStatus::Failed)
        .count() as u64;
    let listed = m.run_status.len() as u64;
    if m.failed != failed || m.completed != listed - failed {
        return refuse(format!(
            "records {} completed and {} failed runs, but its `run_status` has {} and {failed}",
            m.completed,
            m.failed,
            listed - failed
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_files_are_read_and_each_is_checked() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        std::fs::write(dir.join("a.csv"), "a").expect("write");
        std::fs::write(dir.join("stale.csv"), "old").expect("write");
        let files = vec![
            FileEntry {
                name: "a.csv".into(),
                sha256: sha256_hex(b"a"),
            },
            FileEntry {
                name: "gone.csv".into(),
                sha256: sha256_hex(b"g"),
            },
        ];
        verify_file(dir, &files, "a.csv").expect("listed and intact");
        verify_file(dir, &files, "absent.csv").expect("neither listed nor there");
        let message = |r: Result<()>| match r {
            Err(Error::Input { message, .. }) => message,
            other => panic!("expected an input error, got {other:?}"),
        };
        assert!(message(verify_file(dir, &files, "stale.csv")).contains("not listed"));
        assert!(message(verify_file(dir, &files, "gone.csv")).contains("missing"));
        std::fs::write(dir.join("a.csv"), "edited").expect("write");
        assert!(message(verify_file(dir, &files, "a.csv")).contains("changed"));
    }

    #[test]
    fn a_manifest_marking_an_interrupted_commit_is_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join(MANIFEST);
        let marker = Incomplete {
            migflow_incomplete: "…".into(),
            files: vec!["a.csv".into()],
        };
        std::fs::write(&path, to_json(&marker, "marker").expect("json")).expect("write");
        for result in [
            read_manifest(&path).map(|_| ()),
            read_sweep_manifest(tmp.path()).map(|_| ()),
        ] {
            match result {
                Err(Error::Damaged { message, .. }) => assert!(message.contains("interrupted")),
                other => panic!("expected Damaged, got {other:?}"),
            }
        }
        let found = inspect_manifest(tmp.path()).expect("found");
        assert_eq!(
            (found.kind, found.listed),
            (Kind::Incomplete, vec!["a.csv".to_string()])
        );
    }
}
