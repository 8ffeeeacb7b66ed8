//! Calibration by approximate Bayesian computation (ABC).
//!
//! A calibration file (`CALIB.toml`) names a base scenario, free parameters
//! (scenario keys by dotted path) with uniform priors, and targets: observed
//! values of output metrics by year and livelihood, each with a weight and
//! an uncertainty (sd). A parameter set is scored by the distance
//!
//! ```text
//! d(θ) = sqrt( Σ_i w_i · ((sim_i(θ) − obs_i) / sd_i)² )
//! ```
//!
//! where `sim_i` is the mean over the file's `replicates` of target `i`'s
//! metric. Replicate `r` of every parameter set uses the same random
//! streams (common random numbers), so distances between parameter sets
//! are compared without replicate noise in between.
//!
//! Two methods:
//! - **rejection**: `samples` draws from the prior; the closest
//!   `accept` fraction is the posterior, with equal weights;
//! - **smc** (ABC-SMC, Toni et al. 2009; Beaumont et al. 2009):
//!   `generations` generations of `samples` proposals each. Generation 0
//!   draws from the prior and keeps the draws within the median distance;
//!   generation `t` proposes by picking a particle of generation `t − 1` by
//!   weight and moving it with a Gaussian kernel whose variance is twice the
//!   particles' weighted variance (per parameter), truncated to the prior's
//!   box (drawn exactly, by inverse CDF, so never redrawn), keeps the
//!   proposals within the tolerance `ε_t` = the median distance of
//!   generation `t − 1`'s particles, and weights them by
//!   `π(θ) / Σ_j w_j K̃(θ | θ_j)`, with `K̃(θ | θ_j)` the truncated kernel's
//!   density: the Gaussian's divided by its mass inside the box, which is
//!   smaller for particles near a bound. A generation that keeps fewer than
//!   [`MIN_POPULATION`] particles ends the run; the last full generation is
//!   the posterior.
//!
//! Every draw comes from the sample's own stream ([`Draw::Abc`] of its
//! generation, keyed by the seed and the sample index), every simulation from the
//! model's own streams, and every reduction runs in sample order: the
//! results do not depend on the thread count.
//!
//! Samples stream to `OUT/stream/samples.csv` as they finish, committed
//! through a journal as sweeps are (data synced, then the journal line), so
//! `--resume` cuts the stream back to the last committed sample and runs
//! only the missing ones. When all are in, the final files are written under
//! temporary names and renamed into place: `samples.csv` (every sample, in
//! order), `posterior.csv`, `fit.csv`, `best_fit.toml` and `manifest.json`.
//!
//! Validation measures in `fit.csv`, at the posterior mean, over
//! `fit_replicates` replicates: per target the simulated mean and its 95%
//! CI (Student t), the error and its z-score, the RMSE over replicates, the
//! relative difference `|sim − obs| / |obs|`, and the MASE: the absolute
//! error scaled by the mean absolute error of a naive predictor that
//! predicts, for every target of a metric, the mean of that metric's
//! observed targets (defined when a metric has two or more targets with
//! different values). The `all_targets` row holds the RMS of the z-scores,
//! the averaged relative difference (ARD), and the mean of the MASEs.
//!
//! The parts: `plan` (the calibration file, its parameters and targets,
//! their checks), `prior` (the uniform prior box and the truncated normal),
//! `smc` (rejection and ABC-SMC: the generations, the kernel and the
//! weights, and [`abc`]), `store` (the streamed samples, their journal and
//! resume), `fit` (the posterior summaries, `fit.csv`'s rows and the
//! best-fit scenario), `output` (the manifest and the final files) and
//! `run` ([`calibrate`], which ties them together).
//!
//! [`Stream`]: migflow_core::rng::Stream
//! [`Draw::Abc`]: migflow_core::rng::Draw::Abc

mod fit;
mod output;
mod plan;
mod prior;
mod run;
mod smc;
mod store;

pub use fit::{FIT_HEADER, FitRow, ParameterSummary, UNREACHABLE_SD};
pub use output::{CalibrationManifest, fallback_warning};
pub use plan::{
    CalibrationFile, CalibrationPlan, EXTRA_METRICS, MAX_TARGETS_BYTES, Parameter, ResolvedTarget,
    Target, read_targets_csv,
};
pub use prior::{PriorBox, PriorRange};
pub use run::{CalibrateOptions, CalibrationReport, calibrate};
pub use smc::{AbcPosterior, GenerationSummary, MIN_POPULATION, Method, abc};
