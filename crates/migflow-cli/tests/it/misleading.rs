//! Outputs that must not mislead: user strings written into CSV cells are
//! never spreadsheet formulas, a report states only counts its files
//! confirm, the report of a CSV-population run states that population's
//! shares, and messages name the key, line and file that are wrong.

use crate::util::{fails_with_2, migflow, succeeds, write_in as write};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

const POPULATION: &str = include_str!("../../../../scenarios/example_population.csv");

/// Levels of `population.file` that a spreadsheet would run as formulas,
/// each the name of a copy of the example population (so the runs succeed
/// and the levels reach every file of the sweep), and one plain name.
const FORMULA_LEVELS: [&str; 6] = [
    "pop.csv",
    "=HYPERLINK(\"http:x\").csv",
    "+cmd|calc.csv",
    "-2+3.csv",
    "@SUM(1).csv",
    "\tpop.csv",
];

/// A finished sweep over [`FORMULA_LEVELS`] in `tmp/sweep`.
fn formula_sweep(tmp: &Path) -> PathBuf {
    for name in FORMULA_LEVELS {
        write(tmp, name, POPULATION);
    }
    write(
        tmp,
        "base.toml",
        "[run]\nyears = 2\n[population]\nfile = \"pop.csv\"\nignore_columns = [\"township\"]\n",
    );
    let levels: Vec<String> = FORMULA_LEVELS
        .iter()
        .map(|l| toml::Value::String(l.to_string()).to_string())
        .collect();
    let sweep = write(
        tmp,
        "sweep.toml",
        &format!(
            "base = \"base.toml\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
             [[factors]]\npath = \"population.file\"\nlevels = [{}]\n",
            levels.join(", ")
        ),
    );
    let out = tmp.join("sweep");
    succeeds(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .arg("--quiet"),
    );
    out
}

/// Whether a spreadsheet would read `cell` as a formula.
fn is_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

#[test]
fn string_levels_are_never_formulas_in_any_csv_and_read_back_as_written() {
    let tmp = TempDir::new().unwrap();
    let out = formula_sweep(tmp.path());
    let mut csvs = 0;
    let mut prefixed = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        csvs += 1;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(&path)
            .unwrap();
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !is_formula(cell),
                    "{}: a formula cell {cell:?}",
                    path.display()
                );
                prefixed += usize::from(cell.starts_with("'="));
            }
        }
    }
    assert!(csvs >= 4, "{csvs} CSV files in {}", out.display());
    // points.csv, runs.csv (2 replicates), trajectories.csv and
    // points_summary.csv (one row per year × livelihood × metric) all hold
    // the `=HYPERLINK` level.
    assert!(prefixed > 4, "{prefixed} cells with the `'=` prefix");
    let points = read(&out.join("points.csv"));
    assert!(
        points.contains("'=HYPERLINK(\"\"http:x\"\").csv") && points.contains("'-2+3.csv"),
        "{points}"
    );

    // The readers of a sweep still read it, and the report shows each level
    // as the sweep file wrote it.
    let html = tmp.path().join("sweep.html");
    succeeds(migflow().arg("report").arg(&out).arg("-o").arg(&html));
    let html = read(&html);
    assert!(html.contains("<td>-2+3.csv</td>"), "the level as written");
    assert!(!html.contains("&#39;-2+3.csv") && !html.contains("'-2+3.csv"));
}

#[test]
fn the_report_of_a_csv_population_run_states_the_files_shares_at_the_start() {
    let tmp = TempDir::new().unwrap();
    // 7 outbound, 5 local, 3 farm, 3 mixed and 2 none of 20 households.
    write(tmp.path(), "pop.csv", POPULATION);
    let scenario = write(
        tmp.path(),
        "s.toml",
        "[run]\nyears = 2\n[population]\nfile = \"pop.csv\"\nignore_columns = [\"township\"]\n",
    );
    let out = tmp.path().join("run");
    succeeds(
        migflow()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--replicates", "2"]),
    );
    let html = tmp.path().join("report.html");
    succeeds(migflow().arg("report").arg(&out).arg("-o").arg(&html));
    let html = read(&html);
    let start = html
        .split("Livelihoods at the start")
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row of the livelihoods at the start:\n{html}"));
    assert!(
        start.contains("outbound 35.0\u{202f}%")
            && start.contains("local 25.0\u{202f}%")
            && start.contains("none 10.0\u{202f}%")
            && start.contains("population file"),
        "{start}"
    );
    assert!(!html.contains("outbound 42.0"), "the default's shares");
}

/// A finished grid sweep of 2 points × 2 replicates in `tmp/name`.
fn small_sweep(tmp: &Path, name: &str) -> PathBuf {
    let sweep = write(
        tmp,
        &format!("{name}.toml"),
        "seed = 5\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"decision.kappa\"\nlevels = [0.5, 1.5]\n\
         [[factors]]\npath = \"population.households\"\nlevels = [150]\n\
         [[factors]]\npath = \"run.years\"\nlevels = [2]\n",
    );
    let out = tmp.join(name);
    succeeds(
        migflow()
            .arg("sweep")
            .arg(&sweep)
            .arg("--out")
            .arg(&out)
            .arg("--quiet"),
    );
    out
}

/// Copy the files of `dir` into `tmp/name` with `edit` applied to its
/// manifest.
fn tampered(tmp: &Path, dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let copy = tmp.join(name);
    std::fs::create_dir(&copy).unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
    }
    let path = copy.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    edit(&mut manifest);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    copy
}

/// `report` and `plot` of `dir` both exit 2 with every one of `words` in
/// their message.
fn refused_naming(tmp: &Path, dir: &Path, words: &[&str]) {
    let html = tmp.join("refused.html");
    let charts = tmp.join("refused-charts");
    for cmd in [
        migflow().arg("report").arg(dir).arg("-o").arg(&html),
        migflow().arg("plot").arg(dir).arg("--out").arg(&charts),
    ] {
        let stderr = fails_with_2(cmd);
        for w in words {
            assert!(stderr.contains(w), "{w:?} not in:\n{stderr}");
        }
    }
    assert!(!html.exists(), "a report of damaged results");
}

#[test]
fn a_report_states_no_manifest_count_that_its_files_contradict() {
    let tmp = TempDir::new().unwrap();
    let t = tmp.path();
    let sweep = small_sweep(t, "sweep");
    // The untouched sweep is reported.
    succeeds(
        migflow()
            .arg("report")
            .arg(&sweep)
            .arg("-o")
            .arg(t.join("ok.html")),
    );
    let set = |key: &'static str, v: serde_json::Value| {
        move |m: &mut serde_json::Value| m[key] = v.clone()
    };
    let huge = tampered(t, &sweep, "huge", set("runs", u64::MAX.into()));
    refused_naming(t, &huge, &["runs", "18446744073709551615", "manifest.json"]);

    // Consistent in itself (1 point × 4 replicates = 4 runs), but points.csv
    // has 2 points.
    let points = tampered(t, &sweep, "points", |m| {
        m["points"] = 1.into();
        m["replicates"] = 4.into();
    });
    refused_naming(t, &points, &["`points` is 1", "points.csv has 2"]);

    // One run marked failed, with the counts to match: runs.csv says ok.
    let status = tampered(t, &sweep, "status", |m| {
        m["completed"] = 3.into();
        m["failed"] = 1.into();
        m["run_status"][3][1] = "failed".into();
    });
    refused_naming(t, &status, &["`completed` is 3", "4 runs with status `ok`"]);
    // Run 1 listed as run 2: runs.csv's second row is point 0, replicate 1.
    let order = tampered(t, &sweep, "order", |m| m["run_status"][1][0] = 2.into());
    refused_naming(
        t,
        &order,
        &[
            "`run_status`",
            "run 2 = point 1, replicate 0",
            "point 0, replicate 1",
        ],
    );

    let seed = tampered(t, &sweep, "seed", set("seed", 6.into()));
    refused_naming(t, &seed, &["`seed` is 6", "seed = 5"]);
    let design = tampered(t, &sweep, "design", set("design", "sobol".into()));
    refused_naming(t, &design, &["`design`", "sobol", "grid"]);

    // A run's households.
    let scenario = write(
        t,
        "run.toml",
        "[population]\nhouseholds = 120\n[run]\nyears = 2\n",
    );
    let run = t.join("run");
    succeeds(
        migflow()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&run)
            .arg("--quiet"),
    );
    let households = tampered(t, &run, "households", set("households", u64::MAX.into()));
    refused_naming(
        t,
        &households,
        &["`households` is 18446744073709551615", "120 households"],
    );
}

#[test]
fn a_bad_site_number_is_named_by_its_key_line_and_value() {
    let tmp = TempDir::new().unwrap();
    let scenario = write(
        tmp.path(),
        "s.toml",
        "[run]\nyears = 2\n\n[[events]]\nkind = \"drought\"\nyear = 2022\nharvest_factor = 0.5\nsites = [-1]\n",
    );
    for cmd in ["validate", "run"] {
        let mut c = migflow();
        c.arg(cmd).arg(&scenario);
        if cmd == "run" {
            c.arg("--out").arg(tmp.path().join("out")).arg("--quiet");
        }
        let stderr = fails_with_2(&mut c);
        assert!(
            stderr.contains("s.toml:8:10: `events[0].sites[0]`: invalid value: integer `-1`, expected a site number"),
            "{cmd}: {stderr}"
        );
    }
}

/// A tmpfs of `kib` KiB mounted at a new directory, unmounted on drop; none
/// when this process may not mount one (not root).
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    fn mount(kib: u32) -> Option<SmallDisk> {
        let dir = TempDir::new().ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn chart_writes_on_a_full_disk_name_the_chart_not_its_temporary_file() {
    let Some(disk) = SmallDisk::mount(64) else {
        eprintln!("skipped: cannot mount a tmpfs (the full-disk test needs root)");
        return;
    };
    let tmp = TempDir::new().unwrap();
    let scenario = write(
        tmp.path(),
        "s.toml",
        "[population]\nhouseholds = 200\n[run]\nyears = 3\n",
    );
    let run = tmp.path().join("run");
    let other = tmp.path().join("other");
    for (out, seed) in [(&run, "1"), (&other, "1")] {
        succeeds(
            migflow()
                .arg("run")
                .arg(&scenario)
                .arg("--out")
                .arg(out)
                .args(["--quiet", "--seed", seed]),
        );
    }
    let charts = disk.path().join("charts");
    let html = disk.path().join("report.html");
    let (run, other) = (run.as_os_str(), other.as_os_str());
    let commands: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "plot".as_ref(),
            run,
            "--out".as_ref(),
            charts.as_os_str(),
            "--png".as_ref(),
        ],
        vec![
            "compare".as_ref(),
            run,
            other,
            "--out".as_ref(),
            charts.as_os_str(),
            "--png".as_ref(),
        ],
        vec!["report".as_ref(), run, "-o".as_ref(), html.as_os_str()],
    ];
    for args in commands {
        let stderr = fails_with_2(migflow().args(args));
        let named = stderr
            .split("cannot write ")
            .nth(1)
            .and_then(|s| s.split([' ', ':']).next())
            .unwrap_or_else(|| panic!("no `cannot write FILE`: {stderr}"));
        let name = Path::new(named).file_name().unwrap().to_string_lossy();
        assert!(
            !name.starts_with('.') && Path::new(named).starts_with(disk.path()),
            "names {named}, not the file asked for: {stderr}"
        );
        assert!(stderr.contains("No space left on device"), "{stderr}");
    }
}
