//! The output directory's lock: a second process writing a directory that
//! a live migflow process is writing is refused (exit 2, naming the
//! holder), and the lock goes with the process that held it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_migflow"))
}

/// A grid sweep long enough to be still running while other commands try
/// its directory.
fn long_sweep(dir: &Path) -> PathBuf {
    let levels: Vec<String> = (0..400).map(|i| format!("{}", i as f64 * 0.001)).collect();
    let text = format!(
        "base = \"default\"\nseed = 3\nreplicates = 2\n[design]\nkind = \"grid\"\n\
         [[factors]]\npath = \"levers.workshops.workshop_jobs_share\"\nlevels = [{}]\n\
         [[factors]]\npath = \"population.households\"\nlevels = [6000]\n",
        levels.join(", ")
    );
    let path = dir.join("long.toml");
    std::fs::write(&path, text).expect("write sweep");
    path
}

/// Kills the sweep however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `migflow sweep SWEEP --out OUT EXTRA…` on one thread and wait
/// until it holds the directory's lock.
fn start_holder(sweep: &Path, out: &Path, extra: &[&str]) -> Running {
    let child = Command::new(bin_path())
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--threads", "1"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(sweep.with_extension("stderr")).expect("stderr file"),
        ))
        .spawn()
        .expect("spawn sweep");
    let mut holder = Running(child);
    let pid = holder.0.id().to_string();
    let lock = out.join(".migflow.lock");
    let t0 = Instant::now();
    while !std::fs::read_to_string(&lock)
        .is_ok_and(|t| t.split_whitespace().last() == Some(pid.as_str()))
    {
        let stderr = || std::fs::read_to_string(sweep.with_extension("stderr")).unwrap_or_default();
        if let Some(status) = holder.0.try_wait().expect("wait") {
            panic!(
                "the sweep ended ({status}) before it was seen holding the lock: {}",
                stderr()
            );
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the sweep never locked {} (lock file: {:?}; stderr: {})",
            out.display(),
            std::fs::read_to_string(&lock),
            stderr()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    holder
}

/// Run `migflow ARGS` and hand back its exit code and standard error.
fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = Command::new(bin_path())
        .args(args)
        .output()
        .expect("start migflow");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_second_writer_of_a_locked_directory_exits_2_naming_the_holder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sweep = long_sweep(tmp.path());
    let out = tmp.path().join("out");
    let mut holder = start_holder(&sweep, &out, &[]);
    let pid = holder.0.id();

    let (code, stderr) = run(&[
        "sweep".as_ref(),
        sweep.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--resume".as_ref(),
        "--quiet".as_ref(),
    ]);
    assert!(
        holder.0.try_wait().expect("wait").is_none(),
        "the sweep finished before the second one tried: make it longer"
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!(" {pid})")) && stderr.contains("another migflow process"),
        "stderr does not name the holder's pid {pid}:\n{stderr}"
    );
    assert!(stderr.contains("--out"), "{stderr}");

    // Every other writer is refused too: a run into the same directory.
    let (code, stderr) = run(&[
        "run".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&format!(" {pid})")), "{stderr}");
    assert!(
        !out.join("manifest.json").exists(),
        "the refused run wrote into the locked directory"
    );

    // The kernel releases the lock of a killed holder: a resume takes the
    // directory over (and is stopped once it holds it).
    holder.0.kill().expect("kill");
    holder.0.wait().expect("wait");
    assert!(
        out.join(".migflow.lock").exists(),
        "a killed holder leaves its file"
    );
    let mut resumed = start_holder(&sweep, &out, &["--resume"]);
    assert!(
        resumed.0.try_wait().expect("wait").is_none(),
        "the resume ended"
    );
}
