//! Calibration tests: a synthetic truth recovered, impossible targets
//! flagged, determinism across thread counts, resume, bad input.

use crate::util::migflow;
use migflow_analysis::calibrate::{
    CalibrateOptions, CalibrationPlan, Method, calibrate, read_targets_csv,
};
use migflow_core::record::{ALL_GROUP, YearRecord};
use std::path::{Path, PathBuf};

use crate::kill::{KillAt, kill_at};

/// A 2-year base scenario with `households` households.
fn write_base(dir: &Path, households: u64) -> PathBuf {
    let path = dir.join("base.toml");
    std::fs::write(
        &path,
        format!("[population]\nhouseholds = {households}\n\n[run]\nyears = 2\n"),
    )
    .unwrap();
    path
}

fn employment_rate(r: &YearRecord) -> f64 {
    let all = r.groups[ALL_GROUP].with_labor as f64;
    let none = r.groups[migflow_core::Livelihood::None.index()].with_labor as f64;
    1.0 - none / all
}

const PRIORS: &str = "[[parameters]]\npath = \"economy.p_find_base\"\nmin = 0.6\nmax = 1.0\n\n\
[[parameters]]\npath = \"economy.w_out_month\"\nmin = 2500.0\nmax = 5000.0\n";

fn options(out: &Path, method: Method, samples: u64) -> CalibrateOptions {
    CalibrateOptions {
        out: out.to_path_buf(),
        method,
        samples,
        accept: 0.1,
        generations: 3,
        resume: false,
        threads: 0,
    }
}

#[test]
fn synthetic_truth_is_recovered_and_the_posterior_is_narrower_than_the_prior() {
    let tmp = tempfile::tempdir().unwrap();
    write_base(tmp.path(), 1500);
    // The truth: p_find_base 0.8, w_out_month 3,900, observed through
    // another seed than the calibration's (other random streams).
    let mut truth = crate::util::small_scenario(1500);
    truth.run.years = 2;
    truth.economy.p_find_base = 0.8;
    truth.economy.w_out_month = 3900.0;
    let runs = crate::util::run(&truth, 777, 4);
    let mean = |f: &dyn Fn(&[YearRecord]) -> f64| crate::util::mean_over(&runs, |r| f(r));
    let mut targets = String::new();
    for (y, year) in [(0usize, 2021), (1, 2022)] {
        let emp = mean(&|r| employment_rate(&r[y]));
        let income = mean(&|r| r[y].groups[ALL_GROUP].mean_income_pc.unwrap());
        let outbound = mean(&|r| r[y].groups[0].mean_income_pc.unwrap());
        targets.push_str(&format!(
            "[[targets]]\nmetric = \"employment_rate\"\nyear = {year}\nvalue = {emp}\nsd = 0.005\n\n\
             [[targets]]\nmetric = \"mean_income_pc\"\nyear = {year}\nvalue = {income}\nsd = 150\n\n\
             [[targets]]\nmetric = \"mean_income_pc\"\nyear = {year}\nlivelihood = \"outbound\"\nvalue = {outbound}\nsd = 300\n\n"
        ));
    }
    let calib = tmp.path().join("calib.toml");
    std::fs::write(
        &calib,
        format!("base = \"base.toml\"\nseed = 5\nreplicates = 2\nfit_replicates = 4\n{PRIORS}\n{targets}"),
    )
    .unwrap();
    let plan = CalibrationPlan::load(&calib).unwrap();
    let out = tmp.path().join("out");
    let mut opts = options(&out, Method::Rejection, 300);
    opts.accept = 0.05;
    let report = calibrate(&plan, &opts, &|_, _| {}, &|| {}).unwrap();
    let m = &report.manifest;
    assert_eq!(m.generation_summaries[0].accepted, 15);
    for (p, truth) in m.parameters.iter().zip([0.8, 3900.0]) {
        let prior_sd = (p.prior_max - p.prior_min) / 12f64.sqrt();
        assert!(
            p.q025 <= truth && truth <= p.q975,
            "{}: the truth {truth} is outside the posterior's 95% interval {} to {}",
            p.path,
            p.q025,
            p.q975
        );
        assert!(
            p.sd < 0.5 * prior_sd,
            "{}: the posterior sd {} is not narrower than half the prior's {prior_sd}",
            p.path,
            p.sd
        );
    }
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    // Every output is there, and best_fit.toml runs.
    for name in [
        "samples.csv",
        "posterior.csv",
        "fit.csv",
        "best_fit.toml",
        "manifest.json",
    ] {
        assert!(out.join(name).exists(), "{name}");
    }
    let posterior = std::fs::read_to_string(out.join("posterior.csv")).unwrap();
    assert!(posterior.starts_with(
        "generation,sample,distance,weight,economy.p_find_base,economy.w_out_month\n"
    ));
    assert_eq!(posterior.lines().count(), 1 + 15);
    let fit = std::fs::read_to_string(out.join("fit.csv")).unwrap();
    assert_eq!(fit.lines().count(), 1 + 6 + 1, "{fit}");
    assert!(fit.lines().last().unwrap().starts_with("all_targets,"));
    let best = migflow_io::files::load_scenario(&out.join("best_fit.toml")).unwrap();
    assert_eq!(best.scenario().population.households, 1500);
    assert_eq!(best.scenario().economy.w_out_month, m.parameters[1].mean);
    assert!(!out.join("stream").exists());
}

/// A tiny calibration in `dir` (300 households, 1 year) plus `extra`.
fn write_tiny(dir: &Path, extra: &str) -> PathBuf {
    write_base(dir, 300);
    let path = dir.join("calib.toml");
    std::fs::write(
        &path,
        format!(
            "base = \"base.toml\"\nseed = 3\nreplicates = 1\nfit_replicates = 2\n{PRIORS}\n\
             [[targets]]\nmetric = \"employment_rate\"\nyear = 2021\nvalue = 0.93\nsd = 0.01\n\n\
             [[targets]]\nmetric = \"mean_income_pc\"\nyear = 2022\nvalue = 13000\nsd = 500\n{extra}"
        ),
    )
    .unwrap();
    path
}

fn calibrate_cli(calib: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let output = migflow()
        .arg("calibrate")
        .arg(calib)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "migflow calibrate failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn an_impossible_target_gives_a_clear_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let calib = write_tiny(
        tmp.path(),
        "\n[[targets]]\nmetric = \"poor_share\"\nyear = 2022\nvalue = 1.5\nsd = 0.05\n\n\
         [[targets]]\nmetric = \"mean_income_pc\"\nyear = 2022\nlivelihood = \"farm\"\nvalue = 60000\nsd = 1000\n",
    );
    let out = tmp.path().join("out");
    let output = calibrate_cli(&calib, &out, &["--samples", "40"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("WARNING: target poor_share all 2022") && stderr.contains("outside [0, 1]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("WARNING: target mean_income_pc farm 2022")
            && stderr.contains("cannot reach it"),
        "{stderr}"
    );
    let fit = std::fs::read_to_string(out.join("fit.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(fit.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let warning = |metric: &str, livelihood: &str| -> String {
        rows.iter()
            .find(|r| &r[col("metric")] == metric && &r[col("livelihood")] == livelihood)
            .unwrap()[col("warning")]
        .to_string()
    };
    assert!(warning("poor_share", "all").contains("no parameter set can fit it"));
    assert!(warning("mean_income_pc", "farm").contains("sd"));
    assert_eq!(
        warning("employment_rate", "all"),
        "",
        "a reachable target has no warning"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("poor_share all 2022"));
}

#[test]
fn the_same_seed_gives_the_same_posterior_with_1_and_2_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let calib = write_tiny(tmp.path(), "");
    for method in [
        &["--method", "rejection"][..],
        &["--method", "smc", "--generations", "3"][..],
    ] {
        let read = |threads: &str| {
            let out = tmp.path().join(format!("out-{}-{threads}", method[1]));
            let mut args = vec!["--samples", "60", "--threads", threads];
            args.extend_from_slice(method);
            calibrate_cli(&calib, &out, &args);
            [
                "posterior.csv",
                "samples.csv",
                "fit.csv",
                "manifest.json",
                "best_fit.toml",
            ]
            .map(|f| std::fs::read(out.join(f)).unwrap())
        };
        let one = read("1");
        let two = read("2");
        for (i, name) in [
            "posterior.csv",
            "samples.csv",
            "fit.csv",
            "manifest.json",
            "best_fit.toml",
        ]
        .iter()
        .enumerate()
        {
            assert!(
                one[i] == two[i],
                "{} {name} differs between 1 and 2 threads",
                method[1]
            );
        }
    }
}

/// Start an SMC calibration of 150 samples × 3 generations on 6,000
/// households (about 2 s on one thread), SIGKILL it `when` (checking that it
/// was killed before it finished and, before the first commit, that nothing
/// was committed), resume it, and compare with an uninterrupted one.
fn kill_and_resume(when: KillAt, tag: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let calib = write_tiny(tmp.path(), "");
    std::fs::write(
        tmp.path().join("base.toml"),
        "[population]\nhouseholds = 6000\n\n[run]\nyears = 2\n",
    )
    .unwrap();
    let args = ["--samples", "150", "--method", "smc", "--generations", "3"];
    let reference = tmp.path().join("reference");
    calibrate_cli(&calib, &reference, &args);
    let out = tmp.path().join(format!("killed-{tag}"));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_migflow"))
        .arg("calibrate")
        .arg(&calib)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--threads", "1"])
        .args(args)
        .spawn()
        .unwrap();
    let committed = kill_at(&mut child, &out, "samples.csv", when);
    assert!(
        committed < 450,
        "killed after every sample was committed ({committed})"
    );
    for name in ["samples.csv", "posterior.csv", "fit.csv", "best_fit.toml"] {
        assert!(!out.join(name).exists(), "no final {name} before the end");
    }
    // Without --resume the directory is refused.
    let output = migflow()
        .arg("calibrate")
        .arg(&calib)
        .arg("--out")
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--resume"));
    calibrate_cli(&calib, &out, &[&args[..], &["--resume"]].concat());
    for name in [
        "samples.csv",
        "posterior.csv",
        "fit.csv",
        "manifest.json",
        "best_fit.toml",
    ] {
        assert!(
            std::fs::read(reference.join(name)).unwrap() == std::fs::read(out.join(name)).unwrap(),
            "{name} differs after kill and resume"
        );
    }
    // The truncated kernel is drawn exactly: no proposal fell back to its
    // parent, and the manifest says so per generation.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let generations = manifest["generation_summaries"].as_array().unwrap();
    assert_eq!(generations.len(), 3);
    assert!(
        generations.iter().all(|g| g["fallbacks"] == 0),
        "{generations:?}"
    );
    // Resuming a finished calibration redoes only the final files.
    calibrate_cli(&calib, &out, &[&args[..], &["--resume"]].concat());
    assert!(
        std::fs::read(reference.join("posterior.csv")).unwrap()
            == std::fs::read(out.join("posterior.csv")).unwrap()
    );
    // Other settings are another calibration.
    let output = migflow()
        .arg("calibrate")
        .arg(&calib)
        .arg("--out")
        .arg(&out)
        .args([
            "--samples",
            "151",
            "--method",
            "smc",
            "--generations",
            "3",
            "--resume",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("different calibration"));
}

#[test]
fn a_calibration_killed_before_its_first_commit_resumes_to_identical_outputs() {
    kill_and_resume(KillAt::BeforeFirstCommit, "early");
}

#[test]
fn a_calibration_killed_after_commits_resumes_to_identical_outputs() {
    kill_and_resume(KillAt::AfterACommit, "committed");
}

#[test]
fn bad_calibration_files_name_the_key_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[targets]]\nmetric = \"poor_shares\"\nyear = 2021\nvalue = 0.1\nsd = 0.01\n",
            "targets[2].metric",
        ),
        (
            "[[targets]]\nmetric = \"poor_share\"\nyear = 2030\nvalue = 0.1\nsd = 0.01\n",
            "targets[2].year",
        ),
        (
            "[[targets]]\nmetric = \"poor_share\"\nyear = 2021\nvalue = 0.1\nsd = -1\n",
            "targets[2].sd",
        ),
        (
            "[[targets]]\nmetric = \"poor_share\"\nyear = 2021\nvalue = 0.1\nsdd = 0.01\n",
            "calib.toml:",
        ),
        (
            "[[targets]]\nmetric = \"employment_rate\"\nyear = 2021\nlivelihood = \"farm\"\nvalue = 0.9\nsd = 0.01\n",
            "targets[2].livelihood",
        ),
        (
            "[[parameters]]\npath = \"economy.w_out\"\nmin = 1.0\nmax = 2.0\n",
            "parameters[2].path",
        ),
        (
            "[[parameters]]\npath = \"economy.p_sick\"\nmin = 0.0\nmax = 2.0\n",
            "parameters[2].max",
        ),
    ];
    for (extra, key) in cases {
        let calib = write_tiny(tmp.path(), extra);
        let output = migflow()
            .arg("calibrate")
            .arg(&calib)
            .arg("--out")
            .arg(tmp.path().join("never"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{extra}: {stderr}");
        assert!(
            stderr.contains(key),
            "{extra}: expected `{key}` in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn targets_can_come_from_a_csv_file() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("targets.csv"),
        "metric,year,livelihood,value,weight,sd\npoor_share,2022,all,0.04,2,0.01\nshare,2021,local,0.2,1,0.02\n",
    )
    .unwrap();
    let calib = write_tiny(tmp.path(), "");
    let text = std::fs::read_to_string(&calib).unwrap();
    std::fs::write(&calib, format!("targets_file = \"targets.csv\"\n{text}")).unwrap();
    let plan = CalibrationPlan::load(&calib).unwrap();
    assert_eq!(plan.targets.len(), 4);
    assert_eq!(plan.targets[2].origin, "targets.csv row 1");
    assert_eq!(plan.targets[2].target.weight, 2.0);
    assert_eq!(plan.targets[3].target.metric, "share");
    let rows = read_targets_csv(&tmp.path().join("targets.csv")).unwrap();
    assert_eq!(rows.len(), 2);
    std::fs::write(
        tmp.path().join("targets.csv"),
        "metric,year,value,sd\npoor_share,2022,lots,0.01\n",
    )
    .unwrap();
    let err = CalibrationPlan::load(&calib).unwrap_err().to_string();
    assert!(
        err.contains("targets.csv") && err.contains("row 1"),
        "{err}"
    );
}

#[test]
fn the_shipped_calibration_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("scenarios/calibration/relocated_2021_2022.toml");
    let plan = CalibrationPlan::load(&path).unwrap();
    assert_eq!(
        plan.parameter_paths(),
        [
            "economy.p_find_base",
            "economy.w_out_month",
            "economy.w_informal_month",
            "decision.p_review",
            "decision.kappa"
        ]
    );
    let labels: Vec<String> = plan.targets.iter().map(|t| t.label()).collect();
    assert_eq!(
        labels,
        [
            "employment_rate all 2021",
            "employment_rate all 2022",
            "mean_income_pp all 2022",
            "stayed_share all 2024",
            "stayed_share all 2025"
        ]
    );
    assert!(plan.targets.iter().all(|t| t.range_warning.is_none()));
    // The persistence assumption counts as one observation over two years.
    let persistence: f64 = plan
        .targets
        .iter()
        .filter(|t| t.target.metric == "stayed_share")
        .map(|t| t.target.weight)
        .sum();
    assert_eq!(persistence, 1.0);
    assert_eq!(
        plan.sim_base.run.years, 5,
        "samples simulate 2021–2025 only (the last target year)"
    );
    assert_eq!(plan.base.scenario().run.years, 15);
}
