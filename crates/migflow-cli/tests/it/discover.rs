//! `migflow discover`: scenario discovery on a finished sweep.

use crate::util::*;
use std::path::{Path, PathBuf};

/// A small LHS sweep (30 points, 300 households, 1 replicate), with
/// `[[policies]]` when `policies` is true; its results directory.
fn sweep(dir: &Path, policies: bool) -> PathBuf {
    let head = if policies { "uncertainties" } else { "factors" };
    let mut text = format!(
        "base = \"default\"\nseed = 21\nreplicates = 1\n[design]\nkind = \"lhs\"\npoints = 30\n\
         [[{head}]]\npath = \"decision.beta_net\"\nmin = 0.5\nmax = 3.0\n\
         [[{head}]]\npath = \"decision.beta_attach\"\nmin = 0.5\nmax = 3.0\n\
         [[{head}]]\npath = \"population.households\"\nlevels = [300]\n"
    );
    if policies {
        text.push_str(
            "[[policies]]\nname = \"baseline\"\n[[policies]]\nname = \"no_training\"\n\
             set = { \"levers.training.end_year\" = 2021 }\n",
        );
    }
    let file = write_in(dir, "sweep.toml", &text);
    let out = dir.join("sweep");
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

/// A `--where` that makes about half the points cases: above the median
/// point mean of `outcome`.
fn median_condition(sweep: &Path, outcome: &str) -> String {
    let mut r = csv::Reader::from_path(sweep.join("runs.csv")).expect("runs.csv");
    let col = r
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == outcome)
        .expect("outcome column");
    let mut v: Vec<f64> = r
        .records()
        .map(|rec| rec.expect("row")[col].parse().expect("number"))
        .collect();
    v.sort_by(f64::total_cmp);
    format!("> {}", v[v.len() / 2])
}

fn discover(sweep: &Path) -> assert_cmd::Command {
    let mut cmd = migflow();
    cmd.arg("discover").arg(sweep);
    cmd
}

#[test]
fn prim_and_cart_write_their_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = sweep(tmp.path(), false);
    let cond = median_condition(&s, "all_mean_poor_share");
    let out = succeeds(discover(&s).args(["--outcome", "all_mean_poor_share", "--where", &cond]));
    assert!(out.contains("of 30 design points are cases"), "{out}");
    assert!(out.contains("PRIM:"), "{out}");
    assert!(
        out.contains("population.households"),
        "the dropped factor is noted: {out}"
    );
    let d = s.join("discover");
    for name in [
        "cases.csv",
        "prim_trajectory.csv",
        "box_limits.csv",
        "discover_trajectory.svg",
        "manifest.json",
    ] {
        assert!(d.join(name).is_file(), "{name} missing: {out}");
    }
    let cases = std::fs::read_to_string(d.join("cases.csv")).expect("cases.csv");
    assert!(
        cases
            .starts_with("point,decision.beta_net,decision.beta_attach,all_mean_poor_share,case\n"),
        "{cases}"
    );
    assert_eq!(cases.lines().count(), 31);
    let traj = std::fs::read_to_string(d.join("prim_trajectory.csv")).expect("trajectory");
    assert!(
        traj.starts_with("box,phase,coverage,density,mean,mass,res_dim,n,k\n0,start,1,"),
        "{traj}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("manifest.json")).expect("manifest"))
            .expect("json");
    let runs = std::fs::read(s.join("runs.csv")).expect("runs.csv");
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&runs)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(manifest["sweep"]["runs_csv_sha256"], sha.as_str());
    assert_eq!(manifest["options"]["peel_alpha"], 0.05);

    let cart_dir = tmp.path().join("cart");
    let out = succeeds(
        discover(&s)
            .args([
                "--outcome",
                "all_mean_poor_share",
                "--where",
                &cond,
                "--method",
                "cart",
            ])
            .arg("--out")
            .arg(&cart_dir),
    );
    assert!(out.contains("CART:"), "{out}");
    let leaves = std::fs::read_to_string(cart_dir.join("cart_leaves.csv")).expect("leaves");
    assert!(leaves.starts_with("leaf,depth,n,k,coverage,density,mass,case_dominated,rule\n"));
    assert!(!cart_dir.join("prim_trajectory.csv").exists());
}

#[test]
fn bad_input_is_refused_with_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = sweep(tmp.path(), false);
    let err = fails_with_2(discover(&s).args(["--outcome", "all_mean_poor", "--where", "> 0.1"]));
    assert!(err.contains("no outcome column `all_mean_poor`"), "{err}");
    assert!(
        err.contains("all_mean_poor_share"),
        "lists valid ones: {err}"
    );
    assert!(err.contains("runs.csv"), "{err}");

    let err =
        fails_with_2(discover(&s).args(["--outcome", "all_mean_poor_share", "--where", "> 100"]));
    assert!(
        err.contains("selects none of the 30 design points"),
        "{err}"
    );
    assert!(err.contains("range from"), "{err}");
    let err =
        fails_with_2(discover(&s).args(["--outcome", "all_mean_poor_share", "--where", ">= -1"]));
    assert!(err.contains("selects all of the 30 design points"), "{err}");

    for bad in ["0.05", "== 0.1", "> abc"] {
        let err =
            fails_with_2(discover(&s).args(["--outcome", "all_mean_poor_share", "--where", bad]));
        assert!(err.contains("--where"), "{bad}: {err}");
        assert!(
            err.contains(">, >=, <, <=") || err.contains("not a finite number"),
            "{err}"
        );
    }

    let err = fails_with_2(discover(&s).args([
        "--outcome",
        "all_mean_poor_share",
        "--where",
        "> 0.03",
        "--policy",
        "baseline",
    ]));
    assert!(err.contains("no `policy` factor column"), "{err}");

    // Into the sweep's own directory: refused.
    let err = fails_with_2(
        discover(&s)
            .args([
                "--outcome",
                "all_mean_poor_share",
                "--where",
                "> 0.03",
                "--out",
            ])
            .arg(&s),
    );
    assert!(err.contains("results directory"), "{err}");
    assert!(!s.join("discover").exists(), "nothing written on refusal");
}

#[test]
fn policy_selects_one_policys_points() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let s = sweep(tmp.path(), true);
    let err = fails_with_2(discover(&s).args([
        "--outcome",
        "all_mean_poor_share",
        "--where",
        "> 0.03",
        "--policy",
        "nope",
    ]));
    assert!(err.contains("no policy `nope`"), "{err}");
    assert!(
        err.contains("baseline, no_training"),
        "lists the names: {err}"
    );

    let cond = median_condition(&s, "all_mean_poor_share");
    let out = succeeds(discover(&s).args([
        "--outcome",
        "all_mean_poor_share",
        "--where",
        &cond,
        "--policy",
        "baseline",
    ]));
    assert!(out.contains("policy baseline"), "{out}");
    let cases = std::fs::read_to_string(s.join("discover/cases.csv")).expect("cases.csv");
    assert!(
        !cases.lines().next().unwrap_or("").contains("policy"),
        "{cases}"
    );
    assert_eq!(cases.lines().count(), 31, "30 points of one policy");
}
