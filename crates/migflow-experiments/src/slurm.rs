//! Slurm job scripts for a sweep: a job array over the shards, and a merge
//! job that runs after every shard succeeded (`afterok`).

use migflow_io::error::{Error, Result};
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
}
