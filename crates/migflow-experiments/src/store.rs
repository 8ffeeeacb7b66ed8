//! A sweep's results on disk: streamed while runs finish, committed run by
//! run through a journal, resumable after a crash, and finalised into files
//! sorted by run.
//!
//! While a sweep runs, each finished run's rows are appended to
//! `stream/runs.csv`, `stream/trajectories.csv` and `stream/failures.csv`,
//! and a line `run, status, end offsets` is appended to `stream/journal`.
//! Groups of runs are committed together: the data files are synced first,
//! then the journal lines are written and synced. A run is committed when its
//! journal line is on disk. On `--resume`, the journal is read up to its last
//! complete line, the data files are cut back to the offsets it names (so a
//! run killed half-way leaves nothing), and the runs not in the journal are
//! run again. When every run is in, the blocks are copied in run order into
//! the final files, written under temporary names and renamed into place.

use super::sweep::SweepPlan;
use migflow_core::record::GROUPS;
use migflow_io::error::{Error, Result};
pub use migflow_io::manifest::{RunStatus, Shard, SweepManifest, read_sweep_manifest};
use migflow_io::{self, OutputDir, TRAJECTORY_HEADER, sha256_hex};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Names of the streamed files, in journal column order.
pub const STREAM_FILES: [&str; 3] = ["runs.csv", "trajectories.csv", "failures.csv"];
const STREAM_DIR: &str = "stream";
const JOURNAL: &str = "journal";
const STATE: &str = "sweep.json";
/// Commit at least this often while runs finish.
const COMMIT_EVERY: Duration = Duration::from_millis(500);
/// And at least every this many runs.
const COMMIT_RUNS: usize = 256;

/// The identity of a results directory, checked on resume.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct State {
    migflow_version: String,
    sweep_sha256: String,
    shard: Option<Shard>,
    runs: u64,
}

/// A finished run's rows, ready to append.
#[derive(Debug, Clone)]
pub struct RunRows {
    /// The run.
    pub run: u64,
    /// Its status.
    pub status: RunStatus,
    /// Bytes for `runs.csv`, `trajectories.csv` and `failures.csv`.
    pub bytes: [Vec<u8>; 3],
}

/// One committed run in the journal.
#[derive(Debug, Clone, Copy)]
struct Entry {
    run: u64,
    status: RunStatus,
    start: [u64; 3],
    end: [u64; 3],
    check: u64,
}

/// The journal's check of a run's entry: a hash of its run number, status
/// and the bytes it appended to each stream file, so that damage to
/// committed rows is found on resume (and those runs run again) instead of
/// reaching the final files.
fn entry_check(run: u64, status: &str, segments: [&[u8]; 3]) -> u64 {
    let run = run.to_le_bytes();
    bytes_check(&[
        &run,
        status.as_bytes(),
        segments[0],
        segments[1],
        segments[2],
    ])
}

/// A 64-bit check of some byte strings (the first 8 bytes of the SHA-256 of
/// their lengths and bytes), for journal entries that must detect damage
/// to what they commit.
pub fn bytes_check(chunks: &[&[u8]]) -> u64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for chunk in chunks {
        h.update((chunk.len() as u64).to_le_bytes());
        h.update(chunk);
    }
    h.finalize()[..8]
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// How many of `entries`, from the first, still have the stream bytes their
/// checks record.
fn verified_prefix(stream: &Path, entries: &[Entry]) -> Result<usize> {
    let mut readers = Vec::new();
    for (k, name) in STREAM_FILES.iter().enumerate() {
        let p = stream.join(name);
        let mut f = File::open(&p).map_err(io_err(&p))?;
        let start = entries.first().map_or(0, |e| e.start[k]);
        f.seek(SeekFrom::Start(start)).map_err(io_err(&p))?;
        readers.push(BufReader::new(f));
    }
    let mut bufs: [Vec<u8>; 3] = Default::default();
    for (i, e) in entries.iter().enumerate() {
        for k in 0..3 {
            bufs[k].resize((e.end[k] - e.start[k]) as usize, 0);
            if readers[k].read_exact(&mut bufs[k]).is_err() {
                return Ok(i);
            }
        }
        let status = match e.status {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
        };
        if entry_check(e.run, status, [&bufs[0], &bufs[1], &bufs[2]]) != e.check {
            return Ok(i);
        }
    }
    Ok(entries.len())
}

/// Byte length of the first `lines` lines of a journal.
pub fn journal_prefix_len(path: &Path, lines: usize) -> Result<u64> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(lines.wrapping_sub(1))
        .map_or(0, |(i, _)| i as u64 + 1))
}

/// Headers of the three streamed files.
pub fn headers(plan: &SweepPlan) -> [Vec<u8>; 3] {
    let factors = plan.factor_paths();
    let mut runs: Vec<String> = ["run_id", "point_id", "replicate", "seed", "status"]
        .map(String::from)
        .to_vec();
    runs.extend(factors.iter().map(|f| f.to_string()));
    for g in 0..GROUPS {
        let name = migflow_core::record::group_name(g);
        for outcome in [
            "final_share",
            "final_poor_share",
            "mean_poor_share",
            "cum_returned",
        ] {
            runs.push(format!("{name}_{outcome}"));
        }
    }
    let mut traj: Vec<String> = ["run_id", "point_id", "replicate"]
        .map(String::from)
        .to_vec();
    traj.extend(factors.iter().map(|f| f.to_string()));
    traj.extend(TRAJECTORY_HEADER[1..].iter().map(|s| s.to_string()));
    let fail: Vec<String> = ["run_id", "point_id", "replicate", "error"]
        .map(String::from)
        .to_vec();
    [csv_line(&runs), csv_line(&traj), csv_line(&fail)]
}

/// One CSV record as bytes.
pub fn csv_line<S: AsRef<[u8]>>(cells: &[S]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(cells);
    w.into_inner().unwrap_or_default()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The open stream of a sweep directory.
pub struct Store {
    dir: PathBuf,
    files: Vec<File>,
    journal: File,
    ends: [u64; 3],
    pending: Vec<u8>,
    pending_runs: usize,
    last_commit: Instant,
    done: Vec<bool>,
}

impl Store {
    /// Open `dir` for a sweep: a new directory, or with `resume` one that
    /// holds an interrupted (or finished) run of the same sweep and shard.
    pub fn open(dir: &Path, plan: &SweepPlan, shard: Option<Shard>, resume: bool) -> Result<Store> {
        let stream = dir.join(STREAM_DIR);
        let state_path = dir.join(STATE);
        let state = State {
            migflow_version: env!("CARGO_PKG_VERSION").to_string(),
            sweep_sha256: plan.hash.clone(),
            shard,
            runs: plan.runs(),
        };
        let headers = headers(plan);
        if state_path.exists() {
            let found: State = read_state(&state_path, "sweep")?;
            if !resume {
                return Err(Error::Input {
                    path: dir.to_path_buf(),
                    message: "this directory already holds a sweep: pass --resume to finish it, or choose another --out"
                        .into(),
                });
            }
            if found.sweep_sha256 != state.sweep_sha256 {
                return Err(Error::Input {
                    path: dir.to_path_buf(),
                    message: format!(
                        "holds a different sweep (hash {}) from this sweep file (hash {}): cannot resume",
                        found.sweep_sha256, state.sweep_sha256
                    ),
                });
            }
            if found.shard != state.shard {
                return Err(Error::Input {
                    path: dir.to_path_buf(),
                    message: format!(
                        "holds shard {:?}, not {:?}: cannot resume",
                        found.shard, state.shard
                    ),
                });
            }
        } else {
            // Never mix a sweep into other results (a `migflow run`'s
            // manifest would be overwritten).
            let foreign = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .any(|e| e.file_name() != STREAM_DIR)
                })
                .unwrap_or(false);
            if foreign {
                return Err(Error::Input {
                    path: dir.to_path_buf(),
                    message:
                        "is not empty and holds no sweep: choose a new or empty --out directory"
                            .into(),
                });
            }
            if dir.join(STREAM_DIR).exists() {
                let _ = std::fs::remove_dir_all(&stream);
            }
            std::fs::create_dir_all(&stream).map_err(io_err(&stream))?;
            for (name, header) in STREAM_FILES.iter().zip(&headers) {
                let p = stream.join(name);
                let mut f = File::create(&p).map_err(io_err(&p))?;
                f.write_all(header).map_err(io_err(&p))?;
                f.sync_all().map_err(io_err(&p))?;
            }
            let p = stream.join(JOURNAL);
            File::create(&p)
                .and_then(|f| f.sync_all())
                .map_err(io_err(&p))?;
            write_atomic(
                &state_path,
                &migflow_io::manifest::to_json(&state, "state")?,
            )?;
        }
        let (mut entries, mut journal_len) = read_journal(&stream.join(JOURNAL), &headers)?;
        let intact = verified_prefix(&stream, &entries)?;
        if intact < entries.len() {
            entries.truncate(intact);
            journal_len = journal_prefix_len(&stream.join(JOURNAL), intact)?;
        }
        let mut ends = [0u64; 3];
        for (k, h) in headers.iter().enumerate() {
            ends[k] = entries.last().map_or(h.len() as u64, |e| e.end[k]);
        }
        let mut files = Vec::new();
        for (k, name) in STREAM_FILES.iter().enumerate() {
            let p = stream.join(name);
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&p)
                .map_err(io_err(&p))?;
            let len = f.metadata().map_err(io_err(&p))?.len();
            if len < ends[k] {
                return Err(Error::Input {
                    path: p,
                    message: format!(
                        "shorter ({len} bytes) than its journal says ({}): the directory is damaged",
                        ends[k]
                    ),
                });
            }
            f.set_len(ends[k]).map_err(io_err(&p))?;
            files.push(f);
        }
        let jp = stream.join(JOURNAL);
        let journal = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&jp)
            .map_err(io_err(&jp))?;
        journal.set_len(journal_len).map_err(io_err(&jp))?;
        let mut done = vec![false; plan.runs() as usize];
        for e in &entries {
            if let Some(d) = done.get_mut(e.run as usize) {
                *d = true;
            }
        }
        let mut store = Store {
            dir: dir.to_path_buf(),
            files,
            journal,
            ends,
            pending: Vec::new(),
            pending_runs: 0,
            last_commit: Instant::now(),
            done,
        };
        for f in &mut store.files {
            f.seek(SeekFrom::End(0)).map_err(|source| Error::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        Ok(store)
    }

    /// Whether run `run` is already committed.
    pub fn is_done(&self, run: u64) -> bool {
        self.done.get(run as usize).copied().unwrap_or(false)
    }

    /// Append a finished run; commit when enough has gathered.
    pub fn append(&mut self, rows: &RunRows) -> Result<()> {
        let stream = self.dir.join(STREAM_DIR);
        for (k, bytes) in rows.bytes.iter().enumerate() {
            if !bytes.is_empty() {
                self.files[k]
                    .write_all(bytes)
                    .map_err(io_err(&stream.join(STREAM_FILES[k])))?;
                self.ends[k] += bytes.len() as u64;
            }
        }
        let status = match rows.status {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
        };
        let check = entry_check(
            rows.run,
            status,
            [&rows.bytes[0], &rows.bytes[1], &rows.bytes[2]],
        );
        writeln!(
            self.pending,
            "{}\t{status}\t{}\t{}\t{}\t{check:016x}",
            rows.run, self.ends[0], self.ends[1], self.ends[2]
        )
        .map_err(io_err(&stream.join(JOURNAL)))?;
        self.pending_runs += 1;
        if let Some(d) = self.done.get_mut(rows.run as usize) {
            *d = true;
        }
        if self.pending_runs >= COMMIT_RUNS || self.last_commit.elapsed() >= COMMIT_EVERY {
            self.commit()?;
        }
        Ok(())
    }

    /// Make every appended run durable.
    pub fn commit(&mut self) -> Result<()> {
        if self.pending_runs == 0 {
            return Ok(());
        }
        let stream = self.dir.join(STREAM_DIR);
        for (k, f) in self.files.iter().enumerate() {
            f.sync_data()
                .map_err(io_err(&stream.join(STREAM_FILES[k])))?;
        }
        let jp = stream.join(JOURNAL);
        self.journal.seek(SeekFrom::End(0)).map_err(io_err(&jp))?;
        self.journal.write_all(&self.pending).map_err(io_err(&jp))?;
        self.journal.sync_data().map_err(io_err(&jp))?;
        self.pending.clear();
        self.pending_runs = 0;
        self.last_commit = Instant::now();
        Ok(())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = migflow_io::atomic::temp_path(
        path.parent().unwrap_or(Path::new(".")),
        &path.file_name().unwrap_or_default().to_string_lossy(),
    );
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    f.write_all(bytes).map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Read the identity file (`sweep.json`, `calibration.json`) of a results
/// directory; `what` names its kind in errors.
pub fn read_state<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: format!("not a migflow {what} state: {e}"),
    })
}

/// Read a journal of tab-separated lines: `accept` turns each complete
/// line's fields into an entry (given the entries so far), or refuses it.
/// The first torn line (a crash mid-write) or refused line ends the
/// journal. Returns the entries and the byte length they span.
pub fn read_journal_with<T>(
    path: &Path,
    mut accept: impl FnMut(&[&str], &[T]) -> Option<T>,
) -> Result<(Vec<T>, u64)> {
    let file = File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut entries: Vec<T> = Vec::new();
    let mut valid_len = 0u64;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        let parts: Vec<&str> = line.trim_end().split('\t').collect();
        let Some(entry) = accept(&parts, &entries) else {
            break;
        };
        entries.push(entry);
        valid_len += n as u64;
    }
    Ok((entries, valid_len))
}

/// The sweep journal's complete, well-formed entries and the byte length
/// they span.
fn read_journal(path: &Path, headers: &[Vec<u8>; 3]) -> Result<(Vec<Entry>, u64)> {
    read_journal_with(path, |parts, entries: &[Entry]| {
        if parts.len() != 6 {
            return None;
        }
        let run = parts[0].parse::<u64>().ok()?;
        let status = match parts[1] {
            "ok" => RunStatus::Ok,
            "failed" => RunStatus::Failed,
            _ => return None,
        };
        let end = [
            parts[2].parse().ok()?,
            parts[3].parse().ok()?,
            parts[4].parse().ok()?,
        ];
        let start = match entries.last() {
            Some(prev) => prev.end,
            None => [
                headers[0].len() as u64,
                headers[1].len() as u64,
                headers[2].len() as u64,
            ],
        };
        if (0..3).any(|k| end[k] < start[k]) {
            return None;
        }
        Some(Entry {
            run,
            status,
            start,
            end,
            check: u64::from_str_radix(parts[5], 16).ok()?,
        })
    })
}

/// Copy `[start, end)` of `src` to `dst`.
fn copy_range(
    src: &mut File,
    src_path: &Path,
    dst: &mut impl Write,
    dst_path: &Path,
    start: u64,
    end: u64,
) -> Result<()> {
    src.seek(SeekFrom::Start(start))
        .map_err(|source| Error::Read {
            path: src_path.to_path_buf(),
            source,
        })?;
    let mut limited = src.take(end - start);
    std::io::copy(&mut limited, dst).map_err(io_err(dst_path))?;
    Ok(())
}

/// Write the final, run-ordered files of a directory whose runs are all
/// committed: `runs.csv`, `trajectories.csv`, `failures.csv`, `points.csv`,
/// and for a whole sweep `points_summary.csv`; then `manifest.json`.
pub fn finalize(dir: &Path, plan: &SweepPlan, shard: Option<Shard>) -> Result<SweepManifest> {
    let stream = dir.join(STREAM_DIR);
    let headers = headers(plan);
    let (mut entries, _) = read_journal(&stream.join(JOURNAL), &headers)?;
    entries.sort_by_key(|e| e.run);
    entries.dedup_by_key(|e| e.run);
    let mut out = OutputDir::create(dir)?;
    let mut files = Vec::new();
    let mut staged_trajectories = PathBuf::new();
    for (k, name) in STREAM_FILES.iter().enumerate() {
        let src_path = stream.join(name);
        let mut src = File::open(&src_path).map_err(|source| Error::Read {
            path: src_path.clone(),
            source,
        })?;
        let (entry, tmp) = stage_hashed(&mut out, name, |w, tmp| {
            w.write_all(&headers[k]).map_err(io_err(tmp))?;
            for e in &entries {
                copy_range(&mut src, &src_path, w, tmp, e.start[k], e.end[k])?;
            }
            Ok(())
        })?;
        if k == 1 {
            staged_trajectories = tmp;
        }
        files.push(entry);
    }
    files.push(write_points(&mut out, plan)?);
    if shard.is_none() {
        // Summaries read the run-ordered trajectories just staged.
        let paths: Vec<String> = plan.factor_paths().iter().map(|s| s.to_string()).collect();
        files.push(write_points_summary(
            &mut out,
            &paths,
            &staged_trajectories,
        )?);
    }
    let manifest = sweep_manifest(
        plan,
        shard,
        entries.iter().map(|e| (e.run, e.status)).collect(),
        files,
    )?;
    commit_with_manifest(out, &manifest)?;
    Ok(manifest)
}

/// Check a finished sweep directory before `--resume` declares it done:
/// its manifest must be the one this sweep writes for its runs, and every
/// file must still have the hash the manifest records.
pub fn verify_finished(dir: &Path, plan: &SweepPlan, done: &SweepManifest) -> Result<()> {
    let path = dir.join("manifest.json");
    let on_disk = std::fs::read(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let expected = SweepManifest {
        // A later build may finish the check; the build that wrote it stays.
        migflow_version: done.migflow_version.clone(),
        git_commit: done.git_commit.clone(),
        ..sweep_manifest(
            plan,
            done.shard,
            done.run_status.clone(),
            done.files.clone(),
        )?
    };
    if migflow_io::manifest::to_json(&expected, "expected")? != on_disk {
        return Err(Error::Input {
            path,
            message:
                "changed since the sweep finished (it is not what this sweep writes for its runs): \
                      run the sweep again into a new --out directory"
                    .into(),
        });
    }
    for file in &done.files {
        let p = dir.join(&file.name);
        if !p.exists() {
            return Err(Error::Input {
                path: p,
                message: "missing from a finished sweep (manifest.json lists it): \
                          run the sweep again into a new --out directory"
                    .into(),
            });
        }
        migflow_io::manifest::verify_file(dir, &done.files, &file.name)?;
    }
    Ok(())
}

fn sweep_manifest(
    plan: &SweepPlan,
    shard: Option<Shard>,
    run_status: Vec<(u64, RunStatus)>,
    files: Vec<migflow_io::manifest::FileEntry>,
) -> Result<SweepManifest> {
    let template = SweepManifest {
        migflow_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: crate::run::git_commit(),
        sweep_toml: plan.resolved_toml()?,
        sweep_sha256: plan.hash.clone(),
        base_scenario_toml: migflow_core::params::to_toml(plan.base.scenario())?,
        design: plan.sweep.design.name().to_string(),
        seed: plan.sweep.seed,
        replicates: plan.sweep.replicates,
        factors: plan.factor_paths().iter().map(|s| s.to_string()).collect(),
        points: plan.points.len() as u64,
        runs: plan.runs(),
        shard: None,
        completed: 0,
        failed: 0,
        run_status: Vec::new(),
        files: Vec::new(),
    };
    Ok(manifest_from(&template, shard, run_status, files))
}

/// A manifest like `template` (same sweep) for another set of runs.
fn manifest_from(
    template: &SweepManifest,
    shard: Option<Shard>,
    run_status: Vec<(u64, RunStatus)>,
    files: Vec<migflow_io::manifest::FileEntry>,
) -> SweepManifest {
    let failed = run_status
        .iter()
        .filter(|(_, s)| *s == RunStatus::Failed)
        .count() as u64;
    SweepManifest {
        shard,
        completed: run_status.len() as u64 - failed,
        failed,
        run_status,
        files,
        ..template.clone()
    }
}

/// `points.csv`: every design point with its factor values and its role in
/// the design.
fn write_points(out: &mut OutputDir, plan: &SweepPlan) -> Result<migflow_io::manifest::FileEntry> {
    let mut header: Vec<String> = vec!["point_id".into()];
    header.extend(plan.factor_paths().iter().map(|s| s.to_string()));
    header.extend(
        super::design::role_columns(&plan.sweep.design)
            .iter()
            .map(|s| s.to_string()),
    );
    let (entry, _) = stage_hashed(out, "points.csv", |w, tmp| {
        w.write_all(&csv_line(&header)).map_err(io_err(tmp))?;
        for (i, p) in plan.points.iter().enumerate() {
            let mut row = vec![i.to_string()];
            row.extend(plan.point_cells(i as u64));
            row.extend(super::design::role_values(&p.role, &plan.sweep.factors));
            w.write_all(&csv_line(&row)).map_err(io_err(tmp))?;
        }
        Ok(())
    })?;
    Ok(entry)
}

/// `points_summary.csv` from run-ordered trajectories: per point × year ×
/// livelihood × metric, the mean, sd and 95% CI over replicates. Reads one
/// point at a time.
fn write_points_summary(
    out: &mut OutputDir,
    factor_paths: &[String],
    trajectories: &Path,
) -> Result<migflow_io::manifest::FileEntry> {
    let factors = factor_paths.len();
    let (entry, _) = stage_hashed(out, "points_summary.csv", |w, tmp| {
        let mut header: Vec<String> = vec!["point_id".into()];
        header.extend(factor_paths.iter().cloned());
        header.extend(
            ["year", "livelihood", "metric"]
                .iter()
                .chain(migflow_io::tables::SUMMARY_STATS.iter())
                .map(|s| s.to_string()),
        );
        w.write_all(&csv_line(&header)).map_err(io_err(tmp))?;
        let mut reader = csv::Reader::from_path(trajectories).map_err(|e| Error::Input {
            path: trajectories.to_path_buf(),
            message: e.to_string(),
        })?;
        // Rows of the current point: (run, key cells, metric values).
        let mut current: Option<String> = None;
        let mut rows: Vec<PointRow> = Vec::new();
        let metric_start = 3 + factors + 2;
        let flush = |point: &str, rows: &mut Vec<PointRow>, w: &mut StagedWriter| -> Result<()> {
            let Some(first_run) = rows.first().map(|r| r.0.clone()) else {
                return Ok(());
            };
            // Keys (factor cells, year, livelihood) in the first run's order;
            // each run contributes one row per key, in the same order.
            let keys: Vec<&Vec<String>> = rows
                .iter()
                .filter(|r| r.0 == first_run)
                .map(|r| &r.1)
                .collect();
            let per_key = keys.len();
            let runs = rows.len() / per_key.max(1);
            for (j, key) in keys.iter().enumerate() {
                for (m, metric) in migflow_io::SUMMARY_METRICS.iter().enumerate() {
                    let values: Vec<f64> = (0..runs)
                        .filter_map(|r| rows.get(r * per_key + j).and_then(|row| row.2[m]))
                        .collect();
                    let (mean, sd, lo, hi, n) = migflow_core::stats::summarize(&values);
                    let mut cells = vec![point.to_string()];
                    cells.extend(key.iter().cloned());
                    cells.push(metric.to_string());
                    for v in [mean, sd, lo, hi] {
                        cells.push(migflow_io::format_float(v));
                    }
                    cells.push(n.to_string());
                    w.write_all(&csv_line(&cells)).map_err(io_err(tmp))?;
                }
            }
            rows.clear();
            Ok(())
        };
        for record in reader.records() {
            let record = record.map_err(|e| Error::Input {
                path: trajectories.to_path_buf(),
                message: e.to_string(),
            })?;
            let point = record.get(1).unwrap_or("").to_string();
            if current.as_deref() != Some(point.as_str()) {
                if let Some(prev) = current.take() {
                    flush(&prev, &mut rows, w)?;
                }
                current = Some(point);
            }
            let key: Vec<String> = (3..metric_start)
                .filter_map(|c| record.get(c).map(str::to_string))
                .collect();
            let values: Vec<Option<f64>> = (metric_start
                ..metric_start + migflow_io::SUMMARY_METRICS.len())
                .map(|c| record.get(c).and_then(|v| v.parse::<f64>().ok()))
                .collect();
            rows.push((record.get(0).unwrap_or("").to_string(), key, values));
        }
        if let Some(prev) = current.take() {
            flush(&prev, &mut rows, w)?;
        }
        Ok(())
    })?;
    Ok(entry)
}

/// Stage the manifest, then rename every staged file into place.
fn commit_with_manifest(mut out: OutputDir, manifest: &SweepManifest) -> Result<()> {
    let json = migflow_io::manifest::to_json(manifest, "manifest")?;
    stage_hashed(&mut out, "manifest.json", |w, tmp| {
        w.write_all(&json).map_err(io_err(tmp))
    })?;
    out.commit()?;
    Ok(())
}

/// A trajectory row of one point: run id, key cells (factors, year,
/// livelihood), metric values.
type PointRow = (String, Vec<String>, Vec<Option<f64>>);

/// The writer of a staged output file: buffered, and hashing what passes.
type StagedWriter = HashingWriter<std::io::BufWriter<File>>;

/// Stage `name` in `out`, let `write` fill it (given the writer and the
/// staged path, for errors), and return its manifest entry and staged path.
fn stage_hashed(
    out: &mut OutputDir,
    name: &str,
    write: impl FnOnce(&mut StagedWriter, &Path) -> Result<()>,
) -> Result<(migflow_io::manifest::FileEntry, PathBuf)> {
    let (w, tmp) = out.stage(name)?;
    let mut w = HashingWriter::new(w);
    write(&mut w, &tmp)?;
    let (w, digest) = w.finish();
    migflow_io::atomic::finish(w, &tmp)?;
    let entry = migflow_io::manifest::FileEntry {
        name: name.to_string(),
        sha256: digest,
    };
    Ok((entry, tmp))
}

/// A writer that hashes what passes through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        use sha2::Digest;
        HashingWriter {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    fn finish(self) -> (W, String) {
        use sha2::Digest;
        let digest = self.hasher.finalize();
        (
            self.inner,
            digest.iter().map(|b| format!("{b:02x}")).collect(),
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Combine finished shard directories into the outputs of the whole sweep,
/// from their files and manifests alone. Refuses shards of different sweeps
/// (naming the hashes), and overlapping or missing runs (naming them).
pub fn merge(shards: &[PathBuf], out_dir: &Path) -> Result<SweepManifest> {
    let manifests: Vec<SweepManifest> = shards
        .iter()
        .map(|d| read_sweep_manifest(d))
        .collect::<Result<_>>()?;
    let Some(first) = manifests.first() else {
        return Err(Error::Input {
            path: out_dir.to_path_buf(),
            message: "no shard directories to merge".into(),
        });
    };
    for (m, d) in manifests.iter().zip(shards) {
        if m.sweep_sha256 != first.sweep_sha256 {
            return Err(Error::Input {
                path: d.clone(),
                message: format!(
                    "is a shard of a different sweep (hash {}) from {} (hash {}): refusing to merge",
                    m.sweep_sha256,
                    shards[0].display(),
                    first.sweep_sha256
                ),
            });
        }
    }
    let total = first.runs;
    let mut seen = vec![false; total as usize];
    let mut overlaps = Vec::new();
    for m in &manifests {
        for (run, _) in &m.run_status {
            match seen.get_mut(*run as usize) {
                Some(slot) if !*slot => *slot = true,
                _ => overlaps.push(*run),
            }
        }
    }
    let name_runs = |runs: &[u64]| {
        let shown: Vec<String> = runs.iter().take(20).map(|r| r.to_string()).collect();
        let more = if runs.len() > 20 {
            format!(" and {} more", runs.len() - 20)
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    if !overlaps.is_empty() {
        overlaps.sort_unstable();
        return Err(Error::Input {
            path: out_dir.to_path_buf(),
            message: format!(
                "the shards overlap: runs {} appear more than once",
                name_runs(&overlaps)
            ),
        });
    }
    let missing: Vec<u64> = (0..total).filter(|r| !seen[*r as usize]).collect();
    if !missing.is_empty() {
        return Err(Error::Input {
            path: out_dir.to_path_buf(),
            message: format!(
                "runs {} are missing from the shards ({} of {total} runs)",
                name_runs(&missing),
                missing.len()
            ),
        });
    }
    for (dir, m) in shards.iter().zip(&manifests) {
        for name in STREAM_FILES.iter().chain(&["points.csv"]) {
            migflow_io::manifest::verify_file(dir, &m.files, name)?;
        }
    }
    let mut out = OutputDir::create(out_dir)?;
    let mut files = Vec::new();
    let mut staged_trajectories = PathBuf::new();
    for (k, name) in STREAM_FILES.iter().enumerate() {
        let mut readers: Vec<csv::Reader<File>> = shards
            .iter()
            .map(|d| {
                let p = d.join(name);
                csv::Reader::from_path(&p).map_err(|e| Error::Input {
                    path: p,
                    message: e.to_string(),
                })
            })
            .collect::<Result<_>>()?;
        let header = readers[0]
            .byte_headers()
            .map(|h| csv_line(&h.iter().collect::<Vec<_>>()))
            .map_err(|e| Error::Input {
                path: shards[0].join(name),
                message: e.to_string(),
            })?;
        let (entry, tmp) = stage_hashed(&mut out, name, |w, tmp| {
            w.write_all(&header).map_err(io_err(tmp))?;
            let mut heads: Vec<Option<csv::ByteRecord>> = Vec::new();
            for (r, d) in readers.iter_mut().zip(shards) {
                heads.push(next_record(r, &d.join(name))?);
            }
            loop {
                let best = heads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| h.as_ref().map(|rec| (run_of(rec), i)))
                    .min();
                let Some((_, i)) = best else { break };
                if let Some(rec) = heads[i].take() {
                    w.write_all(&csv_line(&rec.iter().collect::<Vec<_>>()))
                        .map_err(io_err(tmp))?;
                }
                heads[i] = next_record(&mut readers[i], &shards[i].join(name))?;
            }
            Ok(())
        })?;
        if k == 1 {
            staged_trajectories = tmp;
        }
        files.push(entry);
    }
    // Every shard wrote the same points.csv (same sweep hash).
    let points_src = shards[0].join("points.csv");
    let points = std::fs::read(&points_src).map_err(|source| Error::Read {
        path: points_src.clone(),
        source,
    })?;
    let (entry, _) = stage_hashed(&mut out, "points.csv", |w, tmp| {
        w.write_all(&points).map_err(io_err(tmp))
    })?;
    files.push(entry);
    files.push(write_points_summary(
        &mut out,
        &first.factors,
        &staged_trajectories,
    )?);
    let mut run_status: Vec<(u64, RunStatus)> = manifests
        .iter()
        .flat_map(|m| m.run_status.iter().copied())
        .collect();
    run_status.sort_by_key(|(r, _)| *r);
    let manifest = manifest_from(first, None, run_status, files);
    commit_with_manifest(out, &manifest)?;
    Ok(manifest)
}

fn next_record(r: &mut csv::Reader<File>, path: &Path) -> Result<Option<csv::ByteRecord>> {
    let mut rec = csv::ByteRecord::new();
    match r.read_byte_record(&mut rec) {
        Ok(true) => Ok(Some(rec)),
        Ok(false) => Ok(None),
        Err(e) => Err(Error::Input {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

fn run_of(rec: &csv::ByteRecord) -> u64 {
    rec.get(0)
        .and_then(|b| std::str::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Remove the streamed copies once the final files are in place (they
/// would double the disk a sweep uses).
pub fn remove_stream(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.join(STREAM_DIR));
}

/// Hex SHA-256 of a file (for checks in tests and tools).
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(sha256_hex(&bytes))
}
