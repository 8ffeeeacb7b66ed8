//! The exclusive lock of an output directory: every writer of a directory
//! (`run`, `sweep`, `calibrate`, `merge`, the figures) holds it while it
//! writes, so that two processes never write one directory at once.
//!
//! The lock is the operating system's exclusive lock
//! ([`File::try_lock`]) of the file `DIR/.migflow.lock`, which holds the
//! holder's host and process id as text. The kernel releases it when the
//! process ends, however it ends, so a killed writer never leaves a
//! directory locked (its lock file stays, unlocked, and the next writer
//! takes it over). A holder removes the file when it lets go.
//!
//! Within one process the lock is shared: a second [`DirLock::acquire`] of
//! a directory this process already holds returns the same lock (a sweep's
//! journal and its final commit hold it together), and the directory is
//! released when the last of them is dropped.

use crate::error::{Error, Result};
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The name of the lock file in a locked directory. It is migflow's own
/// bookkeeping, never an output: see [`is_own_file`].
pub const LOCK_FILE: &str = ".migflow.lock";

/// Whether a directory entry is migflow's own bookkeeping (the lock file)
/// rather than an output or a user's file.
pub fn is_own_file(name: &OsStr) -> bool {
    name == LOCK_FILE
}

/// The exclusive lock of an output directory, held until the last clone
/// is dropped.
#[derive(Debug, Clone)]
pub struct DirLock {
    held: Arc<Held>,
}

#[derive(Debug)]
struct Held {
    /// The directory as the caller named it.
    dir: PathBuf,
    /// Its canonical path, the key of this process's locks.
    key: PathBuf,
    /// The lock file.
    path: PathBuf,
    file: File,
}

/// The locks this process holds.
static HELD: Mutex<Vec<(PathBuf, Weak<Held>)>> = Mutex::new(Vec::new());

/// `host pid` of this process, as a lock file records it.
fn holder_text() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host} {}", std::process::id())
}

/// Whether `file` is still the file at `path` (a holder that lets go
/// removes its lock file, and one that opened it just before holds a file
/// no one else sees).
#[cfg(unix)]
fn is_current(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_current(_file: &File, path: &Path) -> bool {
    path.exists()
}

impl DirLock {
    /// Lock `dir` (created if needed) for writing, or fail with
    /// [`Error::Locked`] naming the process that holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let write_err = |source| Error::Write {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let key = dir.canonicalize().map_err(write_err)?;
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|(_, w)| w.strong_count() > 0);
        if let Some(h) = held
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, w)| w.upgrade())
        {
            return Ok(DirLock { held: h });
        }
        let path = dir.join(LOCK_FILE);
        let own = holder_text();
        let t0 = Instant::now();
        let file = loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            match file.try_lock() {
                Ok(()) => {
                    if is_current(&file, &path) {
                        break file;
                    }
                    // Its holder removed it as we opened it: open anew.
                    continue;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    // The holder's name: one short line (bounded, whatever
                    // the file has become).
                    let _ = (&mut file).take(4096).read_to_string(&mut text);
                    let holder = text.trim().to_string();
                    // A lock of this process that is being let go, or a
                    // holder that has not written its name yet: wait a
                    // little for either.
                    if (holder.is_empty() || holder == own) && t0.elapsed() < Duration::from_secs(1)
                    {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    return Err(Error::Locked {
                        dir: dir.to_path_buf(),
                        holder: if holder.is_empty() {
                            "unknown".into()
                        } else {
                            holder
                        },
                    });
                }
                // A file system without locks: write unlocked, as before
                // there were locks.
                Err(std::fs::TryLockError::Error(e))
                    if e.kind() == std::io::ErrorKind::Unsupported =>
                {
                    break file;
                }
                Err(std::fs::TryLockError::Error(source)) => {
                    return Err(Error::Write { path, source });
                }
            }
        };
        let mut file = file;
        let record = (|| {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(format!("{own}\n").as_bytes())?;
            file.sync_data()
        })();
        // The holder's name is for the messages of other writers only: the
        // lock is held whether or not it could be written (a full disk must
        // be reported against the output the user asked for, not this file).
        drop(record);
        let h = Arc::new(Held {
            dir: dir.to_path_buf(),
            key: key.clone(),
            path,
            file,
        });
        held.push((key, Arc::downgrade(&h)));
        Ok(DirLock { held: h })
    }

    /// The locked directory, as the first caller named it.
    pub fn dir(&self) -> &Path {
        &self.held.dir
    }

    /// Whether this lock is of `dir`.
    pub fn is_of(&self, dir: &Path) -> bool {
        dir.canonicalize().is_ok_and(|k| k == self.held.key)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Remove the file while it is still locked, so that no one locks
        // a file that is about to go; closing it then releases the lock.
        if is_current(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_locked_once_per_process_and_released_on_drop() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("out");
        let lock = DirLock::acquire(&dir).expect("lock");
        let path = dir.join(LOCK_FILE);
        let text = std::fs::read_to_string(&path).expect("lock file");
        assert!(
            text.trim().ends_with(&format!(" {}", std::process::id())),
            "{text}"
        );
        // This process shares its own lock.
        let again = DirLock::acquire(&dir).expect("shared");
        assert!(again.is_of(&dir));
        drop(lock);
        assert!(path.exists(), "held while a clone lives");
        // Another open file description cannot take it (as another
        // process could not).
        let other = File::open(&path).expect("open");
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(other);
        drop(again);
        assert!(!path.exists(), "removed when let go");
        // Free again.
        let free = File::create(&path).expect("create");
        free.try_lock().expect("free");
    }

    #[test]
    fn a_directory_locked_elsewhere_is_refused_naming_the_holder() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        // Another holder: a lock taken through another open file.
        let path = dir.join(LOCK_FILE);
        let mut other = File::create(&path).expect("create");
        other.try_lock().expect("lock");
        other.write_all(b"elsewhere 4242\n").expect("write");
        match DirLock::acquire(dir) {
            Err(Error::Locked { dir: d, holder }) => {
                assert_eq!(d, dir);
                assert_eq!(holder, "elsewhere 4242");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        assert!(path.exists(), "the holder's file is not removed");
        // Released (as the kernel does when the holder dies): taken over,
        // and the stale file is reused.
        other.unlock().expect("unlock");
        drop(other);
        let lock = DirLock::acquire(dir).expect("taken over");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(&std::process::id().to_string()), "{text}");
        drop(lock);
        assert!(!path.exists());
    }

    #[test]
    fn the_lock_file_is_migflows_own() {
        assert!(is_own_file(OsStr::new(LOCK_FILE)));
        assert!(!is_own_file(OsStr::new("runs.csv")));
    }
}
