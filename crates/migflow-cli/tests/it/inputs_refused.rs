//! Inputs an adversarial campaign found accepted (or refused only once they
//! ran, or refused in words that did not say what was wrong): each is
//! refused up front with exit 2, naming the file, the key or row and what
//! was expected, and leaving no output.

use crate::util::{fails_with_2, migflow_in as migflow, succeeds, write_in as write};
use std::path::Path;
use tempfile::TempDir;

fn assert_names(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }
}

/// A small scenario: 50 households, 2 years.
const SMALL: &str = "[run]\nyears = 2\nreplicates = 1\n[population]\nhouseholds = 50\n";

const HEADER: &str = "site,village,ages,skill,land_mu,attachment,state\n";

fn population_scenario(tmp: &Path, csv: &str) {
    write(tmp, "pop.csv", csv);
    write(
        tmp,
        "s.toml",
        "[run]\nyears = 2\nreplicates = 1\n[population]\nfile = \"pop.csv\"\n",
    );
}

#[test]
fn a_population_value_out_of_range_is_refused_naming_row_column_value_and_range() {
    let tmp = TempDir::new().unwrap();
    let row = "0,0,40;38,0.5,1.5,0.5,farm\n";
    for (bad, column, expected) in [
        ("0,0,40;38,0.5,1e308,0.5,farm\n", "land_mu", "from 0 to 1e9"),
        ("0,0,40;38,0.5,inf,0.5,farm\n", "land_mu", "from 0 to 1e9"),
        ("0,0,40;38,1.5,1,0.5,farm\n", "skill", "[0, 1]"),
        ("0,0,40;38,0.5,1,-0.1,farm\n", "attachment", "[0, 1]"),
        ("0,0,40;300,0.5,1,0.5,farm\n", "ages", "0 to 120"),
        ("0,9999999,40,0.5,1,0.5,farm\n", "village", "from 0 to"),
    ] {
        population_scenario(tmp.path(), &format!("{HEADER}{row}{bad}"));
        let err = fails_with_2(migflow(tmp.path()).args(["validate", "s.toml"]));
        assert_names(
            &err,
            &["pop.csv", "row 2", &format!("`{column}`"), expected],
        );
        let out = tmp.path().join("out");
        fails_with_2(migflow(tmp.path()).args(["run", "s.toml", "-q", "--out", "out"]));
        assert!(!out.exists(), "a refused run wrote {}", out.display());
    }
    // The largest land allowed runs with finite incomes.
    population_scenario(
        tmp.path(),
        &format!("{HEADER}{row}0,0,40;38,0.5,1e9,0.5,farm\n"),
    );
    succeeds(migflow(tmp.path()).args(["run", "s.toml", "-q", "--out", "big"]));
    let trajectories = std::fs::read_to_string(tmp.path().join("big/trajectories.csv")).unwrap();
    assert!(
        !trajectories.contains("inf") && !trajectories.contains("NaN"),
        "{trajectories}"
    );
}

#[test]
fn a_duplicate_population_column_is_refused_naming_file_and_column() {
    let tmp = TempDir::new().unwrap();
    population_scenario(
        tmp.path(),
        "site,site,village,ages,skill,land_mu,attachment,state\n0,1,0,40,0.5,1,0.5,farm\n",
    );
    let err = fails_with_2(migflow(tmp.path()).args(["validate", "s.toml"]));
    assert_names(&err, &["pop.csv", "`site`", "once"]);
}

#[test]
fn a_seed_a_manifest_cannot_store_is_refused_wherever_it_enters() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write(dir, "small.toml", SMALL);
    let too_big = "9223372036854775808";
    let err = fails_with_2(migflow(dir).args([
        "run",
        "small.toml",
        "-q",
        "--seed",
        too_big,
        "--out",
        "out",
    ]));
    assert_names(&err, &["--seed", too_big, "9223372036854775807"]);
    assert!(!dir.join("out").exists());
    // The largest seed runs, and its manifest reruns.
    let most = "9223372036854775807";
    succeeds(migflow(dir).args(["run", "small.toml", "-q", "--seed", most, "--out", "max"]));
    succeeds(migflow(dir).args(["run", "max/manifest.json", "-q", "--out", "rerun"]));

    write(
        dir,
        "seed.toml",
        &SMALL.replace("[run]\n", &format!("[run]\nseed = {too_big}\n")),
    );
    let err = fails_with_2(migflow(dir).args(["validate", "seed.toml"]));
    assert_names(
        &err,
        &["seed.toml", "`run.seed`", too_big, "9223372036854775807"],
    );

    write(
        dir,
        "sweep.toml",
        &format!(
            "base = \"small.toml\"\nseed = {too_big}\n[design]\nkind = \"grid\"\n[[factors]]\npath = \"decision.kappa\"\nlevels = [1.0]\n"
        ),
    );
    let err = fails_with_2(migflow(dir).args(["validate", "sweep.toml"]));
    assert_names(
        &err,
        &["sweep.toml", "`seed`", too_big, "9223372036854775807"],
    );

    write(
        dir,
        "calib.toml",
        &format!("base = \"small.toml\"\nseed = {too_big}\nreplicates = 1\n{PARAM}{TARGET}"),
    );
    let err = fails_with_2(migflow(dir).args(["validate", "calib.toml"]));
    assert_names(
        &err,
        &["calib.toml", "`seed`", too_big, "9223372036854775807"],
    );
}

const PARAM: &str = "[[parameters]]\npath = \"decision.alpha_none\"\nmin = -2.0\nmax = 0.0\n";
const TARGET: &str =
    "[[targets]]\nmetric = \"employment_rate\"\nyear = 2022\nvalue = 0.9\nsd = 0.01\n";

#[test]
fn run_years_is_refused_as_a_calibration_parameter_with_the_reason() {
    let tmp = TempDir::new().unwrap();
    write(
        tmp.path(),
        "calib.toml",
        &format!(
            "replicates = 1\n[[parameters]]\npath = \"run.years\"\nmin = 2\nmax = 10\n{TARGET}"
        ),
    );
    let err = fails_with_2(migflow(tmp.path()).args(["validate", "calib.toml"]));
    assert_names(
        &err,
        &[
            "calib.toml",
            "parameters[0].path",
            "run.years",
            "last target year",
        ],
    );
}

#[test]
fn a_tiny_target_sd_is_refused_before_anything_is_written() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write(dir, "small.toml", SMALL);
    for sd in ["1e-320", "1e-13", "0.0"] {
        write(
            dir,
            "calib.toml",
            &format!(
                "base = \"small.toml\"\nreplicates = 1\n{PARAM}{}",
                TARGET.replace("sd = 0.01", &format!("sd = {sd}"))
            ),
        );
        let err = fails_with_2(migflow(dir).args([
            "calibrate",
            "calib.toml",
            "--out",
            "out",
            "--samples",
            "4",
        ]));
        assert_names(&err, &["calib.toml", "targets[0].sd", "at least 1e-12"]);
        assert!(
            !dir.join("out").exists(),
            "sd {sd}: a refused calibration wrote files"
        );
    }
    // In a targets file, the row and column are named.
    write(
        dir,
        "targets.csv",
        "metric,year,value,sd\nemployment_rate,2022,0.9,0.01\nemployment_rate,2021,0.9,1e-320\n",
    );
    write(
        dir,
        "calib.toml",
        &format!("base = \"small.toml\"\nreplicates = 1\ntargets_file = \"targets.csv\"\n{PARAM}"),
    );
    let err = fails_with_2(migflow(dir).args(["calibrate", "calib.toml", "--out", "out"]));
    assert_names(
        &err,
        &["targets.csv", "2", "sd", "1e-320", "at least 1e-12"],
    );
    assert!(!dir.join("out").exists());
    // Any other refusal before the first sample writes nothing either.
    write(
        dir,
        "targets.csv",
        "metric,year,value,sd\nemployment_rate,2022,0.9,0.01\n",
    );
    let err = fails_with_2(migflow(dir).args([
        "calibrate",
        "calib.toml",
        "--out",
        "out",
        "--accept",
        "2",
    ]));
    assert!(err.contains("accept"), "{err}");
    assert!(!dir.join("out").exists());
}

#[test]
fn a_targets_file_with_no_rows_is_said_to_have_no_targets() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "targets.csv", "metric,year,value,sd\n");
    write(
        tmp.path(),
        "calib.toml",
        &format!("replicates = 1\ntargets_file = \"targets.csv\"\n{PARAM}"),
    );
    let err = fails_with_2(migflow(tmp.path()).args(["validate", "calib.toml"]));
    assert_names(&err, &["`targets_file`", "no targets"]);
    assert!(!err.contains("or a `targets_file`"), "{err}");
}

#[test]
fn non_finite_and_out_of_range_grid_levels_are_refused_at_plan_time() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write(dir, "small.toml", SMALL);
    for (path, levels, value, expected) in [
        ("decision.kappa", "[0.1, nan]", "NaN", "a finite number"),
        ("decision.kappa", "[0.1, -inf]", "-inf", "a finite number"),
        ("population.households", "[50, -5]", "-5", "an integer ≥ 0"),
        (
            "population.households",
            "[50, 0]",
            "= 0",
            "an integer from 1 to",
        ),
        ("economy.p_sick", "[0.1, 1.5]", "1.5", "a probability"),
        ("economy.w_out_month", "[1, 1e300]", "1e300", "−1e9 to 1e9"),
    ] {
        write(
            dir,
            "sweep.toml",
            &format!(
                "base = \"small.toml\"\n[design]\nkind = \"grid\"\n[[factors]]\npath = \"{path}\"\nlevels = {levels}\n"
            ),
        );
        let err = fails_with_2(migflow(dir).args(["sweep", "sweep.toml", "--out", "out", "-q"]));
        assert_names(
            &err,
            &["sweep.toml", "factors[0].levels[1]", value, expected, path],
        );
        assert!(!dir.join("out").exists(), "{path} {levels}: output written");
    }
    // A level refused only with another key's value (`head_age_min` above
    // the base's `head_age_max`) can be valid at another factor's level.
    write(
        dir,
        "sweep.toml",
        "base = \"small.toml\"\n[design]\nkind = \"grid\"\n[[factors]]\npath = \"population.head_age_max\"\nlevels = [70]\n[[factors]]\npath = \"population.head_age_min\"\nlevels = [60]\n",
    );
    succeeds(migflow(dir).args(["validate", "sweep.toml"]));
}

#[test]
fn range_errors_name_the_key_path_and_print_numbers_readably() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "sweep.toml",
        "[design]\nkind = \"lhs\"\npoints = 4\n[[factors]]\npath = \"decision.kappa\"\nmin = 2.0\nmax = 1.0\n",
    );
    let err = fails_with_2(migflow(dir).args(["validate", "sweep.toml"]));
    assert_names(&err, &["`factors[0].min`", "decision.kappa"]);

    write(
        dir,
        "calib.toml",
        &format!(
            "replicates = 1\n[[parameters]]\npath = \"economy.p_sick\"\nmin = 0.0\nmax = 1e300\n{TARGET}"
        ),
    );
    let err = fails_with_2(migflow(dir).args(["validate", "calib.toml"]));
    assert_names(&err, &["parameters[0].max", "economy.p_sick", "1e300"]);
    assert!(!err.contains("00000000000"), "{err}");

    write(
        dir,
        "s.toml",
        "[economy]\nw_out_month = 1e300\nwage_growth = 3.0\n",
    );
    let err = fails_with_2(migflow(dir).args(["validate", "s.toml"]));
    assert_names(&err, &["= 1e300", "−1e9 to 1e9", "= 3:", "−1 to 1 "]);
    assert!(
        !err.contains("00000000000") && !err.contains("e0 "),
        "{err}"
    );
}

#[test]
fn a_duplicate_key_or_table_is_named() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "s.toml", "[run]\nyears = 3\nyears = 4\n");
    let err = fails_with_2(migflow(tmp.path()).args(["validate", "s.toml"]));
    assert_names(&err, &["s.toml:3:1", "duplicate key `years`"]);
    write(tmp.path(), "t.toml", "[run]\nyears = 3\n[run]\nseed = 4\n");
    let err = fails_with_2(migflow(tmp.path()).args(["validate", "t.toml"]));
    assert_names(&err, &["t.toml:3", "duplicate key `run`"]);
}

#[test]
fn validate_given_a_manifest_says_what_it_takes() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "small.toml", SMALL);
    succeeds(migflow(tmp.path()).args(["run", "small.toml", "-q", "--out", "r"]));
    let err = fails_with_2(migflow(tmp.path()).args(["validate", "r/manifest.json"]));
    assert_names(
        &err,
        &[
            "manifest.json",
            "JSON",
            "scenario, sweep or calibration",
            "migflow run",
        ],
    );
}

#[test]
fn resume_refusals_name_shards_and_the_base_scenario_plainly() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    write(dir, "small.toml", SMALL);
    write(
        dir,
        "sweep.toml",
        "base = \"small.toml\"\n[design]\nkind = \"grid\"\n[[factors]]\npath = \"decision.kappa\"\nlevels = [0.5, 1.0]\n",
    );
    succeeds(migflow(dir).args(["sweep", "sweep.toml", "--out", "whole", "-q"]));
    let err = fails_with_2(migflow(dir).args([
        "sweep",
        "sweep.toml",
        "--out",
        "whole",
        "-q",
        "--resume",
        "--shard",
        "0/2",
    ]));
    assert_names(&err, &["holds the whole sweep, not shard 0/2"]);
    assert!(!err.contains("Some(") && !err.contains("None"), "{err}");

    write(dir, "small.toml", &SMALL.replace("years = 2", "years = 3"));
    let err = fails_with_2(migflow(dir).args([
        "sweep",
        "sweep.toml",
        "--out",
        "whole",
        "-q",
        "--resume",
    ]));
    assert_names(&err, &["a different sweep", "base scenario", "small.toml"]);
}
