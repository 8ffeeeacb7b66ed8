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
//! - [`model`]: pure rules of MODEL.md §3, one module a section.
//! - [`levers`]: the scenario resolved into one year's settings.
//! - [`engine`]: the households and the year loop; parallel phases,
//!   per-site market clearing.
//! - [`simulate`]: replicates of a run.
//! - [`scenario`], [`population`], [`output`]: the edges (files).
//!
//! ## The reproducibility contract
//! The same scenario, seed and replicate count give byte-identical output
//! files whatever the thread count, on every repeat:
//! - every random draw comes from a [`rng::Stream`] keyed by (seed,
//!   replicate, entity, year, purpose), never from an OS-seeded or
//!   thread-local generator, so a draw does not depend on scheduling;
//! - no worker writes shared state; each site's market writes only its own
//!   block of households (the engine keeps households site by site);
//! - floating-point sums are taken over fixed chunks of
//!   [`engine::CHUNK`] households and the chunk sums added in order;
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

pub mod analysis;
pub mod engine;
pub mod error;
pub mod experiment;
pub mod levers;
pub mod model;
pub mod output;
pub mod population;
pub mod record;
pub mod report;
pub mod resources;
pub mod rng;
pub mod runner;
pub mod scenario;
pub mod simulate;

pub use error::{Error, Result};
pub use model::Livelihood;
pub use scenario::{LoadedScenario, Scenario};
