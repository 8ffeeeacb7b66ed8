//! `--set KEY=VALUE`: a scenario key on the command line is the same as in
//! a file, is recorded in the manifest, and a bad one is refused naming it.

use crate::util::{fails_with_2, migflow, succeeds, write_in};

const SMALL: &str = "[population]\nhouseholds = 300\n\n[run]\nyears = 3\n";

#[test]
fn a_key_set_on_the_command_line_gives_the_run_of_the_same_key_in_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let small = write_in(tmp.path(), "small.toml", SMALL);
    let file = write_in(
        tmp.path(),
        "file.toml",
        &format!("{SMALL}[levers.workshops]\nworkshop_jobs_share = 0.25\n"),
    );
    let run = |scenario: &std::path::Path, out: &str, extra: &[&str]| {
        let dir = tmp.path().join(out);
        succeeds(
            migflow()
                .arg("run")
                .arg(scenario)
                .arg("--out")
                .arg(&dir)
                .arg("--quiet")
                .args(extra),
        );
        dir
    };
    let set = run(
        &small,
        "set",
        &["--set", "levers.workshops.workshop_jobs_share=0.25"],
    );
    let in_file = run(&file, "file", &[]);
    let plain = run(&small, "plain", &[]);
    let read = |d: &std::path::Path| std::fs::read(d.join("trajectories.csv")).unwrap();
    assert_eq!(read(&set), read(&in_file));
    assert_ne!(read(&set), read(&plain), "the key changes the run");
    // The manifest's resolved scenario holds the value, so a rerun from it
    // repeats the run.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(set.join("manifest.json")).unwrap()).unwrap();
    let toml = manifest["scenario_toml"].as_str().unwrap();
    assert!(toml.contains("workshop_jobs_share = 0.25"), "{toml}");
    let again = run(&set.join("manifest.json"), "again", &[]);
    assert_eq!(read(&again), read(&set));
}

#[test]
fn a_bad_set_is_refused_naming_the_argument_key_and_value() {
    let tmp = tempfile::tempdir().unwrap();
    let small = write_in(tmp.path(), "small.toml", SMALL);
    for (arg, expected) in [
        ("levers.workshops.workshop_jobs_share=-1", "[0, 1]"),
        ("levers.workshops.no_such=1", "no such scenario key"),
        ("population.households=many", "expected an integer"),
        ("population.households", "KEY=VALUE"),
    ] {
        for command in ["run", "validate"] {
            let mut cmd = migflow();
            cmd.arg(command).arg(&small).args(["--set", arg]);
            if command == "run" {
                cmd.arg("--out").arg(tmp.path().join("out"));
            }
            let err = fails_with_2(&mut cmd);
            assert!(
                err.contains("--set") && err.contains(expected),
                "{command} --set {arg}: {err}"
            );
        }
        assert!(!tmp.path().join("out").exists(), "nothing written");
    }
}
