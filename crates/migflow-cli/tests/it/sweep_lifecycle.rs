//! The lifecycle of sweeps and calibrations: the input files a resume
//! checks (population files, a table design, a targets file, also while a
//! sweep runs), finalising and merging only complete sets of runs, a
//! `stream/` that migflow did not make never removed, the cleanup of a
//! finished work's stream completed by the next `--resume`, the final
//! commit switched in as a set, and a damaged finished manifest named.

use crate::util::{migflow, population, write_at as write};
use migflow_experiments::execute::{self, SweepOptions, execute_run};
use migflow_experiments::store::{self, Store};
use migflow_experiments::sweep::SweepPlan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A study directory: `pop.csv`, a scenario `s.toml` reading it, and a
/// grid sweep `sweep.toml` of it (2 points × 2 replicates = 4 runs).
fn study() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    write(&w.join("pop.csv"), &population(60));
    write(
        &w.join("s.toml"),
        "[population]\nfile = \"pop.csv\"\n\n[run]\nyears = 2\n",
    );
    write(
        &w.join("sweep.toml"),
        "base = \"s.toml\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5, 1.5]\n",
    );
    tmp
}

/// Run `migflow ARGS` in `dir`; hand back exit code and stderr.
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = migflow()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("start migflow");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    (out.status.code(), stderr)
}

fn ok_in(dir: &Path, args: &[&str]) {
    let (code, stderr) = run_in(dir, args);
    assert_eq!(code, Some(0), "migflow {args:?} failed:\n{stderr}");
}

/// Run `args`: exit code 2 and an `error:`; hand back stderr.
fn refused_in(dir: &Path, args: &[&str]) -> String {
    let (code, stderr) = run_in(dir, args);
    assert_eq!(code, Some(2), "expected exit 2 from {args:?}:\n{stderr}");
    assert!(stderr.contains("error: "), "{stderr}");
    stderr
}

fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in:\n{text}");
    }
}

fn sha256(bytes: &[u8]) -> String {
    migflow_io::manifest::sha256_hex(bytes)
}

/// The result files of a directory by name (not hidden ones, timings or
/// the state file, which names inputs relative to the directory).
fn results(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !n.starts_with('.')
                && !["timing.json", "sweep.json", "calibration.json"].contains(&n.as_str())
        })
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("read");
            (n, bytes)
        })
        .collect()
}

/// An interrupted sweep in `w/out`: its state and a stream with `runs`
/// committed, as a killed sweep leaves it.
fn interrupted(w: &Path, runs: &[u64]) -> SweepPlan {
    let plan = SweepPlan::load(&w.join("sweep.toml")).expect("plan");
    let mut store = Store::open(&w.join("out"), &plan, None, false).expect("store");
    for &run in runs {
        store.append(&execute_run(&plan, run)).expect("append");
    }
    store.commit().expect("commit");
    plan
}

const SWEEP: [&str; 6] = ["sweep", "sweep.toml", "--out", "out", "-q", "-j"];

fn sweep_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.push("1");
    args.extend(extra);
    args
}

// ------------------------------------------------------------ 1. inputs

#[test]
fn a_resumed_sweep_refuses_a_changed_population_file_naming_it_and_both_hashes() {
    let tmp = study();
    let w = tmp.path();
    interrupted(w, &[0, 1]);
    let state = std::fs::read_to_string(w.join("out/sweep.json")).expect("state");
    let old = sha256(population(60).as_bytes());
    assert_mentions(&state, &["\"path\": \"../pop.csv\"", &old]);
    let changed = population(61);
    write(&w.join("pop.csv"), &changed);
    let err = refused_in(w, &sweep_args(&["--resume"]));
    assert_mentions(
        &err,
        &[
            "pop.csv",
            "the population file changed since this sweep started",
            &old,
            &sha256(changed.as_bytes()),
            "sweep.json",
        ],
    );
    // Restored, the sweep resumes to what an undisturbed sweep writes.
    write(&w.join("pop.csv"), &population(60));
    ok_in(w, &sweep_args(&["--resume"]));
    ok_in(
        w,
        &["sweep", "sweep.toml", "--out", "whole", "-q", "-j", "1"],
    );
    assert_eq!(results(&w.join("out")), results(&w.join("whole")));
}

#[test]
fn a_population_file_changed_while_the_sweep_runs_stops_it_and_commits_no_run_of_it() {
    let tmp = study();
    let w = tmp.path();
    // A factor varying a population key: every run reads the file itself.
    write(
        &w.join("sweep.toml"),
        "base = \"s.toml\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5, 1.5]\n\
         [[factors]]\npath = \"population.households\"\nlevels = [60]\n",
    );
    let plan = SweepPlan::load(&w.join("sweep.toml")).expect("plan");
    let out = w.join("out");
    // The sweep plans its inputs as it opens its directory; the file is
    // then edited before a run reads it.
    plan.planned_inputs(&out.join("sweep.json"));
    write(&w.join("pop.csv"), &population(59));
    let opts = SweepOptions {
        out: out.clone(),
        resume: false,
        shard: None,
        threads: 1,
        cancel: Default::default(),
        format: Default::default(),
    };
    let err = execute::run_sweep(&plan, &opts, &|_, _| {}, &|| {})
        .expect_err("a sweep whose population file changed must stop");
    assert!(
        matches!(err, migflow_io::Error::WorkInputChanged { .. }),
        "{err:?}"
    );
    assert_mentions(
        &err.to_string(),
        &["pop.csv", "changed since this sweep started"],
    );
    let journal = std::fs::read_to_string(out.join("stream/journal")).expect("journal");
    assert_eq!(journal, "", "no run of the changed file is committed");
    assert!(!out.join("manifest.json").exists());
    // The resume refuses the changed file, and finishes once it is restored.
    refused_in(w, &sweep_args(&["--resume"]));
    write(&w.join("pop.csv"), &population(60));
    ok_in(w, &sweep_args(&["--resume"]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).expect("runs");
    assert_eq!(runs.matches(",ok,").count(), 4, "{runs}");
}

#[test]
fn a_resumed_table_sweep_names_its_changed_points_file() {
    let tmp = study();
    let w = tmp.path();
    write(&w.join("points.csv"), "decision.kappa\n0.5\n1.5\n");
    write(
        &w.join("sweep.toml"),
        "base = \"s.toml\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"table\"\nfile = \"points.csv\"\n\
         [[factors]]\npath = \"decision.kappa\"\n",
    );
    interrupted(w, &[0]);
    write(&w.join("points.csv"), "decision.kappa\n0.5\n2.5\n");
    let err = refused_in(w, &sweep_args(&["--resume"]));
    assert_mentions(
        &err,
        &[
            "points.csv",
            "the table design's file changed since this sweep started",
        ],
    );
}

#[test]
fn a_state_file_of_an_older_migflow_is_refused_on_resume_saying_so() {
    let tmp = study();
    let w = tmp.path();
    interrupted(w, &[0]);
    let path = w.join("out/sweep.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
    state.as_object_mut().expect("object").remove("inputs");
    write(&path, &state.to_string());
    let err = refused_in(w, &sweep_args(&["--resume"]));
    assert_mentions(&err, &["older migflow", "cannot resume"]);
}

/// A calibration of the study's scenario with a targets file.
fn calibration(w: &Path) {
    write(
        &w.join("targets.csv"),
        "metric,year,livelihood,value,weight,sd\nemployment_rate,2021,all,0.93,1,0.01\n",
    );
    write(
        &w.join("calib.toml"),
        "base = \"s.toml\"\nseed = 3\nreplicates = 1\nfit_replicates = 1\ntargets_file = \"targets.csv\"\n\
         [[parameters]]\npath = \"economy.p_find_base\"\nmin = 0.3\nmax = 0.95\n",
    );
}

const CALIBRATE: [&str; 10] = [
    "calibrate",
    "calib.toml",
    "--out",
    "cal",
    "--samples",
    "12",
    "-q",
    "-j",
    "1",
    "--resume",
];

#[test]
fn a_resumed_calibration_refuses_a_changed_population_or_targets_file() {
    let tmp = study();
    let w = tmp.path();
    calibration(w);
    ok_in(w, &CALIBRATE[..9]);
    let finished = results(&w.join("cal"));
    let state = std::fs::read_to_string(w.join("cal/calibration.json")).expect("state");
    assert_mentions(&state, &["../pop.csv", "../targets.csv"]);

    let changed = population(61);
    write(&w.join("pop.csv"), &changed);
    let err = refused_in(w, &CALIBRATE);
    assert_mentions(
        &err,
        &[
            "pop.csv",
            "the population file changed since this calibration started",
            &sha256(population(60).as_bytes()),
            &sha256(changed.as_bytes()),
        ],
    );
    write(&w.join("pop.csv"), &population(60));

    let targets = std::fs::read_to_string(w.join("targets.csv")).expect("targets");
    write(&w.join("targets.csv"), &targets.replace("0.93", "0.91"));
    let err = refused_in(w, &CALIBRATE);
    assert_mentions(
        &err,
        &[
            "targets.csv",
            "the targets file changed since this calibration started",
        ],
    );
    write(&w.join("targets.csv"), &targets);
    ok_in(w, &CALIBRATE);
    assert_eq!(results(&w.join("cal")), finished);
}

// ------------------------------------------------ 2. complete sets only

#[test]
fn finalising_refuses_missing_and_repeated_runs_naming_them() {
    let tmp = study();
    let w = tmp.path();
    let out = w.join("out");
    let plan = interrupted(w, &[0, 1]);
    let err = store::finalize(&out, &plan, None, Default::default())
        .expect_err("two of four runs")
        .to_string();
    assert_mentions(
        &err,
        &[
            "2 of the sweep's 4 runs are not committed (runs 2, 3)",
            "--resume",
        ],
    );
    assert!(!out.join("manifest.json").exists());
    // A run committed twice (two writers once shared the directory).
    let mut store = Store::open(&out, &plan, None, true).expect("store");
    for run in [1, 2, 3] {
        store.append(&execute_run(&plan, run)).expect("append");
    }
    store.commit().expect("commit");
    drop(store);
    let err = store::finalize(&out, &plan, None, Default::default())
        .expect_err("run 1 twice")
        .to_string();
    assert_mentions(&err, &["run 1 committed more than once"]);
    assert!(!out.join("manifest.json").exists());
    // A resume runs the repeated run and those after it again, once.
    ok_in(w, &sweep_args(&["--resume"]));
    ok_in(
        w,
        &["sweep", "sweep.toml", "--out", "whole", "-q", "-j", "1"],
    );
    assert_eq!(results(&out), results(&w.join("whole")));
}

/// Two shards of the study's sweep, in `shard0` and `shard1`.
fn shards(w: &Path) {
    for i in ["0", "1"] {
        let dir = format!("shard{i}");
        let shard = format!("{i}/2");
        ok_in(
            w,
            &[
                "sweep",
                "sweep.toml",
                "--out",
                &dir,
                "--shard",
                &shard,
                "-q",
                "-j",
                "1",
            ],
        );
    }
}

#[test]
fn merge_names_a_run_beyond_the_sweep_as_such() {
    let tmp = study();
    let w = tmp.path();
    shards(w);
    let path = w.join("shard1/manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("json");
    m["run_status"]
        .as_array_mut()
        .expect("runs")
        .push(serde_json::json!([1234, "ok"]));
    write(&path, &serde_json::to_string_pretty(&m).expect("json"));
    let err = refused_in(w, &["merge", "shard0", "shard1", "--out", "merged"]);
    // Named as a run beyond the sweep (by the merge, or by the manifest
    // reader before it), never as an overlap.
    assert!(
        err.contains("run 1234 is beyond the sweep's 4 runs")
            || err.contains("records run 1234 in `run_status`, but the sweep has runs 0 to 3"),
        "{err}"
    );
    assert!(!err.contains("overlap"), "{err}");
}

// --------------------------------------------- 3. not migflow's stream/

#[test]
fn a_users_stream_folder_is_refused_and_kept() {
    let tmp = study();
    let w = tmp.path();
    calibration(w);
    for (args, out) in [(sweep_args(&[]), "out"), (CALIBRATE[..9].to_vec(), "cal")] {
        let notes = w.join(out).join("stream/notes.txt");
        write(&notes, "my notes");
        let err = refused_in(w, &args);
        assert_mentions(&err, &["stream/"]);
        assert_eq!(std::fs::read_to_string(&notes).expect("kept"), "my notes");
        // Beside migflow's own file names too.
        write(&w.join(out).join("stream/journal"), "mine");
        refused_in(w, &args);
        assert!(notes.exists());
        assert_eq!(
            std::fs::read_to_string(w.join(out).join("stream/journal")).expect("kept"),
            "mine"
        );
    }
}

// ------------------------------------------ 4. cleanup on the next resume

#[test]
fn a_finished_sweeps_stream_left_by_a_kill_is_removed_by_the_next_resume() {
    let tmp = study();
    let w = tmp.path();
    ok_in(w, &sweep_args(&[]));
    let finished = results(&w.join("out"));
    // What a kill while the stream was being removed leaves.
    write(
        &w.join("out/stream/trajectories.csv"),
        "run_id,point_id\n0,",
    );
    write(&w.join("out/stream/journal"), "0\tok\t12\t30\t");
    ok_in(w, &sweep_args(&["--resume"]));
    assert!(!w.join("out/stream").exists(), "the leftovers are removed");
    assert_eq!(results(&w.join("out")), finished);
}

#[test]
fn a_finished_calibrations_stream_left_by_a_kill_is_removed_by_the_next_resume() {
    let tmp = study();
    let w = tmp.path();
    calibration(w);
    ok_in(w, &CALIBRATE[..9]);
    let finished = results(&w.join("cal"));
    // The data file gone first, the journal left.
    write(
        &w.join("cal/stream/journal"),
        "0\t0\t80\t0123456789abcdef\n",
    );
    ok_in(w, &CALIBRATE);
    assert!(!w.join("cal/stream").exists(), "the leftovers are removed");
    assert_eq!(results(&w.join("cal")), finished);
}

// --------------------------------------------------- 5. the set commit

#[test]
fn a_sweeps_final_commit_and_a_merge_are_switched_in_as_a_set() {
    let tmp = study();
    let w = tmp.path();
    let fault = migflow_io::atomic::FAULT_ENV;
    // Stopped after its second rename, a sweep's directory is marked.
    let out = migflow()
        .current_dir(w)
        .args(sweep_args(&[]))
        .env(fault, "abort:2")
        .output()
        .expect("start");
    assert!(!out.status.success());
    let marker = std::fs::read_to_string(w.join("out/manifest.json")).expect("marker");
    assert!(
        marker.contains(migflow_io::manifest::INCOMPLETE_KEY),
        "{marker}"
    );
    assert!(store::read_sweep_manifest(&w.join("out")).is_err());
    ok_in(w, &sweep_args(&["--resume"]));
    ok_in(
        w,
        &["sweep", "sweep.toml", "--out", "whole", "-q", "-j", "1"],
    );
    assert_eq!(results(&w.join("out")), results(&w.join("whole")));

    // A merge over an earlier merge, stopped half-way, leaves no old
    // manifest beside new files.
    shards(w);
    ok_in(w, &["merge", "shard0", "shard1", "--out", "merged"]);
    let out = migflow()
        .current_dir(w)
        .args(["merge", "shard0", "shard1", "--out", "merged"])
        .env(fault, "abort:2")
        .output()
        .expect("start");
    assert!(!out.status.success());
    assert!(store::read_sweep_manifest(&w.join("merged")).is_err());
    ok_in(w, &["merge", "shard0", "shard1", "--out", "merged"]);
    assert_eq!(results(&w.join("merged")), results(&w.join("whole")));
}

// ------------------------------------------- 6. a damaged finished manifest

#[test]
fn a_damaged_manifest_of_a_finished_sweep_is_named_on_resume() {
    let tmp = study();
    let w = tmp.path();
    ok_in(w, &sweep_args(&[]));
    let finished = results(&w.join("out"));
    let path: PathBuf = w.join("out/manifest.json");
    let text = std::fs::read_to_string(&path).expect("manifest");
    write(&path, &text[..text.len() / 2]);
    let err = refused_in(w, &sweep_args(&["--resume"]));
    assert_mentions(
        &err,
        &[
            "manifest.json",
            "damaged",
            "EOF while parsing",
            "Restore manifest.json",
        ],
    );
    assert!(!err.contains("stream/journal"), "{err}");
    // Removed, the resume runs the sweep again, to the same results.
    std::fs::remove_file(&path).expect("remove");
    ok_in(w, &sweep_args(&["--resume"]));
    assert_eq!(results(&w.join("out")), finished);
}
