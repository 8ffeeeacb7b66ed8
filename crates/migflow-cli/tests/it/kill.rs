//! Killing a streaming command (a sweep, a calibration) mid-run, for the
//! kill-and-resume tests: the kill is checked to have happened before the
//! command finished, and "before the first commit" to have left no commit.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// When [`kill_at`] kills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillAt {
    /// Once the stream's data file holds entries past its header while
    /// its journal is still empty: entries written but not committed.
    BeforeFirstCommit,
    /// Once the journal holds a committed entry.
    AfterACommit,
}

/// Lines of `out/stream/journal` (0 when it is absent).
pub fn journal_lines(out: &Path) -> usize {
    lines(&out.join("stream").join("journal"))
}

fn lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// SIGKILL `child`, which streams into `out/stream/` (its data file
/// `data`, a one-line header then one line per entry), at `when`. Asserts
/// that it was killed before it finished: it had not exited on its own, the
/// kill ended it, and no final `manifest.json` exists. For
/// [`KillAt::BeforeFirstCommit`] also that entries had been written and
/// that the journal is empty or absent after the kill. Returns the
/// journal's committed entries after the kill.
pub fn kill_at(child: &mut Child, out: &Path, data: &str, when: KillAt) -> usize {
    let data = out.join("stream").join(data);
    let t0 = Instant::now();
    loop {
        let ready = match when {
            KillAt::BeforeFirstCommit => lines(&data) > 1,
            KillAt::AfterACommit => journal_lines(out) > 0,
        };
        if ready {
            break;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("it finished ({status}) before it could be killed ({when:?}): make it longer");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "not ready to be killed ({when:?}) after 60 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    if when == KillAt::BeforeFirstCommit {
        assert_eq!(
            journal_lines(out),
            0,
            "a commit before the first entries were seen: make the entries faster"
        );
    }
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "it finished before it could be killed ({when:?}): make it longer"
    );
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(
        !status.success(),
        "it finished on its own ({status}) instead of being killed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "not ended by SIGKILL: {status}");
    }
    assert!(
        !out.join("manifest.json").exists(),
        "a final manifest.json although it was killed before the end"
    );
    let committed = journal_lines(out);
    if when == KillAt::BeforeFirstCommit {
        assert_eq!(
            committed, 0,
            "killed before the first commit, yet the journal has {committed} entries"
        );
        assert!(
            lines(&data) > 1,
            "no uncommitted entries for the resume to drop"
        );
    }
    committed
}
