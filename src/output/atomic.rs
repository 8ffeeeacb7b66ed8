//! Atomic output: files are staged under temporary names in the output
//! directory and renamed into place together at the end. A run that fails
//! or is killed leaves no file under a final name that it did not finish.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// An output directory with files staged for an atomic commit.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staged: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl OutputDir {
    /// Create (if needed) the directory and check that it can be written.
    pub fn create(dir: &Path) -> Result<OutputDir> {
        let write_err = |source| Error::Write {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let probe = dir.join(format!(".migflow-probe-{}.tmp", std::process::id()));
        File::create(&probe).map_err(write_err)?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staged: Vec::new(),
            committed: false,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Start writing `name`; it appears under that name only at [`commit`](Self::commit).
    pub fn stage(&mut self, name: &str) -> Result<(BufWriter<File>, PathBuf)> {
        let final_path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let file = File::create(&tmp).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        self.staged.push((tmp.clone(), final_path));
        Ok((BufWriter::new(file), tmp))
    }

    /// A scratch file in the directory, removed with the staged files if
    /// the run fails, and never renamed.
    pub fn scratch(&mut self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.{}.tmp", std::process::id()))
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

/// Flush a buffered file to disk, naming it in the error.
pub fn finish(writer: BufWriter<File>, path: &Path) -> Result<()> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = writer.into_inner().map_err(|e| err(e.into_error()))?;
    file.sync_all().map_err(err)
}
