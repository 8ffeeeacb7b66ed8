// Records the source tree migflow is built from, for run manifests:
// `git describe --always --dirty --abbrev=40`, so a build from a modified
// tree says so (`…-dirty`).
use std::process::Command;

fn main() {
    let describe = Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=40"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=MIGFLOW_GIT_COMMIT={describe}");
    // Any change to the sources or the index can make the tree dirty or
    // clean again; directories are scanned recursively.
    for path in [
        "../../.git/HEAD",
        "../../.git/index",
        "../../.git/refs",
        "../../crates",
        "../../scenarios",
        "../../Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
