//! Writing charts beside the files of an analysis, shared by the commands
//! that draw (`plot`, `compare`) and by the Python package.

use std::io::Write;
use std::path::{Path, PathBuf};

use migflow_io::Result;

/// The files that the results in `dir` record or list, which nothing made
/// from them may write over: the manifest, the files it lists, the
/// population file and the scenario source of a run (as recorded; a
/// relative source is also looked for in `dir`). Unreadable results give
/// the manifest alone (their reader names what is wrong).
pub fn recorded_files(dir: &Path) -> Vec<PathBuf> {
    let manifest = dir.join(migflow_io::manifest::MANIFEST);
    let mut files = vec![manifest.clone()];
    if let Ok(m) = migflow_io::read_manifest(&manifest) {
        files.extend(m.files.iter().map(|f| dir.join(&f.name)));
        if let Some(p) = &m.population_file {
            files.push(dir.join(&p.name));
        }
        if m.scenario_source != "built-in default" {
            let source = Path::new(&m.scenario_source);
            files.push(source.to_path_buf());
            if source.is_relative() {
                files.push(dir.join(source));
            }
        }
    } else if let Ok(m) = migflow_io::manifest::read_sweep_manifest(dir) {
        files.extend(m.files.iter().map(|f| dir.join(&f.name)));
    }
    files
}

/// Render figures into `dir` (SVG, and PNG with `png`) with the `extra`
/// files (name, bytes), all committed together; returns the paths written.
/// `dir` may not be a results directory (`what` is named in the refusal),
/// and no file written may be one of `inputs` (see [`recorded_files`]).
pub fn write_figures(
    dir: &Path,
    figures: &[crate::build::Figure],
    png: bool,
    extra: &[(&str, &[u8])],
    what: &str,
    inputs: &[PathBuf],
) -> Result<Vec<PathBuf>> {
    migflow_io::atomic::refuse_results_dir(dir, what)?;
    let mut out = migflow_io::OutputDir::create(dir)?;
    let mut stage = |name: &str, bytes: &[u8]| -> Result<()> {
        migflow_io::atomic::refuse_input(&dir.join(name), inputs)?;
        let (mut w, tmp) = out.stage(name)?;
        // A write error names the chart, as every staged write does.
        w.write_all(bytes)
            .map_err(|source| migflow_io::Error::Write {
                path: tmp.clone(),
                source,
            })?;
        migflow_io::atomic::finish(w, &tmp)?;
        Ok(())
    };
    for f in figures {
        stage(&format!("{}.svg", f.name), f.svg()?.as_bytes())?;
        if png {
            stage(&format!("{}.png", f.name), &f.png()?)?;
        }
    }
    for (name, bytes) in extra {
        stage(name, bytes)?;
    }
    out.commit()
}
