//! Atomic output: files are staged under temporary names in the output
//! directory and renamed into place together at the end. A run that fails
//! or is killed leaves no file under a final name that it did not finish.
//!
//! This is migflow's one way of writing output: [`OutputDir`] for a set of
//! files committed together (it holds the directory's [`DirLock`] while it
//! lives), and [`write_file_atomic`] for a single file.

use crate::error::{Error, Result};
use crate::lock::DirLock;
use crate::staging::process_tag;
pub(crate) use crate::staging::temp_path;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

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

/// An output directory with files staged for an atomic commit.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
    lock: DirLock,
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
        })
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

    /// Rename every staged file into place.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut done = Vec::new();
        for (tmp, final_path) in std::mem::take(&mut self.staged) {
            std::fs::rename(&tmp, &final_path).map_err(|source| Error::Write {
                path: final_path.clone(),
                source,
            })?;
            done.push(final_path);
        }
        self.committed = true;
        Ok(done)
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
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
    let tmp = temp_path(dir, &name);
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
