//! Sweep tests: outputs, kill-and-resume, shards and merge, bad input.

use crate::util::migflow;
use std::path::{Path, PathBuf};

use crate::kill::{KillAt, kill_at};

const FINAL_FILES: [&str; 6] = [
    "runs.csv",
    "trajectories.csv",
    "failures.csv",
    "points.csv",
    "points_summary.csv",
    "manifest.json",
];

fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_migflow"))
}

/// A grid sweep of `points` workshop levels × 2 replicates, with
/// `households` households each.
fn write_sweep(dir: &Path, points: usize, households: u64) -> PathBuf {
    let levels: Vec<String> = (0..points)
        .map(|i| format!("{}", i as f64 * 0.01))
        .collect();
    let text = format!(
        "base = \"default\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [{}]\n\
         [[factors]]\npath = \"population.households\"\nlevels = [{households}]\n",
        levels.join(", ")
    );
    let path = dir.join("sweep.toml");
    std::fs::write(&path, text).expect("write sweep");
    path
}

fn assert_same_outputs(a: &Path, b: &Path) {
    for name in FINAL_FILES {
        let x = std::fs::read(a.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", a.join(name).display()));
        let y = std::fs::read(b.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", b.join(name).display()));
        if x != y {
            let diff = crate::util::first_difference(
                &String::from_utf8_lossy(&x),
                &String::from_utf8_lossy(&y),
            );
            panic!(
                "{name} differs between {} and {}: {diff:?}",
                a.display(),
                b.display()
            );
        }
    }
}

fn run_sweep(sweep: &Path, out: &Path, extra: &[&str]) {
    migflow()
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .assert()
        .success();
}

#[test]
fn minimal_sweep_writes_tidy_outputs_with_confidence_intervals() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = write_sweep(tmp.path(), 3, 1000);
    let out = tmp.path().join("out");
    run_sweep(&sweep, &out, &[]);
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 6);
    assert!(runs.starts_with("run_id,point_id,replicate,seed,status,levers.workshops.workshop_jobs_share,population.households,"));
    let traj = std::fs::read_to_string(out.join("trajectories.csv")).unwrap();
    assert_eq!(traj.lines().count(), 1 + 6 * 15 * 6);
    let summary = std::fs::read_to_string(out.join("points_summary.csv")).unwrap();
    assert_eq!(
        summary.lines().next().unwrap(),
        "point_id,levers.workshops.workshop_jobs_share,population.households,year,livelihood,metric,mean,sd,ci95_low,ci95_high,n"
    );
    assert_eq!(summary.lines().count(), 1 + 3 * 15 * 6 * 16);
    // A metric's row has a CI around its mean over 2 replicates (the mean
    // income: a share of 1,000 households can be equal in both).
    let row = summary
        .lines()
        .find(|l| l.contains(",2021,all,mean_income_pc,"))
        .unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    let (mean, lo, hi): (f64, f64, f64) = (
        cells[6].parse().unwrap(),
        cells[8].parse().unwrap(),
        cells[9].parse().unwrap(),
    );
    assert!(lo < mean && mean < hi, "{row}");
    assert_eq!(cells[10], "2");
    // Rows are in run order.
    let ids: Vec<u64> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, (0..6).collect::<Vec<_>>());
    assert!(
        !out.join("stream").exists(),
        "the streamed copies are removed once final"
    );
}

#[test]
fn replicates_share_streams_across_points_and_differ_between_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = write_sweep(tmp.path(), 2, 800);
    let out = tmp.path().join("out");
    run_sweep(&sweep, &out, &[]);
    let traj = std::fs::read_to_string(out.join("trajectories.csv")).unwrap();
    // First-year `all` rows: with no workshop effect in the mean income's
    // first decimals we cannot compare directly, so compare the
    // synthetic populations through `persons`, drawn from the replicate's
    // streams only: the same at both points for a replicate, different
    // between replicates.
    let persons = |run: &str| -> String {
        traj.lines()
            .find(|l| l.starts_with(&format!("{run},")) && l.contains(",2021,all,"))
            .unwrap()
            .split(',')
            .nth(8)
            .unwrap()
            .to_string()
    };
    assert_eq!(persons("0"), persons("2"), "replicate 0 at points 0 and 1");
    assert_eq!(persons("1"), persons("3"), "replicate 1 at points 0 and 1");
    assert_ne!(persons("0"), persons("1"), "replicates 0 and 1 differ");
}

/// Start a sweep of 40 points × 2 replicates (about 2 s on one thread),
/// SIGKILL it `when` (checking that it was killed before it finished and,
/// before the first commit, that nothing was committed), resume it, and
/// compare with an uninterrupted sweep.
fn kill_and_resume(when: KillAt, tag: &str) {
    let (points, replicates) = (40, 2);
    let tmp = tempfile::tempdir().unwrap();
    let sweep = write_sweep(tmp.path(), points, 6000);
    let reference = tmp.path().join("reference");
    run_sweep(&sweep, &reference, &[]);
    let out = tmp.path().join(format!("killed-{tag}"));
    let mut child = std::process::Command::new(bin_path())
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--threads", "1"])
        .spawn()
        .expect("spawn sweep");
    let committed = kill_at(&mut child, &out, "runs.csv", when);
    assert!(
        committed < points * replicates,
        "killed after every run was committed ({committed})"
    );
    for name in FINAL_FILES {
        assert!(
            !out.join(name).exists(),
            "no final {name} before the sweep is complete"
        );
    }
    run_sweep(&sweep, &out, &["--resume"]);
    assert_same_outputs(&reference, &out);
}

#[test]
fn a_sweep_killed_before_its_first_commit_resumes_to_identical_outputs() {
    kill_and_resume(KillAt::BeforeFirstCommit, "early");
}

#[test]
fn a_sweep_killed_after_commits_resumes_to_identical_outputs() {
    kill_and_resume(KillAt::AfterACommit, "committed");
}

#[test]
fn shards_merge_to_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = write_sweep(tmp.path(), 5, 600);
    let whole = tmp.path().join("whole");
    run_sweep(&sweep, &whole, &[]);
    let mut shards = Vec::new();
    for i in 0..4 {
        let dir = tmp.path().join(format!("shard-{i}"));
        run_sweep(&sweep, &dir, &["--shard", &format!("{i}/4")]);
        shards.push(dir);
    }
    let merged = tmp.path().join("merged");
    migflow()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    assert_same_outputs(&whole, &merged);

    // Missing and overlapping shards are refused, naming the runs.
    let missing = migflow()
        .arg("merge")
        .args(&shards[..3])
        .arg("--out")
        .arg(tmp.path().join("m2"))
        .assert()
        .code(2);
    let text = String::from_utf8_lossy(&missing.get_output().stderr).to_string();
    assert!(text.contains("missing") && text.contains("3, 7"), "{text}");
    let overlap = migflow()
        .arg("merge")
        .args(&shards)
        .arg(&shards[1])
        .arg("--out")
        .arg(tmp.path().join("m3"))
        .assert()
        .code(2);
    let text = String::from_utf8_lossy(&overlap.get_output().stderr).to_string();
    assert!(
        text.contains("overlap") && text.contains("runs 1, 5"),
        "{text}"
    );
}

#[test]
fn merge_refuses_shards_of_different_sweeps_naming_the_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write_sweep(tmp.path(), 2, 300);
    run_sweep(&a, &tmp.path().join("a0"), &["--shard", "0/2"]);
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let b = write_sweep(&other, 3, 300);
    run_sweep(&b, &tmp.path().join("b1"), &["--shard", "1/2"]);
    let a_hash = std::fs::read_to_string(tmp.path().join("a0/manifest.json")).unwrap();
    let a_hash = a_hash
        .split("\"sweep_sha256\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let assert = migflow()
        .arg("merge")
        .arg(tmp.path().join("a0"))
        .arg(tmp.path().join("b1"))
        .arg("--out")
        .arg(tmp.path().join("m"))
        .assert()
        .code(2);
    let text = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        text.contains("different sweep") && text.contains(&a_hash),
        "{text}"
    );
}

#[test]
fn a_failing_run_is_recorded_and_the_sweep_goes_on_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "seed = 1\nreplicates = 1\n[design]\nkind = \"grid\"\n\
                [[factors]]\npath = \"population.initial_shares.none\"\nlevels = [0.1, 0.5]\n\
                [[factors]]\npath = \"population.households\"\nlevels = [300]\n";
    let sweep = tmp.path().join("s.toml");
    std::fs::write(&sweep, text).unwrap();
    let out = tmp.path().join("out");
    migflow()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .code(1);
    let failures = std::fs::read_to_string(out.join("failures.csv")).unwrap();
    assert_eq!(failures.lines().count(), 2, "{failures}");
    assert!(failures.contains("population.initial_shares"), "{failures}");
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.lines().nth(1).unwrap().contains(",ok,"));
    assert!(runs.lines().nth(2).unwrap().contains(",failed,"));
}

#[test]
fn a_sweep_whose_timing_file_cannot_be_written_warns_and_exits_0() {
    // Only the results decide the exit code (a Slurm `afterok` merge must
    // still run). A directory in the way of `timing.json` makes its rename
    // fail after the results are committed.
    let tmp = tempfile::tempdir().unwrap();
    let sweep = write_sweep(tmp.path(), 40, 6000);
    let out = tmp.path().join("out");
    let mut child = std::process::Command::new(bin_path())
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--threads", "1"])
        .spawn()
        .expect("spawn sweep");
    kill_at(&mut child, &out, "runs.csv", KillAt::AfterACommit);
    std::fs::create_dir_all(out.join("timing.json").join("in-the-way")).unwrap();
    let output = migflow()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--resume"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("timing.json"),
        "{stderr}"
    );
    assert!(out.join("manifest.json").is_file());
    migflow()
        .arg("report")
        .arg(&out)
        .arg("-o")
        .arg(tmp.path().join("r.html"))
        .assert()
        .success();
}
