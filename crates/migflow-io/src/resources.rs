//! Memory checks before large work: a run that cannot fit is refused with
//! a clear error up front, instead of being killed by the kernel midway
//! (or aborting on a failed allocation).
//!
//! The estimate is [`BYTES_PER_HOUSEHOLD`] for each household of each
//! replicate held in memory at once (the measured peak resident size at
//! national scale, 108–111 bytes per household; see `BENCHMARKS.md`). The
//! memory available is the smaller of the kernel's `MemAvailable` and the
//! room left under the process's cgroup limit (a Slurm job's `--mem`),
//! when those can be read; elsewhere no check is made.

use crate::error::{Error, Result};
use std::path::Path;

/// Resident bytes a household costs while a replicate runs.
pub const BYTES_PER_HOUSEHOLD: u64 = 112;

/// Bytes of memory this process can still use, if the system says.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let available = meminfo.as_deref().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb.saturating_mul(1024))
    });
    let cgroup = cgroup_room();
    match (available, cgroup) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    }
}

/// Room left under the cgroup v2 memory limit, if one is set.
fn cgroup_room() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    // cgroup v2: a single line `0::/path`.
    let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = Path::new("/sys/fs/cgroup").join(rel.trim_start_matches('/'));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let max = read("memory.max")?.trim().parse::<u64>().ok()?; // "max": no limit
    let current = read("memory.current")
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Some(max.saturating_sub(current))
}

/// The worker threads a `--threads` value means: 0 is every core.
pub fn worker_threads(requested: usize) -> usize {
    if requested == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        requested
    }
}

/// Bytes needed to hold `households` households for each of `in_flight`
/// replicates at once.
pub fn households_bytes(households: u64, in_flight: u64) -> u64 {
    households
        .saturating_mul(in_flight.max(1))
        .saturating_mul(BYTES_PER_HOUSEHOLD)
}

/// Refuse work needing `needed` bytes when less is available. `source`
/// and `what` name the input and the work in the error.
pub fn ensure_memory(source: &Path, what: &str, needed: u64) -> Result<()> {
    ensure_memory_within(source, what, needed, available_memory())
}

fn ensure_memory_within(
    source: &Path,
    what: &str,
    needed: u64,
    available: Option<u64>,
) -> Result<()> {
    match available {
        Some(available) if needed > available => Err(Error::Input {
            path: source.to_path_buf(),
            message: format!(
                "{what} needs about {} of memory ({BYTES_PER_HOUSEHOLD} bytes a household), \
                 but only {} is available: use fewer households, or fewer threads \
                 (--threads) so that fewer replicates are held at once",
                gigabytes(needed),
                gigabytes(available)
            ),
        }),
        _ => Ok(()),
    }
}

pub use migflow_core::stats::gigabytes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_is_available_is_refused_naming_both_sizes() {
        let need = households_bytes(100_000_000, 2);
        let err =
            ensure_memory_within(Path::new("big.toml"), "this run", need, Some(8_000_000_000))
                .expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("big.toml") && text.contains("22.4 GB") && text.contains("8.0 GB"),
            "{text}"
        );
        assert!(ensure_memory_within(Path::new("x"), "r", need, Some(need)).is_ok());
        assert!(ensure_memory_within(Path::new("x"), "r", need, None).is_ok());
    }

    #[test]
    fn this_machine_reports_its_memory() {
        if cfg!(target_os = "linux") {
            let bytes = available_memory().expect("MemAvailable on Linux");
            assert!(bytes > 1 << 20, "{bytes}");
        }
    }

    #[test]
    fn the_estimate_saturates_instead_of_overflowing() {
        assert_eq!(households_bytes(u64::MAX, 4), u64::MAX);
    }
}
