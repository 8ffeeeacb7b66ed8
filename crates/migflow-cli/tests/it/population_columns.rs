//! The population file's optional columns (MODEL.md §2): `id` and `weight`
//! travel to the household panel, `distance_km` is read, a survey's own
//! columns are read past only when `population.ignore_columns` lists them;
//! every bad value or column is refused up front (exit 2, naming the file,
//! the row or header, the column and the value) and leaves no output.

use crate::util::{fails_with_2, migflow_in, population, succeeds, write_in};
use std::collections::HashMap;
use std::path::Path;
use tempfile::TempDir;

const HEADER: &str = "site,village,ages,skill,land_mu,attachment,state";
const ROW: &str = "0,1,40;38;10,0.5,2,0.4,farm";

/// Write `pop.csv` and `s.toml` (3 years, 2 replicates, the file's
/// households, `population.ignore_columns = ignore`) into `dir`.
fn scenario(dir: &Path, csv: &str, ignore: &[&str]) {
    write_in(dir, "pop.csv", csv);
    let ignore: Vec<String> = ignore.iter().map(|c| format!("{c:?}")).collect();
    write_in(
        dir,
        "s.toml",
        &format!(
            "[run]\nyears = 3\nreplicates = 2\n[population]\nfile = \"pop.csv\"\n\
             ignore_columns = [{}]\n",
            ignore.join(", ")
        ),
    );
}

/// The panel's rows, each as a map from column name to cell.
fn panel(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("households.csv");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, migflow_io::PANEL_HEADER);
    reader
        .records()
        .map(|r| {
            let r = r.expect("panel row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn survey_ids_and_weights_reach_the_household_panel() {
    let tmp = TempDir::new().unwrap();
    let ids = ["GX-0001", "GX-0002", "=HYPERLINK(\"x\")", "GX 0004"];
    let weights = ["12.5", "0.75", "3", "140"];
    let mut csv = format!("id,{HEADER},weight,distance_km,township\n");
    for (i, (id, w)) in ids.iter().zip(weights).enumerate() {
        let id = id.replace('"', "\"\"");
        csv.push_str(&format!("\"{id}\",{ROW},{w},{},Longsheng\n", 10 * i));
    }
    scenario(tmp.path(), &csv, &["township"]);
    succeeds(migflow_in(tmp.path()).args([
        "run",
        "s.toml",
        "-q",
        "--out",
        "out",
        "--households-out",
    ]));
    let rows = panel(&tmp.path().join("out/households.csv"));
    assert!(!rows.is_empty());
    let mut seen = [false; 4];
    for row in &rows {
        let h: usize = row["household"].parse().expect("household number");
        seen[h] = true;
        // The formula-like id is neutralised as other user text is.
        let id = if h == 2 { "'=HYPERLINK(\"x\")" } else { ids[h] };
        assert_eq!(row["survey_id"], id, "{row:?}");
        assert_eq!(
            row["weight"].parse::<f64>().ok(),
            weights[h].parse::<f64>().ok(),
            "{row:?}"
        );
    }
    assert_eq!(seen, [true; 4], "every household in the panel");
    // Right after `household`.
    let at = |c: &str| migflow_io::PANEL_HEADER.iter().position(|h| *h == c);
    assert_eq!(at("survey_id"), at("household").map(|i| i + 1));
    assert_eq!(at("weight"), at("household").map(|i| i + 2));
}

#[test]
fn a_file_without_ids_writes_an_empty_survey_id_and_weight_1() {
    let tmp = TempDir::new().unwrap();
    scenario(tmp.path(), &population(6), &[]);
    succeeds(migflow_in(tmp.path()).args([
        "run",
        "s.toml",
        "-q",
        "--out",
        "out",
        "--households-out",
    ]));
    let rows = panel(&tmp.path().join("out/households.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(
            (row["survey_id"].as_str(), row["weight"].as_str()),
            ("", "1")
        );
    }
}

/// `csv` (with `ignore`) must be refused by `validate` and by `run`, each
/// exiting 2 naming `pop.csv` and every one of `parts`, and the run must
/// write no output directory.
fn refused(csv: &str, ignore: &[&str], parts: &[&str]) {
    let tmp = TempDir::new().unwrap();
    scenario(tmp.path(), csv, ignore);
    let validate = fails_with_2(migflow_in(tmp.path()).args(["validate", "s.toml"]));
    let run = fails_with_2(migflow_in(tmp.path()).args([
        "run",
        "s.toml",
        "-q",
        "--out",
        "out",
        "--households-out",
    ]));
    for err in [&validate, &run] {
        for part in std::iter::once("pop.csv").chain(parts.iter().copied()) {
            assert!(err.contains(part), "missing {part:?} in:\n{err}");
        }
    }
    let out = tmp.path().join("out");
    assert!(!out.exists(), "a refused run wrote {}", out.display());
}

#[test]
fn a_weight_that_is_not_a_positive_number_is_refused() {
    for bad in ["0", "-1", "abc", "NaN", "inf"] {
        refused(
            &format!("{HEADER},weight\n{ROW},1.5\n{ROW},{bad}\n"),
            &[],
            &["row 2", "`weight`", &format!("found {bad:?}"), "> 0"],
        );
    }
}

#[test]
fn a_negative_distance_is_refused() {
    refused(
        &format!("{HEADER},distance_km\n{ROW},5\n{ROW},8\n{ROW},-1\n"),
        &[],
        &["row 3", "`distance_km`", "found \"-1\"", "from 0 to"],
    );
}

#[test]
fn a_repeated_id_is_refused_naming_both_rows() {
    refused(
        &format!("id,{HEADER}\nGX-1,{ROW}\nGX-2,{ROW}\nGX-1,{ROW}\n"),
        &[],
        &["row 3", "`id`", "found \"GX-1\"", "row 1 has the id"],
    );
}

#[test]
fn an_empty_id_is_refused() {
    refused(
        &format!("id,{HEADER}\nGX-1,{ROW}\n ,{ROW}\n"),
        &[],
        &["row 2", "`id`", "found \"\"", "non-empty"],
    );
}

#[test]
fn a_survey_column_is_refused_unless_ignored() {
    let csv = format!("{HEADER},township\n{ROW},Longsheng\n");
    refused(
        &csv,
        &[],
        &[
            "header",
            "`township`",
            "found \"township\"",
            "population.ignore_columns",
        ],
    );
    let tmp = TempDir::new().unwrap();
    scenario(tmp.path(), &csv, &["township"]);
    succeeds(migflow_in(tmp.path()).args(["run", "s.toml", "-q", "--out", "out"]));
}

#[test]
fn an_ignored_column_the_file_lacks_or_the_model_reads_is_refused() {
    refused(
        &format!("{HEADER},township\n{ROW},Longsheng\n"),
        &["township", "county"],
        &[
            "header",
            "`county`",
            "(missing)",
            "columns are site, village, ages, skill, land_mu, attachment, state, township",
        ],
    );
    refused(
        &format!("id,{HEADER}\nGX-1,{ROW}\n"),
        &["id"],
        &[
            "header",
            "`id`",
            "population.ignore_columns",
            "drop its data",
        ],
    );
}
