//! Report tests: `migflow plot`, `compare` and `report` on small runs made
//! with the CLI, and their errors on missing or malformed results.

use crate::util::{fails_with_2, migflow, succeeds as stdout_ok};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// 500 households, 4 years (2021–2024).
const SMALL: &str = "[population]\nhouseholds = 500\n\n[run]\nyears = 4\n";

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `migflow run` of [`SMALL`] (or `scenario`) into `dir/name`.
fn small_run(dir: &Path, name: &str, scenario: &str, extra: &[&str]) -> PathBuf {
    let toml = dir.join(format!("{name}.toml"));
    std::fs::write(&toml, scenario).expect("write scenario");
    let out = dir.join(name);
    migflow()
        .arg("run")
        .arg(&toml)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(extra)
        .assert()
        .success();
    out
}

#[test]
fn plot_writes_every_chart_of_a_run_each_with_its_title() {
    let tmp = TempDir::new().unwrap();
    let run = small_run(
        tmp.path(),
        "run",
        SMALL,
        &["--replicates", "3", "--households-out"],
    );
    let out = tmp.path().join("charts");
    let stdout = stdout_ok(
        migflow()
            .arg("plot")
            .arg(&run)
            .arg("--out")
            .arg(&out)
            .args(["--png", "--years", "2021,2023"]),
    );
    for (file, title) in [
        ("poverty_poor_share", "Poverty by livelihood"),
        ("poverty_return_rate", "Return to poverty by livelihood"),
        ("poverty_at_risk_share", "At risk of poverty by livelihood"),
        ("livelihood_composition", "Livelihood composition"),
        ("flows_2021", "Livelihood flows in 2021"),
        ("flows_2023", "Livelihood flows in 2023"),
        ("flows_by_year", "Livelihood flows, every year"),
        ("income_means", "Mean per-capita income by livelihood"),
        ("income_per_person", "Income per person by livelihood"),
        ("poverty_dibao_share", "Dibao by livelihood"),
        (
            "livelihood_stayed_share",
            "Livelihood persistence by livelihood",
        ),
        (
            "population_households",
            "Households alive at the end of each year",
        ),
        ("population_dissolved", "Households dissolved each year"),
        ("population_without_labor", "Households without a laborer"),
        ("incomes_2021", "Per-capita income by livelihood, 2021"),
        ("incomes_2023", "Per-capita income by livelihood, 2023"),
    ] {
        let svg = out.join(format!("{file}.svg"));
        let text = read(&svg);
        assert!(text.contains("<svg"), "{} is not SVG", svg.display());
        assert!(
            text.contains(title),
            "{} lacks its title {title:?}",
            svg.display()
        );
        assert!(
            stdout.contains(&svg.display().to_string()),
            "not printed: {}\n{stdout}",
            svg.display()
        );
        let png = std::fs::read(out.join(format!("{file}.png"))).expect("png");
        assert!(png.starts_with(b"\x89PNG"), "{file}.png is not PNG");
    }
    // Units on the axes.
    assert!(read(&out.join("income_means.svg")).contains("yuan per person per year"));
    assert!(read(&out.join("livelihood_composition.svg")).contains("share of households"));
    assert!(
        read(&out.join("poverty_poor_share.svg"))
            .replace('\n', "")
            .contains(">year</text>")
    );
    // No temporary file is left behind.
    for entry in std::fs::read_dir(&out).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "left behind: {name}");
    }
    // The default output directory is RESULTS/charts.
    stdout_ok(migflow().arg("plot").arg(&run));
    assert!(run.join("charts").join("poverty_poor_share.svg").exists());
}

#[test]
fn a_run_without_the_household_panel_skips_the_income_distributions_with_a_note() {
    let tmp = TempDir::new().unwrap();
    let run = small_run(tmp.path(), "run", SMALL, &[]);
    let out = tmp.path().join("charts");
    let stdout = stdout_ok(migflow().arg("plot").arg(&run).arg("--out").arg(&out));
    assert!(
        stdout.contains("note: income distributions skipped") && stdout.contains("households.csv"),
        "{stdout}"
    );
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("incomes_")),
        "an income distribution was drawn: {names:?}"
    );
    assert!(
        names.contains(&"poverty_poor_share.svg".to_string()),
        "{names:?}"
    );
    // The report says so too.
    let html = tmp.path().join("r.html");
    stdout_ok(migflow().arg("report").arg(&run).arg("-o").arg(&html));
    assert!(read(&html).contains("income distributions skipped"));
}

#[test]
fn report_is_one_self_contained_html_file() {
    let tmp = TempDir::new().unwrap();
    let run = small_run(
        tmp.path(),
        "run",
        SMALL,
        &["--replicates", "2", "--households-out"],
    );
    let html_path = tmp.path().join("out").join("report.html");
    stdout_ok(migflow().arg("report").arg(&run).arg("-o").arg(&html_path));
    let html = read(&html_path);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let svgs = html.matches("<svg").count();
    assert!(svgs >= 4, "{svgs} <svg> elements");
    for bad in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "@import",
        "<script",
        "<link",
    ] {
        assert!(!html.contains(bad), "the report holds {bad:?}");
    }
    for part in [
        "The scenario in short",
        "Headline table",
        "Provenance",
        "eastern demand shock",
        "poverty-alleviation workshops",
    ] {
        assert!(html.contains(part), "the report lacks {part:?}");
    }
    // The manifest: version, seed, hash, time.
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&run.join("manifest.json"))).unwrap();
    for key in ["migflow_version", "scenario_sha256", "start_time"] {
        let v = manifest[key].as_str().unwrap();
        assert!(
            html.contains(v),
            "the report lacks the manifest's {key} {v}"
        );
    }
    // The findings name the other drivers of a change and credit no lever.
    let flat = html.replace('\u{202f}', " ");
    for part in [
        "households without a laborer",
        "This run alone cannot say which of them caused the change",
        "migflow report BASE --compare",
        "yuan income per person in 2024",
        "All households year by year",
    ] {
        assert!(flat.contains(part), "the report lacks {part:?}");
    }
    for word in ["because", "due to", "thanks to", "levers raised"] {
        assert!(!flat.contains(word), "the report says {word:?}");
    }
    // Headline years: first, middle, last.
    for y in ["2021", "2023", "2024"] {
        assert!(
            html.contains(&format!("colspan=\"6\">{y}<")),
            "no {y} in the headline table"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn compare_writes_paired_differences_and_refuses_incomparable_runs() {
    let tmp = TempDir::new().unwrap();
    let base = small_run(tmp.path(), "base", SMALL, &["--replicates", "3"]);
    let policy = small_run(
        tmp.path(),
        "policy",
        &format!("{SMALL}\n[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
        &["--replicates", "3"],
    );
    let out = tmp.path().join("cmp");
    stdout_ok(
        migflow()
            .arg("compare")
            .arg(&base)
            .arg(&policy)
            .arg("--out")
            .arg(&out),
    );
    let csv = read(&out.join("differences.csv"));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "policy,year,livelihood,metric,base_mean,policy_mean,diff_mean,diff_sd,ci95_low,ci95_high,n"
        )
    );
    // 4 years × 6 livelihoods × every metric.
    assert_eq!(
        lines.clone().count(),
        4 * 6 * migflow_core::metrics::METRICS
    );
    for metric in [
        "poor_share",
        "at_risk_share",
        "return_rate",
        "mean_income_pc",
        "mean_income_pp",
        "dibao_share",
        "stayed_share",
    ] {
        assert!(csv.contains(&format!(",all,{metric},")), "{metric}");
    }
    // diff_mean = policy_mean − base_mean and n = 3 for `all`.
    for line in lines.filter(|l| l.contains(",all,")) {
        let c: Vec<&str> = line[line.find(',').unwrap() + 1..].split(',').collect();
        if c[3].is_empty() {
            continue; // a metric with no value (an empty group)
        }
        let (b, p, d): (f64, f64, f64) = (
            c[3].parse().unwrap(),
            c[4].parse().unwrap(),
            c[5].parse().unwrap(),
        );
        assert!((p - b - d).abs() < 1e-9 * (1.0 + b.abs()), "{line}");
        assert_eq!(c[9], "3", "{line}");
        if c[7].is_empty() {
            continue; // no spread: the runs agree in every replicate
        }
        let (lo, hi): (f64, f64) = (c[7].parse().unwrap(), c[8].parse().unwrap());
        assert!(lo <= d && d <= hi, "{line}");
    }
    assert!(read(&out.join("difference_poor_share.svg")).contains("Difference in poverty share"));

    // The report with --compare holds the comparison.
    let html = tmp.path().join("cmp.html");
    stdout_ok(
        migflow()
            .arg("report")
            .arg(&base)
            .arg("--compare")
            .arg(&policy)
            .arg("-o")
            .arg(&html),
    );
    let text = read(&html);
    assert!(text.contains("Policy compared with the base"));
    // The findings state the paired effect with its CI; the base's own
    // findings credit no lever.
    let flat = text.replace('\u{202f}', " ");
    assert!(
        flat.contains("This lever changes the poverty share of all households in 2024 by ")
            && flat.contains("(95% CI "),
        "no paired effect in the findings"
    );
    assert!(flat.contains("This run alone cannot say which of them caused the change"));
    // The cohort section (the initial state's cohorts: a 4-year run follows
    // no later cohort year) holds the paired difference of the cohorts'
    // poor share of cohort_differences.csv.
    assert!(
        flat.contains("<h2 id=\"cohorts\">Cohorts</h2>"),
        "no cohort section"
    );
    assert!(flat.contains("poor: policy − base"), "no cohort difference");
    let cohort_csv = read(&out.join("cohort_differences.csv"));
    let row: Vec<&str> = cohort_csv
        .lines()
        .find(|l| l.starts_with("policy,2020,local,2022,poor_share,"))
        .expect("the 2020 local cohort's poor share in 2022")
        .split(',')
        .collect();
    let pp = |cell: &str| {
        let s = format!("{:+.2}", cell.parse::<f64>().unwrap() * 100.0);
        let s = if s[1..].chars().all(|c| c == '0' || c == '.') {
            s[1..].to_string()
        } else {
            s.replace('-', "−")
        };
        format!("{s} pp")
    };
    let local = &flat[flat.find(">local<br>").expect("no local cohort")..];
    let local = &local[local.find("<td>2022 (+2)</td>").expect("no 2022")..];
    let local = &local[..local.find("</tr>").unwrap()];
    let expected = format!(
        "<td class=\"y\">{}</td><td>{} to {}</td>",
        pp(row[7]),
        pp(row[9]),
        pp(row[10])
    );
    assert!(local.ends_with(&expected), "{local} lacks {expected}");
    assert!(text.matches("<svg").count() >= 8);

    // Different replicate counts, different years: refused, exit 2.
    let other = small_run(tmp.path(), "other", SMALL, &["--replicates", "2"]);
    let err = fails_with_2(
        migflow()
            .arg("compare")
            .arg(&base)
            .arg(&other)
            .arg("--out")
            .arg(tmp.path().join("x")),
    );
    assert!(err.contains("replicate"), "{err}");
    let longer = small_run(
        tmp.path(),
        "longer",
        "[population]\nhouseholds = 500\n\n[run]\nyears = 5\n",
        &["--replicates", "3"],
    );
    let err = fails_with_2(
        migflow()
            .arg("compare")
            .arg(&base)
            .arg(&longer)
            .arg("--out")
            .arg(tmp.path().join("y")),
    );
    assert!(err.contains("years") && err.contains("2021–2025"), "{err}");
}

#[test]
fn missing_or_malformed_results_exit_2_naming_the_file_and_what_is_missing() {
    let tmp = TempDir::new().unwrap();
    let run = small_run(tmp.path(), "run", SMALL, &["--replicates", "2"]);

    // Missing trajectories.csv.
    let gone = tmp.path().join("gone");
    std::fs::create_dir(&gone).unwrap();
    for f in ["manifest.json", "flows.csv", "summary.csv"] {
        std::fs::copy(run.join(f), gone.join(f)).unwrap();
    }
    for sub in ["plot", "report"] {
        let mut cmd = migflow();
        cmd.arg(sub).arg(&gone);
        if sub == "report" {
            cmd.arg("-o").arg(tmp.path().join("r.html"));
        }
        let err = fails_with_2(&mut cmd);
        assert!(err.contains("trajectories.csv"), "{sub}: {err}");
    }
    assert!(!tmp.path().join("r.html").exists());

    // A column missing from trajectories.csv.
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    for f in ["manifest.json", "flows.csv", "summary.csv"] {
        std::fs::copy(run.join(f), bad.join(f)).unwrap();
    }
    let text = read(&run.join("trajectories.csv")).replace(",poor_share,", ",poverty,");
    crate::util::rewrite_output(&bad, "trajectories.csv", text);
    let err = fails_with_2(migflow().arg("plot").arg(&bad));
    assert!(
        err.contains("trajectories.csv") && err.contains("missing column `poor_share`"),
        "{err}"
    );

    // A bad value: the line and the column are named.
    let mut text = read(&run.join("trajectories.csv"));
    text = text.replacen("\n0,2022,local,", "\n0,2022,lokal,", 1);
    crate::util::rewrite_output(&bad, "trajectories.csv", text);
    let err = fails_with_2(migflow().arg("plot").arg(&bad));
    assert!(
        err.contains("line ") && err.contains("`livelihood`") && err.contains("lokal"),
        "{err}"
    );

    // A truncated flows.csv: the missing replicate and year are named.
    crate::util::rewrite_output(
        &bad,
        "trajectories.csv",
        read(&run.join("trajectories.csv")),
    );
    let flows = read(&run.join("flows.csv"));
    let cut: String = flows
        .lines()
        .filter(|l| !l.starts_with("1,2024,"))
        .map(|l| format!("{l}\n"))
        .collect();
    crate::util::rewrite_output(&bad, "flows.csv", cut);
    let err = fails_with_2(migflow().arg("plot").arg(&bad));
    assert!(
        err.contains("flows.csv") && err.contains("replicate 1, year 2024"),
        "{err}"
    );

    // A file changed after migflow wrote it (its hash no longer matches
    // the manifest's) is refused, naming the file.
    let changed = tmp.path().join("changed");
    std::fs::create_dir(&changed).unwrap();
    for f in [
        "manifest.json",
        "trajectories.csv",
        "flows.csv",
        "summary.csv",
    ] {
        std::fs::copy(run.join(f), changed.join(f)).unwrap();
    }
    let text = read(&run.join("flows.csv")).replacen(",1", ",2", 1);
    std::fs::write(changed.join("flows.csv"), text).unwrap();
    for sub in ["plot", "report"] {
        let mut cmd = migflow();
        cmd.arg(sub).arg(&changed);
        if sub == "report" {
            cmd.arg("-o").arg(tmp.path().join("r.html"));
        }
        let err = fails_with_2(&mut cmd);
        assert!(
            err.contains("flows.csv") && err.contains("changed since migflow wrote it"),
            "{sub}: {err}"
        );
    }

    // A manifest whose counts disagree with its own scenario (they would
    // size what is read) is refused.
    let text =
        read(&changed.join("manifest.json")).replacen("\"years\": 4,", "\"years\": 4000000000,", 1);
    assert!(
        text.contains("4000000000"),
        "the manifest records `\"years\": 4,`"
    );
    std::fs::write(changed.join("manifest.json"), text).unwrap();
    let err = fails_with_2(migflow().arg("plot").arg(&changed));
    assert!(
        err.contains("manifest.json") && err.contains("4000000000"),
        "{err}"
    );

    // No manifest; not a directory; a year outside the run.
    let err = fails_with_2(migflow().arg("plot").arg(tmp.path().join("nowhere")));
    assert!(err.contains("nowhere"), "{err}");
    std::fs::remove_file(bad.join("manifest.json")).unwrap();
    let err = fails_with_2(migflow().arg("plot").arg(&bad));
    assert!(err.contains("manifest.json"), "{err}");
    let err = fails_with_2(migflow().arg("plot").arg(&run).args(["--years", "2040"]));
    assert!(err.contains("2040") && err.contains("2021–2024"), "{err}");
}

#[test]
fn a_sweep_gets_response_charts_a_heat_map_and_a_report() {
    let tmp = TempDir::new().unwrap();
    std::fs::write(
        tmp.path().join("small.toml"),
        "[population]\nhouseholds = 300\n\n[run]\nyears = 3\n",
    )
    .unwrap();
    let sweep = tmp.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"small.toml\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [0.0, 0.1, 0.2]\n\
         [[factors]]\npath = \"levers.labor_cooperation.placements_share\"\nlevels = [0.0, 0.05]\n",
    )
    .unwrap();
    let out = tmp.path().join("sweep");
    migflow()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .success();
    let charts = tmp.path().join("charts");
    stdout_ok(migflow().arg("plot").arg(&out).arg("--out").arg(&charts));
    for (file, title) in [
        (
            "sweep_response_workshop_jobs_share",
            "Response of all_mean_poor_share to workshop_jobs_share",
        ),
        (
            "sweep_response_placements_share",
            "Response of all_mean_poor_share to placements_share",
        ),
        (
            "sweep_heatmap",
            "Mean all_mean_poor_share per cell, minus the overall mean",
        ),
        (
            "sweep_poor_share_by_point",
            "Poverty share of all households by design point",
        ),
    ] {
        let text = read(&charts.join(format!("{file}.svg")));
        assert!(text.contains(title), "{file} lacks {title:?}");
    }
    // Another outcome; an unknown outcome names the choices.
    stdout_ok(
        migflow()
            .arg("plot")
            .arg(&out)
            .arg("--out")
            .arg(&charts)
            .args(["--outcome", "local_final_share"]),
    );
    let err = fails_with_2(
        migflow()
            .arg("plot")
            .arg(&out)
            .args(["--outcome", "nonsense"]),
    );
    assert!(
        err.contains("nonsense") && err.contains("all_mean_poor_share"),
        "{err}"
    );
    // The report.
    let html = tmp.path().join("sweep.html");
    stdout_ok(migflow().arg("report").arg(&out).arg("-o").arg(&html));
    let text = read(&html);
    assert!(text.matches("<svg").count() >= 4);
    assert!(text.contains("Design points"));
}

#[test]
fn help_has_examples() {
    for sub in ["plot", "compare", "report"] {
        let out = stdout_ok(migflow().arg(sub).arg("--help"));
        assert!(out.contains("Examples:"), "{sub}: {out}");
        assert!(out.contains(&format!("migflow {sub}")), "{sub}: {out}");
    }
}

/// `--compare` repeats: the report of two policies names both (by their
/// scenario files) and holds the forest plots.
#[test]
fn report_compares_several_policies() {
    let tmp = TempDir::new().unwrap();
    let base = small_run(tmp.path(), "base", SMALL, &["--replicates", "2"]);
    let a = small_run(
        tmp.path(),
        "workshops",
        &format!("{SMALL}\n[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
        &["--replicates", "2"],
    );
    let b = small_run(
        tmp.path(),
        "training",
        &format!("{SMALL}\n[levers.training]\ntraining_share = 0.2\n"),
        &["--replicates", "2"],
    );
    let html = tmp.path().join("policies.html");
    stdout_ok(
        migflow()
            .arg("report")
            .arg(&base)
            .arg("--compare")
            .arg(&a)
            .arg("--compare")
            .arg(&b)
            .arg("-o")
            .arg(&html),
    );
    let text = read(&html);
    for part in [
        "<b>workshops</b>",
        "<b>training</b>",
        "id=\"fig-forest_poor_share\"",
        "id=\"fig-panels_return_rate\"",
    ] {
        assert!(text.contains(part), "the report lacks {part:?}");
    }
    assert!(!text.contains("<script"));
}
