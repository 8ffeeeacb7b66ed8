//! Levers and events resolved, once per year, into the plain settings the
//! rules read (MODEL.md §1 growth and §4 windows). A lever outside its
//! window is off: capacities 0, amounts 0, flags off.

use crate::params::{Decision, Demography, Economy, Event, Learning, Scenario};
use crate::stats::lognormal_params;
use rand_distr::LogNormal;

/// Everything the rules need to know about one year, in this year's yuan.
#[derive(Debug, Clone)]
pub struct Year {
    /// The economy's settings as the scenario gives them (2021 yuan); the
    /// grown money values of this year are the fields below.
    pub economy: Economy,
    /// The decision rule's weights.
    pub decision: Decision,
    /// Skill learning and training take-up.
    pub learning: Learning,
    /// Deaths and births.
    pub demography: Demography,
    /// Probability that a member of each age (after ageing, 0 to 255)
    /// dies this year: `min(1, mortality_a · exp(mortality_b · age))`,
    /// tabulated once a year so that the household pass does no `exp`.
    pub mortality: Vec<f64>,
    /// Step index, 0-based.
    pub t: u32,
    /// Calendar year.
    pub year: i32,
    /// Wage index `(1 + wage_growth)^t`.
    pub wage_index: f64,
    /// Line index `(1 + line_growth)^t`.
    pub line_index: f64,
    /// Youngest working age.
    pub work_age: u8,

    /// Outbound monthly wage.
    pub w_out: f64,
    /// Monthly city living cost.
    pub c_city: f64,
    /// Local informal monthly wage.
    pub w_informal: f64,
    /// Workshop monthly wage (whether or not workshops are on).
    pub w_workshop: f64,
    /// Firm monthly wage (whether or not firms are on).
    pub w_firm: f64,
    /// Net crop income per mu.
    pub farm_net_per_mu: f64,
    /// Other farm income per laborer.
    pub farm_other: f64,
    /// Pension per elder per year (`pension_month · 12`).
    pub pension_year: f64,
    /// Probability of sickness per working-age member.
    pub p_sick: f64,
    /// Medical cost per sick member.
    pub medical_cost: LogNormal<f64>,

    /// Poverty line per person.
    pub poverty_line: f64,
    /// Monitoring line per person.
    pub monitoring_line: f64,
    /// Dibao line per person (0 when social protection is off).
    pub dibao_line: f64,
    /// Dibao enrolment probability (0 when off).
    pub dibao_coverage: f64,
    /// Whether enrolled households are re-certified rather than re-drawn.
    pub dibao_persistent: bool,
    /// Probability that an eligible enrolled household leaves the rolls
    /// (with `dibao_persistent`; 0 when off).
    pub dibao_exit: f64,
    /// Medical reimbursement share (0 when off).
    pub reimbursement: f64,

    /// Informal jobs as a share of the site's initial laborers.
    pub informal_jobs_share: f64,
    /// Workshop jobs share (0 when off).
    pub workshop_jobs_share: f64,
    /// Firm jobs share (0 when off).
    pub firm_jobs_share: f64,
    /// Minimum skill for a firm job.
    pub s_min_firm: f64,
    /// Placements share (0 when off).
    pub placements_share: f64,
    /// Wage premium of placed jobs (0 when off).
    pub wage_premium: f64,
    /// Fall in job-loss risk of placed jobs (0 when off).
    pub placement_stability: f64,
    /// Fall in arrears risk of placed jobs (0 when off).
    pub rights_protection: f64,
    /// Travel subsidy, nominal (0 when off).
    pub travel_subsidy: f64,

    /// Subsidy per mu, nominal (0 when off).
    pub subsidy_per_mu: f64,
    /// Yield gain (0 when off).
    pub yield_gain: f64,
    /// Whether crop insurance pays this year.
    pub insurance: bool,
    /// Insured harvest level.
    pub insured_level: f64,
    /// Share of the commute paid (0 when off).
    pub transport_support: f64,

    /// Training slots as a share of the site's households (0 when off).
    pub training_share: f64,
    /// Training stipend, nominal (0 when off).
    pub stipend: f64,
    /// Dividend per household, nominal (0 when off).
    pub dividend: f64,
    /// Whether the lotteries put last year's poor first.
    pub target_at_risk: bool,

    /// Outbound job-loss multiplier of `east_demand` events (1 without).
    pub job_loss_factor: f64,
    /// Harvest multipliers of `drought` events: (factor, sites or all).
    pub droughts: Vec<(f64, Option<Vec<u32>>)>,

    /// This year's unit costs of the levers (`[costs]`), for `costs.csv`;
    /// no rule reads them.
    pub costs: CostRates,
}

/// This year's unit costs of the levers (MODEL.md, Costs), in nominal yuan
/// of the year: `[costs]` times the wage index (with
/// `costs.grow_with_wages`), and 0 for a lever outside its window, as its
/// amounts are. Which levers act is kept too: a quantity is counted only in
/// a year its lever acts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CostRates {
    /// Per laborer placed for a year (0 when labor cooperation is off).
    pub per_placement_year: f64,
    /// Per firm job-year (0 when industrial cooperation is off).
    pub per_firm_job_year: f64,
    /// Per workshop job-year (0 when workshops are off).
    pub per_workshop_job_year: f64,
    /// Per training slot taken (0 when training is off).
    pub per_training_slot: f64,
    /// Extension per supported mu (0 when agricultural support is off).
    pub extension_per_mu: f64,
    /// Premium per insured mu (0 unless agricultural support is on with
    /// insurance).
    pub insurance_premium_per_mu: f64,
    /// Whether each costed lever acts this year.
    pub active: ActiveLevers,
}

/// Which of the costed levers act this year (`targeting` costs nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActiveLevers {
    /// `levers.labor_cooperation`.
    pub labor_cooperation: bool,
    /// `levers.industrial_cooperation`.
    pub industrial_cooperation: bool,
    /// `levers.workshops`.
    pub workshops: bool,
    /// `levers.agricultural_support`.
    pub agricultural_support: bool,
    /// `levers.training`.
    pub training: bool,
    /// `levers.asset_income`.
    pub asset_income: bool,
    /// `levers.social_protection`.
    pub social_protection: bool,
}

impl Year {
    /// Resolve step `t` of a scenario.
    pub fn resolve(s: &Scenario, t: u32) -> Year {
        let year = s.run.start_year + t as i32;
        let e = &s.economy;
        let lv = &s.levers;
        let g_w = (1.0 + e.wage_growth).powi(t as i32);
        let g_l = (1.0 + e.line_growth).powi(t as i32);

        let lc = &lv.labor_cooperation;
        let lc_on = lc.window().active(year);
        let ic = &lv.industrial_cooperation;
        let ic_on = ic.window().active(year);
        let ws = &lv.workshops;
        let ws_on = ws.window().active(year);
        let ag = &lv.agricultural_support;
        let ag_on = ag.window().active(year);
        let tr = &lv.training;
        let tr_on = tr.window().active(year);
        let ai = &lv.asset_income;
        let ai_on = ai.window().active(year);
        let sp = &lv.social_protection;
        let sp_on = sp.window().active(year);
        let on = |flag: bool, v: f64| if flag { v } else { 0.0 };

        let mut job_loss_factor = 1.0;
        let mut droughts = Vec::new();
        for event in s.events.iter().filter(|ev| ev.year() == year) {
            match event {
                Event::EastDemand {
                    job_loss_factor: f, ..
                } => job_loss_factor *= f,
                Event::Drought {
                    harvest_factor,
                    sites,
                    ..
                } => droughts.push((*harvest_factor, sites.clone())),
            }
        }

        Year {
            economy: e.clone(),
            decision: s.decision.clone(),
            learning: s.learning.clone(),
            demography: s.demography.clone(),
            mortality: mortality_table(s.demography.mortality_a, s.demography.mortality_b),
            t,
            year,
            wage_index: g_w,
            line_index: g_l,
            work_age: e.work_age.min(u32::from(u8::MAX)) as u8,
            w_out: e.w_out_month * g_w,
            c_city: e.c_city_month * g_w,
            w_informal: e.w_informal_month * g_w,
            w_workshop: ws.w_workshop_month * g_w,
            w_firm: ic.w_firm_month * g_w,
            farm_net_per_mu: e.farm_net_per_mu * g_w,
            farm_other: e.farm_other * g_w,
            pension_year: e.pension_month * 12.0 * g_w,
            p_sick: e.p_sick,
            medical_cost: medical_cost_distribution(e.medical_mean * g_w, e.medical_sd * g_w),
            poverty_line: e.poverty_line * g_l,
            monitoring_line: e.monitoring_line * g_l,
            dibao_line: on(sp_on, sp.dibao_line * g_l),
            dibao_coverage: on(sp_on, sp.dibao_coverage),
            dibao_persistent: sp_on && sp.dibao_persistent,
            dibao_exit: on(sp_on, sp.dibao_exit),
            reimbursement: on(sp_on, sp.reimbursement),
            informal_jobs_share: e.informal_jobs_share,
            workshop_jobs_share: on(ws_on, ws.workshop_jobs_share),
            firm_jobs_share: on(ic_on, ic.firm_jobs_share),
            s_min_firm: ic.s_min_firm,
            placements_share: on(lc_on, lc.placements_share),
            wage_premium: on(lc_on, lc.wage_premium),
            placement_stability: on(lc_on, lc.placement_stability),
            rights_protection: on(lc_on, lc.rights_protection),
            travel_subsidy: on(lc_on, lc.travel_subsidy),
            subsidy_per_mu: on(ag_on, ag.subsidy_per_mu),
            yield_gain: on(ag_on, ag.yield_gain),
            insurance: ag_on && ag.insurance,
            insured_level: ag.insured_level,
            transport_support: on(ag_on, ag.transport_support),
            training_share: on(tr_on, tr.training_share),
            stipend: on(tr_on, tr.stipend),
            dividend: on(ai_on, ai.dividend),
            target_at_risk: lv.targeting.window().active(year) && lv.targeting.target_at_risk,
            job_loss_factor,
            droughts,
            costs: {
                let c = &s.costs;
                let g = if c.grow_with_wages { g_w } else { 1.0 };
                CostRates {
                    per_placement_year: on(lc_on, c.per_placement_year * g),
                    per_firm_job_year: on(ic_on, c.per_firm_job_year * g),
                    per_workshop_job_year: on(ws_on, c.per_workshop_job_year * g),
                    per_training_slot: on(tr_on, c.per_training_slot * g),
                    extension_per_mu: on(ag_on, c.extension_per_mu * g),
                    insurance_premium_per_mu: on(
                        ag_on && ag.insurance,
                        c.insurance_premium_per_mu * g,
                    ),
                    active: ActiveLevers {
                        labor_cooperation: lc_on,
                        industrial_cooperation: ic_on,
                        workshops: ws_on,
                        agricultural_support: ag_on,
                        training: tr_on,
                        asset_income: ai_on,
                        social_protection: sp_on,
                    },
                }
            },
        }
    }

    /// The product of this year's drought factors that hit `site`.
    pub fn drought_factor(&self, site: u32) -> f64 {
        self.droughts
            .iter()
            .filter(|(_, sites)| sites.as_ref().is_none_or(|s| s.contains(&site)))
            .map(|(f, _)| f)
            .product()
    }
}

/// The Gompertz death probability of every age 0 to 255. `mortality_a` 0
/// means no deaths at any age, also where `exp` overflows (0 · ∞ is NaN).
pub fn mortality_table(a: f64, b: f64) -> Vec<f64> {
    (0..=u8::MAX)
        .map(|age| {
            if a <= 0.0 {
                0.0
            } else {
                (a * (b * f64::from(age)).exp()).min(1.0)
            }
        })
        .collect()
}

/// A capacity counted in laborers: `⌊share · laborers₀ + 10⁻⁹⌋` (MODEL.md §3.3).
pub fn capacity(share: f64, laborers0: u64) -> u32 {
    (share * laborers0 as f64 + 1e-9)
        .floor()
        .clamp(0.0, f64::from(u32::MAX)) as u32
}

/// The year's medical cost distribution, built once per year.
pub fn medical_cost_distribution(mean: f64, sd: f64) -> LogNormal<f64> {
    let (mu, sigma) = lognormal_params(mean, sd);
    // Validation guarantees mean > 0 and sd ≥ 0, so σ is finite and ≥ 0.
    // The fallback cannot fail: LogNormal::new refuses only a negative or
    // non-finite σ, and 0 is neither.
    #[allow(clippy::expect_used)]
    LogNormal::new(mu, sigma)
        .unwrap_or_else(|_| LogNormal::new(mean.ln(), 0.0).expect("σ = 0 is valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levers_act_only_in_their_window() {
        let s = Scenario::default();
        let y2025 = Year::resolve(&s, 4);
        let y2026 = Year::resolve(&s, 5);
        assert_eq!(y2025.year, 2025);
        assert_eq!(y2025.workshop_jobs_share, 0.08);
        assert_eq!(y2026.workshop_jobs_share, 0.0);
        assert_eq!(y2026.placements_share, 0.0);
        assert_eq!(y2026.subsidy_per_mu, 0.0);
        assert!(y2026.dibao_coverage > 0.0, "social protection runs to 2035");
    }

    #[test]
    fn growth_indices() {
        let s = Scenario::default();
        let y = Year::resolve(&s, 2);
        assert!((y.w_out - 3800.0 * 1.04f64.powi(2)).abs() < 1e-9);
        assert!((y.poverty_line - 4000.0 * 1.03f64.powi(2)).abs() < 1e-9);
        assert_eq!(Year::resolve(&s, 1).job_loss_factor, 2.0);
    }

    #[test]
    fn unit_costs_grow_with_wages_and_stop_outside_the_window() {
        let mut s = Scenario::default();
        let y = Year::resolve(&s, 2);
        assert_eq!(y.costs.per_placement_year, 3000.0 * y.wage_index);
        assert_eq!(y.costs.insurance_premium_per_mu, 0.0, "insurance is off");
        assert!(y.costs.active.labor_cooperation);
        let after = Year::resolve(&s, 5);
        assert_eq!(after.costs.per_placement_year, 0.0);
        assert!(!after.costs.active.labor_cooperation);
        assert!(after.costs.active.social_protection);
        s.costs.grow_with_wages = false;
        s.levers.agricultural_support.insurance = true;
        let flat = Year::resolve(&s, 2);
        assert_eq!(flat.costs.per_placement_year, 3000.0);
        assert_eq!(flat.costs.insurance_premium_per_mu, 20.0);
    }

    #[test]
    fn capacity_rounds_down_with_tolerance() {
        assert_eq!(capacity(0.15, 100), 15);
        assert_eq!(capacity(0.07, 100), 7); // 0.07·100 = 7.000000000000001 or 6.999…
        assert_eq!(capacity(0.0, 1000), 0);
    }
}
