//! What a manifest records and what its readers accept: a household panel
//! repeated from a run's manifest, a shard reported as a shard, `files`
//! entries that are not plain, unique, hashed names of the directory
//! refused, levels shown and read back as written, and a calibration's
//! final files switched in as a set.

use crate::util::{migflow, write_at as write};
use std::collections::BTreeMap;
use std::path::Path;

/// Run `migflow ARGS` in `dir`: exit code, stdout, stderr.
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = migflow()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("start migflow");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        stderr,
    )
}

fn ok_in(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = run_in(dir, args);
    assert_eq!(code, Some(0), "migflow {args:?} failed:\n{stderr}");
    stdout
}

fn refused_in(dir: &Path, args: &[&str]) -> String {
    let (code, _, stderr) = run_in(dir, args);
    assert_eq!(code, Some(2), "expected exit 2 from {args:?}:\n{stderr}");
    stderr
}

/// The files of a directory by name, but the manifest and timings.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !n.starts_with('.')
                && ![
                    "manifest.json",
                    "timing.json",
                    "sweep.json",
                    "calibration.json",
                ]
                .contains(&n.as_str())
        })
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).expect("read");
            (n, bytes)
        })
        .collect()
}

const SCENARIO: &str = "[population]\nhouseholds = 300\n\n[run]\nyears = 2\nreplicates = 2\n";

#[test]
fn a_household_panel_run_is_repeated_from_its_manifest_with_the_panel() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    write(&w.join("s.toml"), SCENARIO);
    ok_in(
        w,
        &["run", "s.toml", "--households-out", "--out", "r", "-q"],
    );
    assert!(w.join("r/households.csv").exists());
    ok_in(w, &["run", "r/manifest.json", "--out", "a", "-q"]);
    assert!(
        w.join("a/households.csv").exists(),
        "a rerun from the manifest of a panel run writes the panel"
    );
    assert_eq!(files(&w.join("a")), files(&w.join("r")));
    // With the flag given again, the same.
    ok_in(
        w,
        &[
            "run",
            "r/manifest.json",
            "--households-out",
            "--out",
            "b",
            "-q",
        ],
    );
    assert_eq!(files(&w.join("b")), files(&w.join("r")));
    // And a run without the panel is repeated without one.
    ok_in(w, &["run", "s.toml", "--out", "p", "-q"]);
    ok_in(w, &["run", "p/manifest.json", "--out", "q", "-q"]);
    assert!(!w.join("q/households.csv").exists());
    assert_eq!(files(&w.join("q")), files(&w.join("p")));
}

/// A grid sweep of 3 points × 2 replicates (6 runs) in `w/sweep.toml`.
fn sweep_study(w: &Path) {
    write(
        &w.join("s.toml"),
        "[population]\nhouseholds = 200\n\n[run]\nyears = 2\n",
    );
    write(
        &w.join("sweep.toml"),
        "base = \"s.toml\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5, 1.0, 1.5]\n",
    );
}

#[test]
fn the_report_and_plot_of_a_shard_say_it_is_a_shard_and_show_no_point_summaries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    sweep_study(w);
    ok_in(
        w,
        &[
            "sweep",
            "sweep.toml",
            "--out",
            "shard0",
            "--shard",
            "0/2",
            "-q",
            "-j",
            "1",
        ],
    );
    ok_in(w, &["report", "shard0", "--out", "rep.html"]);
    let html = std::fs::read_to_string(w.join("rep.html")).expect("report");
    let said = "shard 0/2 of a sweep of 6 runs: this directory holds 3 of them; \
                merge the shards for the whole sweep";
    assert!(html.contains(said), "{html}");
    assert!(!html.contains("6 runs (3 completed"), "{html}");
    assert!(
        html.contains("No per-point summaries for a shard"),
        "{html}"
    );
    assert!(!html.contains("<th>95% CI</th>"), "{html}");
    let (code, stdout, stderr) = run_in(w, &["plot", "shard0", "--out", "charts"]);
    assert_eq!(code, Some(0), "{stderr}");
    let told = format!("{stdout}{stderr}");
    assert!(told.contains(said), "{told}");
    // A whole sweep keeps its per-point table.
    ok_in(
        w,
        &["sweep", "sweep.toml", "--out", "whole", "-q", "-j", "1"],
    );
    ok_in(w, &["report", "whole", "--out", "whole.html"]);
    let html = std::fs::read_to_string(w.join("whole.html")).expect("report");
    assert!(html.contains("6 runs (6 completed, 0 failed)"), "{html}");
    assert!(!html.contains("of a sweep of"), "{html}");
}

/// Replace the `files` of the manifest at `path` with `entries`.
fn set_files(path: &Path, entries: serde_json::Value) {
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    m["files"] = entries;
    std::fs::write(path, serde_json::to_vec_pretty(&m).expect("json")).expect("write");
}

#[test]
fn a_manifest_listing_a_path_a_bad_hash_or_a_name_twice_is_refused_by_every_reader() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    write(&w.join("s.toml"), SCENARIO);
    ok_in(w, &["run", "s.toml", "--out", "r", "-q"]);
    sweep_study(w);
    ok_in(w, &["sweep", "sweep.toml", "--out", "sw", "-q", "-j", "1"]);
    let zero = "0".repeat(64);
    for dir in ["r", "sw"] {
        let path = w.join(dir).join("manifest.json");
        let original = std::fs::read_to_string(&path).expect("read");
        let m: serde_json::Value = serde_json::from_str(&original).expect("json");
        let listed = m["files"].as_array().expect("files").clone();
        let first = listed[0].clone();
        let with = |extra: serde_json::Value| {
            let mut all = listed.clone();
            all.push(extra);
            serde_json::Value::Array(all)
        };
        let upper = serde_json::json!({
            "name": first["name"],
            "sha256": first["sha256"].as_str().expect("hash").to_uppercase(),
        });
        let mut upper_list = listed.clone();
        upper_list[0] = upper;
        let cases = [
            (
                with(serde_json::json!({"name": "../run4/trajectories.csv", "sha256": zero})),
                "\"../run4/trajectories.csv\"",
                "a path",
            ),
            (
                with(serde_json::json!({"name": "/etc/passwd", "sha256": zero})),
                "\"/etc/passwd\"",
                "a path",
            ),
            (
                with(serde_json::json!({"name": "..", "sha256": zero})),
                "\"..\"",
                "not the name",
            ),
            (
                with(serde_json::json!({"name": ".hidden", "sha256": zero})),
                "\".hidden\"",
                "hidden",
            ),
            (
                with(first.clone()),
                &format!("{}", first["name"]),
                "listed more than once",
            ),
            (
                with(serde_json::json!({"name": "extra.csv", "sha256": "abc"})),
                "\"extra.csv\"",
                "not 64 lowercase hex digits",
            ),
            (
                serde_json::Value::Array(upper_list),
                &format!("{}", first["name"]),
                "not 64 lowercase hex digits",
            ),
        ];
        for (files, entry, why) in cases {
            set_files(&path, files);
            let mut readers = vec![
                vec!["report", dir, "--out", "rep.html"],
                vec!["plot", dir, "--out", "charts"],
            ];
            if dir == "r" {
                readers.push(vec!["run", "r/manifest.json", "--out", "again", "-q"]);
            }
            for args in readers {
                let err = refused_in(w, &args);
                for part in [&format!("{dir}/manifest.json"), entry, why] {
                    assert!(
                        err.to_lowercase().contains(&part.to_lowercase()),
                        "{args:?}: expected {part:?} in:\n{err}"
                    );
                }
            }
        }
        std::fs::write(&path, original).expect("restore");
        ok_in(w, &["report", dir, "--out", "rep.html"]);
    }
}

/// A copy of a small population file named `=x.csv`, and a base scenario.
fn formula_study(w: &Path) {
    let mut pop = String::from("site,village,ages,skill,land_mu,attachment,state\n");
    for i in 0..40 {
        pop.push_str(&format!(
            "{},{},{};{};{},0.{},{}.5,0.4,{}\n",
            i % 2,
            i % 3,
            30 + i % 20,
            28 + i % 15,
            i % 12,
            1 + i % 8,
            i % 3,
            ["outbound", "local", "farm", "mixed", "none"][i % 5]
        ));
    }
    write(&w.join("pop.csv"), &pop);
    write(&w.join("=x.csv"), &pop);
    write(
        &w.join("base.toml"),
        "[run]\nyears = 2\n[population]\nfile = \"pop.csv\"\n",
    );
    write(
        &w.join("grid.toml"),
        "base = \"base.toml\"\nseed = 3\nreplicates = 1\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"population.file\"\nlevels = [\"=x.csv\", \"pop.csv\"]\n",
    );
}

#[test]
fn a_dry_run_prints_the_levels_as_written() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    formula_study(w);
    let out = ok_in(w, &["sweep", "grid.toml", "--dry-run", "--out", "g"]);
    assert!(out.contains("  0: =x.csv\n"), "{out}");
    assert!(!out.contains("'=x.csv"), "{out}");
}

#[test]
fn a_points_csv_read_back_as_a_table_design_gives_the_levels_as_written() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    formula_study(w);
    ok_in(w, &["sweep", "grid.toml", "--out", "g", "-q", "-j", "1"]);
    let points = std::fs::read_to_string(w.join("g/points.csv")).expect("points");
    assert!(points.contains("'=x.csv"), "{points}");
    // The factor column of the grid's points.csv, as a table design.
    let mut rows = points.lines();
    let header: Vec<&str> = rows.next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "population.file")
        .expect("the factor's column");
    let mut table = String::from("population.file\n");
    for row in rows {
        table.push_str(row.split(',').nth(col).expect("cell"));
        table.push('\n');
    }
    write(&w.join("table.csv"), &table);
    write(
        &w.join("table.toml"),
        "base = \"base.toml\"\nseed = 3\nreplicates = 1\n[design]\nkind = \"table\"\n\
         file = \"table.csv\"\n[[factors]]\npath = \"population.file\"\n",
    );
    ok_in(w, &["sweep", "table.toml", "--out", "t", "-q", "-j", "1"]);
    for name in ["runs.csv", "trajectories.csv", "points_summary.csv"] {
        assert_eq!(
            std::fs::read(w.join("t").join(name)).expect("table sweep"),
            std::fs::read(w.join("g").join(name)).expect("grid sweep"),
            "{name}"
        );
    }
}

#[test]
fn a_calibrations_final_commit_is_switched_in_as_a_set() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    write(
        &w.join("s.toml"),
        "[population]\nhouseholds = 200\n\n[run]\nyears = 2\n",
    );
    write(
        &w.join("calib.toml"),
        "base = \"s.toml\"\nseed = 3\nreplicates = 1\nfit_replicates = 1\n\
         [[targets]]\nmetric = \"employment_rate\"\nyear = 2021\nvalue = 0.93\nsd = 0.01\n\
         [[parameters]]\npath = \"economy.p_find_base\"\nmin = 0.3\nmax = 0.95\n",
    );
    let args = [
        "calibrate",
        "calib.toml",
        "--out",
        "cal",
        "--samples",
        "12",
        "-q",
        "-j",
        "1",
    ];
    let out = migflow()
        .current_dir(w)
        .args(args)
        .env(migflow_io::atomic::FAULT_ENV, "abort:2")
        .output()
        .expect("start");
    assert!(!out.status.success());
    let marker = std::fs::read_to_string(w.join("cal/manifest.json")).expect("a marker");
    assert!(
        marker.contains(migflow_io::manifest::INCOMPLETE_KEY),
        "{marker}"
    );
    // Readers refuse it: as results, and as a finished calibration.
    let err = refused_in(w, &["report", "cal", "--out", "rep.html"]);
    assert!(err.contains("interrupted"), "{err}");
    assert!(
        serde_json::from_str::<migflow_analysis::calibrate::CalibrationManifest>(&marker).is_err()
    );
    let mut resume = args.to_vec();
    resume.push("--resume");
    ok_in(w, &resume);
    ok_in(
        w,
        &[
            "calibrate",
            "calib.toml",
            "--out",
            "whole",
            "-q",
            "-j",
            "1",
            "--samples",
            "12",
        ],
    );
    assert_eq!(files(&w.join("cal")), files(&w.join("whole")));
    let manifest = std::fs::read_to_string(w.join("cal/manifest.json")).expect("manifest");
    assert!(!manifest.contains(migflow_io::manifest::INCOMPLETE_KEY));
}
