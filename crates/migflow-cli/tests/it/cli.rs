//! cli tests: the `migflow` binary end to end (outputs, reproducibility,
//! error messages and exit codes, help).

use crate::util::{migflow, write_in as write};
use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A small scenario: 300 households, 3 years (2021–2023).
const SMALL: &str = "[population]\nhouseholds = 300\n\n[run]\nyears = 3\n";
const HOUSEHOLDS: usize = 300;
const YEARS: usize = 3;

const TRAJECTORY_HEADER: &str = "replicate,year,livelihood,households,persons,with_labor,laborers,weighted_households,mean_income_pc,median_income_pc,mean_income_pp,poor_share,at_risk_share,dibao_share,stayed_share,returned,return_rate,ever_poor_share,dissolved";
const SUMMARY_HEADER: &str = "year,livelihood,metric,mean,sd,ci95_low,ci95_high,n";
const POPULATION_HEADER: &str = "site,village,ages,skill,land_mu,attachment,state";
const OUTPUT_FILES: [&str; 5] = [
    "trajectories.csv",
    "flows.csv",
    "summary.csv",
    "households.csv",
    "manifest.json",
];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `migflow run SCENARIO --out OUT --quiet EXTRA...`, which must succeed.
fn run_ok(scenario: &Path, out: &Path, extra: &[&str]) {
    let output = migflow()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("start migflow");
    assert!(
        output.status.success(),
        "migflow run failed ({:?}):\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Run the command, require exit code 2 and no panic; return stderr.
fn fails_with_2(cmd: &mut Command) -> String {
    let output = cmd.output().expect("start migflow");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected exit code 2, stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    assert!(
        stderr.trim_start().starts_with("error:"),
        "no error message:\n{stderr}"
    );
    stderr
}

/// `out` does not exist or holds no file at all (no final output, no
/// staged temporary file).
fn assert_no_outputs(out: &Path) {
    if !out.exists() {
        return;
    }
    let names: Vec<String> = std::fs::read_dir(out)
        .expect("list out dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        names.is_empty(),
        "files left in {}: {names:?}",
        out.display()
    );
}

/// Both `validate SCENARIO` and `run SCENARIO --out OUT` must fail with
/// exit code 2 and leave no output; returns both stderrs.
fn rejected(dir: &Path, scenario: &Path) -> Vec<String> {
    let out = dir.join("out");
    let validate = fails_with_2(migflow().arg("validate").arg(scenario));
    let run = fails_with_2(
        migflow()
            .arg("run")
            .arg(scenario)
            .arg("--out")
            .arg(&out)
            .arg("--quiet"),
    );
    assert_no_outputs(&out);
    vec![validate, run]
}

/// A scenario file in a fresh temporary directory.
fn scenario_dir(toml: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().expect("temp dir");
    let path = write(dir.path(), "scenario.toml", toml);
    (dir, path)
}

fn data_rows(csv: &str) -> usize {
    csv.lines().count() - 1
}

fn file_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn assert_no_temp_files(dir: &Path) {
    let leftovers: Vec<String> = file_names(dir)
        .into_iter()
        .filter(|n| n.starts_with('.') || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

// ---- run: outputs -------------------------------------------------------

#[test]
fn run_single_replicate_writes_trajectories_flows_manifest_and_no_summary() {
    let (dir, scenario) = scenario_dir(SMALL);
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &[]);
    for name in ["trajectories.csv", "flows.csv", "manifest.json"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    assert!(
        !out.join("summary.csv").exists(),
        "summary.csv written for 1 replicate"
    );
    assert!(!out.join("households.csv").exists());
    let trajectories = read(&out.join("trajectories.csv"));
    assert_eq!(trajectories.lines().next(), Some(TRAJECTORY_HEADER));
    assert_eq!(data_rows(&trajectories), YEARS * 6);
    assert_eq!(data_rows(&read(&out.join("flows.csv"))), YEARS * 25);
    assert_no_temp_files(&out);
}

#[test]
fn run_with_replicates_writes_tables_of_the_stated_shape_and_a_full_manifest() {
    let replicates = 3;
    let (dir, scenario) = scenario_dir(SMALL);
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &["--replicates", "3", "--seed", "11"]);

    let trajectories = read(&out.join("trajectories.csv"));
    assert_eq!(trajectories.lines().next(), Some(TRAJECTORY_HEADER));
    assert_eq!(data_rows(&trajectories), replicates * YEARS * 6);

    let flows = read(&out.join("flows.csv"));
    assert_eq!(
        flows.lines().next(),
        Some("replicate,year,from,to,households")
    );
    assert_eq!(data_rows(&flows), replicates * YEARS * 25);

    let summary = read(&out.join("summary.csv"));
    assert_eq!(summary.lines().next(), Some(SUMMARY_HEADER));
    assert!(data_rows(&summary) > 0);

    let manifest: serde_json::Value =
        serde_json::from_str(&read(&out.join("manifest.json"))).expect("manifest is JSON");
    for key in [
        "migflow_version",
        "scenario_toml",
        "scenario_sha256",
        "seed",
        "replicates",
        "threads",
        "start_time",
        "end_time",
        "wall_seconds",
        "household_years_per_second",
    ] {
        assert!(manifest.get(key).is_some(), "manifest lacks `{key}`");
    }
    assert_eq!(manifest["seed"], 11);
    assert_eq!(manifest["replicates"], 3);
    assert_no_temp_files(&out);
}

#[test]
fn households_out_writes_one_header_and_a_row_per_replicate_year_household() {
    let replicates = 2;
    let (dir, scenario) = scenario_dir(SMALL);
    let out = dir.path().join("out");
    run_ok(&scenario, &out, &["--replicates", "2", "--households-out"]);
    let panel = read(&out.join("households.csv"));
    let header = migflow_io::PANEL_HEADER.join(",");
    assert_eq!(panel.lines().next(), Some(header.as_str()));
    assert_eq!(panel.lines().filter(|l| *l == header).count(), 1);
    assert_eq!(data_rows(&panel), replicates * YEARS * HOUSEHOLDS);
    assert_no_temp_files(&out);
}

// ---- run: reproducibility -------------------------------------------------

#[test]
fn run_output_is_byte_identical_across_thread_counts_and_from_the_manifest() {
    let (dir, scenario) = scenario_dir(SMALL);
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    let common = ["--seed", "7", "--replicates", "2", "--by-site"];
    run_ok(
        &scenario,
        &one,
        &[&common[..], &["--threads", "1"]].concat(),
    );
    run_ok(
        &scenario,
        &two,
        &[&common[..], &["--threads", "2"]].concat(),
    );
    for name in [
        "trajectories.csv",
        "flows.csv",
        "summary.csv",
        "cohorts.csv",
        "sites.csv",
    ] {
        let a = read(&one.join(name));
        let b = read(&two.join(name));
        assert!(
            a == b,
            "{name} differs between 1 and 2 threads: {}",
            util_diff(&a, &b)
        );
    }

    let again = dir.path().join("again");
    run_ok(&one.join("manifest.json"), &again, &[]);
    for name in ["trajectories.csv", "cohorts.csv", "sites.csv"] {
        let a = read(&one.join(name));
        let b = read(&again.join(name));
        assert!(
            a == b,
            "{name}: rerun from manifest differs: {}",
            util_diff(&a, &b)
        );
    }
}

fn util_diff(a: &str, b: &str) -> String {
    crate::util::first_difference(a, b).unwrap_or_default()
}

// ---- validate and scenario ------------------------------------------------

#[test]
fn validate_good_file_prints_ok_and_the_resolved_sizes() {
    let (_dir, scenario) = scenario_dir(SMALL);
    let output = migflow()
        .arg("validate")
        .arg(&scenario)
        .output()
        .expect("start migflow");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for part in ["ok", "300 households", "2 sites", "40 villages", "3 years"] {
        assert!(stdout.contains(part), "`{part}` missing from:\n{stdout}");
    }
}

#[test]
fn validate_recognises_sweep_and_calibration_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for (file, expected) in [
        (
            "scenarios/sweeps/behaviour_lhs.toml",
            "a sweep: design lhs, 40 points × 2 replicates = 80 runs",
        ),
        (
            "scenarios/calibration/relocated_2021_2022.toml",
            "a calibration of economy.p_find_base",
        ),
    ] {
        let output = migflow()
            .arg("validate")
            .arg(root.join(file))
            .output()
            .expect("start migflow");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains(expected), "{file}: {stdout}");
    }
    let dir = TempDir::new().unwrap();
    let bad = dir.path().join("sweep.toml");
    std::fs::write(&bad, "base = \"default\"\n[design]\nkind = \"lhs\"\npoints = 0\n[[factors]]\npath = \"decision.kappa\"\nmin = 0.5\nmax = 1.0\n").unwrap();
    let output = migflow()
        .arg("validate")
        .arg(&bad)
        .output()
        .expect("start migflow");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("design.points") && !stderr.contains("unknown field `base`"),
        "{stderr}"
    );
}

#[test]
fn print_default_parses_as_the_default_scenario() {
    let output = migflow()
        .args(["scenario", "--print-default"])
        .output()
        .expect("start migflow");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let parsed = migflow_core::params::parse(&text, Path::new("<stdout>")).expect("parses");
    assert_eq!(parsed, migflow_core::Scenario::default());
}

// ---- bad input: exit code 2, file and key named, no output ----------------

#[test]
fn unknown_key_names_file_line_column_and_suggestion() {
    let (dir, scenario) = scenario_dir("[population]\nhouseholds = 300\nvilages_per_site = 3\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(
            stderr.contains(&format!("{}:3:1:", scenario.display())),
            "{stderr}"
        );
        assert!(stderr.contains("vilages_per_site"), "{stderr}");
        assert!(
            stderr.contains("did you mean `villages_per_site`"),
            "{stderr}"
        );
    }
}

#[test]
fn wrong_type_exits_2_naming_file_and_position() {
    let (dir, scenario) = scenario_dir("[run]\nyears = \"ten\"\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(
            stderr.contains(&format!("{}:2:", scenario.display())),
            "{stderr}"
        );
        assert!(stderr.contains("invalid type"), "{stderr}");
    }
}

#[test]
fn wrong_type_error_names_the_key() {
    let (dir, scenario) = scenario_dir("[run]\nyears = \"ten\"\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains("years"), "{stderr}");
    }
}

#[test]
fn probability_out_of_range_and_negative_wage_are_named() {
    let (dir, scenario) = scenario_dir("[economy]\np_sick = 1.5\nw_out_month = -100\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&scenario.display().to_string()), "{stderr}");
        assert!(stderr.contains("`economy.p_sick` = 1.5"), "{stderr}");
        assert!(stderr.contains("`economy.w_out_month` = -100"), "{stderr}");
    }
}

#[test]
fn negative_count_exits_2_naming_file_and_position() {
    let (dir, scenario) = scenario_dir("[population]\nhouseholds = -5\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(
            stderr.contains(&format!("{}:2:", scenario.display())),
            "{stderr}"
        );
        assert!(stderr.contains("-5"), "{stderr}");
    }
}

#[test]
fn negative_count_error_names_the_key() {
    let (dir, scenario) = scenario_dir("[population]\nhouseholds = -5\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains("households"), "{stderr}");
    }
}

#[test]
fn inverted_lever_window_names_the_start_year_key() {
    let (dir, scenario) = scenario_dir("[levers.workshops]\nstart_year = 2030\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&scenario.display().to_string()), "{stderr}");
        assert!(stderr.contains("levers.workshops.start_year"), "{stderr}");
    }
}

#[test]
fn initial_shares_not_summing_to_one_are_named() {
    let (dir, scenario) = scenario_dir("[population.initial_shares]\nnone = 0.3\n");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&scenario.display().to_string()), "{stderr}");
        assert!(stderr.contains("population.initial_shares"), "{stderr}");
        assert!(stderr.contains("sum to 1"), "{stderr}");
    }
}

/// A scenario whose population is `pop.csv` next to it.
fn population_scenario(csv: Option<&str>) -> (TempDir, PathBuf, PathBuf) {
    let (dir, scenario) = scenario_dir("[population]\nfile = \"pop.csv\"\n\n[run]\nyears = 3\n");
    let pop = dir.path().join("pop.csv");
    if let Some(csv) = csv {
        write(dir.path(), "pop.csv", csv);
    }
    (dir, scenario, pop)
}

#[test]
fn population_csv_bad_row_names_file_row_and_column() {
    let csv = format!(
        "{POPULATION_HEADER}\n0,0,35;33;10,0.3,2.0,0.4,outbound\n1,2,40;38,1.7,1.0,0.5,farm\n"
    );
    let (dir, scenario, pop) = population_scenario(Some(&csv));
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&pop.display().to_string()), "{stderr}");
        assert!(stderr.contains("row 2"), "{stderr}");
        assert!(stderr.contains("column `skill`"), "{stderr}");
        assert!(stderr.contains("1.7"), "{stderr}");
    }
}

#[test]
fn population_csv_missing_column_is_named() {
    let csv = "site,village,ages,skill,land_mu,state\n0,0,35;33;10,0.3,2.0,outbound\n";
    let (dir, scenario, pop) = population_scenario(Some(csv));
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&pop.display().to_string()), "{stderr}");
        assert!(stderr.contains("column `attachment`"), "{stderr}");
        assert!(stderr.contains("missing"), "{stderr}");
    }
}

#[test]
fn good_population_csv_is_accepted() {
    let csv = format!(
        "{POPULATION_HEADER}\n0,0,35;33;10,0.3,2.0,0.4,outbound\n1,2,40;38,0.5,1.0,0.5,farm\n"
    );
    let (_dir, scenario, _pop) = population_scenario(Some(&csv));
    let output = migflow()
        .arg("validate")
        .arg(&scenario)
        .output()
        .expect("start migflow");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 households"));
}

#[test]
fn missing_scenario_file_is_named() {
    let dir = TempDir::new().expect("temp dir");
    let scenario = dir.path().join("nope.toml");
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&scenario.display().to_string()), "{stderr}");
        assert!(stderr.contains("cannot read"), "{stderr}");
    }
}

#[test]
fn missing_scenario_file_states_the_cause_once() {
    let dir = TempDir::new().expect("temp dir");
    let scenario = dir.path().join("nope.toml");
    for stderr in rejected(dir.path(), &scenario) {
        assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    }
}

#[test]
fn missing_population_file_is_named() {
    let (dir, scenario, pop) = population_scenario(None);
    for stderr in rejected(dir.path(), &scenario) {
        assert!(stderr.contains(&pop.display().to_string()), "{stderr}");
        assert!(stderr.contains("cannot read"), "{stderr}");
    }
}

#[test]
fn unwritable_output_directory_exits_2_naming_the_path() {
    let (dir, scenario) = scenario_dir(SMALL);
    let file = write(dir.path(), "regular_file", "not a directory\n");
    let out = file.join("sub");
    let stderr = fails_with_2(
        migflow()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .arg("--quiet"),
    );
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    assert!(!out.exists());
    assert_eq!(read(&file), "not a directory\n");
    let mut names = file_names(dir.path());
    names.sort();
    assert_eq!(names, ["regular_file", "scenario.toml"]);
    for name in OUTPUT_FILES {
        assert!(!dir.path().join(name).exists());
    }
}

// ---- help -------------------------------------------------------------------

#[test]
fn help_of_each_subcommand_shows_examples() {
    for sub in ["run", "validate", "scenario"] {
        let output = migflow()
            .args([sub, "--help"])
            .output()
            .expect("start migflow");
        assert_eq!(output.status.code(), Some(0), "{sub} --help");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("Examples"), "{sub} --help:\n{stdout}");
    }
}

#[test]
fn a_run_or_sweep_larger_than_memory_is_refused_up_front_with_exit_2() {
    // 100 M households (the largest a scenario may ask for) × 8 replicates
    // held at once (8 threads: the most on 2 cores) need about 90 GB.
    let (dir, scenario) = scenario_dir("[population]\nhouseholds = 100000000\n");
    let out = dir.path().join("out");
    let err = fails_with_2(
        migflow()
            .arg("run")
            .arg(&scenario)
            .args(["--replicates", "64", "--threads", "8", "--out"])
            .arg(&out),
    );
    assert!(
        err.contains("scenario.toml") && err.contains("needs about") && err.contains("available"),
        "{err}"
    );
    assert_no_outputs(&out);

    let sweep = write(
        dir.path(),
        "sweep.toml",
        "base = \"default\"\n[design]\nkind = \"grid\"\n[[factors]]\n\
         path = \"population.households\"\nlevels = [100, 100000000]\n",
    );
    let err = fails_with_2(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .args(["--threads", "8", "--out"])
            .arg(dir.path().join("sweep-out")),
    );
    assert!(
        err.contains("sweep.toml") && err.contains("up to 100000000 households"),
        "{err}"
    );
    assert!(!dir.path().join("sweep-out").join("runs.csv").exists());
}

#[test]
fn sites_and_villages_count_in_the_memory_check() {
    // Ten households, but a million sites of 4,000 villages each: 96 GB of
    // village and site tables, more than any machine this runs on.
    let (dir, scenario) =
        scenario_dir("[population]\nhouseholds = 10\nsites = 1000000\nvillages_per_site = 4000\n");
    let out = dir.path().join("out");
    let err = fails_with_2(
        migflow()
            .arg("run")
            .arg(&scenario)
            .args(["--threads", "1", "--out"])
            .arg(&out),
    );
    assert!(
        err.contains("scenario.toml") && err.contains("a site") && err.contains("96.1 GB"),
        "{err}"
    );
    assert_no_outputs(&out);
    // `validate` states the memory and warns that this machine cannot run it.
    let checked = migflow().arg("validate").arg(&scenario).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr),
    );
    assert_eq!(checked.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("memory: about 96.1 GB a replicate"),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning") && stderr.contains("will refuse"),
        "{stderr}"
    );
    let sweep = write(
        dir.path(),
        "sweep.toml",
        "base = \"default\"\n[design]\nkind = \"grid\"\n[[factors]]\n\
         path = \"population.villages_per_site\"\nlevels = [2, 1000000]\n\
         [[factors]]\npath = \"population.sites\"\nlevels = [4000]\n",
    );
    let err = fails_with_2(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .args(["--threads", "1", "--out"])
            .arg(dir.path().join("sweep-out")),
    );
    assert!(
        err.contains("sweep.toml") && err.contains("96.0 GB"),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_address_space_limit_counts_as_memory_available() {
    // 10 M households need about 1.2 GB; under `ulimit -v` of 1 GB the run
    // is refused up front instead of aborting on a failed allocation.
    let (dir, scenario) = scenario_dir("[population]\nhouseholds = 10000000\n");
    let out = dir.path().join("out");
    let bin = migflow().get_program().to_owned();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1000000 && exec \"$0\" run \"$1\" --threads 1 --out \"$2\"")
        .arg(&bin)
        .arg(&scenario)
        .arg(&out)
        .output()
        .expect("start sh");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("needs about 1.2 GB") && err.contains("available"),
        "{err}"
    );
    assert_no_outputs(&out);
}

#[cfg(target_os = "linux")]
#[test]
fn a_device_or_binary_file_as_input_is_refused_not_read_forever() {
    let err = fails_with_2(migflow().args(["validate", "/dev/zero"]));
    assert!(
        err.contains("/dev/zero") && err.contains("a character device, not a regular file"),
        "{err}"
    );
    let (dir, scenario) = scenario_dir("[population]\nfile = \"/dev/zero\"\n");
    let out = dir.path().join("out");
    let err = fails_with_2(migflow().arg("run").arg(&scenario).arg("--out").arg(&out));
    assert!(
        err.contains("/dev/zero") && err.contains("a character device, not a regular file"),
        "{err}"
    );
    assert_no_outputs(&out);
    let binary = dir.path().join("binary.toml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).expect("write");
    let err = fails_with_2(migflow().arg("validate").arg(&binary));
    assert!(
        err.contains("binary.toml") && err.contains("not UTF-8"),
        "{err}"
    );
}
