//! The report's markup: SVG made responsive, hostile text escaped; the
//! findings of one run credit no lever and name the other drivers, those
//! of a comparison state the paired effects with their CIs; the version-2
//! metrics shown.

use super::*;
use migflow_core::record::ALL_GROUP;
use migflow_io::results::differences;
use std::path::{Path, PathBuf};

/// Run the validated scenario `loaded` into `out` (seed 1).
fn run_to(loaded: migflow_core::params::Params, out: &Path, replicates: u32, command: Vec<String>) {
    let opts = migflow_experiments::run::RunOptions {
        loaded,
        seed: 1,
        replicates,
        threads: 1,
        out: out.to_path_buf(),
        households_out: false,
        cohort_years: None,
        by_site: false,
        command,
        force: false,
        population_sha256: None,
        cancel: Default::default(),
        format: Default::default(),
    };
    migflow_experiments::run::run_to_dir(&opts, &|| {}).unwrap();
}

/// A run of the scenario `toml` into `dir/name`, 3 replicates.
fn run_of(dir: &Path, name: &str, toml: &str) -> PathBuf {
    let scenario = dir.join(format!("{name}.toml"));
    std::fs::write(&scenario, toml).unwrap();
    let loaded = migflow_io::files::load_scenario(&scenario).unwrap();
    let out = dir.join(name);
    run_to(loaded, &out, 3, vec!["migflow".into(), "run".into()]);
    out
}

/// 600 households, 2021–2027: the default levers end after 2025, the
/// default eastern demand shock strikes in 2022.
const SEVEN_YEARS: &str = "[population]\nhouseholds = 600\n\n[run]\nyears = 7\n";

/// The findings of a report, one text per item, tags removed.
fn findings_of(html: &str) -> Vec<String> {
    let start = html.find("<ul class=\"findings\">").expect("no findings");
    let end = start + html[start..].find("</ul>").expect("findings unclosed");
    html[start..end]
        .split("<li>")
        .skip(1)
        .map(|item| {
            let mut text = String::new();
            let mut in_tag = false;
            for c in item.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace('\u{202f}', " ")
        })
        .collect()
}

/// Words that credit a change to a cause.
const CAUSAL: [&str; 14] = [
    "because",
    "due to",
    "thanks to",
    "the end of the levers raised",
    "raised",
    "lowered",
    "led to",
    "leads to",
    "drove",
    "resulted",
    "effect of",
    "changes the",
    "change the",
    "as a result",
];

/// A single run's findings say what changed and which drivers act in the
/// same years, and credit no lever (nor event) with the change.
#[test]
fn single_run_findings_credit_no_lever_and_name_the_drivers() {
    let tmp = tempfile::TempDir::new().unwrap();
    let run = run_of(tmp.path(), "run", SEVEN_YEARS);
    let (html, _) = report(&run, &[], None, None).unwrap();
    let findings = findings_of(&html);
    assert!(findings.len() >= 4, "{findings:#?}");
    for f in &findings {
        let lower = f.to_lowercase();
        for word in CAUSAL {
            assert!(!lower.contains(word), "a finding says {word:?}: {f}");
        }
        for sentence in lower.split(". ") {
            assert!(
                !sentence.contains("caus") || sentence.contains("cannot say"),
                "a sentence names a cause: {sentence}"
            );
        }
    }
    // The years after the levers end: what changed, and the other drivers.
    let end = findings
        .iter()
        .find(|f| f.starts_with("From 2025, the last year of"))
        .unwrap_or_else(|| panic!("no finding on the levers' end: {findings:#?}"));
    for part in [
        "poverty-alleviation workshops",
        "to 2026, the poverty share",
        "In the same years (2025–2026) also",
        "households without a laborer",
        "dissolve",
        "this run alone cannot say which of them caused the change",
        "migflow report BASE --compare",
    ] {
        assert!(
            end.to_lowercase().contains(&part.to_lowercase()),
            "lacks {part:?}: {end}"
        );
    }
    // Around the event: the year after it too, and the drivers.
    let event = findings
        .iter()
        .find(|f| f.starts_with("Around the eastern demand shock of 2022"))
        .unwrap_or_else(|| panic!("no finding on the event: {findings:#?}"));
    for part in [
        "(2023)",
        "outbound",
        "without a laborer",
        "dissolve",
        "cannot say",
        "--compare",
    ] {
        assert!(event.contains(part), "lacks {part:?}: {event}");
    }
    // Over the whole run: the event and the levers' end are drivers too.
    let whole = findings
        .iter()
        .find(|f| f.starts_with("From 2021 to 2027"))
        .unwrap_or_else(|| panic!("no finding over the run: {findings:#?}"));
    for part in [
        "the eastern demand shock of 2022",
        "end after 2025",
        "without a laborer",
        "cannot say",
    ] {
        assert!(whole.contains(part), "lacks {part:?}: {whole}");
    }
}

/// With a comparison, the findings state the paired effect (policy −
/// base, replicate by replicate) with its 95% CI, as `differences` gives
/// it; compared with itself, a run is said to differ by noise only.
#[test]
fn compared_findings_state_the_paired_effect_with_its_ci() {
    let tmp = tempfile::TempDir::new().unwrap();
    let base = run_of(tmp.path(), "base", SEVEN_YEARS);
    let policy = run_of(
        tmp.path(),
        "policy",
        &format!("{SEVEN_YEARS}\n[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
    );
    let (html, _) = report(&base, std::slice::from_ref(&policy), None, None).unwrap();
    let findings = findings_of(&html);
    let b = RunResults::read(&base, None).unwrap();
    let p = RunResults::read(&policy, None).unwrap();
    let diffs = differences(&b, &p).unwrap();
    let paired = findings
        .iter()
        .find(|f| f.starts_with("Policy − base, paired replicate by replicate (3 pairs)"))
        .unwrap_or_else(|| panic!("no paired effect: {findings:#?}"));
    assert!(
        paired.contains("poverty-alleviation workshops")
            && paired.contains("This lever changes the poverty share of all households"),
        "{paired}"
    );
    let plain = |x: f64| numbers::pp(Some(x)).replace('\u{202f}', " ");
    for year in [2025, 2026, 2027] {
        let d = diffs
            .iter()
            .find(|d| d.year == year && d.group == ALL_GROUP && d.metric == "poor_share")
            .unwrap();
        let (lo, hi) = d.ci.expect("3 pairs have a CI");
        let stated = format!(
            "in {year} by {} (95% CI {} to {}",
            plain(d.diff_mean.unwrap()),
            plain(lo),
            plain(hi)
        );
        assert!(paired.contains(&stated), "lacks {stated:?}: {paired}");
    }
    let after = findings
        .iter()
        .find(|f| f.starts_with("In 2026 they change"))
        .unwrap_or_else(|| panic!("no effects after the levers end: {findings:#?}"));
    assert!(
        after.contains("the at-risk share by") && after.contains("95% CI"),
        "{after}"
    );
    // The findings of the base alone point to the comparison, not to a
    // run still to be made.
    assert!(!findings.iter().any(|f| f.contains("migflow report BASE")));
    assert!(
        findings
            .iter()
            .any(|f| f.contains("the paired comparison with"))
    );

    // A run compared with itself: no effect is claimed.
    let (html, _) = report(&base, std::slice::from_ref(&base), None, None).unwrap();
    let findings = findings_of(&html);
    assert!(
        findings.iter().any(|f| f.contains("simulation noise only")),
        "{findings:#?}"
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.contains("change the poverty share"))
    );
}

/// The report shows income per person, the dibao share, the livelihood
/// kept from last year, and the households alive and dissolved, in the
/// cards, the headline table, the year-by-year table and the charts.
#[test]
fn the_report_shows_the_version_2_metrics() {
    let tmp = tempfile::TempDir::new().unwrap();
    let run = run_of(tmp.path(), "run", SEVEN_YEARS);
    let (html, _) = report(&run, &[], None, None).unwrap();
    for part in [
        "yuan income per person in 2027",
        "of households receive dibao in 2027",
        "of households kept last year's livelihood in 2027",
        "households alive in 2027 of 600 at the start",
        "<th>income per person</th><th>poor</th><th>dibao</th><th>kept</th>",
        "All households year by year",
        "<th>dissolved</th><th>without a laborer</th>",
        "id=\"fig-income_per_person\"",
        "id=\"fig-poverty_dibao_share\"",
        "id=\"fig-livelihood_stayed_share\"",
        "id=\"fig-population_households\"",
        "id=\"fig-population_dissolved\"",
        "id=\"fig-population_without_labor\"",
    ] {
        assert!(html.contains(part), "the report lacks {part:?}");
    }
}

/// Households that die out in the first year are not counted in its
/// households: the manifest's households are those alive plus those
/// dissolved, and a manifest that disagrees is still refused.
#[test]
fn households_dissolved_in_the_first_year_agree_with_the_manifest() {
    let tmp = tempfile::TempDir::new().unwrap();
    let run = run_of(
        tmp.path(),
        "run",
        "[population]\nhouseholds = 300\n\n[run]\nyears = 2\n\n[demography]\nmortality_a = 0.05\n",
    );
    let mut r = RunResults::read(&run, None).unwrap();
    let d = migflow_io::results::metric_index("dissolved").unwrap();
    let first: f64 = r
        .trajectories
        .iter()
        .filter_map(|rep| rep[0][ALL_GROUP][d])
        .sum();
    assert!(first > 0.0, "no household dissolved in the first year");
    crate::counts::check_run(&r).unwrap();
    report(&run, &[], None, None).unwrap();
    r.manifest.households += 1;
    let err = crate::counts::check_run(&r).unwrap_err().to_string();
    assert!(
        err.contains("`households` is 301") && err.contains("dissolved"),
        "{err}"
    );
}

#[test]
fn svg_is_made_responsive() {
    let svg = "<?xml version=\"1.0\"?>\n<svg width=\"800\" height=\"600\" xmlns=\"http://www.w3.org/2000/svg\"><rect/></svg>";
    let out = inline_svg(svg, "A & B").into_string();
    assert!(out.starts_with("<svg"), "{out}");
    assert!(!out.contains("width=\"800\""), "{out}");
    assert!(out.contains("viewBox=\"0 0 800 600\""), "{out}");
    assert!(out.contains("aria-label=\"A &amp; B\""), "{out}");
    assert!(out.ends_with("<rect/></svg>"), "{out}");
    // Not SVG: text, escaped.
    let out = inline_svg("<b>bold", "t").into_string();
    assert_eq!(out, "&lt;b&gt;bold");
}

/// Paths, the scenario source and the command of a run come from outside;
/// the report shows them as text, never as markup.
#[test]
fn hostile_text_is_escaped() {
    let tmp = tempfile::TempDir::new().unwrap();
    // The scenario source is `…/<script>alert(1)</script>.toml`.
    let dir = tmp.path().join("<script>alert(1)<");
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("script>.toml");
    std::fs::write(
        &scenario,
        "[population]\nhouseholds = 200\n\n[run]\nyears = 3\n",
    )
    .unwrap();
    let loaded = migflow_io::files::load_scenario(&scenario).unwrap();
    let out = tmp.path().join("\"><img src=x onerror=alert(2)>");
    run_to(
        loaded,
        &out,
        2,
        vec!["migflow".into(), "<b onmouseover=alert(3)>'x'</b>".into()],
    );
    // Alone and compared with itself (the comparison names both runs).
    for compare in [vec![], vec![out.clone()]] {
        let (html, _) = report(&out, &compare, None, None).unwrap();
        for bad in ["<script", "<img", "<b onmouseover"] {
            assert!(!html.contains(bad), "the report holds {bad:?}");
        }
        for escaped in [
            "&lt;script&gt;alert(1)&lt;/script&gt;.toml",
            "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
            "&lt;b onmouseover=alert(3)&gt;'x'&lt;/b&gt;",
        ] {
            assert!(html.contains(escaped), "the report lacks {escaped:?}");
        }
        assert!(html.matches("<svg").count() >= 4);
    }
}

/// The style sheet goes into the page unescaped: it must not close its
/// `<style>` element.
#[test]
fn style_sheet_stays_in_its_element() {
    assert!(!CSS.to_ascii_lowercase().contains("</style"));
    assert!(CSS.contains(".mono") && CSS.contains("@media print"));
}

/// The cohort section of a report, from its heading to the next one.
fn cohort_section(html: &str) -> &str {
    let start = html.find("<h2 id=\"cohorts\">").expect("no cohort section");
    let end = html[start + 4..]
        .find("<h2 ")
        .map_or(html.len(), |i| start + 4 + i);
    &html[start..end]
}

/// The cells after a cohort's `<td>YEAR (+k)</td>`, as `<td…>` texts.
fn cohort_cells(section: &str, cohort: &str, year: &str) -> Vec<String> {
    let at = section
        .find(&format!(">{cohort}<br>"))
        .unwrap_or_else(|| panic!("no {cohort} cohort in {section}"));
    let row = &section[at..];
    let row = &row[row.find(&format!("<td>{year} (+")).expect("no year")..];
    let row = &row[..row.find("</tr>").expect("row unclosed")];
    row.split("<td")
        .skip(1)
        .map(|c| {
            let c = &c[c.find('>').unwrap() + 1..];
            c[..c.find("</td>").unwrap()].to_string()
        })
        .collect()
}

/// The cohorts of 2025 (the last lever year): the local cohort's poor
/// share in 2026 and its 95% CI are the reader's summary of cohorts.csv,
/// and so are the households still alive; the chart is there.
#[test]
fn the_cohort_section_shows_the_readers_summary() {
    let tmp = tempfile::TempDir::new().unwrap();
    let run = run_of(tmp.path(), "run", SEVEN_YEARS);
    let (html, _) = report(&run, &[], None, None).unwrap();
    let r = RunResults::read(&run, None).unwrap();
    let cohorts = r.cohorts.as_ref().expect("a version-2 run has cohorts");
    assert_eq!(cohorts.cohort_years(), [2020, 2025]);
    let section = cohort_section(&html);
    assert!(
        section.contains("the local cohort is the households that were local in 2025"),
        "{section}"
    );
    assert!(section.contains("mean over 3 replicates"), "{section}");
    assert!(section.contains("id=\"fig-cohort_poor_share\""));
    let poor = migflow_io::results::metric_index("poor_share").unwrap();
    let hh = migflow_io::results::metric_index("households").unwrap();
    for (g, name) in [(1, "local"), (0, "outbound"), (ALL_GROUP, "all")] {
        let p = cohorts.summary_of(2025, g, 2026, poor).unwrap();
        let cells = cohort_cells(section, name, "2026");
        assert_eq!(cells[1], numbers::pct(p.mean), "{name}: {cells:?}");
        assert_eq!(
            cells[2],
            numbers::pct_interval(p.ci95_low.zip(p.ci95_high)),
            "{name}: {cells:?}"
        );
        let alive = cohorts.summary_of(2025, g, 2026, hh).unwrap();
        assert_eq!(cells[3], numbers::count(alive.mean), "{name}: {cells:?}");
    }
}

/// A results directory of version 1 (no cohorts.csv) still reports, and
/// its cohort section says the cohorts are absent.
#[test]
fn a_run_without_cohorts_reports_that_they_are_absent() {
    let tmp = tempfile::TempDir::new().unwrap();
    let run = run_of(tmp.path(), "run", SEVEN_YEARS);
    std::fs::remove_file(run.join("cohorts.csv")).unwrap();
    let path = run.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["files"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["name"] != "cohorts.csv");
    m.as_object_mut().unwrap().remove("cohort_years");
    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let (html, _) = report(&run, &[], None, None).unwrap();
    let section = cohort_section(&html);
    assert!(section.contains("Cohorts are absent"), "{section}");
    assert!(!section.contains("<table"), "{section}");
}

/// With a comparison, the cohort table holds the paired difference of the
/// cohorts' poor share, as `cohort_differences` makes it.
#[test]
fn the_compared_cohort_section_shows_the_paired_difference() {
    let tmp = tempfile::TempDir::new().unwrap();
    let base = run_of(tmp.path(), "base", SEVEN_YEARS);
    let policy = run_of(
        tmp.path(),
        "policy",
        &format!("{SEVEN_YEARS}\n[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
    );
    let (html, _) = report(&base, std::slice::from_ref(&policy), None, None).unwrap();
    let b = RunResults::read(&base, None).unwrap();
    let p = RunResults::read(&policy, None).unwrap();
    let diffs = migflow_io::results::cohort_differences(&b, &p).unwrap();
    let section = cohort_section(&html);
    assert!(section.contains("poor: policy − base"), "{section}");
    for (g, name, year) in [(1, "local", "2026"), (ALL_GROUP, "all", "2027")] {
        let d = &diffs
            .iter()
            .find(|d| {
                d.cohort_year == 2025
                    && d.difference.group == g
                    && d.difference.year.to_string() == year
                    && d.difference.metric == "poor_share"
            })
            .unwrap()
            .difference;
        let (lo, hi) = d.ci.expect("3 pairs have a CI");
        let cells = cohort_cells(section, name, year);
        assert_eq!(cells[5], numbers::pp(d.diff_mean), "{name}: {cells:?}");
        assert_eq!(
            cells[6],
            format!("{} to {}", numbers::pp(Some(lo)), numbers::pp(Some(hi))),
            "{name}: {cells:?}"
        );
    }
}

/// The comparison section of a report, from its heading to the next one.
fn comparison_section(html: &str) -> &str {
    let start = html
        .find("<h2 id=\"comparison\">")
        .expect("no comparison section");
    let end = html[start + 4..]
        .find("<h2 ")
        .map_or(html.len(), |i| start + 4 + i);
    &html[start..end]
}

/// The years of the rows of the table of the lever-change years.
fn lever_table_years(section: &str) -> Vec<i32> {
    let start = section
        .find("class=\"compared lever-years\"")
        .expect("no table of the lever years");
    let table = &section[start..start + section[start..].find("</table>").unwrap()];
    let mut years: Vec<i32> = table
        .split("<tr>")
        .filter_map(|row| {
            let cells: Vec<&str> = row.split("<td>").skip(1).collect();
            cells.get(1)?.split("</td>").next()?.parse().ok()
        })
        .collect();
    years.sort_unstable();
    years.dedup();
    years
}

/// Two policies against one base: the report names both, holds the forest
/// plots and the panels, and its table shows the years the levers change
/// (2025 and 2026 by default, and the last year), not fixed years; a base
/// whose levers end in 2027 gets 2027 and 2028 instead.
#[test]
fn a_report_of_two_policies_names_both_and_tables_the_lever_years() {
    let tmp = tempfile::TempDir::new().unwrap();
    let nine = "[population]\nhouseholds = 400\n\n[run]\nyears = 9\n";
    let base = run_of(tmp.path(), "base", nine);
    let workshops = run_of(
        tmp.path(),
        "workshops",
        &format!("{nine}\n[levers.workshops]\nworkshop_jobs_share = 0.2\n"),
    );
    let training = run_of(
        tmp.path(),
        "training",
        &format!("{nine}\n[levers.training]\ntraining_share = 0.2\n"),
    );
    let (html, _) = report(&base, &[workshops.clone(), training.clone()], None, None).unwrap();
    let section = comparison_section(&html);
    for part in [
        "<b>workshops</b>",
        "<b>training</b>",
        "id=\"fig-forest_poor_share\"",
        "id=\"fig-forest_return_rate\"",
        "id=\"fig-panels_return_rate\"",
        "id=\"fig-panels_poor_share\"",
        "Effect on the poor share, 2021–2029 (policy − base, 95 % CI)",
        "colspan=\"3\">workshops<",
        "colspan=\"3\">training<",
        "Effects over 2021–2029, by livelihood",
    ] {
        assert!(section.contains(part), "the comparison lacks {part:?}");
    }
    assert_eq!(lever_table_years(section), [2025, 2026, 2029]);
    // Every chart of the comparison says what is paired and what the band is.
    for caption in section.split("<figcaption>").skip(1) {
        let caption = &caption[..caption.find("</figcaption>").unwrap()];
        assert!(
            caption.contains("replicate by replicate") && caption.contains("CI"),
            "{caption}"
        );
    }
    // Each policy's findings begin with its name.
    let findings = findings_of(&html);
    for name in ["workshops", "training"] {
        assert!(
            findings
                .iter()
                .any(|f| f.starts_with(&format!("Policy {name} − base, paired"))),
            "{findings:#?}"
        );
    }

    // Levers that end in 2027 (in the base and the policy): 2027 and 2028.
    let late = format!(
        "{nine}\n{}",
        [
            "labor_cooperation",
            "industrial_cooperation",
            "workshops",
            "agricultural_support",
            "training",
            "asset_income",
            "targeting",
        ]
        .iter()
        .map(|l| format!("[levers.{l}]\nend_year = 2027\n"))
        .collect::<String>()
    );
    let late_base = run_of(tmp.path(), "late_base", &late);
    let late_policy = run_of(
        tmp.path(),
        "late_policy",
        &late.replace(
            "[levers.workshops]\n",
            "[levers.workshops]\nworkshop_jobs_share = 0.2\n",
        ),
    );
    let (html, _) = report(&late_base, &[late_policy], None, None).unwrap();
    assert_eq!(
        lever_table_years(comparison_section(&html)),
        [2027, 2028, 2029]
    );
}
