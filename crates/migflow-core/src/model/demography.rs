//! MODEL.md §3.1: ageing, deaths, births, sickness and medical costs; and
//! the members' roles (laborers, dependents, elders) that every later rule
//! reads.

use super::constants::{
    CHILD_AGE_BELOW, LAST_WORK_AGE, MAX_CHILDREN_FOR_BIRTH, NON_DEPENDENT_AGES, PARENT_AGES,
    PENSION_AGE,
};
use super::{Household, MAX_MEMBERS};
use crate::params::Year;
use crate::rng::Stream;
use rand_distr::Distribution;

/// The members' roles this year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Members {
    /// Members aged `work_age`–59 and not sick.
    pub laborers: u8,
    /// Members under 16 or 65 and over.
    pub dependents: u8,
    /// Members aged 60 and over (pensioners).
    pub elders: u8,
    /// Age of the oldest laborer (0 without laborers).
    pub age_main: u8,
    /// Members of working age who are sick this year.
    pub sick: u8,
}

/// Count the members' roles; `sick` marks members by position (bit `j` for
/// member `j`).
pub fn members(h: &Household, work_age: u8, sick: u8) -> Members {
    let mut m = Members::default();
    for (j, &age) in h.member_ages().iter().enumerate() {
        let working_age = (work_age..=LAST_WORK_AGE).contains(&age);
        if working_age && sick & (1 << j) != 0 {
            m.sick += 1;
        } else if working_age {
            m.laborers += 1;
            m.age_main = m.age_main.max(age);
        }
        if !NON_DEPENDENT_AGES.contains(&age) {
            m.dependents += 1;
        }
        if age >= PENSION_AGE {
            m.elders += 1;
        }
    }
    m
}

/// Every member ages one year.
pub fn age_one_year(h: &mut Household) {
    let size = h.size as usize;
    for age in &mut h.ages[..size] {
        *age = age.saturating_add(1);
    }
}

/// Which members die this year: bit `j` for member `j`, one draw a member
/// in member order against the Gompertz probability of its age plus
/// `ageing` (0 when the household has aged this year, 1 to foresee the
/// deaths of a household that has not aged yet). The draws are a pure
/// function of the household and its stream, so the engine can count a
/// village's survivors before the households age and die (MODEL.md §3.2's
/// `n_v` is over the households alive this year).
pub fn deaths(h: &Household, ageing: u8, ys: &Year, rng: &mut Stream) -> u8 {
    if ys.demography.mortality_a <= 0.0 {
        return 0;
    }
    let mut mask = 0u8;
    for (j, &age) in h.member_ages().iter().enumerate() {
        if rng.bernoulli(ys.mortality[usize::from(age.saturating_add(ageing))]) {
            mask |= 1 << j;
        }
    }
    mask
}

/// Remove the members marked in `mask`; the others keep their order.
/// Returns whether nobody is left (the household is dissolved).
pub fn remove_members(h: &mut Household, mask: u8) -> bool {
    if mask == 0 {
        return false;
    }
    let mut kept = 0;
    for j in 0..h.size as usize {
        if mask & (1 << j) == 0 {
            h.ages[kept] = h.ages[j];
            kept += 1;
        }
    }
    h.ages[kept..].fill(0);
    h.size = kept as u8;
    kept == 0
}

/// Whether a household may have a birth this year: a member aged 20–34,
/// fewer than 2 members under 16, and room for one more member.
pub fn may_have_birth(h: &Household) -> bool {
    let ages = h.member_ages();
    ages.len() < MAX_MEMBERS
        && ages.iter().any(|a| PARENT_AGES.contains(a))
        && ages.iter().filter(|&&a| a < CHILD_AGE_BELOW).count() < MAX_CHILDREN_FOR_BIRTH
}

/// A birth with probability `p_birth` to a household that may have one:
/// the child, aged 0, is appended after the other members. Returns
/// whether a child was born.
pub fn birth(h: &mut Household, ys: &Year, rng: &mut Stream) -> bool {
    // The draw comes first: it is cheaper than the household test and
    // rarely succeeds, and the stream is this rule's alone, so the order
    // changes no draw and no outcome.
    if ys.demography.p_birth <= 0.0 || !rng.bernoulli(ys.demography.p_birth) || !may_have_birth(h) {
        return false;
    }
    h.ages[h.size as usize] = 0;
    h.size += 1;
    true
}

/// Sickness this year: returns the sick-member mask and the household's
/// out-of-pocket medical cost, `(1 − reimbursement)` of the log-normal costs.
pub fn sickness(h: &Household, ys: &Year, rng: &mut Stream) -> (u8, f64) {
    let mut mask = 0u8;
    let mut cost = 0.0;
    for (j, &age) in h.member_ages().iter().enumerate() {
        if (ys.work_age..=LAST_WORK_AGE).contains(&age) && rng.bernoulli(ys.p_sick) {
            mask |= 1 << j;
            cost += ys.medical_cost.sample(rng);
        }
    }
    (mask, cost * (1.0 - ys.reimbursement))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Livelihood;

    #[test]
    fn roles_follow_model_ages() {
        // 17: neither; 18: laborer; 59: laborer; 60: elder, neither role;
        // 64: elder; 65: dependent elder; 10: dependent.
        let h = Household::new(
            &[17, 18, 59, 60, 64, 65, 10],
            0,
            0.2,
            1.0,
            0.5,
            Livelihood::Local,
        );
        let m = members(&h, 18, 0);
        assert_eq!(m.laborers, 2);
        assert_eq!(m.age_main, 59);
        assert_eq!(m.dependents, 2);
        assert_eq!(m.elders, 3);
        let sick = members(&h, 18, 1 << 2);
        assert_eq!((sick.laborers, sick.sick, sick.age_main), (1, 1, 18));
    }

    #[test]
    fn lognormal_matches_mean_and_sd() {
        let d = crate::params::year::medical_cost_distribution(20_000.0, 15_000.0);
        let mut rng = Stream::new(1, 0, 0, 0, crate::rng::Purpose::Sickness);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!((mean / 20_000.0 - 1.0).abs() < 0.02, "{mean}");
        assert!((sd / 15_000.0 - 1.0).abs() < 0.05, "{sd}");
    }
}
