//! `merge` must answer any content of a shard's manifest or files with a
//! merged sweep or an error, never a panic, a hang or a runaway allocation
//! (a huge `runs` count once sized a vector). The first byte of the input
//! picks a shard of a real two-shard sweep and one of its files; the rest
//! replaces that file (its hash re-recorded in the shard's manifest, so the
//! bytes reach the readers behind the integrity check). A merge that
//! succeeds lists every run of the sweep once, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migflow_experiments::store::{Shard, merge};
use migflow_experiments::sweep::{MAX_RUNS, SweepPlan};
use migflow_io::manifest::sha256_hex;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const FILES: [&str; 5] = [
    "manifest.json",
    "runs.csv",
    "trajectories.csv",
    "failures.csv",
    "points.csv",
];

/// The same small sweep as `fuzz/corpus/shard_manifest/` was made from.
const SWEEP: &str = "base = \"default\"\nseed = 1\nreplicates = 1\n[design]\nkind = \"grid\"\n\
[[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [0.0, 0.1, 0.2]\n\
[[factors]]\npath = \"population.households\"\nlevels = [40]\n";

struct Fixture {
    root: PathBuf,
    /// Each shard's files.
    shards: [Vec<(String, Vec<u8>)>; 2],
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("migflow-fuzz-shards-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("fixture dir");
        std::fs::write(root.join("sweep.toml"), SWEEP).expect("sweep");
        let plan = SweepPlan::load(&root.join("sweep.toml")).expect("plan");
        let shards = [0u64, 1].map(|index| {
            let out = root.join(format!("fixture-{index}"));
            let opts = migflow_experiments::execute::SweepOptions {
                out: out.clone(),
                resume: false,
                shard: Some(Shard { index, count: 2 }),
                threads: 1,
                cancel: Default::default(),
                format: Default::default(),
            };
            migflow_experiments::execute::run_sweep(&plan, &opts, &|_, _| {}, &|| {})
                .expect("fixture shard");
            FILES
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        std::fs::read(out.join(n)).expect("fixture file"),
                    )
                })
                .collect()
        });
        Fixture { root, shards }
    })
}

/// Write `files` into `dir`, replacing file `pick` (when given) by `bytes`
/// and recording its hash in the manifest (file 0).
fn write_dir(dir: &Path, files: &[(String, Vec<u8>)], pick: Option<usize>, bytes: &[u8]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("shard dir");
    let mut manifest = files[0].1.clone();
    if let Some(pick) = pick.filter(|&p| p != 0)
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
        let content = match (k, pick) {
            (0, Some(0)) => bytes,
            (0, _) => &manifest[..],
            (k, Some(p)) if k == p => bytes,
            _ => &content[..],
        };
        std::fs::write(dir.join(name), content).expect("write shard file");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let shard = usize::from(selector & 1);
    let pick = usize::from(selector >> 1) % FILES.len();
    let dirs = [f.root.join("shard-0"), f.root.join("shard-1")];
    for (i, dir) in dirs.iter().enumerate() {
        write_dir(dir, &f.shards[i], (i == shard).then_some(pick), bytes);
    }
    let out = f.root.join("merged");
    let _ = std::fs::remove_dir_all(&out);
    let Ok(m) = merge(&dirs, &out) else {
        return;
    };
    assert!((1..=MAX_RUNS).contains(&m.runs));
    assert_eq!(m.run_status.len() as u64, m.runs);
    for (i, (run, _)) in m.run_status.iter().enumerate() {
        assert_eq!(*run, i as u64);
    }
});
