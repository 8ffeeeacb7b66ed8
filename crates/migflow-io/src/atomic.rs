//! Atomic output: files are staged under temporary names in the output
//! directory and renamed into place together at the end. A run that fails
//! or is killed leaves no file under a final name that it did not finish.
//!
//! This is migflow's one way of writing output: [`OutputDir`] for a set of
//! files committed together (it holds the directory's [`DirLock`] while it
//! lives), and [`write_file_atomic`] for a single file.
//!
//! A run's results are a *set*: `manifest.json` and the files it lists
//! ([`OutputDir::create_set`]). A set replaces the set it finds whole (the
//! files it does not write again are removed in its commit), refuses a
//! directory holding files migflow did not write (unless forced), and never
//! writes over a sweep, a calibration or one of its inputs. Its commit
//! first replaces `manifest.json` with a marker listing both sets
//! ([`crate::manifest::INCOMPLETE_KEY`]), then renames the files, removes
//! the stale ones, and renames the manifest last: a commit stopped between
//! two renames leaves the marker, which every reader refuses and the next
//! set replaces. The [`FAULT_ENV`] test hook stops a commit there.

use crate::error::{Error, Result};
use crate::lock::{DirLock, LOCK_FILE};
use crate::manifest::{self, Kind, MANIFEST};
use crate::staging::process_tag;
pub(crate) use crate::staging::temp_path;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A table being staged by [`OutputDir::stage_table`].
pub type TableFile = crate::columnar::TableWriter<HashingWriter<BufWriter<File>>>;

/// A writer that hashes what passes through it (a file's manifest entry,
/// without reading the file again).
pub struct HashingWriter<W: Write> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> HashingWriter<W> {
    /// Hash what is written to `inner`.
    pub fn new(inner: W) -> Self {
        use sha2::Digest;
        HashingWriter {
            inner,
            hasher: sha2::Sha256::new(),
        }
    }

    /// The inner writer and the hex SHA-256 of everything written.
    pub fn finish(self) -> (W, String) {
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

/// Remove temporary files that processes of this machine which no longer
/// run left in `dir` (a killed run's staged outputs can be gigabytes).
/// Without `/proc` nothing is removed.
fn remove_stale_temps(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let tag = process_tag();
    let Some((host, _)) = tag.rsplit_once('-') else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(inner) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) else {
            continue;
        };
        let Some((_, their)) = inner.rsplit_once('.') else {
            continue;
        };
        let Some((their_host, pid)) = their.rsplit_once('-') else {
            continue;
        };
        if their_host == host
            && pid.bytes().all(|b| b.is_ascii_digit())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The environment variable of the commit test hook: `abort:N` ends the
/// process (as a kill would, without unwinding) just after the `N`th rename
/// of a commit, `fail:N` makes the `N`th rename fail. It lets tests stop a
/// commit between two renames, which a kill at a random moment never hits.
pub const FAULT_ENV: &str = "MIGFLOW_TEST_COMMIT_FAULT";

/// A fault injected into a commit (see [`FAULT_ENV`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// End the process after this many renames.
    AbortAfter(usize),
    /// Fail this rename (from 1).
    FailAt(usize),
}

fn fault_from_env() -> Option<Fault> {
    parse_fault(&std::env::var(FAULT_ENV).ok()?)
}

/// `abort:N` or `fail:N` (`N` from 1).
fn parse_fault(value: &str) -> Option<Fault> {
    let (kind, n) = value.split_once(':')?;
    let n = n.trim().parse::<usize>().ok().filter(|&n| n > 0)?;
    match kind.trim() {
        "abort" => Some(Fault::AbortAfter(n)),
        "fail" => Some(Fault::FailAt(n)),
        _ => None,
    }
}

/// The renames of one commit, counted for the test hook.
struct Renamer {
    count: usize,
    fault: Option<Fault>,
}

impl Renamer {
    fn new(fault: Option<Fault>) -> Renamer {
        Renamer { count: 0, fault }
    }

    fn rename(&mut self, from: &Path, to: &Path) -> std::io::Result<()> {
        self.count += 1;
        if self.fault == Some(Fault::FailAt(self.count)) {
            return Err(std::io::Error::other(format!(
                "rename {} failed ({FAULT_ENV})",
                self.count
            )));
        }
        std::fs::rename(from, to)?;
        if self.fault == Some(Fault::AbortAfter(self.count)) {
            std::process::abort();
        }
        Ok(())
    }
}

/// What a set of files committed into a directory may replace there (see
/// [`OutputDir::create_set`]).
#[derive(Debug, Clone, Default)]
pub struct SetOptions {
    /// Write beside files migflow did not write: they are kept as they
    /// are (one with the name of a file of the set is replaced by it).
    pub force: bool,
    /// The files the work reads (its scenario or manifest, its population
    /// file): never written over or removed, even with `force`.
    pub inputs: Vec<PathBuf>,
    /// Every name this kind of work writes, besides `manifest.json`. Beside
    /// a manifest of the same kind, a file with one of these names is a file
    /// of an earlier set (unlisted: left by an older migflow), replaced
    /// with the set.
    pub names: Vec<String>,
}

/// What the commit of a set replaces.
#[derive(Debug)]
struct SetState {
    /// The files of the set found in the directory: removed by the commit
    /// unless written again.
    previous: Vec<String>,
    /// Whether the directory held no manifest: a commit that fails then
    /// leaves it as it was.
    fresh: bool,
    /// The inputs of the work.
    inputs: Vec<PathBuf>,
}

/// An output directory with files staged for an atomic commit.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
    lock: DirLock,
    set: Option<SetState>,
    fault: Option<Fault>,
}

impl OutputDir {
    /// Create (if needed) the directory, lock it (see [`DirLock`]: another
    /// process writing it is an [`Error::Locked`]) and check that it can be
    /// written.
    pub fn create(dir: &Path) -> Result<OutputDir> {
        let write_err = |source| Error::Write {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let lock = DirLock::acquire(dir)?;
        remove_stale_temps(dir);
        let probe = temp_path(dir, "migflow-probe");
        File::create(&probe).map_err(write_err)?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            committed: false,
            lock,
            set: None,
            fault: fault_from_env(),
        })
    }

    /// [`create`](Self::create) the directory for a set of files (a run's
    /// results: `manifest.json` and the files it lists), which its
    /// [`commit`](Self::commit) switches in as a whole. The directory may
    /// be new or empty, or hold an earlier set (a run's, or an interrupted
    /// commit's), whose files the commit removes unless it writes them
    /// again. Refused: a directory holding a sweep or a calibration
    /// ([`Error::OtherWork`]), or files migflow did not write
    /// ([`Error::NotOwn`], naming them, unless `opts.force`), and a set
    /// that would write over or remove one of `opts.inputs`.
    pub fn create_set(dir: &Path, opts: &SetOptions) -> Result<OutputDir> {
        let mut out = OutputDir::create(dir)?;
        let previous = inspect_for_set(dir, opts, Kind::Run)?;
        let fresh = !dir.join(MANIFEST).exists();
        check_inputs(
            dir,
            previous
                .iter()
                .chain(&opts.names)
                .map(String::as_str)
                .chain([MANIFEST]),
            &opts.inputs,
        )?;
        out.set = Some(SetState {
            previous,
            fresh,
            inputs: opts.inputs.clone(),
        });
        Ok(out)
    }

    /// [`create`](Self::create) the directory for the final set of files
    /// of resumable work or of a merge (a sweep's: `manifest.json` and the
    /// files it lists), which its [`commit`](Self::commit) switches in as a
    /// whole, as a run's set is (the manifest first replaced by the marker
    /// every reader refuses, renamed last). Unlike
    /// [`create_set`](Self::create_set) it takes the directory of the work
    /// itself (its state file and stream, which the caller has checked are
    /// this work's). The files an earlier set of the same kind lists there
    /// (a commit of the work stopped half-way, or the merge before) and
    /// that this set does not write again are removed in the commit, when
    /// they are among `names` (every name the work writes).
    pub fn create_work_set(dir: &Path, names: &[&str]) -> Result<OutputDir> {
        let mut out = OutputDir::create(dir)?;
        let previous = match manifest::inspect_manifest(dir) {
            Some(f) if matches!(f.kind, Kind::Sweep | Kind::Incomplete) => f
                .listed
                .into_iter()
                .filter(|n| is_set_name(n) && names.contains(&n.as_str()))
                .collect(),
            _ => Vec::new(),
        };
        out.set = Some(SetState {
            previous,
            fresh: !dir.join(MANIFEST).exists(),
            inputs: Vec::new(),
        });
        Ok(out)
    }

    /// [`create`](Self::create) the output directory of a merge of the
    /// `shards` of the sweep with hash `sweep_sha256`, for its set of files
    /// (`manifest.json` and the files it lists, every one among `names`),
    /// which its [`commit`](Self::commit) switches in as a whole. The
    /// directory may be new or empty, or hold an earlier merge of the same
    /// sweep (or its interrupted commit), whose files the commit replaces.
    /// Refused ([`Error::OtherWork`]): one of the shards (by any spelling),
    /// a directory holding a run, a calibration, a sweep's state file or
    /// stream, the merge of another sweep, or files migflow did not write
    /// as a merge's. The checks are a run's ([`create_set`](Self::create_set)).
    pub fn create_merge_set(
        dir: &Path,
        names: &[&str],
        shards: &[PathBuf],
        sweep_sha256: &str,
    ) -> Result<OutputDir> {
        let refuse = |message: String| Error::OtherWork {
            dir: dir.to_path_buf(),
            message,
        };
        if let Some(shard) = shards.iter().find(|s| same_file(dir, s)) {
            return Err(refuse(format!(
                "is the shard {} being merged: a merge never writes over its shards",
                shard.display()
            )));
        }
        let mut out = OutputDir::create(dir)?;
        let opts = SetOptions {
            names: names.iter().map(|n| n.to_string()).collect(),
            ..SetOptions::default()
        };
        let previous = match inspect_for_set(dir, &opts, Kind::Sweep) {
            Err(Error::NotOwn { found, .. }) => {
                return Err(refuse(format!(
                    "holds files that migflow did not write as a merge's ({})",
                    found.join(", ")
                )));
            }
            other => other?,
        };
        let found = manifest::inspect_manifest(dir);
        if let Some(f) = found.as_ref().filter(|f| f.kind == Kind::Incomplete)
            && let Some(other) = f.listed.iter().find(|n| !names.contains(&n.as_str()))
        {
            return Err(refuse(format!(
                "holds an interrupted commit of files that are not a merge's ({other}): \
                 a merge never writes over it"
            )));
        }
        if found.is_some_and(|f| f.kind == Kind::Sweep) {
            let found = manifest::read_sweep_manifest(dir)?;
            if found.sweep_sha256 != sweep_sha256 {
                return Err(refuse(format!(
                    "holds the merge of a different sweep (hash {}) from these shards' \
                     (hash {sweep_sha256}): a merge never writes over it",
                    found.sweep_sha256
                )));
            }
        }
        out.set = Some(SetState {
            previous,
            fresh: !dir.join(MANIFEST).exists(),
            inputs: Vec::new(),
        });
        Ok(out)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The directory's lock (clone it to hold the directory past the
    /// commit, for files written after it).
    pub fn lock(&self) -> &DirLock {
        &self.lock
    }

    /// Write the table `name` (`trajectories.csv`) as `output` says, under
    /// its name in that format: `write` gets the table's CSV text (header
    /// first) and the staged file's path, for its errors. Returns the file's
    /// manifest entry (its SHA-256 hashed as it is written) and the staged
    /// path.
    pub fn stage_table(
        &mut self,
        name: &str,
        output: &crate::columnar::TableOutput,
        write: impl FnOnce(&mut TableFile, &Path) -> Result<()>,
    ) -> Result<(manifest::FileEntry, PathBuf)> {
        let file = output.file_name(name);
        let (w, tmp) = self.stage(&file)?;
        let mut w = output.writer(HashingWriter::new(w));
        write(&mut w, &tmp)?;
        let (w, sha256) = w
            .finish()
            .map_err(|source| Error::Write {
                path: tmp.clone(),
                source,
            })?
            .finish();
        finish(w, &tmp)?;
        Ok((manifest::FileEntry { name: file, sha256 }, tmp))
    }

    /// Start writing `name`; it appears under that name only at [`commit`](Self::commit).
    pub fn stage(&mut self, name: &str) -> Result<(BufWriter<File>, PathBuf)> {
        let final_path = self.dir.join(name);
        let tmp = temp_path(&self.dir, name);
        let file = File::create(&tmp).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        self.staged.push((tmp.clone(), final_path));
        Ok((BufWriter::new(file), tmp))
    }

    /// Scratch file `part` of the output `name` (written in parts and
    /// joined later); it is never renamed into place.
    pub fn scratch_part(&mut self, name: &str, part: u32) -> PathBuf {
        temp_path(&self.dir, &format!("{name}.part-{part}"))
    }

    /// Rename every staged file into place. A set (see
    /// [`create_set`](Self::create_set)), whose `manifest.json` must be
    /// staged, is switched in as a whole: the directory's manifest is first
    /// replaced by a marker that every reader refuses, then the files are
    /// renamed and the earlier set's other files removed, and the manifest
    /// is renamed last. A failure leaves a new directory as it was, and an
    /// earlier set's directory marked as interrupted.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        for (_, final_path) in &self.staged {
            refuse_not_regular(final_path)?;
        }
        let mut renamer = Renamer::new(self.fault);
        if let Some(set) = self.set.take() {
            return self.commit_set(&set, &mut renamer);
        }
        let mut done = Vec::new();
        for (tmp, final_path) in self.staged.clone() {
            renamer
                .rename(&tmp, &final_path)
                .map_err(|source| Error::Write {
                    path: final_path.clone(),
                    source,
                })?;
            done.push(final_path);
        }
        self.committed = true;
        Ok(done)
    }

    fn commit_set(&mut self, set: &SetState, renamer: &mut Renamer) -> Result<Vec<PathBuf>> {
        let manifest_path = self.dir.join(MANIFEST);
        let (manifests, files): (Vec<_>, Vec<_>) = self
            .staged
            .iter()
            .cloned()
            .partition(|(_, f)| *f == manifest_path);
        let [(manifest_tmp, _)] = &manifests[..] else {
            return Err(Error::Input {
                path: manifest_path,
                message: "a set of files is committed with its manifest, staged once".into(),
            });
        };
        let names: Vec<String> = files
            .iter()
            .filter_map(|(_, f)| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        let stale: Vec<&String> = set.previous.iter().filter(|n| !names.contains(n)).collect();
        check_inputs(
            &self.dir,
            names
                .iter()
                .chain(stale.iter().copied())
                .map(String::as_str)
                .chain([MANIFEST]),
            &set.inputs,
        )?;
        // 1. The marker: from here until the manifest is renamed, readers
        // refuse the directory, and the next set knows its files.
        let mut listed: Vec<String> = set.previous.iter().chain(&names).cloned().collect();
        listed.sort();
        listed.dedup();
        let marker = manifest::Incomplete {
            migflow_incomplete: "migflow is replacing the files of this directory, or was and \
                                 stopped before it finished: they are not one run's results"
                .into(),
            files: listed,
        };
        write_unchecked(
            &manifest_path,
            &manifest::to_json(&marker, "manifest")?,
            ".incomplete",
        )?;
        sync_dir(&self.dir);
        // 2. The files, then the stale files go, then the manifest.
        let mut done = Vec::new();
        let undo = |done: &[PathBuf]| {
            if set.fresh {
                for path in done {
                    let _ = std::fs::remove_file(path);
                }
                let _ = std::fs::remove_file(&manifest_path);
            }
        };
        for (tmp, final_path) in &files {
            if let Err(source) = renamer.rename(tmp, final_path) {
                undo(&done);
                return Err(Error::Write {
                    path: final_path.clone(),
                    source,
                });
            }
            done.push(final_path.clone());
        }
        for name in stale {
            let path = self.dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(Error::Write { path, source }),
            }
        }
        sync_dir(&self.dir);
        if let Err(source) = renamer.rename(manifest_tmp, &manifest_path) {
            undo(&done);
            return Err(Error::Write {
                path: manifest_path,
                source,
            });
        }
        sync_dir(&self.dir);
        self.committed = true;
        done.push(manifest_path);
        Ok(done)
    }
}

/// Make the renames in `dir` durable (best effort: some file systems
/// cannot sync a directory).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether `name` is a plain file name of a directory, as a set lists its
/// files: one component, not hidden, not the manifest or the lock.
fn is_set_name(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(n)), None) if n == name
    ) && !name.starts_with('.')
        && name != MANIFEST
        && name != LOCK_FILE
}

/// The files of the set in `dir` that a new set replaces, after checking
/// that the directory may take a set (see [`OutputDir::create_set`]).
/// `own` is the kind of set written: a run's ([`Kind::Run`]) or a
/// merge's ([`Kind::Sweep`]); a set of the other kinds is refused.
fn inspect_for_set(dir: &Path, opts: &SetOptions, own: Kind) -> Result<Vec<String>> {
    let manifest_path = dir.join(MANIFEST);
    let writer = if own == Kind::Run { "run" } else { "merge" };
    let refuse = |what: String| {
        Err(Error::OtherWork {
            dir: dir.to_path_buf(),
            message: format!("holds {what}: a {writer} never writes over it"),
        })
    };
    let found = manifest::inspect_manifest(dir);
    let mut previous = Vec::new();
    let mut foreign = Vec::new();
    let kind = found.as_ref().map(|f| f.kind);
    match &found {
        Some(f)
            if f.kind != own && matches!(f.kind, Kind::Run | Kind::Sweep | Kind::Calibration) =>
        {
            return refuse(format!(
                "the results of a migflow {} ({MANIFEST})",
                f.kind.name()
            ));
        }
        Some(f) if f.kind == own || f.kind == Kind::Incomplete => {
            for name in &f.listed {
                if !is_set_name(name) {
                    return Err(Error::Damaged {
                        path: manifest_path,
                        message: format!(
                            "lists `{name}`, which is not the name of a file in this directory: \
                             it is not a manifest migflow wrote; remove it, or choose another \
                             output directory"
                        ),
                    });
                }
                previous.push(name.clone());
            }
        }
        Some(_) => foreign.push(format!("{MANIFEST} (not a migflow {}'s)", own.name())),
        None => {}
    }
    let own_kind = kind.is_some_and(|k| k == own || k == Kind::Incomplete);
    let read_err = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        entries.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    entries.sort();
    for (name, is_dir) in entries {
        let path = dir.join(&name);
        if name == LOCK_FILE || name == MANIFEST || crate::staging::final_path_of(&path).is_some() {
            continue;
        }
        if let Some((_, work)) = crate::journal::STATE_FILES.iter().find(|(n, _)| *n == name) {
            return refuse(format!("a migflow {work} ({name})"));
        }
        // Other results inside this directory (`--out results/workshops`
        // beside a run in `results/`) are separate work: no reader of this
        // directory reads them, and its set never touches them.
        if is_dir
            && name != crate::journal::STREAM_DIR
            && (is_results_dir(&path) || is_folder_of_results(&path) || is_slurm_dir(&path))
        {
            continue;
        }
        if name == crate::journal::STREAM_DIR && is_dir {
            return refuse(format!(
                "the stream of an unfinished migflow sweep or calibration ({name}/)"
            ));
        }
        if !is_dir && (previous.contains(&name) || (own_kind && opts.names.contains(&name))) {
            if !previous.contains(&name) {
                previous.push(name);
            }
            continue;
        }
        previous.retain(|p| *p != name);
        foreign.push(if is_dir { format!("{name}/") } else { name });
    }
    if !foreign.is_empty() && !opts.force {
        return Err(Error::NotOwn {
            dir: dir.to_path_buf(),
            found: foreign,
        });
    }
    Ok(previous)
}

/// Whether `dir` holds migflow results: a run's, sweep's or calibration's
/// manifest (or one being committed), or the state file of a sweep or a
/// calibration.
fn is_results_dir(dir: &Path) -> bool {
    manifest::inspect_manifest(dir).is_some_and(|f| f.kind != Kind::Other)
        || crate::journal::STATE_FILES
            .iter()
            .any(|(name, _)| dir.join(name).is_file())
}

/// Whether `dir` holds nothing but migflow results directories (the
/// `shards/` of a `migflow slurm` layout).
fn is_folder_of_results(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let mut any = false;
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let path = entry.path();
        if !(path.is_dir() && is_results_dir(&path)) {
            return false;
        }
        any = true;
    }
    any
}

/// Whether `dir` is the `slurm/` folder `migflow slurm` writes beside the
/// merged results (its job scripts, and the logs Slurm writes).
fn is_slurm_dir(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == "slurm")
        && ["array.sbatch", "merge.sbatch", "submit.sh"]
            .iter()
            .all(|f| dir.join(f).is_file())
}

/// Whether two paths name one file (the same inode: through a link, a
/// symbolic link or another spelling of the path).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (a.canonicalize(), b.canonicalize()) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Refuse a set whose files `names` in `dir` would write over or remove
/// one of `inputs`.
fn check_inputs<'a>(
    dir: &Path,
    names: impl Iterator<Item = &'a str>,
    inputs: &[PathBuf],
) -> Result<()> {
    for name in names {
        let path = dir.join(name);
        if let Some(input) = inputs.iter().find(|i| same_file(&path, i)) {
            return Err(Error::OtherWork {
                dir: dir.to_path_buf(),
                message: format!(
                    "{name} is an input of this run ({}): a run never writes over its inputs",
                    input.display()
                ),
            });
        }
    }
    Ok(())
}

/// Refuse to write `path` when it is a file of migflow results (the
/// `manifest.json` of a run, a sweep or a calibration, or a file it lists):
/// only the commit of a set replaces those.
fn refuse_results_file(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(());
    };
    let Some(found) = manifest::inspect_manifest(dir) else {
        return Ok(());
    };
    if found.kind == Kind::Other {
        return Ok(());
    }
    let what = if name == MANIFEST {
        "the manifest"
    } else if found.listed.iter().any(|n| n == name) {
        "a file"
    } else {
        return Ok(());
    };
    Err(Error::OtherWork {
        dir: dir.to_path_buf(),
        message: format!(
            "{name} is {what} of the migflow {}'s results in this directory: it is never written over",
            found.kind.name()
        ),
    })
}

/// Refuse a final `path` that exists and is not a regular file (a device,
/// a FIFO, a socket or a directory, itself or behind a symbolic link):
/// migflow renames its outputs into place, which would replace the node.
fn refuse_not_regular(path: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let kind = if meta.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(target) => target.file_type(),
            // A dangling link: the rename replaces the link alone.
            Err(_) => return Ok(()),
        }
    } else {
        meta.file_type()
    };
    if kind.is_file() {
        return Ok(());
    }
    Err(Error::Input {
        path: path.to_path_buf(),
        message: format!(
            "is {}, not a regular file: migflow writes only regular files; choose another output",
            describe_file_type(kind)
        ),
    })
}

/// A file type that is not a regular file, in words.
fn describe_file_type(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// What migflow results `dir` holds, in words (see [`is_results_dir`]).
fn results_held(dir: &Path) -> Option<String> {
    if let Some(f) = manifest::inspect_manifest(dir).filter(|f| f.kind != Kind::Other) {
        return Some(format!(
            "the results of a migflow {} ({MANIFEST})",
            f.kind.name()
        ));
    }
    crate::journal::STATE_FILES
        .iter()
        .find(|(name, _)| dir.join(name).is_file())
        .map(|(name, work)| format!("a migflow {work} ({name})"))
}

/// Refuse `dir` as the output directory of files made from results
/// (charts, a comparison, a sensitivity analysis: `what`) when it is itself
/// a migflow results directory (it holds a run's, a sweep's or a
/// calibration's manifest, or a sweep's or calibration's state file): its
/// readers would find files its manifest does not list, and the next run
/// into it would be refused. A subdirectory of one (`RESULTS/charts`) is
/// not one.
pub fn refuse_results_dir(dir: &Path, what: &str) -> Result<()> {
    match results_held(dir) {
        Some(held) => Err(Error::OtherWork {
            dir: dir.to_path_buf(),
            message: format!(
                "holds {held}: {what} is never written into a results directory; \
                 choose another directory (a new one, or a subdirectory such as {})",
                dir.join("charts").display()
            ),
        }),
        None => Ok(()),
    }
}

/// Refuse to write `path` when it is one of `inputs` (the same file, by
/// any spelling): the files that the results being read record, such as
/// their scenario source or population file, or list.
pub fn refuse_input(path: &Path, inputs: &[PathBuf]) -> Result<()> {
    match inputs.iter().find(|i| same_file(path, i)) {
        Some(input) => Err(Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "is {}, which the results being read record as an input or a file of \
                 theirs: migflow never writes over it; choose another output",
                input.display()
            ),
        }),
        None => Ok(()),
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.staged {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// Write one file atomically: `bytes` go to a temporary file in the same
/// directory, which is synced and renamed onto `path`, so that `path` holds
/// either its old content or all of `bytes`. On failure the temporary file
/// is removed and the error names `path`. (It takes no lock: a writer of a
/// directory's outputs holds the directory's [`DirLock`] around it.)
///
/// A `path` that exists and is not a regular file (a device, a FIFO, a
/// socket, a directory, or a symbolic link to one) is refused
/// ([`Error::Input`]): renaming over it would replace a device node.
/// A file of migflow results — the `manifest.json` of a run, a sweep or a
/// calibration, or a file it lists — is never written over
/// ([`Error::OtherWork`]): a report written with `-o results/manifest.json`
/// would destroy the results it reports.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    refuse_not_regular(path)?;
    refuse_results_file(path)?;
    write_unchecked(path, bytes, "")
}

/// [`write_file_atomic`] without the check of what `path` is; `suffix` is
/// added to the name of the temporary file (to keep it apart from a file
/// staged for `path`).
fn write_unchecked(path: &Path, bytes: &[u8], suffix: &str) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Input {
            path: path.to_path_buf(),
            message: "not a file name".into(),
        })?;
    let tmp = temp_path(dir, &format!("{name}{suffix}"));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        Error::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Flush a buffered file to disk, naming it in the error.
pub fn finish(writer: BufWriter<File>, path: &Path) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = writer.into_inner().map_err(|e| err(e.into_error()))?;
    file.sync_all().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::final_path_of;

    #[test]
    fn a_temporary_name_maps_back_to_its_final_file() {
        let dir = Path::new("results");
        let tmp = temp_path(dir, "households.csv");
        assert!(
            tmp.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        );
        assert_eq!(final_path_of(&tmp), Some(dir.join("households.csv")));
        let part = temp_path(dir, "households.csv.part-3");
        assert_eq!(final_path_of(&part), Some(dir.join("households.csv")));
        assert_eq!(final_path_of(&dir.join("runs.csv")), None);
    }

    #[test]
    fn a_single_file_is_replaced_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("timing.json");
        write_file_atomic(&path, b"old").expect("write");
        write_file_atomic(&path, b"new content").expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"new content");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("timing.json")]);
        // A directory that does not exist: an error naming the file.
        let missing = dir.path().join("no/such/dir/file.txt");
        match write_file_atomic(&missing, b"x") {
            Err(Error::Write { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected a write error, got {other:?}"),
        }
        assert!(write_file_atomic(Path::new("/"), b"x").is_err());
    }

    #[test]
    fn an_output_directory_holds_its_lock_until_dropped() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut out = OutputDir::create(dir.path()).expect("create");
        let lock_file = dir.path().join(crate::lock::LOCK_FILE);
        assert!(lock_file.exists());
        let (w, tmp) = out.stage("a.csv").expect("stage");
        drop(w);
        let done = out.commit().expect("commit");
        assert_eq!(
            done,
            vec![dir.path().join("a.csv")],
            "the lock is no output"
        );
        assert!(!tmp.exists());
        assert!(!lock_file.exists(), "the lock is let go with the directory");
    }

    /// A run's directory as migflow leaves it: `files` and a manifest
    /// listing them (with their hashes).
    fn fake_run(dir: &Path, files: &[(&str, &str)]) {
        std::fs::create_dir_all(dir).expect("mkdir");
        let mut listed = Vec::new();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write");
            listed.push(serde_json::json!({
                "name": name,
                "sha256": crate::manifest::sha256_hex(text.as_bytes()),
            }));
        }
        let manifest = serde_json::json!({ "scenario_toml": "", "files": listed });
        std::fs::write(dir.join(MANIFEST), manifest.to_string()).expect("write");
    }

    fn run_names() -> SetOptions {
        SetOptions {
            names: ["a.csv", "b.csv", "c.csv"].map(String::from).to_vec(),
            ..SetOptions::default()
        }
    }

    /// Stage `files` and a manifest (a run's, listing nothing) in `out`.
    fn stage_set(out: &mut OutputDir, files: &[(&str, &str)]) {
        use std::io::Write;
        for (name, text) in files
            .iter()
            .chain(&[(MANIFEST, "{\"scenario_toml\": \"\"}")])
        {
            let (mut w, tmp) = out.stage(name).expect("stage");
            w.write_all(text.as_bytes()).expect("write");
            finish(w, &tmp).expect("finish");
        }
    }

    fn final_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_set_replaces_the_set_it_finds_whole() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("run");
        fake_run(&dir, &[("a.csv", "old a"), ("b.csv", "old b")]);
        // c.csv: an unlisted file of an earlier run (an older migflow).
        std::fs::write(dir.join("c.csv"), "older c").expect("write");
        let mut out = OutputDir::create_set(&dir, &run_names()).expect("create");
        stage_set(&mut out, &[("a.csv", "new a")]);
        out.commit().expect("commit");
        assert_eq!(final_names(&dir), ["a.csv", "manifest.json"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("a.csv")).expect("a"),
            "new a"
        );
        assert!(!dir.join(LOCK_FILE).exists());
    }

    #[test]
    fn a_set_is_refused_where_migflow_did_not_write_unless_forced() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("mixed");
        fake_run(&dir, &[("a.csv", "old a")]);
        std::fs::write(dir.join("notes.txt"), "mine").expect("write");
        std::fs::create_dir(dir.join("figures")).expect("mkdir");
        match OutputDir::create_set(&dir, &run_names()) {
            Err(Error::NotOwn { found, .. }) => assert_eq!(found, ["figures/", "notes.txt"]),
            other => panic!("expected NotOwn, got {other:?}"),
        }
        let forced = SetOptions {
            force: true,
            ..run_names()
        };
        let mut out = OutputDir::create_set(&dir, &forced).expect("forced");
        stage_set(&mut out, &[("b.csv", "new b")]);
        out.commit().expect("commit");
        assert_eq!(
            final_names(&dir),
            ["b.csv", "figures", "manifest.json", "notes.txt"]
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).expect("notes"),
            "mine"
        );

        // Never over a sweep, a calibration, or an input, even forced.
        for (name, text) in [
            (MANIFEST, "{\"sweep_toml\": \"\", \"files\": []}"),
            ("sweep.json", "{}"),
            ("calibration.json", "{}"),
        ] {
            let d = tmp.path().join(name);
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join(name), text).expect("write");
            assert!(
                matches!(
                    OutputDir::create_set(&d, &forced),
                    Err(Error::OtherWork { .. })
                ),
                "{name}"
            );
        }
        let input = SetOptions {
            inputs: vec![dir.join("b.csv")],
            ..forced.clone()
        };
        match OutputDir::create_set(&dir, &input) {
            Err(Error::OtherWork { message, .. }) => {
                assert!(message.contains("b.csv"), "{message}")
            }
            other => panic!("expected OtherWork, got {other:?}"),
        }
        // A manifest listing a path outside the directory is not one migflow wrote.
        let d = tmp.path().join("escape");
        fake_run(&d, &[]);
        std::fs::write(
            d.join(MANIFEST),
            "{\"scenario_toml\": \"\", \"files\": [{\"name\": \"../notes.txt\"}]}",
        )
        .expect("write");
        assert!(matches!(
            OutputDir::create_set(&d, &forced),
            Err(Error::Damaged { .. })
        ));
    }

    #[test]
    fn a_set_commit_stopped_between_renames_is_refused_by_readers_and_replaced_next() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("run");
        fake_run(&dir, &[("a.csv", "old a"), ("b.csv", "old b")]);
        let mut out = OutputDir::create_set(&dir, &run_names()).expect("create");
        stage_set(&mut out, &[("a.csv", "new a"), ("c.csv", "new c")]);
        out.fault = Some(Fault::FailAt(2));
        match out.commit() {
            Err(Error::Write { path, .. }) => assert_eq!(path, dir.join("c.csv")),
            other => panic!("expected a write error, got {other:?}"),
        }
        // New a.csv beside old b.csv: marked, and refused.
        assert_eq!(
            std::fs::read_to_string(dir.join("a.csv")).expect("a"),
            "new a"
        );
        let found = manifest::inspect_manifest(&dir).expect("manifest");
        assert_eq!(found.kind, Kind::Incomplete);
        assert_eq!(found.listed, ["a.csv", "b.csv", "c.csv"]);
        assert!(matches!(
            manifest::read_manifest(&dir.join(MANIFEST)),
            Err(Error::Damaged { .. })
        ));
        assert!(matches!(
            crate::results::Results::read(&dir, None),
            Err(Error::Damaged { .. })
        ));
        assert!(matches!(
            write_file_atomic(&dir.join("b.csv"), b"x"),
            Err(Error::OtherWork { .. })
        ));
        // The next set replaces it whole, unforced.
        let mut out = OutputDir::create_set(&dir, &run_names()).expect("create again");
        stage_set(&mut out, &[("b.csv", "newer b")]);
        out.commit().expect("commit");
        assert_eq!(final_names(&dir), ["b.csv", "manifest.json"]);

        // In a new directory a failed commit leaves nothing under a final name.
        let fresh = tmp.path().join("fresh");
        let mut out = OutputDir::create_set(&fresh, &run_names()).expect("create");
        stage_set(&mut out, &[("a.csv", "a"), ("b.csv", "b")]);
        out.fault = Some(Fault::FailAt(3));
        assert!(out.commit().is_err());
        assert_eq!(final_names(&fresh), Vec::<String>::new());
        let left: Vec<_> = std::fs::read_dir(&fresh).expect("list").collect();
        assert!(left.is_empty(), "left: {left:?}");
    }

    #[test]
    fn a_single_file_is_never_written_over_a_results_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("run");
        fake_run(&dir, &[("a.csv", "a")]);
        for name in [MANIFEST, "a.csv"] {
            match write_file_atomic(&dir.join(name), b"<html>") {
                Err(Error::OtherWork { message, .. }) => assert!(message.contains(name)),
                other => panic!("{name}: expected OtherWork, got {other:?}"),
            }
        }
        assert_eq!(std::fs::read_to_string(dir.join("a.csv")).expect("a"), "a");
        write_file_atomic(&dir.join("report.html"), b"<html>").expect("beside them");
    }

    #[test]
    fn the_commit_fault_hook_reads_its_environment_format() {
        // (The parser alone: the variable is the process's, shared by tests.)
        let parse = parse_fault;
        assert_eq!(parse("abort:2"), Some(Fault::AbortAfter(2)));
        assert_eq!(parse("fail:1"), Some(Fault::FailAt(1)));
        assert_eq!(parse("fail:0"), None);
        assert_eq!(parse("boom"), None);
    }

    #[test]
    fn leftovers_of_dead_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let own = temp_path(dir.path(), "runs.csv");
        std::fs::write(&own, "live").expect("write");
        // A process id above the kernel's maximum (2^22) never runs.
        let tag = process_tag();
        let host = tag.rsplit_once('-').map(|(h, _)| h).unwrap_or("host");
        let dead = dir.path().join(format!(".runs.csv.{host}-4194399.tmp"));
        std::fs::write(&dead, "stale").expect("write");
        let other_host = dir.path().join(".runs.csv.elsewhere-4194399.tmp");
        std::fs::write(&other_host, "maybe live").expect("write");
        let out = OutputDir::create(dir.path()).expect("create");
        drop(out);
        assert!(own.exists(), "this process's file is kept");
        assert!(other_host.exists(), "another machine's file is kept");
        assert_eq!(dead.exists(), !Path::new("/proc/self").exists());
    }
}
