//! Parquet output: the same tables as CSV, value by value; the same bytes
//! whatever the thread count, after a stopped and resumed sweep, and after
//! a merge of shards; and a stale file of the other format refused.

use migflow_core::params::{Scenario, from_toml, to_toml};
use migflow_core::run::Cancel;
use migflow_experiments::execute::{SweepOptions, run_sweep};
use migflow_experiments::run::{RunOptions, run_to_dir};
use migflow_experiments::store;
use migflow_experiments::sweep::SweepPlan;
use migflow_io::{NamedCsv, TableFormat};
use std::path::{Path, PathBuf};

fn small() -> String {
    let mut s = Scenario::default();
    s.population.households = 300;
    s.run.years = 4;
    to_toml(&s).expect("toml")
}

fn run(out: &Path, format: TableFormat, threads: usize) {
    let opts = RunOptions {
        loaded: from_toml(&small(), None).expect("scenario"),
        seed: 11,
        replicates: 3,
        threads,
        out: out.to_path_buf(),
        households_out: true,
        cohort_years: None,
        by_site: true,
        command: vec![],
        force: false,
        population_sha256: None,
        cancel: Cancel::default(),
        format,
    };
    run_to_dir(&opts, &|| {}).expect("run");
}

/// Every cell of a table, header first, as the CSV readers see it.
fn cells(path: &Path) -> Vec<Vec<String>> {
    let mut t = NamedCsv::open(path).expect("open");
    let mut rows = vec![t.header().to_vec()];
    while let Some(r) = t.next_row().expect("row") {
        rows.push(r.cells().map(str::to_string).collect());
    }
    rows
}

const RUN_TABLES: [&str; 8] = [
    "trajectories",
    "flows",
    "summary",
    "cohorts",
    "costs",
    "sites",
    "site_costs",
    "households",
];

#[test]
fn a_parquet_run_holds_the_values_of_the_csv_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (csv, parquet) = (tmp.path().join("csv"), tmp.path().join("parquet"));
    run(&csv, TableFormat::Csv, 2);
    run(&parquet, TableFormat::Parquet, 2);
    for name in RUN_TABLES {
        let a = cells(&csv.join(format!("{name}.csv")));
        let b = cells(&parquet.join(format!("{name}.parquet")));
        assert!(a.len() > 1, "{name} is empty");
        assert_eq!(a, b, "{name}: the Parquet table differs from the CSV one");
    }
    // The results readers take either, with the same numbers.
    let a = migflow_io::results::RunResults::read(&csv, None).expect("csv results");
    let b = migflow_io::results::RunResults::read(&parquet, None).expect("parquet results");
    assert_eq!(a.values(1, 0, 8), b.values(1, 0, 8));
    assert_eq!(a.mean_flows(2), b.mean_flows(2));
}

#[test]
fn parquet_files_repeat_byte_for_byte_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    run(&one, TableFormat::Parquet, 1);
    run(&two, TableFormat::Parquet, 2);
    for name in RUN_TABLES {
        let file = format!("{name}.parquet");
        assert!(
            std::fs::read(one.join(&file)).expect("one")
                == std::fs::read(two.join(&file)).expect("two"),
            "{file} differs between 1 and 2 threads"
        );
    }
}

#[test]
fn a_run_saved_in_the_other_format_has_the_files_a_run_in_that_format_writes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let t = tmp.path();
    run(&t.join("csv"), TableFormat::Csv, 2);
    run(&t.join("parquet"), TableFormat::Parquet, 2);
    let to_parquet = migflow_experiments::run::save_run_as(
        &t.join("csv"),
        &t.join("as_parquet"),
        TableFormat::Parquet,
        false,
    )
    .expect("save as parquet");
    migflow_experiments::run::save_run_as(
        &t.join("parquet"),
        &t.join("as_csv"),
        TableFormat::Csv,
        false,
    )
    .expect("save as csv");
    for name in RUN_TABLES {
        for (made, saved, ext) in [
            ("parquet", "as_parquet", "parquet"),
            ("csv", "as_csv", "csv"),
        ] {
            let file = format!("{name}.{ext}");
            assert!(
                std::fs::read(t.join(made).join(&file)).expect("made")
                    == std::fs::read(t.join(saved).join(&file)).expect("saved"),
                "{saved}/{file} differs from the file the run writes"
            );
        }
    }
    assert_eq!(to_parquet.files.len(), RUN_TABLES.len());
    migflow_io::results::RunResults::read(&t.join("as_parquet"), None).expect("readable");
}

#[test]
fn a_stale_csv_file_beside_a_parquet_run_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    run(&out, TableFormat::Parquet, 1);
    std::fs::write(out.join("trajectories.csv"), "replicate,year\n").expect("stale");
    let err = migflow_io::results::RunResults::read(&out, None)
        .expect_err("a stale CSV beside its Parquet twin")
        .to_string();
    assert!(
        err.contains("trajectories.csv") && err.contains("not listed"),
        "{err}"
    );
    // A run in CSV into the same directory replaces the Parquet set whole.
    std::fs::remove_file(out.join("trajectories.csv")).expect("rm");
    run(&out, TableFormat::Csv, 1);
    assert!(
        !out.join("trajectories.parquet").exists(),
        "a Parquet file of the earlier run is left"
    );
    migflow_io::results::RunResults::read(&out, None).expect("csv results");
}

fn sweep_files(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("base.toml"), small()).expect("base");
    std::fs::write(
        dir.join("sweep.toml"),
        "base = \"base.toml\"\nseed = 5\nreplicates = 2\n[design]\nkind = \"lhs\"\npoints = 6\n\
         [[factors]]\npath = \"decision.beta_net\"\nmin = 0.0\nmax = 1.0\n\
         [[factors]]\npath = \"population.households\"\nmin = 200\nmax = 400\n",
    )
    .expect("sweep");
    dir.join("sweep.toml")
}

fn sweep(
    dir: &Path,
    out: &str,
    cancel: Cancel,
    stop_after: Option<usize>,
    resume: bool,
    shard: Option<store::Shard>,
) -> Result<(), migflow_io::Error> {
    let plan = SweepPlan::load(&sweep_files(dir)).expect("plan");
    let opts = SweepOptions {
        out: dir.join(out),
        resume,
        shard,
        threads: 2,
        cancel: cancel.clone(),
        format: TableFormat::Parquet,
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if stop_after.is_some_and(|k| n >= k) {
            cancel.request();
        }
    };
    run_sweep(&plan, &opts, &|_, _| {}, &tick).map(|_| ())
}

const SWEEP_TABLES: [&str; 5] = [
    "runs",
    "trajectories",
    "failures",
    "points",
    "points_summary",
];

fn assert_same_sweep(a: &Path, b: &Path) {
    for name in SWEEP_TABLES {
        let file = format!("{name}.parquet");
        assert!(
            std::fs::read(a.join(&file)).expect("a") == std::fs::read(b.join(&file)).expect("b"),
            "{file} differs"
        );
    }
    assert_eq!(
        std::fs::read(a.join("manifest.json")).expect("a"),
        std::fs::read(b.join("manifest.json")).expect("b")
    );
}

#[test]
fn a_stopped_parquet_sweep_resumes_to_the_same_files() {
    let whole = tempfile::tempdir().expect("tmp");
    sweep(whole.path(), "out", Cancel::default(), None, false, None).expect("whole sweep");
    let parts = tempfile::tempdir().expect("tmp");
    let err = sweep(parts.path(), "out", Cancel::new(), Some(4), false, None).expect_err("stopped");
    assert!(
        matches!(err, migflow_io::Error::Interrupted { .. }),
        "{err:?}"
    );
    assert!(!parts.path().join("out/runs.parquet").exists());
    sweep(parts.path(), "out", Cancel::default(), None, true, None).expect("resumed");
    assert_same_sweep(&whole.path().join("out"), &parts.path().join("out"));
    // The sweep's readers read it.
    let r = migflow_io::results::SweepResults::read(&parts.path().join("out")).expect("read");
    assert_eq!(r.runs.len(), 12);
}

#[test]
fn merged_parquet_shards_are_the_whole_sweep() {
    let tmp = tempfile::tempdir().expect("tmp");
    let w = tmp.path();
    sweep(w, "whole", Cancel::default(), None, false, None).expect("whole");
    for index in 0..2 {
        let shard = store::Shard { index, count: 2 };
        sweep(
            w,
            &format!("s{index}"),
            Cancel::default(),
            None,
            false,
            Some(shard),
        )
        .expect("shard");
    }
    store::merge(&[w.join("s0"), w.join("s1")], &w.join("merged")).expect("merge");
    assert_same_sweep(&w.join("whole"), &w.join("merged"));
}
