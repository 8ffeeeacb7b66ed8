//! A sweep's results on disk: streamed while runs finish, committed run by
//! run through a journal, resumable after a crash, and finalised into files
//! sorted by run.
//!
//! While a sweep runs, each finished run's rows are appended to
//! `stream/runs.csv`, `stream/trajectories.csv` and `stream/failures.csv`,
//! and a line `run, status, end offsets, check` to `stream/journal`, through
//! migflow's one journal ([`migflow_io::journal`]): runs are committed in
//! groups, and on `--resume` the data files are cut back to the committed
//! runs whose bytes are intact (so a run killed half-way, or damaged, leaves
//! nothing) and the other runs are run again. The sweep holds the lock of
//! its directory throughout. When every run is in, the blocks are copied in
//! run order into the final files, written under temporary names and
//! renamed into place.
//!
//! The stream is CSV whatever the sweep's format: it must be readable and
//! cut back after a kill at any byte, which a Parquet file (whose footer
//! comes last) is not. A sweep in Parquet writes its final files from the
//! committed stream at the end, in run order and one row group at a time
//! ([`migflow_io::columnar`]), so memory stays flat with the number of runs
//! and a resumed sweep gives the same bytes as one never stopped.

use super::sweep::SweepPlan;
use migflow_core::record::GROUPS;
use migflow_io::columnar::{ColumnType, TableFormat, TableOutput};
use migflow_io::error::{Error, Result};
use migflow_io::journal::{self, Journal, Streams};
pub use migflow_io::manifest::{RunStatus, Shard, SweepManifest, read_sweep_manifest};
use migflow_io::{self, DirLock, NamedCsv, OutputDir, TRAJECTORY_HEADER};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Names of the streamed files, in journal column order.
pub const STREAM_FILES: [&str; 3] = ["runs.csv", "trajectories.csv", "failures.csv"];
const STATE: &str = "sweep.json";

/// The identity of a results directory, checked on resume: the sweep (its
/// hash covers the sweep file, the base scenario and the design's points),
/// the shard, and the input files the runs read, each with its SHA-256.
///
/// A `sweep.json` written by an older migflow records no `inputs`: its
/// sweep cannot be resumed (the inputs cannot be checked), and `--resume`
/// says the directory was made by an older migflow. A finished sweep's
/// directory is declared finished whatever its `sweep.json` records (its
/// results are checked against its manifest instead).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct State {
    migflow_version: String,
    sweep_sha256: String,
    shard: Option<Shard>,
    runs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<journal::InputRecord>>,
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

/// The journal key of a run: its number and status, both covered by the
/// entry's check (with the bytes the run appended to each stream file), so
/// that damage to committed rows is found on resume (and those runs run
/// again) instead of reaching the final files.
#[derive(Debug, Clone, Copy, PartialEq)]
struct RunKey {
    run: u64,
    status: RunStatus,
}

fn status_text(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Ok => "ok",
        RunStatus::Failed => "failed",
    }
}

impl journal::Key for RunKey {
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.run.to_string(), status_text(self.status).to_string()]
    }

    fn parse(fields: &[&str]) -> Option<RunKey> {
        let run = fields.first()?.parse::<u64>().ok()?;
        let status = match *fields.get(1)? {
            "ok" => RunStatus::Ok,
            "failed" => RunStatus::Failed,
            _ => return None,
        };
        Some(RunKey { run, status })
    }

    fn checked(&self) -> Vec<Vec<u8>> {
        vec![
            self.run.to_le_bytes().to_vec(),
            status_text(self.status).as_bytes().to_vec(),
        ]
    }
}

/// One committed run in the journal.
type Entry = journal::Entry<RunKey, 3>;

/// The streamed files of a sweep.
fn streams(plan: &SweepPlan) -> Streams<3> {
    Streams {
        names: STREAM_FILES,
        headers: headers(plan),
    }
}

/// The `runs.csv` column of a run's total lever cost: the `total` of
/// `costs.csv` summed over the run's years, nominal yuan.
pub const TOTAL_COST: &str = "total_cost";

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
    runs.push(TOTAL_COST.to_string());
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
    let mut bytes = Vec::new();
    csv_line_into(&mut bytes, cells);
    bytes
}

/// Append one CSV record to `bytes`. The quoting writer is made once per
/// thread: a new `csv::Writer` allocates and zeroes an 8 KB buffer, which
/// cost more than formatting the row (a sweep writes 90 rows a run).
pub fn csv_line_into<S: AsRef<[u8]>>(bytes: &mut Vec<u8>, cells: &[S]) {
    /// The writer's sink, drained through the shared reference
    /// `csv::Writer::get_ref` gives.
    struct Tap(std::cell::RefCell<Vec<u8>>);
    impl Write for Tap {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.get_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    thread_local! {
        // Flexible: one writer serves tables of different widths.
        static WRITER: std::cell::RefCell<csv::Writer<Tap>> = std::cell::RefCell::new(
            csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(Tap(std::cell::RefCell::new(Vec::new()))),
        );
    }
    WRITER.with_borrow_mut(|w| {
        // Writing to memory cannot fail.
        let _ = w.write_record(cells);
        let _ = w.flush();
        let mut tap = w.get_ref().0.borrow_mut();
        bytes.extend_from_slice(&tap);
        tap.clear();
    });
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The open stream of a sweep directory.
pub struct Store {
    journal: Journal<RunKey, 3>,
    done: Vec<bool>,
}

impl Store {
    /// Open `dir` for a sweep: a new directory, or with `resume` one that
    /// holds an interrupted (or finished) run of the same sweep and shard.
    /// The store holds the directory's lock (see [`Store::lock`]): another
    /// process writing it is an [`Error::Locked`].
    pub fn open(dir: &Path, plan: &SweepPlan, shard: Option<Shard>, resume: bool) -> Result<Store> {
        let state_path = dir.join(STATE);
        let streams = streams(plan);
        let lock = DirLock::acquire(dir)?;
        let planned = plan.planned_inputs(&state_path);
        let state = State {
            migflow_version: env!("CARGO_PKG_VERSION").to_string(),
            sweep_sha256: plan.hash.clone(),
            shard,
            runs: plan.runs(),
            inputs: Some(
                planned
                    .iter()
                    .map(|p| p.record(&crate::run::path_from(dir, &p.file)))
                    .collect(),
            ),
        };
        if state_path.exists() {
            let found: State = journal::read_state(&state_path, "sweep")?;
            if !resume {
                return Err(Error::NeedsResume {
                    dir: dir.to_path_buf(),
                    what: "sweep",
                });
            }
            let check_inputs = || {
                journal::check_inputs(dir, &state_path, "sweep", found.inputs.as_deref(), planned)
            };
            if found.sweep_sha256 != state.sweep_sha256 {
                // An edited table design changes the points too: name the
                // file that changed rather than only the hash.
                if found.inputs.is_some()
                    && let Err(e @ Error::WorkInputChanged { .. }) = check_inputs()
                {
                    return Err(e);
                }
                return Err(Error::OtherWork {
                    dir: dir.to_path_buf(),
                    message: format!(
                        "holds a different sweep (hash {}) from this sweep file (hash {}): cannot resume \
                         (the sweep file{} changed since the sweep started)",
                        found.sweep_sha256,
                        state.sweep_sha256,
                        plan.base
                            .source()
                            .map(|p| format!(" or its base scenario {}", p.display()))
                            .unwrap_or_default()
                    ),
                });
            }
            if found.shard != state.shard {
                return Err(Error::OtherWork {
                    dir: dir.to_path_buf(),
                    message: {
                        let name = |s: &Option<Shard>| match s {
                            None => "the whole sweep".to_string(),
                            Some(s) => format!("shard {}/{}", s.index, s.count),
                        };
                        format!(
                            "holds {}, not {}: cannot resume",
                            name(&found.shard),
                            name(&state.shard)
                        )
                    },
                });
            }
            check_inputs()?;
            if !journal::exists(dir) {
                no_stream(dir, plan, shard, &streams, &lock)?;
            }
        } else {
            // Never mix a sweep into other results (a `migflow run`'s
            // manifest would be overwritten), nor remove what migflow did
            // not write.
            let foreign = journal::foreign_entries(dir);
            if !foreign.is_empty() {
                return Err(Error::OtherWork {
                    dir: dir.to_path_buf(),
                    message: format!(
                        "holds files that migflow did not write as a sweep's ({}) and no sweep",
                        foreign.join(", ")
                    ),
                });
            }
            Journal::<RunKey, 3>::create(&lock, &streams)?;
            journal::write_state(&state_path, &state)?;
        }
        // Each of the shard's runs committed once: a run committed again
        // (two writers once shared the directory) or not the shard's cuts
        // the journal there, and the runs from it on run again.
        let mut done = vec![false; plan.runs() as usize];
        let (journal, _) = Journal::<RunKey, 3>::open_keeping(&lock, &streams, |key| {
            let mine = shard.is_none_or(|s| s.contains(key.run));
            match done.get_mut(key.run as usize) {
                Some(d) if mine && !*d => {
                    *d = true;
                    true
                }
                _ => false,
            }
        })?;
        Ok(Store { journal, done })
    }

    /// The lock of the directory, held while the store is open (clone it
    /// to hold the directory longer).
    pub fn lock(&self) -> &DirLock {
        self.journal.lock()
    }

    /// Whether run `run` is already committed.
    pub(crate) fn is_done(&self, run: u64) -> bool {
        self.done.get(run as usize).copied().unwrap_or(false)
    }

    /// Append a finished run; commit when enough has gathered.
    pub fn append(&mut self, rows: &RunRows) -> Result<()> {
        let key = RunKey {
            run: rows.run,
            status: rows.status,
        };
        self.journal
            .append(&key, [&rows.bytes[0], &rows.bytes[1], &rows.bytes[2]])?;
        if let Some(d) = self.done.get_mut(rows.run as usize) {
            *d = true;
        }
        Ok(())
    }

    /// Make every appended run durable.
    pub fn commit(&mut self) -> Result<()> {
        self.journal.commit()
    }
}

/// A resumed sweep whose directory holds its state but no stream. Without
/// a manifest (the stream was removed by hand, or never written) its runs
/// are all run again in a new stream (they are deterministic, so the
/// results are the same). Beside a manifest, the sweep finished (the stream
/// is removed once it has), but that manifest is not this finished
/// sweep's: damaged, or the record of a sweep that lost runs. That is
/// refused, naming the manifest and what is wrong with it.
fn no_stream(
    dir: &Path,
    plan: &SweepPlan,
    shard: Option<Shard>,
    streams: &Streams<3>,
    lock: &DirLock,
) -> Result<()> {
    let path = dir.join("manifest.json");
    if !path.exists() {
        return Journal::<RunKey, 3>::create(lock, streams);
    }
    let expected = crate::execute::shard_runs(plan, shard).count();
    let what = match read_sweep_manifest(dir) {
        Err(e) => format!("it cannot be read ({e})"),
        Ok(m) if m.sweep_sha256 != plan.hash => {
            format!("it records another sweep (hash {})", m.sweep_sha256)
        }
        Ok(m) => format!(
            "it records {} of this directory's {expected} runs",
            m.run_status.len()
        ),
    };
    Err(Error::Damaged {
        path,
        message: format!(
            "damaged: {what}. The sweep's stream/ is gone (it is removed once a sweep \
             finishes), so the results cannot be checked against it or finished from it. \
             Restore manifest.json; or remove it and resume the sweep (`--resume`) to run \
             every run again in this directory (runs are deterministic: the results are \
             the same); or run the sweep into a new output directory"
        ),
    })
}

/// The sweep journal's complete, well-formed entries.
fn read_journal(dir: &Path, plan: &SweepPlan) -> Result<Vec<Entry>> {
    journal::read_entries(dir, &streams(plan))
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
///
/// Refused unless every run of the sweep (or of the shard) is committed
/// exactly once, and no other run is: the error names the missing,
/// repeated or foreign runs (the first few, and how many), so that a
/// directory written by two processes at once, or with runs lost, is never
/// declared finished.
pub fn finalize(
    dir: &Path,
    plan: &SweepPlan,
    shard: Option<Shard>,
    format: TableFormat,
) -> Result<SweepManifest> {
    let output = table_output(plan, format);
    let stream = journal::stream_dir(dir);
    let headers = headers(plan);
    let mut entries = read_journal(dir, plan)?;
    entries.sort_by_key(|e| e.key.run);
    check_complete(dir, plan, shard, &entries)?;
    let names = output_names();
    let mut out =
        OutputDir::create_work_set(dir, &names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let mut files = Vec::new();
    let mut staged_trajectories = PathBuf::new();
    for (k, name) in STREAM_FILES.iter().enumerate() {
        let src_path = stream.join(name);
        let mut src =
            migflow_io::input::open_streamed(&src_path, "a migflow stream file")?.into_file();
        let (entry, tmp) = stage_hashed(&mut out, name, &output, |w, tmp| {
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
    files.push(write_points(&mut out, plan, &output)?);
    if shard.is_none() {
        // Summaries read the run-ordered trajectories just staged.
        let paths: Vec<String> = plan.factor_paths().iter().map(|s| s.to_string()).collect();
        files.push(write_points_summary(
            &mut out,
            &paths,
            &staged_trajectories,
            &output,
        )?);
    }
    let manifest = sweep_manifest(
        plan,
        shard,
        entries.iter().map(|e| (e.key.run, e.key.status)).collect(),
        files,
    )?;
    commit_with_manifest(out, &manifest)?;
    Ok(manifest)
}

/// Every table a sweep (or a merge) writes besides `manifest.json`, by its
/// CSV name.
pub const OUTPUT_FILES: [&str; 5] = [
    "runs.csv",
    "trajectories.csv",
    "failures.csv",
    "points.csv",
    "points_summary.csv",
];

/// The names of [`OUTPUT_FILES`] in every format: a sweep replaces the
/// files of an earlier set in either.
fn output_names() -> Vec<String> {
    OUTPUT_FILES
        .iter()
        .flat_map(|n| TableFormat::ALL.map(|f| f.file_name(n)))
        .collect()
}

/// How a sweep's tables are written: in `format`, its factor columns typed
/// by the values the design gives them (whole numbers as integers, any
/// other number as a float, booleans as booleans, the rest as text), with
/// the sweep's key facts as Parquet metadata.
pub fn table_output(plan: &SweepPlan, format: TableFormat) -> TableOutput {
    let paths = plan.factor_paths();
    let types: Vec<(String, ColumnType)> = paths
        .iter()
        .enumerate()
        .map(|(j, path)| {
            let mut kind = None;
            for p in &plan.points {
                let this = match p.values.get(j) {
                    Some(toml::Value::Integer(_)) => ColumnType::Int,
                    Some(toml::Value::Float(_)) => ColumnType::Float,
                    Some(toml::Value::Boolean(_)) => ColumnType::Bool,
                    _ => ColumnType::Text,
                };
                kind = Some(match (kind, this) {
                    (None, t) => t,
                    (Some(a), b) if a == b => a,
                    (
                        Some(ColumnType::Int | ColumnType::Float),
                        ColumnType::Int | ColumnType::Float,
                    ) => ColumnType::Float,
                    _ => ColumnType::Text,
                });
            }
            (path.to_string(), kind.unwrap_or(ColumnType::Text))
        })
        .collect();
    TableOutput::new(
        format,
        vec![
            ("migflow_version".into(), env!("CARGO_PKG_VERSION").into()),
            (
                "git_commit".into(),
                crate::run::git_commit().unwrap_or_default(),
            ),
            ("sweep_sha256".into(), plan.hash.clone()),
            ("seed".into(), plan.sweep.seed.to_string()),
            ("replicates".into(), plan.sweep.replicates.to_string()),
        ],
    )
    .with_types(types)
}

/// Runs named in a message: the first few, and how many there are.
fn name_runs(runs: &[u64]) -> String {
    const SHOWN: usize = 10;
    let shown: Vec<String> = runs.iter().take(SHOWN).map(|r| r.to_string()).collect();
    let more = if runs.len() > SHOWN {
        format!(" and {} more", runs.len() - SHOWN)
    } else {
        String::new()
    };
    let noun = if runs.len() == 1 { "run" } else { "runs" };
    format!("{noun} {}{more}", shown.join(", "))
}

/// Refuse to finalize unless the committed `entries` (sorted by run) hold
/// every run of the shard exactly once and no other run.
fn check_complete(
    dir: &Path,
    plan: &SweepPlan,
    shard: Option<Shard>,
    entries: &[Entry],
) -> Result<()> {
    let total = plan.runs();
    let mine = |r: u64| r < total && shard.is_none_or(|s| s.contains(r));
    let mut repeated = Vec::new();
    let mut foreign = Vec::new();
    let mut prev = None;
    for e in entries {
        let r = e.key.run;
        if !mine(r) {
            foreign.push(r);
        } else if prev == Some(r) && repeated.last() != Some(&r) {
            repeated.push(r);
        }
        prev = Some(r);
    }
    let mut present = entries.iter().map(|e| e.key.run).peekable();
    let mut missing = Vec::new();
    for r in crate::execute::shard_runs(plan, shard) {
        while present.next_if(|&p| p < r).is_some() {}
        if present.peek() != Some(&r) {
            missing.push(r);
        }
    }
    let expected = crate::execute::shard_runs(plan, shard).count();
    let whose = match shard {
        Some(s) => format!("shard {}/{}'s {expected} runs", s.index, s.count),
        None => format!("sweep's {expected} runs"),
    };
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!(
            "{} of the {whose} {} not committed ({})",
            missing.len(),
            if missing.len() == 1 { "is" } else { "are" },
            name_runs(&missing)
        ));
    }
    if !repeated.is_empty() {
        problems.push(format!(
            "{} committed more than once (a second process wrote this directory?)",
            name_runs(&repeated)
        ));
    }
    if !foreign.is_empty() {
        problems.push(format!(
            "{} {} not among the {whose}",
            name_runs(&foreign),
            if foreign.len() == 1 { "is" } else { "are" }
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::Damaged {
        path: journal::stream_dir(dir).join("journal"),
        message: format!(
            "the sweep is not complete, so it is not finalised: {}. Resume the sweep \
             (`--resume`): it checks the committed runs and runs the others again",
            problems.join("; ")
        ),
    })
}

/// Check a finished sweep directory before `--resume` declares it done:
/// its manifest must be the one this sweep writes for its runs, and every
/// file must still have the hash the manifest records.
pub(crate) fn verify_finished(dir: &Path, plan: &SweepPlan, done: &SweepManifest) -> Result<()> {
    let path = dir.join("manifest.json");
    let on_disk = migflow_io::input::read_bytes(
        &path,
        migflow_io::input::MAX_SWEEP_MANIFEST_BYTES,
        "the manifest.json of a finished sweep",
    )?;
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
        return Err(Error::Damaged {
            path,
            message:
                "changed since the sweep finished (it is not what this sweep writes for its runs): \
                      run the sweep again into a new output directory"
                    .into(),
        });
    }
    for file in &done.files {
        let p = dir.join(&file.name);
        if !p.exists() {
            return Err(Error::Damaged {
                path: p,
                message: "missing from a finished sweep (manifest.json lists it): \
                          run the sweep again into a new output directory"
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
        policies: plan.policies.iter().map(|p| p.name.clone()).collect(),
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
fn write_points(
    out: &mut OutputDir,
    plan: &SweepPlan,
    output: &TableOutput,
) -> Result<migflow_io::manifest::FileEntry> {
    let mut header: Vec<String> = vec!["point_id".into()];
    header.extend(plan.factor_paths().iter().map(|s| s.to_string()));
    header.extend(
        super::design::role_columns(&plan.sweep.design)
            .iter()
            .map(|s| s.to_string()),
    );
    let (entry, _) = stage_hashed(out, "points.csv", output, |w, tmp| {
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
    output: &TableOutput,
) -> Result<migflow_io::manifest::FileEntry> {
    let factors = factor_paths.len();
    let (entry, _) = stage_hashed(out, "points_summary.csv", output, |w, tmp| {
        let mut header: Vec<String> = vec!["point_id".into()];
        header.extend(factor_paths.iter().cloned());
        header.extend(
            ["year", "livelihood", "metric"]
                .iter()
                .chain(migflow_io::tables::SUMMARY_STATS.iter())
                .map(|s| s.to_string()),
        );
        w.write_all(&csv_line(&header)).map_err(io_err(tmp))?;
        // CSV or Parquet, as staged.
        let mut reader = NamedCsv::options().buffer(1 << 16).open(trajectories)?;
        // Points are read in order, summarised a batch at a time in
        // parallel (each point's summary depends on its rows alone), and
        // written in order: the bytes do not depend on the thread count.
        let metric_start = 3 + factors + 2;
        let mut batch: Vec<(String, Vec<PointRow>)> = Vec::new();
        let mut batch_rows = 0usize;
        let write_batch =
            |batch: &mut Vec<(String, Vec<PointRow>)>, w: &mut StagedWriter| -> Result<()> {
                let summaries: Vec<Vec<u8>> = batch
                    .par_iter()
                    .map(|(point, rows)| point_summary(point, rows))
                    .collect();
                for bytes in &summaries {
                    w.write_all(bytes).map_err(io_err(tmp))?;
                }
                batch.clear();
                Ok(())
            };
        while let Some(record) = reader.next_row()? {
            let point = record.get(1);
            if batch.last().map(|(p, _)| p.as_str()) != Some(point) {
                if batch_rows >= SUMMARY_BATCH_ROWS {
                    write_batch(&mut batch, w)?;
                    batch_rows = 0;
                }
                batch.push((point.to_string(), Vec::new()));
            }
            let key: Vec<String> = (3..metric_start.min(record.len()))
                .map(|c| record.get(c).to_string())
                .collect();
            let values: Vec<Option<f64>> = (metric_start
                ..metric_start + migflow_io::SUMMARY_METRICS.len())
                .map(|c| record.get(c).parse::<f64>().ok())
                .collect();
            if let Some((_, rows)) = batch.last_mut() {
                rows.push((record.get(0).to_string(), key, values));
                batch_rows += 1;
            }
        }
        write_batch(&mut batch, w)?;
        Ok(())
    })?;
    Ok(entry)
}

/// Stage the manifest, then rename every staged file into place.
fn commit_with_manifest(mut out: OutputDir, manifest: &SweepManifest) -> Result<()> {
    let json = migflow_io::manifest::to_json(manifest, "manifest")?;
    let (mut w, tmp) = out.stage("manifest.json")?;
    w.write_all(&json).map_err(io_err(&tmp))?;
    migflow_io::atomic::finish(w, &tmp)?;
    out.commit()?;
    Ok(())
}

/// Trajectory rows held before a batch of points is summarised: enough
/// to give every thread work (a point of 2 replicates × 15 years has 180
/// rows), few enough to stay small. A held row takes about 2 KB (its key
/// cells as strings and its metrics): 20,000 rows made a sweep of small
/// runs peak at 47 MB; 4,000 hold about 8 MB.
const SUMMARY_BATCH_ROWS: usize = 4_000;

/// The rows of `points_summary.csv` for one point, from its trajectory
/// rows in run order. Keys (factor cells, year, livelihood) are in the
/// first run's order; each run contributes one row per key, in the same
/// order.
fn point_summary(point: &str, rows: &[PointRow]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let Some(first_run) = rows.first().map(|r| &r.0) else {
        return bytes;
    };
    let keys: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| &r.0 == first_run)
        .map(|r| &r.1)
        .collect();
    let per_key = keys.len();
    let runs = rows.len() / per_key.max(1);
    let mut values: Vec<f64> = Vec::with_capacity(runs);
    let mut cells: Vec<String> = Vec::new();
    for (j, key) in keys.iter().enumerate() {
        for (m, metric) in migflow_io::SUMMARY_METRICS.iter().enumerate() {
            values.clear();
            values.extend(
                (0..runs).filter_map(|r| rows.get(r * per_key + j).and_then(|row| row.2[m])),
            );
            let (mean, sd, lo, hi, n) = migflow_core::stats::summarize(&values);
            cells.clear();
            cells.push(point.to_string());
            cells.extend(key.iter().cloned());
            cells.push(metric.to_string());
            for v in [mean, sd, lo, hi] {
                cells.push(migflow_io::format_float(v));
            }
            cells.push(n.to_string());
            csv_line_into(&mut bytes, &cells);
        }
    }
    bytes
}

/// A trajectory row of one point: run id, key cells (factors, year,
/// livelihood), metric values.
type PointRow = (String, Vec<String>, Vec<Option<f64>>);

/// The writer of a staged output file: buffered, hashing what passes, in
/// the table's format.
type StagedWriter = migflow_io::atomic::TableFile;

/// Stage the table `name` in `out` as `output` says, let `write` fill it
/// (given the writer and the staged path, for errors), and return its
/// manifest entry and staged path.
fn stage_hashed(
    out: &mut OutputDir,
    name: &str,
    output: &TableOutput,
    write: impl FnOnce(&mut StagedWriter, &Path) -> Result<()>,
) -> Result<(migflow_io::manifest::FileEntry, PathBuf)> {
    out.stage_table(name, output, write)
}

/// Combine finished shard directories into the outputs of the whole sweep,
/// from their files and manifests alone. Refuses shards of different sweeps
/// (naming the hashes), and overlapping or missing runs (naming them), and
/// an `out_dir` that is one of the shards or holds anything but an earlier
/// merge of the same sweep (see [`OutputDir::create_merge_set`]).
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
    for (m, d) in manifests.iter().zip(shards) {
        if m.runs != total {
            return Err(Error::Input {
                path: d.join("manifest.json"),
                message: format!(
                    "records a sweep of {} runs, but {} records {total}: refusing to merge",
                    m.runs,
                    shards[0].join("manifest.json").display()
                ),
            });
        }
    }
    // Each run id of the sweep exactly once; an id past the sweep's runs is
    // named as such (it is no overlap).
    let mut seen = vec![false; total as usize];
    let mut overlaps = Vec::new();
    let mut beyond: Vec<(u64, &PathBuf)> = Vec::new();
    for (m, d) in manifests.iter().zip(shards) {
        for (run, _) in &m.run_status {
            match seen.get_mut(*run as usize) {
                Some(slot) if !*slot => *slot = true,
                Some(_) => overlaps.push(*run),
                None => beyond.push((*run, d)),
            }
        }
    }
    if !beyond.is_empty() {
        beyond.sort_unstable();
        let runs: Vec<u64> = beyond.iter().map(|(r, _)| *r).collect();
        return Err(Error::Input {
            path: beyond[0].1.join("manifest.json"),
            message: format!(
                "{} {} beyond the sweep's {total} runs (run ids go from 0 to {}): \
                 not a shard migflow wrote, refusing to merge",
                name_runs(&runs),
                if runs.len() == 1 { "is" } else { "are" },
                total.saturating_sub(1),
            ),
        });
    }
    if !overlaps.is_empty() {
        overlaps.sort_unstable();
        overlaps.dedup();
        return Err(Error::Input {
            path: out_dir.to_path_buf(),
            message: format!(
                "the shards overlap: {} appear more than once",
                name_runs(&overlaps)
            ),
        });
    }
    let missing: Vec<u64> = (0..total).filter(|r| !seen[*r as usize]).collect();
    if !missing.is_empty() {
        return Err(Error::Input {
            path: out_dir.to_path_buf(),
            message: format!(
                "{} are missing from the shards ({} of {total} runs): merge every shard of the sweep",
                name_runs(&missing),
                missing.len()
            ),
        });
    }
    // Per shard, the files of its tables (runs, trajectories, failures,
    // points), each checked against the shard's manifest.
    let mut tables: Vec<Vec<PathBuf>> = Vec::new();
    for (dir, m) in shards.iter().zip(&manifests) {
        tables.push(
            STREAM_FILES
                .iter()
                .chain(&["points.csv"])
                .map(|name| migflow_io::manifest::table_file(dir, &m.files, name))
                .collect::<Result<_>>()?,
        );
    }
    let output = merged_output(&tables)?;
    let names = output_names();
    let mut out = OutputDir::create_merge_set(
        out_dir,
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
        shards,
        &first.sweep_sha256,
    )?;
    let mut files = Vec::new();
    let mut staged_trajectories = PathBuf::new();
    for (k, name) in STREAM_FILES.iter().enumerate() {
        // Small buffers: a merge may read many shards at once.
        let mut readers: Vec<NamedCsv> = tables
            .iter()
            .map(|t| NamedCsv::options().buffer(1 << 16).open(&t[k]))
            .collect::<Result<_>>()?;
        let columns = readers[0].header().to_vec();
        for r in &readers[1..] {
            if r.header() != columns {
                return Err(r.input(format!(
                    "has the columns {}, but {} has {}: refusing to merge",
                    r.header().join(", "),
                    readers[0].path().display(),
                    columns.join(", ")
                )));
            }
        }
        let header = csv_line(&columns);
        let run_cols: Vec<usize> = readers
            .iter()
            .map(|r| r.column("run_id"))
            .collect::<Result<_>>()?;
        // A shard's next row: its run and its bytes.
        let next = |r: &mut NamedCsv, run_col: usize| -> Result<Option<(u64, Vec<u8>)>> {
            let Some(row) = r.next_row()? else {
                return Ok(None);
            };
            let run = row.parse::<u64>(run_col, "a run number")?;
            Ok(Some((run, csv_line(&row.cells().collect::<Vec<_>>()))))
        };
        let (entry, tmp) = stage_hashed(&mut out, name, &output, |w, tmp| {
            w.write_all(&header).map_err(io_err(tmp))?;
            let mut heads: Vec<Option<(u64, Vec<u8>)>> = Vec::new();
            for (r, &c) in readers.iter_mut().zip(&run_cols) {
                heads.push(next(r, c)?);
            }
            loop {
                let best = heads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| h.as_ref().map(|(run, _)| (*run, i)))
                    .min();
                let Some((_, i)) = best else { break };
                if let Some((_, line)) = heads[i].take() {
                    w.write_all(&line).map_err(io_err(tmp))?;
                }
                heads[i] = next(&mut readers[i], run_cols[i])?;
            }
            Ok(())
        })?;
        if k == 1 {
            staged_trajectories = tmp;
        }
        files.push(entry);
    }
    // Every shard wrote the same points (same sweep hash); its rows are
    // written again, as the stream files' are, in the merge's format.
    let mut points = NamedCsv::open(&tables[0][3])?;
    let (entry, _) = stage_hashed(&mut out, "points.csv", &output, |w, tmp| {
        w.write_all(&csv_line(points.header()))
            .map_err(io_err(tmp))?;
        while let Some(row) = points.next_row()? {
            w.write_all(&csv_line(&row.cells().collect::<Vec<_>>()))
                .map_err(io_err(tmp))?;
        }
        Ok(())
    })?;
    files.push(entry);
    files.push(write_points_summary(
        &mut out,
        &first.factors,
        &staged_trajectories,
        &output,
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

/// How a merge writes its tables: in the shards' format (which must be
/// one), for Parquet with the first shard's column types and metadata, so
/// the merged files are those of the sweep run whole.
fn merged_output(tables: &[Vec<PathBuf>]) -> Result<TableOutput> {
    let format_of = |p: &Path| {
        TableFormat::of_file(&p.file_name().unwrap_or_default().to_string_lossy())
            .unwrap_or_default()
    };
    let first = &tables[0];
    let format = format_of(&first[0]);
    for files in tables {
        for f in files {
            if format_of(f) != format {
                return Err(Error::Input {
                    path: f.clone(),
                    message: format!(
                        "is a {} table, but {} is {}: merge shards written in one format",
                        format_of(f),
                        first[0].display(),
                        format
                    ),
                });
            }
        }
    }
    if format == TableFormat::Csv {
        return Ok(TableOutput::csv());
    }
    let mut types = Vec::new();
    let mut metadata = None;
    for f in first {
        let layout = migflow_io::columnar::parquet_layout(f)?;
        types.extend(layout.types);
        metadata.get_or_insert(layout.metadata);
    }
    Ok(TableOutput::new(format, metadata.unwrap_or_default()).with_types(types))
}

/// Remove the streamed copies once the final files are in place (they
/// would double the disk a sweep uses).
pub(crate) fn remove_stream(dir: &Path) {
    journal::remove(dir);
}
