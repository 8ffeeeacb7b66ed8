//! Global sensitivity analysis of a finished `sobol` or `morris` sweep.
//!
//! [`analyze`](fn@analyze) reads a sweep directory (`manifest.json`, `points.csv`,
//! `runs.csv`, and with a year `trajectories.csv`), averages each output
//! over the replicates of each design point, and estimates per output
//! metric and varied factor:
//!
//! - for `sobol`: the first-order index S1 with Saltelli's (2010) estimator
//!   `mean(f_B · (f_ABj − f_A)) / V` and the total index ST with Jansen's
//!   (1999) `mean((f_A − f_ABj)²) / 2 / V`, where V is the variance of f
//!   over the A and B points together (f is centred on its mean over A and
//!   B first, which leaves the estimators' expectations unchanged and
//!   removes the noise a large mean would add); 95 % percentile bootstrap
//!   intervals come from resampling the base points (whole Saltelli blocks);
//! - for `morris`: the elementary effects of each trajectory and their
//!   mean μ, mean absolute value μ* and standard deviation σ, with 95 %
//!   percentile bootstrap intervals from resampling the trajectories.
//!
//! Bootstrap resamples are drawn from [`Stream`]s keyed by the sweep's seed
//! from its own stream ([`Draw::Bootstrap`]), so
//! the same sweep gives the same `sensitivity.csv` every time.
//!
//! # `sensitivity.csv`
//!
//! Tidy, one row per metric × factor × index, columns
//! `metric, factor, index, value, ci95_low, ci95_high`:
//!
//! - `index` is `S1` or `ST` (sobol; shares of the output's variance, no
//!   unit) or `mu_star`, `mu`, `sigma` (morris);
//! - Morris values are in **units of the output per full range of the
//!   factor**: an elementary effect is the change of the output divided by
//!   the change of the factor as a fraction of its range `max − min` (as in
//!   SALib). For a linear output `y = a·x` over `[min, max]` every effect is
//!   `a · (max − min)`;
//! - an empty value means the index is undefined (an output that does not
//!   vary, or too few complete blocks or effects); an empty interval means
//!   no bootstrap (`--bootstrap 0`) or too few resamples with a value.
//!
//! # Layout
//!
//! The estimators (functions of plain numbers) are in `estimators`, the
//! reading of a sweep directory in `read`, the assembly of an [`Analysis`]
//! in `analyze`, `sensitivity.csv`, the charts' files and the terminal
//! summary in `output`, and the known-answer self-test in `selftest`;
//! everything is re-exported at this level.
//!
//! [`Stream`]: migflow_core::rng::Stream
//! [`Draw::Bootstrap`]: migflow_core::rng::Draw::Bootstrap

mod analyze;
mod estimators;
mod output;
mod read;
mod selftest;

pub use analyze::{
    Analysis, DEFAULT_BOOTSTRAP, DEFAULT_OUTCOMES, IndexChart, MAX_BOOTSTRAP, Options, Row,
    analyze, default_metrics,
};
pub use estimators::{
    Estimate, MorrisResult, SobolBlock, SobolResult, morris_effects, morris_indices, percentile_ci,
    resample, sobol_blocks, sobol_indices, unit_coordinates,
};
pub use output::{CSV_HEADER, CSV_NAME, csv_text, summary, write};
pub use read::RUN_OUTCOMES;
pub use selftest::{
    ISHIGAMI_A, ISHIGAMI_B, SELFTEST_BASE_POINTS, SELFTEST_BOOTSTRAP, SELFTEST_SEED,
    SELFTEST_SOBOL_TOLERANCE, SelfTestLine, float_design, ishigami, ishigami_exact, morris_of,
    point_values, range_factor, selftest, sobol_of, sobol_tolerance,
};
