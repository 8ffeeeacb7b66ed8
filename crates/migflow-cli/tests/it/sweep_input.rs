//! Bad input to `migflow sweep`: each mistake is refused with exit code 2,
//! an `error:` naming the key (or file, line and column) and what was
//! expected, no panic, and no output files. Also `--dry-run`, re-running
//! into a finished directory, `--resume` of another sweep, and table designs.

use crate::util::{migflow, write_in as write};
use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A valid grid sweep: `decision.kappa` at `levels`, 200 households,
/// `replicates` replicates (2 points × 1 replicate = 2 runs by default).
fn small_sweep(levels: &str, replicates: u32) -> String {
    format!(
        "seed = 3\nreplicates = {replicates}\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = {levels}\n\
         [[factors]]\npath = \"population.households\"\nlevels = [200]\n"
    )
}

/// A sweep file in a fresh temporary directory, with `OUT` the (not yet
/// existing) results directory next to it.
struct Case {
    tmp: TempDir,
    sweep: PathBuf,
    out: PathBuf,
}

impl Case {
    fn new(sweep_text: &str) -> Case {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let sweep = write(tmp.path(), "sweep.toml", sweep_text);
        let out = tmp.path().join("out");
        Case { tmp, sweep, out }
    }

    /// `migflow sweep SWEEP --out OUT --quiet EXTRA...`.
    fn cmd(&self, extra: &[&str]) -> Command {
        let mut cmd = migflow();
        cmd.arg("sweep")
            .arg(&self.sweep)
            .arg("--out")
            .arg(&self.out)
            .arg("--quiet")
            .args(extra);
        cmd
    }

    /// Run with `extra`: require exit code 2, an `error:` on stderr, no
    /// panic and no results directory; return stderr.
    fn refused(&self, extra: &[&str]) -> String {
        refused_by(&mut self.cmd(extra), &self.out)
    }
}

/// Run `cmd`: require exit code 2, an `error:` on stderr, no panic and
/// nothing at `out`; return stderr.
fn refused_by(cmd: &mut Command, out: &Path) -> String {
    let output = cmd.output().expect("start migflow");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected exit code 2\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("error: "),
        "no `error:` on stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    assert!(
        !out.exists(),
        "bad input created {} (stderr:\n{stderr})",
        out.display()
    );
    stderr
}

/// Require every one of `parts` in `text`.
fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in:\n{text}");
    }
}

/// Every file under `dir` (relative path → bytes).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read results directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("read result file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn run_ok(cmd: &mut Command) -> String {
    let output = cmd.output().expect("start migflow");
    assert!(
        output.status.success(),
        "migflow failed ({:?}):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

/// The `sweep_sha256` of a finished results directory.
fn manifest_hash(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    json["sweep_sha256"]
        .as_str()
        .expect("sweep_sha256")
        .to_string()
}

// ---------------------------------------------------------------- factors

#[test]
fn an_unknown_factor_path_is_refused_listing_the_closest_valid_paths() {
    // A typo in the section: `workshop` for `workshops`.
    let case = Case::new(
        "[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"population.households\"\nlevels = [200]\n\
         [[factors]]\npath = \"levers.workshop.workshop_jobs_share\"\nlevels = [0.0, 0.1]\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[1].path`",
            "\"levers.workshop.workshop_jobs_share\"",
            "no such scenario key",
            "closest",
            "`levers.workshops.workshop_jobs_share`",
        ],
    );
    // A typo in the leaf, with a range design.
    let case = Case::new(
        "[design]\nkind = \"lhs\"\npoints = 4\n\
         [[factors]]\npath = \"decision.beta_nett\"\nmin = 0.5\nmax = 2.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[0].path`",
            "\"decision.beta_nett\"",
            "`decision.beta_net`",
        ],
    );
}

#[test]
fn an_empty_range_is_refused_naming_min() {
    let case = Case::new(
        "[design]\nkind = \"lhs\"\npoints = 4\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 1.0\nmax = 1.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[0].min` = 1",
            "expected a number less than `factors[0].max` (1)",
            "empty or inverted range",
        ],
    );
}

#[test]
fn an_inverted_range_is_refused_naming_min() {
    let case = Case::new(
        "[design]\nkind = \"lhs\"\npoints = 4\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 0.5\nmax = 1.0\n\
         [[factors]]\npath = \"decision.beta_net\"\nmin = 2.0\nmax = 1.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[1].min` = 2",
            "expected a number less than `factors[1].max` (1)",
            "empty or inverted range",
        ],
    );
}

#[test]
fn a_string_level_for_a_float_key_is_refused_naming_the_level() {
    let case = Case::new(&small_sweep("[0.5, \"high\"]", 1));
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[0].levels[1]` = \"high\"",
            "expected a number",
            "`decision.kappa`",
        ],
    );
}

#[test]
fn a_fractional_level_for_an_integer_key_is_refused_naming_the_level() {
    let case = Case::new(
        "[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5]\n\
         [[factors]]\npath = \"population.households\"\nlevels = [1000, 0.5]\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[1].levels[1]` = 0.5",
            "expected an integer",
            "`population.households`",
        ],
    );
}

// ---------------------------------------------------------------- designs

#[test]
fn sobol_with_a_range_over_a_boolean_key_is_refused() {
    let case = Case::new(
        "[design]\nkind = \"sobol\"\nbase_points = 8\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 0.5\nmax = 1.0\n\
         [[factors]]\npath = \"levers.agricultural_support.insurance\"\nmin = 0.0\nmax = 1.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[1].min`",
            "`levers.agricultural_support.insurance` holds a boolean",
            "design `sobol` needs numeric factors with `min` and `max`",
        ],
    );
}

#[test]
fn sobol_with_boolean_levels_is_refused() {
    let case = Case::new(
        "[design]\nkind = \"sobol\"\nbase_points = 8\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 0.5\nmax = 1.0\n\
         [[factors]]\npath = \"levers.agricultural_support.insurance\"\nlevels = [true, false]\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[1].levels` = [true, false]",
            "expected `min` and `max`, or a single level for a constant",
            "design `sobol`",
        ],
    );
}

#[test]
fn grid_with_a_range_factor_is_refused() {
    let case = Case::new(
        "[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"population.households\"\nlevels = [200]\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 0.5\nmax = 1.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "`factors[1].min` = 0.5",
            "expected `levels`, not `min` and `max`",
            "grid needs levels",
        ],
    );
}

// ---------------------------------------------------------------- the file

#[test]
fn an_unknown_key_in_the_sweep_file_is_refused_with_line_column_and_a_suggestion() {
    let case = Case::new(
        &format!("# a comment\n\n{}", small_sweep("[0.5]", 1))
            .replace("replicates = 1\n", "replicate = 2\n"),
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            // Line 4: two lines of comment and blank, then `seed`.
            "sweep.toml:4:1:",
            "unknown field `replicate`",
            "did you mean `replicates`?",
        ],
    );
    // Inside a `[[factors]]` entry: the line of the key.
    let case = Case::new(
        "[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevel = [0.5]\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "sweep.toml:5:1:",
            "unknown field `level`",
            "did you mean `levels`?",
        ],
    );
}

#[test]
fn an_unknown_key_in_a_grid_design_table_is_refused() {
    // Someone switched `kind` from lhs to grid and left `points` behind.
    let case = Case::new(
        "[design]\nkind = \"grid\"\npoints = 40\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5]\n\
         [[factors]]\npath = \"population.households\"\nlevels = [200]\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "sweep.toml:3:",
            "`design.points` does not apply to design `grid`",
        ],
    );
}

#[test]
fn an_unknown_or_bad_key_in_a_design_table_is_located_at_its_line() {
    let case = Case::new(
        "seed = 1\n[design]\nkind = \"lhs\"\n\n\npoint = 5\npoints = 4\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 0.1\nmax = 1.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "sweep.toml:6:1:",
            "unknown field `point`",
            "did you mean `points`?",
        ],
    );
    let case = Case::new(
        "seed = 1\n[design]\nkind = \"lhs\"\n\n\npoints = -3\n\
         [[factors]]\npath = \"decision.kappa\"\nmin = 0.1\nmax = 1.0\n",
    );
    let err = case.refused(&[]);
    assert_mentions(&err, &["sweep.toml:6:", "`design.points`"]);
}

#[test]
fn a_missing_sweep_file_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let sweep = tmp.path().join("no_such_sweep.toml");
    let out = tmp.path().join("out");
    let err = refused_by(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .arg("--quiet"),
        &out,
    );
    assert_mentions(
        &err,
        &[
            "cannot read",
            &sweep.display().to_string(),
            "No such file or directory",
        ],
    );
    // The same with --dry-run.
    let err = refused_by(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .arg("--dry-run"),
        &out,
    );
    assert_mentions(&err, &["cannot read", &sweep.display().to_string()]);
}

#[test]
fn a_missing_base_scenario_is_refused_naming_the_file() {
    let case = Case::new(&format!(
        "base = \"scenarios/nope.toml\"\n{}",
        small_sweep("[0.5]", 1)
    ));
    let err = case.refused(&[]);
    // Relative to the sweep file's directory.
    let missing = case.tmp.path().join("scenarios/nope.toml");
    assert_mentions(
        &err,
        &[
            "cannot read",
            &missing.display().to_string(),
            "No such file or directory",
        ],
    );
}

#[test]
fn a_missing_base_scenario_error_names_the_sweep_file_and_its_base_key() {
    let case = Case::new(&format!(
        "base = \"scenarios/nope.toml\"\n{}",
        small_sweep("[0.5]", 1)
    ));
    let err = case.refused(&[]);
    assert_mentions(&err, &["sweep.toml", "`base`"]);
}

// ---------------------------------------------------------------- --shard

#[test]
fn a_shard_out_of_range_or_malformed_is_refused() {
    let case = Case::new(&small_sweep("[0.5, 1.0]", 1));
    for (shard, expected) in [
        (
            "4/4",
            "shard 4/4 out of range: expected 0 ≤ I < N with N from 1 to 100000000",
        ),
        (
            "0/0",
            "shard 0/0 out of range: expected 0 ≤ I < N with N from 1 to 100000000",
        ),
        ("abc", "expected I/N (for example 0/4) or `slurm`"),
        ("1/x", "N must be a positive integer"),
        ("x/4", "I must be a non-negative integer"),
    ] {
        let err = case.refused(&["--shard", shard]);
        assert_mentions(&err, &["--shard", shard, expected]);
        // Also with --dry-run.
        let err = case.refused(&["--shard", shard, "--dry-run"]);
        assert_mentions(&err, &[expected]);
    }
}

#[test]
fn shard_slurm_without_the_slurm_variables_is_refused_naming_them() {
    let case = Case::new(&small_sweep("[0.5, 1.0]", 1));
    let mut cmd = case.cmd(&["--shard", "slurm"]);
    cmd.env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT");
    let err = refused_by(&mut cmd, &case.out);
    assert_mentions(
        &err,
        &[
            "--shard slurm",
            "SLURM_ARRAY_TASK_ID is not set",
            "Slurm array task",
        ],
    );
    // Only the task id.
    let mut cmd = case.cmd(&["--shard", "slurm"]);
    cmd.env("SLURM_ARRAY_TASK_ID", "1")
        .env_remove("SLURM_ARRAY_TASK_COUNT");
    let err = refused_by(&mut cmd, &case.out);
    assert_mentions(&err, &["SLURM_ARRAY_TASK_COUNT is not set"]);
    // Set, but out of range or not a number.
    let mut cmd = case.cmd(&["--shard", "slurm"]);
    cmd.env("SLURM_ARRAY_TASK_ID", "5")
        .env("SLURM_ARRAY_TASK_COUNT", "2");
    let err = refused_by(&mut cmd, &case.out);
    assert_mentions(
        &err,
        &[
            "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT",
            "shard 5/2 out of range",
        ],
    );
    let mut cmd = case.cmd(&["--shard", "slurm"]);
    cmd.env("SLURM_ARRAY_TASK_ID", "one")
        .env("SLURM_ARRAY_TASK_COUNT", "2");
    let err = refused_by(&mut cmd, &case.out);
    assert_mentions(
        &err,
        &["SLURM_ARRAY_TASK_ID=\"one\"", "not a non-negative integer"],
    );
}

// ---------------------------------------------------------------- --dry-run

#[test]
fn dry_run_prints_runs_points_rows_and_an_estimate_and_writes_nothing() {
    let case = Case::new(&small_sweep("[0.5, 1.0, 1.5]", 2));
    let output = case.cmd(&["--dry-run"]).output().expect("start migflow");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !case.out.exists(),
        "--dry-run created {}",
        case.out.display()
    );
    assert_mentions(
        &stdout,
        &[
            "(hash ",
            "design grid: 3 points × 2 replicates = 6 runs",
            "points (point_id, decision.kappa, population.households):",
            "  0: 0.5, 200\n",
            "  1: 1, 200\n",
            "  2: 1.5, 200\n",
            // 15 years × 6 groups a run; 10 metrics a point × year × group.
            "rows: runs.csv 6, trajectories.csv 540, points_summary.csv 2700",
            "estimate: ",
            "household-years",
            "⇒ about ",
        ],
    );
    // 3 points × 2 replicates × 200 households × 15 years.
    assert!(stdout.contains("1.800e4 household-years"), "{stdout}");

    // Long designs show the first 20 points; a shard its own runs.
    let levels: Vec<String> = (0..25).map(|i| format!("{}", 0.1 * f64::from(i))).collect();
    let case = Case::new(&small_sweep(&format!("[{}]", levels.join(", ")), 1));
    let stdout = run_ok(&mut case.cmd(&["--dry-run", "--shard", "1/4"]));
    assert!(
        !case.out.exists(),
        "--dry-run created {}",
        case.out.display()
    );
    assert_mentions(
        &stdout,
        &[
            "25 points × 1 replicates = 25 runs; this shard (1/4) runs 6",
            "  19: ",
            "… and 5 more",
            "rows: runs.csv 6,",
        ],
    );
    assert!(!stdout.contains("  20: "), "{stdout}");
}

// ---------------------------------------------------------------- re-runs

#[test]
fn rerunning_into_a_finished_directory_needs_resume_which_is_then_a_no_op() {
    let case = Case::new(&small_sweep("[0.5, 1.0]", 1));
    run_ok(&mut case.cmd(&[]));
    let before = snapshot(&case.out);
    assert!(before.contains_key(Path::new("runs.csv")), "{before:?}");

    let output = case.cmd(&[]).output().expect("start migflow");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_mentions(
        &stderr,
        &[
            "error: ",
            &case.out.display().to_string(),
            "already holds a sweep",
            "--resume",
        ],
    );
    assert!(
        snapshot(&case.out) == before,
        "a refused re-run changed the directory"
    );

    let output = case.cmd(&["--resume"]).output().expect("start migflow");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        snapshot(&case.out) == before,
        "--resume of a finished sweep changed the directory"
    );
}

#[test]
fn resuming_a_directory_of_another_sweep_is_refused_naming_both_hashes() {
    let case = Case::new(&small_sweep("[0.5, 1.0]", 1));
    run_ok(&mut case.cmd(&[]));
    let before = snapshot(&case.out);
    let old_hash = manifest_hash(&case.out);

    // Another sweep file (one more level) resumed into the same directory.
    let other = write(
        case.tmp.path(),
        "other.toml",
        &small_sweep("[0.5, 1.0, 1.5]", 1),
    );
    let dry = run_ok(
        migflow()
            .arg("sweep")
            .arg(&other)
            .arg("--out")
            .arg(case.tmp.path().join("unused"))
            .arg("--dry-run"),
    );
    let new_hash = dry
        .split("(hash ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("hash in the dry-run output")
        .to_string();
    assert_ne!(old_hash, new_hash);

    let output = migflow()
        .arg("sweep")
        .arg(&other)
        .arg("--out")
        .arg(&case.out)
        .args(["--quiet", "--resume"])
        .output()
        .expect("start migflow");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_mentions(
        &stderr,
        &[
            "error: ",
            "different sweep",
            &format!("hash {old_hash}"),
            &format!("hash {new_hash}"),
            "cannot resume",
        ],
    );
    assert!(
        snapshot(&case.out) == before,
        "a refused resume changed the directory"
    );
}

// ---------------------------------------------------------------- table

const TABLE_SWEEP: &str = "replicates = 2\n[design]\nkind = \"table\"\nfile = \"points.csv\"\n\
     [[factors]]\npath = \"decision.kappa\"\n\
     [[factors]]\npath = \"population.households\"\n\
     [[factors]]\npath = \"levers.agricultural_support.insurance\"\n";

#[test]
fn a_table_design_reads_its_points_from_a_csv_file() {
    let case = Case::new(TABLE_SWEEP);
    // Columns in another order than the factors, cells with spaces.
    write(
        case.tmp.path(),
        "points.csv",
        "population.households,decision.kappa,levers.agricultural_support.insurance\n\
         200,0.5,true\n300, 1.5 ,false\n250,2,false\n",
    );
    let dry = run_ok(&mut case.cmd(&["--dry-run"]));
    assert_mentions(
        &dry,
        &[
            "design table: 3 points × 2 replicates = 6 runs",
            "  0: 0.5, 200, true\n",
            "  1: 1.5, 300, false\n",
            "  2: 2, 250, false\n",
        ],
    );
    run_ok(&mut case.cmd(&[]));
    let points = std::fs::read_to_string(case.out.join("points.csv")).expect("points.csv");
    assert_eq!(
        points,
        "point_id,decision.kappa,population.households,levers.agricultural_support.insurance\n\
         0,0.5,200,true\n1,1.5,300,false\n2,2,250,false\n"
    );
    let runs = std::fs::read_to_string(case.out.join("runs.csv")).expect("runs.csv");
    let lead: Vec<String> = runs
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(8).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(
        lead,
        [
            "0,0,0,1,ok,0.5,200,true",
            "1,0,1,1,ok,0.5,200,true",
            "2,1,0,1,ok,1.5,300,false",
            "3,1,1,1,ok,1.5,300,false",
            "4,2,0,1,ok,2,250,false",
            "5,2,1,1,ok,2,250,false",
        ]
    );
}

#[test]
fn a_table_with_a_bad_cell_is_refused_naming_file_line_and_column() {
    let header = "population.households,decision.kappa,levers.agricultural_support.insurance\n";
    for (rows, line, column, cell, expected) in [
        (
            "200,0.5,true\n300,high,false\n",
            3,
            "decision.kappa",
            "\"high\"",
            "expected a number",
        ),
        (
            "200,0.5,true\n250,1,false\n300.5,1,false\n",
            4,
            "population.households",
            "\"300.5\"",
            "expected an integer",
        ),
        (
            "200,0.5,yes\n",
            2,
            "levers.agricultural_support.insurance",
            "\"yes\"",
            "expected a boolean",
        ),
        (
            "200,,true\n",
            2,
            "decision.kappa",
            "\"\"",
            "expected a number",
        ),
    ] {
        let case = Case::new(TABLE_SWEEP);
        let csv = write(case.tmp.path(), "points.csv", &format!("{header}{rows}"));
        let err = case.refused(&[]);
        assert_mentions(
            &err,
            &[
                &csv.display().to_string(),
                &format!("line {line}, column `{column}`"),
                cell,
                expected,
            ],
        );
    }
}

#[test]
fn a_table_with_a_bad_header_or_no_file_is_refused() {
    // A column that is no factor's path.
    let case = Case::new(TABLE_SWEEP);
    write(
        case.tmp.path(),
        "points.csv",
        "population.households,decision.kapa,levers.agricultural_support.insurance\n200,0.5,true\n",
    );
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &[
            "points.csv, line 1, column 2",
            "\"decision.kapa\"",
            "a column named after a factor's path",
        ],
    );
    // A ragged row.
    let case = Case::new(TABLE_SWEEP);
    write(
        case.tmp.path(),
        "points.csv",
        "population.households,decision.kappa,levers.agricultural_support.insurance\n200,0.5\n",
    );
    let err = case.refused(&[]);
    assert_mentions(&err, &["points.csv, line 2", "one cell per column"]);
    // No table file.
    let case = Case::new(TABLE_SWEEP);
    let err = case.refused(&[]);
    assert_mentions(
        &err,
        &["`design.file`", "points.csv", "a readable CSV file"],
    );
}
