//! The streamed samples of a calibration directory: `stream/samples.csv`
//! committed through a journal, the resume that reads it back, and the
//! calibration's identity (its hash).

use super::output::CalibrationManifest;
use super::plan::{CalibrationPlan, ResolvedTarget};
use super::run::CalibrateOptions;
use super::smc::Method;
use migflow_core::params;
use migflow_io::error::{Error, Result};
use migflow_io::format_float;
use migflow_io::journal::{self, Journal, PlannedInput, Streams};
use migflow_io::{DirLock, sha256_hex};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The streamed samples' file, and the final one.
pub(crate) const STREAM_FILE: &str = "samples.csv";
/// The identity file of a calibration directory.
const STATE: &str = "calibration.json";

/// One simulated parameter set, as streamed to `samples.csv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SampleRow {
    /// Its generation.
    pub(crate) generation: u32,
    /// Its index in the generation.
    pub(crate) sample: u64,
    /// Whether it ran (a failed sample has an invalid scenario or panicked).
    pub(crate) ok: bool,
    /// Its distance (infinite when failed).
    pub(crate) distance: f64,
    /// The parameter values.
    pub(crate) params: Vec<f64>,
    /// Each target's simulated value.
    pub(crate) sims: Vec<Option<f64>>,
    /// Why it failed.
    pub(crate) error: String,
}

impl SampleRow {
    /// The row's line of `samples.csv`.
    pub(crate) fn to_csv(&self) -> Vec<u8> {
        let mut cells = vec![
            self.generation.to_string(),
            self.sample.to_string(),
            if self.ok { "ok" } else { "failed" }.to_string(),
            format!("{}", self.distance),
        ];
        cells.extend(self.params.iter().map(|v| format!("{v}")));
        cells.extend(self.sims.iter().map(|v| format_float(*v)));
        cells.push(self.error.clone());
        migflow_experiments::store::csv_line(&cells)
    }

    fn parse(rec: &csv::StringRecord, k: usize, n: usize) -> Option<SampleRow> {
        if rec.len() != 5 + k + n {
            return None;
        }
        let num = |i: usize| rec.get(i)?.parse::<f64>().ok();
        let opt = |i: usize| -> Option<Option<f64>> {
            let cell = rec.get(i)?;
            if cell.is_empty() {
                Some(None)
            } else {
                cell.parse::<f64>().ok().map(Some)
            }
        };
        Some(SampleRow {
            generation: rec.get(0)?.parse().ok()?,
            sample: rec.get(1)?.parse().ok()?,
            ok: match rec.get(2)? {
                "ok" => true,
                "failed" => false,
                _ => return None,
            },
            distance: num(3)?,
            params: (0..k).map(|j| num(4 + j)).collect::<Option<_>>()?,
            sims: (0..n).map(|j| opt(4 + k + j)).collect::<Option<_>>()?,
            error: rec.get(4 + k + n)?.to_string(),
        })
    }
}

/// The identity of a calibration directory, checked on resume: the
/// calibration (its hash covers the file, the base scenario, the targets'
/// values and the method's settings) and its input files (the population
/// file, the targets file), each with its SHA-256.
///
/// A `calibration.json` written by an older migflow records no `inputs`:
/// `--resume` refuses it, saying the directory was made by an older
/// migflow (its inputs cannot be checked).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct State {
    migflow_version: String,
    calibration_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<journal::InputRecord>>,
}

/// The journal key of a sample: its generation and its index (the entry's
/// check covers the sample's row).
#[derive(Debug, Clone, Copy, PartialEq)]
struct SampleKey {
    generation: u32,
    sample: u64,
}

impl journal::Key for SampleKey {
    const FIELDS: usize = 2;

    fn fields(&self) -> Vec<String> {
        vec![self.generation.to_string(), self.sample.to_string()]
    }

    fn parse(fields: &[&str]) -> Option<SampleKey> {
        Some(SampleKey {
            generation: fields.first()?.parse().ok()?,
            sample: fields.get(1)?.parse().ok()?,
        })
    }
}

/// The streamed file of a calibration.
fn sample_streams(header: &[u8]) -> Streams<1> {
    Streams {
        names: [STREAM_FILE],
        headers: [header.to_vec()],
    }
}

/// The streamed samples of a calibration directory and their journal.
pub(crate) struct SampleStore {
    journal: Journal<SampleKey, 1>,
}

impl SampleStore {
    /// Open `dir`: a new calibration, or with `resume` one of the same
    /// calibration (interrupted or finished). Returns the committed samples.
    /// The store holds the directory's lock.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn open(
        dir: &Path,
        header: &[u8],
        hash: &str,
        inputs: &[PlannedInput],
        resume: bool,
        k: usize,
        n: usize,
    ) -> Result<(SampleStore, Vec<SampleRow>)> {
        let state_path = dir.join(STATE);
        let streams = sample_streams(header);
        let lock = DirLock::acquire(dir)?;
        let state = State {
            migflow_version: env!("CARGO_PKG_VERSION").to_string(),
            calibration_sha256: hash.to_string(),
            inputs: Some(
                inputs
                    .iter()
                    .map(|p| p.record(&migflow_experiments::run::path_from(dir, &p.file)))
                    .collect(),
            ),
        };
        if state_path.exists() {
            let found: State = journal::read_state(&state_path, "calibration")?;
            if !resume {
                return Err(Error::NeedsResume {
                    dir: dir.to_path_buf(),
                    what: "calibration",
                });
            }
            let check_inputs = || {
                journal::check_inputs(
                    dir,
                    &state_path,
                    "calibration",
                    found.inputs.as_deref(),
                    inputs,
                )
            };
            if found.calibration_sha256 != hash {
                // An edited targets file changes the targets too: name the
                // file that changed rather than only the hash.
                if found.inputs.is_some()
                    && let Err(e @ Error::WorkInputChanged { .. }) = check_inputs()
                {
                    return Err(e);
                }
                return Err(Error::OtherWork {
                    dir: dir.to_path_buf(),
                    message: format!(
                        "holds a different calibration (hash {}) from this one (hash {hash}; the file, its base scenario, its targets, the method and the numbers of samples, accepted draws and generations all count): cannot resume",
                        found.calibration_sha256
                    ),
                });
            }
            check_inputs()?;
            let stream = journal::stream_dir(dir);
            if dir.join("manifest.json").exists()
                && stream.symlink_metadata().is_ok()
                && verify_finished_samples(dir).is_ok()
            {
                // A finished calibration whose stream was not (all)
                // removed (a kill while it was): its samples.csv, checked
                // against its manifest, is the record; the leftovers go.
                if !journal::remove(dir) {
                    return Err(Error::OtherWork {
                        dir: dir.to_path_buf(),
                        message: "holds a stream/ with files migflow did not write there, \
                                  which it never removes"
                            .into(),
                    });
                }
            }
            if !journal::exists(dir) {
                // A finished calibration: rebuild the stream from its samples.
                rebuild_stream(&lock, &streams, k, n)?;
            }
        } else {
            let foreign = journal::foreign_entries(dir);
            if !foreign.is_empty() {
                return Err(Error::OtherWork {
                    dir: dir.to_path_buf(),
                    message: format!(
                        "holds files that migflow did not write as a calibration's ({}) and no calibration",
                        foreign.join(", ")
                    ),
                });
            }
            Journal::<SampleKey, 1>::create(&lock, &streams)?;
            journal::write_state(&state_path, &state)?;
        }
        // The entries whose rows still have the bytes their checks record;
        // the samples after the first damaged one are drawn again.
        let (journal, entries) = Journal::<SampleKey, 1>::open(&lock, &streams)?;
        let data_path = journal.data_path(0);
        let bytes =
            migflow_io::input::open_streamed(&data_path, "a migflow stream file")?.read_all()?;
        let Some(body) = bytes.strip_prefix(header) else {
            return Err(Error::Damaged {
                path: data_path,
                message: "its header is not this calibration's: the directory is damaged".into(),
            });
        };
        let rows = parse_rows(body, k, n).ok_or_else(|| Error::Damaged {
            path: data_path.clone(),
            message: "a committed sample cannot be read: the directory is damaged".into(),
        })?;
        let keys_match = rows.len() == entries.len()
            && rows
                .iter()
                .zip(&entries)
                .all(|(r, e)| r.generation == e.key.generation && r.sample == e.key.sample);
        if !keys_match {
            return Err(Error::Damaged {
                path: data_path,
                message: "its samples do not match its journal: the directory is damaged".into(),
            });
        }
        Ok((SampleStore { journal }, rows))
    }

    /// The directory's lock, held while the store is open.
    pub(crate) fn lock(&self) -> &DirLock {
        self.journal.lock()
    }

    /// Stream a sample (committed by the next [`SampleStore::commit`]).
    pub(crate) fn append(&mut self, row: &SampleRow) -> Result<()> {
        let key = SampleKey {
            generation: row.generation,
            sample: row.sample,
        };
        self.journal.append(&key, [&row.to_csv()])
    }

    /// Commit the samples appended so far.
    pub(crate) fn commit(&mut self) -> Result<()> {
        self.journal.commit()
    }
}

/// The rows of a stream's body (after its header).
fn parse_rows(bytes: &[u8], k: usize, n: usize) -> Option<Vec<SampleRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    reader
        .records()
        .map(|r| r.ok().and_then(|r| SampleRow::parse(&r, k, n)))
        .collect()
}

/// Check a finished calibration's `samples.csv` against its manifest.
fn verify_finished_samples(dir: &Path) -> Result<()> {
    let manifest_path = dir.join("manifest.json");
    let text = migflow_io::input::read_text(
        &manifest_path,
        migflow_io::input::MAX_STATE_BYTES,
        "the manifest.json of a finished calibration",
    )?;
    let manifest: CalibrationManifest = serde_json::from_str(&text).map_err(|e| Error::Input {
        path: manifest_path.clone(),
        message: format!("not a migflow calibration manifest: {e}"),
    })?;
    migflow_io::manifest::check_listed_files(&manifest_path, &manifest.files)?;
    migflow_io::manifest::verify_file(dir, &manifest.files, STREAM_FILE)
}

/// Recreate `stream/` from a finished directory's `samples.csv`.
fn rebuild_stream(lock: &DirLock, streams: &Streams<1>, k: usize, n: usize) -> Result<()> {
    let dir = lock.dir();
    let header = &streams.headers[0];
    let final_path = dir.join(STREAM_FILE);
    // The samples are the finished calibration's record: resume from them
    // only while they are what it wrote.
    if dir.join("manifest.json").exists() {
        verify_finished_samples(dir)?;
    }
    let bytes = migflow_io::input::open_streamed(&final_path, "the samples.csv of a calibration")?
        .read_all()?;
    let damaged = || Error::Damaged {
        path: final_path.clone(),
        message: "neither a stream nor a readable samples.csv: the directory is damaged".into(),
    };
    let body = bytes.strip_prefix(header.as_slice()).ok_or_else(damaged)?;
    let rows = parse_rows(body, k, n).ok_or_else(damaged)?;
    Journal::create_complete(
        lock,
        streams,
        rows.iter().map(|r| {
            let key = SampleKey {
                generation: r.generation,
                sample: r.sample,
            };
            (key, [r.to_csv()])
        }),
    )
}

impl CalibrationPlan {
    /// The identity of the calibration with these options, checked on
    /// resume: the file, its base, its targets and the method's settings.
    pub(crate) fn hash(&self, opts: &CalibrateOptions) -> Result<String> {
        let mut canonical = migflow_io::manifest::to_toml_text(&self.calib, "the calibration")?;
        canonical.push_str("\n# base\n");
        canonical.push_str(&params::to_toml(self.base.scenario())?);
        canonical.push_str("\n# targets\n");
        for t in &self.targets {
            let t = &t.target;
            canonical.push_str(&format!(
                "{},{},{},{},{},{}\n",
                t.metric, t.year, t.livelihood, t.value, t.weight, t.sd
            ));
        }
        canonical.push_str(&format!(
            "\n# method {}\n# samples {}\n",
            opts.method.name(),
            opts.samples
        ));
        match opts.method {
            Method::Rejection => canonical.push_str(&format!("# accept {}\n", opts.accept)),
            Method::Smc => canonical.push_str(&format!("# generations {}\n", opts.generations)),
        }
        Ok(sha256_hex(canonical.as_bytes()))
    }

    /// The input files of the calibration besides the calibration file and
    /// its base scenario, with their SHA-256 (the population file's as the
    /// plan loaded it): part of the identity a resume checks.
    pub(crate) fn planned_inputs(&self) -> Vec<PlannedInput> {
        let mut inputs = Vec::new();
        if let Some(file) = self.base.population_file() {
            inputs.push(PlannedInput {
                what: "the population file",
                file,
                sha256: self.population_sha256.clone(),
            });
        }
        if let Some(tf) = &self.calib.targets_file {
            let dir = self
                .file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            inputs.push(PlannedInput::hash("the targets file", &dir.join(tf)));
        }
        inputs
    }

    /// `samples.csv`'s header.
    pub(crate) fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = ["generation", "sample", "status", "distance"]
            .map(String::from)
            .to_vec();
        h.extend(self.calib.parameters.iter().map(|p| p.path.clone()));
        h.extend(self.targets.iter().map(ResolvedTarget::column));
        h.push("error".into());
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rows_round_trip() {
        let row = SampleRow {
            generation: 2,
            sample: 7,
            ok: true,
            distance: 0.1 + 0.2,
            params: vec![1.0 / 3.0, -2.5],
            sims: vec![Some(13615.123456789), None],
            error: "a, \"quoted\" error".into(),
        };
        let bytes = row.to_csv();
        let parsed = parse_rows(&bytes, 2, 2).unwrap();
        assert_eq!(parsed, vec![row]);
    }
}
