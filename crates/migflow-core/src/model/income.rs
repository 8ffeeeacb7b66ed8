//! MODEL.md §3.4: net income by livelihood, with its risks; transfers,
//! medical costs and the dibao.

use super::constants::{
    FULL_YEAR_MONTHS, INFORMAL_MONTHS, LOCAL_LOST_MONTHS, OUTBOUND_LOST_MONTHS, OUTBOUND_MONTHS,
};
use super::{Household, JobType, Jobs};
use crate::params::Year;
use crate::rng::Stream;

/// A livelihood's earnings and whether the job ended early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Earnings {
    /// Household net earnings, yuan.
    pub income: f64,
    /// Whether the job (or jobs) ended early this year.
    pub ended_early: bool,
}

/// Outbound earnings: `L · (w_out (1+γs) premium − c_city) · m · (1 − arrears)`.
pub fn outbound(skill: f64, laborers: u8, placed: bool, ys: &Year, rng: &mut Stream) -> Earnings {
    let e = &ys.economy;
    let (premium, loss_cut, arrears_cut) = if placed {
        (
            1.0 + ys.wage_premium,
            1.0 - ys.placement_stability,
            1.0 - ys.rights_protection,
        )
    } else {
        (1.0, 1.0, 1.0)
    };
    let p_loss = e.p_loss_out * ys.job_loss_factor * loss_cut;
    let ended_early = rng.bernoulli(p_loss);
    let months = if ended_early {
        rng.int_inclusive(OUTBOUND_LOST_MONTHS.0, OUTBOUND_LOST_MONTHS.1) as f64
    } else {
        OUTBOUND_MONTHS
    };
    let arrears = if rng.bernoulli(e.p_arrears * arrears_cut) {
        e.f_arrears
    } else {
        0.0
    };
    let monthly = ys.w_out * (1.0 + e.gamma * skill) * premium - ys.c_city;
    Earnings {
        income: f64::from(laborers) * monthly * months * (1.0 - arrears),
        ended_early,
    }
}

/// Local earnings: each job's `wage · (1+γs) · months`; with `p_loss_local`
/// one draw of Uniform{2..8} months replaces the months of every job.
pub fn local(skill: f64, jobs: &Jobs, ys: &Year, rng: &mut Stream) -> Earnings {
    let e = &ys.economy;
    let ended_early = rng.bernoulli(e.p_loss_local);
    let cut_months = if ended_early {
        Some(rng.int_inclusive(LOCAL_LOST_MONTHS.0, LOCAL_LOST_MONTHS.1) as f64)
    } else {
        None
    };
    let skill_factor = 1.0 + e.gamma * skill;
    let mut income = 0.0;
    for t in JobType::ALL {
        let (wage, months) = match t {
            JobType::Firm => (ys.w_firm, FULL_YEAR_MONTHS),
            JobType::Workshop => (ys.w_workshop, FULL_YEAR_MONTHS),
            JobType::Informal => (ys.w_informal, INFORMAL_MONTHS),
        };
        let months = cut_months.unwrap_or(months);
        income += f64::from(jobs[t as usize]) * wage * skill_factor * months;
    }
    Earnings {
        income,
        ended_early,
    }
}

/// Crop income at harvest factor `harvest`, with the subsidy and, when
/// insurance is on and the harvest falls below the insured level, the payout.
pub fn crop(land_mu: f64, harvest: f64, ys: &Year) -> f64 {
    let mut crop = land_mu * ys.farm_net_per_mu * (1.0 + ys.yield_gain) * harvest
        + land_mu * ys.subsidy_per_mu;
    if ys.insurance && harvest < ys.insured_level {
        crop += land_mu * ys.farm_net_per_mu * (ys.insured_level - harvest);
    }
    crop
}

/// Farm earnings: crop, other farm income per laborer (the share
/// `farm_other_weather_share` of it moved by the harvest factor as the
/// harvest is), less the commute.
pub fn farm(h: &Household, laborers: u8, harvest: f64, commute: f64, ys: &Year) -> f64 {
    let phi = ys.economy.farm_other_weather_share;
    crop(h.land_mu, harvest, ys) + f64::from(laborers) * ys.farm_other * (1.0 - phi + phi * harvest)
        - commute
}

/// Mixed earnings: a share of the crop plus seasonal informal work.
pub fn mixed(h: &Household, laborers: u8, harvest: f64, ys: &Year) -> f64 {
    let e = &ys.economy;
    e.rho_mixed * crop(h.land_mu, harvest, ys)
        + f64::from(laborers) * ys.w_informal * (1.0 + e.gamma * h.skill) * e.m_seasonal
}

/// Dibao: a household below the line is eligible. With
/// `dibao_persistent`, one enrolled last year is re-certified with
/// probability `1 − dibao_exit`; any other eligible household is enrolled
/// with probability `dibao_coverage`. One draw a year decides either case.
/// Enrolment lifts per-capita income to the line. Returns the income after
/// the dibao and whether the household is enrolled.
pub fn dibao(income_pc: f64, enrolled_last_year: bool, ys: &Year, rng: &mut Stream) -> (f64, bool) {
    if income_pc >= ys.dibao_line {
        return (income_pc, false);
    }
    let p = if ys.dibao_persistent && enrolled_last_year {
        1.0 - ys.dibao_exit
    } else {
        ys.dibao_coverage
    };
    if rng.bernoulli(p) {
        (ys.dibao_line, true)
    } else {
        (income_pc, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Scenario;
    use crate::rng::Purpose;

    fn settings(t: u32) -> (Scenario, Year) {
        let s = Scenario::default();
        let ys = Year::resolve(&s, t);
        (s, ys)
    }

    #[test]
    fn dibao_lifts_to_the_line_when_enrolled() {
        let (_, mut ys) = settings(0);
        ys.dibao_coverage = 1.0;
        let mut rng = Stream::new(1, 0, 0, 0, Purpose::Dibao);
        assert_eq!(dibao(1000.0, false, &ys, &mut rng), (4800.0, true));
        assert_eq!(dibao(5000.0, false, &ys, &mut rng), (5000.0, false));
        ys.dibao_coverage = 0.0;
        assert_eq!(dibao(1000.0, false, &ys, &mut rng), (1000.0, false));
    }

    #[test]
    fn dibao_coverage_is_a_probability() {
        let (_, ys) = settings(0);
        let enrolled = (0..20_000)
            .filter(|&i| {
                dibao(
                    100.0,
                    false,
                    &ys,
                    &mut Stream::new(1, 0, i, 0, Purpose::Dibao),
                )
                .1
            })
            .count();
        assert!(
            (enrolled as f64 / 20_000.0 - 0.6).abs() < 0.015,
            "{enrolled}"
        );
    }

    #[test]
    fn insurance_pays_below_the_insured_level() {
        let (_, mut ys) = settings(0);
        let without = crop(2.0, 0.5, &ys);
        ys.insurance = true;
        let with = crop(2.0, 0.5, &ys);
        assert!((with - without - 2.0 * 1200.0 * 0.3).abs() < 1e-9);
        assert_eq!(crop(2.0, 0.9, &ys), {
            ys.insurance = false;
            crop(2.0, 0.9, &ys)
        });
    }

    #[test]
    fn local_income_sums_jobs() {
        let (_, mut ys) = settings(0);
        ys.economy.p_loss_local = 0.0;
        let mut rng = Stream::new(1, 0, 0, 0, Purpose::IncomeRisk);
        let e = local(0.0, &[1, 1, 1], &ys, &mut rng);
        assert_eq!(e.income, 3000.0 * 12.0 + 2000.0 * 12.0 + 2600.0 * 9.0);
        assert!(!e.ended_early);
    }

    #[test]
    fn placement_stability_lowers_job_loss() {
        let (_, ys) = settings(1); // 2022: demand shock doubles job loss
        let lost = |placed: bool| {
            (0..20_000)
                .filter(|&i| {
                    let mut rng = Stream::new(5, 0, i, 1, Purpose::IncomeRisk);
                    outbound(0.2, 1, placed, &ys, &mut rng).ended_early
                })
                .count() as f64
                / 20_000.0
        };
        assert!((lost(false) - 0.4).abs() < 0.015);
        assert!((lost(true) - 0.2).abs() < 0.015);
    }
}
