//! Output files: tidy CSV tables, the manifest, and atomic commits (every
//! file is written under a temporary name and renamed into place only when
//! all of them are complete).

pub mod atomic;
pub mod manifest;
pub mod tables;

pub use atomic::OutputDir;
pub use manifest::{Manifest, read_manifest, sha256_hex};
pub use tables::{
    PANEL_HEADER, SUMMARY_METRICS, TRAJECTORY_HEADER, format_float, group_metric_values, panel_row,
    summarize, summary_rows, trajectory_cells, write_flows, write_summary, write_trajectories,
};
