//! `[costs]` and `costs.csv` end to end: bad unit costs and misspelt keys
//! refused with exit 2 by name; a run writes `costs.csv` (and, by site,
//! `site_costs.csv`), listed in the manifest, the same with 1 and 2 threads;
//! `--print-default` states every key of `[costs]`.

use crate::util::{fails_with_2, migflow_in as migflow, succeeds, write_in as write};
use tempfile::TempDir;

/// A small scenario: 300 households, 3 years.
const SMALL: &str = "[run]\nyears = 3\nreplicates = 1\n[population]\nhouseholds = 300\n";

fn assert_names(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }
}

#[test]
fn a_negative_unit_cost_is_refused_naming_the_key_and_value() {
    let tmp = TempDir::new().unwrap();
    for (line, key, value) in [
        (
            "per_placement_year = -100.0",
            "costs.per_placement_year",
            "-100",
        ),
        (
            "insurance_premium_per_mu = nan",
            "costs.insurance_premium_per_mu",
            "NaN",
        ),
    ] {
        write(tmp.path(), "s.toml", &format!("{SMALL}[costs]\n{line}\n"));
        let err = fails_with_2(migflow(tmp.path()).args(["validate", "s.toml"]));
        assert_names(&err, &["s.toml", key, value]);
        let err = fails_with_2(migflow(tmp.path()).args(["run", "s.toml", "-q", "-o", "out"]));
        assert_names(&err, &[key]);
        assert!(
            !tmp.path().join("out").exists(),
            "a refused run wrote output"
        );
    }
}

#[test]
fn a_misspelt_key_in_costs_is_refused_naming_it_and_the_right_one() {
    let tmp = TempDir::new().unwrap();
    write(
        tmp.path(),
        "s.toml",
        &format!("{SMALL}[costs]\nper_placment_year = 100.0\n"),
    );
    let err = fails_with_2(migflow(tmp.path()).args(["run", "s.toml", "-q", "-o", "out"]));
    assert_names(&err, &["s.toml", "per_placment_year", "per_placement_year"]);
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn a_run_writes_costs_listed_in_its_manifest_and_the_same_with_1_and_2_threads() {
    let tmp = TempDir::new().unwrap();
    write(tmp.path(), "s.toml", SMALL);
    for (out, threads) in [("one", "1"), ("two", "2")] {
        succeeds(migflow(tmp.path()).args([
            "run",
            "s.toml",
            "-q",
            "-o",
            out,
            "--by-site",
            "--threads",
            threads,
        ]));
    }
    for name in ["costs.csv", "site_costs.csv"] {
        let a = std::fs::read(tmp.path().join("one").join(name)).unwrap();
        let b = std::fs::read(tmp.path().join("two").join(name)).unwrap();
        assert!(a == b, "{name} differs between 1 and 2 threads");
        let manifest = std::fs::read_to_string(tmp.path().join("one/manifest.json")).unwrap();
        assert!(
            manifest.contains(&format!("\"{name}\"")),
            "{name} not in the manifest"
        );
    }
    let dir = tmp.path().join("one");
    let files = migflow_io::read_manifest(&dir.join("manifest.json"))
        .unwrap()
        .files;
    let costs = migflow_io::costs::read_costs(&dir, &files)
        .unwrap()
        .expect("costs.csv");
    assert_eq!(costs.rows.len(), 3 * migflow_io::costs::BLOCK_ROWS);
    let sites = migflow_io::costs::read_site_costs(&dir, &files)
        .unwrap()
        .expect("site_costs.csv");
    assert_eq!(sites.rows.len(), 2 * costs.rows.len(), "two sites");
    // Without --by-site, no site_costs.csv.
    succeeds(migflow(tmp.path()).args(["run", "s.toml", "-q", "-o", "plain"]));
    assert!(tmp.path().join("plain/costs.csv").exists());
    assert!(!tmp.path().join("plain/site_costs.csv").exists());
}

#[test]
fn print_default_states_every_cost_key_with_a_comment() {
    let tmp = TempDir::new().unwrap();
    let text = succeeds(migflow(tmp.path()).args(["scenario", "--print-default"]));
    let at = text.find("\n[costs]\n").expect("a [costs] table");
    let table = &text[at..];
    let table = &table[..table[1..].find("\n[").map_or(table.len(), |e| e + 1)];
    for key in [
        "grow_with_wages",
        "per_placement_year",
        "per_firm_job_year",
        "per_workshop_job_year",
        "per_training_slot",
        "extension_per_mu",
        "insurance_premium_per_mu",
    ] {
        let line = table
            .lines()
            .position(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("{key} missing from [costs]:\n{table}"));
        let before = table.lines().nth(line - 1).unwrap();
        assert!(before.starts_with('#'), "{key} has no comment:\n{table}");
    }
}
