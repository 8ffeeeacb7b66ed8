//! The answer of `POST /api/run`, from the two runs as read back from
//! their directories.

use crate::error::ApiError;
use crate::run::{Arm, JobView};
use crate::schema::{event_json, num};
use migflow_analysis::effects;
use migflow_core::costs::CostLever;
use migflow_core::record::GROUPS;
use migflow_io::costs::{CostTable, TOTAL};
use migflow_io::results::{self, GROUP_NAMES, RunResults, STATES, metric_index};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The metrics of the series and the differences.
const SERIES: [&str; 2] = ["poor_share", "return_rate"];

fn index(metric: &str) -> Result<usize, ApiError> {
    metric_index(metric).ok_or_else(|| ApiError::internal(format!("no metric {metric}")))
}

/// `{"mean": [[…]], "lo": [[…]], "hi": [[…]]}` of `[group][year]`.
fn bands(
    groups: usize,
    years: usize,
    at: impl Fn(usize, usize) -> (Option<f64>, Option<(f64, f64)>),
) -> Value {
    let (mut mean, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
    for g in 0..groups {
        let (mut m, mut l, mut h) = (Vec::new(), Vec::new(), Vec::new());
        for t in 0..years {
            let (x, ci) = at(g, t);
            m.push(num(x));
            l.push(num(ci.map(|c| c.0)));
            h.push(num(ci.map(|c| c.1)));
        }
        mean.push(m);
        lo.push(l);
        hi.push(h);
    }
    json!({"mean": mean, "lo": lo, "hi": hi})
}

fn series(r: &RunResults) -> Result<Value, ApiError> {
    let mut out = serde_json::Map::new();
    for metric in SERIES {
        let m = index(metric)?;
        out.insert(
            metric.into(),
            bands(GROUPS, r.years.len(), |g, t| {
                let e = r.estimate(t, g, m);
                (e.mean, e.ci)
            }),
        );
    }
    Ok(Value::Object(out))
}

fn difference(base: &RunResults, modified: &RunResults) -> Result<Value, ApiError> {
    let diffs =
        results::differences(base, modified).map_err(|e| ApiError::internal(e.to_string()))?;
    let by: BTreeMap<(i32, usize, &str), &results::Difference> = diffs
        .iter()
        .map(|d| ((d.year, d.group, d.metric), d))
        .collect();
    let mut out = serde_json::Map::new();
    for metric in SERIES {
        out.insert(
            metric.into(),
            bands(GROUPS, base.years.len(), |g, t| {
                by.get(&(base.years[t], g, metric))
                    .map_or((None, None), |d| (d.diff_mean, d.ci))
            }),
        );
    }
    Ok(Value::Object(out))
}

/// `[livelihood][year]`: the share of households, mean over replicates.
fn composition(r: &RunResults) -> Result<Value, ApiError> {
    let rows: Vec<Vec<Value>> = (0..STATES)
        .map(|g| {
            (0..r.years.len())
                .map(|t| num(migflow_report::build::group_share(r, t, g)))
                .collect()
        })
        .collect();
    Ok(json!(rows))
}

fn flows(r: &RunResults, year: i32) -> Value {
    match r.year_index(year) {
        Some(t) => json!(
            r.mean_flows(t)
                .iter()
                .map(|row| row.iter().map(|v| num(Some(*v))).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        ),
        None => Value::Null,
    }
}

fn cohorts(
    base: &RunResults,
    modified: &RunResults,
    cohort_year: Option<i32>,
) -> Result<Value, ApiError> {
    let Some(cy) = cohort_year else {
        return Ok(Value::Null);
    };
    let (Some(bc), Some(mc)) = (&base.cohorts, &modified.cohorts) else {
        return Ok(Value::Null);
    };
    let Some(years) = bc.get(cy).map(|c| c.years.clone()) else {
        return Ok(Value::Null);
    };
    let m = index("poor_share")?;
    let arm = |c: &results::Cohorts| {
        json!({"poor_share": bands(GROUPS, years.len(), |g, t| {
            c.summary_of(cy, g, years[t], m).map_or((None, None), |s| {
                (s.mean, s.ci95_low.zip(s.ci95_high))
            })
        })})
    };
    Ok(json!({
        "cohort_year": cy,
        "years": years,
        "groups": GROUP_NAMES,
        "base": arm(bc),
        "modified": arm(mc),
    }))
}

/// `[replicate][year]` costs, nominal yuan.
type Costs = Vec<Vec<f64>>;

/// `[replicate][year]` costs of a lever (or the total), nominal yuan.
fn per_replicate(
    table: &CostTable,
    years: &[i32],
    replicates: usize,
    lever: &str,
) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; years.len()]; replicates];
    for row in table
        .rows
        .iter()
        .filter(|r| r.lever == lever && r.item == TOTAL && r.site.is_none())
    {
        if let (Some(rep), Some(t)) = (
            out.get_mut(row.replicate as usize),
            years.iter().position(|y| *y == row.year),
        ) {
            rep[t] = row.cost;
        }
    }
    out
}

fn mean_by_year(costs: &[Vec<f64>]) -> Vec<Value> {
    let n = costs.len().max(1) as f64;
    let years = costs.first().map_or(0, Vec::len);
    (0..years)
        .map(|t| num(Some(costs.iter().map(|rep| rep[t]).sum::<f64>() / n)))
        .collect()
}

fn costs_json(
    base: &Arm,
    modified: &Arm,
    window: effects::Window,
) -> (Value, Option<(Costs, Costs)>) {
    let (Some(bt), Some(mt)) = (&base.costs, &modified.costs) else {
        return (Value::Null, None);
    };
    let (b, m) = (&base.results, &modified.results);
    let bt_total = per_replicate(bt, &b.years, b.replicates, TOTAL);
    let mt_total = per_replicate(mt, &m.years, m.replicates, TOTAL);
    let by_lever: Vec<Value> = CostLever::ALL
        .iter()
        .filter_map(|lever| {
            let name = lever.name();
            let bl = per_replicate(bt, &b.years, b.replicates, name);
            let ml = per_replicate(mt, &m.years, m.replicates, name);
            let any = |c: &[Vec<f64>]| c.iter().flatten().any(|x| *x != 0.0);
            (any(&bl) || any(&ml)).then(
                || json!({"lever": name, "base": mean_by_year(&bl), "modified": mean_by_year(&ml)}),
            )
        })
        .collect();
    let ce: Vec<Value> =
        effects::cost_effectiveness(b, &bt_total, m, &mt_total, "modified", window)
            .iter()
            .map(|c| {
                json!({
                    "averted": c.averted.name(),
                    "ratio": num(c.ratio),
                    "lo": num(c.ratio_ci.map(|x| x.0)),
                    "hi": num(c.ratio_ci.map(|x| x.1)),
                    "extra_cost": num(c.extra_cost.diff_mean),
                    "averted_mean": num(c.averted_stats.diff_mean),
                    "note": c.note,
                })
            })
            .collect();
    (
        json!({
            "years": b.years,
            "base": mean_by_year(&bt_total),
            "modified": mean_by_year(&mt_total),
            "by_lever": by_lever,
            "cost_effectiveness": ce,
        }),
        Some((bt_total, mt_total)),
    )
}

/// Items of either arm, marked `base`, `modified` or `both`.
fn by_arm<T: PartialEq>(
    base: Vec<T>,
    modified: Vec<T>,
    f: impl Fn(&T, &str) -> Value,
) -> Vec<Value> {
    let mut out = Vec::new();
    for b in &base {
        out.push(f(b, if modified.contains(b) { "both" } else { "base" }));
    }
    for m in modified.iter().filter(|m| !base.contains(m)) {
        out.push(f(m, "modified"));
    }
    out
}

/// The response to a run.
pub fn build(
    job: JobView<'_>,
    base: &Arm,
    modified: &Arm,
    run_id: &str,
) -> Result<Value, ApiError> {
    let (b, m) = (&base.results, &modified.results);
    effects::check_paired(b, m).map_err(|e| ApiError::internal(e.to_string()))?;
    let (costs, cost_series) = costs_json(base, modified, job.window);
    let h = match &cost_series {
        Some((bc, mc)) => migflow_report::headline::headline(b, m, Some(bc), Some(mc), job.window),
        None => migflow_report::headline::headline(b, m, None, None, job.window),
    };
    let lever_key = |w: &results::LeverWindow| (w.lever, w.start, w.end);
    let lever_windows = by_arm(
        results::lever_windows(&b.scenario)
            .iter()
            .map(lever_key)
            .collect(),
        results::lever_windows(&m.scenario)
            .iter()
            .map(lever_key)
            .collect(),
        |(lever, start, end), arm| json!({"lever": lever, "title": migflow_core::params::meta::lever_title(lever), "start": start, "end": end, "arm": arm}),
    );
    let events = by_arm(
        b.scenario.events.clone(),
        m.scenario.events.clone(),
        |e, arm| {
            let mut v = event_json(e);
            if let Some(o) = v.as_object_mut() {
                o.insert("arm".into(), json!(arm));
            }
            v
        },
    );
    let mut files = vec!["manifest.json".to_string()];
    files.extend(m.manifest.files.iter().map(|f| f.name.clone()));
    files.push("scenario.toml".into());
    Ok(json!({
        "run_id": run_id,
        "scenario_toml": job.scenario_toml,
        "seed": job.seed,
        "replicates": job.replicates,
        "households": job.households,
        "years": b.years,
        "livelihoods": &GROUP_NAMES[..STATES],
        "groups": GROUP_NAMES,
        "series": {"base": series(b)?, "modified": series(m)?},
        "difference": difference(b, m)?,
        "composition": {"base": composition(b)?, "modified": composition(m)?},
        "flows": {
            "year": job.flows_year,
            "states": &GROUP_NAMES[..STATES],
            "base": flows(b, job.flows_year),
            "modified": flows(m, job.flows_year),
        },
        "cohorts": cohorts(b, m, job.cohort_year)?,
        "costs": costs,
        "window": {"start": job.window.start, "end": job.window.end},
        "headline": h.text,
        "effect": {"metric": h.metric, "mean": num(h.mean), "lo": num(h.lo), "hi": num(h.hi)},
        "lever_windows": lever_windows,
        "events": events,
        "files": files,
    }))
}
