//! The engine: the households in id order and the year loop.
//!
//! Each step runs the phases of MODEL.md §3 in order. Phases that are a
//! household's own business (demography and decision; job search, income
//! and poverty; learning) are parallel maps over the households; market
//! clearing and training offers are per site, sites in parallel, each
//! returning its assignments, which are then written back in site order.
//! No worker writes shared state, and every draw comes from the household's
//! (or site's) own stream, so results do not depend on the thread count.
//! Aggregates are summed over fixed chunks of households and the chunk sums
//! are added in chunk order.

use crate::cohorts::CohortYear;
use crate::costs::CostTally;
use crate::model::decision::{self, Surroundings};
use crate::model::demography;
use crate::model::market::{self, JobApplicant, PlacementApplicant};
use crate::model::{
    Household, HouseholdYear, Households, Livelihood, SurveyFacts, poverty, settle,
};
use crate::params::{Params, Scenario};
use crate::params::{Year, capacity};
use crate::record::{
    ALL_GROUP, GROUPS, Observation, Tally, WeightedIncome, YearRecord, weighted_median,
};
use crate::rng::{EntityKey, Purpose, RunKey, SETUP_YEAR, Stream, YearKey};
use crate::run::YearObserver;
use crate::selection;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use std::sync::OnceLock;

/// Households per chunk of the fixed-order reduction. Part of the
/// reproducibility contract: the float sums depend on it.
pub const CHUNK: usize = 4096;

/// The origin villages (global village order).
#[derive(Debug, Clone)]
struct Villages {
    /// Households alive this year that were in outbound work last year.
    outbound: Vec<u32>,
    /// Households of the village alive this year.
    households: Vec<u32>,
    /// Distance to the village's site, km.
    distance: Vec<f64>,
}

/// §3.1 for one household: age, die, give birth, fall sick, count the
/// members' roles. A household whose last member dies is dissolved: it
/// leaves the population (its jobs and placement are freed) and takes part
/// in nothing from now on.
fn household_demography(
    h: &mut Household,
    y: &mut HouseholdYear,
    died: u8,
    entity: EntityKey,
    ys: &Year,
) {
    y.set_dissolved(false);
    y.births = 0;
    y.deaths = 0;
    if !h.alive() {
        return;
    }
    y.last_state = h.state;
    y.set_poor_last_year(h.poor());
    y.jobs = [0; 3];
    y.set_placed(false);
    y.set_trained(false);
    y.set_reviewed(false);
    demography::age_one_year(h);
    // `died` was drawn by `prepare_surroundings` at the start of the year.
    y.deaths = died.count_ones() as u8;
    if demography::remove_members(h, died) {
        h.set_alive(false);
        h.jobs = [0; 3];
        h.set_placed(false);
        y.set_dissolved(true);
        y.births = 0;
        y.members = demography::Members::default();
        return;
    }
    y.births = u8::from(demography::birth(h, ys, &mut entity.stream(Purpose::Birth)));
    let (sick, oop) = demography::sickness(h, ys, &mut entity.stream(Purpose::Sickness));
    y.members = demography::members(h, ys.work_age, sick);
    y.medical_oop = oop;
}

/// This year's deaths of a household alive at the start of the year, drawn
/// before it ages (at the ages it will have): the village counts of the
/// decision need to know who survives before anyone decides.
fn foreseen_deaths(h: &Household, key: YearKey, ys: &Year) -> u8 {
    if !h.alive() || ys.demography.mortality_a <= 0.0 {
        return 0;
    }
    let mut rng = key.entity(u64::from(h.id)).stream(Purpose::Mortality);
    demography::deaths(h, 1, ys, &mut rng)
}

/// The distance a household farms from: its own (from a population file),
/// else its origin village's.
#[derive(Clone, Copy)]
struct Distances<'a> {
    survey: &'a SurveyFacts,
    village: &'a [f64],
}

impl<'a> Distances<'a> {
    fn new(survey: &'a SurveyFacts, village: &'a [f64]) -> Self {
        Distances { survey, village }
    }

    #[inline]
    fn of(&self, h: &Household) -> f64 {
        self.survey
            .own_distance(h.id)
            .unwrap_or_else(|| self.village[h.village as usize])
    }
}

/// §3.2 for one household: review or not, rank its open livelihoods
/// where the ranking is read, and choose.
fn household_decision(
    h: &Household,
    y: &mut HouseholdYear,
    entity: EntityKey,
    villages: &Villages,
    distances: Distances<'_>,
    ys: &Year,
) {
    if !h.alive() {
        return;
    }
    y.set_reviewed(decision::reviews(
        h,
        ys,
        &mut entity.stream(Purpose::Review),
    ));
    y.ranking = if decision::ranking_matters(h, y.reviewed()) {
        let v = h.village as usize;
        let around = Surroundings {
            village_outbound_share: f64::from(villages.outbound[v])
                / f64::from(villages.households[v].max(1)),
            distance_km: distances.of(h),
        };
        decision::decide(
            h,
            &y.members,
            &around,
            ys,
            &mut entity.stream(Purpose::Choice),
        )
    } else if y.members.laborers == 0 {
        decision::Ranking::NONE_ONLY
    } else {
        decision::Ranking::kept(h.state)
    };
    y.choice = decision::choose(h, &y.ranking, y.reviewed());
}

/// §3.5 skill learning for one household, from its skill at the start of
/// the year.
#[inline]
fn learn_one(h: &mut Household, y: &HouseholdYear, ys: &Year) {
    if h.alive() {
        h.skill = poverty::learn(h.skill, h.state.is_wage_work(), y.trained(), ys);
    }
}

/// A resettlement site: its households and its laborers at the start.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Its households' positions in the engine (site by site, so a site's
    /// households are contiguous, in id order).
    pub range: std::ops::Range<usize>,
    /// Laborers at the initial ages, nobody sick: the base of capacities.
    pub laborers0: u64,
}

/// Each site with its block of households and their year records.
fn site_blocks<'a>(
    sites: &'a [Site],
    households: &'a [Household],
    year: &'a mut [HouseholdYear],
) -> Vec<(&'a Site, &'a [Household], &'a mut [HouseholdYear])> {
    let mut blocks = Vec::with_capacity(sites.len());
    let mut rest = year;
    let mut offset = 0;
    for site in sites {
        let (block, tail) = std::mem::take(&mut rest).split_at_mut(site.range.end - offset);
        blocks.push((site, &households[site.range.clone()], block));
        rest = tail;
        offset = site.range.end;
    }
    blocks
}

/// Clear one site's local jobs, then its placements (MODEL.md §3.3), and
/// write the outcomes into its households' year records.
fn clear_site(site: &Site, hs: &[Household], yrs: &mut [HouseholdYear], key: YearKey, ys: &Year) {
    let targeting = ys.target_at_risk;
    let placements = capacity(ys.placements_share, site.laborers0);
    // Room for every household: growing the vectors copied them again and
    // again (the memory is only touched as applicants are added).
    let mut local: Vec<JobApplicant> = Vec::with_capacity(hs.len());
    let mut outbound: Vec<PlacementApplicant> = Vec::with_capacity(hs.len());
    let placement = |j: usize, h: &Household, y: &HouseholdYear| PlacementApplicant {
        household: h.id,
        slot: j as u32,
        laborers: y.members.laborers,
        incumbent: h.placed() && !h.placement_lost(),
        poor_last_year: y.poor_last_year(),
        key: key
            .entity(u64::from(h.id))
            .stream(Purpose::PlacementLottery)
            .uniform(),
        placed: false,
    };
    for (j, (h, y)) in hs.iter().zip(yrs.iter()).enumerate() {
        if !h.alive() {
            continue;
        }
        match y.choice {
            Livelihood::Local => local.push(JobApplicant {
                household: h.id,
                slot: j as u32,
                laborers: y.members.laborers,
                firm_qualified: h.skill >= ys.s_min_firm,
                held: h.jobs,
                incumbent: y.last_state == Livelihood::Local && !h.local_job_lost(),
                poor_last_year: y.poor_last_year(),
                key: key
                    .entity(u64::from(h.id))
                    .stream(Purpose::LocalLottery)
                    .uniform(),
                assigned: [0; 3],
            }),
            Livelihood::Outbound if placements > 0 => outbound.push(placement(j, h, y)),
            _ => {}
        }
    }
    let local_capacity = [
        capacity(ys.firm_jobs_share, site.laborers0),
        capacity(ys.workshop_jobs_share, site.laborers0),
        capacity(ys.informal_jobs_share, site.laborers0),
    ];
    market::clear_local_jobs(&mut local, local_capacity, targeting);
    for a in &local {
        let j = a.slot as usize;
        let y = &mut yrs[j];
        y.jobs = a.assigned;
        if a.assigned == [0; 3] {
            y.choice = y.ranking.best_except(Livelihood::Local);
            if y.choice == Livelihood::Outbound && placements > 0 {
                outbound.push(placement(j, &hs[j], y));
            }
        }
    }
    if placements > 0 {
        market::clear_placements(&mut outbound, placements, targeting);
        for a in outbound.iter().filter(|a| a.placed) {
            yrs[a.slot as usize].set_placed(true);
        }
    }
}

/// One replicate's simulation state.
#[derive(Clone)]
pub struct Engine<'s> {
    scenario: &'s Scenario,
    key: RunKey,
    households: Vec<Household>,
    year: Vec<HouseholdYear>,
    /// Position of household `id` in `households`, built on first use (only
    /// lookups by id need it, and it would add 4 bytes a household to every
    /// run).
    position: OnceLock<Vec<u32>>,
    sites: Vec<Site>,
    villages: Villages,
    /// This year's harvest factor of each village (its site's).
    harvest: Vec<f64>,
    median_scratch: MedianScratch,
    /// This year's deaths of each household (bit `j` for member `j`), in
    /// engine order, drawn at the start of the year.
    death_masks: Vec<u8>,
    /// Cohort years followed (ascending), each with its households' groups
    /// once the year has been stepped (see [`follow_cohorts`](Self::follow_cohorts)).
    cohorts: Vec<(i32, Option<Vec<u8>>)>,
    /// The cohorts' records of the last step.
    cohort_records: Vec<CohortYear>,
    /// The population file's weights and own distances, by id.
    survey: SurveyFacts,
    /// Every household has weight 1 (a synthetic population): medians are
    /// plain selections.
    unit_weights: bool,
    t: u32,
}

impl<'s> Engine<'s> {
    /// Set up a replicate with its households at relocation, given in id
    /// order (household `i` gets id `i`), with survey facts (if any) for
    /// each. Households' sites and villages must be within the scenario's
    /// counts (the population builders guarantee both). The engine keeps
    /// them site by site, so that each site's market reads and writes one
    /// contiguous block of memory.
    pub fn new(
        params: &'s Params,
        households: impl Into<Households>,
        seed: u64,
        replicate: u32,
    ) -> Self {
        let Households {
            mut households,
            survey,
        } = households.into();
        let scenario = params.scenario();
        for (i, h) in households.iter_mut().enumerate() {
            h.id = i as u32;
        }
        let p = &scenario.population;
        let per_site = p.villages_per_site;
        // (site, id) is unique, so the unstable sort is deterministic and
        // needs no scratch buffer; ids ascend within a site. The key is one
        // integer, its site read from a table of the villages: a division
        // at every comparison was most of the cost of setting up a
        // national run.
        let site_of_village: Vec<u64> = (0..p.sites * per_site.max(1))
            .map(|v| u64::from(v / per_site.max(1)))
            .collect();
        households.par_sort_unstable_by_key(|h| {
            site_of_village[h.village as usize] << 32 | u64::from(h.id)
        });
        let villages = (p.sites * p.villages_per_site) as usize;
        let village_distance = (0..villages)
            .map(|v| {
                let mut rng = Stream::new(
                    seed,
                    replicate,
                    v as u64,
                    SETUP_YEAR,
                    Purpose::VillageDistance,
                );
                p.distance_min_km + (p.distance_max_km - p.distance_min_km) * rng.uniform()
            })
            .collect();
        let mut sites = vec![Site::default(); p.sites as usize];
        let work_age = scenario.economy.work_age as u8;
        let mut pos = 0;
        for (k, site) in sites.iter_mut().enumerate() {
            let len = households[pos..]
                .iter()
                .take_while(|h| h.site(per_site) as usize == k)
                .count();
            site.range = pos..pos + len;
            pos += len;
        }
        for h in &households {
            let site = &mut sites[h.site(per_site) as usize];
            site.laborers0 += h
                .member_ages()
                .iter()
                .filter(|a| (work_age..=crate::model::constants::LAST_WORK_AGE).contains(a))
                .count() as u64;
        }
        let n = households.len();
        let unit_weights = survey.unit_weights();
        Engine {
            scenario,
            key: RunKey::new(seed, replicate),
            year: vec![HouseholdYear::default(); n],
            households,
            position: OnceLock::new(),
            sites,
            villages: Villages {
                outbound: vec![0; villages],
                households: vec![0; villages],
                distance: village_distance,
            },
            harvest: Vec::new(),
            median_scratch: MedianScratch::default(),
            death_masks: vec![0; n],
            cohorts: Vec::new(),
            cohort_records: Vec::new(),
            survey,
            unit_weights,
            t: 0,
        }
    }

    /// The households (after a step: that year's states), site by site;
    /// `household_years()` is in the same order. Use [`household`](Self::household)
    /// or [`by_id`](Self::by_id) for id order.
    pub fn households(&self) -> &[Household] {
        &self.households
    }

    /// What happened to each household in the last step, in the order of
    /// [`households`](Self::households).
    pub fn household_years(&self) -> &[HouseholdYear] {
        &self.year
    }

    /// Household `id` and what happened to it in the last step.
    pub fn household(&self, id: u32) -> Option<(&Household, &HouseholdYear)> {
        let pos = *self.positions().get(id as usize)? as usize;
        Some((&self.households[pos], &self.year[pos]))
    }

    /// Every household alive this year with its year, in id order
    /// (dissolved households are in no output of their year or later).
    pub fn by_id(&self) -> impl Iterator<Item = (&Household, &HouseholdYear)> {
        self.positions()
            .iter()
            .map(|&pos| (&self.households[pos as usize], &self.year[pos as usize]))
            .filter(|(h, _)| h.alive())
    }

    /// Each household's position in [`households`](Self::households), by id.
    fn positions(&self) -> &[u32] {
        self.position.get_or_init(|| {
            let mut position = vec![0u32; self.households.len()];
            for (pos, h) in self.households.iter().enumerate() {
                position[h.id as usize] = pos as u32;
            }
            position
        })
    }

    /// The resettlement site of a household of this engine.
    pub fn site_of(&self, h: &Household) -> u32 {
        h.site(self.scenario.population.villages_per_site)
    }

    /// The sites.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u32 {
        self.t
    }

    /// The population file's weights and own distances, by household id.
    pub fn survey(&self) -> &SurveyFacts {
        &self.survey
    }

    /// Distance of each village to its site, km (global village order).
    pub fn village_distances(&self) -> &[f64] {
        &self.villages.distance
    }

    /// Run one year and return its aggregates.
    pub fn step(&mut self) -> YearRecord {
        // The phases' parallel loops, started from a thread outside the
        // pool (a benchmark's or a library user's main thread), would each
        // hand their work to the pool and sleep until it is done: about
        // fifteen sleeps and wake-ups a year, a sixth of the time of a
        // 10,000-household step (BENCHMARKS.md). Run the whole year on one of the pool's
        // threads instead (on a thread of the pool this runs in place).
        rayon::scope(|_| self.step_in_pool())
    }

    fn step_in_pool(&mut self) -> YearRecord {
        let ys = self.begin_year();
        self.demography_and_decision(&ys);
        self.clear_markets(&ys);
        self.earn(&ys);
        self.train(&ys);
        let record = self.learn_and_aggregate(&ys);
        self.t += 1;
        record
    }

    /// Follow the cohorts of `years` (MODEL.md §6; `start_year − 1` is the
    /// initial state): from the step after each cohort year on,
    /// [`cohort_records`](Self::cohort_records) holds their metrics,
    /// computed in the same pass over the households as the year's record.
    /// Call it before the first step.
    pub fn follow_cohorts(&mut self, years: &[i32]) {
        let mut years = years.to_vec();
        years.sort_unstable();
        years.dedup();
        self.cohorts = years.into_iter().map(|y| (y, None)).collect();
    }

    /// The metrics of the followed cohorts in the last step's year, in
    /// cohort-year order (only cohorts formed before that year).
    pub fn cohort_records(&self) -> &[CohortYear] {
        &self.cohort_records
    }

    /// Phase 0 of [`step`](Self::step): this year's settings, last year's
    /// village outbound shares and this year's harvests. The phases are
    /// public so that benchmarks can time each alone; [`step`](Self::step)
    /// runs them in order.
    pub fn begin_year(&mut self) -> Year {
        let ys = Year::resolve(self.scenario, self.t);
        self.prepare_surroundings(&ys);
        ys
    }

    /// The villages' households alive this year and, of them, those in
    /// outbound work last year (the chain-migration share `n_v`); and this
    /// year's harvests.
    fn prepare_surroundings(&mut self, ys: &Year) {
        // A site's villages are the contiguous block `site × villages_per_site
        // ..`, and only its own households live in them, so each site counts
        // into its own block: no task holds a copy of every village's counter
        // (a million sites of thousands of villages would need gigabytes per
        // copy), and the counts are exact integers in any order.
        // This year's deaths are drawn here, once, and kept for the
        // demography phase.
        let per_site = self.scenario.population.villages_per_site as usize;
        let first_village = |site: usize| site * per_site;
        let key = self.key.at_year(self.t);
        // One byte a household, apart from the year records: writing a
        // byte into every 32-byte year record would stream them all once more.
        let mut masks: Vec<(&[Household], &mut [u8])> = Vec::with_capacity(self.sites.len());
        let mut rest = self.death_masks.as_mut_slice();
        for site in &self.sites {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(site.range.len());
            masks.push((&self.households[site.range.clone()], mine));
            rest = tail;
        }
        self.villages
            .outbound
            .par_chunks_mut(per_site.max(1))
            .zip(self.villages.households.par_chunks_mut(per_site.max(1)))
            .zip(masks.into_par_iter())
            .enumerate()
            .for_each(|(k, ((outbound, alive), (hs, masks)))| {
                outbound.fill(0);
                alive.fill(0);
                for (h, mask) in hs.iter().zip(masks.iter_mut()) {
                    *mask = foreseen_deaths(h, key, ys);
                    if h.alive() && mask.count_ones() < u32::from(h.size) {
                        let v = h.village as usize - first_village(k);
                        alive[v] += 1;
                        outbound[v] += u32::from(h.state == Livelihood::Outbound);
                    }
                }
            });
        let sd = ys.economy.harvest_sd;
        // One draw a site, stored for each of its villages, so that a
        // household finds its harvest by its village alone.
        self.harvest.clear();
        for site in 0..self.sites.len() as u32 {
            let mut rng = self
                .key
                .entity(u64::from(site), self.t)
                .stream(Purpose::Harvest);
            let z: f64 = StandardNormal.sample(&mut rng);
            let harvest = ((1.0 + sd * z) * ys.drought_factor(site)).max(0.0);
            self.harvest.extend(std::iter::repeat_n(harvest, per_site));
        }
    }

    /// §3.1: ageing, sickness and medical costs, a household at a time.
    /// ([`step`](Self::step) fuses this pass with [`decide`](Self::decide).)
    pub fn demography(&mut self, ys: &Year) {
        let (key, t) = (self.key, self.t);
        self.households
            .par_iter_mut()
            .zip(self.year.par_iter_mut())
            .zip(self.death_masks.par_iter())
            .for_each(|((h, y), &died)| {
                household_demography(h, y, died, key.entity(u64::from(h.id), t), ys)
            });
    }

    /// §3.2: every household ranks its open livelihoods.
    pub fn decide(&mut self, ys: &Year) {
        let (key, t) = (self.key, self.t);
        let villages = &self.villages;
        let distances = Distances::new(&self.survey, &villages.distance);
        self.households
            .par_iter()
            .zip(self.year.par_iter_mut())
            .for_each(|(h, y)| {
                let entity = key.entity(u64::from(h.id), t);
                household_decision(h, y, entity, villages, distances, ys)
            });
    }

    /// §3.1 then §3.2 in one pass over the households (one sweep through
    /// memory instead of two).
    pub fn demography_and_decision(&mut self, ys: &Year) {
        let (key, t) = (self.key, self.t);
        let villages = &self.villages;
        let distances = Distances::new(&self.survey, &villages.distance);
        self.households
            .par_iter_mut()
            .zip(self.year.par_iter_mut())
            .zip(self.death_masks.par_iter())
            .for_each(|((h, y), &died)| {
                let entity = key.entity(u64::from(h.id), t);
                household_demography(h, y, died, entity, ys);
                household_decision(h, y, entity, villages, distances, ys);
            });
    }

    /// §3.3 steps 1 and 2: each site's markets, sites in parallel, each
    /// reading and writing only its own block of households.
    pub fn clear_markets(&mut self, ys: &Year) {
        let (key, t) = (self.key, self.t);
        let blocks = site_blocks(&self.sites, &self.households, &mut self.year);
        blocks
            .into_par_iter()
            .for_each(|(site, hs, yrs)| clear_site(site, hs, yrs, key.at_year(t), ys));
    }

    /// §3.3 step 3 (job search), §3.4 (income) and §3.5 (poverty).
    pub fn earn(&mut self, ys: &Year) {
        let (key, t) = (self.key, self.t);
        let harvest = &self.harvest;
        let distances = Distances::new(&self.survey, &self.villages.distance);
        self.households
            .par_iter_mut()
            .zip(self.year.par_iter_mut())
            .filter(|(h, _)| h.alive())
            .for_each(|(h, y)| {
                let entity = key.entity(u64::from(h.id), t);
                let harvest = harvest[h.village as usize];
                let distance = distances.of(h);
                settle(h, y, harvest, distance, ys, entity);
            });
    }

    /// §3.5 training: a simple random sample of the site's local and none
    /// households is offered the slots (the smallest offer keys), and each
    /// takes it up or declines.
    pub fn train(&mut self, ys: &Year) {
        if ys.training_share <= 0.0 {
            return;
        }
        let (key, t) = (self.key, self.t);
        let blocks = site_blocks(&self.sites, &self.households, &mut self.year);
        blocks.into_par_iter().for_each(|(_, hs, yrs)| {
            let alive = hs.iter().filter(|h| h.alive()).count();
            let slots = poverty::training_slots(alive, ys);
            if slots == 0 {
                return;
            }
            let mut eligible: Vec<(f64, u32)> = hs
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    h.alive() && matches!(h.state, Livelihood::Local | Livelihood::None)
                })
                .map(|(j, h)| {
                    let offer = key
                        .entity(u64::from(h.id), t)
                        .stream(Purpose::TrainingOffer);
                    (offer.clone().uniform(), j as u32)
                })
                .collect();
            if eligible.len() > slots {
                // Ids ascend with positions in a block, so ties go by id.
                eligible
                    .select_nth_unstable_by(slots, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                eligible.truncate(slots);
            }
            for (_, j) in eligible {
                let h = &hs[j as usize];
                let p = poverty::take_up_probability(h.skill, ys);
                if key
                    .entity(u64::from(h.id), t)
                    .stream(Purpose::TrainingTakeUp)
                    .bernoulli(p)
                {
                    yrs[j as usize].set_trained(true);
                }
            }
        });
    }

    /// §3.5 skill learning, from the skill at the start of the year.
    pub fn learn(&mut self, ys: &Year) {
        self.households
            .par_iter_mut()
            .zip(self.year.par_iter())
            .filter(|(h, _)| h.alive())
            .for_each(|(h, y)| learn_one(h, y, ys));
    }

    /// The year's aggregates (MODEL.md §6), summed in a fixed order: each
    /// household alive this year in the row of its state, each household
    /// dissolved this year in the `dissolved` of last year's state.
    /// The followed cohorts' records of the year are computed in the same
    /// pass ([`cohort_records`](Self::cohort_records)).
    pub fn aggregate(&mut self, ys: &Year) -> YearRecord {
        self.aggregate_learning(ys, false)
    }

    /// [`learn`](Self::learn) then [`aggregate`](Self::aggregate) in one
    /// pass over the households (the tally does not read the skill).
    pub fn learn_and_aggregate(&mut self, ys: &Year) -> YearRecord {
        self.aggregate_learning(ys, true)
    }

    fn aggregate_learning(&mut self, ys: &Year, learn: bool) -> YearRecord {
        let year = ys.year;
        if self.t == 0 {
            // The initial state is last year's state of the first step, for
            // every household (all were alive at relocation).
            let initial: Vec<u8> = self
                .year
                .iter()
                .map(|y| y.last_state.index() as u8)
                .collect();
            for (c, groups) in &mut self.cohorts {
                if *c == year - 1 {
                    *groups = Some(initial.clone());
                }
            }
        }
        let formed: Vec<(i32, &[u8])> = self
            .cohorts
            .iter()
            .filter(|(c, _)| *c < year)
            .filter_map(|(c, g)| Some((*c, g.as_deref()?)))
            .collect();
        let mut groupings: Vec<Option<&[u8]>> = vec![None];
        groupings.extend(formed.iter().map(|(_, g)| Some(*g)));
        let pass = Pass {
            households: &mut self.households,
            years: &self.year,
            learn: learn.then_some(ys),
            ys,
            distances: Distances::new(&self.survey, &self.villages.distance),
            survey: &self.survey,
        };
        let mut records = if self.unit_weights {
            aggregate_groupings(pass, year, &groupings, &mut self.median_scratch.plain)
        } else {
            aggregate_groupings(pass, year, &groupings, &mut self.median_scratch.weighted)
        };
        let cohort_years: Vec<i32> = formed.iter().map(|(c, _)| *c).collect();
        self.cohort_records = records
            .drain(1..)
            .zip(cohort_years)
            .map(|(record, cohort_year)| CohortYear {
                cohort_year,
                record,
            })
            .collect();
        // A cohort formed this year is grouped by this year's states, which
        // the tally pass has just written down.
        let states = if self.unit_weights {
            &self.median_scratch.plain.states
        } else {
            &self.median_scratch.weighted.states
        };
        for (c, groups) in &mut self.cohorts {
            if *c == year {
                *groups = Some(states.clone());
            }
        }
        records.remove(0)
    }

    /// The metrics and lever costs of each site's households by state, in
    /// site order (the per-site rows of `sites.csv` and `site_costs.csv`),
    /// for `year`, the year of the last step. A site's costs are summed in
    /// household order, so the sites' costs add up to the year's only to
    /// rounding.
    pub fn site_records(&self, year: i32) -> Vec<YearRecord> {
        let households = &self.households;
        let years = &self.year;
        let t = u32::try_from(year - self.scenario.run.start_year).unwrap_or(0);
        let ys = Year::resolve(self.scenario, t);
        let distances = Distances::new(&self.survey, &self.villages.distance);
        let survey = &self.survey;
        self.sites
            .par_iter()
            .map(|site| {
                let hs = &households[site.range.clone()];
                let yrs = &years[site.range.clone()];
                let mut tally = Tally::default();
                let mut costs = CostTally::default();
                let mut incomes: [Vec<WeightedIncome>; GROUPS] = Default::default();
                for (h, y) in hs.iter().zip(yrs) {
                    let weight = survey.weight(h.id);
                    costs.add(h, y, weight, distances.of(h), &ys);
                    if let Some(g) = tally_one(&mut tally, h, y, weight, None) {
                        let entry = weighted_income(h, weight);
                        incomes[g].push(entry);
                        incomes[ALL_GROUP].push(entry);
                    }
                }
                let mut medians = [None; GROUPS];
                for (g, values) in incomes.iter_mut().enumerate() {
                    medians[g] = group_median(values, tally.unit_weights(g));
                }
                let mut record = tally.finish(year, medians);
                record.costs = costs.finish(&ys);
                record
            })
            .collect()
    }
}

/// The households an aggregation pass reads, and whether it also runs
/// §3.5's skill learning on them (with this year's settings); the year's
/// settings and the villages' distances, for the lever costs.
struct Pass<'a> {
    households: &'a mut [Household],
    years: &'a [HouseholdYear],
    learn: Option<&'a Year>,
    ys: &'a Year,
    distances: Distances<'a>,
    survey: &'a SurveyFacts,
}

/// The year's records of several groupings of the households (each `None`
/// for by state, or a group a household as in the cohorts), in one pass
/// over the households; the lever costs, counted in the same pass once,
/// go in the records grouped by state.
fn aggregate_groupings<E: MedianEntry>(
    pass: Pass<'_>,
    year: i32,
    groupings: &[Option<&[u8]>],
    scratch: &mut MedianBuffers<E>,
) -> Vec<YearRecord> {
    fn chunk_of(g: &[u8], i: usize) -> &[u8] {
        &g[i * CHUNK..((i + 1) * CHUNK).min(g.len())]
    }
    let n = pass.households.len();
    scratch.entries.resize(n, E::default());
    scratch.states.resize(n, NO_GROUP);
    let learn = pass.learn;
    let (ys, distances, survey) = (pass.ys, pass.distances, pass.survey);
    // Per chunk, one tally a grouping and one of the costs; and each
    // household's median entry and state in compact arrays, so that the
    // medians of every grouping read those (9 bytes a household) and not
    // the households.
    let (tallies, cost_tallies): (Vec<Vec<Tally>>, Vec<CostTally>) = pass
        .households
        .par_chunks_mut(CHUNK)
        .zip(pass.years.par_chunks(CHUNK))
        .zip(scratch.entries.par_chunks_mut(CHUNK))
        .zip(scratch.states.par_chunks_mut(CHUNK))
        .enumerate()
        .map(|(i, (((hs, yrs), entries), states))| {
            let keys: Vec<Option<&[u8]>> = groupings
                .iter()
                .map(|g| g.map(|g| chunk_of(g, i)))
                .collect();
            let mut tallies = vec![Tally::default(); groupings.len()];
            let mut costs = CostTally::default();
            for (j, (h, y)) in hs.iter_mut().zip(yrs).enumerate() {
                let weight = survey.weight(h.id);
                // The observation is made once and counted in every
                // grouping (`tally_one` for each would remake it).
                if y.dissolved() {
                    for (tally, keys) in tallies.iter_mut().zip(&keys) {
                        if let Some(g) = dissolved_group(y, keys.map(|k| k[j])) {
                            tally.add_dissolved(g);
                        }
                    }
                } else if h.alive() {
                    let observation = observation(h, y, weight);
                    for (tally, keys) in tallies.iter_mut().zip(&keys) {
                        if let Some(g) = group_of(h, keys.map(|k| k[j])) {
                            tally.add(&observation, g);
                        }
                    }
                }
                costs.add(h, y, weight, distances.of(h), ys);
                entries[j] = E::of(h, weight);
                states[j] = if h.alive() {
                    h.state.index() as u8
                } else {
                    NO_GROUP
                };
                if let Some(ys) = learn {
                    learn_one(h, y, ys);
                }
            }
            (tallies, costs)
        })
        .unzip();
    let mut costs = CostTally::default();
    for chunk in &cost_tallies {
        costs.merge(chunk);
    }
    let costs = costs.finish(ys);
    // A cohort's `all` is every household alive in its year and still
    // alive, which is every household alive this year (no household is
    // ever added): its median is the year's, found once.
    let mut all_median = None;
    groupings
        .iter()
        .enumerate()
        .map(|(k, &groups)| {
            let chunk_tallies: Vec<Tally> = tallies.iter().map(|t| t[k]).collect();
            let mut total = Tally::default();
            for tally in &chunk_tallies {
                total.merge(tally);
            }
            let known_all = groups.is_some().then_some(all_median).flatten();
            let grouping = Grouping {
                entries: &scratch.entries,
                states: &scratch.states,
                groups,
                tallies: &chunk_tallies,
                total: &total,
                known_all,
            };
            let medians = E::grouping_medians(grouping, &mut scratch.buffer);
            let mut record = total.finish(year, medians);
            if groups.is_none() {
                all_median = Some(medians[ALL_GROUP]);
                record.costs = costs;
            }
            record
        })
        .collect()
}

/// What the medians of one grouping of the households are found from.
struct Grouping<'a, E> {
    /// Each household's median entry, in engine order.
    entries: &'a [E],
    /// Each household's state ([`NO_GROUP`] if not alive).
    states: &'a [u8],
    /// Each household's group, if not by state.
    groups: Option<&'a [u8]>,
    /// The grouping's tallies, by chunk, and their total.
    tallies: &'a [Tally],
    total: &'a Tally,
    /// The median of all, when already known.
    known_all: Option<Option<f64>>,
}

/// Each group's weighted median (MODEL.md §6) of a grouping.
fn weighted_medians(
    grouping: Grouping<'_, WeightedIncome>,
    buffer: &mut Vec<WeightedIncome>,
) -> [Option<f64>; GROUPS] {
    type E = WeightedIncome;
    let Grouping {
        entries,
        states,
        groups,
        tallies,
        total,
        known_all,
    } = grouping;
    // One buffer of incomes laid out group by group (a counting sort by
    // group, filled chunk by chunk in parallel from the tallies' counts):
    // each group's median is a selection in its own range, and the median
    // of all one over the whole buffer.
    let counts = total.households_by_group();
    buffer.clear();
    buffer.resize(counts[ALL_GROUP] as usize, E::default());
    let mut group_slices: Vec<&mut [E]> = Vec::with_capacity(5);
    let mut rest: &mut [E] = buffer.as_mut_slice();
    for &count in &counts[..5] {
        let (group, tail) = std::mem::take(&mut rest).split_at_mut(count as usize);
        group_slices.push(group);
        rest = tail;
    }
    // Per chunk, its share of each group's slice, in chunk order.
    let mut chunk_slices: Vec<[&mut [E]; 5]> = Vec::with_capacity(tallies.len());
    for tally in tallies {
        let counts = tally.households_by_group();
        let mut parts: [&mut [E]; 5] = Default::default();
        for (k, part) in parts.iter_mut().enumerate() {
            let (mine, tail) =
                std::mem::take(&mut group_slices[k]).split_at_mut(counts[k] as usize);
            *part = mine;
            group_slices[k] = tail;
        }
        chunk_slices.push(parts);
    }
    let groups = groups.unwrap_or(states);
    entries
        .par_chunks(CHUNK)
        .zip(states.par_chunks(CHUNK))
        .zip(groups.par_chunks(CHUNK))
        .zip(chunk_slices.into_par_iter())
        .for_each(|(((entries, states), groups), parts)| {
            let mut fill = [0usize; 5];
            for ((entry, &state), &group) in entries.iter().zip(states).zip(groups) {
                if state != NO_GROUP && group != NO_GROUP {
                    let k = usize::from(group);
                    parts[k][fill[k]] = *entry;
                    fill[k] += 1;
                }
            }
        });
    let mut medians = [None; GROUPS];
    {
        let mut slices: Vec<(&mut [E], bool)> = Vec::with_capacity(5);
        let mut rest: &mut [E] = buffer.as_mut_slice();
        for (k, &count) in counts[..5].iter().enumerate() {
            let (group, tail) = std::mem::take(&mut rest).split_at_mut(count as usize);
            slices.push((group, total.unit_weights(k)));
            rest = tail;
        }
        let group_medians: Vec<Option<f64>> = slices
            .into_par_iter()
            .map(|(values, unit)| group_median(values, unit))
            .collect();
        medians[..5].copy_from_slice(&group_medians);
    }
    medians[ALL_GROUP] =
        known_all.unwrap_or_else(|| group_median(buffer, total.unit_weights(ALL_GROUP)));
    medians
}

/// Group marker of a cohort: the household is in no group (it was not
/// alive in the cohort year).
pub const NO_GROUP: u8 = u8::MAX;

/// The group a household alive this year is counted in: its state, or its
/// entry of `key` (none for [`NO_GROUP`] or a household not alive).
#[inline]
fn group_of(h: &Household, key: Option<u8>) -> Option<usize> {
    if !h.alive() {
        return None;
    }
    match key {
        None => Some(h.state.index()),
        Some(NO_GROUP) => None,
        Some(k) => Some(usize::from(k)),
    }
}

/// Count a household in `tally`: one alive this year in its group, one
/// dissolved this year in the `dissolved` of its group (for the grouping by
/// state: last year's). Returns the group of one alive this year.
#[inline]
fn tally_one(
    tally: &mut Tally,
    h: &Household,
    y: &HouseholdYear,
    weight: f64,
    key: Option<u8>,
) -> Option<usize> {
    if y.dissolved() {
        if let Some(g) = dissolved_group(y, key) {
            tally.add_dissolved(g);
        }
        return None;
    }
    let g = group_of(h, key)?;
    tally.add(&observation(h, y, weight), g);
    Some(g)
}

/// The group a household dissolved this year is counted in: last year's
/// state, or its entry of `key` (none for [`NO_GROUP`]).
#[inline]
fn dissolved_group(y: &HouseholdYear, key: Option<u8>) -> Option<usize> {
    match key {
        None => Some(y.last_state.index()),
        Some(NO_GROUP) => None,
        Some(k) => Some(usize::from(k)),
    }
}

/// What the tally counts of a household alive this year.
#[inline]
fn observation(h: &Household, y: &HouseholdYear, weight: f64) -> Observation {
    Observation {
        state: h.state,
        last_state: y.last_state,
        size: h.size,
        laborers: y.members.laborers,
        weight,
        income_pc: h.income_pc,
        poor: h.poor(),
        poor_last_year: y.poor_last_year(),
        at_risk: y.at_risk(),
        dibao: y.dibao(),
        ever_poor: h.ever_poor(),
    }
}

/// Scratch buffers of the medians: plain incomes when every household has
/// weight 1 (a radix selection over 8-byte values in engine order), else
/// incomes with their ids and weights (copied group by group).
#[derive(Debug, Clone, Default)]
pub struct MedianScratch {
    plain: MedianBuffers<f64>,
    weighted: MedianBuffers<WeightedIncome>,
}

/// The buffers of one kind of median entry.
#[derive(Debug, Clone, Default)]
struct MedianBuffers<E> {
    /// Each household's entry, in engine order.
    entries: Vec<E>,
    /// Each household's state, [`NO_GROUP`] if not alive.
    states: Vec<u8>,
    /// The entries of a grouping, group by group (weighted entries only).
    buffer: Vec<E>,
}

/// An entry of a median buffer.
trait MedianEntry: Copy + Default + Send + Sync {
    fn of(h: &Household, weight: f64) -> Self;
    /// Each group's median of a grouping; `buffer` is scratch.
    fn grouping_medians(
        grouping: Grouping<'_, Self>,
        buffer: &mut Vec<Self>,
    ) -> [Option<f64>; GROUPS];
}

impl MedianEntry for f64 {
    #[inline]
    fn of(h: &Household, _: f64) -> f64 {
        h.income_pc
    }
    fn grouping_medians(g: Grouping<'_, f64>, _: &mut Vec<f64>) -> [Option<f64>; GROUPS] {
        let counts = g.total.households_by_group();
        let groups = g.groups.unwrap_or(g.states);
        let skip_all = g.known_all.is_some();
        let mut medians = selection::group_medians(g.entries, g.states, groups, &counts, skip_all);
        if let Some(all) = g.known_all {
            medians[ALL_GROUP] = all;
        }
        medians
    }
}

impl MedianEntry for WeightedIncome {
    #[inline]
    fn of(h: &Household, weight: f64) -> WeightedIncome {
        weighted_income(h, weight)
    }
    fn grouping_medians(
        grouping: Grouping<'_, WeightedIncome>,
        buffer: &mut Vec<WeightedIncome>,
    ) -> [Option<f64>; GROUPS] {
        weighted_medians(grouping, buffer)
    }
}

#[inline]
fn weighted_income(h: &Household, weight: f64) -> WeightedIncome {
    WeightedIncome {
        income: h.income_pc,
        id: h.id,
        weight,
    }
}

/// A group's median: by selection when every weight is 1 (the same value
/// as the weighted rule, faster), else the weighted median.
fn group_median(values: &mut [WeightedIncome], unit_weights: bool) -> Option<f64> {
    if !unit_weights {
        return weighted_median(values);
    }
    let n = values.len();
    if n == 0 {
        return None;
    }
    let by_income = |a: &WeightedIncome, b: &WeightedIncome| a.income.total_cmp(&b.income);
    let (lower, upper, _) = values.select_nth_unstable_by(n / 2, by_income);
    let upper = upper.income;
    if n % 2 == 1 {
        return Some(upper);
    }
    let below = lower
        .iter()
        .map(|v| v.income)
        .max_by(f64::total_cmp)
        .unwrap_or(upper);
    Some((below + upper) / 2.0)
}

/// Run a replicate through all the scenario's years, calling `on_year`
/// after each step (for progress bars and household panels).
pub fn run_replicate(
    params: &Params,
    households: impl Into<Households>,
    seed: u64,
    replicate: u32,
    mut on_year: impl FnMut(&Engine, &YearRecord),
) -> Vec<YearRecord> {
    run_replicate_observed(params, households, seed, replicate, &mut on_year)
}

/// [`run_replicate`] with an observer that may also prepare the engine
/// before the first step ([`YearObserver::prepare`]: to follow cohorts).
pub fn run_replicate_observed<O: YearObserver + ?Sized>(
    params: &Params,
    households: impl Into<Households>,
    seed: u64,
    replicate: u32,
    observer: &mut O,
) -> Vec<YearRecord> {
    let mut engine = Engine::new(params, households, seed, replicate);
    observer.prepare(&mut engine);
    let years = params.scenario().run.years as usize;
    let mut records = Vec::with_capacity(years);
    for _ in 0..years {
        let record = engine.step();
        observer.on_year(&engine, &record);
        records.push(record);
        if observer.stop() {
            break;
        }
    }
    records
}
