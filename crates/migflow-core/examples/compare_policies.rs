//! Compare a policy with the baseline, with common random numbers.
//!
//! Runs the T County default scenario (the baseline) and the same scenario
//! with one lever changed, 4 replicates each with the same seed. Replicate
//! `r` of both runs draws from the same random streams (the same synthetic
//! households, the same taste shocks, sickness, lotteries, harvests), so the
//! per-replicate differences are paired and far less noisy than the
//! difference of two independent runs. Prints, per livelihood and year, the
//! poor share of the baseline, of the policy, their difference (mean over
//! replicates) and a paired 95 % confidence interval of the difference
//! (Student t on the per-replicate differences).
//!
//! ```text
//! cargo run --release --example compare_policies
//! cargo run --release --example compare_policies -- workshops 7
//! ```
//!
//! Arguments (both optional): the policy, `transition` (default: every
//! support lever of the transition period extended from 2025 to 2030) or
//! `workshops` (workshop jobs doubled and firm jobs at 8 % of laborers,
//! 2021–2025); and the seed (default 42).
//!
//! Note that a livelihood's poor share compares different households when
//! the policy moves households between livelihoods; the `all` row compares
//! the same households.

use migflow_core::params::{Params, Scenario};
use migflow_core::record::{ALL_GROUP, GROUPS, YearRecord, group_name};
use migflow_core::run::{PopulationSource, run_records};
use statrs::distribution::{ContinuousCDF, StudentsT};

const REPLICATES: u32 = 4;
const YEARS: [i32; 5] = [2021, 2022, 2025, 2026, 2030];

/// The scenario with the policy applied, and its description.
fn apply_policy(name: &str, s: &mut Scenario) -> Result<&'static str, String> {
    let l = &mut s.levers;
    match name {
        "transition" => {
            l.labor_cooperation.end_year = 2030;
            l.workshops.end_year = 2030;
            l.agricultural_support.end_year = 2030;
            l.training.end_year = 2030;
            Ok("support levers (placements, workshops, farm support, training) extended to 2030")
        }
        "workshops" => {
            l.workshops.workshop_jobs_share *= 2.0;
            l.industrial_cooperation.firm_jobs_share = 0.08;
            Ok("workshop jobs doubled (0.16) and firm jobs 0.08 of laborers, 2021-2025")
        }
        other => Err(format!(
            "unknown policy {other:?}: expected `transition` or `workshops`"
        )),
    }
}

/// Mean, and the half-width of a 95 % t interval, of paired differences.
fn paired(diffs: &[f64]) -> (f64, Option<f64>) {
    let n = diffs.len() as f64;
    let mean = diffs.iter().sum::<f64>() / n;
    if diffs.len() < 2 {
        return (mean, None);
    }
    let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .map(|d| d.inverse_cdf(0.975))
        .ok();
    (mean, t.map(|t| t * (var / n).sqrt()))
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn run(scenario: Scenario, seed: u64) -> Result<Vec<Vec<YearRecord>>, String> {
    let params = Params::new(scenario, None).map_err(|e| e.to_string())?;
    Ok(run_records(
        &params,
        &PopulationSource::Synthetic,
        seed,
        REPLICATES,
    ))
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let policy_name = args.next().unwrap_or_else(|| "transition".to_string());
    let seed: u64 = match args.next() {
        Some(s) => s
            .parse()
            .map_err(|_| format!("seed {s:?} is not a number"))?,
        None => 42,
    };

    let baseline = Params::default().to_scenario();
    let mut policy = baseline.clone();
    let description = apply_policy(&policy_name, &mut policy)?;
    let last = *YEARS.iter().max().expect("years");
    if baseline.run.end_year() < last {
        return Err(format!("the baseline ends before {last}"));
    }

    let start = std::time::Instant::now();
    let base_runs = run(baseline.clone(), seed)?;
    let policy_runs = run(policy, seed)?;
    let elapsed = start.elapsed();

    println!("Policy: {description}");
    println!(
        "Baseline: T County default scenario, {} households, seed {seed}, {REPLICATES} paired replicates ({:.1} s)",
        baseline.population.households,
        elapsed.as_secs_f64()
    );
    println!("Poor share (mean over replicates); difference = policy - baseline, paired 95% CI\n");
    println!(
        "{:<9} {:>5} {:>9} {:>9} {:>10}  {:<22} {:>8}",
        "group", "year", "baseline", "policy", "diff", "95% CI", "n_pairs"
    );
    for g in (0..GROUPS).map(|g| (g + ALL_GROUP) % GROUPS) {
        for year in YEARS {
            let t = (year - baseline.run.start_year) as usize;
            let mut base = Vec::new();
            let mut pol = Vec::new();
            let mut diffs = Vec::new();
            for (b, p) in base_runs.iter().zip(&policy_runs) {
                let (b, p) = (b[t].groups[g].poor_share, p[t].groups[g].poor_share);
                if let Some(b) = b {
                    base.push(b);
                }
                if let Some(p) = p {
                    pol.push(p);
                }
                if let (Some(b), Some(p)) = (b, p) {
                    diffs.push(p - b);
                }
            }
            let cell = |v: &[f64]| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    format!("{:.4}", mean(v))
                }
            };
            let (diff, ci) = if diffs.is_empty() {
                ("-".to_string(), "-".to_string())
            } else {
                let (m, half) = paired(&diffs);
                let ci = half.map_or("-".to_string(), |h| {
                    format!("[{:+.4}, {:+.4}]", m - h, m + h)
                });
                (format!("{m:+.4}"), ci)
            };
            println!(
                "{:<9} {:>5} {:>9} {:>9} {:>10}  {:<22} {:>8}",
                group_name(g),
                year,
                cell(&base),
                cell(&pol),
                diff,
                ci,
                diffs.len()
            );
        }
    }
    Ok(())
}
