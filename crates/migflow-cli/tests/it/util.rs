//! Helpers shared with the other crates' integration tests.

pub use migflow_testkit::*;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The test hook of `OutputDir::commit` (`migflow_io::atomic::FAULT_ENV`),
/// removed from every command the tests start unless a test sets it.
pub const FAULT_ENV: &str = "MIGFLOW_TEST_COMMIT_FAULT";

/// The migflow binary, as a command.
pub fn migflow() -> Command {
    let mut cmd = Command::cargo_bin("migflow").expect("the migflow binary");
    cmd.env_remove(FAULT_ENV);
    cmd
}

/// The migflow binary, as a command run in `dir`.
pub fn migflow_in(dir: &Path) -> Command {
    let mut cmd = migflow();
    cmd.current_dir(dir);
    cmd
}

/// Write `text` to `path`, making its directory.
pub fn write_at(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write test input");
}

/// Write `text` to `dir/name`; its path.
pub fn write_in(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    write_at(&path, text);
    path
}
