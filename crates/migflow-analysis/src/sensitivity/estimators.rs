//! The estimators: Sobol S1 (Saltelli 2010) and ST (Jansen 1999) from
//! complete Saltelli blocks, Morris μ*, μ and σ from elementary effects,
//! each with percentile bootstrap intervals from deterministic resamples.
//! Functions of plain numbers and design roles; no files.

use std::collections::BTreeMap;

use migflow_core::rng::Draw;
use migflow_experiments::design::{self, Factor, Point, PointRole, SobolMatrix};

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
/// stream [`Draw::Bootstrap`] of `b`.
pub fn resample(seed: u64, b: usize, n: usize) -> Vec<usize> {
    let mut s = Draw::Bootstrap.stream(seed, b as u64);
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
}
