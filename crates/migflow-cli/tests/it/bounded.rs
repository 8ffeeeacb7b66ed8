//! Bounded reads and allocations: every file migflow reads is a regular
//! file within a size bound, and every count read from a file is checked
//! before it sizes an allocation. Each command runs under a 4 GB address
//! space limit and a 60 s timeout, so that an unbounded read fails the test
//! instead of the machine.

#![cfg(target_os = "linux")]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `migflow ARGS` in `dir`, within 4 GB of address space and 60 s.
fn migflow(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 4000000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_migflow"))
        .args(args)
        .current_dir(dir)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("start migflow")
}

/// The stderr of a command that must exit 2 with an error, no panic.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = migflow(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: expected exit 2 (a timeout or a signal has none):\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && stderr.trim_start().starts_with("error:"),
        "{args:?}:\n{stderr}"
    );
    stderr
}

fn ok(dir: &Path, args: &[&str]) {
    let out = migflow(dir, args);
    assert!(
        out.status.success(),
        "{args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success());
}

const SWEEP: &str = "base = \"default\"\nseed = 3\nreplicates = 1\n[design]\nkind = \"grid\"\n\
    [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [0.0, 0.02]\n\
    [[factors]]\npath = \"population.households\"\nlevels = [200]\n";

/// Replace `"key": old,` by `"key": new,` in a manifest.
fn set_count(manifest: &Path, key: &str, new: &str) {
    let text = std::fs::read_to_string(manifest).expect("manifest");
    let start = text.find(&format!("\"{key}\": ")).expect("key") + key.len() + 4;
    let end = start + text[start..].find(',').expect("comma");
    std::fs::write(manifest, format!("{}{new}{}", &text[..start], &text[end..])).expect("write");
}

#[test]
fn merge_refuses_shard_manifests_whose_counts_exceed_a_sweeps_limits() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(dir, "sweep.toml", SWEEP);
    for i in 0..2 {
        ok(
            dir,
            &[
                "sweep",
                "sweep.toml",
                "--out",
                &format!("s{i}"),
                "--quiet",
                "--shard",
                &format!("{i}/2"),
            ],
        );
    }
    ok(dir, &["merge", "s0", "s1", "--out", "whole"]);
    for (key, value, says) in [
        // Sized `vec![false; runs]`: a capacity overflow before the fix.
        (
            "runs",
            "18446744073709551615",
            "records 18446744073709551615 runs",
        ),
        ("runs", "100000001", "a sweep has 1 to 100000000"),
        ("runs", "3", "records 3 runs, but 2 points × 1 replicates"),
        ("points", "99999999999", "records 99999999999 points"),
        ("completed", "7", "completed"),
    ] {
        let case = tempfile::tempdir().expect("case");
        for i in 0..2 {
            let from = dir.join(format!("s{i}"));
            let to = case.path().join(format!("s{i}"));
            std::fs::create_dir(&to).expect("dir");
            for e in std::fs::read_dir(&from).expect("list") {
                let e = e.expect("entry");
                std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
            }
        }
        set_count(&case.path().join("s0/manifest.json"), key, value);
        let err = refused(case.path(), &["merge", "s0", "s1", "--out", "m"]);
        assert!(
            err.contains("s0/manifest.json") && err.contains(says),
            "{key}: {err}"
        );
        assert!(!case.path().join("m/manifest.json").exists());
    }
    // A run number beyond the sweep is named as such, not as an overlap.
    let manifest = dir.join("s1/manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replacen("\n      1,\n", "\n      5,\n", 1)).expect("write");
    let err = refused(dir, &["merge", "s0", "s1", "--out", "m2"]);
    assert!(
        err.contains("records run 5") && !err.contains("overlap"),
        "{err}"
    );
}

#[test]
fn a_table_design_or_a_targets_file_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    mkfifo(&dir.join("fifo.csv"));
    for (file, what) in [("/dev/zero", "a character device"), ("fifo.csv", "a FIFO")] {
        write(
            dir,
            "table.toml",
            &format!(
                "replicates = 1\n[design]\nkind = \"table\"\nfile = \"{file}\"\n\
                 [[factors]]\npath = \"decision.kappa\"\n"
            ),
        );
        let err = refused(dir, &["sweep", "table.toml", "--dry-run", "--out", "t"]);
        assert!(
            err.contains(file) && err.contains(what) && err.contains("not a regular file"),
            "{err}"
        );
        write(
            dir,
            "base.toml",
            "[population]\nhouseholds = 300\n[run]\nyears = 1\n",
        );
        write(
            dir,
            "calib.toml",
            &format!(
                "base = \"base.toml\"\nseed = 3\nreplicates = 1\ntargets_file = \"{file}\"\n\
                 [[parameters]]\npath = \"decision.alpha_none\"\nmin = -2.0\nmax = 0.0\n"
            ),
        );
        for args in [
            &["validate", "calib.toml"][..],
            &["calibrate", "calib.toml", "--out", "c", "--quiet"][..],
        ] {
            let err = refused(dir, args);
            assert!(
                err.contains(file) && err.contains(what) && err.contains("expected a CSV table"),
                "{err}"
            );
        }
        // A scenario file too.
        let err = refused(dir, &["validate", file]);
        assert!(err.contains(what), "{err}");
    }
}

#[test]
fn a_results_file_listed_in_the_manifest_that_is_a_device_or_a_fifo_is_refused_not_hashed_forever()
{
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(
        dir,
        "s.toml",
        "[population]\nhouseholds = 200\n[run]\nyears = 2\n",
    );
    ok(dir, &["run", "s.toml", "--out", "r", "--quiet"]);
    let flows = dir.join("r/flows.csv");
    std::fs::remove_file(&flows).expect("remove");
    std::os::unix::fs::symlink("/dev/zero", &flows).expect("symlink");
    for args in [
        &["plot", "r"][..],
        &["report", "r", "--out", "rep.html"][..],
    ] {
        let err = refused(dir, args);
        assert!(
            err.contains("flows.csv") && err.contains("a character device"),
            "{args:?}: {err}"
        );
    }
    std::fs::remove_file(&flows).expect("remove");
    mkfifo(&flows);
    let err = refused(dir, &["plot", "r"]);
    assert!(err.contains("flows.csv") && err.contains("a FIFO"), "{err}");
}

#[test]
fn a_manifest_that_is_a_device_is_refused_not_read_until_memory_runs_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("z")).expect("dir");
    std::os::unix::fs::symlink("/dev/zero", dir.join("z/manifest.json")).expect("symlink");
    let err = refused(dir, &["run", "z/manifest.json", "--out", "r"]);
    assert!(
        err.contains("z/manifest.json") && err.contains("a character device"),
        "{err}"
    );
    for args in [&["plot", "z"][..], &["sensitivity", "z"][..]] {
        let err = refused(dir, args);
        assert!(err.contains("a character device"), "{args:?}: {err}");
    }
    // A manifest.json that is a directory.
    std::fs::remove_file(dir.join("z/manifest.json")).expect("remove");
    std::fs::create_dir(dir.join("z/manifest.json")).expect("dir");
    let err = refused(dir, &["run", "z/manifest.json", "--out", "r"]);
    assert!(err.contains("is a directory, not a regular file"), "{err}");
}

#[test]
fn a_bad_targets_value_names_its_row_column_value_and_what_was_expected() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    write(
        dir,
        "base.toml",
        "[population]\nhouseholds = 300\n[run]\nyears = 1\n",
    );
    write(
        dir,
        "calib.toml",
        "base = \"base.toml\"\nseed = 3\nreplicates = 1\ntargets_file = \"targets.csv\"\n\
         [[parameters]]\npath = \"decision.alpha_none\"\nmin = -2.0\nmax = 0.0\n",
    );
    for (row, column, value, expected) in [
        (
            "poor_share,2021,1e400,0.01,1",
            "value",
            "1e400",
            "a finite number",
        ),
        (
            "poor_share,2021,lots,0.01,1",
            "value",
            "lots",
            "a finite number",
        ),
        (
            "poor_share,2021,0.1,nan,1",
            "sd",
            "nan",
            "a finite number above 0",
        ),
        (
            "poor_share,2021,0.1,0.01,inf",
            "weight",
            "inf",
            "a finite number, 0 or more",
        ),
        ("poor_share,20x1,0.1,0.01,1", "year", "20x1", "a year"),
    ] {
        write(
            dir,
            "targets.csv",
            &format!("metric,year,value,sd,weight\npoor_share,2021,0.1,0.01,1\n{row}\n"),
        );
        let err = refused(dir, &["validate", "calib.toml"]);
        assert!(
            err.contains("targets.csv")
                && err.contains(&format!(
                    "row 2, column `{column}`: found \"{value}\", expected {expected}"
                )),
            "{err}"
        );
    }
}
