// Records the source tree the module is built from, for run manifests, as
// the CLI's build script does: `git describe --always --dirty --abbrev=40`.
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
    for path in [
        "../../.git/HEAD",
        "../../.git/index",
        "../../.git/refs",
        "../../crates",
        "../../scenarios",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
