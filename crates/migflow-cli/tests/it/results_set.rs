//! results_set tests: a results directory holds one run's whole file set.
//! A run replaces the set it finds (files it does not write again go),
//! refuses a directory with files migflow did not write (unless `--force`)
//! and never writes over a sweep, a calibration or an input; readers read
//! only the files the manifest lists; a commit stopped between two renames
//! leaves a set every reader refuses; a rerun checks what it depends on.

use crate::util::{FAULT_ENV, migflow_in as migflow, population, write_at as write};
use std::collections::BTreeMap;
use std::path::Path;

/// A small scenario: 200 households, 3 years.
const SMALL: &str = "[population]\nhouseholds = 200\n\n[run]\nyears = 3\n";

fn ok(dir: &Path, args: &[&str]) {
    let out = migflow(dir).args(args).output().expect("start migflow");
    assert!(
        out.status.success(),
        "`migflow {}` failed ({:?}):\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run `args`, which must exit 2 with an error message and no panic;
/// return stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = migflow(dir).args(args).output().expect("start migflow");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "`migflow {}`: expected exit code 2, stderr:\n{stderr}",
        args.join(" ")
    );
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    assert!(stderr.starts_with("error:"), "no error message:\n{stderr}");
    stderr
}

/// The names in `dir` that are not hidden (migflow's lock and staged
/// files start with '.'), sorted.
fn final_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Every file of `dir` (not hidden) and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    final_names(dir)
        .into_iter()
        .filter(|n| dir.join(n).is_file())
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("read");
            (n, bytes)
        })
        .collect()
}

fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

/// The files `dir/manifest.json` lists, sorted.
fn listed(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = manifest(dir)["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

fn sha256_hex(bytes: &[u8]) -> String {
    migflow_io::manifest::sha256_hex(bytes)
}

#[test]
fn a_run_into_a_run_directory_replaces_its_whole_file_set() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("s.toml"), SMALL);
    ok(
        w,
        &[
            "run",
            "s.toml",
            "-o",
            "x",
            "-r",
            "3",
            "--households-out",
            "-q",
        ],
    );
    assert!(w.join("x/summary.csv").exists() && w.join("x/households.csv").exists());
    ok(
        w,
        &["run", "s.toml", "-o", "x", "-r", "1", "--seed", "9", "-q"],
    );
    let x = w.join("x");
    assert_eq!(
        final_names(&x),
        [
            "cohorts.csv",
            "costs.csv",
            "flows.csv",
            "manifest.json",
            "trajectories.csv"
        ],
        "the first run's summary.csv and households.csv must go with its set"
    );
    assert_eq!(
        listed(&x),
        ["cohorts.csv", "costs.csv", "flows.csv", "trajectories.csv"]
    );
    // The same as a run into a new directory.
    ok(
        w,
        &[
            "run", "s.toml", "-o", "fresh", "-r", "1", "--seed", "9", "-q",
        ],
    );
    for name in ["trajectories.csv", "flows.csv"] {
        assert!(
            std::fs::read(x.join(name)).ok() == std::fs::read(w.join("fresh").join(name)).ok(),
            "{name} differs from a run into a new directory"
        );
    }
    ok(w, &["report", "x", "-o", "r.html"]);
    // The report is the new run's: one replicate, no interval of the old
    // run's summary.csv, no income chart from its panel.
    let html = std::fs::read_to_string(w.join("r.html")).expect("report");
    assert!(
        html.contains("One replicate") && !html.contains("95% CI"),
        "the report shows intervals of the replaced run"
    );
    assert!(
        html.contains("income distributions skipped"),
        "the report draws incomes from the replaced run's panel"
    );
}

#[test]
fn readers_read_only_the_files_the_manifest_lists() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("s.toml"), SMALL);
    ok(
        w,
        &[
            "run",
            "s.toml",
            "-o",
            "x",
            "-r",
            "3",
            "--households-out",
            "-q",
        ],
    );

    // Deleting a file's entry does not get an edited file past the check.
    let mut m = manifest(&w.join("x"));
    m["files"]
        .as_array_mut()
        .expect("files")
        .retain(|f| f["name"] != "summary.csv");
    write(
        &w.join("x/manifest.json"),
        &serde_json::to_string_pretty(&m).expect("json"),
    );
    let summary = std::fs::read_to_string(w.join("x/summary.csv")).expect("summary");
    write(&w.join("x/summary.csv"), &summary.replace(",3\n", ",2\n"));
    for args in [
        &["report", "x", "-o", "r.html"][..],
        &["plot", "x", "-o", "charts"][..],
    ] {
        let err = fails(w, args);
        assert!(
            err.contains("summary.csv") && err.contains("not listed"),
            "`{}`: {err}",
            args.join(" ")
        );
    }
    assert!(!w.join("r.html").exists());

    // A panel beside a run that wrote none is not read as its panel.
    ok(w, &["run", "s.toml", "-o", "y", "-r", "1", "-q"]);
    std::fs::copy(w.join("x/households.csv"), w.join("y/households.csv")).expect("copy");
    let err = fails(w, &["plot", "y", "-o", "charts"]);
    assert!(
        err.contains("households.csv") && err.contains("not listed"),
        "{err}"
    );

    // A file the manifest lists must be there.
    ok(w, &["run", "s.toml", "-o", "z", "-r", "2", "-q"]);
    std::fs::remove_file(w.join("z/summary.csv")).expect("rm");
    let err = fails(w, &["report", "z", "-o", "r.html"]);
    assert!(
        err.contains("summary.csv") && err.contains("missing"),
        "{err}"
    );
}

#[test]
fn a_directory_holding_other_files_is_refused_unless_forced() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("s.toml"), SMALL);
    write(&w.join("x/notes.txt"), "mine\n");
    std::fs::create_dir_all(w.join("x/figures")).expect("mkdir");
    let err = fails(w, &["run", "s.toml", "-o", "x", "-q"]);
    assert!(
        err.contains("notes.txt") && err.contains("figures") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(final_names(&w.join("x")), ["figures", "notes.txt"]);

    ok(w, &["run", "s.toml", "-o", "x", "-q", "--force"]);
    assert_eq!(
        final_names(&w.join("x")),
        [
            "cohorts.csv",
            "costs.csv",
            "figures",
            "flows.csv",
            "manifest.json",
            "notes.txt",
            "trajectories.csv"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(w.join("x/notes.txt")).expect("notes"),
        "mine\n"
    );
    // The user's files are still not migflow's.
    let err = fails(w, &["run", "s.toml", "-o", "x", "-q", "-r", "2"]);
    assert!(err.contains("notes.txt"), "{err}");
    ok(w, &["report", "x", "-o", "r.html"]);

    let help = migflow(w).args(["run", "--help"]).output().expect("help");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--force"));
}

#[test]
fn results_nested_in_a_run_directory_are_kept_and_not_refused() {
    // The README's quick start: a run into results/, one into
    // results/workshops, then the first again; and a sweep nested too.
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("s.toml"), SMALL);
    write(
        &w.join("sw.toml"),
        "base = \"s.toml\"\nreplicates = 1\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5]\n",
    );
    ok(w, &["run", "s.toml", "-o", "results", "-q"]);
    ok(
        w,
        &["run", "s.toml", "-o", "results/workshops", "-q", "-r", "2"],
    );
    ok(w, &["sweep", "sw.toml", "-o", "results/sweep", "-q"]);
    let nested = snapshot(&w.join("results/workshops"));
    ok(w, &["run", "s.toml", "-o", "results", "-q", "-r", "3"]);
    assert_eq!(snapshot(&w.join("results/workshops")), nested);
    assert!(w.join("results/sweep/manifest.json").is_file());
    assert!(w.join("results/summary.csv").is_file());
    ok(w, &["report", "results", "-o", "r.html"]);
    // A directory that is not migflow results is still refused.
    std::fs::create_dir_all(w.join("results/mine")).expect("mkdir");
    let err = fails(w, &["run", "s.toml", "-o", "results", "-q"]);
    assert!(err.contains("mine/"), "{err}");
}

#[test]
fn a_run_never_writes_over_a_sweep_a_calibration_or_an_input() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("s.toml"), SMALL);
    write(
        &w.join("sweep.toml"),
        "base = \"s.toml\"\nseed = 1\nreplicates = 1\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [0.0, 0.1]\n",
    );
    ok(w, &["sweep", "sweep.toml", "--out", "sw", "-q"]);
    let before = snapshot(&w.join("sw"));
    for extra in [&[][..], &["--force"][..]] {
        let args = [&["run", "s.toml", "-o", "sw", "-q"][..], extra].concat();
        let err = fails(w, &args);
        assert!(err.contains("sweep"), "{err}");
    }
    assert!(snapshot(&w.join("sw")) == before, "the sweep changed");

    // A calibration (its state file).
    write(&w.join("cal/calibration.json"), "{}\n");
    let err = fails(w, &["run", "s.toml", "-o", "cal", "-q", "--force"]);
    assert!(err.contains("calibration"), "{err}");
    assert_eq!(final_names(&w.join("cal")), ["calibration.json"]);

    // A population file inside --out under the name of an output.
    let pop = population(40);
    write(&w.join("p/households.csv"), &pop);
    write(
        &w.join("ps.toml"),
        "[population]\nfile = \"p/households.csv\"\n\n[run]\nyears = 3\n",
    );
    let err = fails(
        w,
        &[
            "run",
            "ps.toml",
            "-o",
            "p",
            "--households-out",
            "--force",
            "-q",
        ],
    );
    assert!(err.contains("households.csv"), "{err}");
    assert_eq!(
        std::fs::read_to_string(w.join("p/households.csv")).expect("pop"),
        pop
    );

    // The manifest a rerun reads, as its output.
    ok(w, &["run", "s.toml", "-o", "x", "-q"]);
    let before = snapshot(&w.join("x"));
    for extra in [&[][..], &["--force"][..]] {
        let args = [&["run", "x/manifest.json", "-o", "x", "-q"][..], extra].concat();
        let err = fails(w, &args);
        assert!(err.contains("manifest.json"), "{err}");
    }
    // A report written over a results file.
    for target in ["x/manifest.json", "x/trajectories.csv", "sw/manifest.json"] {
        let err = fails(w, &["report", "x", "-o", target]);
        assert!(
            err.contains(target.rsplit('/').next().unwrap_or(target)),
            "{err}"
        );
    }
    assert!(snapshot(&w.join("x")) == before, "the run's files changed");
    ok(w, &["report", "x", "-o", "x/report.html"]);
}

/// Whether the reader commands refuse `dir` with exit 2, naming an
/// interrupted write.
fn assert_readers_refuse_interrupted(w: &Path, dir: &str) {
    let manifest = format!("{dir}/manifest.json");
    for args in [
        &["report", dir, "-o", "r.html"][..],
        &["plot", dir, "-o", "charts"][..],
        &["compare", dir, dir, "-o", "cmp"][..],
        &["run", &manifest, "-o", "again", "-q"][..],
    ] {
        let err = fails(w, args);
        assert!(
            err.contains("interrupted"),
            "`{}` on an interrupted set: {err}",
            args.join(" ")
        );
    }
}

/// Every file `dir/manifest.json` lists has the hash it records.
fn listed_files_match(dir: &Path) -> Result<(), String> {
    let m = manifest(dir);
    for f in m["files"].as_array().expect("files") {
        let name = f["name"].as_str().expect("name");
        let bytes = std::fs::read(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
        if sha256_hex(&bytes) != f["sha256"] {
            return Err(format!("{name} is not the file the manifest lists"));
        }
    }
    Ok(())
}

#[test]
fn a_commit_stopped_between_two_renames_leaves_a_set_that_readers_refuse() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("s.toml"), SMALL);
    // The new set: trajectories.csv, flows.csv, then manifest.json — three
    // renames; stop after the first and after the second.
    for n in 1..=2 {
        ok(
            w,
            &[
                "run",
                "s.toml",
                "-o",
                "x",
                "-r",
                "3",
                "--households-out",
                "-q",
            ],
        );
        let out = migflow(w)
            .args(["run", "s.toml", "-o", "x", "-r", "1", "--seed", "9", "-q"])
            .env(FAULT_ENV, format!("abort:{n}"))
            .output()
            .expect("start migflow");
        assert!(!out.status.success(), "abort:{n}: the run was not stopped");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(out.status.signal(), Some(6), "abort:{n}: {:?}", out.status);
        }
        let x = w.join("x");
        let m = manifest(&x);
        if m.get("scenario_toml").is_some() {
            // The old manifest: then its files must all be the old ones.
            if let Err(e) = listed_files_match(&x) {
                panic!("abort:{n}: new files beside the old manifest: {e}");
            }
        }
        assert_readers_refuse_interrupted(w, "x");
        // A run into it replaces it whole, without --force.
        ok(
            w,
            &["run", "s.toml", "-o", "x", "-r", "1", "--seed", "9", "-q"],
        );
        assert_eq!(
            final_names(&x),
            [
                "cohorts.csv",
                "costs.csv",
                "flows.csv",
                "manifest.json",
                "trajectories.csv"
            ]
        );
        listed_files_match(&x).expect("a complete set");
        ok(w, &["report", "x", "-o", "r.html"]);
    }

    // Into a new directory: no file of the set under its final name beside
    // nothing that marks it incomplete.
    let out = migflow(w)
        .args(["run", "s.toml", "-o", "new", "-q"])
        .env(FAULT_ENV, "abort:1")
        .output()
        .expect("start migflow");
    assert!(!out.status.success());
    assert!(
        w.join("new/manifest.json").exists(),
        "files without a manifest: {:?}",
        final_names(&w.join("new"))
    );
    assert_readers_refuse_interrupted(w, "new");
    ok(w, &["run", "s.toml", "-o", "new", "-q"]);
    listed_files_match(&w.join("new")).expect("a complete set");

    // A rename that fails: an error naming the file, and in a new directory
    // nothing left under a final name.
    let out = migflow(w)
        .args(["run", "s.toml", "-o", "failed", "-q"])
        .env(FAULT_ENV, "fail:2")
        .output()
        .expect("start migflow");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("flows.csv"), "{err}");
    assert_eq!(final_names(&w.join("failed")), Vec::<String>::new());
}

#[test]
fn a_rerun_refuses_a_changed_population_file_or_an_edited_scenario() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    let pop = population(60);
    write(&w.join("data/pop.csv"), &pop);
    write(
        &w.join("scenario.toml"),
        "[population]\nfile = \"data/pop.csv\"\n\n[run]\nyears = 3\n",
    );
    ok(w, &["run", "scenario.toml", "-o", "results", "-q"]);
    let recorded = sha256_hex(pop.as_bytes());
    assert_eq!(
        manifest(&w.join("results"))["population_file"]["sha256"],
        recorded.as_str()
    );

    let changed = pop.replacen(",outbound\n", ",farm\n", 1);
    write(&w.join("data/pop.csv"), &changed);
    let err = fails(w, &["run", "results/manifest.json", "-o", "again", "-q"]);
    assert!(
        err.contains("pop.csv")
            && err.contains(&recorded)
            && err.contains(&sha256_hex(changed.as_bytes())),
        "{err}"
    );
    assert!(!w.join("again/manifest.json").exists());
    write(&w.join("data/pop.csv"), &pop);
    ok(w, &["run", "results/manifest.json", "-o", "again", "-q"]);

    // An edited scenario_toml.
    let mut m = manifest(&w.join("results"));
    let toml = m["scenario_toml"].as_str().expect("toml").to_string();
    assert!(toml.contains("start_year = 2021"), "{toml}");
    m["scenario_toml"] = toml
        .replace("start_year = 2021", "start_year = 2022")
        .into();
    write(
        &w.join("results/manifest.json"),
        &serde_json::to_string_pretty(&m).expect("json"),
    );
    let err = fails(w, &["run", "results/manifest.json", "-o", "edited", "-q"]);
    assert!(
        err.contains("scenario_toml") && err.contains("scenario_sha256"),
        "{err}"
    );
    assert!(!w.join("edited/manifest.json").exists());
}

#[test]
fn a_moved_study_directory_reruns_byte_identically() {
    let t = tempfile::tempdir().expect("tmp");
    let w = t.path();
    write(&w.join("study/data/pop.csv"), &population(50));
    write(
        &w.join("study/scenario.toml"),
        "[population]\nfile = \"data/pop.csv\"\n\n[run]\nyears = 3\n",
    );
    ok(
        w,
        &[
            "run",
            "study/scenario.toml",
            "-o",
            "study/results",
            "-r",
            "2",
            "--households-out",
            "-q",
        ],
    );
    let m = manifest(&w.join("study/results"));
    assert_eq!(m["population_file"]["name"], "../data/pop.csv");
    assert!(
        m["scenario_toml"]
            .as_str()
            .is_some_and(|t| t.contains("file = \"../data/pop.csv\"")),
        "{m}"
    );
    std::fs::rename(w.join("study"), w.join("moved")).expect("move the study");
    ok(
        w,
        &[
            "run",
            "moved/results/manifest.json",
            "-o",
            "moved/again",
            "--households-out",
            "-q",
        ],
    );
    let a = snapshot(&w.join("moved/results"));
    let b = snapshot(&w.join("moved/again"));
    for name in [
        "trajectories.csv",
        "flows.csv",
        "summary.csv",
        "households.csv",
    ] {
        assert!(a.contains_key(name), "{name} missing");
        assert!(a.get(name) == b.get(name), "{name} differs after the move");
    }
}
