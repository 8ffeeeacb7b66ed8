//! MODEL.md §3.3 step 3 to §3.5 for one household: job search, income,
//! transfers, medical costs, dibao and classification, and the household's
//! state for next year. The engine calls [`settle`] for every household in
//! parallel after market clearing; everything it reads is the household,
//! its year so far, its site's harvest, its village's distance and the
//! year's settings.

use super::decision::{self, Ranking};
use super::demography::Members;
use super::income::{self, Earnings};
use super::{Household, Jobs, Livelihood, poverty};
use crate::params::Year;
use crate::rng::{EntityKey, Purpose};

/// What happened to a household this year, beyond its [`Household`] fields.
///
/// 32 bytes: the engine keeps one a household and streams them through
/// memory in every phase, so the yes/no facts are bits of one byte (read
/// and set by the methods of their names) and the ranking is packed.
#[derive(Debug, Clone, Copy)]
pub struct HouseholdYear {
    /// Roles of its members after sickness.
    pub members: Members,
    /// Out-of-pocket medical cost.
    pub medical_oop: f64,
    /// The dibao paid this year: `dibao_line · size − Y_net` when enrolled
    /// (the household's income before the dibao is not recoverable once
    /// it is lifted to the line), else 0. Read only by the cost accounting.
    pub dibao_top_up: f64,
    /// Its ranking of the open livelihoods.
    pub ranking: Ranking,
    /// Livelihood after market clearing (before job search).
    pub choice: Livelihood,
    /// Local jobs won.
    pub jobs: Jobs,
    /// Last year's livelihood.
    pub last_state: Livelihood,
    /// Children born this year (0 or 1).
    pub births: u8,
    /// Members who died this year.
    pub deaths: u8,
    /// The yes/no facts, one bit each (see the methods).
    flags: u8,
}

// The engine's memory per household (BENCHMARKS.md) counts on this size.
const _: () = assert!(std::mem::size_of::<HouseholdYear>() == 32);

/// The bits of [`HouseholdYear`]'s flags.
mod bit {
    pub const PLACED: u8 = 1;
    pub const POOR_LAST_YEAR: u8 = 1 << 1;
    pub const AT_RISK: u8 = 1 << 2;
    pub const DIBAO: u8 = 1 << 3;
    pub const TRAINED: u8 = 1 << 4;
    pub const REVIEWED: u8 = 1 << 5;
    pub const DISSOLVED: u8 = 1 << 6;
}

flag_accessors! {
    HouseholdYear, flags;
    /// Whether it won a placement (after job search: placed and outbound).
    placed, set_placed, bit::PLACED;
    /// Poor last year.
    poor_last_year, set_poor_last_year, bit::POOR_LAST_YEAR;
    /// Below the monitoring line this year.
    at_risk, set_at_risk, bit::AT_RISK;
    /// Enrolled in dibao this year.
    dibao, set_dibao, bit::DIBAO;
    /// Took training this year.
    trained, set_trained, bit::TRAINED;
    /// Reviewed its livelihood this year (MODEL.md §3.2).
    reviewed, set_reviewed, bit::REVIEWED;
    /// Its last member died this year: it is in no output row of this
    /// year, only in the year's `dissolved` count under `last_state`.
    dissolved, set_dissolved, bit::DISSOLVED;
}

impl Default for HouseholdYear {
    fn default() -> Self {
        HouseholdYear {
            members: Members::default(),
            medical_oop: 0.0,
            dibao_top_up: 0.0,
            ranking: Ranking::NONE_ONLY,
            choice: Livelihood::None,
            jobs: [0; 3],
            last_state: Livelihood::None,
            births: 0,
            deaths: 0,
            flags: 0,
        }
    }
}

/// Settle household `h`'s year: an unplaced outbound household searches
/// for work (and has none if it finds none), then earns its livelihood's
/// income, adds transfers, pays medical costs, may be enrolled in the
/// dibao, and is classified against the lines. `harvest` is its site's
/// harvest factor, `distance_km` its origin village's distance. Writes the
/// household's state for next year and the year's flags in `y`.
#[inline]
pub fn settle(
    h: &mut Household,
    y: &mut HouseholdYear,
    harvest: f64,
    distance_km: f64,
    ys: &Year,
    entity: EntityKey,
) {
    let stream = |purpose| entity.stream(purpose);
    let laborers = y.members.laborers;
    let mut state = y.choice;
    if state == Livelihood::Outbound
        && !y.placed()
        && !stream(Purpose::JobSearch).bernoulli(decision::p_find(y.members.age_main, ys))
    {
        state = Livelihood::None;
    }
    let mut rng = stream(Purpose::IncomeRisk);
    // Skill changes only in `learn`, the last phase: this is
    // the skill at the start of the year.
    let skill = h.skill;
    let earnings = match state {
        Livelihood::Outbound => income::outbound(skill, laborers, y.placed(), ys, &mut rng),
        Livelihood::Local => income::local(skill, &y.jobs, ys, &mut rng),
        Livelihood::Farm => {
            let commute = decision::commute_cost(ys, distance_km);
            Earnings {
                income: income::farm(h, laborers, harvest, commute, ys),
                ended_early: false,
            }
        }
        Livelihood::Mixed => Earnings {
            income: income::mixed(h, laborers, harvest, ys),
            ended_early: false,
        },
        Livelihood::None => Earnings {
            income: 0.0,
            ended_early: false,
        },
    };
    let net = earnings.income + decision::transfers(&y.members, ys) - y.medical_oop;
    let (income_pc, enrolled) = income::dibao(
        net / f64::from(h.size),
        h.dibao(),
        ys,
        &mut stream(Purpose::Dibao),
    );
    let (poor, at_risk) = poverty::classify(income_pc, ys);

    let placed = y.placed() && state == Livelihood::Outbound;
    h.state = state;
    h.jobs = if state == Livelihood::Local {
        y.jobs
    } else {
        [0; 3]
    };
    h.set_placed(placed);
    h.set_local_job_lost(state == Livelihood::Local && earnings.ended_early);
    h.set_placement_lost(placed && earnings.ended_early);
    h.set_lost_job(
        matches!(state, Livelihood::Outbound | Livelihood::Local) && earnings.ended_early,
    );
    h.set_at_risk(at_risk);
    h.set_dibao(enrolled);
    h.set_poor(poor);
    h.set_ever_poor(h.ever_poor() || poor);
    h.income_pc = income_pc;
    y.set_placed(placed);
    y.set_at_risk(at_risk);
    y.set_dibao(enrolled);
    // Enrolment needs `net / size < line`, so this is positive but for
    // rounding at the line; a transfer is never negative.
    y.dibao_top_up = if enrolled {
        (ys.dibao_line * f64::from(h.size) - net).max(0.0)
    } else {
        0.0
    };
}
