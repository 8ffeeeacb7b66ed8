//! A whole `migflow run`: replicates in a thread pool, every output file
//! staged and committed atomically as one set with the manifest (replacing
//! the set of an earlier run in the directory whole; see
//! [`OutputDir::create_set`]), and the manifest.

use migflow_core::cohorts::{CohortTracker, CohortYear};
use migflow_core::engine::Engine;
use migflow_core::params::{self, Params, Scenario};
use migflow_core::record::YearRecord;
use migflow_core::run::{Cancel, YearObserver, run_replicates};
use migflow_io::atomic::SetOptions;
use migflow_io::columnar::TableOutput;
use migflow_io::error::{Error, Result};
use migflow_io::{self, Manifest, OutputDir, manifest::FileEntry, sha256_hex};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What to run and where to write it.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The validated scenario.
    pub loaded: Params,
    /// Master seed.
    pub seed: u64,
    /// Replicates.
    pub replicates: u32,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Results directory.
    pub out: PathBuf,
    /// Also write the household × year panel.
    pub households_out: bool,
    /// The cohort years of `cohorts.csv` (`start_year − 1` for the initial
    /// state); none for the default ones
    /// ([`migflow_core::cohorts::default_cohort_years`]).
    pub cohort_years: Option<Vec<i32>>,
    /// Also write `sites.csv` and `site_costs.csv`, the metrics and the
    /// lever costs per site.
    pub by_site: bool,
    /// The command line, for the manifest.
    pub command: Vec<String>,
    /// Write into `out` although it holds files migflow did not write
    /// (they are kept). A sweep, a calibration or an input is never written
    /// over.
    pub force: bool,
    /// The SHA-256 the population file must have: when the run repeats a
    /// manifest, the one it records (see
    /// [`migflow_io::files::load_manifest`]). A file with another is
    /// refused.
    pub population_sha256: Option<String>,
    /// Asked to stop early: the run then writes nothing and ends in
    /// [`Error::Interrupted`].
    pub cancel: Cancel,
    /// The format of the tables.
    pub format: migflow_io::TableFormat,
}

/// The files a run writes besides `manifest.json` (`summary.csv` with two
/// replicates or more, `households.csv`, and `sites.csv` and
/// `site_costs.csv` when asked for).
pub const RUN_FILES: [&str; 8] = [
    "trajectories.csv",
    "flows.csv",
    "summary.csv",
    "cohorts.csv",
    "costs.csv",
    "sites.csv",
    "site_costs.csv",
    "households.csv",
];

/// The cohort years a run follows: those asked for, checked against the
/// run's years, or the scenario's defaults.
pub fn cohort_years(opts: &RunOptions) -> Result<Vec<i32>> {
    let s = opts.loaded.scenario();
    let Some(years) = &opts.cohort_years else {
        return Ok(migflow_core::cohorts::default_cohort_years(s));
    };
    let range = migflow_core::cohorts::cohort_year_range(s);
    if let Some(bad) = years.iter().find(|y| !range.contains(y)) {
        return Err(Error::Input {
            path: opts.loaded.source_name().to_path_buf(),
            message: format!(
                "--cohort-years: {bad} is not a cohort year of this run: expected a year from {} (the initial state) to {} (a cohort needs a later year; the run simulates {} to {})",
                range.start(),
                range.end(),
                s.run.start_year,
                s.run.start_year + s.run.years as i32 - 1
            ),
        });
    }
    Ok(years.clone())
}

/// What a replicate's observer keeps besides its panel: its cohorts and,
/// with `--by-site`, its sites' records year by year.
struct Followed<'a> {
    panel: PanelObserver<'a>,
    cohorts: CohortTracker,
    sites: Option<Vec<Vec<YearRecord>>>,
    cancel: &'a Cancel,
}

impl YearObserver for Followed<'_> {
    fn prepare(&mut self, engine: &mut Engine) {
        self.cohorts.prepare(engine);
    }

    fn on_year(&mut self, engine: &Engine, record: &YearRecord) {
        self.panel.on_year(engine, record);
        self.cohorts.on_year(engine, record);
        if let Some(sites) = &mut self.sites {
            sites.push(engine.site_records(record.year));
        }
    }

    fn stop(&self) -> bool {
        self.cancel.is_requested()
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct RunReport {
    /// Per replicate, per year.
    pub records: Vec<Vec<YearRecord>>,
    /// The manifest written.
    pub manifest: Manifest,
    /// The files written.
    pub files: Vec<PathBuf>,
}

pub use migflow_io::manifest::git_commit;

/// The scenario as it ran: seed and replicates filled in, the population
/// file named relative to the results directory `opts.out` (as
/// [`path_from`] names it), so that the manifest alone repeats the run,
/// also once the study directory holding scenario, data and results has
/// moved.
pub fn resolved_scenario(opts: &RunOptions) -> Scenario {
    let mut s = opts.loaded.to_scenario();
    s.run.seed = opts.seed;
    s.run.replicates = opts.replicates;
    if let Some(path) = opts.loaded.population_file() {
        s.population.file = Some(path_from(&opts.out, &path).display().to_string());
    }
    s
}

/// `path` as the directory `dir` names it: relative to it (`../data/
/// pop.csv`) when both exist, else absolute. Both are resolved first
/// (symbolic links, `..`), as the system resolves the relative path later.
pub fn path_from(dir: &Path, path: &Path) -> PathBuf {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let Ok(base) = std::fs::canonicalize(dir) else {
        return target;
    };
    use std::path::Component;
    let b: Vec<Component> = base.components().collect();
    let t: Vec<Component> = target.components().collect();
    // Another root (or drive): only the absolute path names it.
    if !target.is_absolute() || b.first() != t.first() {
        return target;
    }
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut relative = PathBuf::new();
    for _ in common..b.len() {
        relative.push("..");
    }
    for c in &t[common..] {
        relative.push(c);
    }
    relative
}

fn write_err(path: &std::path::Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Run the scenario's replicates and write every output file.
/// `progress` is called after each replicate-year.
pub fn run_to_dir(opts: &RunOptions, progress: &(dyn Fn() + Sync)) -> Result<RunReport> {
    let started = Instant::now();
    let start_time = chrono::Utc::now().to_rfc3339();
    let (source, population_sha256) = migflow_io::files::population_source_hashed(&opts.loaded)?;
    if let (Some(expected), Some(found), Some(path)) = (
        &opts.population_sha256,
        &population_sha256,
        opts.loaded.population_file(),
    ) && expected != found
    {
        return Err(Error::InputChanged {
            path,
            what: "the population file",
            manifest: opts.loaded.source_name().to_path_buf(),
            expected: expected.clone(),
            found: found.clone(),
        });
    }
    let set = SetOptions {
        force: opts.force,
        inputs: [
            opts.loaded.source().map(Path::to_path_buf),
            opts.loaded.population_file(),
        ]
        .into_iter()
        .flatten()
        .collect(),
        // Either format's files of an earlier run are replaced.
        names: RUN_FILES
            .iter()
            .flat_map(|n| migflow_io::TableFormat::ALL.map(|f| f.file_name(n)))
            .collect(),
    };
    let cohort_years = cohort_years(opts)?;
    let mut dir = OutputDir::create_set(&opts.out, &set)?;
    let households = source.households(&opts.loaded);
    let threads = migflow_io::resources::worker_threads(opts.threads);
    let in_flight = u64::from(opts.replicates).min(threads as u64);
    migflow_io::resources::ensure_memory(
        opts.loaded
            .source()
            .unwrap_or(Path::new("the default scenario")),
        &format!("a run of {households} households × {in_flight} replicate(s) at once"),
        migflow_io::resources::in_flight_bytes(
            migflow_io::resources::scenario_replicate_bytes(&opts.loaded, households),
            in_flight,
        ),
    )?;
    let pool = crate::execute::pool(threads)?;

    let panel_parts: Vec<PathBuf> = (0..opts.replicates)
        .map(|r| dir.scratch_part("households.csv", r))
        .collect();
    let _cleanup = ScratchFiles(panel_parts.clone());
    let results = pool.install(|| {
        run_replicates(&opts.loaded, &source, opts.seed, opts.replicates, |r| {
            Followed {
                cohorts: CohortTracker::new(&cohort_years),
                sites: opts.by_site.then(Vec::new),
                cancel: &opts.cancel,
                panel: PanelObserver::new(
                    opts.households_out.then(|| panel_parts[r as usize].clone()),
                    r,
                    source.survey_ids().cloned(),
                    progress,
                ),
            }
        })
    });
    if opts.cancel.is_requested() {
        // Records cut short are no run's: nothing is staged, and the
        // panel parts go with `_cleanup`.
        return Err(Error::Interrupted {
            kept: format!(
                "the run was stopped; nothing was written to {}",
                opts.out.display()
            ),
        });
    }
    let mut records = Vec::with_capacity(results.len());
    let mut cohorts: Vec<Vec<CohortYear>> = Vec::with_capacity(results.len());
    let mut sites = Vec::with_capacity(results.len());
    for (rec, observer) in results {
        observer.panel.finish()?;
        records.push(rec);
        cohorts.push(observer.cohorts.into_rows());
        sites.extend(observer.sites);
    }

    let resolved = resolved_scenario(opts);
    let scenario_toml = params::to_toml(&resolved)?;
    let scenario_sha256 = sha256_hex(scenario_toml.as_bytes());
    let output = run_output(
        opts.format,
        env!("CARGO_PKG_VERSION"),
        git_commit().as_deref(),
        &scenario_sha256,
        opts.seed,
        opts.replicates,
    );
    let mut files = Vec::new();
    let mut stage_bytes = |dir: &mut OutputDir, name: &str, bytes: &[u8]| -> Result<()> {
        let (entry, _) = dir.stage_table(name, &output, |w, tmp| {
            w.write_all(bytes).map_err(write_err(tmp))
        })?;
        files.push(entry);
        Ok(())
    };
    let mut buf = Vec::new();
    migflow_io::write_trajectories(&mut buf, &opts.out.join("trajectories.csv"), &records)?;
    stage_bytes(&mut dir, "trajectories.csv", &buf)?;
    buf.clear();
    migflow_io::write_flows(&mut buf, &opts.out.join("flows.csv"), &records)?;
    stage_bytes(&mut dir, "flows.csv", &buf)?;
    if opts.replicates > 1 {
        buf.clear();
        migflow_io::write_summary(&mut buf, &opts.out.join("summary.csv"), &records)?;
        stage_bytes(&mut dir, "summary.csv", &buf)?;
    }
    buf.clear();
    migflow_io::cohorts::write_cohorts(&mut buf, &opts.out.join("cohorts.csv"), &cohorts)?;
    stage_bytes(&mut dir, "cohorts.csv", &buf)?;
    buf.clear();
    migflow_io::costs::write_costs(&mut buf, &opts.out.join("costs.csv"), &records)?;
    stage_bytes(&mut dir, "costs.csv", &buf)?;
    if opts.by_site {
        buf.clear();
        migflow_io::cohorts::write_sites(&mut buf, &opts.out.join("sites.csv"), &sites)?;
        stage_bytes(&mut dir, "sites.csv", &buf)?;
        buf.clear();
        migflow_io::costs::write_site_costs(&mut buf, &opts.out.join("site_costs.csv"), &sites)?;
        stage_bytes(&mut dir, "site_costs.csv", &buf)?;
    }
    if opts.households_out {
        let entry = concatenate_panel(&mut dir, &panel_parts, &output)?;
        files.push(entry);
    }

    // The file named relative to the results directory, with the hash of
    // the bytes the run loaded.
    let population_file = population_sha256.map(|sha256| FileEntry {
        name: resolved.population.file.clone().unwrap_or_default(),
        sha256,
    });
    let wall_seconds = started.elapsed().as_secs_f64();
    let household_years = households as f64
        * f64::from(opts.loaded.scenario().run.years)
        * f64::from(opts.replicates);
    let manifest = Manifest {
        migflow_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: git_commit(),
        command: opts.command.clone(),
        scenario_source: opts
            .loaded
            .source()
            .map_or("built-in default".to_string(), |p| p.display().to_string()),
        scenario_sha256,
        scenario_toml,
        population_file,
        seed: opts.seed,
        replicates: opts.replicates,
        threads,
        households,
        years: opts.loaded.scenario().run.years,
        start_time,
        end_time: chrono::Utc::now().to_rfc3339(),
        wall_seconds,
        household_years_per_second: household_years / wall_seconds.max(1e-9),
        files,
        cohort_years: cohort_years.clone(),
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Input {
        path: opts.out.join("manifest.json"),
        message: e.to_string(),
    })?;
    let (mut w, tmp) = dir.stage("manifest.json")?;
    w.write_all(&json).map_err(write_err(&tmp))?;
    migflow_io::atomic::finish(w, &tmp)?;
    let written = dir.commit()?;
    Ok(RunReport {
        records,
        manifest,
        files: written,
    })
}

/// How a run's tables are written: in `format`, with the manifest's key
/// facts as each Parquet file's metadata.
fn run_output(
    format: migflow_io::TableFormat,
    version: &str,
    commit: Option<&str>,
    scenario_sha256: &str,
    seed: u64,
    replicates: u32,
) -> TableOutput {
    TableOutput::new(
        format,
        vec![
            ("migflow_version".into(), version.into()),
            ("git_commit".into(), commit.unwrap_or_default().into()),
            ("scenario_sha256".into(), scenario_sha256.into()),
            ("seed".into(), seed.to_string()),
            ("replicates".into(), replicates.to_string()),
        ],
    )
}

/// Write the run in `src` into `dst` with its tables in `format`: every
/// table is checked against the run's manifest, read and written again,
/// row by row, so the files are those `migflow run --format FORMAT` writes
/// for the same run; the manifest is the run's, with its list of files
/// (names and SHA-256) for the new ones. `dst` is replaced as a run's
/// directory is (`force` as in [`RunOptions`]). A population file stays
/// named as the manifest names it, relative to `src`: save beside the
/// source to keep a rerun from the manifest finding it.
pub fn save_run_as(
    src: &Path,
    dst: &Path,
    format: migflow_io::TableFormat,
    force: bool,
) -> Result<Manifest> {
    let mut manifest = migflow_io::read_manifest(&src.join(migflow_io::manifest::MANIFEST))?;
    let output = run_output(
        format,
        &manifest.migflow_version,
        manifest.git_commit.as_deref(),
        &manifest.scenario_sha256,
        manifest.seed,
        manifest.replicates,
    );
    let set = SetOptions {
        force,
        inputs: Vec::new(),
        names: RUN_FILES
            .iter()
            .flat_map(|n| migflow_io::TableFormat::ALL.map(|f| f.file_name(n)))
            .collect(),
    };
    let mut dir = OutputDir::create_set(dst, &set)?;
    let mut files = Vec::new();
    for entry in &manifest.files {
        let name = migflow_io::columnar::table_stem(&entry.name);
        if !RUN_FILES
            .iter()
            .any(|f| migflow_io::columnar::table_stem(f) == name)
        {
            return Err(Error::Input {
                path: src.join(migflow_io::manifest::MANIFEST),
                message: format!("lists {}, which is not a table of a run", entry.name),
            });
        }
        let path = migflow_io::manifest::table_file(src, &manifest.files, &entry.name)?;
        let mut table = migflow_io::NamedCsv::open(&path)?;
        let (saved, _) = dir.stage_table(&entry.name, &output, |w, tmp| {
            w.write_all(&crate::store::csv_line(table.header()))
                .map_err(write_err(tmp))?;
            while let Some(row) = table.next_row()? {
                w.write_all(&crate::store::csv_line(&row.cells().collect::<Vec<_>>()))
                    .map_err(write_err(tmp))?;
            }
            Ok(())
        })?;
        files.push(saved);
    }
    manifest.files = files;
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Input {
        path: dst.join("manifest.json"),
        message: e.to_string(),
    })?;
    let (mut w, tmp) = dir.stage("manifest.json")?;
    w.write_all(&json).map_err(write_err(&tmp))?;
    migflow_io::atomic::finish(w, &tmp)?;
    dir.commit()?;
    Ok(manifest)
}

/// Removes the per-replicate panel parts however the run ends.
struct ScratchFiles(Vec<PathBuf>);

impl Drop for ScratchFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Per-replicate observer: ticks the progress bar and, when asked, streams
/// the household panel to a scratch file (without header).
struct PanelObserver<'a> {
    writer: Option<(csv::Writer<std::fs::File>, PathBuf)>,
    error: Option<Error>,
    replicate: u32,
    /// The population file's ids, by household number (the panel's
    /// `survey_id`); none for a file without `id` or a synthetic population.
    survey_ids: Option<Arc<[String]>>,
    progress: &'a (dyn Fn() + Sync),
}

impl<'a> PanelObserver<'a> {
    fn new(
        path: Option<PathBuf>,
        replicate: u32,
        survey_ids: Option<Arc<[String]>>,
        progress: &'a (dyn Fn() + Sync),
    ) -> Self {
        let mut error = None;
        let writer = path.and_then(|p| match std::fs::File::create(&p) {
            Ok(f) => Some((
                csv::WriterBuilder::new().has_headers(false).from_writer(f),
                p,
            )),
            Err(source) => {
                error = Some(Error::Write { path: p, source });
                None
            }
        });
        PanelObserver {
            writer,
            error,
            replicate,
            survey_ids,
            progress,
        }
    }

    fn finish(self) -> Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if let Some((mut w, path)) = self.writer {
            w.flush().map_err(write_err(&path))?;
        }
        Ok(())
    }
}

impl YearObserver for PanelObserver<'_> {
    fn on_year(&mut self, engine: &Engine, record: &YearRecord) {
        (self.progress)();
        let Some((w, path)) = self.writer.as_mut() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        for (h, y) in engine.by_id() {
            // By the household's own number: the engine may leave some
            // households (dissolved ones) out of `by_id`.
            let survey_id = self
                .survey_ids
                .as_deref()
                .and_then(|ids| ids.get(h.id as usize))
                .map(String::as_str);
            let row = migflow_io::panel_row(
                self.replicate,
                record.year,
                h,
                engine.site_of(h),
                engine.survey().weight(h.id),
                y,
                survey_id,
            );
            if let Err(e) = w.write_record(row) {
                self.error = Some(Error::Write {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                });
                return;
            }
        }
    }
}

/// Join the replicates' panel parts under one header into `households.csv`.
fn concatenate_panel(
    dir: &mut OutputDir,
    parts: &[PathBuf],
    output: &TableOutput,
) -> Result<FileEntry> {
    let (entry, _) = dir.stage_table("households.csv", output, |w, tmp| {
        let header = format!("{}\n", migflow_io::PANEL_HEADER.join(","));
        w.write_all(header.as_bytes()).map_err(write_err(tmp))?;
        for part in parts {
            let file = std::fs::File::open(part).map_err(|source| Error::Read {
                path: part.clone(),
                source,
            })?;
            let mut reader = BufReader::new(file);
            loop {
                let chunk = reader.fill_buf().map_err(|source| Error::Read {
                    path: part.clone(),
                    source,
                })?;
                if chunk.is_empty() {
                    break;
                }
                w.write_all(chunk).map_err(write_err(tmp))?;
                let n = chunk.len();
                reader.consume(n);
            }
        }
        Ok(())
    })?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_named_relative_to_the_results_directory() {
        let tmp = tempfile::tempdir().expect("tmp");
        let study = tmp.path().join("study");
        std::fs::create_dir_all(study.join("data")).expect("mkdir");
        std::fs::create_dir_all(study.join("results/run1")).expect("mkdir");
        std::fs::write(study.join("data/pop.csv"), "x").expect("write");
        let pop = study.join("data/pop.csv");
        assert_eq!(
            path_from(&study.join("results/run1"), &pop),
            Path::new("../../data/pop.csv")
        );
        assert_eq!(path_from(&study, &pop), Path::new("data/pop.csv"));
        // Through another spelling of the same directory.
        assert_eq!(
            path_from(&study.join("data/../results"), &pop),
            Path::new("../data/pop.csv")
        );
        // A directory that does not exist: the absolute path.
        let abs = path_from(&study.join("nowhere"), &pop);
        assert!(
            abs.is_absolute() && abs.ends_with("study/data/pop.csv"),
            "{abs:?}"
        );
    }
}
