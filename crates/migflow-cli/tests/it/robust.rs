//! `migflow robust`: the robustness of a sweep's policies across its
//! uncertainties, checked against runs.csv; repeatable to the byte; bad
//! input refused with exit 2 and a message naming it.

use crate::util::{fails_with_2, migflow, succeeds, write_in};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A small base scenario: 300 households, 5 years.
const BASE: &str =
    "[population]\nhouseholds = 300\nsites = 2\nvillages_per_site = 3\n[run]\nyears = 5\n";

const UNCERTAINTIES: &str = "[design]\nkind = \"lhs\"\npoints = 4\n\
[[uncertainties]]\npath = \"economy.w_out_month\"\nmin = 3000\nmax = 4500\n\
[[uncertainties]]\npath = \"economy.p_loss_out\"\nmin = 0.1\nmax = 0.3\n";

const POLICIES: &str = "[[policies]]\nname = \"baseline\"\n\
[[policies]]\nname = \"dividend\"\nset = { \"levers.asset_income.dividend\" = 2000.0 }\n\
[[policies]]\nname = \"workshops\"\nset = { \"levers.workshops.workshop_jobs_share\" = 0.2 }\n";

const OUTCOME: &str = "all_mean_poor_share";

fn sweep(dir: &Path, name: &str, body: &str) -> PathBuf {
    write_in(dir, "base.toml", BASE);
    let file = write_in(
        dir,
        &format!("{name}.toml"),
        &format!("base = \"base.toml\"\nseed = 11\nreplicates = 2\n{body}"),
    );
    let out = dir.join(name);
    succeeds(
        migflow()
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .arg("--quiet"),
    );
    out
}

/// A CSV file as rows of (column → cell), and its header.
fn table(path: &Path) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut reader = csv::Reader::from_path(path).expect("a CSV file");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.expect("row").iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

fn num(cell: &str) -> f64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

fn robust(dir: &Path, extra: &[&str]) -> std::process::Output {
    migflow()
        .arg("robust")
        .arg(dir)
        .args(["--outcome", OUTCOME])
        .args(extra)
        .output()
        .expect("start migflow")
}

/// Every file of a directory and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("the output directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn robust_writes_statistics_that_match_runs_csv_and_repeats_to_the_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sweep(
        tmp.path(),
        "policies",
        &format!("{UNCERTAINTIES}{POLICIES}"),
    );
    let first = robust(&dir, &["--threshold", "0.05"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("over 4 uncertainty points"), "{stdout}");
    let out = dir.join("robust");
    let written = files(&out);
    for name in [
        "robust.csv",
        "regret.csv",
        "manifest.json",
        "robust_outcome.svg",
        "robust_regret.svg",
        "robust_regret_max.svg",
        "robust_winners.svg",
    ] {
        assert!(written.contains_key(name), "{name} not written");
    }
    for (name, bytes) in &written {
        if name.ends_with(".svg") {
            assert!(String::from_utf8_lossy(bytes).contains("<svg"), "{name}");
        }
    }

    // The means per (policy, uncertainty point) over replicates, from runs.csv.
    let (_, runs) = table(&dir.join("runs.csv"));
    let mut means: BTreeMap<(String, u64), (f64, f64)> = BTreeMap::new();
    for r in &runs {
        let u = num(&r["point_id"]) as u64 / 3;
        let e = means.entry((r["policy"].clone(), u)).or_default();
        e.0 += num(&r[OUTCOME]);
        e.1 += 1.0;
    }
    let mean_of = |p: &str, u: u64| {
        let (s, n) = means[&(p.to_string(), u)];
        s / n
    };

    let (header, rows) = table(&out.join("robust.csv"));
    assert_eq!(
        header,
        [
            "policy",
            "points",
            "mean",
            "p05",
            "p25",
            "p50",
            "p75",
            "p95",
            "min",
            "max",
            "regret_mean",
            "regret_p90",
            "regret_max",
            "best_share",
            "satisficing_share"
        ]
    );
    let names: Vec<&str> = rows.iter().map(|r| r["policy"].as_str()).collect();
    assert_eq!(names, ["baseline", "dividend", "workshops"]);
    let mut best_total = 0.0;
    for r in &rows {
        let p = r["policy"].as_str();
        let y: Vec<f64> = (0..4).map(|u| mean_of(p, u)).collect();
        assert_eq!(r["points"], "4");
        let mean = y.iter().sum::<f64>() / 4.0;
        assert!((num(&r["mean"]) - mean).abs() < 1e-12, "{p}: mean");
        let min = y.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((num(&r["min"]) - min).abs() < 1e-12, "{p}: min");
        let met = y.iter().filter(|&&v| v <= 0.05).count() as f64 / 4.0;
        assert_eq!(num(&r["satisficing_share"]), met, "{p}: satisficing");
        // Minimising: regret is the distance from the smallest of the policies.
        let regret_max = (0..4u64)
            .map(|u| {
                let best = ["baseline", "dividend", "workshops"]
                    .map(|q| mean_of(q, u))
                    .into_iter()
                    .fold(f64::INFINITY, f64::min);
                mean_of(p, u) - best
            })
            .fold(0.0, f64::max);
        assert!(
            (num(&r["regret_max"]) - regret_max).abs() < 1e-12,
            "{p}: regret_max"
        );
        best_total += num(&r["best_share"]);
    }
    assert!((best_total - 1.0).abs() < 1e-12, "best shares sum to 1");

    let (header, regret) = table(&out.join("regret.csv"));
    assert_eq!(
        header,
        [
            "uncertainty_point",
            "point_id",
            "economy.w_out_month",
            "economy.p_loss_out",
            "policy",
            "outcome",
            "regret",
            "best_policy"
        ]
    );
    assert_eq!(regret.len(), 12);
    for chunk in regret.chunks(3) {
        let smallest = chunk
            .iter()
            .map(|r| num(&r["regret"]))
            .fold(f64::INFINITY, f64::min);
        assert_eq!(smallest, 0.0, "the best has no regret");
        assert!(
            chunk
                .iter()
                .all(|r| r["best_policy"] == chunk[0]["best_policy"])
        );
    }

    let manifest: serde_json::Value = serde_json::from_slice(&written["manifest.json"]).unwrap();
    assert_eq!(manifest["outcome"], OUTCOME);
    assert_eq!(manifest["direction"], "minimise");
    assert_eq!(manifest["threshold"], 0.05);
    let runs_bytes = std::fs::read(dir.join("runs.csv")).unwrap();
    assert_eq!(
        manifest["runs_csv_sha256"],
        migflow_io_sha256(&runs_bytes).as_str()
    );

    // Again into the same directory: the same bytes.
    let second = robust(&dir, &["--threshold", "0.05"]);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let again = files(&out);
    assert_eq!(
        again.keys().collect::<Vec<_>>(),
        written.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &written {
        assert!(again[name] == *bytes, "{name} differs on the second run");
    }

    // Maximising turns the regrets around: the best policy changes.
    let other = tmp.path().join("max");
    let max = robust(&dir, &["--maximise", "--out", other.to_str().unwrap()]);
    assert!(
        max.status.success(),
        "{}",
        String::from_utf8_lossy(&max.stderr)
    );
    let (_, max_regret) = table(&other.join("regret.csv"));
    for (a, b) in regret.iter().zip(&max_regret) {
        assert_eq!(a["outcome"], b["outcome"]);
    }
    assert_ne!(
        regret.iter().map(|r| &r["best_policy"]).collect::<Vec<_>>(),
        max_regret
            .iter()
            .map(|r| &r["best_policy"])
            .collect::<Vec<_>>()
    );
    let (_, max_rows) = table(&other.join("robust.csv"));
    assert!(max_rows.iter().all(|r| r["satisficing_share"].is_empty()));
}

fn migflow_io_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn robust_refuses_bad_input_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = sweep(
        tmp.path(),
        "policies",
        &format!("{UNCERTAINTIES}{POLICIES}"),
    );
    let err = fails_with_2(
        migflow()
            .arg("robust")
            .arg(&dir)
            .args(["--outcome", "all_mean_poor_shar"]),
    );
    assert!(
        err.contains("no outcome column `all_mean_poor_shar`"),
        "{err}"
    );
    assert!(err.contains("did you mean `all_mean_poor_share`"), "{err}");
    assert!(err.contains("runs.csv"), "{err}");

    let err = fails_with_2(migflow().arg("robust").arg(&dir).args([
        "--outcome",
        OUTCOME,
        "--minimise",
        "--maximise",
    ]));
    assert!(
        err.contains("--minimise") && err.contains("--maximise"),
        "{err}"
    );

    for bad in ["nan", "inf"] {
        let err = fails_with_2(migflow().arg("robust").arg(&dir).args([
            "--outcome",
            OUTCOME,
            "--threshold",
            bad,
        ]));
        assert!(
            err.contains("--threshold") && err.contains("finite"),
            "{err}"
        );
    }

    // Never into the sweep's own directory.
    let err = fails_with_2(
        migflow()
            .arg("robust")
            .arg(&dir)
            .args(["--outcome", OUTCOME, "--out"])
            .arg(&dir),
    );
    assert!(err.contains("results directory"), "{err}");

    // A threshold nobody meets is an answer (shares 0), with a note.
    let out = succeeds(migflow().arg("robust").arg(&dir).args([
        "--outcome",
        OUTCOME,
        "--threshold",
        "-1",
    ]));
    assert!(
        out.contains("note: no point of any policy meets the threshold"),
        "{out}"
    );

    let plain = sweep(tmp.path(), "plain", UNCERTAINTIES);
    let err = fails_with_2(
        migflow()
            .arg("robust")
            .arg(&plain)
            .args(["--outcome", OUTCOME]),
    );
    assert!(
        err.contains("a sweep without policies: name [[policies]] in the sweep file"),
        "{err}"
    );

    let one = sweep(
        tmp.path(),
        "one",
        &format!("{UNCERTAINTIES}[[policies]]\nname = \"baseline\"\n"),
    );
    let err = fails_with_2(
        migflow()
            .arg("robust")
            .arg(&one)
            .args(["--outcome", OUTCOME]),
    );
    assert!(err.contains("one policy only (`baseline`)"), "{err}");

    let fixed = sweep(
        tmp.path(),
        "fixed",
        &format!(
            "[design]\nkind = \"grid\"\n[[uncertainties]]\npath = \"economy.w_out_month\"\nlevels = [3800]\n{POLICIES}"
        ),
    );
    let err = fails_with_2(
        migflow()
            .arg("robust")
            .arg(&fixed)
            .args(["--outcome", OUTCOME]),
    );
    assert!(err.contains("a sweep without uncertainties"), "{err}");
}
