//! `migflow compare` of many policies against one base: effects over a
//! window checked by hand from the runs' trajectories, the manifest's
//! inputs, and refusals of runs that cannot be paired.

use crate::util::{fails_with_2, migflow, succeeds, write_in};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SMALL: &str = "[population]\nhouseholds = 400\n\n[run]\nyears = 5\n";

fn run(dir: &Path, name: &str, scenario: &str, extra: &[&str]) -> PathBuf {
    let toml = write_in(dir, &format!("{name}.toml"), scenario);
    let out = dir.join(name);
    succeeds(
        migflow()
            .arg("run")
            .arg(&toml)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .args(extra),
    );
    out
}

/// A CSV file as rows of (column → cell).
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// `all`'s `metric` in trajectories.csv of `dir`, by (replicate, year).
fn all_metric(dir: &Path, metric: &str) -> BTreeMap<(u32, i32), f64> {
    rows(&dir.join("trajectories.csv"))
        .into_iter()
        .filter(|r| r["livelihood"] == "all")
        .map(|r| {
            (
                (r["replicate"].parse().unwrap(), r["year"].parse().unwrap()),
                r[metric].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn effects_over_a_window_are_the_mean_paired_differences_of_every_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let reps = ["--replicates", "3", "--seed", "9"];
    let base = run(tmp.path(), "base", SMALL, &reps);
    let workshops = run(
        tmp.path(),
        "workshops",
        &format!("{SMALL}[levers.workshops]\nworkshop_jobs_share = 0.25\n"),
        &reps,
    );
    let dividend = run(
        tmp.path(),
        "dividend",
        &format!("{SMALL}[levers.asset_income]\ndividend = 3000.0\n"),
        &reps,
    );
    let out = tmp.path().join("cmp");
    succeeds(
        migflow()
            .arg("compare")
            .arg(&base)
            .arg(&workshops)
            .arg(&dividend)
            .arg("--window")
            .arg("2022-2024")
            .arg("--out")
            .arg(&out),
    );
    let effects = rows(&out.join("effects.csv"));
    for (name, dir) in [("workshops", &workshops), ("dividend", &dividend)] {
        let row = effects
            .iter()
            .find(|r| {
                r["policy"] == name
                    && r["livelihood"] == "all"
                    && r["metric"] == "poor_share"
                    && r["cohort_year"].is_empty()
            })
            .unwrap_or_else(|| panic!("no effect of {name}"));
        assert_eq!(
            (row["window_start"].as_str(), row["window_end"].as_str()),
            ("2022", "2024")
        );
        // By hand: per replicate the mean over 2022–2024 of policy − base,
        // then the mean over replicates.
        let (b, p) = (
            all_metric(&base, "poor_share"),
            all_metric(dir, "poor_share"),
        );
        let per_rep: Vec<f64> = (0..3)
            .map(|r| (2022..=2024).map(|y| p[&(r, y)] - b[&(r, y)]).sum::<f64>() / 3.0)
            .collect();
        let mean = per_rep.iter().sum::<f64>() / 3.0;
        let found: f64 = row["diff_mean"].parse().unwrap();
        assert!((found - mean).abs() < 1e-12, "{name}: {found} vs {mean}");
        assert_eq!(row["n"], "3");
        let (lo, hi): (f64, f64) = (
            row["ci95_low"].parse().unwrap(),
            row["ci95_high"].parse().unwrap(),
        );
        assert!(lo <= found && found <= hi);
    }
    // differences.csv holds both policies, every metric.
    let diffs = rows(&out.join("differences.csv"));
    assert!(
        diffs
            .iter()
            .any(|r| r["policy"] == "dividend" && r["metric"] == "return_rate")
    );
    assert!(
        diffs
            .iter()
            .any(|r| r["policy"] == "workshops" && r["metric"] == "mean_income_pp")
    );
    // The manifest names every input by path and the hash of its manifest.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let hash =
        |dir: &Path| migflow_io::sha256_hex(&std::fs::read(dir.join("manifest.json")).unwrap());
    assert_eq!(manifest["base"]["manifest_sha256"], hash(&base));
    assert_eq!(manifest["policies"][1]["name"], "dividend");
    assert_eq!(manifest["policies"][1]["manifest_sha256"], hash(&dividend));
    assert_eq!(manifest["window"], serde_json::json!([2022, 2024]));
    let listed = manifest["files"].as_array().unwrap();
    let effects_entry = listed.iter().find(|f| f["name"] == "effects.csv").unwrap();
    assert_eq!(
        effects_entry["sha256"],
        migflow_io::sha256_hex(&std::fs::read(out.join("effects.csv")).unwrap())
    );
}

#[test]
fn runs_that_cannot_be_paired_and_bad_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let base = run(
        tmp.path(),
        "base",
        SMALL,
        &["--replicates", "2", "--seed", "1"],
    );
    let other_seed = run(
        tmp.path(),
        "seed2",
        SMALL,
        &["--replicates", "2", "--seed", "2"],
    );
    let fine = run(
        tmp.path(),
        "fine",
        SMALL,
        &["--replicates", "2", "--seed", "1"],
    );
    let compare = |policy: &Path, extra: &[&str]| {
        let mut cmd = migflow();
        cmd.arg("compare")
            .arg(&base)
            .arg(policy)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .args(extra);
        fails_with_2(&mut cmd)
    };
    let err = compare(&other_seed, &[]);
    assert!(err.contains("seed 2") && err.contains("seed 1"), "{err}");
    let err = compare(&fine, &["--window", "2019-2022"]);
    assert!(
        err.contains("--window") && err.contains("2021–2025"),
        "{err}"
    );
    let err = compare(&fine, &["--window", "later"]);
    assert!(err.contains("--window"), "{err}");
    let err = compare(&fine, &["--name", "a", "--name", "b"]);
    assert!(err.contains("--name"), "{err}");
    let err = compare(&fine, &["--cohort-year", "2023"]);
    assert!(
        err.contains("--cohort-year 2023") && err.contains("2020"),
        "{err}"
    );
}

/// Each replicate's total lever cost over `years`, from costs.csv.
fn window_cost(dir: &Path, years: std::ops::RangeInclusive<i32>) -> Vec<f64> {
    let mut by_rep = BTreeMap::new();
    for r in rows(&dir.join("costs.csv")) {
        let year: i32 = r["year"].parse().unwrap();
        if r["lever"] == "total" && r["item"] == "total" && years.contains(&year) {
            *by_rep.entry(r["replicate"].clone()).or_insert(0.0) +=
                r["cost"].parse::<f64>().unwrap();
        }
    }
    by_rep.into_values().collect()
}

#[test]
fn cost_effectiveness_is_paired_and_gives_no_ratio_when_the_effect_may_be_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let reps = ["--replicates", "3", "--seed", "4"];
    let base = run(tmp.path(), "base", SMALL, &reps);
    let workshops = run(
        tmp.path(),
        "workshops",
        &format!("{SMALL}[levers.workshops]\nworkshop_jobs_share = 0.3\n"),
        &reps,
    );
    // The same levers as the base until 2025: no effect in the window.
    let later = run(
        tmp.path(),
        "later",
        &format!("{SMALL}[levers.workshops]\nend_year = 2030\n"),
        &reps,
    );
    let out = tmp.path().join("cmp");
    succeeds(
        migflow()
            .arg("compare")
            .arg(&base)
            .arg(&workshops)
            .arg(&later)
            .arg("--window")
            .arg("2021-2025")
            .arg("--out")
            .arg(&out),
    );
    let ce = rows(&out.join("cost_effectiveness.csv"));
    assert_eq!(ce.len(), 4, "two policies × two kinds of poverty averted");
    let row = ce
        .iter()
        .find(|r| r["policy"] == "workshops" && r["averted"] == "poor_household_year")
        .unwrap();
    let (b, w) = (
        window_cost(&base, 2021..=2025),
        window_cost(&workshops, 2021..=2025),
    );
    let extra = (0..3).map(|r| w[r] - b[r]).sum::<f64>() / 3.0;
    let found: f64 = row["extra_cost"].parse().unwrap();
    assert!(
        (found - extra).abs() < 1e-6 * extra.abs(),
        "{found} vs {extra}"
    );
    assert!(extra > 0.0, "more workshop jobs cost more");
    // The later policy is the base in 2021–2025: no cost per unit averted.
    for r in ce.iter().filter(|r| r["policy"] == "later") {
        assert_eq!(r["cost_per_averted"], "", "{r:?}");
        assert!(r["note"].contains("includes zero"), "{r:?}");
    }
}
