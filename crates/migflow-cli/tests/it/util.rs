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

/// Run `cmd`, which must exit 2 without a panic; its stderr.
pub fn fails_with_2(cmd: &mut Command) -> String {
    let output = cmd.output().expect("start migflow");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// Run `cmd`, which must succeed; its stdout.
pub fn succeeds(cmd: &mut Command) -> String {
    let output = cmd.output().expect("start migflow");
    assert!(
        output.status.success(),
        "exit {:?}:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A population file of `n` households over 2 sites and 3 villages, every
/// livelihood represented.
pub fn population(n: usize) -> String {
    let mut text = String::from("site,village,ages,skill,land_mu,attachment,state\n");
    let states = ["outbound", "local", "farm", "mixed", "none"];
    for i in 0..n {
        text.push_str(&format!(
            "{},{},{};{};{},0.{},{}.5,0.4,{}\n",
            i % 2,
            i % 3,
            30 + i % 20,
            28 + i % 15,
            i % 12,
            1 + i % 8,
            i % 3,
            states[i % 5]
        ));
    }
    text
}
