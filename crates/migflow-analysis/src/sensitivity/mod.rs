//! Global sensitivity analysis of a finished sweep: Sobol indices of a
//! `sobol` sweep, Morris measures of a `morris` sweep, and rank-based
//! indices (PRCC, SRRC) of an `lhs`, `table` or `grid` sweep.
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
//!   percentile bootstrap intervals from resampling the trajectories;
//! - for `lhs`, `table` and `grid`: the factors' values and the output are
//!   replaced by their ranks (1 to n, ties sharing the average of the ranks
//!   they span) and standardised, and
//!   - **PRCC** of factor j (partial rank correlation coefficient, Marino et
//!     al. 2008): the correlation of the residuals of the least-squares
//!     regressions of factor j's ranks and of the output's ranks on the
//!     other factors' ranks. It measures a monotone relation with the other
//!     factors' linear effects on the ranks removed. Its 95 % interval is
//!     Fisher's z: `tanh(atanh(r) ± 1.96 / √(n − 3 − p))` with n points and
//!     p = k − 1 other factors; its p-value is the two-sided t test of no
//!     partial correlation, `t = r √((n − 2 − p) / (1 − r²))` on
//!     n − 2 − p degrees of freedom (both assume roughly normal ranks'
//!     residuals; read them as a guide, not an exact test);
//!   - **SRRC** of factor j (standardised rank regression coefficient): its
//!     coefficient in the least-squares regression of the standardised
//!     output ranks on all the standardised factor ranks, with the
//!     regression's **R²**. SRRC ranks factors by importance only when the
//!     regression explains the output's ranks, R² ≥ 0.7 as a rule of thumb
//!     ([`SRRC_MIN_R2`]; a note flags a lower R²); PRCC stays meaningful
//!     for any monotone relation. 95 % percentile bootstrap intervals of
//!     SRRC and R² come from resampling the points (rows of ranks, as R's
//!     `sensitivity::src(rank = TRUE)`).
//!
//!   Only numeric factors with more than one value in `points.csv` enter
//!   (for `lhs`, the factors with `min` and `max`; a constant is no factor);
//!   a factor whose levels are not numbers (`true`/`false`, text) is left
//!   out with a note. The analysis is refused (exit 2, naming the file,
//!   the value and what is needed) with fewer points than factors + 3, a
//!   factor that does not vary, or a singular design (a factor's ranks a
//!   linear combination of the others', e.g. table columns that move
//!   together). An output that does not vary leaves its metric's indices
//!   empty with a note giving the value; when no metric has a value the
//!   analysis is refused with those notes.
//!
//!   Least squares is a Householder QR of the standardised ranks (no
//!   normal equations: they square the condition number, which matters
//!   when factors are nearly collinear), written here since k is at most a
//!   few dozen.
//!
//!   **Sweeps of policies.** A sweep of `[[policies]]` has a factor column
//!   named exactly `policy` ([`POLICY_COLUMN`]) holding each point's
//!   policy. Its points are then analysed policy by policy (each policy's
//!   points are one sample over the uncertainties; pooling them would mix
//!   the policy's effect into every factor's), the policy is not a factor,
//!   and each metric is written prefixed by the policy's name, like
//!   `workshops:all_mean_poor_share`; the header of `sensitivity.csv`
//!   stays the same.
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
//!   unit), `mu_star`, `mu`, `sigma` (morris), or for lhs, table and grid,
//!   per factor `PRCC` (with its Fisher-z interval), `PRCC_p` (its p-value;
//!   no interval) and `SRRC` (with its bootstrap interval), then one row
//!   `SRRC_R2` whose factor is `(all)` ([`ALL_FACTORS`]): the R² of the rank
//!   regression, with its bootstrap interval. PRCC and SRRC lie in −1 to 1
//!   (an SRRC's bootstrap interval may pass ±1 slightly), no unit;
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
//! The estimators (functions of plain numbers) are in `estimators` and,
//! for the rank-based indices, `ranks`; the rank analysis of a sweep (its
//! factors, its policies) is in `ranked`; the
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
mod ranked;
mod ranks;
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
pub use ranked::{ALL_FACTORS, POLICY_COLUMN, SRRC_MIN_R2};
pub use ranks::{
    COLLINEAR_TOL, RankError, RankResult, average_ranks, check_design, fisher_ci, prcc_p_value,
    rank_indices,
};
pub use read::RUN_OUTCOMES;
pub use selftest::{
    ISHIGAMI_A, ISHIGAMI_B, SELFTEST_BASE_POINTS, SELFTEST_BOOTSTRAP, SELFTEST_SEED,
    SELFTEST_SOBOL_TOLERANCE, SelfTestLine, float_design, ishigami, ishigami_exact, morris_of,
    point_values, range_factor, selftest, sobol_of, sobol_tolerance,
};
