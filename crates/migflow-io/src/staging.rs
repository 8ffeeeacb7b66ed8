//! The names of staged files: `dir/.NAME.HOST-PID.tmp`, and back from a
//! staged name to the file it becomes. A leaf module, so that errors can
//! name the final file without depending on the writer.

use std::path::{Path, PathBuf};

/// This process's tag in temporary names: host and process id, so that a
/// later run can tell its own machine's leftovers of dead processes from
/// files another live process (or another node of a cluster sharing the
/// file system) is still writing.
pub(crate) fn process_tag() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().replace(['.', '/'], "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}-{}", std::process::id())
}

/// The temporary name under which `dir/name` is written before it is
/// renamed into place: `dir/.name.HOST-PID.tmp`.
pub fn temp_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.{}.tmp", process_tag()))
}

/// The final file a temporary file stands for (`.households.csv.part-0.
/// HOST-PID.tmp` → `households.csv`), so that errors name the file the
/// user asked for rather than a hidden one.
pub fn final_path_of(tmp: &Path) -> Option<PathBuf> {
    let name = tmp.file_name()?.to_str()?;
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (stem, _tag) = inner.rsplit_once('.')?;
    let stem = match stem.rsplit_once(".part-") {
        Some((base, part)) if part.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => stem,
    };
    Some(tmp.with_file_name(stem))
}
