//! Damaged results directories (issue 7, "No panic on any input"): every
//! command that reads one — `plot`, `report`, `compare`, `run MANIFEST`,
//! `sensitivity`, `merge` and `sweep --resume` — answers a truncated,
//! bit-flipped, edited or missing file with a result or a clean error
//! (exit 1 or 2), never a panic (exit 101) or a hang.

use crate::util::migflow;
use migflow_experiments::execute::execute_run;
use migflow_experiments::store::Store;
use migflow_experiments::sweep::SweepPlan;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// A way to damage one file.
#[derive(Debug, Clone)]
enum Damage {
    /// Cut the file at this fraction of its length.
    Truncate(f64),
    /// Set the byte at this fraction of the length.
    SetByte(f64, u8),
    /// Replace the CSV cell or JSON value around this fraction with text
    /// that parses as something else (a huge, negative, non-finite or
    /// empty value).
    Cell(f64, &'static str),
    /// Repeat the line around this fraction.
    DuplicateLine(f64),
    /// Drop the line around this fraction.
    DropLine(f64),
    /// Remove the file.
    Delete,
}

fn damage() -> impl Strategy<Value = Damage> {
    let at = 0.0..1.0f64;
    prop_oneof![
        at.clone().prop_map(Damage::Truncate),
        (at.clone(), any::<u8>()).prop_map(|(f, b)| Damage::SetByte(f, b)),
        (
            at.clone(),
            prop::sample::select(vec![
                "",
                "-1",
                "nan",
                "inf",
                "-inf",
                "1e308",
                "18446744073709551616",
                "0",
                "99999",
                "x",
                "\"",
                "1.5",
                "-0",
                "2147483648",
                "\u{feff}",
            ])
        )
            .prop_map(|(f, t)| Damage::Cell(f, t)),
        at.clone().prop_map(Damage::DuplicateLine),
        at.prop_map(Damage::DropLine),
        Just(Damage::Delete),
    ]
}

fn apply(path: &Path, d: &Damage) -> std::io::Result<()> {
    if let Damage::Delete = d {
        return std::fs::remove_file(path);
    }
    let mut bytes = std::fs::read(path)?;
    let len = bytes.len();
    let pos = |f: f64| ((f * len as f64) as usize).min(len.saturating_sub(1));
    // The line containing byte `i`: [start, end) with its newline.
    let line = |bytes: &[u8], i: usize| {
        let start = bytes[..i]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = bytes[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| i + p + 1);
        (start, end)
    };
    match d {
        Damage::Truncate(f) => bytes.truncate(pos(*f)),
        Damage::SetByte(f, b) if len > 0 => bytes[pos(*f)] = *b,
        Damage::Cell(f, text) if len > 0 => {
            let i = pos(*f);
            let is_sep =
                |b: u8| matches!(b, b',' | b'\n' | b'\t' | b':' | b'[' | b']' | b'{' | b'}');
            let start = bytes[..i]
                .iter()
                .rposition(|&b| is_sep(b))
                .map_or(0, |p| p + 1);
            let end = bytes[i..]
                .iter()
                .position(|&b| is_sep(b))
                .map_or(len, |p| i + p);
            let start = start.min(end);
            bytes.splice(start..end, text.bytes());
        }
        Damage::DuplicateLine(f) if len > 0 => {
            let (s, e) = line(&bytes, pos(*f));
            let copy = bytes[s..e].to_vec();
            bytes.splice(e..e, copy);
        }
        Damage::DropLine(f) if len > 0 => {
            let (s, e) = line(&bytes, pos(*f));
            bytes.drain(s..e);
        }
        _ => {}
    }
    std::fs::write(path, bytes)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Every file under `dir`, relative to it, in a fixed order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read fixture dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("prefix").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Fixtures made once: a run directory with the household panel, a
/// finished Sobol sweep, two shards of it, and an interrupted sweep's
/// stream (some runs committed, none finalised).
struct Fixtures {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().to_path_buf();
        std::fs::write(
            root.join("s.toml"),
            "[run]\nyears = 3\n[population]\nhouseholds = 120\nsites = 2\nvillages_per_site = 2\n",
        )
        .expect("write scenario");
        std::fs::write(
            root.join("sweep.toml"),
            "base = \"s.toml\"\nseed = 1\nreplicates = 2\n[design]\nkind = \"sobol\"\nbase_points = 4\n\
             [[factors]]\npath = \"decision.beta_net\"\nmin = 0.0\nmax = 1.0\n\
             [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nmin = 0.0\nmax = 0.2\n",
        )
        .expect("write sweep");
        let ok = |args: &[&str]| {
            migflow().current_dir(&root).args(args).assert().success();
        };
        ok(&["run", "s.toml", "-o", "run", "-r", "2", "--households-out", "-q", "-j", "1"]);
        ok(&["sweep", "sweep.toml", "--out", "sweep", "-q", "-j", "1"]);
        ok(&["sweep", "sweep.toml", "--out", "shard0", "--shard", "0/2", "-q", "-j", "1"]);
        ok(&["sweep", "sweep.toml", "--out", "shard1", "--shard", "1/2", "-q", "-j", "1"]);
        std::fs::write(
            root.join("calib.toml"),
            "base = \"s.toml\"\nseed = 3\nreplicates = 1\nfit_replicates = 2\n\
             [[parameters]]\npath = \"economy.p_find_base\"\nmin = 0.3\nmax = 0.95\n\
             [[targets]]\nmetric = \"employment_rate\"\nyear = 2021\nvalue = 0.93\nsd = 0.01\n",
        )
        .expect("write calibration");
        ok(&["calibrate", "calib.toml", "--out", "calib", "--samples", "30", "-q", "-j", "1"]);
        // An interrupted calibration: its state and a stream of 12 committed
        // samples, as `calibrate` leaves them when killed.
        let partial = root.join("calpartial");
        std::fs::create_dir_all(partial.join("stream")).expect("mkdir");
        std::fs::copy(root.join("calib/calibration.json"), partial.join("calibration.json"))
            .expect("copy state");
        let samples = std::fs::read_to_string(root.join("calib/samples.csv")).expect("samples");
        let mut lines = samples.split_inclusive('\n');
        let mut data = lines.next().expect("header").to_string();
        let mut journal = String::new();
        for row in lines.take(12) {
            data.push_str(row);
            let mut cells = row.split(',');
            let (generation, sample) = (cells.next().expect("gen"), cells.next().expect("sample"));
            let check = migflow_io::journal::bytes_check(&[row.as_bytes()]);
            journal.push_str(&format!("{generation}\t{sample}\t{}\t{check:016x}\n", data.len()));
        }
        std::fs::write(partial.join("stream/samples.csv"), data).expect("stream");
        std::fs::write(partial.join("stream/journal"), journal).expect("journal");
        let plan = SweepPlan::load(&root.join("sweep.toml")).expect("plan");
        let mut store = Store::open(&root.join("partial"), &plan, None, false).expect("store");
        for run in 0..5 {
            store.append(&execute_run(&plan, run)).expect("append");
        }
        store.commit().expect("commit");
        drop(store);
        Fixtures { _tmp: tmp, root }
    })
}

/// Run `args` in `dir` and fail unless it exits 0, 1 or 2 without a panic
/// message, within the time limit; hand back its output.
fn no_panic(
    dir: &Path,
    args: &[&str],
    damage: &str,
) -> Result<std::process::Output, TestCaseError> {
    let out = migflow()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .map_err(|e| TestCaseError::fail(format!("spawn: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    prop_assert!(
        matches!(code, Some(0..=2)) && !stderr.contains("panicked"),
        "`migflow {}` after {damage} exited {code:?}:\n{stderr}",
        args.join(" ")
    );
    Ok(out)
}

/// The files of a finished sweep whose bytes are the result.
const SWEEP_FILES: [&str; 6] = [
    "runs.csv",
    "trajectories.csv",
    "failures.csv",
    "points.csv",
    "points_summary.csv",
    "manifest.json",
];

/// Run a `--resume` command (`args`) that writes into `out`; when it
/// succeeds, `files` there must be those of the undamaged fixture
/// `reference`: damage is either refused or repaired (by running the
/// damaged work again), never carried into results.
fn resume_repairs_or_refuses(
    w: &Path,
    args: &[&str],
    out: &str,
    reference: &str,
    files: &[&str],
    damage: &str,
) -> Result<(), TestCaseError> {
    if no_panic(w, args, damage)?.status.success() {
        for name in files {
            let want = std::fs::read(fixtures().root.join(reference).join(name))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got = std::fs::read(w.join(out).join(name)).unwrap_or_default();
            prop_assert!(
                want == got,
                "after {damage}, `{}` succeeded but {out}/{name} differs from the undamaged {reference}",
                args.join(" ")
            );
        }
    }
    Ok(())
}

fn sweep_resume(w: &Path, out: &str, damage: &str) -> Result<(), TestCaseError> {
    let args = ["sweep", "sweep.toml", "--out", out, "--resume", "-q"];
    resume_repairs_or_refuses(w, &args, out, "sweep", &SWEEP_FILES, damage)
}

fn calibration_resume(w: &Path, out: &str, damage: &str) -> Result<(), TestCaseError> {
    let args = [
        "calibrate",
        "calib.toml",
        "--out",
        out,
        "--samples",
        "30",
        "--resume",
        "-q",
    ];
    let files = ["samples.csv", "posterior.csv", "fit.csv", "best_fit.toml"];
    resume_repairs_or_refuses(w, &args, out, "calib", &files, damage)
}

/// Copy fixture directory `name` into a fresh work dir, damage one of its
/// files, and hand back the work dir.
fn damaged(
    name: &str,
    pick: usize,
    d: &Damage,
) -> Result<(tempfile::TempDir, String), TestCaseError> {
    let f = fixtures();
    let work = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    for entry in ["s.toml", "sweep.toml", "calib.toml"] {
        std::fs::copy(f.root.join(entry), work.path().join(entry))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    for dir in [
        "run",
        "sweep",
        "shard0",
        "shard1",
        "partial",
        "calib",
        "calpartial",
    ] {
        copy_dir(&f.root.join(dir), &work.path().join(dir))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let list = files(&f.root.join(name));
    let file = &list[pick % list.len()];
    apply(&work.path().join(name).join(file), d).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok((work, format!("{d:?} on {name}/{}", file.display())))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_run_directory_never_panics_plot_report_compare_or_rerun(
        pick in any::<usize>(), d in damage()
    ) {
        let (work, what) = damaged("run", pick, &d)?;
        let w = work.path();
        no_panic(w, &["plot", "run", "--out", "charts"], &what)?;
        no_panic(w, &["report", "run", "-o", "report.html"], &what)?;
        no_panic(w, &["compare", "run", "run", "--out", "cmp"], &what)?;
        no_panic(w, &["run", "run/manifest.json", "-o", "rerun", "-q"], &what)?;
    }

    #[test]
    fn a_damaged_calibration_directory_is_repaired_or_refused_on_resume(
        pick in any::<usize>(), d in damage(), partial in any::<bool>()
    ) {
        let name = if partial { "calpartial" } else { "calib" };
        let (work, what) = damaged(name, pick, &d)?;
        calibration_resume(work.path(), name, &what)?;
    }

    #[test]
    fn a_damaged_sweep_directory_never_panics_sensitivity_merge_or_resume(
        pick in any::<usize>(), d in damage(), which in 0usize..4
    ) {
        let name = ["sweep", "shard0", "partial", "sweep"][which];
        let (work, what) = damaged(name, pick, &d)?;
        let w = work.path();
        match name {
            "shard0" => {
                no_panic(w, &["merge", "shard0", "shard1", "--out", "merged"], &what)?;
            }
            "partial" => sweep_resume(w, "partial", &what)?,
            _ => {
                no_panic(w, &["sensitivity", "sweep", "--out", "sens"], &what)?;
                no_panic(w, &["report", "sweep", "-o", "report.html"], &what)?;
                sweep_resume(w, "sweep", &what)?;
            }
        }
    }
}
