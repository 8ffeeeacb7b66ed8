//! MODEL.md §3.2: the push–pull random-utility choice of a livelihood.

use super::constants::{
    AGE_THRESHOLD, EXPECTED_INCOME_FLOOR, INFORMAL_MONTHS, OUTBOUND_EXPECTED_MONTHS_LOST,
    OUTBOUND_MONTHS,
};
use super::demography::Members;
use super::{Household, Livelihood};
use crate::params::Year;
use crate::rng::Stream;

/// What a household sees of its surroundings when it decides.
#[derive(Debug, Clone, Copy)]
pub struct Surroundings {
    /// Share of its origin village's households that were outbound last year.
    pub village_outbound_share: f64,
    /// Distance from its site to its origin village, km.
    pub distance_km: f64,
}

/// Probability that an unplaced outbound household finds work (§3.3).
pub fn p_find(age_main: u8, ys: &Year) -> f64 {
    let e = &ys.economy;
    let over = (f64::from(age_main) - AGE_THRESHOLD).max(0.0);
    (e.p_find_base - e.p_find_age * over).clamp(e.p_find_min, 1.0)
}

/// Crop income expected with harvest factor 1 and no insurance payout.
pub fn expected_crop(h: &Household, ys: &Year) -> f64 {
    h.land_mu * ys.farm_net_per_mu * (1.0 + ys.yield_gain) + h.land_mu * ys.subsidy_per_mu
}

/// Transfers that do not depend on the livelihood: dividend and pensions.
pub fn transfers(m: &Members, ys: &Year) -> f64 {
    ys.dividend + ys.pension_year * f64::from(m.elders)
}

/// Net commuting cost of farming from the site.
pub fn commute_cost(ys: &Year, distance_km: f64) -> f64 {
    ys.economy.commute_per_km * distance_km * (1.0 - ys.transport_support)
}

/// Expected household net income `Ŷ_k` in each livelihood (output order),
/// with transfers added and the floor applied.
pub fn expected_incomes(h: &Household, m: &Members, around: &Surroundings, ys: &Year) -> [f64; 5] {
    let e = &ys.economy;
    let l = f64::from(m.laborers);
    let skill_factor = 1.0 + e.gamma * h.skill;
    let months_out = OUTBOUND_MONTHS - OUTBOUND_EXPECTED_MONTHS_LOST * e.p_loss_out;
    let outbound = l
        * (ys.w_out * skill_factor - ys.c_city)
        * months_out
        * (1.0 - e.p_arrears * e.f_arrears)
        * p_find(m.age_main, ys);
    let informal_pay = ys.w_informal * skill_factor;
    let local = l * informal_pay * INFORMAL_MONTHS;
    let crop = expected_crop(h, ys);
    // The expected harvest factor is 1, so the weather-moved part of the
    // other farm income, `1 − φ + φ · H`, is 1 here.
    let farm = crop + l * ys.farm_other - commute_cost(ys, around.distance_km);
    let mixed = e.rho_mixed * crop + l * informal_pay * e.m_seasonal;
    let base = transfers(m, ys);
    [outbound, local, farm, mixed, 0.0].map(|y| (y + base).max(EXPECTED_INCOME_FLOOR))
}

/// Which livelihoods are open: farm and mixed need land; a household
/// without laborers has only `none`.
pub fn open_options(h: &Household, m: &Members) -> [bool; 5] {
    if m.laborers == 0 {
        return [false, false, false, false, true];
    }
    let land = h.has_land();
    [true, true, land, land, true]
}

/// The systematic utilities `V_k` (output order) of the `open` options
/// (closed ones are left at −∞). `last` is last year's state and
/// `lost_job` whether its job in that state ended early (then that
/// livelihood carries `− beta_lost`).
pub fn utilities(
    h: &Household,
    m: &Members,
    around: &Surroundings,
    last: Livelihood,
    lost_job: bool,
    ys: &Year,
    open: &[bool; 5],
) -> [f64; 5] {
    let d = &ys.decision;
    let size = f64::from(h.size);
    let incomes = expected_incomes(h, m, around, ys);
    let alpha = [
        d.alpha_outbound,
        d.alpha_local,
        d.alpha_farm,
        d.alpha_mixed,
        d.alpha_none,
    ];
    let dependents = f64::from(m.dependents);
    let push_pull = [
        d.beta_net * around.village_outbound_share
            - d.beta_care * dependents
            - d.beta_age * (f64::from(m.age_main) - AGE_THRESHOLD).max(0.0)
            + d.beta_travel * ys.travel_subsidy / 1000.0,
        d.beta_care_local * dependents.min(2.0),
        d.beta_attach * h.attachment,
        d.beta_attach * h.attachment,
        0.0,
    ];
    let mut v = [f64::NEG_INFINITY; 5];
    for k in (0..5).filter(|&k| open[k]) {
        let switching = if k == last.index() { 0.0 } else { d.kappa };
        v[k] = d.beta_income * (incomes[k] / size).ln() + alpha[k] + push_pull[k] - switching;
        if lost_job && k == last.index() {
            v[k] -= d.beta_lost;
        }
    }
    v
}

/// The open livelihoods ranked by total utility `U_k = V_k + ε_k`, best
/// first. Fallbacks walk down this ranking with the same ε.
///
/// Packed in two bytes (every household keeps one a year): the first four
/// options at three bits each, the count from bit 12; a fifth option is
/// the one livelihood the first four leave out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ranking(u16);

const LEN_SHIFT: u32 = 12;

impl Ranking {
    /// The ranking of a household that can only be `none`.
    pub const NONE_ONLY: Ranking = Ranking::pack(&[Livelihood::None], 1);

    /// The ranking of a household that keeps `state` this year and has no
    /// fallback (see [`ranking_matters`]).
    pub fn kept(state: Livelihood) -> Ranking {
        Ranking::pack(&[state], 1)
    }

    /// The first `len` of `order`, distinct livelihoods.
    const fn pack(order: &[Livelihood], len: usize) -> Ranking {
        let mut bits = (len as u16) << LEN_SHIFT;
        let mut i = 0;
        while i < len && i < 4 {
            bits |= (order[i] as u16) << (3 * i);
            i += 1;
        }
        Ranking(bits)
    }

    /// Rank the open options by `v + eps`; exact ties go to the earlier
    /// livelihood in output order.
    pub fn new(v: &[f64; 5], eps: &[f64; 5], open: &[bool; 5]) -> Ranking {
        let mut order = [Livelihood::None; 5];
        let mut u = [f64::NEG_INFINITY; 5];
        let mut len = 0;
        for k in Livelihood::ALL {
            if open[k.index()] {
                order[len] = k;
                u[len] = v[k.index()] + eps[k.index()];
                len += 1;
            }
        }
        // Insertion sort, stable, descending by utility: five items at most.
        for i in 1..len {
            let mut j = i;
            while j > 0 && u[j] > u[j - 1] {
                u.swap(j, j - 1);
                order.swap(j, j - 1);
                j -= 1;
            }
        }
        Ranking::pack(&order, len)
    }

    /// How many options are ranked (1 to 5).
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.0 >> LEN_SHIFT)
    }

    /// Whether no option is ranked (never: every ranking holds at least
    /// `none` or the kept state).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The option of rank `i` (0 the best), `i < len()`.
    #[inline]
    fn at(&self, i: usize) -> Livelihood {
        let index = if i < 4 {
            usize::from((self.0 >> (3 * i)) & 0b111)
        } else {
            // The five indices sum to 0 + 1 + 2 + 3 + 4.
            10 - (0..4)
                .map(|j| usize::from((self.0 >> (3 * j)) & 0b111))
                .sum::<usize>()
        };
        Livelihood::ALL[index]
    }

    /// The first choice.
    #[inline]
    pub fn first(&self) -> Livelihood {
        self.at(0)
    }

    /// The best option other than `closed`.
    pub fn best_except(&self, closed: Livelihood) -> Livelihood {
        self.options()
            .find(|&k| k != closed)
            .unwrap_or(Livelihood::None)
    }

    /// The open options, best first.
    pub fn options(&self) -> impl Iterator<Item = Livelihood> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }
}

impl std::fmt::Debug for Ranking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.options()).finish()
    }
}

/// Whether a household reviews its livelihood this year (inertia, MODEL.md
/// §3.2): forced when last year's state was `none`, its job ended early
/// last year, or it was below the monitoring line last year; otherwise when
/// its one Uniform(0, 1) draw of the year is below `p_review`. The draw is
/// made whatever the reason, so that a household's draws do not depend on
/// its history.
pub fn reviews(h: &Household, ys: &Year, rng: &mut Stream) -> bool {
    let draw = rng.uniform();
    h.state == Livelihood::None || h.lost_job() || h.at_risk() || draw < ys.decision.p_review
}

/// This year's choice before market clearing: a household that reviews
/// takes its first-ranked option; one that does not stays in last year's
/// state (always open to it: land never changes, and a household that was
/// `none` reviews). A household without laborers is `none` either way.
pub fn choose(h: &Household, ranking: &Ranking, reviewed: bool) -> Livelihood {
    if reviewed || ranking.len() <= 1 {
        ranking.first()
    } else {
        h.state
    }
}

/// Whether this year's ranking is ever read: by a household that reviews
/// (it takes the first option), or one that stays `local` (it falls back
/// along the ranking if it gets no job, §3.3). A household that stays in
/// outbound work, farming or mixed never reads it, so its utilities need
/// not be computed: its taste shocks are in its own `Choice` stream, which
/// nothing else draws from, so skipping them changes no other draw.
pub fn ranking_matters(h: &Household, reviewed: bool) -> bool {
    reviewed || h.state == Livelihood::Local
}

/// The whole decision: the household's ranking of its open options.
pub fn decide(
    h: &Household,
    m: &Members,
    around: &Surroundings,
    ys: &Year,
    rng: &mut Stream,
) -> Ranking {
    if m.laborers == 0 {
        return Ranking::NONE_ONLY;
    }
    let open = open_options(h, m);
    let v = utilities(h, m, around, h.state, h.lost_job(), ys, &open);
    // One shock per open option, in livelihood order.
    let mut eps = [0.0; 5];
    for (e, _) in eps.iter_mut().zip(open).filter(|(_, o)| *o) {
        *e = rng.gumbel();
    }
    Ranking::new(&v, &eps, &open)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::demography::members;
    use crate::params::Scenario;

    fn setup() -> (Scenario, Year) {
        let s = Scenario::default();
        let ys = Year::resolve(&s, 0);
        (s, ys)
    }

    #[test]
    fn expected_incomes_follow_the_formulas() {
        let (_, ys) = setup();
        let h = Household::new(&[40, 38, 10], 0, 0.2, 2.0, 0.5, Livelihood::Farm);
        let m = members(&h, 18, 0);
        let around = Surroundings {
            village_outbound_share: 0.4,
            distance_km: 50.0,
        };
        let y = expected_incomes(&h, &m, &around, &ys);
        let sf = 1.1;
        let out = 2.0 * (3800.0 * sf - 1500.0) * (10.0 - 0.8) * (1.0 - 0.02) * 0.92;
        assert!((y[0] - out).abs() < 1e-6, "{} vs {out}", y[0]);
        assert!((y[1] - 2.0 * 2600.0 * sf * 9.0).abs() < 1e-6);
        let crop = 2.0 * 1200.0 * 1.1 + 2.0 * 150.0;
        assert!((y[2] - (crop + 16_000.0 - 1000.0)).abs() < 1e-6);
        assert!((y[3] - (0.8 * crop + 2.0 * 2600.0 * sf * 5.0)).abs() < 1e-6);
        assert_eq!(y[4], EXPECTED_INCOME_FLOOR);
    }

    #[test]
    fn p_find_falls_with_age_to_floor() {
        let (_, ys) = setup();
        assert_eq!(p_find(40, &ys), 0.92);
        assert!((p_find(55, &ys) - (0.92 - 0.15)).abs() < 1e-12);
        assert_eq!(p_find(80, &ys), 0.5);
    }

    #[test]
    fn landless_cannot_farm_and_no_laborer_is_none() {
        let h = Household::new(&[30], 0, 0.2, 0.0, 0.5, Livelihood::Local);
        let m = members(&h, 18, 0);
        assert_eq!(open_options(&h, &m), [true, true, false, false, true]);
        let old = Household::new(&[70], 0, 0.2, 3.0, 0.5, Livelihood::Farm);
        let m = members(&old, 18, 0);
        assert_eq!(open_options(&old, &m), [false, false, false, false, true]);
    }

    #[test]
    fn ranking_orders_open_options_and_falls_back() {
        let v = [1.0, 3.0, 2.0, 0.0, -1.0];
        let eps = [0.0; 5];
        let r = Ranking::new(&v, &eps, &[true, true, false, true, true]);
        assert_eq!(
            r.options().collect::<Vec<_>>(),
            [
                Livelihood::Local,
                Livelihood::Outbound,
                Livelihood::Mixed,
                Livelihood::None
            ]
        );
        assert_eq!(r.best_except(Livelihood::Local), Livelihood::Outbound);
    }

    /// Every order of every set of open options survives the packing.
    #[test]
    fn ranking_packs_every_order_of_every_open_set() {
        let mut checked = 0;
        for mask in 1u32..32 {
            let open: [bool; 5] = std::array::from_fn(|k| mask & (1 << k) != 0);
            let n = open.iter().filter(|&&o| o).count();
            // Utilities from each permutation of 0..5 give each order once.
            let mut perm = [0usize, 1, 2, 3, 4];
            loop {
                let v: [f64; 5] = std::array::from_fn(|k| perm[k] as f64);
                let r = Ranking::new(&v, &[0.0; 5], &open);
                let mut expected: Vec<Livelihood> = Livelihood::ALL
                    .into_iter()
                    .filter(|k| open[k.index()])
                    .collect();
                expected.sort_by(|a, b| v[b.index()].total_cmp(&v[a.index()]));
                assert_eq!(r.options().collect::<Vec<_>>(), expected, "{open:?} {v:?}");
                assert_eq!(r.len(), n);
                assert_eq!(r.first(), expected[0]);
                checked += 1;
                if !next_permutation(&mut perm) {
                    break;
                }
            }
        }
        assert_eq!(checked, 31 * 120);
        assert_eq!(
            Ranking::kept(Livelihood::Mixed)
                .options()
                .collect::<Vec<_>>(),
            [Livelihood::Mixed]
        );
        assert_eq!(
            Ranking::NONE_ONLY.options().collect::<Vec<_>>(),
            [Livelihood::None]
        );
    }

    fn next_permutation(p: &mut [usize; 5]) -> bool {
        let Some(i) = (0..4).rev().find(|&i| p[i] < p[i + 1]) else {
            return false;
        };
        let j = (i + 1..5)
            .rev()
            .find(|&j| p[j] > p[i])
            .expect("a larger element");
        p.swap(i, j);
        p[i + 1..].reverse();
        true
    }

    #[test]
    fn switching_cost_favours_last_state() {
        let (s, ys) = setup();
        let h = Household::new(&[40], 0, 0.2, 2.0, 0.5, Livelihood::Local);
        let m = members(&h, 18, 0);
        let around = Surroundings {
            village_outbound_share: 0.0,
            distance_km: 50.0,
        };
        let all = [true; 5];
        let stay = utilities(&h, &m, &around, Livelihood::Local, false, &ys, &all);
        let moved = utilities(&h, &m, &around, Livelihood::Farm, false, &ys, &all);
        assert!((stay[1] - moved[1] - s.decision.kappa).abs() < 1e-12);
    }
}
