//! migflow's file layer: scenario and population files read with bounds,
//! tidy CSV tables, manifests, atomic commits (every file is written under
//! a temporary name and renamed into place only when all of them are
//! complete), the memory check, and the results readers, which verify
//! every file against its manifest.
//!
//! One of each mechanism: [`atomic`] writes every output ([`OutputDir`],
//! [`write_file_atomic`]), [`lock`] keeps a second process out of a
//! directory being written ([`DirLock`]), [`journal`] streams resumable work
//! (sweeps, calibrations), and [`csvread`] reads every CSV file with named
//! columns ([`NamedCsv`]); every file read is opened by [`input`] (a regular
//! file, within a size bound).
//!
//! Typed errors for every crate above the core are in [`error`].

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod atomic;
pub mod cohorts;
pub mod columnar;
pub mod costs;
pub mod csvread;
pub mod error;
pub mod files;
pub mod input;
pub mod journal;
pub mod lock;
pub mod manifest;
pub mod resources;
pub mod results;
pub mod staging;
pub mod tables;

pub use atomic::{OutputDir, write_file_atomic};
pub use columnar::TableFormat;
pub use csvread::NamedCsv;
pub use error::{Error, OptionName, Problem, Result};
pub use lock::DirLock;
pub use manifest::{Manifest, read_manifest, sha256_hex};
pub use tables::{
    PANEL_HEADER, SUMMARY_METRICS, TRAJECTORY_HEADER, format_float, group_metric_values, panel_row,
    summary_rows, trajectory_cells, write_flows, write_summary, write_trajectories,
};
