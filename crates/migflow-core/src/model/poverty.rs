//! MODEL.md §3.5: poverty and monitoring lines, skill learning and training
//! take-up.

use crate::params::Year;

/// Poor and at-risk flags of a per-capita income.
pub fn classify(income_pc: f64, ys: &Year) -> (bool, bool) {
    (income_pc < ys.poverty_line, income_pc < ys.monitoring_line)
}

/// Probability that a household offered training takes it, from its skill
/// at the start of the year.
pub fn take_up_probability(skill: f64, ys: &Year) -> f64 {
    let l = &ys.learning;
    let gamma = ys.economy.gamma;
    let gain = gamma * l.delta_train / (1.0 + gamma * skill);
    let z = l.beta_train_gain * gain + l.beta_stipend * ys.stipend / 1000.0 - l.c_train;
    1.0 / (1.0 + (-z).exp())
}

/// Skill at the end of the year, from its value at the start.
pub fn learn(skill: f64, wage_work: bool, trained: bool, ys: &Year) -> f64 {
    let l = &ys.learning;
    let mut next = skill;
    if wage_work {
        next += l.delta_exp;
    }
    if trained {
        next += l.delta_train;
    }
    next.min(1.0)
}

/// Training slots of a site with `households` households.
pub fn training_slots(households: usize, ys: &Year) -> usize {
    (ys.training_share * households as f64 + 1e-9).floor() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Scenario;

    #[test]
    fn take_up_is_low_at_defaults() {
        let s = Scenario::default();
        let ys = Year::resolve(&s, 0);
        let p = take_up_probability(0.2, &ys);
        // gain = 0.5·0.15/1.1 ≈ 0.068; z = 0.545 + 0.25 − 1.5 ≈ −0.70.
        assert!((p - 0.331).abs() < 0.005, "{p}");
    }

    #[test]
    fn skill_is_capped() {
        let ys = Year::resolve(&Scenario::default(), 0);
        assert_eq!(learn(0.95, true, true, &ys), 1.0);
        assert!((learn(0.2, true, false, &ys) - 0.21).abs() < 1e-12);
    }

    #[test]
    fn lines_classify() {
        let s = Scenario::default();
        let ys = Year::resolve(&s, 0);
        assert_eq!(classify(3999.0, &ys), (true, true));
        assert_eq!(classify(4000.0, &ys), (false, true));
        assert_eq!(classify(6000.0, &ys), (false, false));
    }
}
