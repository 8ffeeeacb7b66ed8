//! The readers of results directories (`plot`, `report`, `sensitivity`)
//! must answer any content of any file with charts or an error, never a
//! panic or a hang. The first byte of the input picks a file of a real run
//! or Sobol sweep directory; the rest replaces it, and the manifest's hash
//! for it is updated (as if migflow had written it), so the input reaches
//! the parsers behind the integrity check.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_analysis::sensitivity;
use migflow_io::manifest::sha256_hex;
use migflow_report::html;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const RUN_FILES: [&str; 5] = [
    "manifest.json",
    "trajectories.csv",
    "flows.csv",
    "summary.csv",
    "households.csv",
];
const SWEEP_FILES: [&str; 5] = [
    "manifest.json",
    "runs.csv",
    "trajectories.csv",
    "points.csv",
    "points_summary.csv",
];

/// The same small run and sweep as `fuzz/make-results-corpus.sh` makes.
const SCENARIO: &str = "[run]\nyears = 2\nreplicates = 2\n[population]\nhouseholds = 60\nsites = 2\nvillages_per_site = 2\n";
const SWEEP: &str = "base = \"s.toml\"\nseed = 1\nreplicates = 2\n[design]\nkind = \"sobol\"\nbase_points = 2\n\
[[factors]]\npath = \"decision.beta_net\"\nmin = 0.0\nmax = 1.0\n\
[[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nmin = 0.0\nmax = 0.2\n";

struct Fixture {
    /// Where each input's directory is written.
    scratch: PathBuf,
    run: Vec<(String, Vec<u8>)>,
    sweep: Vec<(String, Vec<u8>)>,
}

fn read_all(dir: &Path, names: &[&str]) -> Vec<(String, Vec<u8>)> {
    names
        .iter()
        .map(|n| (n.to_string(), std::fs::read(dir.join(n)).expect("fixture file")))
        .collect()
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("migflow-fuzz-results-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("fixture dir");
        std::fs::write(root.join("s.toml"), SCENARIO).expect("scenario");
        std::fs::write(root.join("sweep.toml"), SWEEP).expect("sweep");
        let loaded = migflow_io::files::load_scenario(&root.join("s.toml")).expect("scenario loads");
        let opts = migflow_experiments::run::RunOptions {
            loaded,
            seed: 42,
            replicates: 2,
            threads: 1,
            out: root.join("run"),
            households_out: true,
            cohort_years: None,
            by_site: true,
            command: vec!["fuzz".into()],
            force: false,
            population_sha256: None,
            cancel: Default::default(),
            format: Default::default(),
        };
        migflow_experiments::run::run_to_dir(&opts, &|| {}).expect("fixture run");
        let plan = migflow_experiments::sweep::SweepPlan::load(&root.join("sweep.toml")).expect("plan");
        let sweep_opts = migflow_experiments::execute::SweepOptions {
            out: root.join("sweep"),
            resume: false,
            shard: None,
            threads: 1,
            cancel: Default::default(),
            format: Default::default(),
        };
        migflow_experiments::execute::run_sweep(&plan, &sweep_opts, &|_, _| {}, &|| {})
            .expect("fixture sweep");
        Fixture {
            scratch: root.join("input"),
            run: read_all(&root.join("run"), &RUN_FILES),
            sweep: read_all(&root.join("sweep"), &SWEEP_FILES),
        }
    })
}

/// Write `files` into `dir`, replacing file `pick` by `bytes` and recording
/// its hash in the manifest (file 0).
fn write_dir(dir: &Path, files: &[(String, Vec<u8>)], pick: usize, bytes: &[u8]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("input dir");
    let mut manifest = files[0].1.clone();
    if pick != 0
        && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&manifest)
        && let Some(list) = json.get_mut("files").and_then(|f| f.as_array_mut())
    {
        for entry in list {
            if entry["name"] == files[pick].0.as_str() {
                entry["sha256"] = serde_json::Value::String(sha256_hex(bytes));
            }
        }
        manifest = serde_json::to_vec_pretty(&json).expect("json");
    }
    for (k, (name, content)) in files.iter().enumerate() {
        let content = match k {
            0 if pick == 0 => bytes,
            0 => &manifest[..],
            k if k == pick => bytes,
            _ => &content[..],
        };
        std::fs::write(dir.join(name), content).expect("write input");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let pick = usize::from(selector) % (RUN_FILES.len() + SWEEP_FILES.len());
    if pick < RUN_FILES.len() {
        write_dir(&f.scratch, &f.run, pick, bytes);
        let _ = html::report(&f.scratch, &[], None, None);
    } else {
        write_dir(&f.scratch, &f.sweep, pick - RUN_FILES.len(), bytes);
        let _ = html::report(&f.scratch, &[], None, None);
        let _ = sensitivity::analyze(&f.scratch, &sensitivity::Options::default());
    }
});
