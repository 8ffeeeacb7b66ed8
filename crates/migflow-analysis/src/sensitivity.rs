//! Global sensitivity analysis of a finished `sobol` or `morris` sweep.
//!
//! [`analyze`] reads a sweep directory (`manifest.json`, `points.csv`,
//! `runs.csv`, and with a year `trajectories.csv`), averages each output
//! over the replicates of each design point, and estimates per output
//! metric and varied factor:
//!
//! - for `sobol`: the first-order index S1 with Saltelli's (2010) estimator
//!   `mean(f_B · (f_ABj − f_A)) / V` and the total index ST with Jansen's
//!   (1999) `mean((f_A − f_ABj)²) / 2 / V`, where V is the variance of f
//!   over the A and B points together (f is centred on its mean over A and
//!   B first, which leaves the estimators' expectations unchanged and
//!   removes the noise a large mean would add); 95 % percentile bootstrap
//!   intervals come from resampling the base points (whole Saltelli blocks);
//! - for `morris`: the elementary effects of each trajectory and their
//!   mean μ, mean absolute value μ* and standard deviation σ, with 95 %
//!   percentile bootstrap intervals from resampling the trajectories.
//!
//! Bootstrap resamples are drawn from [`Stream`]s keyed by the sweep's seed
//! with [`Purpose::Design`] and the year component [`BOOTSTRAP_YEAR`], so
//! the same sweep gives the same `sensitivity.csv` every time.
//!
//! # `sensitivity.csv`
//!
//! Tidy, one row per metric × factor × index, columns
//! `metric, factor, index, value, ci95_low, ci95_high`:
//!
//! - `index` is `S1` or `ST` (sobol; shares of the output's variance, no
//!   unit) or `mu_star`, `mu`, `sigma` (morris);
//! - Morris values are in **units of the output per full range of the
//!   factor**: an elementary effect is the change of the output divided by
//!   the change of the factor as a fraction of its range `max − min` (as in
//!   SALib). For a linear output `y = a·x` over `[min, max]` every effect is
//!   `a · (max − min)`;
//! - an empty value means the index is undefined (an output that does not
//!   vary, or too few complete blocks or effects); an empty interval means
//!   no bootstrap (`--bootstrap 0`) or too few resamples with a value.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use migflow_core::record::{ALL_GROUP, GROUPS, group_name};
use migflow_core::rng::{Purpose, Stream};
use migflow_experiments::design::{self, Design, Factor, Point, PointRole, SobolMatrix};
use migflow_experiments::store::{SweepManifest, read_sweep_manifest};
use migflow_experiments::sweep::SweepFile;
use migflow_io::error::{Error, Result};
use migflow_io::{NamedCsv, OutputDir, SUMMARY_METRICS, TRAJECTORY_HEADER, format_float};

/// Bootstrap resamples unless told otherwise.
pub const DEFAULT_BOOTSTRAP: usize = 500;
/// Most bootstrap resamples accepted.
pub const MAX_BOOTSTRAP: usize = 100_000;
/// Year component of the bootstrap streams (the design streams use 0–2).
pub const BOOTSTRAP_YEAR: u32 = 100;
/// The outcomes analysed by default, for each livelihood and `all`.
pub const DEFAULT_OUTCOMES: [&str; 2] = ["mean_poor_share", "cum_returned"];
/// Outcomes of `runs.csv` (per livelihood and `all`), also derived from
/// `trajectories.csv` up to a chosen year.
pub const RUN_OUTCOMES: [&str; 4] = [
    "final_share",
    "final_poor_share",
    "mean_poor_share",
    "cum_returned",
];
/// The file written.
pub const CSV_NAME: &str = "sensitivity.csv";
/// Its header.
pub const CSV_HEADER: [&str; 6] = [
    "metric",
    "factor",
    "index",
    "value",
    "ci95_low",
    "ci95_high",
];

/// The default metrics: `<livelihood>_mean_poor_share` and
/// `<livelihood>_cum_returned` for the five livelihoods and `all`.
pub fn default_metrics() -> Vec<String> {
    (0..GROUPS)
        .flat_map(|g| {
            DEFAULT_OUTCOMES
                .iter()
                .map(move |o| format!("{}_{o}", group_name(g)))
        })
        .collect()
}

// ------------------------------------------------------------ estimators

/// A point estimate with its 95 % bootstrap interval; `None` where
/// undefined.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    /// The estimate on the whole sample.
    pub value: Option<f64>,
    /// The 2.5 % and 97.5 % percentiles of the bootstrap estimates.
    pub ci95: Option<(f64, f64)>,
}

/// The outputs of one base point of Saltelli's scheme (a complete block of
/// k + 2 points).
#[derive(Debug, Clone, PartialEq)]
pub struct SobolBlock {
    /// f at the A point.
    pub a: f64,
    /// f at the B point.
    pub b: f64,
    /// f at AB(j), j = 0..k.
    pub ab: Vec<f64>,
}

/// Assemble the complete blocks of a Sobol design from the points' roles
/// and outputs (`None` = missing). Returns the blocks in base order and the
/// bases skipped for a missing point or output (a block needs all k + 2).
pub fn sobol_blocks(
    roles: &[PointRole],
    y: &[Option<f64>],
    k: usize,
) -> (Vec<SobolBlock>, Vec<usize>) {
    // Per base: slot 0 = A, 1 = B, 2 + j = AB(j).
    let mut slots: BTreeMap<usize, Vec<Option<f64>>> = BTreeMap::new();
    for (role, v) in roles.iter().zip(y) {
        let PointRole::Sobol { base, matrix } = role else {
            continue;
        };
        let slot = match matrix {
            SobolMatrix::A => 0,
            SobolMatrix::B => 1,
            SobolMatrix::AB(j) if *j < k => 2 + j,
            SobolMatrix::AB(_) => continue,
        };
        slots.entry(*base).or_insert_with(|| vec![None; k + 2])[slot] = v.filter(|x| x.is_finite());
    }
    let mut blocks = Vec::with_capacity(slots.len());
    let mut skipped = Vec::new();
    // Bases with no point at all (never listed) count as skipped too.
    let last = slots.keys().next_back().copied();
    if let Some(last) = last {
        for base in 0..=last {
            match slots.get(&base) {
                Some(s) if s.iter().all(Option::is_some) => {
                    let s: Vec<f64> = s.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
                    blocks.push(SobolBlock {
                        a: s[0],
                        b: s[1],
                        ab: s[2..].to_vec(),
                    });
                }
                _ => skipped.push(base),
            }
        }
    }
    (blocks, skipped)
}

/// Whether a variance `v` around mean `m` is too small to divide by (the
/// output is constant up to rounding).
fn negligible_variance(v: f64, m: f64) -> bool {
    let scale = m.abs().max(f64::MIN_POSITIVE.sqrt());
    !(v.is_finite() && v > (1e-12 * scale).powi(2))
}

/// S1 and ST of the blocks at `idx` (indices into `blocks`, repeats
/// allowed): `None` when fewer than 2 blocks or f does not vary.
fn sobol_at(blocks: &[SobolBlock], idx: &[usize], k: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = idx.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let m = idx.iter().map(|&i| blocks[i].a + blocks[i].b).sum::<f64>() / (2.0 * nf);
    let v = idx
        .iter()
        .map(|&i| (blocks[i].a - m).powi(2) + (blocks[i].b - m).powi(2))
        .sum::<f64>()
        / (2.0 * nf);
    if negligible_variance(v, m) {
        return None;
    }
    let mut s1 = vec![0.0; k];
    let mut st = vec![0.0; k];
    for &i in idx {
        let blk = &blocks[i];
        for j in 0..k {
            let d = blk.ab[j] - blk.a;
            s1[j] += (blk.b - m) * d;
            st[j] += d * d;
        }
    }
    for j in 0..k {
        s1[j] /= nf * v;
        st[j] /= 2.0 * nf * v;
    }
    Some((s1, st))
}

/// The resample `b` of `n` units: `n` draws with replacement from the
/// stream (seed, 0, b, [`BOOTSTRAP_YEAR`], [`Purpose::Design`]).
pub fn resample(seed: u64, b: usize, n: usize) -> Vec<usize> {
    let mut s = Stream::new(seed, 0, b as u64, BOOTSTRAP_YEAR, Purpose::Design);
    (0..n)
        .map(|_| s.int_inclusive(0, n as i64 - 1) as usize)
        .collect()
}

/// The 2.5 % and 97.5 % percentiles (linear interpolation between order
/// statistics) of the finite values; `None` with fewer than 10.
pub fn percentile_ci(values: &mut Vec<f64>) -> Option<(f64, f64)> {
    values.retain(|v| v.is_finite());
    if values.len() < 10 {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = p * (values.len() - 1) as f64;
        let lo = h.floor() as usize;
        let hi = h.ceil() as usize;
        values[lo] + (h - lo as f64) * (values[hi] - values[lo])
    };
    Some((q(0.025), q(0.975)))
}

/// Sobol indices of a design's output.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolResult {
    /// First-order index of each varied factor.
    pub s1: Vec<Estimate>,
    /// Total index of each varied factor.
    pub st: Vec<Estimate>,
    /// Complete blocks used.
    pub blocks: usize,
}

/// S1 (Saltelli 2010) and ST (Jansen) of `k` factors from complete blocks,
/// with percentile intervals from `bootstrap` resamples of the blocks
/// (deterministic from `seed`).
pub fn sobol_indices(blocks: &[SobolBlock], k: usize, bootstrap: usize, seed: u64) -> SobolResult {
    let all: Vec<usize> = (0..blocks.len()).collect();
    let point = sobol_at(blocks, &all, k);
    let mut boot_s1 = vec![Vec::with_capacity(bootstrap); k];
    let mut boot_st = vec![Vec::with_capacity(bootstrap); k];
    if point.is_some() {
        for b in 0..bootstrap {
            let idx = resample(seed, b, blocks.len());
            if let Some((s1, st)) = sobol_at(blocks, &idx, k) {
                for j in 0..k {
                    boot_s1[j].push(s1[j]);
                    boot_st[j].push(st[j]);
                }
            }
        }
    }
    let estimates = |values: Option<&Vec<f64>>, boot: &mut [Vec<f64>]| -> Vec<Estimate> {
        (0..k)
            .map(|j| Estimate {
                value: values.map(|v| v[j]),
                ci95: percentile_ci(&mut boot[j]),
            })
            .collect()
    };
    SobolResult {
        s1: estimates(point.as_ref().map(|p| &p.0), &mut boot_s1),
        st: estimates(point.as_ref().map(|p| &p.1), &mut boot_st),
        blocks: blocks.len(),
    }
}

/// Elementary effects of a Morris design: per trajectory (in trajectory
/// order), per varied factor, the effect `Δy / Δu` with `Δu` the change of
/// the factor as a fraction of its range (`unit` holds each point's
/// coordinates on that scale). An effect is `None` when either of its two
/// points has no output, or the factor did not actually move (an integer
/// key rounded to the same value). Also returns the number of effects
/// missing.
pub fn morris_effects(
    roles: &[PointRole],
    unit: &[Vec<f64>],
    y: &[Option<f64>],
    k: usize,
) -> (Vec<Vec<Option<f64>>>, usize) {
    // Per trajectory: step → point index.
    let mut steps: BTreeMap<usize, BTreeMap<usize, usize>> = BTreeMap::new();
    for (p, role) in roles.iter().enumerate() {
        if let PointRole::Morris {
            trajectory, step, ..
        } = role
        {
            steps.entry(*trajectory).or_default().insert(*step, p);
        }
    }
    let mut effects = Vec::with_capacity(steps.len());
    let mut missing = 0;
    for by_step in steps.values() {
        let mut ee: Vec<Option<f64>> = vec![None; k];
        for (&step, &p) in by_step {
            let PointRole::Morris {
                changed: Some(d), ..
            } = roles[p]
            else {
                continue;
            };
            if d >= k {
                continue;
            }
            let prev = step.checked_sub(1).and_then(|s| by_step.get(&s));
            ee[d] = prev.and_then(|&q| {
                let (y1, y0) = (y.get(p).copied().flatten()?, y.get(q).copied().flatten()?);
                let du = unit.get(p)?.get(d)? - unit.get(q)?.get(d)?;
                let e = (y1 - y0) / du;
                (du != 0.0 && e.is_finite()).then_some(e)
            });
        }
        missing += ee.iter().filter(|e| e.is_none()).count();
        effects.push(ee);
    }
    (effects, missing)
}

/// Morris measures of a design's output.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisResult {
    /// μ*: mean absolute elementary effect of each varied factor.
    pub mu_star: Vec<Estimate>,
    /// μ: mean elementary effect.
    pub mu: Vec<Estimate>,
    /// σ: standard deviation of the elementary effects (n − 1 divisor).
    pub sigma: Vec<Estimate>,
    /// Elementary effects each factor's measures rest on.
    pub effects: Vec<usize>,
}

/// (μ*, μ, σ) of factor `d` over the trajectories at `idx`.
fn morris_at(effects: &[Vec<Option<f64>>], idx: &[usize], d: usize) -> [Option<f64>; 3] {
    let ee: Vec<f64> = idx.iter().filter_map(|&t| effects[t][d]).collect();
    if ee.is_empty() {
        return [None; 3];
    }
    let n = ee.len() as f64;
    let mu = ee.iter().sum::<f64>() / n;
    let mu_star = ee.iter().map(|e| e.abs()).sum::<f64>() / n;
    let sigma = (ee.len() >= 2)
        .then(|| (ee.iter().map(|e| (e - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    [Some(mu_star), Some(mu), sigma]
}

/// μ*, μ and σ of `k` factors from per-trajectory effects, with percentile
/// intervals from `bootstrap` resamples of the trajectories.
pub fn morris_indices(
    effects: &[Vec<Option<f64>>],
    k: usize,
    bootstrap: usize,
    seed: u64,
) -> MorrisResult {
    let all: Vec<usize> = (0..effects.len()).collect();
    let point: Vec<[Option<f64>; 3]> = (0..k).map(|d| morris_at(effects, &all, d)).collect();
    let mut boot = vec![[const { Vec::new() }; 3]; k];
    for b in 0..bootstrap {
        let idx = resample(seed, b, effects.len());
        for (d, slot) in boot.iter_mut().enumerate() {
            for (m, v) in morris_at(effects, &idx, d).into_iter().enumerate() {
                if let Some(v) = v {
                    slot[m].push(v);
                }
            }
        }
    }
    let mut out: [Vec<Estimate>; 3] = Default::default();
    for d in 0..k {
        for m in 0..3 {
            out[m].push(Estimate {
                value: point[d][m],
                ci95: percentile_ci(&mut boot[d][m]),
            });
        }
    }
    let [mu_star, mu, sigma] = out;
    MorrisResult {
        mu_star,
        mu,
        sigma,
        effects: (0..k)
            .map(|d| effects.iter().filter(|e| e[d].is_some()).count())
            .collect(),
    }
}

/// Each point's coordinates on the unit scale of the varied factors:
/// `(x − min) / (max − min)`, in the order of [`design::varied_factors`].
pub fn unit_coordinates(points: &[Point], factors: &[Factor]) -> Vec<Vec<f64>> {
    let varied = design::varied_factors(factors);
    points
        .iter()
        .map(|p| {
            varied
                .iter()
                .map(|&i| {
                    let x = match &p.values[i] {
                        toml::Value::Float(x) => *x,
                        toml::Value::Integer(n) => *n as f64,
                        _ => f64::NAN,
                    };
                    let (lo, hi) = (factors[i].min.unwrap_or(0.0), factors[i].max.unwrap_or(1.0));
                    (x - lo) / (hi - lo)
                })
                .collect()
        })
        .collect()
}

// ------------------------------------------------------ known answers

/// Ishigami's `a`.
pub const ISHIGAMI_A: f64 = 7.0;
/// Ishigami's `b`.
pub const ISHIGAMI_B: f64 = 0.1;
/// Base points of the self-test's Saltelli design (2^13).
pub const SELFTEST_BASE_POINTS: usize = 1 << 13;
/// Seed of the self-test's design and bootstrap.
pub const SELFTEST_SEED: u64 = 2010;
/// Bootstrap resamples of the self-test.
pub const SELFTEST_BOOTSTRAP: usize = 200;
/// Largest error accepted on a Sobol index estimated from `n` base points:
/// `4 / √n` (0.044 at the self-test's 2^13).
///
/// Why: the estimators' errors shrink as 1/√n under plain Monte Carlo, and
/// the bootstrap of the self-test's own samples (which, resampling blocks,
/// measures that plain Monte Carlo error) gives standard errors of at most
/// 0.015 at n = 2^13 for Ishigami (ST of x1; the others 0.005–0.010) and
/// at most 0.011 for the linear model: at most about 1.4/√n. Four over √n
/// is about three of those standard errors, so a correct estimator passes
/// on any scrambling, even before counting the faster convergence of the
/// scrambled Sobol sequence (the errors seen are below 0.001); a wrong one
/// cannot (the x1–x3 interaction left out of ST1, ST3 = 0, or two factors'
/// indices swapped are all off by 0.13 or more).
pub fn sobol_tolerance(n: usize) -> f64 {
    4.0 / (n as f64).sqrt()
}

/// The Ishigami function `sin x1 + a sin² x2 + b x3⁴ sin x1`.
pub fn ishigami(x: &[f64]) -> f64 {
    x[0].sin() + ISHIGAMI_A * x[1].sin().powi(2) + ISHIGAMI_B * x[2].powi(4) * x[0].sin()
}

/// The exact (S1, ST) of Ishigami on `[−π, π]³` for [`ISHIGAMI_A`],
/// [`ISHIGAMI_B`]: S1 ≈ (0.314, 0.442, 0), ST ≈ (0.558, 0.442, 0.244).
pub fn ishigami_exact() -> ([f64; 3], [f64; 3]) {
    let (a, b) = (ISHIGAMI_A, ISHIGAMI_B);
    let pi4 = std::f64::consts::PI.powi(4);
    let pi8 = pi4 * pi4;
    let v1 = 0.5 * (1.0 + b * pi4 / 5.0).powi(2);
    let v2 = a * a / 8.0;
    let v13 = b * b * pi8 * (1.0 / 18.0 - 1.0 / 50.0);
    let v = v1 + v2 + v13;
    ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
}

/// A factor with a range (for known-answer designs).
pub fn range_factor(path: &str, min: f64, max: f64) -> Factor {
    Factor {
        path: path.into(),
        levels: None,
        min: Some(min),
        max: Some(max),
    }
}

/// The points of a design over float factors (no scenario needed).
pub fn float_design(design: &Design, factors: &[Factor], seed: u64) -> Result<Vec<Point>> {
    let kinds = vec![migflow_core::params::path::KeyKind::Float; factors.len()];
    design::generate(design, factors, &kinds, seed, Path::new(".")).map_err(|e| Error::Input {
        path: PathBuf::from("<design>"),
        message: e.to_string(),
    })
}

/// The varied factors' values of each point, as floats.
pub fn point_values(points: &[Point]) -> Vec<Vec<f64>> {
    points
        .iter()
        .map(|p| {
            p.values
                .iter()
                .map(|v| match v {
                    toml::Value::Float(x) => *x,
                    toml::Value::Integer(n) => *n as f64,
                    _ => f64::NAN,
                })
                .collect()
        })
        .collect()
}

/// One comparison of the self-test.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfTestLine {
    /// What is checked, e.g. `ishigami S1 x1`.
    pub name: String,
    /// The estimate.
    pub estimate: f64,
    /// Its bootstrap interval.
    pub ci95: Option<(f64, f64)>,
    /// The exact value.
    pub exact: f64,
    /// Largest error accepted.
    pub tolerance: f64,
}

impl SelfTestLine {
    /// Whether the estimate is within the tolerance of the exact value.
    pub fn ok(&self) -> bool {
        (self.estimate - self.exact).abs() <= self.tolerance
    }
}

/// Sobol indices of `f` over `factors` from a Saltelli design of `n` base
/// points made by [`design::generate`].
pub fn sobol_of(
    f: impl Fn(&[f64]) -> f64,
    factors: &[Factor],
    n: usize,
    bootstrap: usize,
    seed: u64,
) -> Result<SobolResult> {
    let points = float_design(&Design::Sobol { base_points: n }, factors, seed)?;
    let y: Vec<Option<f64>> = point_values(&points).iter().map(|x| Some(f(x))).collect();
    let roles: Vec<PointRole> = points.iter().map(|p| p.role.clone()).collect();
    let k = design::varied_factors(factors).len();
    let (blocks, _) = sobol_blocks(&roles, &y, k);
    Ok(sobol_indices(&blocks, k, bootstrap, seed))
}

/// Morris measures of `f` over `factors` from `r` trajectories on a
/// `levels`-level grid made by [`design::generate`].
pub fn morris_of(
    f: impl Fn(&[f64]) -> f64,
    factors: &[Factor],
    r: usize,
    levels: usize,
    bootstrap: usize,
    seed: u64,
) -> Result<MorrisResult> {
    let design = Design::Morris {
        trajectories: r,
        levels,
    };
    let points = float_design(&design, factors, seed)?;
    let y: Vec<Option<f64>> = point_values(&points).iter().map(|x| Some(f(x))).collect();
    let roles: Vec<PointRole> = points.iter().map(|p| p.role.clone()).collect();
    let unit = unit_coordinates(&points, factors);
    let k = design::varied_factors(factors).len();
    let (effects, _) = morris_effects(&roles, &unit, &y, k);
    Ok(morris_indices(&effects, k, bootstrap, seed))
}

/// The self-test: Ishigami (a = 7, b = 0.1) on `[−π, π]³` from the
/// project's Saltelli design with 2^13 base points, against the exact
/// indices; then a linear model `y = x1 + 2 x2 + 3 x3` on `[0, 1]³`
/// (S1 = ST = a_i² / Σ a²) by Sobol, and by Morris (μ* = |a_i|, σ = 0).
pub fn selftest() -> Result<Vec<SelfTestLine>> {
    let mut lines = Vec::new();
    let pi = std::f64::consts::PI;
    let factors: Vec<Factor> = (1..=3)
        .map(|i| range_factor(&format!("x{i}"), -pi, pi))
        .collect();
    let r = sobol_of(
        ishigami,
        &factors,
        SELFTEST_BASE_POINTS,
        SELFTEST_BOOTSTRAP,
        SELFTEST_SEED,
    )?;
    let (s1, st) = ishigami_exact();
    for (label, est, exact) in [("S1", &r.s1, s1), ("ST", &r.st, st)] {
        for j in 0..3 {
            lines.push(SelfTestLine {
                name: format!("ishigami {label} x{}", j + 1),
                estimate: est[j].value.unwrap_or(f64::NAN),
                ci95: est[j].ci95,
                exact: exact[j],
                tolerance: sobol_tolerance(SELFTEST_BASE_POINTS),
            });
        }
    }
    let a = [1.0, 2.0, 3.0];
    let unit: Vec<Factor> = (1..=3)
        .map(|i| range_factor(&format!("x{i}"), 0.0, 1.0))
        .collect();
    let linear = |x: &[f64]| a.iter().zip(x).map(|(a, x)| a * x).sum::<f64>();
    let total: f64 = a.iter().map(|a| a * a).sum();
    let r = sobol_of(
        linear,
        &unit,
        SELFTEST_BASE_POINTS,
        SELFTEST_BOOTSTRAP,
        SELFTEST_SEED,
    )?;
    for (label, est) in [("S1", &r.s1), ("ST", &r.st)] {
        for j in 0..3 {
            lines.push(SelfTestLine {
                name: format!("linear {label} x{}", j + 1),
                estimate: est[j].value.unwrap_or(f64::NAN),
                ci95: est[j].ci95,
                exact: a[j] * a[j] / total,
                tolerance: sobol_tolerance(SELFTEST_BASE_POINTS),
            });
        }
    }
    let m = morris_of(linear, &unit, 20, 4, SELFTEST_BOOTSTRAP, SELFTEST_SEED)?;
    for (j, &aj) in a.iter().enumerate() {
        lines.push(SelfTestLine {
            name: format!("linear mu_star x{}", j + 1),
            estimate: m.mu_star[j].value.unwrap_or(f64::NAN),
            ci95: m.mu_star[j].ci95,
            exact: aj,
            tolerance: 1e-9,
        });
        lines.push(SelfTestLine {
            name: format!("linear sigma x{}", j + 1),
            estimate: m.sigma[j].value.unwrap_or(f64::NAN),
            ci95: m.sigma[j].ci95,
            exact: 0.0,
            tolerance: 1e-9,
        });
    }
    Ok(lines)
}

// ------------------------------------------------------- sweep directories

/// What to analyse.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Output metrics (empty: [`default_metrics`]).
    pub metrics: Vec<String>,
    /// Take the metrics at this calendar year from `trajectories.csv`
    /// instead of the whole-run outcomes of `runs.csv`.
    pub year: Option<i32>,
    /// Bootstrap resamples (0: no intervals).
    pub bootstrap: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            metrics: Vec::new(),
            year: None,
            bootstrap: DEFAULT_BOOTSTRAP,
        }
    }
}

/// One row of `sensitivity.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The output metric.
    pub metric: String,
    /// The factor's path.
    pub factor: String,
    /// `S1`, `ST`, `mu_star`, `mu` or `sigma`.
    pub index: &'static str,
    /// The estimate and its interval.
    pub estimate: Estimate,
}

/// The result of [`analyze`].
#[derive(Debug, Clone)]
pub struct Analysis {
    /// `sobol` or `morris`.
    pub design: String,
    /// The varied factors' paths.
    pub factors: Vec<String>,
    /// The metrics analysed.
    pub metrics: Vec<String>,
    /// The year, when the metrics were taken at one.
    pub year: Option<i32>,
    /// The rows of `sensitivity.csv`, metric by metric, factor by factor.
    pub rows: Vec<Row>,
    /// One chart per metric that has a value: (file stem, chart).
    pub charts: Vec<IndexChart>,
    /// What was skipped or is undefined, and why.
    pub notes: Vec<String>,
}

fn input(path: &Path, message: impl Into<String>) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Open a CSV file of a finished sweep (cells trimmed).
fn open_table(path: PathBuf) -> Result<NamedCsv> {
    NamedCsv::options().trim().open(&path)
}

/// The column `name` of a sweep's file, or an error saying that the file is
/// not what a finished sweep writes.
fn column(t: &NamedCsv, name: &str) -> Result<usize> {
    t.column(name).map_err(|e| match e {
        Error::Input { path, message } => input(
            &path,
            format!("{message}: not the output of a finished migflow sweep"),
        ),
        other => other,
    })
}

fn opt_f64(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Group and outcome of a metric name like `farm_mean_poor_share`.
fn split_metric(name: &str) -> Option<(usize, &str)> {
    (0..GROUPS).find_map(|g| {
        name.strip_prefix(group_name(g))
            .and_then(|rest| rest.strip_prefix('_'))
            .map(|rest| (g, rest))
    })
}

/// Per metric, per run: the value (averaged later over replicates).
/// Returns per metric the point → values of its runs.
type PointRuns = Vec<BTreeMap<u64, Vec<f64>>>;

fn read_runs(dir: &Path, metrics: &[String], factors: usize) -> Result<PointRuns> {
    let mut t = open_table(dir.join("runs.csv"))?;
    let point_col = column(&t, "point_id")?;
    let status_col = column(&t, "status")?;
    let first_outcome = 5 + factors;
    let mut cols = Vec::with_capacity(metrics.len());
    for m in metrics {
        match t.header().iter().position(|h| h == m) {
            Some(c) if c >= first_outcome => cols.push(c),
            _ => {
                let known = t.header().get(first_outcome..).unwrap_or(&[]).join(", ");
                return Err(input(
                    t.path(),
                    format!("has no outcome column `{m}` (--metric); its outcomes are: {known}"),
                ));
            }
        }
    }
    let mut out: PointRuns = vec![BTreeMap::new(); metrics.len()];
    t.for_each(|r| {
        let point: u64 = r.parse(point_col, "a number")?;
        if r.get(status_col) != "ok" {
            return Ok(());
        }
        for (m, &c) in cols.iter().enumerate() {
            let values = out[m].entry(point).or_default();
            if let Some(v) = opt_f64(r.get(c)) {
                values.push(v);
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// One run's group in `trajectories.csv` up to the chosen year.
#[derive(Debug, Clone, Default)]
struct GroupAcc {
    poor_sum: f64,
    poor_n: usize,
    returned: f64,
    at_year: Option<Vec<Option<f64>>>,
}

fn read_trajectories(
    dir: &Path,
    metrics: &[String],
    factors: usize,
    year: i32,
) -> Result<PointRuns> {
    // Check the names first, listing what is possible.
    let mut wanted = Vec::with_capacity(metrics.len());
    for m in metrics {
        let parsed = split_metric(m).and_then(|(g, rest)| {
            if RUN_OUTCOMES.contains(&rest) {
                Some((g, rest.to_string()))
            } else {
                SUMMARY_METRICS
                    .contains(&rest)
                    .then(|| (g, rest.to_string()))
            }
        });
        match parsed {
            Some(p) => wanted.push(p),
            None => {
                return Err(input(
                    &dir.join("trajectories.csv"),
                    format!(
                        "--metric `{m}` with --year: expected <livelihood>_<metric> with livelihood one of {} and metric one of {}, {}",
                        (0..GROUPS).map(group_name).collect::<Vec<_>>().join(", "),
                        RUN_OUTCOMES.join(", "),
                        SUMMARY_METRICS.join(", ")
                    ),
                ));
            }
        }
    }
    let mut t = open_table(dir.join("trajectories.csv"))?;
    let run_col = column(&t, "run_id")?;
    let point_col = column(&t, "point_id")?;
    let year_col = 3 + factors;
    let expected = &TRAJECTORY_HEADER[1..];
    if t.header().get(year_col..year_col + expected.len())
        != Some(&expected.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..])
    {
        return Err(input(
            t.path(),
            format!(
                "expected the columns {} after the factor columns: not the output of a finished migflow sweep",
                expected.join(", ")
            ),
        ));
    }
    let metric_col =
        |name: &str| year_col + 2 + SUMMARY_METRICS.iter().position(|s| *s == name).unwrap_or(0);
    let (poor_col, returned_col) = (metric_col("poor_share"), metric_col("returned"));
    let path = t.path().to_path_buf();
    let mut runs: BTreeMap<u64, (u64, Vec<GroupAcc>)> = BTreeMap::new();
    let mut years = (i32::MAX, i32::MIN);
    t.for_each(|r| {
        let line = r.line();
        let run: u64 = r.parse(run_col, "a number")?;
        let point: u64 = r.parse(point_col, "a number")?;
        let y: i32 = r.parse(year_col, "a number")?;
        years = (years.0.min(y), years.1.max(y));
        if y > year {
            return Ok(());
        }
        let name = r.get(year_col + 1);
        let Some(g) = (0..GROUPS).find(|&g| group_name(g) == name) else {
            return Err(input(
                &path,
                format!("line {line}, column `livelihood`: found {name:?}, expected a livelihood or `all`"),
            ));
        };
        let acc = &mut runs
            .entry(run)
            .or_insert_with(|| (point, vec![GroupAcc::default(); GROUPS]))
            .1[g];
        if let Some(p) = opt_f64(r.get(poor_col)) {
            acc.poor_sum += p;
            acc.poor_n += 1;
        }
        acc.returned += opt_f64(r.get(returned_col)).unwrap_or(0.0);
        if y == year {
            acc.at_year = Some(
                (0..SUMMARY_METRICS.len())
                    .map(|m| opt_f64(r.get(year_col + 2 + m)))
                    .collect(),
            );
        }
        Ok(())
    })?;
    if years.0 > years.1 {
        return Err(input(&path, "has no rows: no completed run to analyse"));
    }
    if year < years.0 || year > years.1 {
        return Err(input(
            &path,
            format!(
                "--year {year}: the sweep's years are {}–{}",
                years.0, years.1
            ),
        ));
    }
    let idx = |name: &str| SUMMARY_METRICS.iter().position(|s| *s == name).unwrap_or(0);
    let mut out: PointRuns = vec![BTreeMap::new(); metrics.len()];
    for (point, groups) in runs.values() {
        for (m, (g, what)) in wanted.iter().enumerate() {
            let acc = &groups[*g];
            let at = |name: &str| acc.at_year.as_ref().and_then(|v| v[idx(name)]);
            let value = match what.as_str() {
                "final_share" => {
                    let all = groups[ALL_GROUP]
                        .at_year
                        .as_ref()
                        .and_then(|v| v[idx("households")]);
                    match (at("households"), all) {
                        (Some(h), Some(a)) if a > 0.0 => Some(h / a),
                        _ => None,
                    }
                }
                "final_poor_share" => at("poor_share"),
                "mean_poor_share" => (acc.poor_n > 0).then(|| acc.poor_sum / acc.poor_n as f64),
                "cum_returned" => acc.at_year.as_ref().map(|_| acc.returned),
                other => at(other),
            };
            let values = out[m].entry(*point).or_default();
            if let Some(v) = value {
                values.push(v);
            }
        }
    }
    Ok(out)
}

/// `points.csv`: each point's role and factor cells.
struct PointsFile {
    roles: Vec<PointRole>,
    /// Per point, the varied factors' values.
    values: Vec<Vec<f64>>,
}

fn read_points(
    dir: &Path,
    manifest: &SweepManifest,
    factors: &[Factor],
    sobol: bool,
) -> Result<PointsFile> {
    let mut t = open_table(dir.join("points.csv"))?;
    let point_col = column(&t, "point_id")?;
    let varied = design::varied_factors(factors);
    let value_cols: Vec<usize> = varied
        .iter()
        .map(|&i| column(&t, &factors[i].path))
        .collect::<Result<_>>()?;
    let role_cols: Vec<usize> = if sobol {
        vec![column(&t, "sobol_base")?, column(&t, "sobol_matrix")?]
    } else {
        vec![
            column(&t, "morris_trajectory")?,
            column(&t, "morris_step")?,
            column(&t, "morris_changed")?,
        ]
    };
    let n = manifest.points as usize;
    let mut roles = vec![PointRole::Plain; n];
    let mut values = vec![Vec::new(); n];
    let path = t.path().to_path_buf();
    let varied_paths: Vec<&str> = varied.iter().map(|&i| factors[i].path.as_str()).collect();
    t.for_each(|r| {
        let line = r.line();
        let p: usize = r.parse(point_col, "a number")?;
        if p >= n {
            return Err(input(
                &path,
                format!("line {line}: point {p}, but the manifest has {n} points"),
            ));
        }
        let bad = |column: &str, text: &str, expected: &str| {
            input(
                &path,
                format!("line {line}, column `{column}`: found {text:?}, expected {expected}"),
            )
        };
        roles[p] = if sobol {
            let base: usize = r.parse(role_cols[0], "a number")?;
            // Each base point has k + 2 points, so a base index at or above
            // the point count is damage (and would size the blocks).
            if base >= n {
                return Err(bad(
                    "sobol_base",
                    &base.to_string(),
                    &format!("a base point below {n} (the manifest's points)"),
                ));
            }
            let text = r.get(role_cols[1]);
            let matrix = match text {
                "A" => SobolMatrix::A,
                "B" => SobolMatrix::B,
                m => match m.strip_prefix("AB").and_then(|j| j.parse().ok()) {
                    Some(j) if j < varied.len() => SobolMatrix::AB(j),
                    _ => {
                        return Err(bad(
                            "sobol_matrix",
                            text,
                            &format!("A, B or AB<j> with j below {}", varied.len()),
                        ));
                    }
                },
            };
            PointRole::Sobol { base, matrix }
        } else {
            let trajectory: usize = r.parse(role_cols[0], "a number")?;
            let step: usize = r.parse(role_cols[1], "a number")?;
            let text = r.get(role_cols[2]);
            let changed = if text.is_empty() {
                None
            } else {
                match varied_paths.iter().position(|p| *p == text) {
                    Some(j) => Some(j),
                    None => {
                        return Err(bad(
                            "morris_changed",
                            text,
                            &format!("empty or a varied factor ({})", varied_paths.join(", ")),
                        ));
                    }
                }
            };
            PointRole::Morris {
                trajectory,
                step,
                changed,
            }
        };
        values[p] = value_cols
            .iter()
            .map(|&c| opt_f64(r.get(c)).unwrap_or(f64::NAN))
            .collect();
        Ok(())
    })?;
    Ok(PointsFile { roles, values })
}

/// A short label for each factor: the last part of its path, or the whole
/// path where two last parts are the same.
fn short_labels(paths: &[String]) -> Vec<String> {
    let last = |p: &str| p.rsplit('.').next().unwrap_or(p).to_string();
    paths
        .iter()
        .map(|p| {
            let l = last(p);
            if paths.iter().filter(|q| last(q) == l).count() > 1 {
                p.clone()
            } else {
                l
            }
        })
        .collect()
}

fn fmt3(x: f64) -> String {
    if x != 0.0 && x.abs() < 0.001 {
        format!("{x:.2e}")
    } else {
        format!("{x:.3}")
    }
}

/// A bar of a [`Bars`] chart: name, value, interval.
type Bar = (String, f64, Option<(f64, f64)>);

/// Analyse a finished `sobol` or `morris` sweep directory.
pub fn analyze(dir: &Path, opts: &Options) -> Result<Analysis> {
    let manifest = read_sweep_manifest(dir)?;
    for name in ["runs.csv", "points.csv", "trajectories.csv"] {
        migflow_io::manifest::verify_file(dir, &manifest.files, name)?;
    }
    let manifest_path = dir.join("manifest.json");
    let sobol = match manifest.design.as_str() {
        "sobol" => true,
        "morris" => false,
        other => {
            return Err(input(
                dir,
                format!(
                    "holds a `{other}` sweep: sensitivity needs a `sobol` or `morris` sweep (`[design] kind = \"sobol\"` or `\"morris\"`)"
                ),
            ));
        }
    };
    if opts.bootstrap > MAX_BOOTSTRAP {
        return Err(input(
            dir,
            format!(
                "--bootstrap {}: expected at most {MAX_BOOTSTRAP}",
                opts.bootstrap
            ),
        ));
    }
    let sweep: SweepFile = toml::from_str(&manifest.sweep_toml).map_err(|e| {
        input(
            &manifest_path,
            format!("its `sweep_toml` is not a sweep: {e}"),
        )
    })?;
    let varied = design::varied_factors(&sweep.factors);
    let k = varied.len();
    let factor_paths: Vec<String> = varied
        .iter()
        .map(|&i| sweep.factors[i].path.clone())
        .collect();
    if k == 0 {
        return Err(input(&manifest_path, "the sweep varies no factor"));
    }
    let metrics = if opts.metrics.is_empty() {
        default_metrics()
    } else {
        let mut m: Vec<String> = Vec::new();
        for x in &opts.metrics {
            if !m.contains(x) {
                m.push(x.clone());
            }
        }
        m
    };
    let mut notes = Vec::new();
    if let Some(shard) = manifest.shard {
        notes.push(format!(
            "{} holds shard {}/{} of the sweep only: merge the shards (`migflow merge`) for the whole design; the points of other shards count as missing",
            dir.display(),
            shard.index,
            shard.count
        ));
    }
    if manifest.failed > 0 {
        notes.push(format!(
            "{} of {} runs failed (see failures.csv): each point is averaged over its completed replicates, and a point with none is missing",
            manifest.failed, manifest.runs
        ));
    }
    if manifest.points > migflow_experiments::design::MAX_POINTS as u64
        || manifest.runs > migflow_experiments::sweep::MAX_RUNS
    {
        return Err(input(
            &manifest_path,
            format!(
                "records {} points and {} runs: expected at most {} points and {} runs",
                manifest.points,
                manifest.runs,
                migflow_experiments::design::MAX_POINTS,
                migflow_experiments::sweep::MAX_RUNS
            ),
        ));
    }
    let points = read_points(dir, &manifest, &sweep.factors, sobol)?;
    let per_point = match opts.year {
        None => read_runs(dir, &metrics, manifest.factors.len())?,
        Some(y) => read_trajectories(dir, &metrics, manifest.factors.len(), y)?,
    };
    // Morris: unit coordinates from the values actually run.
    let unit: Vec<Vec<f64>> = points
        .values
        .iter()
        .map(|v| {
            v.iter()
                .zip(&varied)
                .map(|(x, &i)| {
                    let f = &sweep.factors[i];
                    let (lo, hi) = (f.min.unwrap_or(0.0), f.max.unwrap_or(1.0));
                    (x - lo) / (hi - lo)
                })
                .collect()
        })
        .collect();
    let labels = short_labels(&factor_paths);
    let when = opts.year.map_or(String::new(), |y| format!(" in {y}"));
    let mut rows = Vec::new();
    let mut charts = Vec::new();
    let mut any_value = false;
    for (m, metric) in metrics.iter().enumerate() {
        let y: Vec<Option<f64>> = (0..manifest.points)
            .map(|p| {
                per_point[m]
                    .get(&p)
                    .filter(|v| !v.is_empty())
                    .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            })
            .collect();
        let mut push = |f: usize, index: &'static str, estimate: Estimate| {
            any_value |= estimate.value.is_some();
            rows.push(Row {
                metric: metric.clone(),
                factor: factor_paths[f].clone(),
                index,
                estimate,
            });
        };
        let bars: Vec<Bar>;
        let (title, y_label);
        if sobol {
            let (blocks, skipped) = sobol_blocks(&points.roles, &y, k);
            if !skipped.is_empty() {
                notes.push(format!(
                    "{metric}: skipped {} of {} base points (a Saltelli block needs all k + 2 = {} points with a value; missing points come from failed runs or an empty livelihood)",
                    skipped.len(),
                    skipped.len() + blocks.len(),
                    k + 2
                ));
            }
            let r = sobol_indices(&blocks, k, opts.bootstrap, manifest.seed);
            if r.s1.iter().all(|e| e.value.is_none()) {
                notes.push(if blocks.len() < 2 {
                    format!("{metric}: fewer than 2 complete base points: no indices")
                } else {
                    format!("{metric}: does not vary over the design: its indices are undefined (left empty)")
                });
            }
            for j in 0..k {
                push(j, "S1", r.s1[j]);
                push(j, "ST", r.st[j]);
            }
            bars = (0..k)
                .flat_map(|j| {
                    [("S1", r.s1[j]), ("ST", r.st[j])].map(|(ix, e)| {
                        (
                            format!("{} {ix}", labels[j]),
                            e.value.unwrap_or(f64::NAN),
                            e.ci95,
                        )
                    })
                })
                .collect();
            title = format!("Sobol indices of {metric}{when}");
            y_label = "share of output variance (S1 first order, ST total)".to_string();
        } else {
            let (effects, missing) = morris_effects(&points.roles, &unit, &y, k);
            if missing > 0 {
                notes.push(format!(
                    "{metric}: {missing} of {} elementary effects missing (a point without a value, or an integer factor that did not move)",
                    effects.len() * k
                ));
            }
            let r = morris_indices(&effects, k, opts.bootstrap, manifest.seed);
            if r.mu_star.iter().all(|e| e.value.is_none()) {
                notes.push(format!("{metric}: no elementary effect: no measures"));
            }
            for j in 0..k {
                push(j, "mu_star", r.mu_star[j]);
                push(j, "mu", r.mu[j]);
                push(j, "sigma", r.sigma[j]);
            }
            bars = (0..k)
                .map(|j| {
                    let sigma = r.sigma[j].value.map_or("–".to_string(), fmt3);
                    (
                        format!("{} (σ {sigma})", labels[j]),
                        r.mu_star[j].value.unwrap_or(f64::NAN),
                        r.mu_star[j].ci95,
                    )
                })
                .collect();
            title = format!("Morris μ* of {metric}{when}");
            y_label = format!("μ* (change of {metric} per full factor range)");
        }
        if bars.iter().any(|b| b.1.is_finite()) {
            charts.push(IndexChart {
                stem: format!("sensitivity_{metric}"),
                title,
                x_label: "factor".to_string(),
                y_label,
                bars,
            });
        }
    }
    if !any_value {
        return Err(input(
            dir,
            "no metric has a single index: every point lacks a value (all runs failed, or the metrics are of empty livelihoods)",
        ));
    }
    Ok(Analysis {
        design: manifest.design.clone(),
        factors: factor_paths,
        metrics,
        year: opts.year,
        rows,
        charts,
        notes,
    })
}

/// `sensitivity.csv` as text.
pub fn csv_text(rows: &[Row]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_HEADER);
    for r in rows {
        let (lo, hi) = match r.estimate.ci95 {
            Some((lo, hi)) => (Some(lo), Some(hi)),
            None => (None, None),
        };
        let _ = w.write_record([
            r.metric.clone(),
            r.factor.clone(),
            r.index.to_string(),
            format_float(r.estimate.value),
            format_float(lo),
            format_float(hi),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The data of one index chart (bars per factor with their intervals); the
/// report crate draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexChart {
    /// File stem of the chart.
    pub stem: String,
    /// Title.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// (factor, index, optional 95 % interval) per bar.
    #[allow(clippy::type_complexity)]
    pub bars: Vec<(String, f64, Option<(f64, f64)>)>,
}

/// Write `sensitivity.csv` and the drawn `charts` (file name and bytes)
/// into `out`, all staged under temporary names and renamed into place
/// together. Returns the paths written.
pub fn write(
    analysis: &Analysis,
    charts: Vec<(String, Vec<u8>)>,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, Vec<u8>)> =
        vec![(CSV_NAME.to_string(), csv_text(&analysis.rows).into_bytes())];
    files.extend(charts);
    let mut dir = OutputDir::create(out)?;
    for (name, bytes) in &files {
        let (mut w, tmp) = dir.stage(name)?;
        w.write_all(bytes).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        migflow_io::atomic::finish(w, &tmp)?;
    }
    dir.commit()
}

/// A plain-text table of the analysis (for the terminal).
pub fn summary(analysis: &Analysis) -> String {
    let mut s = String::new();
    let width = analysis
        .factors
        .iter()
        .map(|f| f.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let show = |e: &Estimate| {
        let v = e.value.map_or("–".to_string(), fmt3);
        match e.ci95 {
            Some((lo, hi)) => format!("{v} [{}, {}]", fmt3(lo), fmt3(hi)),
            None => v,
        }
    };
    for metric in &analysis.metrics {
        let when = analysis.year.map_or(String::new(), |y| format!(" ({y})"));
        s.push_str(&format!("{metric}{when}\n"));
        for f in &analysis.factors {
            let cells: Vec<String> = analysis
                .rows
                .iter()
                .filter(|r| &r.metric == metric && &r.factor == f)
                .map(|r| format!("{} {}", r.index, show(&r.estimate)))
                .collect();
            s.push_str(&format!("  {f:<width$}  {}\n", cells.join("   ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_ci_interpolates_and_needs_ten_values() {
        let mut v: Vec<f64> = (0..=100).map(f64::from).collect();
        assert_eq!(percentile_ci(&mut v), Some((2.5, 97.5)));
        let mut few = vec![1.0; 9];
        assert_eq!(percentile_ci(&mut few), None);
        let mut nan = vec![f64::NAN; 20];
        assert_eq!(percentile_ci(&mut nan), None);
    }

    #[test]
    fn resamples_are_deterministic_and_in_range() {
        let a = resample(5, 3, 50);
        assert_eq!(a, resample(5, 3, 50));
        assert_ne!(a, resample(5, 4, 50));
        assert_ne!(a, resample(6, 3, 50));
        assert!(a.iter().all(|&i| i < 50));
    }

    #[test]
    fn incomplete_blocks_are_skipped() {
        let roles = vec![
            PointRole::Sobol {
                base: 0,
                matrix: SobolMatrix::A,
            },
            PointRole::Sobol {
                base: 0,
                matrix: SobolMatrix::B,
            },
            PointRole::Sobol {
                base: 0,
                matrix: SobolMatrix::AB(0),
            },
            PointRole::Sobol {
                base: 1,
                matrix: SobolMatrix::A,
            },
            PointRole::Sobol {
                base: 1,
                matrix: SobolMatrix::B,
            },
            PointRole::Sobol {
                base: 1,
                matrix: SobolMatrix::AB(0),
            },
        ];
        let y = vec![Some(1.0), Some(2.0), Some(3.0), Some(1.0), None, Some(0.0)];
        let (blocks, skipped) = sobol_blocks(&roles, &y, 1);
        assert_eq!(
            blocks,
            vec![SobolBlock {
                a: 1.0,
                b: 2.0,
                ab: vec![3.0]
            }]
        );
        assert_eq!(skipped, vec![1]);
    }

    #[test]
    fn constant_output_has_undefined_indices() {
        let blocks = vec![
            SobolBlock {
                a: 0.3,
                b: 0.3,
                ab: vec![0.3]
            };
            8
        ];
        let r = sobol_indices(&blocks, 1, 50, 1);
        assert_eq!(r.s1[0], Estimate::default());
        assert_eq!(r.st[0], Estimate::default());
    }

    #[test]
    fn short_labels_keep_the_path_where_last_parts_clash() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            short_labels(&p(&["a.b.share", "c.d.share", "e.kappa"])),
            p(&["a.b.share", "c.d.share", "kappa"])
        );
    }

    #[test]
    fn metric_names_split_into_group_and_outcome() {
        assert_eq!(
            split_metric("all_mean_poor_share"),
            Some((ALL_GROUP, "mean_poor_share"))
        );
        assert_eq!(
            split_metric("none_cum_returned").map(|x| x.1),
            Some("cum_returned")
        );
        assert_eq!(split_metric("bogus_x"), None);
        assert_eq!(default_metrics().len(), 2 * GROUPS);
    }
}
