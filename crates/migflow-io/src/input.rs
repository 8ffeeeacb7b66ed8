//! migflow's one way to open a file it reads: inputs (scenario, sweep and
//! calibration files, population CSVs, table designs, targets files),
//! manifests, state files, journals, results files and shards.
//!
//! Every file is opened once, checked on the open handle to be a regular
//! file (after following symlinks: a device, a FIFO, a socket or a
//! directory is refused, naming the path, what it is and what was
//! expected), and checked against a size bound before it is read. Reading
//! stops at the bound too, so a file that grows while it is read cannot
//! fill memory. Files without a bound (results CSVs, which can be many
//! gigabytes) are only ever streamed, never read whole.
//!
//! Opening does not block on a FIFO (it is opened non-blocking, then
//! refused), so a FIFO named as an input is an error at once, not a hang.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The largest run manifest (`manifest.json` of `migflow run`): it holds
/// the resolved scenario (a scenario file is at most
/// [`MAX_TOML_BYTES`](crate::files::MAX_TOML_BYTES), and JSON escaping at
/// most doubles it) and a short list of files.
pub const MAX_RUN_MANIFEST_BYTES: u64 = 4 * crate::files::MAX_TOML_BYTES;

/// The most runs a sweep may have (`migflow_experiments::sweep::MAX_RUNS`,
/// which tests keep equal): a sweep manifest recording more is refused.
pub const MAX_SWEEP_RUNS: u64 = 100_000_000;

/// The most design points a sweep may have
/// (`migflow_experiments::design::MAX_POINTS`, which tests keep equal).
pub const MAX_SWEEP_POINTS: u64 = 10_000_000;

/// The bytes of one entry of a sweep manifest's `run_status` as migflow
/// writes it (pretty JSON: `    [\n      99999999,\n      "failed"\n    ],\n`
/// for the largest run number below [`MAX_SWEEP_RUNS`]).
pub const RUN_STATUS_ENTRY_BYTES: u64 = 44;

/// The largest sweep (or shard, or merge) manifest: the resolved sweep
/// file and base scenario (each at most
/// [`MAX_RUN_MANIFEST_BYTES`]), the factors and files, and one
/// `run_status` entry for each of up to [`MAX_SWEEP_RUNS`] runs (about
/// 4.4 GB for the largest sweep; it is parsed as it is read, never held
/// whole).
pub const MAX_SWEEP_MANIFEST_BYTES: u64 =
    3 * MAX_RUN_MANIFEST_BYTES + RUN_STATUS_ENTRY_BYTES * MAX_SWEEP_RUNS;

/// The largest calibration manifest or state file (`sweep.json`,
/// `calibration.json`): resolved TOML texts, hashes and a list of files.
pub const MAX_STATE_BYTES: u64 = 3 * MAX_RUN_MANIFEST_BYTES;

/// The longest journal line migflow reads: a key of a few fields, the end
/// offsets and a check take under 200 bytes; a longer line is damage and
/// ends the journal.
pub const MAX_JOURNAL_LINE_BYTES: u64 = 4096;

/// `16 MiB`, `1024 MiB`, `512 bytes`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{bytes} bytes")
    }
}

/// What a file system entry is, in words, when it is not a regular file.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The flag that keeps `open` of a FIFO from waiting for a writer.
#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const O_NONBLOCK: i32 = 0x0004;

/// The marker of a read past a file's bound.
const TOO_LARGE: &str = "migflow: read past the size bound";

/// Whether `e` is the error of a read past an [`InputFile`]'s bound.
pub fn is_too_large(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Other && e.to_string() == TOO_LARGE
}

/// An open regular file, read within its bound.
#[derive(Debug)]
pub struct InputFile {
    path: PathBuf,
    file: File,
    len: u64,
    max: Option<u64>,
    expected: String,
    read: u64,
}

impl InputFile {
    /// Open `path` (following symlinks) and check it is a regular file of
    /// at most `max` bytes (`None`: no bound, for files only ever
    /// streamed). `expected` says what the file should be, for errors
    /// (`a TOML scenario file`). A file that cannot be opened is an
    /// [`Error::Read`] (whose source tells a missing file); one of another
    /// kind or too large is an [`Error::Input`].
    pub fn open(path: &Path, max: Option<u64>, expected: &str) -> Result<InputFile> {
        use std::os::unix::fs::OpenOptionsExt;
        let read_err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
            .map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        if !meta.is_file() {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: format!(
                    "is {}, not a regular file: expected {expected}",
                    kind_of(&meta)
                ),
            });
        }
        let input = InputFile {
            path: path.to_path_buf(),
            file,
            len: meta.len(),
            max,
            expected: expected.to_string(),
            read: 0,
        };
        if let Some(max) = max
            && meta.len() > max
        {
            return Err(input.too_large());
        }
        Ok(input)
    }

    /// The file's length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it was empty when opened.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The error of a file past its bound.
    pub fn too_large(&self) -> Error {
        Error::Input {
            path: self.path.clone(),
            message: format!(
                "larger than {}: expected {}",
                size_text(self.max.unwrap_or(0)),
                self.expected
            ),
        }
    }

    /// The error of a read of this file: past its bound, or `source`.
    pub fn read_error(&self, source: std::io::Error) -> Error {
        if is_too_large(&source) {
            self.too_large()
        } else {
            Error::Read {
                path: self.path.clone(),
                source,
            }
        }
    }

    /// Read the whole file (within its bound; the room is reserved
    /// fallibly, so a file larger than memory is an error, not an abort).
    pub fn read_all(mut self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let want = self.len.min(self.max.unwrap_or(u64::MAX));
        bytes
            .try_reserve_exact(usize::try_from(want).unwrap_or(usize::MAX))
            .map_err(|_| Error::Input {
                path: self.path.clone(),
                message: format!(
                    "{} bytes do not fit in memory: expected {}",
                    self.len, self.expected
                ),
            })?;
        match self.read_to_end(&mut bytes) {
            Ok(_) => Ok(bytes),
            Err(e) => Err(self.read_error(e)),
        }
    }

    /// Read the whole file as UTF-8 text.
    pub fn read_text(self) -> Result<String> {
        let path = self.path.clone();
        let expected = self.expected.clone();
        String::from_utf8(self.read_all()?).map_err(|e| Error::Input {
            path,
            message: format!(
                "not UTF-8 text (byte {}): expected {expected}",
                e.utf8_error().valid_up_to()
            ),
        })
    }

    /// Go back to the start (for a second pass over the same open file).
    pub fn rewind(&mut self) -> Result<()> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|source| Error::Read {
                path: self.path.clone(),
                source,
            })?;
        self.read = 0;
        Ok(())
    }

    /// The open file itself (for a caller that seeks in it: its bound is
    /// then the caller's to keep).
    pub fn into_file(self) -> File {
        self.file
    }

    /// Read the file's first bytes into `buf` without moving the reader
    /// (to tell a Parquet file by its magic number); how many were read.
    pub fn peek(&self, buf: &mut [u8]) -> Result<usize> {
        use std::os::unix::fs::FileExt;
        let mut filled = 0;
        while filled < buf.len() {
            match self.file.read_at(&mut buf[filled..], filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(Error::Read {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
        Ok(filled)
    }
}

impl Read for InputFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if self.max.is_some_and(|max| self.read > max) {
            return Err(std::io::Error::other(TOO_LARGE));
        }
        Ok(n)
    }
}

/// Read a whole regular file of at most `max` bytes.
pub fn read_bytes(path: &Path, max: u64, expected: &str) -> Result<Vec<u8>> {
    InputFile::open(path, Some(max), expected)?.read_all()
}

/// Read a whole regular file of at most `max` bytes as UTF-8 text.
pub fn read_text(path: &Path, max: u64, expected: &str) -> Result<String> {
    InputFile::open(path, Some(max), expected)?.read_text()
}

/// Open a regular file to stream it (results files: no size bound, but
/// never a device that reads without end).
pub fn open_streamed(path: &Path, expected: &str) -> Result<InputFile> {
    InputFile::open(path, None, expected)
}

/// Parse JSON from a regular file of at most `max` bytes as it is read
/// (a large manifest is never held whole as text). `Err(Ok(e))` is a
/// file that cannot be read or is refused; `Err(Err(message))` one that is
/// not a `T`, with the open file returned for a second look.
pub fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    max: u64,
    expected: &str,
) -> std::result::Result<T, JsonError> {
    let mut file = InputFile::open(path, Some(max), expected).map_err(JsonError::Refused)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, &mut file);
    let parsed = serde_json::from_reader::<_, T>(&mut reader);
    drop(reader);
    match parsed {
        Ok(value) => Ok(value),
        Err(e) => match e.io_error_kind() {
            Some(_) => {
                let source = std::io::Error::other(e.to_string());
                let error = if e.to_string().contains(TOO_LARGE) {
                    file.too_large()
                } else {
                    file.read_error(source)
                };
                Err(JsonError::Refused(error))
            }
            None => Err(JsonError::NotThis {
                message: e.to_string(),
                file,
            }),
        },
    }
}

/// Why [`read_json`] gave no value.
#[derive(Debug)]
pub enum JsonError {
    /// The file cannot be read, is not a regular file, or is too large.
    Refused(Error),
    /// The file is read but is not the JSON expected: the parser's message
    /// and the open file.
    NotThis {
        /// What the parser found.
        message: String,
        /// The open file.
        file: InputFile,
    },
}

/// The start of `file` (at most `max` bytes, from its beginning), as text
/// when it is UTF-8: a second look at a small file already open.
pub fn head_text(file: &mut InputFile, max: u64) -> Option<String> {
    if file.len() > max {
        return None;
    }
    file.rewind().ok()?;
    let mut bytes = Vec::new();
    (&mut *file).take(max).read_to_end(&mut bytes).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_naming_what_they_are() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = InputFile::open(tmp.path(), Some(10), "a CSV file").expect_err("dir");
        assert!(
            e.to_string()
                .contains("is a directory, not a regular file: expected a CSV file"),
            "{e}"
        );
        #[cfg(target_os = "linux")]
        {
            let link = tmp.path().join("zero.csv");
            std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
            let e = read_bytes(&link, 1 << 20, "a CSV file").expect_err("device");
            assert!(
                e.to_string().contains("zero.csv") && e.to_string().contains("a character device"),
                "{e}"
            );
            let fifo = tmp.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                // Refused at once: opening does not wait for a writer.
                let e = open_streamed(&fifo, "a results file").expect_err("fifo");
                assert!(e.to_string().contains("a FIFO"), "{e}");
            }
        }
    }

    #[test]
    fn a_file_over_its_bound_is_refused_before_and_while_it_is_read() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("big");
        std::fs::write(&p, vec![b'a'; 100]).expect("write");
        let e = read_text(&p, 99, "a TOML file").expect_err("large");
        assert!(
            e.to_string()
                .contains("larger than 99 bytes: expected a TOML file"),
            "{e}"
        );
        assert_eq!(read_text(&p, 100, "a TOML file").expect("fits").len(), 100);
        // The file grows after it was opened: reading stops at the bound.
        let mut f = InputFile::open(&p, Some(120), "x").expect("open");
        std::fs::write(&p, vec![b'a'; 200]).expect("grow");
        let mut out = Vec::new();
        let e = f.read_to_end(&mut out).expect_err("past the bound");
        assert!(is_too_large(&e));
        std::fs::write(&p, [0xff, 0xfe]).expect("write");
        let e = read_text(&p, 100, "a TOML file").expect_err("binary");
        assert!(e.to_string().contains("not UTF-8"), "{e}");
    }

    #[test]
    fn json_is_parsed_as_read_and_a_wrong_shape_keeps_the_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = tmp.path().join("m.json");
        std::fs::write(&p, "{\"a\": [1, 2]}").expect("write");
        #[derive(serde::Deserialize)]
        struct A {
            a: Vec<u32>,
        }
        let a: A = read_json(&p, 100, "a manifest").expect("parsed");
        assert_eq!(a.a, [1, 2]);
        match read_json::<Vec<u32>>(&p, 100, "a manifest") {
            Err(JsonError::NotThis { mut file, .. }) => {
                assert_eq!(
                    head_text(&mut file, 100).as_deref(),
                    Some("{\"a\": [1, 2]}")
                );
            }
            other => panic!("expected NotThis, got {other:?}"),
        }
        match read_json::<A>(&p, 5, "a manifest") {
            Err(JsonError::Refused(e)) => assert!(e.to_string().contains("larger than 5 bytes")),
            other => panic!("expected Refused, got {:?}", other.map(|_| ())),
        }
    }
}
