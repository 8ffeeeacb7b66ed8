//! Validation: the constraints the model needs, checked once at the door so
//! that the engine can trust its scenario.

use super::schema::*;
use crate::error::Problem;
use std::fmt::Write as _;

/// Largest population migflow accepts. At about 100 bytes a household this
/// is some 10 GB of memory; larger runs should be split into sites.
pub const MAX_HOUSEHOLDS: u64 = 100_000_000;
/// Longest run in years (ages are stored in a byte).
pub const MAX_YEARS: u32 = 200;
/// Most replicates of one run.
pub const MAX_REPLICATES: u32 = 100_000;
/// Largest magnitude of any real-valued key (yuan a month, mu, km, weights,
/// factors): far above any real value, and small enough that every derived
/// quantity (incomes grown over 200 years at the largest growth rate,
/// utilities, costs) stays finite.
pub const MAX_MAGNITUDE: f64 = 1e9;
/// Largest yearly growth rate of wages and lines (100 % a year).
pub const MAX_GROWTH: f64 = 1.0;
/// Largest seed: a manifest or scenario stores the seed as a TOML integer,
/// which is signed 64-bit, so a larger seed could not be rerun.
pub const MAX_SEED: u64 = i64::MAX as u64;
/// Most sites, and most villages per site.
pub const MAX_SITES: u32 = 1_000_000;

/// A number as a reader would write it: the shorter of the plain and the
/// scientific form (`1e300`, `1e-320` and `1e9`, but `0.25`, `1` and
/// `1234567`), so a huge or tiny value is not printed as hundreds of digits.
pub fn readable(x: f64) -> String {
    let plain = x.to_string();
    let scientific = format!("{x:e}");
    if scientific.len() < plain.len() {
        scientific
    } else {
        plain
    }
}

/// A bound a key's value must keep, as the validation checks it: the
/// ranges the explorer's controls show come from here, so they cannot
/// drift from what a run accepts.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// Dotted path of the key (`events[0].harvest_factor` for an event's).
    pub key: String,
    /// Smallest value allowed, if any.
    pub min: Option<f64>,
    /// Whether `min` itself is refused (a number > 0).
    pub min_exclusive: bool,
    /// Largest value allowed, if any.
    pub max: Option<f64>,
    /// The validation's words for what it expects.
    pub expected: String,
}

struct Checker {
    problems: Vec<Problem>,
    /// Filled only by [`bounds`]: a sweep validates every point, and
    /// must not pay for keys nobody reads.
    bounds: Option<Vec<Bound>>,
}

impl Checker {
    fn bound(&mut self, key: &str, min: Option<f64>, max: Option<f64>, expected: &str) {
        self.bound_with(key, min, false, max, expected);
    }

    fn bound_with(
        &mut self,
        key: &str,
        min: Option<f64>,
        min_exclusive: bool,
        max: Option<f64>,
        expected: &str,
    ) {
        if let Some(bounds) = &mut self.bounds {
            bounds.push(Bound {
                key: key.to_string(),
                min,
                min_exclusive,
                max,
                expected: expected.to_string(),
            });
        }
    }

    fn push(&mut self, key: &str, value: impl std::fmt::Display, expected: &str) {
        self.problems.push(Problem {
            key: key.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        });
    }

    fn finite(&mut self, key: &str, v: f64) -> bool {
        if !v.is_finite() {
            self.push(key, readable(v), "a finite number");
            return false;
        }
        true
    }

    fn probability(&mut self, key: &str, v: f64) {
        self.bound(
            key,
            Some(0.0),
            Some(1.0),
            "a probability or share in [0, 1]",
        );
        if self.finite(key, v) && !(0.0..=1.0).contains(&v) {
            self.push(key, readable(v), "a probability or share in [0, 1]");
        }
    }

    fn non_negative(&mut self, key: &str, v: f64) {
        self.bound(key, Some(0.0), None, "a number ≥ 0");
        if self.finite(key, v) && v < 0.0 {
            self.push(key, readable(v), "a number ≥ 0");
        }
    }

    fn positive(&mut self, key: &str, v: f64) {
        self.bound_with(key, Some(0.0), true, None, "a number > 0");
        if self.finite(key, v) && v <= 0.0 {
            self.push(key, readable(v), "a number > 0");
        }
    }

    fn count_in(&mut self, key: &str, v: u64, min: u64, max: u64) {
        let expected = format!("an integer from {min} to {max}");
        self.bound(key, Some(min as f64), Some(max as f64), &expected);
        if v < min || v > max {
            self.push(key, v, &expected);
        }
    }

    fn age_range(&mut self, prefix: &str, min_key: &str, min: u32, max_key: &str, max: u32) {
        if self.bounds.is_some() {
            let (min_path, max_path) =
                (format!("{prefix}.{min_key}"), format!("{prefix}.{max_key}"));
            self.bound(&max_path, Some(0.0), Some(120.0), "an age from 0 to 120");
            if min_key != max_key {
                self.bound(
                    &max_path,
                    Some(min as f64),
                    None,
                    &format!("at least `{min_path}` ({min})"),
                );
                self.bound(
                    &min_path,
                    Some(0.0),
                    Some(max as f64),
                    &format!("at most `{max_path}` ({max})"),
                );
            }
        }
        if max > 120 {
            self.push(&format!("{prefix}.{max_key}"), max, "an age from 0 to 120");
        }
        if min > max {
            self.push(
                &format!("{prefix}.{min_key}"),
                min,
                &format!("at most `{prefix}.{max_key}` ({max})"),
            );
        }
    }

    fn window(&mut self, lever: &str, w: Window) {
        if self.bounds.is_some() {
            let (start, end) = (
                format!("levers.{lever}.start_year"),
                format!("levers.{lever}.end_year"),
            );
            let expected = format!("a year not after `{end}` ({})", w.end_year);
            self.bound(&start, None, Some(w.end_year.into()), &expected);
            let expected = format!("a year not before `{start}` ({})", w.start_year);
            self.bound(&end, Some(w.start_year.into()), None, &expected);
        }
        if w.start_year > w.end_year {
            self.push(
                &format!("levers.{lever}.start_year"),
                w.start_year,
                &format!(
                    "a year not after `levers.{lever}.end_year` ({})",
                    w.end_year
                ),
            );
        }
    }
}

/// What a valid scenario holds that cannot act, for the user to hear of
/// rather than have ignored silently: events outside the run's years. They
/// are not refused, because the default scenario's own 2022 shock would
/// then make every run that starts later, or ends earlier, invalid.
pub fn warnings(s: &Scenario) -> Vec<String> {
    let (start, end) = (s.run.start_year, s.run.end_year());
    s.events
        .iter()
        .enumerate()
        .filter(|(_, e)| !(start..=end).contains(&e.year()))
        .map(|(i, e)| {
            format!(
                "`events[{i}].year` = {}: outside the run's years ({start}–{end}), so the event does not act",
                e.year()
            )
        })
        .collect()
}

/// Check every constraint of the model; every problem found is returned.
pub fn validate(s: &Scenario) -> Result<(), Vec<Problem>> {
    let mut c = Checker {
        problems: Vec::new(),
        bounds: None,
    };
    check(s, &mut c);
    if c.problems.is_empty() {
        Ok(())
    } else {
        Err(c.problems)
    }
}

/// Every bound [`validate`] holds the keys of `s` to, key by key in the
/// order it checks them (a key may have several: a share is within
/// [0, 1] and, as every real, within [`MAX_MAGNITUDE`]). Bounds that
/// relate two keys (a lever's start and end years) are given with the
/// other key's current value.
pub fn bounds(s: &Scenario) -> Vec<Bound> {
    let mut c = Checker {
        problems: Vec::new(),
        bounds: Some(Vec::new()),
    };
    check(s, &mut c);
    c.bounds.unwrap_or_default()
}

fn check(s: &Scenario, c: &mut Checker) {
    let run = &s.run;
    c.bound(
        "run.start_year",
        Some(1000.0),
        Some(9999.0),
        "a calendar year from 1000 to 9999",
    );
    if !(1000..=9999).contains(&run.start_year) {
        c.push(
            "run.start_year",
            run.start_year,
            "a calendar year from 1000 to 9999",
        );
    }
    c.count_in("run.years", run.years.into(), 1, MAX_YEARS.into());
    c.count_in("run.seed", run.seed, 0, MAX_SEED);
    c.count_in(
        "run.replicates",
        run.replicates.into(),
        1,
        MAX_REPLICATES.into(),
    );

    let p = &s.population;
    if p.file.is_none() {
        c.count_in("population.households", p.households, 1, MAX_HOUSEHOLDS);
    }
    c.count_in("population.sites", p.sites.into(), 1, MAX_SITES.into());
    c.count_in(
        "population.villages_per_site",
        p.villages_per_site.into(),
        1,
        MAX_SITES.into(),
    );
    if u64::from(p.sites) * u64::from(p.villages_per_site) > u64::from(u32::MAX) {
        c.push(
            "population.villages_per_site",
            p.villages_per_site,
            "at most 4,294,967,295 villages in all (`population.sites` × `population.villages_per_site`)",
        );
    }
    let shares = p.initial_shares.as_array();
    for (name, v) in crate::model::household::Livelihood::ALL.iter().zip(shares) {
        c.probability(&format!("population.initial_shares.{}", name.name()), v);
    }
    for name in crate::model::household::Livelihood::ALL {
        c.bound(
            &format!("population.initial_shares.{}", name.name()),
            None,
            None,
            "the five initial shares sum to 1",
        );
    }
    let sum: f64 = shares.iter().sum();
    if sum.is_finite() && (sum - 1.0).abs() > 1e-6 {
        c.push(
            "population.initial_shares",
            format!("shares summing to {sum}"),
            "shares that sum to 1",
        );
    }
    c.count_in(
        "population.size_extra_trials",
        p.size_extra_trials.into(),
        0,
        7,
    );
    c.probability("population.size_extra_p", p.size_extra_p);
    c.age_range(
        "population",
        "head_age_min",
        p.head_age_min,
        "head_age_max",
        p.head_age_max,
    );
    c.bound(
        "population.spouse_age_gap",
        Some(0.0),
        Some(f64::from(p.head_age_min.min(120u32.saturating_sub(p.head_age_max)))),
        &format!(
            "at most `population.head_age_min` ({}) and at most 120 − `population.head_age_max` ({})",
            p.head_age_min, p.head_age_max
        ),
    );
    c.bound(
        "population.head_age_min",
        Some(f64::from(p.spouse_age_gap)),
        None,
        &format!(
            "at least `population.spouse_age_gap` ({})",
            p.spouse_age_gap
        ),
    );
    c.bound(
        "population.head_age_max",
        None,
        Some(f64::from(120u32.saturating_sub(p.spouse_age_gap))),
        &format!(
            "at most 120 − `population.spouse_age_gap` ({})",
            p.spouse_age_gap
        ),
    );
    if p.spouse_age_gap > p.head_age_min {
        c.push(
            "population.spouse_age_gap",
            p.spouse_age_gap,
            &format!("at most `population.head_age_min` ({})", p.head_age_min),
        );
    }
    if p.head_age_max + p.spouse_age_gap > 120 {
        c.push(
            "population.spouse_age_gap",
            p.spouse_age_gap,
            "a gap that keeps ages at most 120 (`population.head_age_max` + the gap)",
        );
    }
    c.probability("population.p_child", p.p_child);
    c.age_range(
        "population",
        "child_age_max",
        0,
        "child_age_max",
        p.child_age_max,
    );
    c.probability("population.p_elder", p.p_elder);
    c.age_range(
        "population",
        "elder_age_min",
        p.elder_age_min,
        "elder_age_max",
        p.elder_age_max,
    );
    c.age_range(
        "population",
        "adult_age_min",
        p.adult_age_min,
        "adult_age_max",
        p.adult_age_max,
    );
    c.positive("population.skill_alpha", p.skill_alpha);
    c.positive("population.skill_beta", p.skill_beta);
    c.positive("population.attachment_alpha", p.attachment_alpha);
    c.positive("population.attachment_beta", p.attachment_beta);
    c.probability("population.p_landless", p.p_landless);
    c.positive("population.land_shape", p.land_shape);
    c.positive("population.land_scale", p.land_scale);
    c.non_negative("population.distance_min_km", p.distance_min_km);
    c.non_negative("population.distance_max_km", p.distance_max_km);
    c.bound(
        "population.distance_min_km",
        Some(0.0),
        Some(p.distance_max_km),
        &format!(
            "at most `population.distance_max_km` ({})",
            readable(p.distance_max_km)
        ),
    );
    c.bound(
        "population.distance_max_km",
        Some(p.distance_min_km),
        None,
        &format!(
            "at least `population.distance_min_km` ({})",
            readable(p.distance_min_km)
        ),
    );
    if p.distance_min_km > p.distance_max_km {
        c.push(
            "population.distance_min_km",
            readable(p.distance_min_km),
            &format!(
                "at most `population.distance_max_km` ({})",
                readable(p.distance_max_km)
            ),
        );
    }
    if let Some(file) = &p.file
        && file.trim().is_empty()
    {
        c.push("population.file", "\"\"", "a path to a CSV file");
    }

    let e = &s.economy;
    for (key, v) in [
        ("w_out_month", e.w_out_month),
        ("c_city_month", e.c_city_month),
        ("gamma", e.gamma),
        ("w_informal_month", e.w_informal_month),
        ("m_seasonal", e.m_seasonal),
        ("p_find_age", e.p_find_age),
        ("medical_sd", e.medical_sd),
        ("farm_net_per_mu", e.farm_net_per_mu),
        ("farm_other", e.farm_other),
        ("commute_per_km", e.commute_per_km),
        ("pension_month", e.pension_month),
        ("poverty_line", e.poverty_line),
        ("monitoring_line", e.monitoring_line),
        ("harvest_sd", e.harvest_sd),
    ] {
        c.non_negative(&format!("economy.{key}"), v);
    }
    c.positive("economy.medical_mean", e.medical_mean);
    for (key, v) in [
        ("rho_mixed", e.rho_mixed),
        ("p_find_base", e.p_find_base),
        ("p_find_min", e.p_find_min),
        ("p_loss_out", e.p_loss_out),
        ("p_arrears", e.p_arrears),
        ("f_arrears", e.f_arrears),
        ("p_loss_local", e.p_loss_local),
        ("p_sick", e.p_sick),
        ("informal_jobs_share", e.informal_jobs_share),
        ("farm_other_weather_share", e.farm_other_weather_share),
    ] {
        c.probability(&format!("economy.{key}"), v);
    }
    for (key, v) in [
        ("wage_growth", e.wage_growth),
        ("line_growth", e.line_growth),
    ] {
        c.bound_with(
            &format!("economy.{key}"),
            Some(-1.0),
            true,
            Some(MAX_GROWTH),
            "a growth rate above −1",
        );
        if c.finite(&format!("economy.{key}"), v) && v <= -1.0 {
            c.push(
                &format!("economy.{key}"),
                readable(v),
                "a growth rate above −1",
            );
        }
    }
    c.bound(
        "economy.monitoring_line",
        Some(e.poverty_line),
        None,
        &format!(
            "at least `economy.poverty_line` ({})",
            readable(e.poverty_line)
        ),
    );
    c.bound(
        "economy.poverty_line",
        None,
        Some(e.monitoring_line),
        &format!(
            "at most `economy.monitoring_line` ({})",
            readable(e.monitoring_line)
        ),
    );
    if e.monitoring_line.is_finite()
        && e.poverty_line.is_finite()
        && e.monitoring_line < e.poverty_line
    {
        c.push(
            "economy.monitoring_line",
            readable(e.monitoring_line),
            &format!(
                "at least `economy.poverty_line` ({}): the monitoring line marks the households near the poverty line, above it",
                readable(e.poverty_line)
            ),
        );
    }
    c.bound(
        "economy.work_age",
        Some(1.0),
        Some(59.0),
        "an age from 1 to 59",
    );
    if !(1..=59).contains(&e.work_age) {
        c.push("economy.work_age", e.work_age, "an age from 1 to 59");
    }

    let d = &s.decision;
    for (key, v) in [
        ("beta_income", d.beta_income),
        ("kappa", d.kappa),
        ("alpha_outbound", d.alpha_outbound),
        ("alpha_local", d.alpha_local),
        ("alpha_farm", d.alpha_farm),
        ("alpha_mixed", d.alpha_mixed),
        ("alpha_none", d.alpha_none),
        ("beta_net", d.beta_net),
        ("beta_care", d.beta_care),
        ("beta_age", d.beta_age),
        ("beta_travel", d.beta_travel),
        ("beta_attach", d.beta_attach),
        ("beta_care_local", d.beta_care_local),
        ("beta_lost", d.beta_lost),
    ] {
        c.finite(&format!("decision.{key}"), v);
    }
    c.probability("decision.p_review", d.p_review);

    let dm = &s.demography;
    c.non_negative("demography.mortality_a", dm.mortality_a);
    c.non_negative("demography.mortality_b", dm.mortality_b);
    c.probability("demography.p_birth", dm.p_birth);

    let l = &s.learning;
    c.non_negative("learning.delta_exp", l.delta_exp);
    c.non_negative("learning.delta_train", l.delta_train);
    c.finite("learning.beta_train_gain", l.beta_train_gain);
    c.finite("learning.beta_stipend", l.beta_stipend);
    c.finite("learning.c_train", l.c_train);

    let lv = &s.levers;
    let lc = &lv.labor_cooperation;
    c.window("labor_cooperation", lc.window());
    c.probability(
        "levers.labor_cooperation.placements_share",
        lc.placements_share,
    );
    c.non_negative("levers.labor_cooperation.wage_premium", lc.wage_premium);
    c.probability(
        "levers.labor_cooperation.placement_stability",
        lc.placement_stability,
    );
    c.probability(
        "levers.labor_cooperation.rights_protection",
        lc.rights_protection,
    );
    c.non_negative("levers.labor_cooperation.travel_subsidy", lc.travel_subsidy);
    let ic = &lv.industrial_cooperation;
    c.window("industrial_cooperation", ic.window());
    c.probability(
        "levers.industrial_cooperation.firm_jobs_share",
        ic.firm_jobs_share,
    );
    c.non_negative(
        "levers.industrial_cooperation.w_firm_month",
        ic.w_firm_month,
    );
    c.probability("levers.industrial_cooperation.s_min_firm", ic.s_min_firm);
    let ws = &lv.workshops;
    c.window("workshops", ws.window());
    c.probability(
        "levers.workshops.workshop_jobs_share",
        ws.workshop_jobs_share,
    );
    c.non_negative("levers.workshops.w_workshop_month", ws.w_workshop_month);
    let ag = &lv.agricultural_support;
    c.window("agricultural_support", ag.window());
    c.non_negative(
        "levers.agricultural_support.subsidy_per_mu",
        ag.subsidy_per_mu,
    );
    c.bound(
        "levers.agricultural_support.yield_gain",
        Some(-1.0),
        None,
        "a gain of at least −1",
    );
    if c.finite("levers.agricultural_support.yield_gain", ag.yield_gain) && ag.yield_gain < -1.0 {
        c.push(
            "levers.agricultural_support.yield_gain",
            readable(ag.yield_gain),
            "a gain of at least −1",
        );
    }
    c.non_negative(
        "levers.agricultural_support.insured_level",
        ag.insured_level,
    );
    c.probability(
        "levers.agricultural_support.transport_support",
        ag.transport_support,
    );
    let tr = &lv.training;
    c.window("training", tr.window());
    c.probability("levers.training.training_share", tr.training_share);
    c.non_negative("levers.training.stipend", tr.stipend);
    let ai = &lv.asset_income;
    c.window("asset_income", ai.window());
    c.non_negative("levers.asset_income.dividend", ai.dividend);
    let sp = &lv.social_protection;
    c.window("social_protection", sp.window());
    c.non_negative("levers.social_protection.dibao_line", sp.dibao_line);
    c.probability("levers.social_protection.dibao_coverage", sp.dibao_coverage);
    c.probability("levers.social_protection.reimbursement", sp.reimbursement);
    c.probability("levers.social_protection.dibao_exit", sp.dibao_exit);
    c.window("targeting", lv.targeting.window());

    for (key, v) in s.costs.unit_costs() {
        c.bound(
            &format!("costs.{key}"),
            Some(0.0),
            None,
            "a cost ≥ 0, in yuan of the start year",
        );
        if c.finite(&format!("costs.{key}"), v) && v < 0.0 {
            c.push(
                &format!("costs.{key}"),
                readable(v),
                "a cost ≥ 0, in yuan of the start year",
            );
        }
    }

    for (i, event) in s.events.iter().enumerate() {
        let key = format!("events[{i}]");
        match event {
            Event::EastDemand {
                job_loss_factor, ..
            } => {
                c.non_negative(&format!("{key}.job_loss_factor"), *job_loss_factor);
            }
            Event::Drought {
                harvest_factor,
                sites,
                ..
            } => {
                c.non_negative(&format!("{key}.harvest_factor"), *harvest_factor);
                c.bound(
                    &format!("{key}.sites"),
                    Some(0.0),
                    Some(f64::from(p.sites.saturating_sub(1))),
                    &format!("a site number from 0 to {}", p.sites.saturating_sub(1)),
                );
                for site in sites.iter().flatten() {
                    if *site >= p.sites {
                        c.push(
                            &format!("{key}.sites"),
                            site,
                            &format!("a site number from 0 to {}", p.sites.saturating_sub(1)),
                        );
                    }
                }
            }
        }
    }

    magnitudes(s, c);
}

/// Every real-valued key within [`MAX_MAGNITUDE`] (growth rates within
/// [`MAX_GROWTH`]), and finite, unless a rule above already refused it.
fn magnitudes(s: &Scenario, c: &mut Checker) {
    /// Visit every float of `v` with its dotted key, built in one buffer
    /// (a sweep validates every point, so no key is allocated unless it is
    /// refused).
    fn walk(v: &toml::Value, path: &mut String, visit: &mut dyn FnMut(&str, f64)) {
        match v {
            toml::Value::Float(x) => visit(path, *x),
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let len = path.len();
                    if len > 0 {
                        path.push('.');
                    }
                    path.push_str(k);
                    walk(v, path, visit);
                    path.truncate(len);
                }
            }
            toml::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    let len = path.len();
                    // Writing to a String cannot fail.
                    let _ = write!(path, "[{i}]");
                    walk(v, path, visit);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let Ok(value) = toml::Value::try_from(s) else {
        return;
    };
    let mut path = String::with_capacity(64);
    let recording = c.bounds.is_some();
    walk(&value, &mut path, &mut |key, x| {
        let growth = matches!(key, "economy.wage_growth" | "economy.line_growth");
        let limit = if growth { MAX_GROWTH } else { MAX_MAGNITUDE };
        if recording && !growth {
            let words = readable(limit);
            c.bound(
                key,
                Some(-limit),
                Some(limit),
                &format!("a number from −{words} to {words}"),
            );
        }
        if c.problems.iter().any(|p| p.key == key) {
            return;
        }
        if !x.is_finite() {
            c.push(key, readable(x), "a finite number");
        } else if x.abs() > limit {
            let limit = readable(limit);
            c.push(
                key,
                readable(x),
                &format!(
                    "a number from −{limit} to {limit} (larger values make incomes overflow over the run)"
                ),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(edit: impl FnOnce(&mut Scenario)) -> Vec<String> {
        let mut s = Scenario::default();
        edit(&mut s);
        validate(&s)
            .err()
            .unwrap_or_default()
            .iter()
            .map(|p| p.key.clone())
            .collect()
    }

    #[test]
    fn a_monitoring_line_below_the_poverty_line_is_refused() {
        assert_eq!(
            problems_of(|s| s.economy.monitoring_line = s.economy.poverty_line - 1.0),
            ["economy.monitoring_line"]
        );
        assert!(problems_of(|s| s.economy.monitoring_line = s.economy.poverty_line).is_empty());
    }

    #[test]
    fn an_event_outside_the_run_is_a_warning() {
        let mut s = Scenario::default();
        s.events.push(Event::Drought {
            year: 2040,
            harvest_factor: 0.5,
            sites: None,
        });
        assert!(validate(&s).is_ok());
        assert_eq!(
            warnings(&s),
            [
                "`events[1].year` = 2040: outside the run's years (2021–2035), so the event does not act"
            ]
        );
        assert!(warnings(&Scenario::default()).is_empty());
        s.run.start_year = 2023;
        assert_eq!(warnings(&s).len(), 2, "the 2022 shock is before the run");
    }

    #[test]
    fn magnitudes_that_would_overflow_are_refused() {
        assert_eq!(
            problems_of(|s| s.economy.wage_growth = 1e300),
            ["economy.wage_growth"]
        );
        assert_eq!(
            problems_of(|s| s.economy.w_out_month = 1e308),
            ["economy.w_out_month"]
        );
        assert_eq!(
            problems_of(|s| s.decision.beta_income = f64::NAN),
            ["decision.beta_income"]
        );
        assert_eq!(
            problems_of(|s| s.events.push(Event::Drought {
                year: 2030,
                harvest_factor: 1e20,
                sites: None
            })),
            ["events[1].harvest_factor"]
        );
        assert!(problems_of(|s| s.economy.w_out_month = MAX_MAGNITUDE).is_empty());
    }

    #[test]
    fn a_shortened_scenario_drops_the_events_after_it_and_stays_valid() {
        let mut s = Scenario::default();
        s.events.push(Event::Drought {
            year: 2030,
            harvest_factor: 0.5,
            sites: None,
        });
        let short = s.shortened(3);
        assert_eq!(short.run.years, 3);
        assert_eq!(short.events.len(), 1, "the 2022 shock stays");
        assert!(validate(&short).is_ok());
    }

    #[test]
    fn numbers_are_printed_readably() {
        assert_eq!(readable(1e300), "1e300");
        assert_eq!(readable(1e-320), "1e-320");
        assert_eq!(readable(MAX_MAGNITUDE), "1e9");
        assert_eq!(readable(MAX_GROWTH), "1");
        assert_eq!(readable(0.25), "0.25");
        assert_eq!(readable(1234567.0), "1234567");
        let problems = validate(&{
            let mut s = Scenario::default();
            s.economy.w_out_month = 1e300;
            s
        })
        .unwrap_err();
        assert_eq!(problems[0].value, "1e300");
        assert!(problems[0].expected.contains("−1e9 to 1e9"), "{problems:?}");
    }

    #[test]
    fn a_seed_a_manifest_cannot_store_is_refused() {
        assert_eq!(problems_of(|s| s.run.seed = MAX_SEED + 1), ["run.seed"]);
        assert!(problems_of(|s| s.run.seed = MAX_SEED).is_empty());
    }

    #[test]
    fn a_negative_or_non_finite_unit_cost_is_refused_by_its_key() {
        let problems = validate(&{
            let mut s = Scenario::default();
            s.costs.per_workshop_job_year = -1.0;
            s.costs.extension_per_mu = f64::INFINITY;
            s
        })
        .unwrap_err();
        let found: Vec<_> = problems
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("costs.per_workshop_job_year", "-1"),
                ("costs.extension_per_mu", "inf")
            ]
        );
        assert!(problems[0].expected.contains("≥ 0"), "{problems:?}");
        assert!(problems_of(|s| s.costs.per_placement_year = 0.0).is_empty());
    }

    #[test]
    fn default_is_valid() {
        assert_eq!(validate(&Scenario::default()), Ok(()));
    }

    #[test]
    fn inverted_window_is_named() {
        let mut s = Scenario::default();
        s.levers.workshops.start_year = 2030;
        let problems = validate(&s).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "levers.workshops.start_year");
    }

    #[test]
    fn shares_must_sum_to_one() {
        let mut s = Scenario::default();
        s.population.initial_shares.none = 0.3;
        let problems = validate(&s).unwrap_err();
        assert_eq!(problems[0].key, "population.initial_shares");
    }

    #[test]
    fn probability_out_of_range_and_negative_wage() {
        let mut s = Scenario::default();
        s.economy.p_sick = 1.5;
        s.economy.w_out_month = -1.0;
        let keys: Vec<_> = validate(&s)
            .unwrap_err()
            .into_iter()
            .map(|p| p.key)
            .collect();
        assert_eq!(keys, ["economy.w_out_month", "economy.p_sick"]);
    }
}
