//! Slurm job scripts for a sweep: a job array over the shards, and a merge
//! job that runs after every shard succeeded (`afterok`).

use migflow_io::error::{Error, OptionName, Result};
use std::path::{Path, PathBuf};

/// Options of the generated job scripts.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    /// Array tasks (shards).
    pub tasks: u64,
    /// Partition, if the cluster needs one.
    pub partition: Option<String>,
    /// Time limit per task (Slurm format, e.g. `01:00:00`).
    pub time: String,
    /// CPUs per task.
    pub cpus: u32,
    /// The migflow binary the nodes run.
    pub migflow: PathBuf,
}

fn quote(p: &Path) -> String {
    let s = p.display().to_string();
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `#SBATCH` lines are not shell: sbatch splits them at white space and
/// stops at a newline, so the values written there (the time limit, the
/// partition, the log directory) must be plain words, or a value could
/// break the directive or add one of its own.
fn check_directive_values(o: &SlurmOptions, dir: &Path) -> Result<()> {
    let option = |option, message: String| Error::Option { option, message };
    let time_ok = !o.time.is_empty()
        && o.time.len() <= 32
        && o.time
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'-');
    if !time_ok {
        return Err(option(
            OptionName::Time,
            format!(
                "{:?}: expected a Slurm time limit such as 01:00:00, 90 or 2-00:00:00",
                o.time
            ),
        ));
    }
    if let Some(p) = &o.partition
        && (p.is_empty()
            || !p
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)))
    {
        return Err(option(
            OptionName::Partition,
            format!("{p:?}: expected a partition name (letters, digits, `_`, `.`, `-`)"),
        ));
    }
    let logs = dir.join("logs").display().to_string();
    if logs
        .chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c == '%')
    {
        return Err(Error::Input {
            path: dir.to_path_buf(),
            message: format!(
                "the job scripts' log directory {logs:?} holds white space, a quote or `%`, which `#SBATCH --output` cannot take: choose an output directory without them"
            ),
        });
    }
    Ok(())
}

/// Write `array.sbatch`, `merge.sbatch` and `submit.sh` under `out/slurm/`.
/// Returns the path of `submit.sh`.
pub fn write_scripts(sweep_file: &Path, out: &Path, o: &SlurmOptions) -> Result<PathBuf> {
    if o.tasks == 0 {
        return Err(Error::Option {
            option: migflow_io::OptionName::Tasks,
            message: "expected at least 1 task".into(),
        });
    }
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let sweep = abs(sweep_file);
    std::fs::create_dir_all(out.join("slurm").join("logs")).map_err(|source| Error::Write {
        path: out.join("slurm"),
        source,
    })?;
    let out = abs(out);
    let dir = out.join("slurm");
    check_directive_values(o, &dir)?;
    let partition = o
        .partition
        .as_ref()
        .map(|p| format!("#SBATCH --partition={p}\n"))
        .unwrap_or_default();
    let array = format!(
        "#!/bin/bash
# A Slurm job array: task I runs shard I/{tasks} of the sweep.
# Written by `migflow slurm`; submit everything with: bash {submit}
#SBATCH --job-name=migflow-sweep
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
#SBATCH --time={time}
{partition}#SBATCH --output={logs}/shard-%a.out
set -euo pipefail
# --resume makes a requeued or restarted task finish its shard instead of
# starting over. The shard count is written here, not read from
# SLURM_ARRAY_TASK_COUNT, so that resubmitting some tasks (sbatch --array=2)
# still runs shard 2 of {tasks}.
exec {migflow} sweep {sweep} --out {shards}/shard-\"${{SLURM_ARRAY_TASK_ID}}\" \\
  --shard \"${{SLURM_ARRAY_TASK_ID}}/{tasks}\" --resume --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet
",
        tasks = o.tasks,
        submit = quote(&dir.join("submit.sh")),
        last = o.tasks - 1,
        cpus = o.cpus,
        time = o.time,
        logs = dir.join("logs").display(),
        migflow = quote(&o.migflow),
        sweep = quote(&sweep),
        shards = quote(&out.join("shards")),
    );
    let shard_dirs: Vec<String> = (0..o.tasks)
        .map(|i| quote(&out.join("shards").join(format!("shard-{i}"))))
        .collect();
    let merge = format!(
        "#!/bin/bash
# Merges the shards once every array task has succeeded.
#SBATCH --job-name=migflow-merge
#SBATCH --cpus-per-task=1
#SBATCH --time={time}
{partition}#SBATCH --output={logs}/merge.out
set -euo pipefail
exec {migflow} merge {shards} --out {out}
",
        time = o.time,
        logs = dir.join("logs").display(),
        migflow = quote(&o.migflow),
        shards = shard_dirs.join(" "),
        out = quote(&out),
    );
    let submit = format!(
        "#!/bin/bash
# Submits the job array, then the merge job to run after it succeeds.
set -euo pipefail
cd {dir}
array_id=$(sbatch --parsable array.sbatch)
array_id=${{array_id%%;*}}
merge_id=$(sbatch --parsable --dependency=afterok:\"$array_id\" merge.sbatch)
echo \"submitted job array $array_id ({tasks} tasks) and merge job ${{merge_id%%;*}}\"
echo \"results will be in {out}\"
",
        dir = quote(&dir),
        tasks = o.tasks,
        out = out.display(),
    );
    for (name, text) in [
        ("array.sbatch", array),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ] {
        let p = dir.join(name);
        migflow_io::write_file_atomic(&p, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(dir.join("submit.sh"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_script_names_the_shard_count() {
        let dir = std::env::temp_dir().join(format!("migflow-slurm-test-{}", std::process::id()));
        let sweep = dir.join("s.toml");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&sweep, "").unwrap();
        let o = SlurmOptions {
            tasks: 4,
            partition: Some("short".into()),
            time: "00:10:00".into(),
            cpus: 2,
            migflow: PathBuf::from("/opt/migflow"),
        };
        let submit = write_scripts(&sweep, &dir, &o).unwrap();
        let array = std::fs::read_to_string(submit.with_file_name("array.sbatch")).unwrap();
        assert!(array.contains("#SBATCH --array=0-3"), "{array}");
        assert!(
            array.contains("--shard \"${SLURM_ARRAY_TASK_ID}/4\""),
            "{array}"
        );
        assert!(array.contains("#SBATCH --partition=short"));
        let merge = std::fs::read_to_string(submit.with_file_name("merge.sbatch")).unwrap();
        assert!(merge.contains("shard-3'"), "{merge}");
        let submit = std::fs::read_to_string(submit).unwrap();
        assert!(submit.contains("--dependency=afterok:"), "{submit}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn values_that_would_break_a_directive_are_refused() {
        let dir = std::env::temp_dir().join(format!("migflow-slurm-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sweep = dir.join("s.toml");
        std::fs::write(&sweep, "").unwrap();
        let ok = SlurmOptions {
            tasks: 2,
            partition: None,
            time: "01:00:00".into(),
            cpus: 1,
            migflow: PathBuf::from("/opt/migflow"),
        };
        for (o, what) in [
            (
                SlurmOptions {
                    time: "1:00\n#SBATCH --mem=1T".into(),
                    ..ok.clone()
                },
                "time",
            ),
            (
                SlurmOptions {
                    time: "one hour".into(),
                    ..ok.clone()
                },
                "time",
            ),
            (
                SlurmOptions {
                    partition: Some("short long".into()),
                    ..ok.clone()
                },
                "partition",
            ),
        ] {
            let err = write_scripts(&sweep, &dir.join("out"), &o)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(what), "{what}: {err}");
        }
        let spaced = dir.join("with space");
        let err = write_scripts(&sweep, &spaced, &ok).unwrap_err().to_string();
        assert!(err.contains("#SBATCH --output"), "{err}");
        assert!(write_scripts(&sweep, &dir.join("out"), &ok).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
