//! output_paths tests: where migflow may write. A final path that is a
//! device, a FIFO or a directory is never replaced; `merge --out` is
//! checked as a run's `--out` is (never a shard, a run, a calibration,
//! another sweep, or files migflow did not write; an earlier merge of the
//! same sweep is replaced as a set); charts, comparisons and sensitivity
//! analyses are never written into a results directory; and nothing made
//! from results writes over an input they record.

use crate::util::{migflow_in as migflow, write_at as write};
use std::collections::BTreeMap;
use std::path::Path;

/// A small scenario: 200 households, 3 years.
const SMALL: &str = "[population]\nhouseholds = 200\n\n[run]\nyears = 3\n";

/// A sweep of two runs of the small scenario.
const SWEEP: &str = "base = \"small.toml\"\nseed = 3\nreplicates = 1\n[design]\nkind = \"grid\"\n\
                     [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5, 1.5]\n";

/// A tiny Sobol sweep (for `sensitivity`).
const SOBOL: &str = "base = \"small.toml\"\nseed = 4\nreplicates = 1\n[design]\nkind = \"sobol\"\n\
                     base_points = 4\n\
                     [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nmin = 0.0\nmax = 0.2\n\
                     [[factors]]\npath = \"decision.beta_net\"\nmin = 0.5\nmax = 3.0\n";

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

/// Run `args`, which must exit 2 with an error message naming each of
/// `mentions`; return stderr.
fn fails(dir: &Path, args: &[&str], mentions: &[&str]) -> String {
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
    for m in mentions {
        assert!(
            stderr.contains(m),
            "`migflow {}`: stderr does not mention {m:?}:\n{stderr}",
            args.join(" ")
        );
    }
    stderr
}

/// Every entry of `dir` (hidden ones too) and the bytes of each file.
fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    std::fs::read_dir(dir)
        .expect("list dir")
        .map(|e| {
            let e = e.expect("entry");
            let bytes = e
                .file_type()
                .expect("type")
                .is_file()
                .then(|| std::fs::read(e.path()).expect("read"));
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A study directory with `small.toml` and its run in `run`.
fn study() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    write(&w.join("small.toml"), SMALL);
    ok(w, &["run", "small.toml", "--out", "run", "-q"]);
    tmp
}

#[test]
fn a_device_a_fifo_or_a_directory_is_never_replaced_by_an_output() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = study();
    let w = tmp.path();
    // report -o onto a FIFO.
    mkfifo(&w.join("fifo"));
    fails(
        w,
        &["report", "run", "-o", "fifo"],
        &["fifo", "a FIFO", "not a regular file"],
    );
    let kind = std::fs::symlink_metadata(w.join("fifo"))
        .expect("fifo")
        .file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
    // Through a symbolic link too.
    std::os::unix::fs::symlink("fifo", w.join("link")).expect("symlink");
    fails(w, &["report", "run", "-o", "link"], &["a FIFO"]);
    assert!(
        std::fs::symlink_metadata(w.join("link"))
            .expect("link")
            .is_symlink()
    );
    // A directory.
    std::fs::create_dir(w.join("adir")).expect("mkdir");
    fails(w, &["report", "run", "-o", "adir"], &["a directory"]);
    assert!(w.join("adir").is_dir());
    // A chart's name taken by a FIFO: nothing of the set is renamed.
    let figs = w.join("figs");
    std::fs::create_dir(&figs).expect("mkdir");
    mkfifo(&figs.join("livelihood_composition.svg"));
    fails(
        w,
        &["plot", "run", "--out", "figs"],
        &["livelihood_composition.svg", "a FIFO"],
    );
    let names: Vec<String> = snapshot(&figs).into_keys().collect();
    assert_eq!(names, ["livelihood_composition.svg"]);
    assert!(
        std::fs::symlink_metadata(figs.join("livelihood_composition.svg"))
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
    // A character device made here (only root can: never one of /dev).
    if is_root() {
        let dev = w.join("full");
        let status = std::process::Command::new("mknod")
            .arg(&dev)
            .args(["c", "1", "7"])
            .status()
            .expect("run mknod");
        assert!(status.success());
        fails(
            w,
            &["report", "run", "-o", "full"],
            &["is a character device, not a regular file"],
        );
        let kind = std::fs::symlink_metadata(&dev).expect("dev").file_type();
        assert!(kind.is_char_device(), "the device was replaced: {kind:?}");
    }
    // A regular file is still replaced.
    write(&w.join("report.html"), "old");
    ok(w, &["report", "run", "-o", "report.html"]);
}

#[test]
fn merge_out_is_never_a_shard_other_results_or_files_migflow_did_not_write() {
    let tmp = study();
    let w = tmp.path();
    write(&w.join("sweep.toml"), SWEEP);
    for i in ["0", "1"] {
        let (dir, shard) = (format!("shard{i}"), format!("{i}/2"));
        ok(
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
    ok(
        w,
        &["sweep", "sweep.toml", "--out", "whole", "-q", "-j", "1"],
    );
    write(&w.join("notes/notes.txt"), "mine");
    write(&w.join("calib/calibration.json"), "{}");
    write(
        &w.join("calib2/manifest.json"),
        "{\"calibration_toml\": \"\", \"files\": []}",
    );
    let merge = |out: &str| ["merge", "shard0", "shard1", "--out", out].map(String::from);
    let before: Vec<_> = [
        "shard0", "shard1", "run", "whole", "notes", "calib", "calib2",
    ]
    .iter()
    .map(|d| snapshot(&w.join(d)))
    .collect();
    for (out, mentions) in [
        ("shard0", &["shard0", "being merged"][..]),
        ("./shard1/", &["shard1", "being merged"]),
        ("run", &["run", "a migflow run"]),
        ("whole", &["whole", "sweep.json"]),
        ("calib", &["calib", "calibration.json"]),
        ("calib2", &["calib2", "a migflow calibration"]),
        ("notes", &["notes", "notes.txt"]),
    ] {
        let args = merge(out);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails(w, &args, mentions);
    }
    let after: Vec<_> = [
        "shard0", "shard1", "run", "whole", "notes", "calib", "calib2",
    ]
    .iter()
    .map(|d| snapshot(&w.join(d)))
    .collect();
    assert_eq!(before, after, "a refused merge changed a directory");
    // The run is still read alone.
    ok(w, &["report", "run", "-o", "run.html"]);

    // An earlier merge of the same sweep is replaced as a set.
    let args = merge("merged");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(w, &args);
    let first = snapshot(&w.join("merged"));
    ok(w, &args);
    assert_eq!(first, snapshot(&w.join("merged")));
    ok(w, &["report", "merged", "-o", "merged.html"]);
    // The merge of another sweep is not.
    let path = w.join("merged/manifest.json");
    let text = std::fs::read_to_string(&path).expect("manifest");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let hash = v["sweep_sha256"].as_str().expect("hash").to_string();
    write(&path, &text.replace(&hash, &"0".repeat(64)));
    fails(w, &args, &["merged", "a different sweep"]);
}

#[test]
fn charts_comparisons_and_analyses_are_never_written_into_a_results_directory() {
    let tmp = study();
    let w = tmp.path();
    ok(w, &["run", "small.toml", "--out", "base", "-q"]);
    write(&w.join("sweep.toml"), SWEEP);
    ok(
        w,
        &["sweep", "sweep.toml", "--out", "grid", "-q", "-j", "1"],
    );
    write(&w.join("sobol.toml"), SOBOL);
    ok(
        w,
        &["sweep", "sobol.toml", "--out", "sobol", "-q", "-j", "1"],
    );
    let dirs = ["run", "base", "grid", "sobol"];
    let before: Vec<_> = dirs.iter().map(|d| snapshot(&w.join(d))).collect();
    fails(
        w,
        &["plot", "run", "--out", "run"],
        &["run", "results directory", "choose another"],
    );
    fails(w, &["plot", "run", "--out", "grid"], &["grid", "sweep"]);
    fails(
        w,
        &["compare", "base", "run", "--out", "run"],
        &["run", "results directory"],
    );
    fails(
        w,
        &["sensitivity", "sobol", "--out", "sobol"],
        &["sobol", "results directory"],
    );
    let after: Vec<_> = dirs.iter().map(|d| snapshot(&w.join(d))).collect();
    assert_eq!(before, after, "a refused command wrote into results");
    // The results are still whole: a run replaces its set unforced.
    ok(w, &["run", "small.toml", "--out", "run", "-q"]);
    // The defaults are subdirectories, which stay allowed.
    ok(w, &["plot", "run"]);
    assert!(w.join("run/charts/livelihood_composition.svg").is_file());
    ok(w, &["sensitivity", "sobol"]);
    assert!(w.join("sobol/sensitivity/sensitivity.csv").is_file());
    ok(w, &["compare", "base", "run", "--out", "cmp"]);
}

#[test]
fn nothing_made_from_results_writes_over_an_input_they_record() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    write(
        &w.join("study/pop.toml"),
        "[population]\nfile = \"pop.csv\"\n\n[run]\nyears = 3\n",
    );
    let csv = "site,village,ages,skill,land_mu,attachment,state\n\
               0,0,42;40;15;12;68,0.25,3.0,0.40,outbound\n\
               0,0,35;33;9;6,0.40,2.5,0.30,outbound\n\
               0,1,51;49;22;70;72,0.15,4.2,0.65,mixed\n\
               0,1,28;27;3,0.55,0.0,0.20,local\n";
    write(&w.join("study/pop.csv"), csv);
    ok(w, &["run", "study/pop.toml", "--out", "study/run", "-q"]);
    write(&w.join("small.toml"), SMALL);
    ok(w, &["run", "small.toml", "--out", "base", "-q"]);
    let scenario = std::fs::read(w.join("study/pop.toml")).expect("scenario");
    // The scenario source, the population file (by another spelling), and
    // the other run's scenario in a comparison.
    fails(
        w,
        &["report", "study/run", "-o", "study/pop.toml"],
        &["pop.toml"],
    );
    fails(
        w,
        &["report", "study/run", "-o", "./study/../study/pop.csv"],
        &["pop.csv"],
    );
    fails(
        w,
        &[
            "report",
            "study/run",
            "--compare",
            "base",
            "-o",
            "small.toml",
        ],
        &["small.toml"],
    );
    assert_eq!(
        std::fs::read(w.join("study/pop.toml")).expect("scenario"),
        scenario
    );
    assert_eq!(
        std::fs::read_to_string(w.join("study/pop.csv")).expect("pop"),
        csv
    );
    assert_eq!(
        std::fs::read_to_string(w.join("small.toml")).expect("small"),
        SMALL
    );
    ok(w, &["report", "study/run", "-o", "study/report.html"]);
}

#[test]
fn a_merge_into_the_slurm_layout_keeps_its_scripts_and_shards() {
    // `migflow slurm --out L` writes L/slurm/ and the array's shards go to
    // L/shards/shard-I; the merge job merges them into L itself.
    let tmp = study();
    let w = tmp.path();
    write(&w.join("sweep.toml"), SWEEP);
    ok(
        w,
        &[
            "slurm",
            "sweep.toml",
            "--out",
            "L",
            "--tasks",
            "2",
            "--cpus",
            "1",
            "--time",
            "00:10:00",
        ],
    );
    let mut shards = Vec::new();
    for i in 0..2 {
        let dir = format!("L/shards/shard-{i}");
        let shard = format!("{i}/2");
        ok(
            w,
            &[
                "sweep",
                "sweep.toml",
                "--out",
                &dir,
                "--shard",
                &shard,
                "-q",
            ],
        );
        shards.push(dir);
    }
    let before = snapshot(&w.join("L/slurm"));
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", "L"]);
    ok(w, &args);
    assert!(w.join("L/manifest.json").is_file());
    assert_eq!(snapshot(&w.join("L/slurm")), before);
    assert!(w.join("L/shards/shard-0/manifest.json").is_file());
    // A folder beside them that is not migflow's is still refused.
    write(&w.join("L/mine/notes.txt"), "mine");
    fails(w, &args, &["mine/"]);
}
