//! A `sobol` design read from a file (`kind = "sobol"`, `file = ...`):
//! the points and roles of a generated Sobol sweep's `points.csv`, given
//! back as the file, run the same sweep (same `points.csv`, `runs.csv`,
//! `trajectories.csv`, byte for byte), so `migflow sensitivity` sees the
//! same design; an incomplete or inconsistent file is refused naming the
//! file, line, column, value and what was expected; and the existing
//! designs serialise as before.

use std::path::Path;

use migflow_experiments::design::Design;
use migflow_experiments::execute::{SweepOptions, run_sweep};
use migflow_experiments::sweep::SweepPlan;

const FACTORS: &str = "[[factors]]\npath = \"decision.beta_net\"\nmin = 0.5\nmax = 3.0\n\
     [[factors]]\npath = \"population.sites\"\nlevels = [2]\n\
     [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nmin = 0.0\nmax = 0.2\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn base(dir: &Path) {
    write(
        dir,
        "base.toml",
        "[run]\nyears = 2\n[population]\nhouseholds = 40\nvillages_per_site = 3\n",
    );
}

fn sweep(dir: &Path, name: &str, design: &str) -> SweepPlan {
    let text = format!("base = \"base.toml\"\nseed = 11\nreplicates = 2\n{design}{FACTORS}");
    write(dir, name, &text);
    SweepPlan::load(&dir.join(name)).unwrap()
}

fn run(plan: &SweepPlan, out: &Path) {
    let opts = SweepOptions {
        out: out.to_path_buf(),
        resume: false,
        shard: None,
        threads: 1,
        cancel: Default::default(),
        format: Default::default(),
    };
    run_sweep(plan, &opts, &|_, _| {}, &|| {}).unwrap();
}

/// `points.csv` without its `point_id` column, rows in the order given.
fn without_point_id(points: &str, order: &[usize]) -> String {
    let lines: Vec<&str> = points.lines().collect();
    let strip = |l: &str| {
        l.split_once(',')
            .map(|x| x.1.to_string())
            .unwrap_or_default()
    };
    let mut out = strip(lines[0]) + "\n";
    for &i in order {
        out.push_str(&strip(lines[1 + i]));
        out.push('\n');
    }
    out
}

/// Load a sweep of design `sobol` read from `text`, expecting an error.
/// A generated sweep's `points.csv` as a design file: without `point_id`
/// and the constant's column (`population.sites`), rows in order.
fn as_design_file(points: &str, n: usize) -> String {
    without_point_id(points, &(0..n).collect::<Vec<_>>())
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            format!("{},{},{},{}\n", c[0], c[2], c[3], c[4])
        })
        .collect()
}

fn refused(dir: &Path, text: &str) -> String {
    write(dir, "bad.csv", text);
    let sweep = format!(
        "base = \"base.toml\"\nseed = 11\nreplicates = 1\n[design]\nkind = \"sobol\"\nfile = \"bad.csv\"\n{FACTORS}"
    );
    write(dir, "bad.toml", &sweep);
    match SweepPlan::load(&dir.join("bad.toml")) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_generated_sobol_sweeps_points_given_as_a_file_run_the_same_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    base(dir);
    let generated = sweep(
        dir,
        "gen.toml",
        "[design]\nkind = \"sobol\"\nbase_points = 4\n",
    );
    run(&generated, &dir.join("gen"));
    let points = std::fs::read_to_string(dir.join("gen/points.csv")).unwrap();
    assert!(
        points.starts_with(
            "point_id,decision.beta_net,population.sites,levers.workshops.workshop_jobs_share,sobol_base,sobol_matrix\n"
        ),
        "{points}"
    );
    // The file has no constant's column, and its rows keep their order.
    let n = points.lines().count() - 1;
    let table = as_design_file(&points, n);
    write(dir, "salib.csv", &table);
    let from_file = sweep(
        dir,
        "file.toml",
        "[design]\nkind = \"sobol\"\nfile = \"salib.csv\"\n",
    );
    assert_eq!(from_file.sweep.design.name(), "sobol");
    assert_eq!(
        from_file.sweep.design,
        Design::SobolTable {
            file: "salib.csv".into()
        }
    );
    assert_eq!(
        migflow_experiments::design::design_file(&from_file.sweep.design),
        Some("salib.csv")
    );
    run(&from_file, &dir.join("file"));
    for f in [
        "points.csv",
        "runs.csv",
        "trajectories.csv",
        "points_summary.csv",
    ] {
        let a = std::fs::read_to_string(dir.join("gen").join(f)).unwrap();
        let b = std::fs::read_to_string(dir.join("file").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // The manifest records the design as `sobol` and the sweep as written,
    // which parses back to the same design.
    let m = migflow_experiments::store::read_sweep_manifest(&dir.join("file")).unwrap();
    assert_eq!(m.design, "sobol");
    assert!(
        m.sweep_toml.contains("kind = \"sobol\"") && m.sweep_toml.contains("file = \"salib.csv\""),
        "{}",
        m.sweep_toml
    );
    let back: migflow_experiments::sweep::SweepFile = toml::from_str(&m.sweep_toml).unwrap();
    assert_eq!(back.design, from_file.sweep.design);
}

#[test]
fn rows_in_another_order_keep_their_roles() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    base(dir);
    // SALib's order: per base point A, AB0, AB1, B.
    write(
        dir,
        "t.csv",
        "levers.workshops.workshop_jobs_share,decision.beta_net,sobol_matrix,sobol_base\n\
         0.1,1,A,0\n0.1,2,AB0,0\n0.05,1,AB1,0\n0.05,2,B,0\n\
         0.2,0.5,A,1\n0.2,3,AB0,1\n0,0.5,AB1,1\n0,3,B,1\n",
    );
    let plan = sweep(
        dir,
        "t.toml",
        "[design]\nkind = \"sobol\"\nfile = \"t.csv\"\n",
    );
    let roles: Vec<String> = plan
        .points
        .iter()
        .map(|p| match &p.role {
            migflow_experiments::design::PointRole::Sobol { base, matrix } => {
                format!("{base}{matrix}")
            }
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        roles,
        ["0A", "0AB0", "0AB1", "0B", "1A", "1AB0", "1AB1", "1B"]
    );
    assert_eq!(plan.points[1].values[0], toml::Value::Float(2.0));
    assert_eq!(plan.points[1].values[1], toml::Value::Integer(2));
    assert_eq!(plan.points[1].values[2], toml::Value::Float(0.1));
}

#[test]
fn an_incomplete_or_inconsistent_file_is_refused_naming_file_line_column_value_and_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    base(dir);
    let head = "decision.beta_net,levers.workshops.workshop_jobs_share,sobol_base,sobol_matrix\n";
    let good = "1,0.1,0,A\n2,0.05,0,B\n2,0.1,0,AB0\n1,0.05,0,AB1\n";
    let cases: Vec<(String, Vec<&str>)> = vec![
        // No role column.
        (
            "decision.beta_net,levers.workshops.workshop_jobs_share\n1,0.1\n".into(),
            vec![
                "bad.csv",
                "line 1",
                "no column `sobol_base`",
                "sobol_matrix",
            ],
        ),
        // A constant given a column.
        (
            format!("population.sites,{head}"),
            vec!["line 1, column 1", "\"population.sites\"", "constant"],
        ),
        // An unknown column.
        (
            format!("x,{head}"),
            vec!["line 1, column 1", "\"x\"", "one column each for"],
        ),
        // A bad matrix name.
        (
            format!("{head}1,0.1,0,A\n2,0.05,0,B\n2,0.1,0,AB2\n1,0.05,0,AB1\n"),
            vec![
                "line 4, column `sobol_matrix`",
                "\"AB2\"",
                "A, B or AB<j> with j from 0 to 1",
            ],
        ),
        // A bad base.
        (
            format!("{head}1,0.1,-1,A\n"),
            vec!["line 2, column `sobol_base`", "\"-1\"", "an integer from 0"],
        ),
        // A value outside the factor's range.
        (
            format!("{head}3.5,0.1,0,A\n"),
            vec![
                "line 2, column `decision.beta_net`",
                "\"3.5\"",
                "from 0.5 to 3",
            ],
        ),
        // Not a number.
        (
            format!("{head}x,0.1,0,A\n"),
            vec!["line 2, column `decision.beta_net`", "\"x\"", "a number"],
        ),
        // A matrix twice in a base point.
        (
            format!("{head}{good}1,0.1,1,A\n1,0.1,1,A\n2,0.1,1,B\n2,0.1,1,AB0\n"),
            vec![
                "line 7, column `sobol_matrix`",
                "\"A\"",
                "once per base point",
                "line 6",
            ],
        ),
        // A base point with AB0 twice.
        (
            format!("{head}{good}1,0.1,1,A\n2,0.05,1,B\n2,0.1,1,AB0\n2,0.1,1,AB0\n"),
            vec!["line 9, column `sobol_matrix`", "line 8 too"],
        ),
        // A base point without AB1.
        (
            format!("{head}{good}1,0.1,1,A\n2,0.05,1,B\n2,0.1,1,AB0\n"),
            vec![
                "column `sobol_base`",
                "base point 1 without AB1",
                "complete Saltelli design",
            ],
        ),
        (
            format!("{head}{good}1,0.1,1,A\n2,0.05,1,B\n2,0.1,1,AB0\n2,0.1,0,AB0\n"),
            vec!["line 9", "once per base point"],
        ),
        // A base number beyond the design's size.
        (
            format!("{head}1,0.1,0,A\n2,0.05,0,B\n2,0.1,0,AB0\n1,0.05,5,AB1\n"),
            vec![
                "line 5, column `sobol_base`",
                "\"5\"",
                "a base point number below 4",
            ],
        ),
        // AB0 that is not A with factor 0 from B.
        (
            format!("{head}1,0.1,0,A\n2,0.05,0,B\n2,0.05,0,AB0\n1,0.05,0,AB1\n"),
            vec![
                "line 4, column `levers.workshops.workshop_jobs_share`",
                "0.05",
                "0.1, the value of base point 0's A on line 2",
                "AB0 is A with factor 0 (`decision.beta_net`) taken from B",
            ],
        ),
        // Only a header.
        (head.into(), vec!["bad.csv", "at least one row"]),
    ];
    for (text, wanted) in cases {
        let e = refused(dir, &text);
        for w in wanted {
            assert!(e.contains(w), "{w:?} not in: {e}\nfor:\n{text}");
        }
    }
    // The complete design is accepted.
    write(dir, "ok.csv", &format!("{head}{good}"));
    let text = format!(
        "base = \"base.toml\"\nseed = 11\nreplicates = 1\n[design]\nkind = \"sobol\"\nfile = \"ok.csv\"\n{FACTORS}"
    );
    write(dir, "ok.toml", &text);
    assert_eq!(
        SweepPlan::load(&dir.join("ok.toml")).unwrap().points.len(),
        4
    );
}

#[test]
fn a_missing_base_point_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    base(dir);
    let head = "decision.beta_net,levers.workshops.workshop_jobs_share,sobol_base,sobol_matrix\n";
    // Base points 0 and 2 (of 0..2), no 1.
    let block = |b: usize| format!("1,0.1,{b},A\n2,0.05,{b},B\n2,0.1,{b},AB0\n1,0.05,{b},AB1\n");
    let e = refused(dir, &format!("{head}{}{}", block(0), block(2)));
    assert!(e.contains("base point 1 without A, B, AB0, AB1"), "{e}");
}

#[test]
fn a_sobol_design_with_both_base_points_and_file_or_neither_is_refused() {
    let both: Result<Design, _> =
        toml::from_str("kind = \"sobol\"\nbase_points = 4\nfile = \"x.csv\"");
    let e = both.unwrap_err().to_string();
    assert!(
        e.contains("`design.base_points` and `design.file` together"),
        "{e}"
    );
    let neither: Result<Design, _> = toml::from_str("kind = \"sobol\"");
    let e = neither.unwrap_err().to_string();
    assert!(
        e.contains("needs `design.base_points` or `design.file`"),
        "{e}"
    );
    // A table design keeps its keys, and its serialisation.
    let t: Design = toml::from_str("kind = \"table\"\nfile = \"x.csv\"").unwrap();
    assert_eq!(
        toml::to_string(&t).unwrap(),
        "kind = \"table\"\nfile = \"x.csv\"\n"
    );
    let s: Design = toml::from_str("kind = \"sobol\"\nbase_points = 4").unwrap();
    assert_eq!(
        toml::to_string(&s).unwrap(),
        "kind = \"sobol\"\nbase_points = 4\n"
    );
    let f: Design = toml::from_str("kind = \"sobol\"\nfile = \"x.csv\"").unwrap();
    assert_eq!(
        toml::to_string(&f).unwrap(),
        "kind = \"sobol\"\nfile = \"x.csv\"\n"
    );
    assert!(toml::from_str::<Design>("kind = \"lhs\"\npoints = 4\nfile = \"x.csv\"").is_err());
}

#[test]
fn the_file_is_an_input_of_the_sweep_and_policies_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    base(dir);
    let generated = sweep(
        dir,
        "gen.toml",
        "[design]\nkind = \"sobol\"\nbase_points = 2\n",
    );
    run(&generated, &dir.join("gen"));
    let points = std::fs::read_to_string(dir.join("gen/points.csv")).unwrap();
    let n = points.lines().count() - 1;
    let table = as_design_file(&points, n);
    write(dir, "pts.csv", &table);
    let plan = sweep(
        dir,
        "file.toml",
        "[design]\nkind = \"sobol\"\nfile = \"pts.csv\"\n",
    );
    let inputs = plan.input_files();
    assert!(
        inputs.iter().any(|(_, p)| p.ends_with("pts.csv")),
        "the points file is not among the sweep's inputs: {inputs:?}"
    );
    let text = format!(
        "base = \"base.toml\"\nseed = 11\nreplicates = 1\n[design]\nkind = \"sobol\"\nfile = \"pts.csv\"\n\
         {FACTORS}[[policies]]\nname = \"a\"\n[[policies]]\nname = \"b\"\n"
    );
    write(dir, "policies.toml", &text);
    let err = SweepPlan::load(&dir.join("policies.toml"))
        .expect_err("policies with a sobol design")
        .to_string();
    assert!(
        err.contains("design.kind") && err.contains("[[policies]]"),
        "{err}"
    );
}
