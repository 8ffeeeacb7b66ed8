//! The crash-safe append journal of work that streams its results while it
//! runs (a sweep's runs, a calibration's samples), so that it can be
//! resumed after a crash with nothing lost and nothing counted twice.
//!
//! The work's directory `DIR` holds `DIR/stream/`: `N` data files (each
//! starting with its header) and `journal`. Each finished piece of work
//! appends its bytes to the data files and one tab-separated line to the
//! journal:
//!
//! ```text
//! KEY FIELDS…  END_0 … END_{N-1}  CHECK
//! ```
//!
//! the key's fields (a run and its status, a generation and its sample),
//! the end offset in each data file after the entry's bytes, and a 64-bit
//! check (16 hex digits) of the key's [checked bytes](Key::checked) and of
//! the bytes the entry appended to each file ([`bytes_check`]). Entries are
//! committed in batches: the data files are synced first, then the journal
//! lines are written and synced, so an entry is committed when its line is
//! on disk.
//!
//! On resume ([`Journal::open`]) the journal is read up to its first torn,
//! malformed or damaged entry (one whose bytes no longer have its check);
//! that entry and every later one are dropped, and the journal and the data
//! files are cut back to the committed prefix, so that the work they stood
//! for is done again.
//!
//! A journal is written only by the holder of its directory's [`DirLock`].

use crate::error::{Error, Result};
use crate::lock::DirLock;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The directory of the streamed files, in the work's directory.
pub const STREAM_DIR: &str = "stream";
/// The identity files of resumable work (`sweep.json` of a sweep,
/// `calibration.json` of a calibration) and the work each names: a
/// directory holding one holds that work, finished or not.
pub const STATE_FILES: [(&str, &str); 2] =
    [("sweep.json", "sweep"), ("calibration.json", "calibration")];
/// The journal's name in [`STREAM_DIR`].
pub(crate) const JOURNAL: &str = "journal";
/// Commit at least this often while entries are appended.
pub(crate) const COMMIT_EVERY: Duration = Duration::from_millis(500);
/// And at least every this many entries.
pub(crate) const COMMIT_ENTRIES: usize = 256;

/// The key of a journal entry: what piece of work it commits.
pub trait Key: Sized {
    /// Its fields in a journal line, ahead of the end offsets.
    fn fields(&self) -> Vec<String>;
    /// The key of a line's leading fields (as many as [`fields`](Self::fields)
    /// writes), or `None` to refuse the line (which ends the journal).
    fn parse(fields: &[&str]) -> Option<Self>;
    /// How many fields [`fields`](Self::fields) writes.
    const FIELDS: usize;
    /// What the entry's check covers besides the bytes it appended, hashed
    /// ahead of them (a run's number and status); none by default.
    fn checked(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }
}

/// The streamed data files of a journal: their names in [`STREAM_DIR`] and
/// their headers, in journal column order.
#[derive(Debug, Clone)]
pub struct Streams<const N: usize> {
    /// File names.
    pub names: [&'static str; N],
    /// The header each file starts with.
    pub headers: [Vec<u8>; N],
}

/// One committed entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry<K, const N: usize> {
    /// What it commits.
    pub key: K,
    /// Where its bytes start in each data file.
    pub start: [u64; N],
    /// Where they end.
    pub end: [u64; N],
    /// Its check.
    pub check: u64,
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

/// The check of an entry with `key` that appended `segments`.
fn entry_check<K: Key, const N: usize>(key: &K, segments: [&[u8]; N]) -> u64 {
    let checked = key.checked();
    let mut chunks: Vec<&[u8]> = checked.iter().map(Vec::as_slice).collect();
    chunks.extend(segments);
    bytes_check(&chunks)
}

/// The journal line of an entry.
fn entry_line<K: Key, const N: usize>(key: &K, end: &[u64; N], check: u64) -> String {
    let mut cells = key.fields();
    cells.extend(end.iter().map(u64::to_string));
    cells.push(format!("{check:016x}"));
    let mut line = cells.join("\t");
    line.push('\n');
    line
}

fn write_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Write a file whole and sync it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(write_err(path))?;
    f.write_all(bytes).map_err(write_err(path))?;
    f.sync_all().map_err(write_err(path))
}

/// The stream directory of the work in `dir`.
pub fn stream_dir(dir: &Path) -> PathBuf {
    dir.join(STREAM_DIR)
}

/// Whether `dir` holds a journal.
pub fn exists(dir: &Path) -> bool {
    stream_dir(dir).join(JOURNAL).exists()
}

/// Every data file name migflow's resumable work streams into
/// [`STREAM_DIR`] (a sweep's three files, a calibration's samples). With
/// the journal (`journal`) they are the only files a stream directory migflow made may
/// hold: a `stream/` holding anything else is not migflow's, and is never
/// removed (see [`is_own_stream`]).
pub const DATA_FILES: [&str; 4] = [
    "runs.csv",
    "trajectories.csv",
    "failures.csv",
    "samples.csv",
];

/// Whether `name` is a file migflow writes in a stream directory: the
/// journal, a data file, or one of these staged under a temporary name.
fn is_stream_file_name(stream: &Path, name: &std::ffi::OsStr) -> bool {
    let known = |n: &std::ffi::OsStr| n == JOURNAL || DATA_FILES.iter().any(|d| n == *d);
    known(name)
        || crate::staging::final_path_of(&stream.join(name))
            .is_some_and(|f| f.file_name().is_some_and(known))
}

/// Whether `dir/stream` is absent or a stream directory migflow made: a
/// real directory (not a link) holding only regular files with the names
/// migflow writes there, and its journal whenever it holds a data file
/// (a stream is created journal first and removed journal last). Only such
/// a directory is replaced or removed; any other `stream/` is the user's.
pub fn is_own_stream(dir: &Path) -> bool {
    let stream = stream_dir(dir);
    let meta = match std::fs::symlink_metadata(&stream) {
        Ok(m) => m,
        Err(e) => return e.kind() == std::io::ErrorKind::NotFound,
    };
    if !meta.is_dir() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(&stream) else {
        return false;
    };
    let mut journal = false;
    let mut data = false;
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !is_stream_file_name(&stream, &name) {
            return false;
        }
        if name == JOURNAL {
            journal = true;
        } else if DATA_FILES.iter().any(|d| name == *d) {
            data = true;
        }
    }
    journal || !data
}

/// What `dir` (which need not exist) holds besides what migflow keeps there
/// itself (a stream migflow made, see [`is_own_stream`], and the
/// directory's lock file): each name, a directory's ending in `/`. New
/// work may start only where this is empty.
pub fn foreign_entries(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            !(crate::lock::is_own_file(&name) || (name == STREAM_DIR && is_own_stream(dir)))
        })
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                format!("{name}/")
            } else {
                name
            }
        })
        .collect();
    found.sort();
    found
}

/// Whether `dir` (which need not exist) holds nothing but what migflow
/// keeps there itself: the stream of an attempt that never wrote its
/// identity file (one migflow made: see [`is_own_stream`]), and the
/// directory's lock file. New work may start only in such a directory.
pub fn is_fresh(dir: &Path) -> bool {
    foreign_entries(dir).is_empty()
}

/// Remove the stream of `dir` (once the final files are in place: the
/// streamed copies would double the disk the work uses), and only what
/// migflow writes there: the data files first, the journal last (so that a
/// stream cut short by a kill is still recognised as migflow's, and the
/// next resume of the finished work completes the removal), then the
/// directory if that left it empty. Returns whether the stream is gone.
///
/// It is called for work whose state file is in `dir` (so that its
/// `stream/` is the work's): a `stream/` holding anything but regular files
/// with the names migflow writes there is left whole.
pub fn remove(dir: &Path) -> bool {
    let stream = stream_dir(dir);
    let Ok(meta) = std::fs::symlink_metadata(&stream) else {
        return true;
    };
    let only_ours = meta.is_dir()
        && std::fs::read_dir(&stream).is_ok_and(|entries| {
            entries.into_iter().all(|e| {
                e.is_ok_and(|e| {
                    e.file_type().is_ok_and(|t| t.is_file())
                        && is_stream_file_name(&stream, &e.file_name())
                })
            })
        });
    if !only_ours {
        return false;
    }
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(&stream)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    // Staged files and data files first, the journal last.
    names.sort_by_key(|n| n == JOURNAL);
    for name in names {
        if is_stream_file_name(&stream, &name) {
            let _ = std::fs::remove_file(stream.join(&name));
        }
    }
    std::fs::remove_dir(&stream).is_ok() || std::fs::symlink_metadata(&stream).is_err()
}

/// Make room for a new stream in the locked directory `dir`: remove the
/// stream migflow made there before (see [`remove`]); refuse one it did not
/// make, naming it.
fn clear_stream(dir: &Path) -> Result<()> {
    if !is_own_stream(dir) || !remove(dir) {
        return Err(Error::OtherWork {
            dir: dir.to_path_buf(),
            message: format!(
                "holds a {STREAM_DIR}/ that migflow did not make (it holds other files than \
                 migflow's stream), which it never removes"
            ),
        });
    }
    Ok(())
}

/// Refuse data file names that [`DATA_FILES`] does not list (a stream
/// holding them would not be recognised as migflow's).
fn check_names(dir: &Path, names: &[&str]) -> Result<()> {
    match names.iter().find(|n| !DATA_FILES.contains(n)) {
        Some(n) => Err(Error::Input {
            path: stream_dir(dir).join(n),
            message: "not a stream file name migflow knows (journal::DATA_FILES)".into(),
        }),
        None => Ok(()),
    }
}

/// An input file of resumable work as its state file records it: what it
/// is, its path (relative to the work's directory where possible), and
/// the SHA-256 of its bytes (`None`: it could not be read when the work
/// started, and the runs that read it failed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputRecord {
    /// What it is (`the population file`, …).
    pub what: String,
    /// Its path, as the work's directory names it.
    pub path: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: Option<String>,
}

/// An input file of resumable work as this invocation plans it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedInput {
    /// What it is (`the population file`, `the targets file`, …).
    pub what: &'static str,
    /// The file as the work reads it.
    pub file: PathBuf,
    /// Hex SHA-256 of its bytes now (`None` when it cannot be read).
    pub sha256: Option<String>,
}

impl PlannedInput {
    /// Hash `file` as it is now.
    pub fn hash(what: &'static str, file: &Path) -> PlannedInput {
        PlannedInput {
            what,
            file: file.to_path_buf(),
            sha256: crate::manifest::sha256_file(file).ok(),
        }
    }

    /// Its record, naming the file by `shown` (its path as the work's
    /// directory names it).
    pub fn record(&self, shown: &Path) -> InputRecord {
        InputRecord {
            what: self.what.to_string(),
            path: shown.display().to_string(),
            sha256: self.sha256.clone(),
        }
    }

    /// Refuse bytes read from the file whose SHA-256 (`found`) is not the
    /// planned one: the file changed while the work ran (its state file
    /// `state` records the planned hash).
    pub fn check_read(&self, found: Option<&str>, state: &Path) -> Result<()> {
        if found == self.sha256.as_deref() {
            return Ok(());
        }
        Err(Error::WorkInputChanged {
            path: self.file.clone(),
            what: self.what,
            state: state.to_path_buf(),
            expected: self.sha256.clone().unwrap_or_else(|| "none".into()),
            found: found.unwrap_or("none").to_string(),
        })
    }
}

/// Check, on resume, that the inputs of the `work` in `dir` are the ones
/// its state file `state` recorded when it started (`recorded`; `None` for
/// a state file written by an older migflow, which recorded none): the same
/// files, in the same roles, with the same bytes. A changed file is an
/// [`Error::WorkInputChanged`] naming it and both hashes; a state without
/// inputs is refused (the inputs cannot be checked, so the work cannot be
/// resumed safely).
pub fn check_inputs(
    dir: &Path,
    state: &Path,
    work: &'static str,
    recorded: Option<&[InputRecord]>,
    planned: &[PlannedInput],
) -> Result<()> {
    let Some(recorded) = recorded else {
        return Err(Error::OtherWork {
            dir: dir.to_path_buf(),
            message: format!(
                "holds a {work} started by an older migflow: its {} records no hashes of the \
                 {work}'s input files, so a resume cannot check that they are unchanged: cannot resume",
                state.file_name().map_or_else(
                    || state.display().to_string(),
                    |n| n.to_string_lossy().into_owned()
                )
            ),
        });
    };
    let same_roles = recorded.len() == planned.len()
        && recorded.iter().zip(planned).all(|(r, p)| r.what == p.what);
    if !same_roles {
        let list = |names: Vec<String>| {
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        return Err(Error::OtherWork {
            dir: dir.to_path_buf(),
            message: format!(
                "holds a {work} of other input files ({}) than this one ({}): cannot resume",
                list(
                    recorded
                        .iter()
                        .map(|r| format!("{} {}", r.what, r.path))
                        .collect()
                ),
                list(
                    planned
                        .iter()
                        .map(|p| format!("{} {}", p.what, p.file.display()))
                        .collect()
                ),
            ),
        });
    }
    for (then, now) in recorded.iter().zip(planned) {
        if then.sha256 != now.sha256 {
            return Err(Error::WorkInputChanged {
                path: now.file.clone(),
                what: now.what,
                state: state.to_path_buf(),
                expected: then.sha256.clone().unwrap_or_else(|| "none".into()),
                found: now.sha256.clone().unwrap_or_else(|| "none".into()),
            });
        }
    }
    Ok(())
}

/// Read the identity file (`sweep.json`, `calibration.json`) of a results
/// directory; `what` names its kind in errors.
pub fn read_state<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = crate::input::read_text(
        path,
        crate::input::MAX_STATE_BYTES,
        &format!("a migflow {what} state file"),
    )?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        message: format!("not a migflow {what} state: {e}"),
    })
}

/// Write the identity file of a results directory, atomically.
pub fn write_state<T: serde::Serialize>(path: &Path, state: &T) -> Result<()> {
    crate::atomic::write_file_atomic(path, &crate::manifest::to_json(state, "state")?)
}

/// The complete, well-formed journal lines of `path` as entries (each the
/// byte length of its line), up to the first torn or refused line. The
/// first entry's bytes start after the headers.
fn read_lines<K: Key, const N: usize>(
    path: &Path,
    streams: &Streams<N>,
) -> Result<Vec<(Entry<K, N>, u64)>> {
    let file = crate::input::open_streamed(path, "a migflow journal")?;
    let mut reader = BufReader::new(file);
    let mut entries: Vec<(Entry<K, N>, u64)> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        // A line longer than any entry's is cut short, and so refused.
        let n = match (&mut reader)
            .take(crate::input::MAX_JOURNAL_LINE_BYTES)
            .read_line(&mut line)
        {
            Ok(n) => n,
            // Bytes that are not text: a damaged line ends the journal.
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => break,
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        let parts: Vec<&str> = line.trim_end().split('\t').collect();
        let start = match entries.last() {
            Some((prev, _)) => prev.end,
            None => std::array::from_fn(|k| streams.headers[k].len() as u64),
        };
        let Some(entry) = parse_entry(&parts, start) else {
            break;
        };
        entries.push((entry, n as u64));
    }
    Ok(entries)
}

fn parse_entry<K: Key, const N: usize>(parts: &[&str], start: [u64; N]) -> Option<Entry<K, N>> {
    if parts.len() != K::FIELDS + N + 1 {
        return None;
    }
    let key = K::parse(&parts[..K::FIELDS])?;
    let mut end = [0u64; N];
    for (k, e) in end.iter_mut().enumerate() {
        *e = parts[K::FIELDS + k].parse().ok()?;
        if *e < start[k] {
            return None;
        }
    }
    let check = u64::from_str_radix(parts[K::FIELDS + N], 16).ok()?;
    Some(Entry {
        key,
        start,
        end,
        check,
    })
}

/// The entries of the journal of `dir` as written: every complete,
/// well-formed line, without reading the data files again (for the writer
/// that has just committed them, to copy their bytes out).
pub fn read_entries<K: Key, const N: usize>(
    dir: &Path,
    streams: &Streams<N>,
) -> Result<Vec<Entry<K, N>>> {
    let path = stream_dir(dir).join(JOURNAL);
    Ok(read_lines(&path, streams)?
        .into_iter()
        .map(|(e, _)| e)
        .collect())
}

/// How many of `entries`, from the first, still have the bytes their
/// checks record, in data files that start with their headers.
fn verified_prefix<K: Key, const N: usize>(
    stream: &Path,
    streams: &Streams<N>,
    entries: &[(Entry<K, N>, u64)],
) -> Result<usize> {
    let mut readers = Vec::with_capacity(N);
    let mut lens = [0u64; N];
    for (k, (name, header)) in streams.names.iter().zip(&streams.headers).enumerate() {
        let p = stream.join(name);
        let file = crate::input::open_streamed(&p, "a migflow stream file")?;
        lens[k] = file.len();
        let mut f = BufReader::new(file);
        let mut found = vec![0u8; header.len()];
        if f.read_exact(&mut found).is_err() || found != *header {
            // Offsets after a damaged header cannot be trusted.
            return Ok(0);
        }
        readers.push(f);
    }
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new(); N];
    for (i, (e, _)) in entries.iter().enumerate() {
        for k in 0..N {
            // An end past the file is damage (and must not size a buffer).
            if e.end[k] > lens[k] {
                return Ok(i);
            }
            bufs[k].resize((e.end[k] - e.start[k]) as usize, 0);
            if readers[k].read_exact(&mut bufs[k]).is_err() {
                return Ok(i);
            }
        }
        let segments: [&[u8]; N] = std::array::from_fn(|k| bufs[k].as_slice());
        if entry_check(&e.key, segments) != e.check {
            return Ok(i);
        }
    }
    Ok(entries.len())
}

/// The open journal of a directory, appending.
#[derive(Debug)]
pub struct Journal<K, const N: usize> {
    lock: DirLock,
    stream: PathBuf,
    names: [&'static str; N],
    files: Vec<File>,
    journal: File,
    ends: [u64; N],
    pending: Vec<u8>,
    pending_entries: usize,
    last_commit: Instant,
    key: PhantomData<fn(K)>,
}

impl<K: Key, const N: usize> Journal<K, N> {
    /// Start a new, empty stream in the locked directory, replacing a
    /// stream migflow made there (a `stream/` it did not make is refused,
    /// never removed): the journal holds nothing, each data file its header
    /// (all synced). Each data file must be one of [`DATA_FILES`].
    pub fn create(lock: &DirLock, streams: &Streams<N>) -> Result<()> {
        let stream = stream_dir(lock.dir());
        check_names(lock.dir(), &streams.names)?;
        clear_stream(lock.dir())?;
        std::fs::create_dir_all(&stream).map_err(write_err(&stream))?;
        // The journal first: a stream holding a data file always holds it.
        write_synced(&stream.join(JOURNAL), b"")?;
        for (name, header) in streams.names.iter().zip(&streams.headers) {
            write_synced(&stream.join(name), header)?;
        }
        Ok(())
    }

    /// Write a whole stream of committed entries (each key with the bytes
    /// it appends to each file), replacing a stream migflow made there (as
    /// [`create`](Self::create)): an empty journal, the data files, then the
    /// complete journal, renamed into place.
    pub fn create_complete(
        lock: &DirLock,
        streams: &Streams<N>,
        entries: impl IntoIterator<Item = (K, [Vec<u8>; N])>,
    ) -> Result<()> {
        let stream = stream_dir(lock.dir());
        check_names(lock.dir(), &streams.names)?;
        clear_stream(lock.dir())?;
        std::fs::create_dir_all(&stream).map_err(write_err(&stream))?;
        // An empty journal first (a stream holding a data file always holds
        // it; until the complete one replaces it, nothing is committed).
        write_synced(&stream.join(JOURNAL), b"")?;
        let mut data: Vec<Vec<u8>> = streams.headers.to_vec();
        let mut journal = Vec::new();
        for (key, segments) in entries {
            for (d, s) in data.iter_mut().zip(&segments) {
                d.extend_from_slice(s);
            }
            let end: [u64; N] = std::array::from_fn(|k| data[k].len() as u64);
            let check = entry_check::<K, N>(&key, std::array::from_fn(|k| segments[k].as_slice()));
            journal.extend_from_slice(entry_line(&key, &end, check).as_bytes());
        }
        for (name, bytes) in streams.names.iter().zip(&data) {
            write_synced(&stream.join(name), bytes)?;
        }
        crate::atomic::write_file_atomic(&stream.join(JOURNAL), &journal)
    }

    /// Open the stream of the locked directory to go on appending: read its
    /// committed entries, drop the first damaged one and every later one,
    /// and cut the journal and the data files back to the entries kept,
    /// which it returns.
    pub fn open(lock: &DirLock, streams: &Streams<N>) -> Result<(Journal<K, N>, Vec<Entry<K, N>>)> {
        Self::open_keeping(lock, streams, |_| true)
    }

    /// [`open`](Self::open), also dropping the first entry whose key `keep`
    /// refuses (it sees the intact entries' keys in order: a work refuses a
    /// key it already has, or one that is not its own) and every later one,
    /// as if it were damaged: the work they stand for is done again, so that
    /// each key is committed once.
    pub fn open_keeping(
        lock: &DirLock,
        streams: &Streams<N>,
        mut keep: impl FnMut(&K) -> bool,
    ) -> Result<(Journal<K, N>, Vec<Entry<K, N>>)> {
        let stream = stream_dir(lock.dir());
        let jp = stream.join(JOURNAL);
        let mut lines = read_lines::<K, N>(&jp, streams)?;
        let intact = verified_prefix(&stream, streams, &lines)?;
        lines.truncate(intact);
        let kept = lines
            .iter()
            .position(|(e, _)| !keep(&e.key))
            .unwrap_or(lines.len());
        lines.truncate(kept);
        let journal_len: u64 = lines.iter().map(|(_, n)| n).sum();
        let entries: Vec<Entry<K, N>> = lines.into_iter().map(|(e, _)| e).collect();
        let ends: [u64; N] = std::array::from_fn(|k| {
            entries
                .last()
                .map_or(streams.headers[k].len() as u64, |e| e.end[k])
        });
        let mut files = Vec::with_capacity(N);
        for (k, name) in streams.names.iter().enumerate() {
            let p = stream.join(name);
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&p)
                .map_err(write_err(&p))?;
            if entries.is_empty() {
                // Nothing kept: the file is its header alone (which may
                // have been damaged).
                f.set_len(0).map_err(write_err(&p))?;
                f.write_all(&streams.headers[k]).map_err(write_err(&p))?;
            }
            f.set_len(ends[k]).map_err(write_err(&p))?;
            f.seek(SeekFrom::End(0)).map_err(write_err(&p))?;
            files.push(f);
        }
        let journal = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&jp)
            .map_err(write_err(&jp))?;
        journal.set_len(journal_len).map_err(write_err(&jp))?;
        Ok((
            Journal {
                lock: lock.clone(),
                stream,
                names: streams.names,
                files,
                journal,
                ends,
                pending: Vec::new(),
                pending_entries: 0,
                last_commit: Instant::now(),
                key: PhantomData,
            },
            entries,
        ))
    }

    /// The directory's lock, which the journal holds while it is open.
    pub fn lock(&self) -> &DirLock {
        &self.lock
    }

    /// The path of data file `k`.
    pub fn data_path(&self, k: usize) -> PathBuf {
        self.stream.join(self.names[k])
    }

    /// Append an entry: its bytes to each data file, its line to the
    /// journal's pending lines; commit when enough has gathered.
    pub fn append(&mut self, key: &K, segments: [&[u8]; N]) -> Result<()> {
        for (k, bytes) in segments.iter().enumerate() {
            if !bytes.is_empty() {
                let p = self.stream.join(self.names[k]);
                self.files[k].write_all(bytes).map_err(write_err(&p))?;
                self.ends[k] += bytes.len() as u64;
            }
        }
        let check = entry_check(key, segments);
        self.pending
            .extend_from_slice(entry_line(key, &self.ends, check).as_bytes());
        self.pending_entries += 1;
        if self.pending_entries >= COMMIT_ENTRIES || self.last_commit.elapsed() >= COMMIT_EVERY {
            self.commit()?;
        }
        Ok(())
    }

    /// Make every appended entry durable: sync the data files, then write
    /// and sync the journal lines.
    pub fn commit(&mut self) -> Result<()> {
        if self.pending_entries == 0 {
            return Ok(());
        }
        for (k, f) in self.files.iter().enumerate() {
            f.sync_data()
                .map_err(write_err(&self.stream.join(self.names[k])))?;
        }
        let jp = self.stream.join(JOURNAL);
        self.journal
            .seek(SeekFrom::End(0))
            .map_err(write_err(&jp))?;
        self.journal
            .write_all(&self.pending)
            .map_err(write_err(&jp))?;
        self.journal.sync_data().map_err(write_err(&jp))?;
        self.pending.clear();
        self.pending_entries = 0;
        self.last_commit = Instant::now();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key like a calibration's: two numbers, nothing else checked.
    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Pair(u32, u64);

    impl Key for Pair {
        const FIELDS: usize = 2;
        fn fields(&self) -> Vec<String> {
            vec![self.0.to_string(), self.1.to_string()]
        }
        fn parse(fields: &[&str]) -> Option<Self> {
            Some(Pair(fields[0].parse().ok()?, fields[1].parse().ok()?))
        }
    }

    /// A key like a sweep's: a number and a word, both checked.
    #[derive(Debug, Clone, PartialEq)]
    struct Run(u64, String);

    impl Key for Run {
        const FIELDS: usize = 2;
        fn fields(&self) -> Vec<String> {
            vec![self.0.to_string(), self.1.clone()]
        }
        fn parse(fields: &[&str]) -> Option<Self> {
            Some(Run(fields[0].parse().ok()?, fields[1].to_string()))
        }
        fn checked(&self) -> Vec<Vec<u8>> {
            vec![self.0.to_le_bytes().to_vec(), self.1.as_bytes().to_vec()]
        }
    }

    fn two() -> Streams<2> {
        Streams {
            names: ["runs.csv", "failures.csv"],
            headers: [b"x,y\n".to_vec(), b"z\n".to_vec()],
        }
    }

    fn stream_file(dir: &Path, name: &str) -> Vec<u8> {
        std::fs::read(stream_dir(dir).join(name)).expect("read")
    }

    #[test]
    fn entries_are_written_in_the_journal_format_and_read_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lock = DirLock::acquire(tmp.path()).expect("lock");
        let streams = two();
        Journal::<Run, 2>::create(&lock, &streams).expect("create");
        let (mut j, done) = Journal::<Run, 2>::open(&lock, &streams).expect("open");
        assert!(done.is_empty());
        j.append(&Run(3, "ok".into()), [b"1,2\n", b""])
            .expect("append");
        j.append(&Run(1, "failed".into()), [b"", b"w\n"])
            .expect("append");
        j.commit().expect("commit");
        drop(j);
        let journal = String::from_utf8(stream_file(tmp.path(), JOURNAL)).expect("text");
        let c0 = bytes_check(&[&3u64.to_le_bytes(), b"ok", b"1,2\n", b""]);
        let c1 = bytes_check(&[&1u64.to_le_bytes(), b"failed", b"", b"w\n"]);
        assert_eq!(
            journal,
            format!("3\tok\t8\t2\t{c0:016x}\n1\tfailed\t8\t4\t{c1:016x}\n")
        );
        assert_eq!(stream_file(tmp.path(), "runs.csv"), b"x,y\n1,2\n");
        assert_eq!(stream_file(tmp.path(), "failures.csv"), b"z\nw\n");
        let entries = read_entries::<Run, 2>(tmp.path(), &streams).expect("read");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].start, [8, 2]);
        assert_eq!(entries[1].end, [8, 4]);
        let (_, again) = Journal::<Run, 2>::open(&lock, &streams).expect("reopen");
        assert_eq!(
            again.iter().map(|e| e.key.clone()).collect::<Vec<_>>(),
            vec![Run(3, "ok".into()), Run(1, "failed".into())]
        );
    }

    #[test]
    fn an_end_offset_past_the_data_file_or_an_overlong_line_ends_the_journal() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lock = DirLock::acquire(tmp.path()).expect("lock");
        let streams = Streams {
            names: ["samples.csv"],
            headers: [b"h\n".to_vec()],
        };
        let rows: Vec<(Pair, [Vec<u8>; 1])> = (0..3)
            .map(|i| (Pair(0, i), [format!("row{i}\n").into_bytes()]))
            .collect();
        Journal::create_complete(&lock, &streams, rows).expect("write");
        let journal = String::from_utf8(stream_file(tmp.path(), JOURNAL)).expect("text");
        // Entry 1 says its bytes end a petabyte in: it would size a buffer
        // of that many bytes before its check is computed.
        let damaged: Vec<String> = journal
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let mut cells: Vec<&str> = l.split('\t').collect();
                if i == 1 {
                    cells[2] = "999999999999999";
                }
                format!("{}\n", cells.join("\t"))
            })
            .collect();
        std::fs::write(stream_dir(tmp.path()).join(JOURNAL), damaged.concat()).expect("damage");
        let (_, kept) = Journal::<Pair, 1>::open(&lock, &streams).expect("open");
        assert_eq!(
            kept.iter().map(|e| e.key).collect::<Vec<_>>(),
            vec![Pair(0, 0)]
        );
        // A line of a million digits is not read whole.
        let mut long = stream_file(tmp.path(), JOURNAL);
        long.extend(std::iter::repeat_n(b'7', 1 << 20));
        long.push(b'\n');
        std::fs::write(stream_dir(tmp.path()).join(JOURNAL), &long).expect("long");
        let entries = read_entries::<Pair, 1>(tmp.path(), &streams).expect("read");
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn resume_keeps_the_entries_before_the_first_damaged_one_and_cuts_the_files() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lock = DirLock::acquire(tmp.path()).expect("lock");
        let streams = Streams {
            names: ["samples.csv"],
            headers: [b"h\n".to_vec()],
        };
        let rows: Vec<(Pair, [Vec<u8>; 1])> = (0..4)
            .map(|i| (Pair(0, i), [format!("row{i}\n").into_bytes()]))
            .collect();
        Journal::create_complete(&lock, &streams, rows.clone()).expect("write");
        let data = stream_file(tmp.path(), "samples.csv");
        assert_eq!(data, b"h\nrow0\nrow1\nrow2\nrow3\n");
        let journal = stream_file(tmp.path(), JOURNAL);
        // Damage row 2's bytes, and tear an uncommitted line onto the end.
        let mut damaged = data.clone();
        damaged[2 + 5 * 2 + 3] = b'X';
        damaged.extend_from_slice(b"row4\n");
        std::fs::write(stream_dir(tmp.path()).join("samples.csv"), &damaged).expect("damage");
        let mut torn = journal.clone();
        torn.extend_from_slice(b"0\t4\t27");
        std::fs::write(stream_dir(tmp.path()).join(JOURNAL), &torn).expect("tear");
        let (mut j, kept) = Journal::<Pair, 1>::open(&lock, &streams).expect("open");
        assert_eq!(
            kept.iter().map(|e| e.key).collect::<Vec<_>>(),
            vec![Pair(0, 0), Pair(0, 1)]
        );
        assert_eq!(stream_file(tmp.path(), "samples.csv"), b"h\nrow0\nrow1\n");
        let lines: Vec<&[u8]> = journal.split_inclusive(|&b| b == b'\n').collect();
        assert_eq!(
            stream_file(tmp.path(), JOURNAL),
            [lines[0], lines[1]].concat()
        );
        // Appending again gives the stream an uninterrupted writer gives.
        for (key, [bytes]) in &rows[2..] {
            j.append(key, [bytes]).expect("append");
        }
        j.commit().expect("commit");
        assert_eq!(stream_file(tmp.path(), "samples.csv"), data);
        assert_eq!(stream_file(tmp.path(), JOURNAL), journal);
    }

    #[test]
    fn a_damaged_header_or_a_refused_line_drops_what_follows() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lock = DirLock::acquire(tmp.path()).expect("lock");
        let streams = two();
        let rows = vec![(Run(0, "ok".into()), [b"1,1\n".to_vec(), b"q\n".to_vec()])];
        Journal::create_complete(&lock, &streams, rows.clone()).expect("write");
        std::fs::write(stream_dir(tmp.path()).join("failures.csv"), b"Z\nq\n").expect("damage");
        let (_, kept) = Journal::<Run, 2>::open(&lock, &streams).expect("open");
        assert!(kept.is_empty());
        assert_eq!(stream_file(tmp.path(), "runs.csv"), b"x,y\n");
        assert_eq!(stream_file(tmp.path(), "failures.csv"), b"z\n");
        assert!(stream_file(tmp.path(), JOURNAL).is_empty());
        // An end offset before the entry's start is refused.
        Journal::create_complete(&lock, &streams, rows).expect("write");
        std::fs::write(stream_dir(tmp.path()).join(JOURNAL), b"0\tok\t3\t2\t0\n").expect("edit");
        assert!(
            read_entries::<Run, 2>(tmp.path(), &streams)
                .expect("read")
                .is_empty()
        );
    }

    #[test]
    fn a_fresh_directory_holds_only_a_stream_and_the_lock() {
        let tmp = tempfile::tempdir().expect("tmp");
        assert!(is_fresh(&tmp.path().join("missing")));
        let lock = DirLock::acquire(tmp.path()).expect("lock");
        assert!(is_fresh(tmp.path()), "the lock file is migflow's own");
        Journal::<Pair, 1>::create(
            &lock,
            &Streams {
                names: ["samples.csv"],
                headers: [b"h\n".to_vec()],
            },
        )
        .expect("create");
        assert!(exists(tmp.path()));
        assert!(is_fresh(tmp.path()));
        std::fs::write(tmp.path().join("manifest.json"), "{}").expect("write");
        assert!(!is_fresh(tmp.path()));
        remove(tmp.path());
        assert!(!exists(tmp.path()));
    }

    #[test]
    fn a_stream_migflow_did_not_make_is_never_removed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let lock = DirLock::acquire(tmp.path()).expect("lock");
        let streams = Streams {
            names: ["samples.csv"],
            headers: [b"h\n".to_vec()],
        };
        let stream = stream_dir(tmp.path());
        // A user's folder, also one holding a name migflow writes there.
        std::fs::create_dir_all(&stream).expect("mkdir");
        std::fs::write(stream.join("notes.txt"), "mine").expect("write");
        std::fs::write(stream.join(JOURNAL), "mine too").expect("write");
        assert!(!is_own_stream(tmp.path()));
        assert_eq!(foreign_entries(tmp.path()), ["stream/"]);
        assert!(!remove(tmp.path()));
        assert!(matches!(
            Journal::<Pair, 1>::create(&lock, &streams),
            Err(Error::OtherWork { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(stream.join("notes.txt")).expect("kept"),
            "mine"
        );
        // A data file without the journal is not migflow's either (it
        // writes the journal first and removes it last).
        std::fs::remove_file(stream.join("notes.txt")).expect("rm");
        std::fs::remove_file(stream.join(JOURNAL)).expect("rm");
        std::fs::write(stream.join("samples.csv"), "x").expect("write");
        assert!(!is_own_stream(tmp.path()));
        std::fs::remove_file(stream.join("samples.csv")).expect("rm");
        // migflow's own stream is replaced, and removed journal last, only
        // the files migflow writes there.
        Journal::<Pair, 1>::create(&lock, &streams).expect("create");
        assert!(is_own_stream(tmp.path()));
        assert!(remove(tmp.path()));
        assert!(!stream.exists());
        let unknown = Streams {
            names: ["mine.csv"],
            headers: [b"h\n".to_vec()],
        };
        assert!(Journal::<Pair, 1>::create(&lock, &unknown).is_err());
    }

    #[test]
    fn a_resume_refuses_changed_inputs_and_a_state_without_them() {
        let tmp = tempfile::tempdir().expect("tmp");
        let input = tmp.path().join("pop.csv");
        std::fs::write(&input, "a").expect("write");
        let planned = [PlannedInput::hash("the population file", &input)];
        let recorded = [planned[0].record(Path::new("pop.csv"))];
        let state = tmp.path().join("sweep.json");
        let check = |recorded: Option<&[InputRecord]>, planned: &[PlannedInput]| {
            check_inputs(tmp.path(), &state, "sweep", recorded, planned)
        };
        check(Some(&recorded), &planned).expect("unchanged");
        std::fs::write(&input, "b").expect("write");
        let now = [PlannedInput::hash("the population file", &input)];
        match check(Some(&recorded), &now) {
            Err(Error::WorkInputChanged {
                path,
                expected,
                found,
                ..
            }) => {
                assert_eq!(path, input);
                assert_eq!(expected, crate::manifest::sha256_hex(b"a"));
                assert_eq!(found, crate::manifest::sha256_hex(b"b"));
            }
            other => panic!("expected WorkInputChanged, got {other:?}"),
        }
        assert!(
            now[0]
                .check_read(planned[0].sha256.as_deref(), &state)
                .is_err()
        );
        match check(None, &now) {
            Err(Error::OtherWork { message, .. }) => {
                assert!(message.contains("older migflow"), "{message}")
            }
            other => panic!("expected OtherWork, got {other:?}"),
        }
        assert!(matches!(
            check(Some(&[]), &now),
            Err(Error::OtherWork { .. })
        ));
    }
}
