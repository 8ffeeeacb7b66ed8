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

#[test]
fn a_sweep_sets_its_base_scenario_and_refuses_a_key_a_factor_varies() {
    let tmp = tempfile::tempdir().unwrap();
    write_in(tmp.path(), "small.toml", SMALL);
    let sweep = write_in(
        tmp.path(),
        "sweep.toml",
        "base = \"small.toml\"\nseed = 2\nreplicates = 1\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [0.0, 0.1]\n",
    );
    let out = tmp.path().join("sw");
    succeeds(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .args(["--set", "run.years=2"]),
    );
    let text = std::fs::read_to_string(out.join("trajectories.csv")).unwrap();
    let years: std::collections::BTreeSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4))
        .collect();
    assert_eq!(years.len(), 2, "{years:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["base_scenario_toml"]
            .as_str()
            .unwrap()
            .contains("years = 2")
    );
    // Resuming without the same --set is another sweep: refused.
    let err = fails_with_2(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .arg("--resume"),
    );
    assert!(err.contains("different sweep"), "{err}");
    let err = fails_with_2(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(tmp.path().join("other"))
            .args(["--set", "levers.workshops.workshop_jobs_share=0.2"]),
    );
    assert!(
        err.contains("--set levers.workshops.workshop_jobs_share"),
        "{err}"
    );
}
