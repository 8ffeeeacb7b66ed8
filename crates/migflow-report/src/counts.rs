//! The counts a report states, checked against the files they describe.
//!
//! A manifest is not covered by a hash of its own, so a count in it (runs,
//! points, replicates, completed and failed runs, households, the seed) is
//! stated as a fact only when the files read agree with it; a count they
//! contradict is refused as damage, naming the manifest's key and both
//! values.

use migflow_core::record::ALL_GROUP;
use migflow_experiments::sweep::SweepFile;
use migflow_io::error::{Error, Result};
use migflow_io::manifest::{MANIFEST, RunStatus};
use migflow_io::results::{RunResults, SweepResults, metric_index};
use std::path::Path;

/// The error of a manifest whose `key` records `recorded` while `file`
/// holds `found`.
fn mismatch(dir: &Path, key: &str, recorded: impl ToString, found: String) -> Error {
    Error::Damaged {
        path: dir.join(MANIFEST),
        message: format!(
            "damaged: its `{key}` is {}, but {found}; the results cannot be reported \
             (run the command that wrote them again)",
            recorded.to_string()
        ),
    }
}

/// Check the counts of a sweep's manifest that a report or chart states
/// against `runs.csv`, `points.csv` and the resolved sweep file it records.
pub fn check_sweep(s: &SweepResults) -> Result<()> {
    let m = &s.manifest;
    let dir = s.dir.as_path();
    let points = s.points.len() as u64;
    if m.points != points {
        return Err(mismatch(
            dir,
            "points",
            m.points,
            format!("points.csv has {points} design points"),
        ));
    }
    if u64::from(m.replicates).checked_mul(m.points) != Some(m.runs) {
        return Err(mismatch(
            dir,
            "runs",
            m.runs,
            format!(
                "its {} points × {} replicates make {} runs",
                m.points,
                m.replicates,
                u128::from(m.points) * u128::from(m.replicates)
            ),
        ));
    }
    let rows = s.runs.len() as u64;
    if m.shard.is_none() && rows != m.runs {
        return Err(mismatch(
            dir,
            "runs",
            m.runs,
            format!("runs.csv has {rows} runs"),
        ));
    }
    let ok = s.runs.iter().filter(|r| r.ok).count() as u64;
    if m.completed != ok {
        return Err(mismatch(
            dir,
            "completed",
            m.completed,
            format!("runs.csv has {ok} runs with status `ok`"),
        ));
    }
    if m.failed != rows - ok {
        return Err(mismatch(
            dir,
            "failed",
            m.failed,
            format!("runs.csv has {} failed runs", rows - ok),
        ));
    }
    // Every run of `run_status`, as (point, replicate, ok) by the
    // manifest's replicates, is the row of runs.csv in the same place.
    let reps = u64::from(m.replicates.max(1));
    let listed = m.run_status.len() as u64;
    if listed != rows {
        return Err(mismatch(
            dir,
            "run_status",
            format!("a list of {listed} runs"),
            format!("runs.csv has {rows} runs"),
        ));
    }
    for (&(run, status), row) in m.run_status.iter().zip(&s.runs) {
        let (point, replicate) = (run / reps, run % reps);
        let ok = status == RunStatus::Ok;
        if (point, replicate, ok) != (row.point, u64::from(row.replicate), row.ok) {
            let status_name = |ok: bool| if ok { "ok" } else { "failed" };
            return Err(mismatch(
                dir,
                "run_status",
                format!(
                    "run {run} = point {point}, replicate {replicate} (of {} replicates), {}",
                    m.replicates,
                    status_name(ok)
                ),
                format!(
                    "runs.csv has point {}, replicate {}, {} in its place",
                    row.point,
                    row.replicate,
                    status_name(row.ok)
                ),
            ));
        }
    }
    // The resolved sweep file the manifest records states the seed,
    // replicates, design and factors too.
    let sweep: SweepFile = migflow_core::params::parse_toml_as(&m.sweep_toml, &dir.join(MANIFEST))
        .map_err(|e| Error::Damaged {
            path: dir.join(MANIFEST),
            message: format!("damaged: its `sweep_toml` is not a sweep file: {e}"),
        })?;
    if m.seed != sweep.seed {
        return Err(mismatch(
            dir,
            "seed",
            m.seed,
            format!("its `sweep_toml` has seed = {}", sweep.seed),
        ));
    }
    if m.replicates != sweep.replicates {
        return Err(mismatch(
            dir,
            "replicates",
            m.replicates,
            format!("its `sweep_toml` has replicates = {}", sweep.replicates),
        ));
    }
    if m.design != sweep.design.name() {
        return Err(mismatch(
            dir,
            "design",
            format!("{:?}", m.design),
            format!("its `sweep_toml` has a {} design", sweep.design.name()),
        ));
    }
    // A sweep of policies has the policy's column first.
    let policy = (!sweep.policies.is_empty()).then_some(migflow_experiments::sweep::POLICY_COLUMN);
    let factors: Vec<&str> = policy
        .into_iter()
        .chain(sweep.factors.iter().map(|f| f.path.as_str()))
        .collect();
    if m.factors != factors {
        return Err(mismatch(
            dir,
            "factors",
            format!("{:?}", m.factors),
            format!("its `sweep_toml` has the factors {factors:?}"),
        ));
    }
    let names: Vec<&str> = sweep.policies.iter().map(|p| p.name.as_str()).collect();
    if m.policies != names {
        return Err(mismatch(
            dir,
            "policies",
            format!("{:?}", m.policies),
            format!("its `sweep_toml` has the policies {names:?}"),
        ));
    }
    Ok(())
}

/// Check the counts of a run's manifest that a report states (households,
/// seed) against `trajectories.csv` (the first year's households alive and
/// dissolved) and the resolved scenario it records.
pub fn check_run(r: &RunResults) -> Result<()> {
    let m = &r.manifest;
    let dir = r.dir.as_path();
    // The first year's households are those alive at its end: the
    // manifest's households less those dissolved in that year (births
    // add members, never households; MODEL.md §3.1).
    if let Some(h) = metric_index("households") {
        let d = metric_index("dissolved");
        for (rep, years) in r.trajectories.iter().enumerate() {
            let Some(first) = years.first() else { continue };
            let Some(n) = first[ALL_GROUP][h] else {
                continue;
            };
            let dissolved = d.and_then(|d| first[ALL_GROUP][d]).unwrap_or(0.0);
            if n + dissolved != m.households as f64 {
                let mut found = format!(
                    "trajectories.csv has {} households in replicate {rep}, year {}",
                    n + dissolved,
                    r.years[0]
                );
                if dissolved > 0.0 {
                    found.push_str(&format!(
                        " ({n} alive at its end and {dissolved} dissolved)"
                    ));
                }
                return Err(mismatch(dir, "households", m.households, found));
            }
        }
    }
    if m.seed != r.scenario.run.seed {
        return Err(mismatch(
            dir,
            "seed",
            m.seed,
            format!("its `scenario_toml` has run.seed = {}", r.scenario.run.seed),
        ));
    }
    Ok(())
}
