//! Output files: tidy CSV tables, the manifest, and atomic commits (every
//! file is written under a temporary name and renamed into place only when
//! all of them are complete).

pub mod atomic;
pub mod manifest;
mod tables;

pub use atomic::OutputDir;
pub use manifest::{Manifest, read_manifest, sha256_hex};
pub use tables::{
    PANEL_HEADER, SUMMARY_METRICS, format_float, panel_row, summary_rows, write_flows,
    write_summary, write_trajectories,
};
