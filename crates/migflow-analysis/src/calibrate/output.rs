//! The manifest of a finished calibration and the writing of its final
//! files.

use super::fit::{self, FitRow, ParameterSummary};
use super::plan::{CalibrationPlan, Target};
use super::run::CalibrateOptions;
use super::smc::{GenerationSummary, Method, Population};
use super::store::{STREAM_FILE, SampleRow};
use migflow_core::params;
use migflow_io::error::{Error, Result};
use migflow_io::{OutputDir, manifest::FileEntry, sha256_hex};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// The manifest of a finished calibration. It holds no times or thread
/// counts, so the same calibration gives the same bytes however it ran
/// (times are in `timing.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalibrationManifest {
    /// migflow's version.
    pub migflow_version: String,
    /// The git commit of the build, when known.
    pub git_commit: Option<String>,
    /// The calibration file.
    pub calibration_file: String,
    /// It as resolved.
    pub calibration_toml: String,
    /// Hex SHA-256 of the calibration (file, base, targets, method settings).
    pub calibration_sha256: String,
    /// Where the base scenario came from.
    pub base_source: String,
    /// The base scenario, every key.
    pub base_scenario_toml: String,
    /// The years the samples simulated.
    pub simulated_years: (i32, i32),
    /// Master seed.
    pub seed: u64,
    /// Replicates per sample.
    pub replicates: u32,
    /// Replicates of the fit run.
    pub fit_replicates: u32,
    /// `rejection` or `smc`.
    pub method: Method,
    /// Samples per generation.
    pub samples: u64,
    /// Rejection: the accepted fraction.
    pub accept: Option<f64>,
    /// SMC: the generations asked for.
    pub generations: Option<u32>,
    /// Every target as resolved.
    pub targets: Vec<Target>,
    /// Each generation run.
    pub generation_summaries: Vec<GenerationSummary>,
    /// The generation whose particles are the posterior.
    pub posterior_generation: u32,
    /// Prior and posterior of each parameter.
    pub parameters: Vec<ParameterSummary>,
    /// Notes (e.g. an SMC run that stopped early).
    pub notes: Vec<String>,
    /// Warnings about targets, and about proposals that fell back to
    /// their parent ([`fallback_warning`]).
    pub warnings: Vec<String>,
    /// SHA-256 of each output file.
    pub files: Vec<FileEntry>,
}

/// The warning of a calibration in which `n` proposals fell back to their
/// parent.
pub fn fallback_warning(n: u64) -> String {
    format!(
        "{n} proposal(s) fell back to their parent: the truncated kernel had no mass inside the prior's box (a degenerate kernel); their weights are approximate"
    )
}

impl CalibrationManifest {
    /// Proposals that fell back to their parent, over all generations.
    pub fn kernel_fallbacks(&self) -> u64 {
        self.generation_summaries.iter().map(|g| g.fallbacks).sum()
    }
}

/// The write error of `path`.
pub(crate) fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The final files of a calibration besides its manifest.
const FINAL_FILES: [&str; 4] = [STREAM_FILE, "posterior.csv", "fit.csv", "best_fit.toml"];

/// Write the final files of a calibration into `opts.out` under temporary
/// names, then rename them into place: `samples.csv`, `posterior.csv`,
/// `fit.csv`, `best_fit.toml` and `manifest.json`. `all_rows` are every
/// generation's samples, `posterior` the posterior generation's particles.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finalize(
    plan: &CalibrationPlan,
    opts: &CalibrateOptions,
    hash: &str,
    pool: &rayon::ThreadPool,
    all_rows: &[Vec<SampleRow>],
    posterior: &Population,
    generation_summaries: Vec<GenerationSummary>,
    notes: Vec<String>,
) -> Result<(CalibrationManifest, Vec<FitRow>)> {
    let k = plan.calib.parameters.len();
    let post_rows = &all_rows[posterior.generation as usize];
    let parameters = fit::parameter_summaries(plan, posterior, post_rows);
    let fit = fit::fit(plan, pool, &parameters, posterior, all_rows)?;
    let mut warnings: Vec<String> = fit
        .iter()
        .filter(|f| !f.warning.is_empty())
        .map(|f| format!("target {}: {}", f.label, f.warning))
        .collect();
    let fallbacks: u64 = generation_summaries.iter().map(|g| g.fallbacks).sum();
    if fallbacks > 0 {
        warnings.push(fallback_warning(fallbacks));
    }

    // Switched in as a set, as a sweep's final files are: the manifest
    // first replaced by the marker every reader refuses, renamed last.
    let mut out = OutputDir::create_work_set(&opts.out, &FINAL_FILES)?;
    let mut files = Vec::new();
    let mut stage = |out: &mut OutputDir, name: &str, bytes: &[u8]| -> Result<()> {
        let (mut w, tmp) = out.stage(name)?;
        w.write_all(bytes).map_err(io_err(&tmp))?;
        migflow_io::atomic::finish(w, &tmp)?;
        files.push(FileEntry {
            name: name.to_string(),
            sha256: sha256_hex(bytes),
        });
        Ok(())
    };

    // samples.csv: every sample, in order.
    let mut bytes = migflow_experiments::store::csv_line(&plan.header());
    for rows in all_rows {
        for r in rows {
            bytes.extend(r.to_csv());
        }
    }
    stage(&mut out, STREAM_FILE, &bytes)?;

    // posterior.csv
    let mut head: Vec<String> = ["generation", "sample", "distance", "weight"]
        .map(String::from)
        .to_vec();
    head.extend(
        plan.calib
            .parameters
            .iter()
            .map(|p| migflow_io::tables::csv_user_text(&p.path)),
    );
    let mut bytes = migflow_experiments::store::csv_line(&head);
    for (j, &i) in posterior.members.iter().enumerate() {
        let mut cells = vec![
            posterior.generation.to_string(),
            post_rows[i].sample.to_string(),
            format!("{}", post_rows[i].distance),
            format!("{}", posterior.weights[j]),
        ];
        cells.extend((0..k).map(|p| format!("{}", posterior.params[j][p])));
        bytes.extend(migflow_experiments::store::csv_line(&cells));
    }
    stage(&mut out, "posterior.csv", &bytes)?;

    stage(&mut out, "fit.csv", &fit::fit_csv(&fit))?;
    let text = fit::best_fit_toml(plan, opts.method, &parameters)?;
    stage(&mut out, "best_fit.toml", text.as_bytes())?;

    let manifest = CalibrationManifest {
        migflow_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: migflow_experiments::run::git_commit(),
        calibration_file: plan.file.display().to_string(),
        calibration_toml: migflow_io::manifest::to_toml_text(&plan.calib, "the calibration")?,
        calibration_sha256: hash.to_string(),
        base_source: plan
            .base
            .source()
            .map_or("built-in default".to_string(), |p| p.display().to_string()),
        base_scenario_toml: params::to_toml(plan.base.scenario())?,
        simulated_years: (plan.sim_base.run.start_year, plan.sim_base.run.end_year()),
        seed: plan.calib.seed,
        replicates: plan.calib.replicates,
        fit_replicates: plan.calib.fit_replicates,
        method: opts.method,
        samples: opts.samples,
        accept: (opts.method == Method::Rejection).then_some(opts.accept),
        generations: (opts.method == Method::Smc).then_some(opts.generations),
        targets: plan.targets.iter().map(|t| t.target.clone()).collect(),
        generation_summaries,
        posterior_generation: posterior.generation,
        parameters,
        notes,
        warnings,
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Input {
        path: opts.out.join("manifest.json"),
        message: e.to_string(),
    })?;
    let (mut w, tmp) = out.stage("manifest.json")?;
    w.write_all(&json).map_err(io_err(&tmp))?;
    migflow_io::atomic::finish(w, &tmp)?;
    out.commit()?;
    Ok((manifest, fit))
}
