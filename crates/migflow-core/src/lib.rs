//! # migflow
//!
//! A fast, reproducible agent-based simulation of the livelihood flows of
//! households relocated out of poverty areas, and of their risk of returning
//! to poverty. See `docs/model.md` for the model (ODD protocol) and
//! `README.md` for the command line.
//!
//! ## The model in brief
//! Each year every household ages, may fall sick, and chooses among five
//! livelihoods (outbound migrant work, local wage work, farming at the origin
//! village, a mixed worker-peasant life, or none) by a push–pull
//! multinomial-logit rule. Local jobs and East–West labor placements are
//! limited and cleared per site by incumbency and lottery; unplaced migrants
//! search for work. Incomes carry job loss, arrears, harvest and medical
//! risks; pensions, dividends and the dibao are added; poverty and
//! monitoring lines classify the household. County levers (labor and
//! industrial cooperation, workshops, agricultural support, training, asset
//! income, social protection, targeting) act within their year windows.
//!
//! ## Layers
//! - [`params`]: the raw scenario schema ([`params::Scenario`]), its
//!   validation into [`Params`] (the only thing the engine accepts), dotted
//!   key paths, and [`params::Year`]: everything a rule reads in one year.
//! - [`model`]: the household and livelihood types (a leaf), and the pure
//!   rules of MODEL.md §3, one module a section.
//! - [`engine`]: the households in site order and the year loop; parallel
//!   phases, per-site market clearing; [`record`] aggregates each year, and
//!   [`costs`] counts what the levers cost from what households took up
//!   (no draw, no effect on any result).
//! - [`population`]: synthetic households and the CSV reader.
//! - [`run`]: replicates of a run, the one way to run a replicate.
//! - [`rng`]: every random stream, keyed by purpose; [`stats`]: summaries.
//!
//! The core reads no file, no environment and no clock: files, manifests and
//! the command line live in the crates above it (`migflow-io`,
//! `migflow-experiments`, `migflow-analysis`, `migflow-report`, `migflow-cli`).
//!
//! ## The reproducibility contract
//! The same scenario, seed and replicate count give byte-identical output
//! files whatever the thread count, on every repeat:
//! - every random draw comes from a [`rng::Stream`] keyed by (seed,
//!   replicate, entity, year, purpose), never from an OS-seeded or
//!   thread-local generator, so a draw does not depend on scheduling;
//! - no worker writes shared state; each site's market writes only its own
//!   block of households (the engine keeps households site by site);
//! - floating-point sums (the metrics and the lever costs) are taken over
//!   fixed chunks of [`engine::CHUNK`] households and the chunk sums added
//!   in order;
//! - no hash-map iteration reaches an output;
//! - crate versions are pinned by `Cargo.lock`.
//!
//! Replicates use independent streams (the replicate number is part of every
//! key, including the synthetic population's). Replicate `r` of two runs with
//! the same seed shares its streams: comparisons between scenarios are paired
//! (common random numbers).

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod cohorts;
pub mod costs;
pub mod engine;
pub mod error;
pub mod metrics;
pub mod model;
pub mod params;
pub mod population;
pub mod record;
pub mod rng;
pub mod run;
mod selection;
pub mod stats;

pub use error::{Error, Result};
pub use model::Livelihood;
pub use params::{Params, Scenario};
