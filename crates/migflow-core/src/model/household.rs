//! The household agent and its livelihood (MODEL.md §2): plain data, a leaf
//! that every other module may use.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Most members a household can have.
pub const MAX_MEMBERS: usize = 8;

/// A household's livelihood in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Livelihood {
    /// Outbound migrant work.
    Outbound = 0,
    /// Local wage work at the resettlement site.
    Local = 1,
    /// Farming at the origin village.
    Farm = 2,
    /// Mixed worker-peasant livelihood.
    Mixed = 3,
    /// No livelihood.
    None = 4,
}

impl Livelihood {
    /// All five, in output order.
    pub const ALL: [Livelihood; 5] = [
        Livelihood::Outbound,
        Livelihood::Local,
        Livelihood::Farm,
        Livelihood::Mixed,
        Livelihood::None,
    ];

    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Livelihood::Outbound => "outbound",
            Livelihood::Local => "local",
            Livelihood::Farm => "farm",
            Livelihood::Mixed => "mixed",
            Livelihood::None => "none",
        }
    }

    /// Parse a name used in files.
    pub fn from_name(name: &str) -> Option<Livelihood> {
        Livelihood::ALL.into_iter().find(|l| l.name() == name)
    }

    /// Index 0..5, in output order.
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether a year in this livelihood is a year of wage work (for skill).
    pub fn is_wage_work(self) -> bool {
        matches!(
            self,
            Livelihood::Outbound | Livelihood::Local | Livelihood::Mixed
        )
    }
}

/// Local job types, best paid first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobType {
    /// Firm brought in by industrial cooperation.
    Firm = 0,
    /// Poverty-alleviation workshop.
    Workshop = 1,
    /// Informal job.
    Informal = 2,
}

impl JobType {
    /// Best paid first.
    pub const ALL: [JobType; 3] = [JobType::Firm, JobType::Workshop, JobType::Informal];
}

/// Local jobs held, in laborers, indexed by [`JobType`].
pub type Jobs = [u8; 3];

/// A household agent (MODEL.md §2). Between steps, `state`, `jobs`,
/// [`placed`](Self::placed), [`poor`](Self::poor),
/// [`at_risk`](Self::at_risk), [`dibao`](Self::dibao),
/// [`lost_job`](Self::lost_job) and `income_pc` describe the last completed
/// year (before the first step: the initial state, no jobs, not poor, not
/// enrolled, no job lost).
///
/// 56 bytes: the engine streams every household through memory several
/// times a year, so its yes/no facts are bits of one field, read and set
/// by the methods of their names; its site is not stored but derived from
/// its village; and what only a survey file gives (a weight, a distance of
/// its own) is in [`SurveyFacts`], beside the households.
#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    /// Household number: its place in the population (the engine sets it).
    /// Every random stream of the household is keyed by it.
    pub id: u32,
    /// Members' ages; only the first `size` are used.
    pub ages: [u8; MAX_MEMBERS],
    /// Number of members, 1 to 8.
    pub size: u8,
    /// Origin village, as a global index `site · villages_per_site + v`
    /// (its resettlement site is [`site`](Self::site)).
    pub village: u32,
    /// Work skill in [0, 1].
    pub skill: f64,
    /// Farmland kept at the origin village, in mu.
    pub land_mu: f64,
    /// Attachment to the origin place, in [0, 1].
    pub attachment: f64,
    /// Livelihood of the last completed year.
    pub state: Livelihood,
    /// Local jobs held in the last completed year.
    pub jobs: Jobs,
    /// Per-capita net income of the last completed year.
    pub income_pc: f64,
    /// The yes/no facts, one bit each (see the methods).
    flags: u16,
}

// The engine's memory per household (BENCHMARKS.md) counts on this size.
const _: () = assert!(std::mem::size_of::<Household>() == 56);

/// The bits of [`Household`]'s flags.
mod bit {
    pub const PLACED: u16 = 1;
    pub const LOCAL_JOB_LOST: u16 = 1 << 1;
    pub const PLACEMENT_LOST: u16 = 1 << 2;
    pub const POOR: u16 = 1 << 3;
    pub const EVER_POOR: u16 = 1 << 4;
    pub const AT_RISK: u16 = 1 << 5;
    pub const DIBAO: u16 = 1 << 6;
    pub const LOST_JOB: u16 = 1 << 7;
    pub const ALIVE: u16 = 1 << 8;
}

flag_accessors! {
    Household, flags;
    /// Whether it held an East–West placement last year.
    placed, set_placed, bit::PLACED;
    /// Whether its local jobs ended early last year (no incumbency).
    local_job_lost, set_local_job_lost, bit::LOCAL_JOB_LOST;
    /// Whether its placed job ended early last year (placement lost).
    placement_lost, set_placement_lost, bit::PLACEMENT_LOST;
    /// Poor in the last completed year.
    poor, set_poor, bit::POOR;
    /// Poor in any year so far.
    ever_poor, set_ever_poor, bit::EVER_POOR;
    /// Below the monitoring line in the last completed year (hardship: it
    /// reviews its livelihood this year, MODEL.md §3.2).
    at_risk, set_at_risk, bit::AT_RISK;
    /// Enrolled in the dibao in the last completed year (re-certified, not
    /// re-drawn, under `dibao_persistent`).
    dibao, set_dibao, bit::DIBAO;
    /// Its job (outbound or local) ended early in the last completed year
    /// (`lost_job`, MODEL.md §3.4): it reviews, and is pushed away from
    /// that livelihood by `beta_lost`.
    lost_job, set_lost_job, bit::LOST_JOB;
    /// Still in the population: false once its last member has died
    /// (dissolved, MODEL.md §3.1); it then takes part in nothing.
    alive, set_alive, bit::ALIVE;
}

impl Household {
    /// A household at relocation: its initial state, no jobs, not poor.
    /// `village` is global: `site · villages_per_site + v`.
    pub fn new(
        ages: &[u8],
        village: u32,
        skill: f64,
        land_mu: f64,
        attachment: f64,
        state: Livelihood,
    ) -> Household {
        let mut all = [0u8; MAX_MEMBERS];
        let size = ages.len().min(MAX_MEMBERS);
        all[..size].copy_from_slice(&ages[..size]);
        Household {
            id: 0,
            ages: all,
            size: size as u8,
            village,
            skill,
            land_mu,
            attachment,
            state,
            jobs: [0; 3],
            income_pc: 0.0,
            flags: bit::ALIVE,
        }
    }

    /// Its resettlement site, 0-based: a site's villages are the block
    /// `site · villages_per_site ..` of the global village numbers.
    #[inline]
    pub fn site(&self, villages_per_site: u32) -> u32 {
        self.village / villages_per_site.max(1)
    }

    /// Members' ages.
    pub fn member_ages(&self) -> &[u8] {
        &self.ages[..self.size as usize]
    }

    /// Whether it kept farmland (farm and mixed are open to it).
    pub fn has_land(&self) -> bool {
        self.land_mu > 0.0
    }
}

/// What a population file says of its households beyond the model's
/// columns, by household number ([`Household::id`]); nothing for a
/// synthetic population. Shared, not copied, by the runs of a population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyFacts {
    /// The `weight` column: survey weights, each > 0. None: every weight 1.
    pub weights: Option<Arc<[f64]>>,
    /// The `distance_km` column: each household's own distance to its
    /// origin village, km, ≥ 0. None: every household's is its village's.
    pub distances_km: Option<Arc<[f64]>>,
}

impl SurveyFacts {
    /// The survey weight of household `id` (1 without a `weight` column).
    #[inline]
    pub fn weight(&self, id: u32) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[id as usize])
    }

    /// The own distance of household `id`, if the file gave one (else its
    /// village's distance applies).
    #[inline]
    pub fn own_distance(&self, id: u32) -> Option<f64> {
        self.distances_km.as_ref().map(|d| d[id as usize])
    }

    /// Whether every household has weight 1.
    pub fn unit_weights(&self) -> bool {
        self.weights
            .as_ref()
            .is_none_or(|w| w.iter().all(|&w| w == 1.0))
    }
}

/// A replicate's households at relocation, in id order (household `i` is
/// `households[i]`), with the survey's facts about them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Households {
    /// The households.
    pub households: Vec<Household>,
    /// What the population file says of them beyond the model's columns.
    pub survey: SurveyFacts,
}

impl From<Vec<Household>> for Households {
    /// Households without survey facts (every weight 1, villages'
    /// distances).
    fn from(households: Vec<Household>) -> Households {
        Households {
            households,
            survey: SurveyFacts::default(),
        }
    }
}
