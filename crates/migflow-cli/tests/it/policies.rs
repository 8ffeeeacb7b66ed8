//! Sweeps of policies under uncertainty: every policy runs at every point
//! of the design with common random numbers, and bad policies are refused
//! naming the key.

use crate::util::{fails_with_2, migflow, succeeds, write_in};
use std::collections::BTreeMap;
use std::path::Path;

/// A small base scenario: 300 households, 5 years.
const BASE: &str =
    "[population]\nhouseholds = 300\nsites = 2\nvillages_per_site = 3\n[run]\nyears = 5\n";

const UNCERTAINTIES: &str = "[design]\nkind = \"lhs\"\npoints = 3\n\
[[uncertainties]]\npath = \"economy.w_out_month\"\nmin = 3000\nmax = 4500\n\
[[uncertainties]]\npath = \"economy.p_loss_out\"\nmin = 0.1\nmax = 0.3\n";

fn sweep_text(policies: &str) -> String {
    format!("base = \"base.toml\"\nseed = 5\nreplicates = 2\n{UNCERTAINTIES}{policies}")
}

/// runs.csv as rows of (column → cell).
fn runs(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join("runs.csv")).expect("runs.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.expect("row").iter().map(String::from))
                .collect()
        })
        .collect()
}

fn sweep(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let file = write_in(dir, &format!("{name}.toml"), text);
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

#[test]
fn every_policy_runs_at_every_uncertainty_point_with_common_random_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    write_in(tmp.path(), "base.toml", BASE);
    write_in(
        tmp.path(),
        "more_workshops.toml",
        &format!("{BASE}[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
    );
    let policies = "[[policies]]\nname = \"baseline\"\n\
        [[policies]]\nname = \"from_file\"\nscenario = \"more_workshops.toml\"\n\
        [[policies]]\nname = \"dividend\"\nset = { \"levers.asset_income.dividend\" = 2000.0 }\n";
    let with = sweep(tmp.path(), "with", &sweep_text(policies));
    let plain = sweep(tmp.path(), "plain", &sweep_text(""));
    let with_rows = runs(&with);
    let plain_rows = runs(&plain);
    // 3 policies × 3 points × 2 replicates, policy fastest.
    assert_eq!(with_rows.len(), 18);
    let names: Vec<&str> = with_rows.iter().map(|r| r["policy"].as_str()).collect();
    assert_eq!(
        &names[..6],
        [
            "baseline",
            "baseline",
            "from_file",
            "from_file",
            "dividend",
            "dividend"
        ]
    );
    let outcome = "all_mean_poor_share";
    for (u, chunk) in with_rows.chunks(6).enumerate() {
        // The same uncertainty values for every policy of a point.
        for row in chunk {
            for key in ["economy.w_out_month", "economy.p_loss_out"] {
                assert_eq!(row[key], chunk[0][key], "point {u}: {key}");
            }
        }
        // The baseline policy is the plain sweep's point, replicate by
        // replicate: the same streams, bit for bit.
        for r in 0..2 {
            let plain_row = &plain_rows[u * 2 + r];
            assert_eq!(
                chunk[r]["economy.w_out_month"],
                plain_row["economy.w_out_month"]
            );
            assert_eq!(
                chunk[r][outcome], plain_row[outcome],
                "point {u} replicate {r}"
            );
        }
        // The other policies change the outcome.
        assert_ne!(
            chunk[0][outcome], chunk[4][outcome],
            "dividend at point {u}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(with.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["policies"],
        serde_json::json!(["baseline", "from_file", "dividend"])
    );
    assert_eq!(manifest["factors"][0], "policy");
}

#[test]
fn bad_policies_are_refused_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    write_in(tmp.path(), "base.toml", BASE);
    write_in(tmp.path(), "short.toml", "[run]\nyears = 3\n");
    let cases = [
        (
            "[[policies]]\nname = \"a\"\n[[policies]]\nname = \"a\"\n",
            "policies[1].name",
        ),
        ("[[policies]]\nname = \"a b\"\n", "policies[0].name"),
        (
            "[[policies]]\nname = \"a\"\nset = { \"levers.workshops.no_such_key\" = 1 }\n",
            "policies[0].set.\"levers.workshops.no_such_key\"",
        ),
        (
            "[[policies]]\nname = \"a\"\nset = { \"economy.p_loss_out\" = 0.2 }\n",
            "is a factor of the design",
        ),
        (
            "[[policies]]\nname = \"a\"\nscenario = \"short.toml\"\n",
            "policies[0].scenario",
        ),
        (
            "[[policies]]\nname = \"a\"\nset = { \"levers.workshops.workshop_jobs_share\" = -1.0 }\n",
            "policies[0]",
        ),
        ("[[policies]]\nname = \"a\"\nsurprise = 1\n", "surprise"),
    ];
    for (policies, expected) in cases {
        let file = write_in(tmp.path(), "bad.toml", &sweep_text(policies));
        let err = fails_with_2(
            migflow()
                .arg("sweep")
                .arg(&file)
                .arg("--out")
                .arg(tmp.path().join("out"))
                .arg("--dry-run"),
        );
        assert!(err.contains(expected), "{policies}: {err}");
    }
    let sobol = "base = \"base.toml\"\n[design]\nkind = \"sobol\"\nbase_points = 4\n\
        [[uncertainties]]\npath = \"economy.p_loss_out\"\nmin = 0.1\nmax = 0.3\n\
        [[policies]]\nname = \"a\"\n";
    let file = write_in(tmp.path(), "sobol.toml", sobol);
    let err = fails_with_2(
        migflow()
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .arg("--dry-run"),
    );
    assert!(err.contains("design.kind"), "{err}");
}
