//! cohorts tests: `cohorts.csv` and `sites.csv` of `migflow run` (MODEL.md
//! §6 "Cohorts"), as written, repeated, verified by the reader and compared.

use crate::util::{fails_with_2, migflow, rewrite_output, succeeds, write_in};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tempfile::TempDir;

/// 400 households over the default 15 years (2021–2035) and 2 sites.
const SMALL: &str = "[population]\nhouseholds = 400\n";
/// The same with a drought at site 1 in 2024 (the default 2022 event
/// restated: a file's [[events]] replace the default list).
const DROUGHT: &str = "[population]\nhouseholds = 400\n\n\
[[events]]\nkind = \"east_demand\"\nyear = 2022\njob_loss_factor = 2.0\n\n\
[[events]]\nkind = \"drought\"\nyear = 2024\nharvest_factor = 0.5\nsites = [1]\n";
const REPLICATES: usize = 2;
const GROUPS: [&str; 6] = ["outbound", "local", "farm", "mixed", "none", "all"];

/// A run of [`SMALL`] with 2 replicates and `--by-site`, made once.
struct Fixture {
    _dir: TempDir,
    root: PathBuf,
    run: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = TempDir::new().expect("tempdir");
        let root = dir.path().to_path_buf();
        let scenario = write_in(&root, "small.toml", SMALL);
        let run = root.join("run");
        run_ok(
            &scenario,
            &run,
            &["--replicates", "2", "--seed", "5", "--by-site"],
        );
        Fixture {
            _dir: dir,
            root,
            run,
        }
    })
}

fn run_ok(scenario: &Path, out: &Path, extra: &[&str]) {
    succeeds(
        migflow()
            .arg("run")
            .arg(scenario)
            .arg("--out")
            .arg(out)
            .arg("--quiet")
            .args(extra),
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A CSV file as its header and rows.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// The (cohort year, year) pairs of `cohorts.csv`, with their row counts.
fn cohort_years_rows(path: &Path) -> BTreeMap<(i32, i32), usize> {
    let (h, rows) = table(path);
    let (c, y) = (col(&h, "cohort_year"), col(&h, "year"));
    let mut out = BTreeMap::new();
    for row in rows {
        *out.entry((row[c].parse().unwrap(), row[y].parse().unwrap()))
            .or_insert(0) += 1;
    }
    out
}

/// Copy a results directory (flat) to `to`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&dir.join("manifest.json"))).expect("manifest is JSON")
}

fn report(dir: &Path, html: &Path) -> assert_cmd::Command {
    let mut cmd = migflow();
    cmd.arg("report").arg(dir).arg("-o").arg(html);
    cmd
}

#[test]
fn a_default_run_follows_the_cohorts_of_2020_and_2025_in_every_later_year() {
    let f = fixture();
    let path = f.run.join("cohorts.csv");
    let (header, _) = table(&path);
    assert_eq!(header, migflow_io::cohorts::COHORT_HEADER);
    let mut expected = BTreeMap::new();
    for year in 2021..=2035 {
        expected.insert((2020, year), REPLICATES * 6);
    }
    for year in 2026..=2035 {
        expected.insert((2025, year), REPLICATES * 6);
    }
    assert_eq!(cohort_years_rows(&path), expected);
    assert_eq!(
        manifest(&f.run)["cohort_years"],
        serde_json::json!([2020, 2025])
    );
}

#[test]
fn the_cohort_all_of_the_initial_state_is_the_trajectories_all_in_every_year() {
    let f = fixture();
    let (th, trows) = table(&f.run.join("trajectories.csv"));
    let (ch, crows) = table(&f.run.join("cohorts.csv"));
    let key = |h: &[String], row: &[String], group: &str| {
        (
            row[col(h, "replicate")].clone(),
            row[col(h, "year")].clone(),
            row[col(h, group)].clone(),
        )
    };
    let trajectories: BTreeMap<_, _> = trows
        .iter()
        .filter(|r| r[col(&th, "livelihood")] == "all")
        .map(|r| (key(&th, r, "livelihood"), r))
        .collect();
    let mut compared = 0;
    for row in crows
        .iter()
        .filter(|r| r[col(&ch, "cohort_year")] == "2020" && r[col(&ch, "cohort")] == "all")
    {
        let t = trajectories
            .get(&key(&ch, row, "cohort"))
            .unwrap_or_else(|| panic!("no trajectory row for {row:?}"));
        for metric in migflow_io::SUMMARY_METRICS {
            assert_eq!(
                row[col(&ch, metric)],
                t[col(&th, metric)],
                "{metric}, replicate {}, year {}",
                row[0],
                row[col(&ch, "year")]
            );
        }
        compared += 1;
    }
    assert_eq!(compared, REPLICATES * 15);
}

#[test]
fn cohort_years_chooses_the_cohorts() {
    let f = fixture();
    let out = f.root.join("only2023");
    run_ok(
        &f.root.join("small.toml"),
        &out,
        &["--replicates", "2", "--cohort-years", "2023"],
    );
    let expected: BTreeMap<_, _> = (2024..=2035).map(|y| ((2023, y), REPLICATES * 6)).collect();
    assert_eq!(cohort_years_rows(&out.join("cohorts.csv")), expected);
    assert_eq!(manifest(&out)["cohort_years"], serde_json::json!([2023]));
}

#[test]
fn a_cohort_year_outside_the_run_is_refused_and_nothing_is_written() {
    let f = fixture();
    for bad in ["2019", "2035", "2040"] {
        let out = f.root.join(format!("bad{bad}"));
        let stderr = fails_with_2(
            migflow()
                .arg("run")
                .arg(f.root.join("small.toml"))
                .args(["--quiet", "--cohort-years", &format!("2020,{bad}"), "--out"])
                .arg(&out),
        );
        assert!(
            stderr.contains(&format!("{bad} is not a cohort year"))
                && stderr.contains("2020")
                && stderr.contains("2034"),
            "{stderr}"
        );
        let written = std::fs::read_dir(&out).map(|d| d.count()).unwrap_or(0);
        assert_eq!(written, 0, "{bad}: files written to {}", out.display());
    }
}

#[test]
fn by_site_households_sum_to_the_trajectories_households() {
    let f = fixture();
    let (sh, srows) = table(&f.run.join("sites.csv"));
    assert_eq!(sh, migflow_io::cohorts::SITE_HEADER);
    let mut sums: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let mut sites = std::collections::BTreeSet::new();
    for r in &srows {
        sites.insert(r[col(&sh, "site")].clone());
        *sums
            .entry((
                r[col(&sh, "replicate")].clone(),
                r[col(&sh, "year")].clone(),
                r[col(&sh, "livelihood")].clone(),
            ))
            .or_default() += r[col(&sh, "households")].parse::<u64>().unwrap();
    }
    assert_eq!(sites.len(), 2);
    let (th, trows) = table(&f.run.join("trajectories.csv"));
    assert_eq!(trows.len(), REPLICATES * 15 * 6);
    assert_eq!(sums.len(), trows.len());
    for r in &trows {
        let key = (
            r[col(&th, "replicate")].clone(),
            r[col(&th, "year")].clone(),
            r[col(&th, "livelihood")].clone(),
        );
        let households: u64 = r[col(&th, "households")].parse().unwrap();
        assert_eq!(sums.get(&key), Some(&households), "{key:?}");
    }
}

/// `mean_income_pc` and `households` of the farm households of a site in
/// a year, per replicate.
fn site_farm(dir: &Path, site: &str, year: &str) -> Vec<(String, String)> {
    let (h, rows) = table(&dir.join("sites.csv"));
    rows.iter()
        .filter(|r| {
            r[col(&h, "site")] == site
                && r[col(&h, "year")] == year
                && r[col(&h, "livelihood")] == "farm"
        })
        .map(|r| {
            (
                r[col(&h, "households")].clone(),
                r[col(&h, "mean_income_pc")].clone(),
            )
        })
        .collect()
}

#[test]
fn a_drought_at_one_site_lowers_that_sites_farm_income_only() {
    let f = fixture();
    let scenario = write_in(&f.root, "drought.toml", DROUGHT);
    let out = f.root.join("drought");
    run_ok(
        &scenario,
        &out,
        &["--replicates", "2", "--seed", "5", "--by-site"],
    );
    // Before the drought the runs are the same.
    assert_eq!(site_farm(&out, "1", "2023"), site_farm(&f.run, "1", "2023"));
    let (with, without) = (site_farm(&out, "1", "2024"), site_farm(&f.run, "1", "2024"));
    assert_eq!(with.len(), REPLICATES);
    for ((_, a), (_, b)) in with.iter().zip(&without) {
        let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
        assert!(
            a < b,
            "site 1's farm income with the drought {a}, without {b}"
        );
    }
    // Site 0 in 2024: the same households with the same incomes (common
    // random numbers; they may part later, as site 1's households move).
    assert_eq!(site_farm(&out, "0", "2024"), site_farm(&f.run, "0", "2024"));
}

#[test]
fn a_rerun_from_the_manifest_repeats_cohorts_and_sites_byte_for_byte() {
    let f = fixture();
    let first = f.root.join("chosen");
    run_ok(
        &f.root.join("small.toml"),
        &first,
        &[
            "--replicates",
            "2",
            "--seed",
            "9",
            "--by-site",
            "--cohort-years",
            "2027,2020",
        ],
    );
    let again = f.root.join("chosen-again");
    run_ok(&first.join("manifest.json"), &again, &[]);
    for name in ["cohorts.csv", "sites.csv", "trajectories.csv"] {
        let (a, b) = (read(&first.join(name)), read(&again.join(name)));
        assert!(
            a == b,
            "{name} differs on the rerun: {:?}",
            crate::util::first_difference(&a, &b)
        );
    }
    assert_eq!(
        manifest(&again)["cohort_years"],
        manifest(&first)["cohort_years"]
    );
}

#[test]
fn the_manifest_lists_cohorts_csv_and_a_changed_one_is_refused() {
    let f = fixture();
    let m = manifest(&f.run);
    for name in ["cohorts.csv", "sites.csv"] {
        let entry = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("manifest lacks {name}"));
        let hash = migflow_io::sha256_hex(&std::fs::read(f.run.join(name)).unwrap());
        assert_eq!(entry["sha256"], hash.as_str(), "{name}");
    }
    // The untouched run reads.
    succeeds(&mut report(&f.run, &f.root.join("fine.html")));
    for name in ["cohorts.csv", "sites.csv"] {
        let dir = f.root.join(format!("tampered-{name}"));
        copy_dir(&f.run, &dir);
        let text = read(&dir.join(name)).replacen("outbound", "outbounD", 1);
        std::fs::write(dir.join(name), text).unwrap();
        let stderr = fails_with_2(&mut report(&dir, &f.root.join("no.html")));
        assert!(
            stderr.contains(name) && stderr.contains("changed since migflow wrote it"),
            "{stderr}"
        );
        assert!(!f.root.join("no.html").exists());
    }
}

/// `cohorts.csv` of the fixture with its data rows changed by `edit`,
/// recorded in the manifest (so only the reader's own checks can refuse
/// it); the stderr of `migflow report`.
fn refused_cohorts(tag: &str, edit: impl Fn(&mut Vec<String>)) -> String {
    let f = fixture();
    let dir = f.root.join(format!("edited-{tag}"));
    copy_dir(&f.run, &dir);
    let text = read(&dir.join("cohorts.csv"));
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    edit(&mut lines);
    rewrite_output(&dir, "cohorts.csv", lines.join("\n") + "\n");
    fails_with_2(&mut report(&dir, &f.root.join(format!("{tag}.html"))))
}

#[test]
fn the_reader_checks_every_row_of_cohorts_csv() {
    // A missing row.
    let stderr = refused_cohorts("missing", |l| {
        l.remove(5);
    });
    assert!(
        stderr.contains("cohorts.csv") && stderr.contains("incomplete: no row"),
        "{stderr}"
    );
    // A row twice.
    let stderr = refused_cohorts("twice", |l| {
        let again = l[3].clone();
        l.insert(4, again);
    });
    assert!(
        stderr.contains("line 5") && stderr.contains("a second row"),
        "{stderr}"
    );
    // A cohort year the manifest does not record.
    let stderr = refused_cohorts("cohort-year", |l| {
        l[1] = l[1].replacen(",2020,", ",2021,", 1)
    });
    assert!(
        stderr.contains("line 2") && stderr.contains("\"2021\"") && stderr.contains("2020, 2025"),
        "{stderr}"
    );
    // A year not after its cohort year.
    let stderr = refused_cohorts("year", |l| {
        let i = l
            .iter()
            .position(|x| x.contains(",2025,outbound,2026,"))
            .unwrap();
        l[i] = l[i].replacen(",2026,", ",2025,", 1);
    });
    assert!(
        stderr.contains("a year after the cohort year 2025"),
        "{stderr}"
    );
    // An unknown cohort.
    let stderr = refused_cohorts("cohort", |l| {
        l[1] = l[1].replacen(",outbound,", ",idle,", 1)
    });
    assert!(
        stderr.contains("\"idle\"") && stderr.contains("column `cohort`"),
        "{stderr}"
    );
    // A replicate beyond the manifest's.
    let stderr = refused_cohorts("replicate", |l| l[1] = format!("7{}", &l[1][1..]));
    assert!(
        stderr.contains("\"7\"") && stderr.contains("below 2"),
        "{stderr}"
    );
}

#[test]
fn a_run_without_cohorts_csv_still_reads() {
    // A results directory of version 1: no cohorts.csv, no cohort_years.
    let f = fixture();
    let dir = f.root.join("version1");
    copy_dir(&f.run, &dir);
    std::fs::remove_file(dir.join("cohorts.csv")).unwrap();
    let mut m = manifest(&dir);
    m["files"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["name"] != "cohorts.csv");
    m.as_object_mut().unwrap().remove("cohort_years");
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&m).unwrap(),
    )
    .unwrap();
    let stdout = succeeds(&mut report(&dir, &f.root.join("v1.html")));
    assert!(stdout.contains("no cohorts"), "{stdout}");
    // Compared with a run that has cohorts: differences.csv, and a
    // cohort_differences.csv with its header alone.
    let out = f.root.join("v1-vs-run");
    let stdout = succeeds(
        migflow()
            .arg("compare")
            .arg(&f.run)
            .arg(&dir)
            .arg("--out")
            .arg(&out),
    );
    assert!(stdout.contains("no cohort year in common"), "{stdout}");
    let text = read(&out.join("cohort_differences.csv"));
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [migflow_io::results::COHORT_DIFFERENCES_HEADER.join(",")]
    );
}

#[test]
fn compare_writes_the_paired_differences_of_the_cohorts() {
    let f = fixture();
    let policy = f.root.join("policy");
    let scenario = write_in(
        &f.root,
        "policy.toml",
        &format!("{SMALL}\n[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
    );
    run_ok(
        &scenario,
        &policy,
        &[
            "--replicates",
            "2",
            "--seed",
            "5",
            "--cohort-years",
            "2025,2030",
        ],
    );
    let out = f.root.join("compared");
    succeeds(
        migflow()
            .arg("compare")
            .arg(&f.run)
            .arg(&policy)
            .arg("--out")
            .arg(&out),
    );
    let path = out.join("cohort_differences.csv");
    let (h, rows) = table(&path);
    assert_eq!(h, migflow_io::results::COHORT_DIFFERENCES_HEADER);
    // Only 2025 is followed by both: 10 years × 6 cohorts × every metric.
    let metrics = migflow_core::metrics::METRICS;
    assert_eq!(rows.len(), 10 * 6 * metrics);
    assert!(rows.iter().all(|r| r[0] == "policy" && r[1] == "2025"));
    // Drop the policy column: the rest is as for one policy.
    let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r[1..].to_vec()).collect();
    let h: Vec<String> = h[1..].to_vec();
    // The 2025 `all` cohort's poor share in 2026, by hand from cohorts.csv.
    let poor = |dir: &Path| -> Vec<f64> {
        let (ch, crows) = table(&dir.join("cohorts.csv"));
        crows
            .iter()
            .filter(|r| {
                r[col(&ch, "cohort_year")] == "2025"
                    && r[col(&ch, "cohort")] == "all"
                    && r[col(&ch, "year")] == "2026"
            })
            .map(|r| r[col(&ch, "poor_share")].parse().unwrap())
            .collect()
    };
    let (b, p) = (poor(&f.run), poor(&policy));
    let diff = (p[0] - b[0] + p[1] - b[1]) / 2.0;
    let row = rows
        .iter()
        .find(|r| r[1] == "all" && r[2] == "2026" && r[3] == "poor_share")
        .expect("the row");
    let found: f64 = row[col(&h, "diff_mean")].parse().unwrap();
    assert!((found - diff).abs() < 1e-12, "{found} vs {diff}");
    assert_eq!(row[col(&h, "n")], "2");
    // Every group and year of the cohort, every metric, once.
    let mut keys: Vec<_> = rows
        .iter()
        .map(|r| (r[1].clone(), r[2].clone(), r[3].clone()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rows.len());
    assert!(GROUPS.iter().all(|g| rows.iter().any(|r| r[1] == *g)));
}
