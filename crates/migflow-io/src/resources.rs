//! Memory checks before large work: a run that cannot fit is refused with
//! a clear error up front, instead of being killed by the kernel midway
//! (or aborting on a failed allocation).
//!
//! The estimate is, for each replicate held in memory at once,
//! [`BYTES_PER_HOUSEHOLD`] for each household (the measured peak resident
//! size at national scale, 108 bytes per household; see `BENCHMARKS.md`), [`BYTES_PER_SITE`] for each site and
//! [`BYTES_PER_VILLAGE`] for each origin village (a scenario of ten
//! households may still have a million sites of thousands of villages).
//! The memory available is the smallest of the kernel's `MemAvailable`, the
//! room left under the process's cgroup limit (a Slurm job's `--mem`) and
//! the room left under its address-space limit (`ulimit -v`), of those that
//! can be read; elsewhere no check is made.

use crate::error::{Error, Result};
use std::path::Path;

/// Resident bytes a household costs while a replicate runs, with a
/// margin (measured with version 2 of the model: 258 MB peak for the
/// 2,400,000 households of `scenarios/national_scale.toml`, 108 bytes
/// each: the household, its year, the incomes and states of the medians,
/// the death masks and two cohorts' groups).
pub const BYTES_PER_HOUSEHOLD: u64 = 120;

/// Resident bytes a site costs while a replicate runs (measured: 66 bytes
/// a site for a million sites of one village; rounded up for the
/// per-year market and training buffers).
pub const BYTES_PER_SITE: u64 = 96;

/// Resident bytes an origin village costs while a replicate runs (its
/// distance, households and outbound count, and the year's harvest of
/// its site: 24).
pub const BYTES_PER_VILLAGE: u64 = 24;

/// Bytes of memory this process can still use, if the system says.
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let available = meminfo
        .as_deref()
        .and_then(|text| kib_field(text, "MemAvailable:"));
    [available, cgroup_room(), address_space_room()]
        .into_iter()
        .flatten()
        .min()
}

/// Room left under the process's address-space limit (`ulimit -v`,
/// RLIMIT_AS), if one is set: the limit less the virtual size already
/// mapped.
fn address_space_room() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    address_space_room_in(&limits, &status)
}

/// [`address_space_room`] for the texts of `/proc/self/limits` and
/// `/proc/self/status`.
fn address_space_room_in(limits: &str, status: &str) -> Option<u64> {
    // "Max address space   unlimited   unlimited   bytes": the soft limit
    // is the first value.
    let soft = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max address space"))?
        .split_whitespace()
        .next()?
        .parse::<u64>()
        .ok()?;
    let mapped = kib_field(status, "VmSize:").unwrap_or(0);
    Some(soft.saturating_sub(mapped))
}

/// The bytes of a `NAME:   1234 kB` line of a `/proc` file.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kb| kb.saturating_mul(1024))
}

/// Room left under the process's cgroup memory limit, if one is set:
/// cgroup v2 (`memory.max`, `memory.current`) or v1 (`memory.limit_in_bytes`,
/// `memory.usage_in_bytes`; many Slurm sites still run v1).
fn cgroup_room() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    cgroup_room_in(&own, Path::new("/sys/fs/cgroup"))
}

/// [`cgroup_room`] for a `/proc/self/cgroup` text and a cgroup mount root.
fn cgroup_room_in(own: &str, root: &Path) -> Option<u64> {
    let read = |dir: &Path, name: &str| {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
    };
    // v1: a line `N:memory:/path` (or `N:memory,…:/path`), the controller
    // mounted at ROOT/memory.
    let v1 = own.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        controllers
            .split(',')
            .any(|c| c == "memory")
            .then(|| root.join("memory").join(path.trim_start_matches('/')))
    });
    if let Some(dir) = v1 {
        // An unlimited v1 group reports a huge page-aligned number: no limit.
        let limit = read(&dir, "memory.limit_in_bytes").filter(|&l| l < 1 << 60)?;
        let usage = read(&dir, "memory.usage_in_bytes").unwrap_or(0);
        return Some(limit.saturating_sub(usage));
    }
    // v2: a single line `0::/path`.
    let rel = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = root.join(rel.trim_start_matches('/'));
    let max = read(&dir, "memory.max")?; // "max": no limit, not a number
    let current = read(&dir, "memory.current").unwrap_or(0);
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

/// Bytes needed to hold one replicate of `households` households in
/// `sites` sites of `villages_per_site` origin villages each.
pub fn replicate_bytes(households: u64, sites: u64, villages_per_site: u64) -> u64 {
    households
        .saturating_mul(BYTES_PER_HOUSEHOLD)
        .saturating_add(sites.saturating_mul(BYTES_PER_SITE))
        .saturating_add(
            sites
                .saturating_mul(villages_per_site)
                .saturating_mul(BYTES_PER_VILLAGE),
        )
}

/// [`replicate_bytes`] for a scenario whose population holds `households`
/// households (a population file's count may differ from
/// `population.households`).
pub fn scenario_replicate_bytes(params: &migflow_core::params::Params, households: u64) -> u64 {
    let p = &params.scenario().population;
    replicate_bytes(households, p.sites.into(), p.villages_per_site.into())
}

/// Bytes needed to hold `in_flight` replicates of `per_replicate` bytes
/// at once.
pub fn in_flight_bytes(per_replicate: u64, in_flight: u64) -> u64 {
    per_replicate.saturating_mul(in_flight.max(1))
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
        Some(available) if needed > available => Err(Error::Memory {
            source_name: source.to_path_buf(),
            what: format!(
                "{what} ({BYTES_PER_HOUSEHOLD} bytes a household, {BYTES_PER_SITE} a site and \
                 {BYTES_PER_VILLAGE} an origin village, for each replicate held at once)"
            ),
            needed,
            available,
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
        let need = in_flight_bytes(replicate_bytes(100_000_000, 0, 0), 2);
        let err =
            ensure_memory_within(Path::new("big.toml"), "this run", need, Some(8_000_000_000))
                .expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains("big.toml") && text.contains("24.0 GB") && text.contains("8.0 GB"),
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
    fn cgroup_v1_and_v2_limits_are_read() {
        let root = tempfile::tempdir().unwrap();
        let v1 = root.path().join("memory/slurm/job_7");
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::write(v1.join("memory.limit_in_bytes"), "4000000000\n").unwrap();
        std::fs::write(v1.join("memory.usage_in_bytes"), "1000000000\n").unwrap();
        let own_v1 = "12:cpuset:/slurm/job_7\n4:memory:/slurm/job_7\n1:name=systemd:/x\n";
        assert_eq!(cgroup_room_in(own_v1, root.path()), Some(3_000_000_000));
        std::fs::write(v1.join("memory.limit_in_bytes"), "9223372036854771712\n").unwrap();
        assert_eq!(cgroup_room_in(own_v1, root.path()), None, "unlimited v1");

        let v2 = root.path().join("user.slice/job");
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(v2.join("memory.max"), "2000000000\n").unwrap();
        std::fs::write(v2.join("memory.current"), "500000000\n").unwrap();
        assert_eq!(
            cgroup_room_in("0::/user.slice/job\n", root.path()),
            Some(1_500_000_000)
        );
        std::fs::write(v2.join("memory.max"), "max\n").unwrap();
        assert_eq!(cgroup_room_in("0::/user.slice/job\n", root.path()), None);
    }

    #[test]
    fn the_estimate_saturates_instead_of_overflowing() {
        assert_eq!(
            in_flight_bytes(replicate_bytes(u64::MAX, 1, 1), 4),
            u64::MAX
        );
        assert_eq!(replicate_bytes(1, u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn sites_and_villages_count_in_the_estimate() {
        // Ten households in a million sites of 4,000 villages: 64 GB.
        let bytes = replicate_bytes(10, 1_000_000, 4_000);
        assert_eq!(
            bytes,
            10 * BYTES_PER_HOUSEHOLD
                + 1_000_000 * BYTES_PER_SITE
                + 4_000_000_000 * BYTES_PER_VILLAGE
        );
        assert!(bytes > 64_000_000_000);
    }

    #[test]
    fn an_address_space_limit_is_read_as_room_left() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max cpu time              unlimited            unlimited            seconds\n\
                      Max address space         2000000000           unlimited            bytes\n";
        let status = "Name:\tmigflow\nVmPeak:\t  600000 kB\nVmSize:\t  500000 kB\n";
        assert_eq!(
            address_space_room_in(limits, status),
            Some(2_000_000_000 - 500_000 * 1024)
        );
        let unlimited = limits.replace("2000000000", "unlimited");
        assert_eq!(address_space_room_in(&unlimited, status), None);
    }
}
