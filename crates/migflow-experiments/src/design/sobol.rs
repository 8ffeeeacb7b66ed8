//! Design `sobol`: Saltelli's scheme on an Owen-scrambled Sobol sequence,
//! `base_points · (k + 2)` points for `k` varied factors.

use migflow_core::rng::Draw;

use super::space::Space;
use super::{DesignError, MAX_POINTS, Point, PointRole, SobolMatrix, err};

/// Most base points of a Sobol design (the sequence's length limit, 2^16).
pub const SOBOL_MAX_BASE_POINTS: usize = 1 << 16;
/// Most varied factors of a Sobol design (Saltelli needs 2k dimensions of
/// the sequence, which has [`sobol_burley::NUM_DIMENSIONS`]).
pub const SOBOL_MAX_FACTORS: usize = (sobol_burley::NUM_DIMENSIONS / 2) as usize;

/// The points of design `sobol` with `n` base points: checks `n`, builds
/// the factors' space with `space`, then checks its number of factors and
/// of points.
pub(crate) fn generate(
    n: usize,
    seed: u64,
    space: impl FnOnce() -> Result<Space, DesignError>,
) -> Result<Vec<Point>, DesignError> {
    if n < 2 {
        return Err(err("design.base_points", n, "at least 2 base points"));
    }
    if n > SOBOL_MAX_BASE_POINTS {
        return Err(err(
            "design.base_points",
            n,
            format!(
                "at most {SOBOL_MAX_BASE_POINTS} base points (the length of the Sobol sequence)"
            ),
        ));
    }
    let space = space()?;
    let k = space.k();
    if k > SOBOL_MAX_FACTORS {
        return Err(err(
            "factors",
            format!("{k} varied factors"),
            format!("at most {SOBOL_MAX_FACTORS} factors with `min` and `max` for design `sobol`"),
        ));
    }
    let total = n * (k + 2);
    if total > MAX_POINTS {
        return Err(err(
            "design.base_points",
            n,
            format!("at most {MAX_POINTS} points in all (this gives {n} · ({k} + 2) = {total})"),
        ));
    }
    Ok(sobol(&space, n, seed))
}

/// Saltelli's A, B and AB(j) points of `n` base points over `space`.
fn sobol(space: &Space, n: usize, seed: u64) -> Vec<Point> {
    let k = space.k();
    let scramble = Draw::SobolScramble
        .stream(seed, 0)
        .int_inclusive(0, i64::from(u32::MAX)) as u32;
    let mut out = Vec::with_capacity(n * (k + 2));
    for base in 0..n {
        let draw = |d: usize| f64::from(sobol_burley::sample(base as u32, d as u32, scramble));
        let a: Vec<f64> = (0..k).map(draw).collect();
        let b: Vec<f64> = (k..2 * k).map(draw).collect();
        out.push(space.point(
            &a,
            PointRole::Sobol {
                base,
                matrix: SobolMatrix::A,
            },
        ));
        out.push(space.point(
            &b,
            PointRole::Sobol {
                base,
                matrix: SobolMatrix::B,
            },
        ));
        for j in 0..k {
            let mut ab = a.clone();
            ab[j] = b[j];
            out.push(space.point(
                &ab,
                PointRole::Sobol {
                    base,
                    matrix: SobolMatrix::AB(j),
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use migflow_core::params::path::KeyKind;
    use toml::Value;

    use crate::design::testutil::{f, gen_, levels, range};
    use crate::design::{Design, Factor, Point, PointRole, SobolMatrix, varied_factors};

    #[test]
    fn saltelli_structure_has_n_times_k_plus_2_points_and_ab_mixes_a_and_b() {
        let n = 16;
        let factors = [
            range("a", 0.0, 1.0),
            levels("const", vec![Value::Float(0.5)]),
            range("b", 1.0, 2.0),
            range("c", -1.0, 0.0),
        ];
        let k = 3;
        let kinds = [KeyKind::Float; 4];
        let pts = gen_(&Design::Sobol { base_points: n }, &factors, &kinds, 3).unwrap();
        assert_eq!(pts.len(), n * (k + 2));
        let dims = varied_factors(&factors);
        assert_eq!(dims, vec![0, 2, 3]);
        for (base, group) in pts.chunks(k + 2).enumerate() {
            let (a, b) = (&group[0], &group[1]);
            assert_eq!(
                a.role,
                PointRole::Sobol {
                    base,
                    matrix: SobolMatrix::A
                }
            );
            assert_eq!(
                b.role,
                PointRole::Sobol {
                    base,
                    matrix: SobolMatrix::B
                }
            );
            for j in 0..k {
                let ab = &group[2 + j];
                assert_eq!(
                    ab.role,
                    PointRole::Sobol {
                        base,
                        matrix: SobolMatrix::AB(j)
                    }
                );
                for (jj, &i) in dims.iter().enumerate() {
                    let want = if jj == j { &b.values[i] } else { &a.values[i] };
                    assert_eq!(&ab.values[i], want, "base {base} AB{j} factor {i}");
                }
                assert_eq!(ab.values[1], Value::Float(0.5));
            }
            // A and B differ in every coordinate.
            for &i in &dims {
                assert_ne!(a.values[i], b.values[i]);
            }
        }
    }

    #[test]
    fn sobol_a_and_b_points_have_low_discrepancy() {
        let n = 256;
        let k = 4;
        let factors: Vec<Factor> = (0..k).map(|d| range(&format!("x{d}"), 0.0, 1.0)).collect();
        let pts = gen_(
            &Design::Sobol { base_points: n },
            &factors,
            &vec![KeyKind::Float; k],
            11,
        )
        .unwrap();
        for matrix in [SobolMatrix::A, SobolMatrix::B] {
            let sel: Vec<&Point> = pts
                .iter()
                .filter(|p| matches!(p.role, PointRole::Sobol { matrix: m, .. } if m == matrix))
                .collect();
            assert_eq!(sel.len(), n);
            for d in 0..k {
                let mean = sel.iter().map(|p| f(&p.values[d])).sum::<f64>() / n as f64;
                assert!(
                    (mean - 0.5).abs() < 0.01,
                    "{matrix} coordinate {d}: mean {mean}"
                );
                // A power-of-two prefix is a net: every 1/n stratum once.
                let mut hits = vec![0; n];
                for p in &sel {
                    hits[(f(&p.values[d]) * n as f64) as usize] += 1;
                }
                assert!(hits.iter().all(|&h| h == 1), "{matrix} coordinate {d}");
            }
        }
    }
}
