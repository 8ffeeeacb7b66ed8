//! The scenario schema: every parameter of MODEL.md with its default.
//!
//! `Scenario::default()` is the T County default scenario of MODEL.md §5;
//! `scenarios/t_county.toml` writes the same values out with comments, and a
//! test keeps the two equal. Every struct takes `#[serde(default)]`, so a
//! scenario file states only what differs from the default.

use serde::{Deserialize, Serialize};

/// A complete scenario: run settings, population, economy, decision rule,
/// learning, levers and events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Time span, seed and replicates.
    pub run: RunSettings,
    /// Who the households are (MODEL.md §2).
    pub population: PopulationSettings,
    /// Wages, risks, job search, farming, transfers, lines, growth.
    pub economy: Economy,
    /// The push–pull random-utility rule (MODEL.md §3.2).
    pub decision: Decision,
    /// Skill learning and training take-up (MODEL.md §3.5).
    pub learning: Learning,
    /// Deaths and births (MODEL.md §3.1).
    pub demography: Demography,
    /// The county's policy levers (MODEL.md §4).
    pub levers: Levers,
    /// The public cost of each lever's unit (`costs.csv`; MODEL.md, Costs).
    /// It changes no result: costs are counted from what households took up.
    pub costs: Costs,
    /// Surprises: `east_demand` and `drought` (MODEL.md §4).
    pub events: Vec<Event>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            run: RunSettings::default(),
            population: PopulationSettings::default(),
            economy: Economy::default(),
            decision: Decision::default(),
            learning: Learning::default(),
            demography: Demography::default(),
            levers: Levers::default(),
            costs: Costs::default(),
            events: vec![Event::EastDemand {
                year: 2022,
                job_loss_factor: 2.0,
            }],
        }
    }
}

impl Scenario {
    /// The default scenario with every change of version 2 turned off
    /// (`scenarios/reference_v1.toml`): no deaths or births, every
    /// household reviews every year, no push from a lost job, outbound's
    /// constant 0, the weather moves only the crop, and the dibao is
    /// redrawn each year. It gives version 1's results.
    pub fn version_1() -> Scenario {
        let mut s = Scenario::default();
        s.demography.mortality_a = 0.0;
        s.demography.p_birth = 0.0;
        s.decision.p_review = 1.0;
        s.decision.beta_lost = 0.0;
        s.decision.alpha_outbound = 0.0;
        s.economy.farm_other_weather_share = 0.0;
        s.levers.social_protection.dibao_persistent = false;
        s
    }
}

impl Levers {
    /// Every lever's name (its TOML table under `[levers]`) and year
    /// window, in table order.
    pub fn windows(&self) -> [(&'static str, Window); 8] {
        [
            ("labor_cooperation", self.labor_cooperation.window()),
            (
                "industrial_cooperation",
                self.industrial_cooperation.window(),
            ),
            ("workshops", self.workshops.window()),
            ("agricultural_support", self.agricultural_support.window()),
            ("training", self.training.window()),
            ("asset_income", self.asset_income.window()),
            ("social_protection", self.social_protection.window()),
            ("targeting", self.targeting.window()),
        ]
    }
}

/// `[run]`: the simulated years, the seed and the number of replicates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSettings {
    /// Calendar year of step `t = 0`.
    pub start_year: i32,
    /// Number of yearly steps.
    pub years: u32,
    /// Master seed of every random stream. `--seed` overrides it.
    pub seed: u64,
    /// Independent replicates. `--replicates` overrides it.
    pub replicates: u32,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            start_year: 2021,
            years: 15,
            seed: 42,
            replicates: 1,
        }
    }
}

impl RunSettings {
    /// The last simulated calendar year.
    pub fn end_year(&self) -> i32 {
        self.start_year + self.years as i32 - 1
    }
}

impl Scenario {
    /// The scenario simulated for its first `years` years only (at most its
    /// own): the events after the last of them are dropped, since they
    /// cannot act, so the shortened scenario stays valid. Years simulated
    /// give the same results as in the full scenario.
    pub fn shortened(&self, years: u32) -> Scenario {
        let mut s = self.clone();
        s.run.years = s.run.years.min(years);
        let end = s.run.end_year();
        s.events.retain(|e| e.year() <= end);
        s
    }
}

/// One share per livelihood, used for the initial state distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Shares {
    /// Outbound migrant work.
    pub outbound: f64,
    /// Local wage work at the resettlement site.
    pub local: f64,
    /// Farming at the origin village.
    pub farm: f64,
    /// Mixed worker-peasant livelihood.
    pub mixed: f64,
    /// No livelihood (no work).
    pub none: f64,
}

impl Default for Shares {
    fn default() -> Self {
        Shares {
            outbound: 0.42,
            local: 0.22,
            farm: 0.10,
            mixed: 0.16,
            none: 0.10,
        }
    }
}

impl Shares {
    /// The shares in livelihood order (outbound, local, farm, mixed, none).
    pub fn as_array(&self) -> [f64; 5] {
        [self.outbound, self.local, self.farm, self.mixed, self.none]
    }
}

/// `[population]`: the synthetic population of MODEL.md §2, or a CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PopulationSettings {
    /// Number of households (ignored when `file` is given: the file's rows count).
    pub households: u64,
    /// Resettlement sites, each with its own job market.
    pub sites: u32,
    /// Origin villages per site.
    pub villages_per_site: u32,
    /// Initial livelihood shares; must sum to 1.
    pub initial_shares: Shares,
    /// Household size is `1 + Binomial(size_extra_trials, size_extra_p)`.
    pub size_extra_trials: u32,
    /// See `size_extra_trials`.
    pub size_extra_p: f64,
    /// First member's age ~ Uniform{head_age_min..head_age_max}.
    pub head_age_min: u32,
    /// See `head_age_min`.
    pub head_age_max: u32,
    /// Second member's age = first member's + Uniform{−gap..gap}.
    pub spouse_age_gap: u32,
    /// Probability that a further member is a child.
    pub p_child: f64,
    /// Children's age ~ Uniform{0..child_age_max}.
    pub child_age_max: u32,
    /// Probability that a further non-child member is an elder.
    pub p_elder: f64,
    /// Elders' age ~ Uniform{elder_age_min..elder_age_max}.
    pub elder_age_min: u32,
    /// See `elder_age_min`.
    pub elder_age_max: u32,
    /// Other adults' age ~ Uniform{adult_age_min..adult_age_max}.
    pub adult_age_min: u32,
    /// See `adult_age_min`.
    pub adult_age_max: u32,
    /// Skill ~ Beta(skill_alpha, skill_beta).
    pub skill_alpha: f64,
    /// See `skill_alpha`.
    pub skill_beta: f64,
    /// Attachment ~ Beta(attachment_alpha, attachment_beta).
    pub attachment_alpha: f64,
    /// See `attachment_alpha`.
    pub attachment_beta: f64,
    /// Probability that a household kept no land.
    pub p_landless: f64,
    /// Land of the others ~ Gamma(land_shape, land_scale), in mu.
    pub land_shape: f64,
    /// See `land_shape`.
    pub land_scale: f64,
    /// Village–site distance ~ Uniform(distance_min_km, distance_max_km).
    pub distance_min_km: f64,
    /// See `distance_min_km`.
    pub distance_max_km: f64,
    /// Optional CSV of households, relative to the scenario file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Columns of the population file that are read past (a survey's own
    /// variables); any other column the model does not know is refused.
    pub ignore_columns: Vec<String>,
}

impl Default for PopulationSettings {
    fn default() -> Self {
        PopulationSettings {
            households: 8000,
            sites: 2,
            villages_per_site: 20,
            initial_shares: Shares::default(),
            size_extra_trials: 7,
            size_extra_p: 0.485,
            head_age_min: 25,
            head_age_max: 55,
            spouse_age_gap: 3,
            p_child: 0.6,
            child_age_max: 17,
            p_elder: 0.5,
            elder_age_min: 60,
            elder_age_max: 80,
            adult_age_min: 16,
            adult_age_max: 59,
            skill_alpha: 2.0,
            skill_beta: 5.0,
            attachment_alpha: 2.0,
            attachment_beta: 3.0,
            p_landless: 0.15,
            land_shape: 2.0,
            land_scale: 1.5,
            distance_min_km: 20.0,
            distance_max_km: 120.0,
            file: None,
            ignore_columns: Vec::new(),
        }
    }
}

/// `[economy]`: wages, risks, job search, farming, transfers, lines, growth.
/// Money is 2021 yuan, grown as MODEL.md §1 says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Economy {
    /// Outbound monthly wage.
    pub w_out_month: f64,
    /// Monthly living cost in the destination city.
    pub c_city_month: f64,
    /// Wage return to skill: wages are multiplied by `1 + gamma · s`.
    pub gamma: f64,
    /// Local informal monthly wage.
    pub w_informal_month: f64,
    /// Months of seasonal wage work in the mixed livelihood.
    pub m_seasonal: f64,
    /// Share of the farm crop income a mixed household keeps.
    pub rho_mixed: f64,
    /// Yearly growth of wages, costs, farm income, pensions, medical costs.
    pub wage_growth: f64,
    /// Youngest working age (laborers are aged work_age–59).
    pub work_age: u32,
    /// Base probability that an unplaced outbound household finds work.
    pub p_find_base: f64,
    /// Fall of that probability per year of the main laborer's age over 45.
    pub p_find_age: f64,
    /// Floor of that probability.
    pub p_find_min: f64,
    /// Probability that an outbound job ends early.
    pub p_loss_out: f64,
    /// Probability of wage arrears.
    pub p_arrears: f64,
    /// Share of the wage lost in arrears.
    pub f_arrears: f64,
    /// Probability that local jobs end early.
    pub p_loss_local: f64,
    /// Probability that a working-age member falls sick in a year.
    pub p_sick: f64,
    /// Mean medical cost of a sick member (log-normal).
    pub medical_mean: f64,
    /// Standard deviation of that cost.
    pub medical_sd: f64,
    /// Net crop income per mu.
    pub farm_net_per_mu: f64,
    /// Other farm-household income per laborer (livestock, odd work).
    pub farm_other: f64,
    /// Commuting cost per km between site and village, nominal yuan a year.
    pub commute_per_km: f64,
    /// Monthly pension per member aged 60 or more.
    pub pension_month: f64,
    /// Per-capita poverty line.
    pub poverty_line: f64,
    /// Per-capita monitoring line (at risk of returning to poverty).
    pub monitoring_line: f64,
    /// Yearly growth of the poverty, monitoring and dibao lines.
    pub line_growth: f64,
    /// Informal local jobs as a share of the site's laborers at the start.
    pub informal_jobs_share: f64,
    /// Standard deviation of the yearly per-site harvest factor (mean 1).
    pub harvest_sd: f64,
    /// Share `φ` of the other farm income that the harvest factor moves:
    /// `farm_other · (1 − φ + φ · H)` (MODEL.md §3.4).
    pub farm_other_weather_share: f64,
}

impl Default for Economy {
    fn default() -> Self {
        Economy {
            w_out_month: 3800.0,
            c_city_month: 1500.0,
            gamma: 0.5,
            w_informal_month: 2600.0,
            m_seasonal: 5.0,
            rho_mixed: 0.8,
            wage_growth: 0.04,
            work_age: 18,
            p_find_base: 0.92,
            p_find_age: 0.015,
            p_find_min: 0.5,
            p_loss_out: 0.20,
            p_arrears: 0.05,
            f_arrears: 0.4,
            p_loss_local: 0.10,
            p_sick: 0.04,
            medical_mean: 20000.0,
            medical_sd: 15000.0,
            farm_net_per_mu: 1200.0,
            farm_other: 8000.0,
            commute_per_km: 20.0,
            pension_month: 150.0,
            poverty_line: 4000.0,
            monitoring_line: 6000.0,
            line_growth: 0.03,
            informal_jobs_share: 0.15,
            harvest_sd: 0.15,
            farm_other_weather_share: 0.5,
        }
    }
}

/// `[decision]`: the β, α and κ of the push–pull logit (MODEL.md §3.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Decision {
    /// Weight of log expected per-capita income.
    pub beta_income: f64,
    /// Switching cost.
    pub kappa: f64,
    /// Constant of outbound work.
    pub alpha_outbound: f64,
    /// Constant of local work.
    pub alpha_local: f64,
    /// Constant of farming.
    pub alpha_farm: f64,
    /// Constant of the mixed livelihood.
    pub alpha_mixed: f64,
    /// Constant of no livelihood.
    pub alpha_none: f64,
    /// Chain migration: weight of the village's outbound share.
    pub beta_net: f64,
    /// Care burden against outbound work, per dependent.
    pub beta_care: f64,
    /// Age against outbound work, per year over 45.
    pub beta_age: f64,
    /// Travel subsidy for outbound work, per 1,000 yuan.
    pub beta_travel: f64,
    /// Attachment to the origin place, for farm and mixed.
    pub beta_attach: f64,
    /// Care for up to two dependents, for local work.
    pub beta_care_local: f64,
    /// Probability that a household reviews its livelihood in a year when
    /// nothing forces it to (inertia, MODEL.md §3.2).
    pub p_review: f64,
    /// Push away from the livelihood in which the household lost its job
    /// early last year.
    pub beta_lost: f64,
}

impl Default for Decision {
    fn default() -> Self {
        Decision {
            beta_income: 2.0,
            kappa: 1.0,
            alpha_outbound: 0.2,
            alpha_local: 0.3,
            alpha_farm: -0.3,
            alpha_mixed: -0.1,
            alpha_none: -1.0,
            beta_net: 1.5,
            beta_care: 0.25,
            beta_age: 0.08,
            beta_travel: 0.3,
            beta_attach: 1.5,
            beta_care_local: 0.2,
            p_review: 0.3,
            beta_lost: 0.5,
        }
    }
}

/// `[demography]`: deaths and births (MODEL.md §3.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Demography {
    /// Gompertz level: a member dies in a year with probability
    /// `min(1, mortality_a · exp(mortality_b · age))`; 0 for no deaths.
    pub mortality_a: f64,
    /// Gompertz slope per year of age.
    pub mortality_b: f64,
    /// Probability of a birth in a year to a household with a member aged
    /// 20–34, fewer than 2 members under 16 and fewer than 8 members.
    pub p_birth: f64,
}

impl Default for Demography {
    fn default() -> Self {
        Demography {
            mortality_a: 0.00005,
            mortality_b: 0.085,
            p_birth: 0.08,
        }
    }
}

/// `[learning]`: skill growth and training take-up (MODEL.md §3.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Learning {
    /// Skill gained by a year of wage work.
    pub delta_exp: f64,
    /// Skill gained by training.
    pub delta_train: f64,
    /// Take-up weight of the wage gain of training.
    pub beta_train_gain: f64,
    /// Take-up weight of the stipend, per 1,000 yuan.
    pub beta_stipend: f64,
    /// Take-up cost of training.
    pub c_train: f64,
}

impl Default for Learning {
    fn default() -> Self {
        Learning {
            delta_exp: 0.01,
            delta_train: 0.15,
            beta_train_gain: 8.0,
            beta_stipend: 0.5,
            c_train: 1.5,
        }
    }
}

/// The levers of MODEL.md §4, one table each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Levers {
    /// East–West labor cooperation: placements in the east.
    pub labor_cooperation: LaborCooperation,
    /// Labor-intensive firms brought to the sites.
    pub industrial_cooperation: IndustrialCooperation,
    /// Poverty-alleviation workshops at the sites.
    pub workshops: Workshops,
    /// Support for farming at the origin village.
    pub agricultural_support: AgriculturalSupport,
    /// Skill training with a stipend.
    pub training: Training,
    /// Dividends from poverty-alleviation assets.
    pub asset_income: AssetIncome,
    /// Dibao and medical reimbursement.
    pub social_protection: SocialProtection,
    /// Priority in the job lotteries for households poor last year.
    pub targeting: Targeting,
}

/// The year window every lever has: it acts in `start_year..=end_year` when
/// `enabled`, and is off otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Whether the lever exists at all in this scenario.
    pub enabled: bool,
    /// First year the lever acts.
    pub start_year: i32,
    /// Last year the lever acts (inclusive).
    pub end_year: i32,
}

impl Window {
    /// The five-year transition period after 2020.
    pub const TRANSITION: Window = Window {
        enabled: true,
        start_year: 2021,
        end_year: 2025,
    };

    /// Whether the lever acts in calendar year `year`.
    pub fn active(&self, year: i32) -> bool {
        self.enabled && self.start_year <= year && year <= self.end_year
    }
}

macro_rules! lever {
    (
        $(#[$meta:meta])* $name:ident, window: $window:expr,
        { $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Whether the lever exists at all in this scenario.
            pub enabled: bool,
            /// First year the lever acts.
            pub start_year: i32,
            /// Last year the lever acts (inclusive).
            pub end_year: i32,
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                let window: Window = $window;
                $name {
                    enabled: window.enabled,
                    start_year: window.start_year,
                    end_year: window.end_year,
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            /// The lever's year window.
            pub fn window(&self) -> Window {
                Window { enabled: self.enabled, start_year: self.start_year, end_year: self.end_year }
            }
        }
    };
}

lever!(
    /// `[levers.labor_cooperation]`: East–West labor cooperation.
    LaborCooperation, window: Window::TRANSITION, {
    /// Placements as a share of the site's laborers at the start.
    placements_share: f64 = 0.05,
    /// Wage premium of a placed job.
    wage_premium: f64 = 0.10,
    /// Fall in job-loss risk of a placed job.
    placement_stability: f64 = 0.5,
    /// Fall in arrears risk of a placed job.
    rights_protection: f64 = 0.6,
    /// Travel subsidy for outbound work, nominal yuan a year.
    travel_subsidy: f64 = 0.0,
});

lever!(
    /// `[levers.industrial_cooperation]`: firms brought in by East–West
    /// industrial cooperation. Off by default (no firm jobs).
    IndustrialCooperation, window: Window::TRANSITION, {
    /// Firm jobs as a share of the site's laborers at the start.
    firm_jobs_share: f64 = 0.0,
    /// Firm monthly wage.
    w_firm_month: f64 = 3000.0,
    /// Minimum skill for a firm job.
    s_min_firm: f64 = 0.3,
});

lever!(
    /// `[levers.workshops]`: poverty-alleviation workshops.
    Workshops, window: Window::TRANSITION, {
    /// Workshop jobs as a share of the site's laborers at the start.
    workshop_jobs_share: f64 = 0.08,
    /// Workshop monthly wage.
    w_workshop_month: f64 = 2000.0,
});

lever!(
    /// `[levers.agricultural_support]`: support for returnee farming.
    AgriculturalSupport, window: Window::TRANSITION, {
    /// Subsidy per mu, nominal yuan a year.
    subsidy_per_mu: f64 = 150.0,
    /// Yield gain from extension services.
    yield_gain: f64 = 0.1,
    /// Whether crop insurance pays out below `insured_level`.
    insurance: bool = false,
    /// Harvest factor below which insurance pays.
    insured_level: f64 = 0.8,
    /// Share of the commuting cost paid by the county.
    transport_support: f64 = 0.0,
});

lever!(
    /// `[levers.training]`: skill training with a stipend.
    Training, window: Window::TRANSITION, {
    /// Slots a year as a share of the site's households.
    training_share: f64 = 0.02,
    /// Stipend, nominal yuan.
    stipend: f64 = 500.0,
});

lever!(
    /// `[levers.asset_income]`: dividends from poverty-alleviation assets.
    /// Off by default (no dividend).
    AssetIncome, window: Window::TRANSITION, {
    /// Dividend per household, nominal yuan a year.
    dividend: f64 = 0.0,
});

lever!(
    /// `[levers.social_protection]`: dibao and medical reimbursement.
    SocialProtection, window: Window { enabled: true, start_year: 2021, end_year: 2035 }, {
    /// Per-capita dibao line, 2021 yuan, grown with the lines.
    dibao_line: f64 = 4800.0,
    /// Probability that an eligible household not enrolled last year is
    /// enrolled this year (every eligible household, without
    /// `dibao_persistent`).
    dibao_coverage: f64 = 0.6,
    /// Whether an enrolled household that stays eligible is re-certified
    /// (kept on the rolls with probability `1 − dibao_exit`) rather than
    /// re-drawn each year.
    dibao_persistent: bool = true,
    /// Probability that the yearly review takes an eligible enrolled
    /// household off the rolls (with `dibao_persistent`).
    dibao_exit: f64 = 0.2,
    /// Share of medical costs reimbursed.
    reimbursement: f64 = 0.7,
});

lever!(
    /// `[levers.targeting]`: households poor last year go first in the job
    /// and placement lotteries. Off by default.
    Targeting, window: Window::TRANSITION, {
    /// Whether the targeting applies.
    target_at_risk: bool = false,
});

/// `[costs]`: the public cost of a unit of each lever, in yuan of the
/// start year (MODEL.md, Costs). The amounts the levers pay households
/// (travel subsidy, subsidy per mu, stipend, dividend, dibao top-ups, the
/// commuting support) are counted as paid, from the levers' own keys; these
/// are the costs that no household receives as income. Every default is
/// illustrative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Costs {
    /// Whether the unit costs grow with the wage index `(1 + wage_growth)^t`
    /// (else they stay at their start-year values).
    pub grow_with_wages: bool,
    /// Labor cooperation: cost of one laborer placed for a year (labor-service
    /// stations, East–West transfer and follow-up).
    pub per_placement_year: f64,
    /// Industrial cooperation: incentive to a firm per laborer employed for
    /// a year.
    pub per_firm_job_year: f64,
    /// Workshops: subsidy to a workshop per laborer employed for a year.
    pub per_workshop_job_year: f64,
    /// Training: cost of one training slot taken (the course; the stipend
    /// is counted apart, as paid).
    pub per_training_slot: f64,
    /// Agricultural support: extension services per supported mu.
    pub extension_per_mu: f64,
    /// Agricultural support: crop-insurance premium per insured mu, paid by
    /// the county when `levers.agricultural_support.insurance` is on.
    pub insurance_premium_per_mu: f64,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            grow_with_wages: true,
            per_placement_year: 3000.0,
            per_firm_job_year: 5000.0,
            per_workshop_job_year: 3000.0,
            per_training_slot: 1500.0,
            extension_per_mu: 20.0,
            insurance_premium_per_mu: 20.0,
        }
    }
}

impl Costs {
    /// Every unit cost with its key under `[costs]`, in table order.
    pub fn unit_costs(&self) -> [(&'static str, f64); 6] {
        [
            ("per_placement_year", self.per_placement_year),
            ("per_firm_job_year", self.per_firm_job_year),
            ("per_workshop_job_year", self.per_workshop_job_year),
            ("per_training_slot", self.per_training_slot),
            ("extension_per_mu", self.extension_per_mu),
            ("insurance_premium_per_mu", self.insurance_premium_per_mu),
        ]
    }
}

/// A surprise in one year (not expected by households when they decide).
///
/// Read through `EventTable`, a plain table: serde reads an internally
/// tagged enum from a buffered copy of its table, which loses the key path
/// and the position of a bad value inside it (`sites = [-1]` was reported at
/// the `[[events]]` line as `events[0]`, not as `events[0].sites[0]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "EventTable")]
pub enum Event {
    /// Eastern labor demand falls: outbound job-loss risk is multiplied.
    EastDemand {
        /// Calendar year of the event.
        year: i32,
        /// Multiplier of the outbound job-loss probability.
        job_loss_factor: f64,
    },
    /// A drought multiplies the harvest factor of some or all sites.
    Drought {
        /// Calendar year of the event.
        year: i32,
        /// Multiplier of the harvest factor.
        harvest_factor: f64,
        /// Affected sites (0-based); all sites when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sites: Option<Vec<u32>>,
    },
}

/// The kinds of [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum EventKind {
    EastDemand,
    Drought,
}

/// A 0-based site number of a drought's `sites`.
#[derive(Debug, Clone, Copy)]
struct SiteNumber(u32);

impl<'de> Deserialize<'de> for SiteNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SiteNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "a site number (sites are numbered from 0: an integer from 0 to {})",
                    u32::MAX
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SiteNumber, E> {
                u32::try_from(v)
                    .map(SiteNumber)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SiteNumber, E> {
                u32::try_from(v)
                    .map(SiteNumber)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
        }
        d.deserialize_u32(Visitor)
    }
}

/// An `[[events]]` entry as written: every key any kind of event takes, so
/// that a bad value is reported at its own key and line; [`Event`] is made
/// from it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventTable {
    kind: EventKind,
    year: Option<i32>,
    job_loss_factor: Option<f64>,
    harvest_factor: Option<f64>,
    sites: Option<Vec<SiteNumber>>,
}

/// Why an `[[events]]` entry is not an [`Event`] (serde reports it at the
/// entry).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum EventTableError {
    /// A key the event's kind needs is missing.
    #[error("missing field `{key}` (a {kind} event needs year and {needs})")]
    Missing {
        key: &'static str,
        kind: &'static str,
        needs: &'static str,
    },
    /// A key of the other kind (`kind` with its article).
    #[error("`{key}` does not apply to {kind} event, which takes year and {takes}")]
    NotApplicable {
        key: &'static str,
        kind: &'static str,
        takes: &'static str,
    },
}

impl TryFrom<EventTable> for Event {
    type Error = EventTableError;

    fn try_from(t: EventTable) -> Result<Event, EventTableError> {
        let (kind, an_kind, needs) = match t.kind {
            EventKind::EastDemand => ("east_demand", "an east_demand", "job_loss_factor"),
            EventKind::Drought => ("drought", "a drought", "harvest_factor"),
        };
        let missing = |key| EventTableError::Missing { key, kind, needs };
        let other = |key| EventTableError::NotApplicable {
            key,
            kind: an_kind,
            takes: if t.kind == EventKind::Drought {
                "harvest_factor (and optionally sites)"
            } else {
                needs
            },
        };
        let year = t.year.ok_or(missing("year"))?;
        match t.kind {
            EventKind::EastDemand => {
                if t.harvest_factor.is_some() {
                    return Err(other("harvest_factor"));
                }
                if t.sites.is_some() {
                    return Err(other("sites"));
                }
                Ok(Event::EastDemand {
                    year,
                    job_loss_factor: t.job_loss_factor.ok_or(missing("job_loss_factor"))?,
                })
            }
            EventKind::Drought => {
                if t.job_loss_factor.is_some() {
                    return Err(other("job_loss_factor"));
                }
                Ok(Event::Drought {
                    year,
                    harvest_factor: t.harvest_factor.ok_or(missing("harvest_factor"))?,
                    sites: t.sites.map(|s| s.into_iter().map(|n| n.0).collect()),
                })
            }
        }
    }
}

impl Event {
    /// The calendar year of the event.
    pub fn year(&self) -> i32 {
        match self {
            Event::EastDemand { year, .. } | Event::Drought { year, .. } => *year,
        }
    }
}
