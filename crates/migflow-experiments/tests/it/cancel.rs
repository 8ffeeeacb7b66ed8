//! A stop asked for while a run or a sweep is in flight (Python's Ctrl-C):
//! a run writes nothing, a sweep keeps its committed runs, and a resume
//! gives the files of a sweep never stopped.

use migflow_core::params::{Scenario, from_toml, to_toml};
use migflow_core::run::Cancel;
use migflow_experiments::execute::{SweepOptions, run_sweep};
use migflow_experiments::run::{RunOptions, run_to_dir};
use migflow_experiments::sweep::SweepPlan;
use migflow_io::Error;
use std::path::Path;

fn small() -> String {
    let mut s = Scenario::default();
    s.population.households = 300;
    s.run.years = 4;
    to_toml(&s).expect("toml")
}

#[test]
fn a_stopped_run_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let cancel = Cancel::new();
    let opts = RunOptions {
        loaded: from_toml(&small(), None).expect("scenario"),
        seed: 1,
        replicates: 3,
        threads: 1,
        out: out.clone(),
        households_out: true,
        cohort_years: None,
        by_site: false,
        command: vec![],
        force: false,
        population_sha256: None,
        cancel: cancel.clone(),
        format: Default::default(),
    };
    // Stop after the first replicate-year.
    let tick = || cancel.request();
    let err = run_to_dir(&opts, &tick).expect_err("a stopped run must fail");
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|n| n.to_string_lossy().starts_with('.')),
        "a stopped run left {left:?}"
    );
}

fn sweep(dir: &Path, cancel: Cancel, stop_after: Option<usize>, resume: bool) -> Result<(), Error> {
    std::fs::write(dir.join("base.toml"), small()).expect("base");
    std::fs::write(
        dir.join("sweep.toml"),
        "base = \"base.toml\"\nseed = 5\nreplicates = 1\n[design]\nkind = \"lhs\"\npoints = 12\n\
         [[factors]]\npath = \"decision.beta_net\"\nmin = 0.0\nmax = 1.0\n",
    )
    .expect("sweep");
    let plan = SweepPlan::load(&dir.join("sweep.toml")).expect("plan");
    let opts = SweepOptions {
        out: dir.join("out"),
        resume,
        shard: None,
        threads: 1,
        cancel: cancel.clone(),
        format: Default::default(),
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

#[test]
fn a_stopped_sweep_resumes_to_the_same_files() {
    let whole = tempfile::tempdir().expect("tmp");
    sweep(whole.path(), Cancel::default(), None, false).expect("whole sweep");

    let parts = tempfile::tempdir().expect("tmp");
    let err = sweep(parts.path(), Cancel::new(), Some(3), false).expect_err("stopped");
    assert!(matches!(err, Error::Interrupted { .. }), "{err:?}");
    assert!(
        !parts.path().join("out/runs.csv").exists(),
        "a stopped sweep wrote its final files"
    );
    sweep(parts.path(), Cancel::default(), None, true).expect("resumed sweep");
    for name in [
        "runs.csv",
        "trajectories.csv",
        "points.csv",
        "points_summary.csv",
    ] {
        assert_eq!(
            std::fs::read(whole.path().join("out").join(name)).expect("whole"),
            std::fs::read(parts.path().join("out").join(name)).expect("resumed"),
            "{name}"
        );
    }
}
